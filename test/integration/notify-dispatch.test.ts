import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifierFromUrl } from '../../src/notify/channel-url.js';
import { dispatch, dispatchBoundMs, type DispatchOptions } from '../../src/notify/dispatcher.js';
import { renderReport } from '../../src/notify/render.js';
import {
  capturingLogger,
  containerReport,
  cycleReport,
  HttpPostNotifier,
  NEW_DIGEST,
  OLD_DIGEST,
} from '../support/fake-notifier.js';

interface Listener {
  readonly url: string;
  readonly bodies: string[];
  close(): Promise<void>;
}

/** A real HTTP listener on a free local port; `answer` decides what each request gets. */
async function listen(
  answer: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<Listener> {
  const bodies: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      answer(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

describe('dispatch over real HTTP', () => {
  let hanging: Listener;
  let failing: Listener;
  let healthy: Listener;

  beforeAll(async () => {
    hanging = await listen(() => undefined); // reads the request, never answers
    failing = await listen((_request, response) => response.writeHead(500).end('upstream broken'));
    healthy = await listen((_request, response) => response.writeHead(204).end());
  });

  afterAll(async () => {
    await Promise.all([hanging.close(), failing.close(), healthy.close()]);
  });

  it('returns within its bound, reports the dead channels failed and still delivers to the healthy one', async () => {
    const message = renderReport(
      cycleReport([
        containerReport('web', 'updated', { localDigests: [OLD_DIGEST], remoteDigest: NEW_DIGEST }),
      ]),
      { hostname: 'nas' },
    );
    const { logger, lines } = capturingLogger();
    const results: [string, boolean][] = [];
    const options: DispatchOptions = {
      timeoutMs: 300,
      backoffMs: [100, 200],
      logger,
      onResult: (channel, ok) => results.push([channel, ok]),
    };
    const bound = dispatchBoundMs(options);
    expect(bound).toBe(3 * 300 + 100 + 200);

    const started = performance.now();
    const outcome = await dispatch(
      message,
      [
        new HttpPostNotifier('hanging', hanging.url),
        new HttpPostNotifier('failing', failing.url),
        new HttpPostNotifier('healthy', healthy.url),
      ],
      options,
    );
    const elapsed = performance.now() - started;

    // The hanging listener made every attempt run into its limit, so the dispatch took the
    // whole bound, and not (much) more: timer granularity and scheduling are all the slack.
    expect(elapsed).toBeGreaterThanOrEqual(bound - 20);
    expect(elapsed).toBeLessThan(bound + 400);

    expect(outcome).toEqual([
      expect.objectContaining({ channel: 'hanging', ok: false, attempts: 3 }),
      { channel: 'failing', ok: false, attempts: 3, error: 'failing: server answered 500' },
      { channel: 'healthy', ok: true, attempts: 1 },
    ]);
    expect(results).toEqual(
      expect.arrayContaining([
        ['hanging', false],
        ['failing', false],
        ['healthy', true],
      ]),
    );
    expect(hanging.bodies).toHaveLength(3);
    expect(failing.bodies).toHaveLength(3);
    expect(healthy.bodies.map((body) => JSON.parse(body) as unknown)).toEqual([
      { title: 'refit on nas: 1 updated', text: message.text },
    ]);

    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings.map((line) => line.channel).sort()).toEqual(['failing', 'hanging']);
    for (const line of warnings) expect(JSON.stringify(line)).not.toContain('127.0.0.1');
  });

  it('holds the same bound through the real generic webhook channel', async () => {
    const message = renderReport(cycleReport([containerReport('db', 'failed', { reason: 'cannot pull' })]), {
      hostname: 'nas',
    });
    const { logger, lines } = capturingLogger();
    const options: DispatchOptions = { timeoutMs: 300, backoffMs: [100, 200], logger };
    const generic = (listener: Listener) =>
      createNotifierFromUrl(`generic+http://${listener.url.slice('http://'.length)}`, { hostname: 'nas' });
    const before = {
      hanging: hanging.bodies.length,
      failing: failing.bodies.length,
      healthy: healthy.bodies.length,
    };

    const started = performance.now();
    const outcome = await dispatch(message, [generic(hanging), generic(failing), generic(healthy)], options);
    const elapsed = performance.now() - started;

    expect(elapsed).toBeLessThan(dispatchBoundMs(options) + 400);
    expect(outcome.map((result) => [result.channel, result.ok, result.attempts])).toEqual([
      ['generic', false, 3],
      ['generic', false, 3],
      ['generic', true, 1],
    ]);
    expect(outcome[1]?.error).toContain('HTTP 500');
    expect(hanging.bodies.length - before.hanging).toBe(3);
    expect(failing.bodies.length - before.failing).toBe(3);
    const received = healthy.bodies
      .slice(before.healthy)
      .map((body) => JSON.parse(body) as Record<string, unknown>);
    expect(received).toEqual([
      expect.objectContaining({ title: 'refit on nas: 1 failed', severity: 'error' }),
    ]);
    for (const line of lines) expect(JSON.stringify(line)).not.toContain('127.0.0.1');
  });
});
