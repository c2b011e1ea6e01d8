import { describe, expect, it } from 'vitest';
import type { ImageStore } from '../../../src/docker/container-runtime.js';
import { parseContainerInspect } from '../../../src/docker/create-options.js';
import { cloneForImage } from '../../../src/update/clone-for-image.js';

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
const options = { apiVersion: '1.41', containerName: () => undefined };

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
