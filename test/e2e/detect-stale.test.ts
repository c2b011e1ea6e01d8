import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CycleReport } from '../../src/domain/report.js';
import { runRefit, tempStateDir, type RefitRun } from '../support/refit-cli.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage, pushImageIndex, pushOciManifest } from '../support/images.js';
import { registryLog, tokenLog, type AccessLogEntry } from '../support/registry-logs.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

type RegistryName = 'open' | 'basic' | 'token';

/**
 * A user's first run: containers from images in all three kinds of registry (open, basic auth,
 * token auth), plus a multi-platform index and an OCI manifest. Some images get a new digest
 * under the same tag, pushed from elsewhere; `refit --run-once --monitor-only --report json`
 * must name exactly those stale, ask each registry once per image, and pull nothing.
 */
describe('detection on the test bed', () => {
  let bed: Testbed;
  const scope = uniqueName('detect');
  const expected = new Map<string, 'stale' | 'fresh' | 'skipped'>();
  const newDigests: string[] = [];
  const marks = new Map<string, number>();
  let tokenMark = 0;
  let run: RefitRun;
  let configDir: string;
  // A state directory of this test's own, empty at the first run: nothing another run left counts.
  const stateDir = tempStateDir();

  const repo = (registry: RegistryName, name: string): string =>
    `${bed.registries[registry].host}/${scope}/${name}:latest`;
  const labels = { 'com.centurylinklabs.watchtower.scope': scope };

  /** Pushes a new build under the same tag, then forgets it locally, as if pushed from CI elsewhere. */
  async function publishElsewhere(ref: string, marker: string): Promise<string> {
    await buildTestImage(ref, { marker });
    const digest = await pushImage(ref);
    await docker(['image', 'rm', ref]);
    return digest;
  }

  beforeAll(async () => {
    bed = loadTestbed();
    configDir = mkdtempSync(join(tmpdir(), 'refit-e2e-docker-config-'));
    const auth = (r: { username?: string; password?: string }): string =>
      Buffer.from(`${r.username ?? ''}:${r.password ?? ''}`).toString('base64');
    writeFileSync(
      join(configDir, 'config.json'),
      JSON.stringify({
        auths: {
          [bed.registries.basic.host]: { auth: auth(bed.registries.basic) },
          [`http://${bed.registries.token.host}`]: { auth: auth(bed.registries.token) },
        },
      }),
    );

    // Two tagged images per registry: "alpha" will change upstream, "beta" will not.
    for (const registry of ['open', 'basic', 'token'] as const) {
      for (const name of ['alpha', 'beta']) {
        const ref = repo(registry, name);
        await buildTestImage(ref, { marker: `${scope}-${registry}-${name}-1` });
        await pushImage(ref);
      }
      await runTestContainer(repo(registry, 'alpha'), { name: `${scope}-${registry}-alpha`, labels });
      await runTestContainer(repo(registry, 'beta'), { name: `${scope}-${registry}-beta`, labels });
      expected.set(`${scope}-${registry}-alpha`, 'stale');
      expected.set(`${scope}-${registry}-beta`, 'fresh');
    }
    // A second container on the same image must not cost a second registry request.
    await runTestContainer(repo('open', 'alpha'), { name: `${scope}-open-alpha-twin`, labels });
    expected.set(`${scope}-open-alpha-twin`, 'stale');

    // A multi-platform index and an OCI manifest, pulled the way users get them.
    const indexRef = repo('open', 'multi');
    const ociRef = repo('open', 'oci');
    const platformA = repo('open', 'multi-amd64');
    const platformB = repo('open', 'multi-arm64');
    await buildTestImage(platformA, { marker: `${scope}-amd64-1` });
    await pushImage(platformA);
    await buildTestImage(platformB, { marker: `${scope}-arm64-1` });
    await pushImage(platformB);
    await pushImageIndex(indexRef, [
      { ref: platformA, platform: { os: 'linux', architecture: 'amd64' } },
      { ref: platformB, platform: { os: 'linux', architecture: 'arm64' } },
    ]);
    const ociSource = repo('open', 'oci-source');
    await buildTestImage(ociSource, { marker: `${scope}-oci-1` });
    await pushImage(ociSource);
    await pushOciManifest(ociSource, ociRef);
    for (const ref of [indexRef, ociRef]) await docker(['pull', '-q', ref]);
    await runTestContainer(indexRef, { name: `${scope}-multi`, labels });
    await runTestContainer(ociRef, { name: `${scope}-oci`, labels });
    await runTestContainer(repo('open', 'oci-source'), { name: `${scope}-oci-source`, labels });
    expected.set(`${scope}-multi`, 'stale');
    expected.set(`${scope}-oci`, 'fresh');
    expected.set(`${scope}-oci-source`, 'fresh');

    // A locally built image has no registry digest: skipped, never stale.
    const local = `refit-e2e-local/${scope}:dev`;
    await buildTestImage(local, { marker: `${scope}-local` });
    await runTestContainer(local, { name: `${scope}-local`, labels });
    expected.set(`${scope}-local`, 'skipped');

    // Upstream changes: alpha everywhere, and the index gets a new amd64 image.
    for (const registry of ['open', 'basic', 'token'] as const) {
      newDigests.push(await publishElsewhere(repo(registry, 'alpha'), `${scope}-${registry}-alpha-2`));
    }
    newDigests.push(await publishElsewhere(platformA, `${scope}-amd64-2`));
    newDigests.push(
      await pushImageIndex(indexRef, [
        { ref: platformA, platform: { os: 'linux', architecture: 'amd64' } },
        { ref: platformB, platform: { os: 'linux', architecture: 'arm64' } },
      ]),
    );

    markLogs();
    tokenMark = tokenLog().mark();
    run = await check();
  }, 300_000);

  function markLogs(): void {
    for (const registry of ['open', 'basic', 'token'] as const)
      marks.set(registry, registryLog(registry).mark());
  }

  function check(): Promise<RefitRun> {
    return runRefit(['--run-once', '--monitor-only', '--report', 'json', '--scope', scope], {
      DOCKER_HOST: bed.dockerHost,
      DOCKER_CONFIG: configDir,
      REFIT_STATE_DIR: stateDir,
      REFIT_LOG_LEVEL: 'debug',
    });
  }

  const perRegistry: Record<RegistryName, string[]> = {
    open: ['alpha', 'beta', 'multi', 'oci', 'oci-source'],
    basic: ['alpha', 'beta'],
    token: ['alpha', 'beta'],
  };
  const ours = (entries: AccessLogEntry[]): AccessLogEntry[] =>
    entries.filter((entry) => entry.repository?.startsWith(`${scope}/`) === true);
  const isManifest = (entry: AccessLogEntry): boolean => entry.path.includes('/manifests/');

  /** This scope's manifest requests each registry logged since the marks, once all have arrived. */
  async function manifestRequests(
    extra: Record<RegistryName, number>,
  ): Promise<Map<RegistryName, AccessLogEntry[]>> {
    const out = new Map<RegistryName, AccessLogEntry[]>();
    for (const registry of ['open', 'basic', 'token'] as const) {
      const wanted = perRegistry[registry].length + extra[registry];
      // The registry may write its log line just after refit has its answer.
      const entries = ours(
        await registryLog(registry).waitFor(
          marks.get(registry) ?? 0,
          (all) => ours(all).filter(isManifest).length >= wanted,
          { timeoutMs: 5_000 },
        ),
      );
      expect(
        entries.filter((e) => e.path.includes('/blobs/')),
        `${registry} blob requests`,
      ).toEqual([]);
      out.set(registry, entries.filter(isManifest));
    }
    return out;
  }

  const names = (entries: readonly AccessLogEntry[]): (string | undefined)[] =>
    entries.map((e) => e.repository?.slice(scope.length + 1)).sort();

  afterAll(async () => {
    await removeTestContainers();
  });

  it('marks exactly the containers whose image changed upstream as stale, and the rest fresh', () => {
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as CycleReport;
    const statuses = Object.fromEntries(report.containers.map((c) => [c.name, c.status]));
    expect(statuses).toEqual(Object.fromEntries(expected));
    const local = report.containers.find((c) => c.name === `${scope}-local`);
    expect(local?.reason).toMatch(/no digest/);
  });

  it('keeps stdout to the one JSON report; logs go to stderr', () => {
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/cycle finished/);
  });

  it('from an empty state directory, sends one manifest HEAD per distinct image plus one 401 per authenticating registry, and pulls nothing', async () => {
    // The documented cold start: the first request to a registry that wants credentials is how
    // refit learns its scheme (one 401), then it is remembered in the state directory.
    const requests = await manifestRequests({ open: 0, basic: 1, token: 1 });
    for (const [registry, entries] of requests) {
      const ok = entries.filter((e) => e.status === 200);
      const challenged = entries.filter((e) => e.status === 401);
      expect(names(ok), `${registry} registry manifest requests`).toEqual([...perRegistry[registry]].sort());
      expect(challenged, `${registry} registry 401 answers`).toHaveLength(registry === 'open' ? 0 : 1);
      expect(entries.every((e) => e.method === 'HEAD')).toBe(true);
    }
  });

  it('asks the token service at most once per repository scope', () => {
    const scopes = tokenLog()
      .since(tokenMark)
      .flatMap((entry) => entry.scopes)
      .filter((s) => s.includes(`:${scope}/`));
    expect(scopes.length).toBeGreaterThan(0);
    expect(new Set(scopes).size).toBe(scopes.length);
  });

  it('did not pull any of the new images', async () => {
    const local = await docker(['images', '--digests', '--format', '{{.Digest}}']);
    for (const digest of newDigests) expect(local).not.toContain(digest);
  });

  it('on a second run with the same state directory, sends exactly one manifest HEAD per distinct image', async () => {
    markLogs();
    const again = await check();
    expect(again.code, again.stderr).toBe(0);
    const requests = await manifestRequests({ open: 0, basic: 0, token: 0 });
    for (const [registry, entries] of requests) {
      expect(names(entries), `${registry} registry manifest requests`).toEqual(
        [...perRegistry[registry]].sort(),
      );
      expect(entries.every((e) => e.method === 'HEAD' && e.status === 200)).toBe(true);
    }
  });
});
