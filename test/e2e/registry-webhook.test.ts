import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CycleReport } from '../../src/domain/report.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { freePort } from '../support/free-port.js';
import { startNotifyingRegistry, stopProcess } from '../support/notifying-registry.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { startRefit } from '../support/refit-cli.js';
import { inspectContainer, updateEnv } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const TOKEN = randomBytes(16).toString('hex');

async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string | (() => string),
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      );
    await sleep(200);
  }
}

/** refit's last report, or `undefined` before its first cycle. */
async function latestReport(port: number): Promise<CycleReport | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/report`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  return (await res.json()) as CycleReport;
}

/**
 * The registry webhook as a user sets it up: a registry notifies refit of a push, and refit,
 * polling only once a day, replaces the container running that image within seconds.
 */
describe('registry webhook', () => {
  let bed: Testbed;
  let dir: string;
  let registry: Awaited<ReturnType<typeof startNotifyingRegistry>> | undefined;
  let refit: ReturnType<typeof startRefit> | undefined;
  const scope = uniqueName('hook');
  const name = `${scope}-app`;

  beforeAll(async () => {
    bed = loadTestbed();
    dir = await mkdtemp(join(tmpdir(), 'refit-hook-registry-'));
  });

  afterAll(async () => {
    await stopProcess(refit?.child);
    await stopProcess(registry?.child);
    await removeTestContainers();
    await rm(dir, { recursive: true, force: true });
  });

  it('replaces the container within seconds of a push, with a 24 h poll interval', async () => {
    const refitPort = await freePort('tcp');
    registry = await startNotifyingRegistry({ dir, refitPort, token: TOKEN });
    const ref = `${registry.host}/${scope}/app:latest`;

    await buildTestImage(ref, { marker: `${scope}-1` });
    await pushImage(ref, { bed });
    const oldId = await runTestContainer(ref, {
      name,
      labels: { 'com.centurylinklabs.watchtower.scope': scope },
      bed,
    });

    refit = startRefit(
      [
        '--http-api-update',
        '--http-api-periodic-polls',
        '--interval',
        '86400',
        '--http-api-host',
        '127.0.0.1',
        '--http-api-port',
        String(refitPort),
        '--scope',
        scope,
      ],
      { ...updateEnv(bed), REFIT_HTTP_API_TOKEN: TOKEN },
    );
    const daemon = refit;
    await waitFor(
      () => (/"msg":"HTTP API listening"/.test(daemon.output.stderr) ? true : undefined),
      20_000,
      'refit to listen',
    );
    const health = await fetch(`http://127.0.0.1:${refitPort}/healthz`);
    expect(health.status).toBe(200);
    // The registry kept the v1 push's events while refit was down and delivers them now; their
    // cycle finds the container fresh. Waiting for it keeps it from landing after the v2 update.
    const first = await waitFor(() => latestReport(refitPort), 20_000, 'the cycle for the v1 push');
    expect(first.containers.find((c) => c.name === name)?.status).toBe('fresh');

    const v2Id = await buildTestImage(ref, { marker: `${scope}-2` });
    await pushImage(ref, { bed });
    const pushedAt = Date.now();

    const replaced = await waitFor(
      async () => {
        const now = await inspectContainer(name).catch(() => undefined);
        return now !== undefined && now.Id !== oldId && now.State.Running && now.Image === v2Id
          ? now
          : undefined;
      },
      20_000,
      () => `${name} to run the pushed image\n${daemon.output.stderr.slice(-4000)}`,
    );
    expect(Date.now() - pushedAt).toBeLessThan(20_000);
    expect(replaced.Config.Labels?.['com.centurylinklabs.watchtower.scope']).toBe(scope);

    // The report is recorded when the cycle ends, just after the swap.
    const report = await waitFor(
      async () => {
        const body = await latestReport(refitPort);
        return body?.containers.some((c) => c.name === name && c.status === 'updated') === true
          ? body
          : undefined;
      },
      10_000,
      'GET /v1/report to show the update',
    );
    expect(report.containers.find((c) => c.name === name)?.newId).toBe(replaced.Id);

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(daemon.output.stderr).toMatch(/"msg":"stopped"/);
    expect(daemon.output.stderr).not.toContain(TOKEN);
  }, 120_000);
});
