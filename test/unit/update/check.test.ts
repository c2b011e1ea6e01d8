import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ContainerStatus } from '../../../src/domain/report.js';
import { checkContainers } from '../../../src/update/detect/check.js';
import { selectContainers } from '../../../src/update/detect/select.js';
import { digestOf, FakeDockerClient, FakeRegistryClient, imageIdOf } from '../../support/fakes.js';
import { selectionOptions } from '../../support/selection.js';

const logger = pino({ level: 'silent' });
const selection = selectionOptions({ monitorOnly: true });

async function check(docker: FakeDockerClient, registry: FakeRegistryClient) {
  const { candidates } = selectContainers(await docker.listContainers(), selection);
  const checked = await checkContainers(
    candidates.map((candidate) => ({ candidate, inspect: undefined })),
    { docker, registry, logger, concurrency: 4 },
  );
  return Object.fromEntries(checked.map((c) => [c.report.name, c.report])) as Record<
    string,
    { status: ContainerStatus; reason: string; remoteDigest?: string }
  >;
}

describe('checkContainers', () => {
  it('marks a container stale when the registry digest is not among the local repo digests', async () => {
    const docker = new FakeDockerClient()
      .addImage({ id: imageIdOf('old'), repoDigests: [`127.0.0.1:5000/app@${digestOf('v1')}`], repoTags: [] })
      .addImage({ id: imageIdOf('cur'), repoDigests: [`127.0.0.1:5000/api@${digestOf('v9')}`], repoTags: [] })
      .addContainer({ name: 'app', imageReference: '127.0.0.1:5000/app', imageId: imageIdOf('old') })
      .addContainer({ name: 'api', imageReference: '127.0.0.1:5000/api:latest', imageId: imageIdOf('cur') });
    const registry = new FakeRegistryClient()
      .serve('127.0.0.1:5000/app:latest', digestOf('v2'))
      .serve('127.0.0.1:5000/api:latest', digestOf('v9'));

    const reports = await check(docker, registry);
    expect(reports.app?.status).toBe('stale');
    expect(reports.app?.remoteDigest).toBe(digestOf('v2'));
    expect(reports.api?.status).toBe('fresh');
  });

  it('asks the registry once per distinct reference, however many containers share it', async () => {
    const docker = new FakeDockerClient().addImage({
      id: imageIdOf('shared'),
      repoDigests: [`nginx@${digestOf('n1')}`],
      repoTags: [],
    });
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      docker.addContainer({
        name,
        imageReference: name < 'c' ? 'nginx' : 'docker.io/library/nginx:latest',
        imageId: imageIdOf('shared'),
      });
    }
    const registry = new FakeRegistryClient().serve('docker.io/library/nginx:latest', digestOf('n1'));

    const reports = await check(docker, registry);
    expect(Object.values(reports).map((r) => r.status)).toEqual([
      'fresh',
      'fresh',
      'fresh',
      'fresh',
      'fresh',
    ]);
    expect(registry.requests).toEqual(['docker.io/library/nginx:latest']);
    expect(docker.imageInspections).toBe(1);
  });

  it('skips locally built images and digest-pinned references without asking the registry', async () => {
    const docker = new FakeDockerClient()
      .addImage({ id: imageIdOf('local'), repoDigests: [], repoTags: ['mine:dev'] })
      .addImage({ id: imageIdOf('pinned'), repoDigests: [`nginx@${digestOf('p')}`], repoTags: [] })
      .addContainer({ name: 'local', imageReference: 'mine:dev', imageId: imageIdOf('local') })
      .addContainer({
        name: 'pinned',
        imageReference: `nginx@${digestOf('p')}`,
        imageId: imageIdOf('pinned'),
      })
      .addContainer({ name: 'by-id', imageReference: imageIdOf('pinned'), imageId: imageIdOf('pinned') });
    const registry = new FakeRegistryClient();

    const reports = await check(docker, registry);
    expect(reports.local).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/no digest from docker\.io\/library\/mine/) as unknown,
    });
    expect(reports.pinned).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/pinned to digest/) as unknown,
    });
    expect(reports['by-id']?.status).toBe('skipped');
    expect(registry.requests).toEqual([]);
  });

  it("reports one image's registry failure on its containers and still checks the others", async () => {
    const docker = new FakeDockerClient()
      .addImage({ id: imageIdOf('a'), repoDigests: [`127.0.0.1:5000/broken@${digestOf('a')}`], repoTags: [] })
      .addImage({ id: imageIdOf('b'), repoDigests: [`127.0.0.1:5000/fine@${digestOf('b')}`], repoTags: [] })
      .addContainer({ name: 'broken', imageReference: '127.0.0.1:5000/broken', imageId: imageIdOf('a') })
      .addContainer({ name: 'fine', imageReference: '127.0.0.1:5000/fine', imageId: imageIdOf('b') });
    const registry = new FakeRegistryClient()
      .serve(
        '127.0.0.1:5000/broken:latest',
        new Error('registry 127.0.0.1:5000 answered HTTP 500 for broken:latest'),
      )
      .serve('127.0.0.1:5000/fine:latest', digestOf('b2'));

    const reports = await check(docker, registry);
    expect(reports.broken).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/HTTP 500/) as unknown,
    });
    expect(reports.fine?.status).toBe('stale');
  });

  it('fails a container whose image vanished, naming why', async () => {
    const docker = new FakeDockerClient().addContainer({
      name: 'ghost',
      imageReference: 'nginx',
      imageId: imageIdOf('gone'),
    });
    const reports = await check(docker, new FakeRegistryClient());
    expect(reports.ghost).toMatchObject({ status: 'failed', reason: 'the container image no longer exists' });
  });
});

