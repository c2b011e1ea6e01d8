import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CycleReport } from '../../src/domain/report.js';
import { TEST_RUN_LABEL, removeTestContainers, runTestContainer, testRunId } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { freePort } from '../support/free-port.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { buildRefitImage } from '../support/refit-image.js';
import { inspectContainer } from '../support/refit-update.js';
import { READ_ONLY, startSocketProxy, type SocketProxy } from '../support/socket-proxy.js';
import { DOCKER_CLI, TESTBED_LABEL, dockerEnv, loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const TAG = 'refit:e2e';
const execFileAsync = promisify(execFile);
const SCOPE_LABEL = 'com.centurylinklabs.watchtower.scope';
const ENABLE_LABEL = 'com.centurylinklabs.watchtower.enable';

const imageSchema = z.object({
  Size: z.number(),
  Config: z.object({
    Healthcheck: z.object({
      Test: z.array(z.string()),
      Interval: z.number(),
      Timeout: z.number(),
      StartPeriod: z.number(),
    }),
  }),
});

const healthSchema = z.object({
  Status: z.string(),
  Log: z.array(z.object({ ExitCode: z.number(), Output: z.string() })).nullable(),
});

/** Both streams of `docker logs` (refit logs to stderr, as the quick start leaves it). */
async function containerLogs(bed: Testbed, name: string): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(DOCKER_CLI, ['logs', name], { env: dockerEnv(bed) });
    return `${stdout}${stderr}`;
  } catch (error) {
    return String(error);
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Polls `check` every 500 ms until it returns a value, or fails with `what` after `timeoutMs`. */
async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${seconds(timeoutMs)}`);
    await sleep(500);
  }
}

/**
 * The image as users run it: built from the project's Dockerfile (FROM the bed's local
 * node:20-bookworm-slim) and started the way the README's quick start does, with the engine's
 * socket mounted, or with DOCKER_HOST pointing at a socket proxy instead.
 */
describe('the refit container image, run as the README says', () => {
  let bed: Testbed;
  let socket: string;
  let image: z.infer<typeof imageSchema>;
  /** The app images this file builds (each ref's older builds lose their tag but stay). */
  const images: string[] = [];

  beforeAll(async () => {
    bed = loadTestbed();
    socket = bed.dockerHost.replace(/^unix:\/\//, '');
    const started = Date.now();
    await buildRefitImage(TAG, { bed });
    const [inspect] = z
      .array(imageSchema)
      .parse(JSON.parse(await docker(['image', 'inspect', TAG], { bed })));
    if (inspect === undefined) throw new Error(`no image ${TAG}`);
    image = inspect;
    console.log(`built ${TAG} in ${seconds(Date.now() - started)}: ${(image.Size / 1e6).toFixed(1)} MB`);
  }, 600_000);

  afterAll(async () => {
    await removeTestContainers({ bed });
    if (images.length > 0) await docker(['image', 'rm', '--force', ...images], { bed }).catch(() => '');
  });

  /** Builds and pushes an app image to the bed's open registry. */
  async function publishApp(ref: string): Promise<{ id: string; digest: string }> {
    const id = await buildTestImage(ref, { bed });
    images.push(id);
    return { id, digest: await pushImage(ref, { bed }) };
  }

  it('adds little to the node base image and declares its health check', async () => {
    const [base] = z
      .array(z.object({ Size: z.number() }))
      .parse(JSON.parse(await docker(['image', 'inspect', 'node:20-bookworm-slim'], { bed })));
    const added = image.Size - (base?.Size ?? 0);
    console.log(`refit adds ${(added / 1e6).toFixed(1)} MB to node:20-bookworm-slim`);
    // Production dependencies and dist only; the development dependencies alone are over 100 MB.
    expect(added).toBeLessThan(40e6);
    expect(image.Config.Healthcheck).toMatchObject({
      Test: ['CMD', 'node', '/app/dist/healthcheck.js'],
      Interval: 30e9,
      StartPeriod: 10e9,
    });
  });

  it('updates the opted-in container, leaves the other, reports metrics, turns healthy and stops cleanly', async () => {
    const scope = uniqueName('image-e2e');
    const ref = `${bed.registries.open.host}/${scope}/app:latest`;
    const oldImage = (await publishApp(ref)).id;
    const labelled = `${scope}-labelled`;
    const plain = `${scope}-plain`;
    const labelledId = await runTestContainer(ref, {
      bed,
      name: labelled,
      labels: { [SCOPE_LABEL]: scope, [ENABLE_LABEL]: 'true' },
    });
    const plainId = await runTestContainer(ref, { bed, name: plain, labels: { [SCOPE_LABEL]: scope } });

    // The quick start's `docker run -d --name … -v <socket>:/var/run/docker.sock`, plus what the bed
    // needs: host networking (its registries listen on 127.0.0.1) and an API port of its own.
    const port = await freePort('tcp');
    const name = `${scope}-refit`;
    const started = Date.now();
    // prettier-ignore
    await runTestContainer(TAG, {
      bed,
      name,
      args: [
        '--volume', `${socket}:/var/run/docker.sock`,
        '--network', 'host',
        '--env', `REFIT_HTTP_API_PORT=${port}`,
        '--env', 'REFIT_LABEL_ENABLE=true',
        '--env', 'REFIT_POLL_INTERVAL=2',
        '--env', 'REFIT_SETTLE_TIME=1s',
        '--env', `REFIT_SCOPE=${scope}`,
      ],
    });
    const logs = (): Promise<string> => containerLogs(bed, name);

    const newImage = (await publishApp(ref)).id;
    expect(newImage).not.toBe(oldImage);
    const pushed = Date.now();
    const updated = await waitFor('the update of the labelled container', 30_000, async () => {
      const current = await inspectContainer(labelled).catch(() => undefined);
      return current !== undefined && current.Id !== labelledId && current.State.Running
        ? current
        : undefined;
    }).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; refit's logs:\n${(await logs()).slice(-4000)}`);
    });
    console.log(`labelled container updated ${seconds(Date.now() - pushed)} after the push`);
    expect(updated.Image).toBe(newImage);
    expect(updated.Config.Labels?.[ENABLE_LABEL]).toBe('true');

    const untouched = await inspectContainer(plain);
    expect(untouched.Id).toBe(plainId);
    expect(untouched.Image).toBe(oldImage);
    expect(untouched.State.Running).toBe(true);

    // The report (and so the metrics) is published when the cycle ends, just after the swap.
    const metrics = await waitFor('the update in /metrics', 15_000, async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      const text = await res.text();
      return /^refit_container_updates_total\{result="updated"\} 1$/m.test(text) ? text : undefined;
    });
    expect(metrics).toMatch(/^watchtower_scans_total [1-9]\d*$/m);

    // Docker runs the first probe one interval (30 s) after the start.
    const health = await waitFor('a healthy status', 60_000, async () => {
      const out = await docker(['inspect', '--format', '{{json .State.Health}}', name], { bed });
      const parsed = healthSchema.parse(JSON.parse(out));
      return parsed.Status === 'healthy' ? parsed : undefined;
    });
    console.log(`healthy ${seconds(Date.now() - started)} after the start`);
    const lastProbe = health.Log?.at(-1);
    expect(lastProbe?.ExitCode).toBe(0);
    expect(lastProbe?.Output).toMatch(/\/healthz answered 200/);

    // The probe the image runs really asks the API: another port fails, port 0 (API off) passes.
    const probe = image.Config.Healthcheck.Test.slice(1);
    const closedPort = await freePort('tcp');
    await expect(
      docker(['exec', '--env', `REFIT_HTTP_API_PORT=${closedPort}`, name, ...probe], { bed }),
    ).rejects.toThrow(/exit 1/);
    await expect(
      docker(['exec', '--env', 'REFIT_HTTP_API_PORT=0', name, ...probe], { bed }),
    ).resolves.toMatch(/API is off/);

    const stopping = Date.now();
    await docker(['stop', '--time', '10', name], { bed });
    const stopMs = Date.now() - stopping;
    console.log(`docker stop took ${seconds(stopMs)}`);
    expect(stopMs).toBeLessThan(10_000);
    const state = z
      .object({ Running: z.boolean(), ExitCode: z.number() })
      .parse(JSON.parse(await docker(['inspect', '--format', '{{json .State}}', name], { bed })));
    expect(state).toMatchObject({ Running: false, ExitCode: 0 });
    const lines = await logs();
    expect(lines).toMatch(/"signal":"SIGTERM".*"msg":"stopping"/);
    expect(lines).toMatch(/"msg":"stopped"/);
  }, 180_000);

  it('runs as the node user with only the socket group, keeping its journal on the volume', async () => {
    const scope = uniqueName('image-user');
    const ref = `${bed.registries.open.host}/${scope}/app:latest`;
    await publishApp(ref);
    const name = `${scope}-app`;
    const oldId = await runTestContainer(ref, { bed, name, labels: { [SCOPE_LABEL]: scope } });
    const { id: newImage } = await publishApp(ref);

    // An update writes the swap journal, so it fails unless the image's /var/lib/refit (and so
    // the fresh anonymous volume over it) is writable by `node`.
    // prettier-ignore
    const out = await docker(
      [
        'run', '--rm',
        '--label', `${TESTBED_LABEL}=1`, '--label', `${TEST_RUN_LABEL}=${testRunId}`,
        '--user', 'node', '--group-add', String(statSync(socket).gid),
        '--volume', `${socket}:/var/run/docker.sock`,
        '--network', 'host',
        '--env', 'REFIT_SETTLE_TIME=1s',
        TAG,
        '--run-once', '--report', 'json', '--scope', scope,
      ],
      { bed },
    );
    const report = JSON.parse(out) as CycleReport;
    expect(report.containers).toEqual([expect.objectContaining({ name, status: 'updated' })]);
    const current = await inspectContainer(name);
    expect(current.Id).not.toBe(oldId);
    expect(current.Image).toBe(newImage);
  }, 120_000);

  describe('behind a socket proxy (DOCKER_HOST=tcp://…, no socket mounted)', () => {
    let proxy: SocketProxy | undefined;

    afterAll(async () => {
      await proxy?.close();
    });

    it('checks the containers in its scope with read-only access to the Engine API', async () => {
      const scope = uniqueName('image-proxy');
      const ref = `${bed.registries.open.host}/${scope}/app:latest`;
      const { digest } = await publishApp(ref);
      const name = `${scope}-app`;
      await runTestContainer(ref, { bed, name, labels: { [SCOPE_LABEL]: scope } });

      // As docker-socket-proxy with its default POST=0: monitor-only needs no more.
      proxy = await startSocketProxy({ socketPath: socket, allow: READ_ONLY });
      // prettier-ignore
      const out = await docker(
        [
          'run', '--rm',
          '--label', `${TESTBED_LABEL}=1`, '--label', `${TEST_RUN_LABEL}=${testRunId}`,
          '--network', 'host',
          '--env', `DOCKER_HOST=${proxy.dockerHost}`,
          TAG,
          '--run-once', '--monitor-only', '--report', 'json', '--scope', scope,
        ],
        { bed },
      );
      const report = JSON.parse(out) as CycleReport;
      expect(report.containers).toHaveLength(1);
      expect(report.containers[0]).toMatchObject({
        name,
        image: ref,
        status: 'fresh',
        monitorOnly: true,
        remoteDigest: digest,
      });
      expect(report.counts.failed).toBe(0);

      const seen = proxy.requests.map((r) => `${r.method} ${r.path}`);
      expect(seen).toContain('GET /containers/json');
      expect(proxy.requests.filter((r) => !r.allowed)).toEqual([]);
    }, 120_000);
  });
});
