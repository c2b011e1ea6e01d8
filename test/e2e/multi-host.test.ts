import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CycleReport } from '../../src/domain/report.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { runRefit, type RefitRun } from '../support/refit-cli.js';
import { registryLog } from '../support/registry-logs.js';
import { loadTestbed, loadTestbedEngine, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

/**
 * One refit over two real engines (the bed's first, over its socket, and its second, over TLS):
 * a container of the same name and image on each, one registry request for that image, both
 * updated on their own engine. Engines that do not answer (one that hangs, one that is gone) cost
 * a bounded wait and are reported, while the engine that answers is served as usual.
 */
describe('several Docker engines', () => {
  let bed: Testbed;
  let second: Testbed;
  const scope = uniqueName('hosts');
  const labels = { 'com.centurylinklabs.watchtower.scope': scope };
  const name = `${scope}-app`;
  let ref: string;
  let v1: string;
  let run: RefitRun;
  let report: CycleReport;
  let manifestChecks: number;

  const imageOf = async (on: Testbed): Promise<string> =>
    docker(['container', 'inspect', '--format', '{{.Image}} {{.State.Running}}', name], { bed: on });

  beforeAll(async () => {
    bed = loadTestbed();
    second = loadTestbedEngine('second');
    ref = `${bed.registries.open.host}/${scope}/app:latest`;
    v1 = await buildTestImage(ref, { marker: `${scope}-1` });
    await pushImage(ref);
    await docker(['pull', ref], { bed: second });
    await runTestContainer(ref, { name, labels });
    await runTestContainer(ref, { name, labels, bed: second });
    // The new image, pushed from elsewhere: neither engine has it.
    await buildTestImage(ref, { marker: `${scope}-2` });
    await pushImage(ref);
    await docker(['image', 'rm', ref]);

    const repository = `${scope}/app`;
    const log = registryLog('open', { bed });
    const mark = log.mark();
    run = await runRefit(['--run-once', '--report', 'json'], {
      REFIT_DOCKER_HOST: `first=${bed.dockerHost},second=${second.dockerHost}`,
      REFIT_DOCKER_CERT_PATH_SECOND: bed.secondEngine.certPath,
      REFIT_SCOPE: scope,
      REFIT_LOG_LEVEL: 'warn',
    });
    report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as CycleReport;
    const entries = await log.waitFor(mark, (all) => all.length > 0, { repository });
    manifestChecks = entries.filter(
      (e) => e.userAgent.startsWith('refit/') && e.method === 'HEAD' && e.path.includes('/manifests/'),
    ).length;
  }, 180_000);

  afterAll(async () => {
    await removeTestContainers();
    await removeTestContainers({ bed: second });
    for (const on of [bed, second]) {
      const images = await docker(['images', '--quiet', `${bed.registries.open.host}/${scope}/app`], {
        bed: on,
      });
      const ids = [...new Set([v1, ...images.split('\n')])].filter((id) => id !== '');
      await docker(['image', 'rm', '--force', ...ids], { bed: on }).catch(() => '');
    }
  });

  it('updates the container on each engine and names the engine in the report', () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const entries = report.containers.filter((c) => c.name === name);
    expect(entries.map((c) => [c.host, c.status]).sort()).toEqual([
      ['first', 'updated'],
      ['second', 'updated'],
    ]);
    expect(report.hosts).toEqual([
      { name: 'first', reachable: true },
      { name: 'second', reachable: true },
    ]);
  });

  it('asks the registry once for the image both engines run', () => {
    expect(manifestChecks).toBe(1);
  });

  it('leaves each engine running the new image under the old name', async () => {
    for (const on of [bed, second]) {
      const [image, running] = (await imageOf(on)).split(' ');
      expect(image).not.toBe(v1);
      expect(running).toBe('true');
    }
  });

  describe('an engine that does not answer', () => {
    let hanging: Server;
    const held: Socket[] = [];
    let gonePort: number;
    let slow: RefitRun;
    let slowReport: CycleReport;
    let elapsedMs: number;

    beforeAll(async () => {
      // Accepts connections and never answers: an engine stuck, or a host behind a dead link.
      hanging = createServer((socket) => held.push(socket));
      await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
      // A port nothing listens on any more: an engine that is stopped.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      gonePort = (closed.address() as { port: number }).port;
      await new Promise<void>((resolve) => {
        closed.close(() => {
          resolve();
        });
      });
      const hangingPort = (hanging.address() as { port: number }).port;

      const started = Date.now();
      slow = await runRefit(['--run-once', '--monitor-only', '--report', 'json'], {
        REFIT_DOCKER_HOST: [
          `first=${bed.dockerHost}`,
          `stuck=tcp://127.0.0.1:${String(hangingPort)}`,
          `stopped=tcp://127.0.0.1:${String(gonePort)}`,
        ].join(','),
        REFIT_HOST_TIMEOUT: '3s',
        REFIT_SCOPE: scope,
        REFIT_LOG_LEVEL: 'error',
      });
      elapsedMs = Date.now() - started;
      slowReport = JSON.parse(slow.stdout.trim().split('\n').at(-1) ?? '{}') as CycleReport;
    }, 60_000);

    afterAll(async () => {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => {
        hanging.close(() => {
          resolve();
        });
      });
    });

    it('reports each one failed, "host unreachable", within the host timeout', () => {
      // Connecting at start-up and again in the cycle: two bounded waits, not a hang.
      expect(elapsedMs).toBeLessThan(2 * 3000 + 10_000);
      for (const host of ['stuck', 'stopped']) {
        const entry = slowReport.containers.find((c) => c.host === host);
        expect(entry?.status, host).toBe('failed');
        expect(entry?.reason, host).toMatch(/^host unreachable: /);
      }
      expect(slowReport.hosts).toEqual([
        { name: 'first', reachable: true },
        { name: 'stuck', reachable: false },
        { name: 'stopped', reachable: false },
      ]);
      expect(slow.code).toBe(1);
    });

    it('still checks the engine that answers', () => {
      const entry = slowReport.containers.find((c) => c.host === 'first' && c.name === name);
      expect(entry?.status).toBe('fresh');
    });
  });
});