/** A container `name` on its own image, whose registry digest is the one it runs. */
function addFresh(docker: FakeDockerClient, registry: FakeRegistryClient, name: string): void {
  docker.addImage({
    id: imageIdOf(name),
    repoDigests: [`127.0.0.1:5000/${name}@${digestOf(name)}`],
    repoTags: [],
  });
  docker.addContainer({ name, imageReference: `127.0.0.1:5000/${name}`, imageId: imageIdOf(name) });
  registry.serve(`127.0.0.1:5000/${name}:latest`, digestOf(name));
}

describe('checkContainers concurrency', () => {
  it('asks the registry about images already read while slow image inspects are still running', async () => {
    const docker = new FakeDockerClient();
    const registry = new FakeRegistryClient();
    const names = ['a', 'b', 'c', 'd'];
    for (const name of names) addFresh(docker, registry, name);
    // The engine answers for a and b at once, and for c and d only when the test says so.
    let releaseSlow: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const inspect = docker.inspectImage.bind(docker);
    docker.inspectImage = async (id) => {
      if (id === imageIdOf('c') || id === imageIdOf('d')) await slow;
      return inspect(id);
    };

    const { candidates } = selectContainers(await docker.listContainers(), selection);
    const checking = checkContainers(
      candidates.map((candidate) => ({ candidate, inspect: undefined })),
      { docker, registry, logger, concurrency: 2 },
    );
    // With two slots shared by inspects and registry requests, c's and d's inspects would hold
    // both and a's and b's registry requests would wait for them.
    for (let i = 0; i < 50 && registry.requests.length < 2; i += 1) await new Promise((r) => setImmediate(r));
    expect(registry.requests.sort()).toEqual(['127.0.0.1:5000/a:latest', '127.0.0.1:5000/b:latest']);
    releaseSlow();
    const checked = await checking;
    expect(checked.map((c) => c.report.status)).toEqual(['fresh', 'fresh', 'fresh', 'fresh']);
  });

  it('gives each engine its own inspect slots, so one engine never waits for another', async () => {
    const registry = new FakeRegistryClient();
    const engines = ['nas', 'web'].map((host) => {
      const docker = new FakeDockerClient();
      for (const n of [1, 2, 3, 4]) addFresh(docker, registry, `${host}-${n}`);
      return { host, docker };
    });
    // Every inspect hangs until the test lets go; it counts how many each engine has in flight.
    let release: () => void = () => undefined;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inFlight = new Map<string, number>();
    for (const { host, docker } of engines) {
      const inspect = docker.inspectImage.bind(docker);
      docker.inspectImage = async (id) => {
        inFlight.set(host, (inFlight.get(host) ?? 0) + 1);
        await hold;
        return inspect(id);
      };
    }
    const items = [];
    for (const { host, docker } of engines) {
      const { candidates } = selectContainers(await docker.listContainers(), selection);
      items.push(...candidates.map((candidate) => ({ candidate, inspect: undefined, docker, host })));
    }

    const checking = checkContainers(items, { registry, logger, concurrency: 2 });
    for (let i = 0; i < 20; i += 1) await new Promise((r) => setImmediate(r));
    // Two at a time on each engine: four in flight in all, none of them waiting for the other engine.
    expect(Object.fromEntries(inFlight)).toEqual({ nas: 2, web: 2 });
    release();
    const checked = await checking;
    expect(checked.map((c) => `${c.report.host ?? ''}/${c.report.status}`).sort()).toEqual([
      'nas/fresh',
      'nas/fresh',
      'nas/fresh',
      'nas/fresh',
      'web/fresh',
      'web/fresh',
      'web/fresh',
      'web/fresh',
    ]);
  });
});
