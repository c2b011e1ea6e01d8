import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_RUN_LABEL, removeTestContainers, testRunId } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { inspectContainer, runUpdateCycle, type InspectedContainer } from '../support/refit-update.js';
import { TESTBED_LABEL, dockerEnv, loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

/** Debian's docker-compose 1.29 (the Python one). */
const COMPOSE_CLI = '/usr/bin/docker-compose';
const COMPOSE_PREFIX = 'com.docker.compose.';

interface ComposeRun {
  readonly stdout: string;
  readonly stderr: string;
}

function composeLabels(container: InspectedContainer): Record<string, string> {
  return Object.fromEntries(
    Object.entries(container.Config.Labels ?? {}).filter(([key]) => key.startsWith(COMPOSE_PREFIX)),
  );
}

/**
 * A compose project refit updates behind compose's back: the swapped container must still be
 * compose's container for its service, so `docker-compose ps` shows it and `docker-compose up -d`
 * leaves it alone, and the service that depends on it is restarted after it.
 */
describe('compose projects on the test bed', () => {
  let bed: Testbed;
  let dir = '';
  const scope = uniqueName('compose');
  // Compose 1.29 strips anything but [a-z0-9_-] from project names; the scope has nothing else.
  const project = scope;
  const app = `${project}_app_1`;
  const web = `${project}_web_1`;
  const before = new Map<string, InspectedContainer>();
  let result: Awaited<ReturnType<typeof runUpdateCycle>>;

  const ref = (name: string): string => `${bed.registries.open.host}/${scope}/${name}:latest`;

  function compose(args: readonly string[]): Promise<ComposeRun> {
    return new Promise((resolve, reject) => {
      execFile(
        COMPOSE_CLI,
        ['--project-name', project, '--file', join(dir, 'docker-compose.yml'), ...args],
        { cwd: dir, env: dockerEnv(bed), timeout: 120_000 },
        (error, stdout, stderr) => {
          if (error === null) resolve({ stdout, stderr });
          else reject(new Error(`docker-compose ${args.join(' ')} failed: ${stderr}`, { cause: error }));
        },
      );
    });
  }

  function composeFile(): string {
    const labels = [
      `      com.centurylinklabs.watchtower.scope: "${scope}"`,
      `      ${TESTBED_LABEL}: "1"`,
      `      ${TEST_RUN_LABEL}: "${testRunId}"`,
    ];
    return [
      'version: "2.4"',
      'services:',
      '  app:',
      `    image: ${ref('app')}`,
      '    labels:',
      ...labels,
      '  web:',
      `    image: ${ref('web')}`,
      '    depends_on: [app]',
      '    labels:',
      ...labels,
      // Compose v2 records depends_on in this label; 1.29 records it nowhere on the container,
      // so the file writes it as v2 would.
      `      ${COMPOSE_PREFIX}depends_on: "app:service_started:false"`,
      '',
    ].join('\n');
  }

  beforeAll(async () => {
    bed = loadTestbed();
    dir = await mkdtemp(join(tmpdir(), 'refit-compose-'));
    for (const name of ['app', 'web']) {
      await buildTestImage(ref(name), { marker: `${scope}-${name}-1` });
      await pushImage(ref(name));
    }
    await writeFile(join(dir, 'docker-compose.yml'), composeFile());
    await compose(['up', '--detach']);
    for (const name of [app, web]) before.set(name, await inspectContainer(name));

    // Only app changes upstream: v2 under the same tag, forgotten locally.
    await buildTestImage(ref('app'), { marker: `${scope}-app-2` });
    await pushImage(ref('app'));
    await docker(['image', 'rm', ref('app')]);

    result = await runUpdateCycle(bed, scope);
  }, 300_000);

  afterAll(async () => {
    if (dir !== '') {
      await compose(['down', '--volumes', '--timeout', '1']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
    await removeTestContainers();
  });

  it('updates the stale service and restarts the service that depends on it', () => {
    expect(result.byName(app).status, result.run.stderr.slice(-3000)).toBe('updated');
    expect(result.byName(web).status).toBe('fresh');
    expect(result.byName(web).reason).toMatch(/restarted/);
    expect(result.run.code).toBe(0);
  });

  it('keeps every compose label on the new container, which runs the image the tag now names', async () => {
    const after = await inspectContainer(app);
    expect(after.Id).not.toBe(before.get(app)?.Id);
    expect(after.Id).toBe(result.byName(app).newId);
    expect(after.State.Running).toBe(true);
    const old = before.get(app);
    if (old === undefined) throw new Error(`${app} was not inspected before the update`);
    // Every compose label stays, except the config hash, which follows the new image.
    const hashLabel = `${COMPOSE_PREFIX}config-hash`;
    const { [hashLabel]: newHash, ...kept } = composeLabels(after);
    const { [hashLabel]: oldHash, ...keptBefore } = composeLabels(old);
    expect(kept).toEqual(keptBefore);
    expect(newHash).toMatch(/^[a-f0-9]{64}$/);
    expect(newHash).not.toBe(oldHash);
    expect(after.Image).toBe(await docker(['image', 'inspect', '--format', '{{.Id}}', ref('app')]));
  });

  it('starts the dependent service again after the updated one', async () => {
    const after = await inspectContainer(web);
    const updated = await inspectContainer(app);
    expect(after.Id).toBe(before.get(web)?.Id);
    expect(after.State.Running).toBe(true);
    expect(Date.parse(after.State.StartedAt)).toBeGreaterThan(
      Date.parse(before.get(web)?.State.StartedAt ?? ''),
    );
    expect(Date.parse(after.State.StartedAt)).toBeGreaterThanOrEqual(Date.parse(updated.State.StartedAt));
  });

  it('is listed by docker-compose ps as the same service, up, under the same name', async () => {
    const ids = (await compose(['ps', '--quiet', 'app'])).stdout.trim();
    expect(ids).toBe(result.byName(app).newId);
    const listing = (await compose(['ps'])).stdout;
    const line = listing.split('\n').find((row) => row.startsWith(`${app} `));
    expect(line, listing).toMatch(/\bUp\b/);
  });

  // Last: if compose did recreate, the containers the other tests look at would be gone.
  it('is left alone by docker-compose up -d', async () => {
    // Compose 1.29 hashes the image ID its tag names into com.docker.compose.config-hash; refit
    // asked docker-compose for the service's new hash after the pull and gave it to the new
    // container, so compose sees it as up to date.
    const label = (await inspectContainer(app)).Config.Labels?.[`${COMPOSE_PREFIX}config-hash`];
    const expected = (await compose(['config', '--hash', 'app'])).stdout.trim();
    expect(expected).toContain(String(label));
    const run = await compose(['up', '--detach']);
    const output = `${run.stdout}${run.stderr}`;
    expect(output).not.toMatch(/Recreating/);
    expect(output).toMatch(new RegExp(`${app} is up-to-date`));
    expect((await inspectContainer(app)).Id).toBe(result.byName(app).newId);
    expect((await inspectContainer(web)).Id).toBe(before.get(web)?.Id);
  });
});
