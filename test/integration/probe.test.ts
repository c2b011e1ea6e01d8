/**
 * Verification by probe against real containers of the bed: busybox httpd for HTTP, nc for TCP,
 * addressed by the IP the engine's inspect gives, from refit's position on the host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chooseProbeAddress } from '../../src/policy/probe-address.js';
import { readProbeSpec, type ProbeSpec } from '../../src/policy/probe-spec.js';
import { createNetProber } from '../../src/policy/prober.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const NAMES = { target: 'refit.verify', status: 'refit.verify.status', timeout: 'refit.verify.timeout' };
const networksSchema = z.record(z.string(), z.object({ IPAddress: z.string().optional() }));

let bed: Testbed;
let web: string;
let db: string;

/** A busybox httpd serving /www with a health file, started after `delay` seconds. */
function httpd(delay = 0): string[] {
  return [
    'sh',
    '-c',
    `mkdir -p /www && echo ok > /www/health && sleep ${delay} && exec httpd -f -p 8080 -h /www`,
  ];
}

beforeAll(async () => {
  bed = loadTestbed();
  web = await runTestContainer(bed.images.base, { name: uniqueName('probe-web'), cmd: httpd(), bed });
  db = await runTestContainer(bed.images.base, {
    name: uniqueName('probe-db'),
    cmd: ['sh', '-c', 'while true; do nc -l -p 5432; done'],
    bed,
  });
}, 60_000);

afterAll(async () => {
  await removeTestContainers({ bed });
});

async function addressOf(id: string): Promise<string> {
  const raw = await docker(['inspect', '--format', '{{json .NetworkSettings.Networks}}', id], { bed });
  const chosen = chooseProbeAddress(networksSchema.parse(JSON.parse(raw)));
  if (chosen === undefined) throw new Error(`container ${id} has no address`);
  return chosen.address;
}

function spec(labels: Record<string, string>): ProbeSpec {
  const result = readProbeSpec(labels, NAMES);
  if (result.kind !== 'probe') throw new Error(JSON.stringify(result));
  return result.spec;
}

const prober = createNetProber({ intervalMs: 200, userAgent: 'refit/test' });

describe('probes against containers', () => {
  it('passes an HTTP probe once the file is served', async () => {
    const address = await addressOf(web);
    const result = await prober.probe(
      spec({ 'refit.verify': 'http://:8080/health', 'refit.verify.timeout': '10s' }),
      address,
    );
    expect(result).toMatchObject({ ok: true, target: `http://${address}:8080/health` });
  });

  it('fails an HTTP probe answered with an unexpected status, after retrying until the timeout', async () => {
    const address = await addressOf(web);
    const started = Date.now();
    const result = await prober.probe(
      spec({ 'refit.verify': 'http://:8080/missing', 'refit.verify.timeout': '1.5s' }),
      address,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(
      new RegExp(
        `^probe http://${address.replaceAll('.', '\\.')}:8080/missing failed \\(\\d+ attempts in 1\\.\\d s\\): answered HTTP 404, expected 200-299$`,
      ),
    );
    expect(result.attempts).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    // The same answer counts as good when the status label says so.
    const accepted = await prober.probe(
      spec({ 'refit.verify': 'http://:8080/missing', 'refit.verify.status': '404' }),
      address,
    );
    expect(accepted.ok).toBe(true);
  });

  it('retries while the service starts, and passes once it answers', async () => {
    const late = await runTestContainer(bed.images.base, {
      name: uniqueName('probe-late'),
      cmd: httpd(2),
      bed,
    });
    const address = await addressOf(late);
    const result = await prober.probe(
      spec({ 'refit.verify': 'http://:8080/health', 'refit.verify.timeout': '20s' }),
      address,
    );
    expect(result.ok).toBe(true);
    expect(result.attempts).toBeGreaterThan(1);
  });

  it('passes a TCP probe on a listening port and fails one on a closed port', async () => {
    const address = await addressOf(db);
    await expect(
      prober.probe(spec({ 'refit.verify': 'tcp://:5432', 'refit.verify.timeout': '10s' }), address),
    ).resolves.toMatchObject({
      ok: true,
    });
    const closed = await prober.probe(
      spec({ 'refit.verify': 'tcp://:5433', 'refit.verify.timeout': '1s' }),
      address,
    );
    expect(closed).toMatchObject({ ok: false });
    if (!closed.ok) expect(closed.reason).toContain(`tcp://${address}:5433 failed`);
    if (!closed.ok) expect(closed.reason).toContain('connection refused');
  });

  it('fails at once, saying why, when the container has no address', async () => {
    const result = await prober.probe(spec({ 'refit.verify': 'tcp://:5432' }), undefined);
    expect(result).toEqual({
      ok: false,
      attempts: 0,
      reason:
        'probe tcp://<container>:5432 failed: the container has no address refit can reach (no network with an IP address)',
    });
  });

  it('stops when cancelled', async () => {
    const address = await addressOf(web);
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 300);
    const result = await prober.probe(
      spec({ 'refit.verify': 'http://:8080/missing', 'refit.verify.timeout': '30s' }),
      address,
      controller.signal,
    );
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('was cancelled') as unknown });
  });
});
