import { describe, expect, it } from 'vitest';
import type { ImageStore } from '../../../src/docker/container-runtime.js';
import { parseContainerInspect } from '../../../src/update/swap/clone/create-options.js';
import { cloneForImage } from '../../../src/update/swap/clone/clone-for-image.js';

const OLD = `sha256:${'1'.repeat(64)}`;
const NEW = `sha256:${'2'.repeat(64)}`;

function images(known: Record<string, unknown>): ImageStore {
  return {
    pullImage: () => Promise.reject(new Error('no pulls here')),
    inspectImageRaw: (id) => Promise.resolve(known[id]),
    removeImage: () => Promise.resolve('missing'),
  };
}

function container(labels: Record<string, string>) {
  return parseContainerInspect({
    Id: 'c'.repeat(64),
    Image: OLD,
    Config: { Image: 'app:latest', Labels: labels, Env: ['A=1'] },
    HostConfig: { NetworkMode: 'none' },
  });
}

const store = images({ [OLD]: { Id: OLD, Config: {} }, [NEW]: { Id: NEW, Config: {} } });
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
      store,
      container({ 'com.docker.compose.image': OLD, 'com.docker.compose.service': 'app' }),
      NEW,
      options,
    );
    expect(clone?.createBody['Labels']).toEqual({
      'com.docker.compose.image': NEW,
      'com.docker.compose.service': 'app',
    });
  });

  it('adds no compose label to containers compose did not make', async () => {
    const clone = await cloneForImage(store, container({ team: 'a' }), NEW, options);
    expect(clone?.createBody['Labels']).toEqual({ team: 'a' });
  });

  it('keeps every value when the old image is gone, rather than guessing which were its defaults', async () => {
    const clone = await cloneForImage(
      images({ [NEW]: { Id: NEW, Config: { Env: ['A=1'] } } }),
      container({}),
      NEW,
      options,
    );
    expect(clone?.createBody['Env']).toEqual(['A=1']);
  });

  it('answers undefined when the new image is missing', async () => {
    expect(await cloneForImage(images({}), container({}), NEW, options)).toBeUndefined();
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
    parseContainerInspect({
      Id: 'c'.repeat(64),
      Image: OLD,
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
        return Promise.resolve(name === 'data' ? { Mounts: [volume('theirs', '/shared')] } : undefined);
      },
    };
    const clone = await cloneForImage(store, consumer('data:ro'), NEW, { ...options, containers });
    expect(asked).toEqual(['data']);
    expect(hostConfig(clone?.createBody)['VolumesFrom']).toEqual(['data:ro']);
    expect(hostConfig(clone?.createBody)['Binds']).toEqual(['mine:/own']);
  });

  it('follows a source known by the ID of a container since recreated to its name', async () => {
    const oldSourceId = 'd'.repeat(64);
    const containers = {
      inspectContainer: (name: string) =>
        Promise.resolve(name === 'data' ? { Mounts: [volume('fresh', '/shared')] } : undefined),
    };
    const clone = await cloneForImage(store, consumer(oldSourceId), NEW, {
      ...options,
      containers,
      containerName: (id) => (id === oldSourceId ? '/data' : undefined),
    });
    expect(hostConfig(clone?.createBody)['VolumesFrom']).toEqual(['data']);
    expect(hostConfig(clone?.createBody)['Binds']).toEqual(['mine:/own']);
  });

  it('with remove-volumes gives the container fresh anonymous volumes of its own', async () => {
    const containers = { inspectContainer: () => Promise.resolve({ Mounts: [volume('theirs', '/shared')] }) };
    const clone = await cloneForImage(store, consumer('data'), NEW, {
      ...options,
      containers,
      anonymousVolumes: 'fresh',
    });
    expect(hostConfig(clone?.createBody)['Binds']).toBeNull();
    expect(hostConfig(clone?.createBody)['VolumesFrom']).toEqual(['data']);
  });
});
