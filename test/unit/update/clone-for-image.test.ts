import { describe, expect, it } from 'vitest';
import type { ContainerInspect } from '../../../src/docker/documents/container-inspect.js';
import { cloneForImage } from '../../../src/update/swap/clone/clone-for-image.js';
import { containerDocument, imageDocument } from '../../support/documents.js';

const OLD = `sha256:${'1'.repeat(64)}`;
const NEW = `sha256:${'2'.repeat(64)}`;

const oldImage = imageDocument({ Id: OLD, Config: {} });
const newImage = imageDocument({ Id: NEW, Config: {} });

/** A source container for VolumesFrom, as the engine answers for it. */
function source(mounts: readonly Record<string, unknown>[]): ContainerInspect {
  return containerDocument({
    Id: 'd'.repeat(64),
    Name: '/data',
    Image: OLD,
    State: { Status: 'running', Running: true, ExitCode: 0, StartedAt: '2025-01-01T00:00:00Z' },
    Config: { Image: 'data:latest' },
    HostConfig: {},
    Mounts: mounts,
  });
}

function container(labels: Record<string, string>) {
  return containerDocument({
    Id: 'c'.repeat(64),
    Name: '/app',
    Image: OLD,
    State: { Status: 'running', Running: true, ExitCode: 0, StartedAt: '2025-01-01T00:00:00Z' },
    Config: { Image: 'app:latest', Labels: labels, Env: ['A=1'] },
    HostConfig: { NetworkMode: 'none' },
  });
}

const noContainers = { inspectContainer: () => Promise.resolve(undefined) };
const options = {
  apiVersion: '1.41',
  containerName: () => undefined,
  containers: noContainers,
  anonymousVolumes: 'carry',
} as const;

describe('cloneForImage', () => {
  it("points Compose v2's image label at the new image so compose does not recreate the container again", async () => {
    const clone = await cloneForImage(
      container({ 'com.docker.compose.image': OLD, 'com.docker.compose.service': 'app' }),
      oldImage,
      newImage,
      options,
    );
    expect(clone.createBody['Labels']).toEqual({
      'com.docker.compose.image': NEW,
      'com.docker.compose.service': 'app',
    });
  });

  it('adds no compose label to containers compose did not make', async () => {
    const clone = await cloneForImage(container({ team: 'a' }), oldImage, newImage, options);
    expect(clone.createBody['Labels']).toEqual({ team: 'a' });
  });

  it('keeps every value when the old image is gone, rather than guessing which were its defaults', async () => {
    const clone = await cloneForImage(
      container({}),
      undefined,
      imageDocument({ Id: NEW, Config: { Env: ['A=1'] } }),
      options,
    );
    expect(clone.createBody['Env']).toEqual(['A=1']);
  });
});

describe('cloneForImage with --volumes-from', () => {
  const volume = (name: string, destination: string) => ({
    Type: 'volume',
    Name: name,
    Destination: destination,
  });
  /** A container with `--volumes-from <source>` and an anonymous volume of its own at /own. */
  const consumer = (source: string) =>
    containerDocument({
      Id: 'c'.repeat(64),
      Name: '/app',
      Image: OLD,
      State: { Status: 'running', Running: true, ExitCode: 0, StartedAt: '2025-01-01T00:00:00Z' },
      Config: { Image: 'app:latest' },
      HostConfig: { NetworkMode: 'none', VolumesFrom: [source], Binds: null },
      Mounts: [volume('theirs', '/shared'), volume('mine', '/own')],
    });
  const hostConfig = (body: Record<string, unknown> | undefined) =>
    body?.['HostConfig'] as Record<string, unknown>;

  it('reads the source, watched or not, and leaves its volumes to VolumesFrom instead of pinning them', async () => {
    const asked: string[] = [];
    const containers = {
      inspectContainer: (name: string) => {
        asked.push(name);
        return Promise.resolve(name === 'data' ? source([volume('theirs', '/shared')]) : undefined);
      },
    };
    const clone = await cloneForImage(consumer('data:ro'), oldImage, newImage, { ...options, containers });
    expect(asked).toEqual(['data']);
    expect(hostConfig(clone.createBody)['VolumesFrom']).toEqual(['data:ro']);
    expect(hostConfig(clone.createBody)['Binds']).toEqual(['mine:/own']);
  });

  it('follows a source known by the ID of a container since recreated to its name', async () => {
    const oldSourceId = 'd'.repeat(64);
    const containers = {
      inspectContainer: (name: string) =>
        Promise.resolve(name === 'data' ? source([volume('fresh', '/shared')]) : undefined),
    };
    const clone = await cloneForImage(consumer(oldSourceId), oldImage, newImage, {
      ...options,
      containers,
      containerName: (id) => (id === oldSourceId ? '/data' : undefined),
    });
    expect(hostConfig(clone.createBody)['VolumesFrom']).toEqual(['data']);
    expect(hostConfig(clone.createBody)['Binds']).toEqual(['mine:/own']);
  });

  it('with remove-volumes gives the container fresh anonymous volumes of its own', async () => {
    const containers = { inspectContainer: () => Promise.resolve(source([volume('theirs', '/shared')])) };
    const clone = await cloneForImage(consumer('data'), oldImage, newImage, {
      ...options,
      containers,
      anonymousVolumes: 'fresh',
    });
    expect(hostConfig(clone.createBody)['Binds']).toBeNull();
    expect(hostConfig(clone.createBody)['VolumesFrom']).toEqual(['data']);
  });
});
