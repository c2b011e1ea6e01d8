import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readProbeSpec, type ProbeSpec } from '../../../src/policy/probe-spec.js';
import { createNetProber } from '../../../src/policy/prober.js';

const NAMES = { target: 'refit.verify', status: 'refit.verify.status', timeout: 'refit.verify.timeout' };

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A loopback HTTP server that answers the first `answered` requests with `status` and then never answers. */
async function serve(status: number, answered: number): Promise<number> {
  let seen = 0;
  server = createServer((_req, res) => {
    seen += 1;
    if (seen <= answered) res.writeHead(status).end();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function spec(port: number): ProbeSpec {
  const result = readProbeSpec(
    { 'refit.verify': `http://127.0.0.1:${port}/health`, 'refit.verify.timeout': '4s' },
    NAMES,
  );
  if (result.kind !== 'probe') throw new Error(JSON.stringify(result));
  return result.spec;
}

/** A clock that moves only when the prober sleeps, so that its last attempt gets 1 ms. */
function clock(): { now: () => number; sleep: (ms: number) => Promise<void> } {
  let t = 0;
  return {
    now: () => t,
    sleep: (ms) => {
      t += ms >= 1000 ? 3999 - t : ms;
      return Promise.resolve();
    },
  };
}

describe('a failed probe names what the container said', () => {
  it('keeps an HTTP 500 when the deadline cuts the last attempt short', async () => {
    const port = await serve(500, 1);
    const result = await createNetProber(clock()).probe(spec(port), undefined);
    expect(result).toMatchObject({ ok: false, attempts: 2 });
    if (result.ok) return;
    expect(result.reason).toMatch(/answered HTTP 500, expected 200-299$/);
  });

  it('says no answer came when no attempt got one', async () => {
    const port = await serve(500, 0);
    const result = await createNetProber({ ...clock(), attemptTimeoutMs: 50 }).probe(spec(port), undefined);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/no answer within \d+ ms$/);
  });
});
