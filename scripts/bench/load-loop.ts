import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { epochMs } from './docker-proxy.js';

/** One request of a load loop: when it was answered (epoch ms), whether it succeeded, the body. */
export interface Sample {
  readonly at: number;
  readonly ok: boolean;
  /** The answer, or for a failure what went wrong (ECONNREFUSED, ECONNRESET, timeout, …). */
  readonly body: string;
  /** How long the request took (host loop only). */
  readonly tookMs?: number;
}

export interface Outage {
  readonly requests: number;
  readonly failed: number;
  /** Longest time between two consecutive successful answers. */
  readonly longestGapMs: number;
  /** The successful answers on either side of that gap (epoch ms). */
  readonly gapFrom: number;
  readonly gapTo: number;
  /** Median time between consecutive answers: the loop's own pace. */
  readonly paceMs: number;
  readonly first: string;
  readonly last: string;
}

export function analyse(samples: readonly Sample[]): Outage {
  let longest = 0;
  let from = 0;
  let to = 0;
  let previousOk: number | undefined;
  for (const sample of samples) {
    if (!sample.ok) continue;
    if (previousOk !== undefined && sample.at - previousOk > longest) {
      longest = sample.at - previousOk;
      from = previousOk;
      to = sample.at;
    }
    previousOk = sample.at;
  }
  const steps = samples.slice(1).map((sample, i) => sample.at - (samples[i]?.at ?? sample.at));
  steps.sort((a, b) => a - b);
  const oks = samples.filter((sample) => sample.ok);
  return {
    requests: samples.length,
    failed: samples.length - oks.length,
    longestGapMs: longest,
    gapFrom: from,
    gapTo: to,
    paceMs: steps[Math.floor(steps.length / 2)] ?? 0,
    first: oks[0]?.body ?? '',
    last: oks.at(-1)?.body ?? '',
  };
}

function once(url: string, timeoutMs: number): Promise<{ ok: boolean; body: string }> {
  return new Promise((resolve) => {
    // A new connection per request, as a client reaching a restarted server would open.
    const req = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ ok: res.statusCode === 200, body: body.trim() });
      });
      res.on('error', (error: NodeJS.ErrnoException) => {
        resolve({ ok: false, body: error.code ?? error.message });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (error: NodeJS.ErrnoException) => {
      resolve({ ok: false, body: error.code ?? error.message });
    });
  });
}

/**
 * Requests `url` one after another, `pauseMs` apart, until stopped; resolves to every answer.
 * A local httpd answers in a few milliseconds, so a request still open after `timeoutMs` is
 * counted failed (a connection the engine's port proxy accepted but could not pass on hangs).
 */
export function startLoadLoop(url: string, pauseMs = 10, timeoutMs = 250): { stop(): Promise<Sample[]> } {
  const samples: Sample[] = [];
  const state = { running: true };
  const loop = (async () => {
    while (state.running) {
      const sent = epochMs();
      const answer = await once(url, timeoutMs);
      const at = epochMs();
      samples.push({ at, ...answer, tookMs: at - sent });
      await sleep(pauseMs);
    }
  })();
  return {
    async stop() {
      state.running = false;
      await loop;
      return samples;
    },
  };
}

/** Waits until `url` answers 200 with `body` (when given). */
export async function waitForAnswer(
  url: string,
  body: string | undefined,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await once(url, 1_000);
    if (answer.ok && (body === undefined || answer.body === body)) return epochMs();
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer ${body ?? '200'} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/**
 * The shell loop of a client container asking `host:port` every ~10 ms through Docker's DNS,
 * one line per request: `ok|fail:<exit code> <seconds since boot> <body>` (143: timed out). /proc/uptime gives 10 ms
 * resolution on the host's clock; `timeout` rather than wget's -T, which this busybox lacks.
 */
export function clientLoopCommand(host: string, port: number, maxRequests = 30_000): string[] {
  return [
    'sh',
    '-c',
    `i=0
while [ ! -e /stop ] && [ $i -lt ${maxRequests} ]; do
  i=$((i + 1))
  if out=$(timeout 2 wget -q -O- http://${host}:${port}/ 2>/dev/null); then r=ok; else r="fail:$?"; fi
  read up rest < /proc/uptime
  echo "$r $up $out"
  sleep 0.01
done
echo finished`,
  ];
}

/** Parses the client loop's output; times become epoch ms using the host's uptime now. */
export function parseClientLog(text: string, uptimeNowS: number, epochNowMs: number): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^(ok|fail) (\d+(?:\.\d+)?) ?(.*)$/.exec(line.trim());
    if (match === null) continue;
    const uptime = Number(match[2]);
    samples.push({
      at: epochNowMs - (uptimeNowS - uptime) * 1000,
      ok: match[1] === 'ok',
      body: match[3] ?? '',
    });
  }
  return samples;
}
