import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CycleReport } from '../../src/domain/report.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { waitFor } from '../support/polling.js';
import { startRefit } from '../support/refit-cli.js';
import { loadTestbed, readFaultEngine, runTestbedScript, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const SLEEPER = ['sh', '-c', "trap 'exit 0' TERM; sleep 2147483647 & wait"];

/**
 * The Docker engine killed (SIGKILL, as an upgrade or a crash does) while refit waits out a new
 * container's settle time, then started again, with refit left running: refit must notice the
 * engine going and coming back, finish or undo the swap before anything else, and say so. Run on
 * an engine of the test's own (`testbed.sh fault`), never on one other tests use.
 */
describe('the engine dies during a swap', () => {
  let bed: Testbed;
  let engine: Testbed;
  let certPath: string;
  const scope = uniqueName('fault');
  const name = `${scope}-app`;

  beforeAll(async () => {
    bed = loadTestbed();
    await runTestbedScript(bed, ['fault', 'up']);
    const fault = readFaultEngine(bed);
    engine = fault.bed;
    certPath = fault.engine.certPath;
    const ref = `${bed.registries.open.host}/${scope}/app:latest`;
    await buildTestImage(ref, { bed: engine, marker: `${scope}-1`, cmd: SLEEPER });
    await pushImage(ref, { bed: engine });
    await runTestContainer(ref, {
      bed: engine,
      name,
      labels: { 'com.centurylinklabs.watchtower.scope': scope },
    });
    await buildTestImage(ref, { bed: engine, marker: `${scope}-2`, cmd: SLEEPER });
    await pushImage(ref, { bed: engine });
    await docker(['image', 'rm', ref], { bed: engine });
  }, 300_000);

  afterAll(async () => {
    await removeTestContainers({ bed: engine }).catch(() => 0);
    await runTestbedScript(bed, ['fault', 'down']);
  }, 120_000);

  it('puts the service back under its name once the engine is back, and reports what happened', async () => {
    const refit = startRefit(['--scope', scope, '--report', 'json', '--interval', '3600'], {
      DOCKER_HOST: engine.dockerHost,
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: certPath,
      DOCKER_CONFIG: bed.dockerConfigDir,
      REFIT_UPDATE_ON_START: 'true',
      REFIT_SETTLE_TIME: '60s',
      REFIT_HTTP_API_PORT: '0',
      REFIT_LOG_FORMAT: 'json',
      REFIT_LOG_LEVEL: 'debug',
    });
    try {
      // The new container runs and refit waits out its settle time: the moment to pull the plug.
      await waitFor(
        () => (/"phase":"verify"/.test(refit.output.stderr) ? true : undefined),
        'the swap to reach its verification',
        60_000,
      );
      await runTestbedScript(bed, ['fault', 'kill']);
      await runTestbedScript(bed, ['fault', 'up']);

      const line = await waitFor(
        () => refit.output.stdout.split('\n').find((l) => l.startsWith('{')),
        'the cycle report',
        150_000,
      );
      const report = JSON.parse(line) as CycleReport;
      const app = report.containers.find((c) => c.name === name);
      expect(['rolled-back', 'updated']).toContain(app?.status);
      expect(app?.reason).toMatch(/interrupted/);
      expect(app?.reason).toMatch(/once the engine answered again/);
      expect(refit.output.stderr).toMatch(/lost the Docker engine/);
      expect(refit.output.stderr).toMatch(/the Docker engine answers again/);

      const state = await docker(['inspect', '--format', '{{.State.Running}}', name], { bed: engine });
      expect(state).toBe('true');
      const names = (
        await docker(['ps', '-a', '--filter', `name=${scope}`, '--format', '{{.Names}}'], { bed: engine })
      )
        .split('\n')
        .filter((n) => n !== '');
      expect(names).toEqual([name]);
    } finally {
      refit.child.kill('SIGTERM');
      await refit.exited;
    }
  }, 300_000);
});
