import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { negotiateApiVersion } from '../../src/docker/api-version.js';
import { DockerodeClient } from '../../src/docker/dockerode-client.js';
import { discoverContainers } from '../../src/update/detect/discover.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { loadTestbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

describe('DockerodeClient against the real engine', () => {
  let client: DockerodeClient;
  const name = uniqueName('dc');
  let image: string;
  let pushedDigest: string;

  beforeAll(async () => {
    const bed = loadTestbed();
    client = await DockerodeClient.connect({
      dockerHost: bed.dockerHost,
      tlsVerify: false,
      certPath: undefined,
    });
    image = `${bed.registries.open.host}/${name}/app:1`;
    await buildTestImage(image, { marker: name, labels: { 'refit.test.image': name } });
    pushedDigest = await pushImage(image);
    await runTestContainer(image, { name, labels: { 'com.centurylinklabs.watchtower.enable': 'true' } });
  }, 120_000);

  afterAll(async () => {
    await removeTestContainers();
  });

  it('negotiates an API version the engine supports', async () => {
    const engineApi = (await docker(['version', '--format', '{{.Server.APIVersion}}'])).trim();
    expect(client.apiVersion).toBe(negotiateApiVersion(engineApi));
    await expect(client.ping()).resolves.toBeUndefined();
  });

  it('lists a container with its name, state, labels and the reference it was created from', async () => {
    const found = (await client.listContainers()).find((c) => c.name === name);
    expect(found).toMatchObject({
      state: 'running',
      imageReference: image,
      labels: expect.objectContaining({ 'com.centurylinklabs.watchtower.enable': 'true' }) as unknown,
    });
    expect(found?.imageId).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('names a link target by its own name, not the linking alias', async () => {
    const linker = `${name}-linker`;
    await runTestContainer(image, { name: linker, args: ['--link', `${name}:db`] });
    const listed = (await client.listContainers()).filter((c) => c.name.startsWith(name));
    expect(listed.map((c) => c.name).sort()).toEqual([name, linker].sort());
    // The list has no links, but the link shows as a name of its target; the snapshot has it back.
    expect(listed.find((c) => c.name === linker)?.links).toEqual([`/${name}:/${linker}/db`]);
    expect(listed.find((c) => c.name === name)?.links).toEqual([]);
  });

  it("gives the network mode a container shares another one's namespace by", async () => {
    const sharer = `${name}-sharer`;
    await runTestContainer(image, { name: sharer, args: ['--network', `container:${name}`] });
    const target = (await client.listContainers()).find((c) => c.name === name);
    const found = (await client.listContainers()).find((c) => c.name === sharer);
    expect(found?.networkMode).toBe(`container:${target?.id ?? ''}`);
  });

  it('discovery keeps the original reference after the tag moved to another image, and the inspect it read', async () => {
    await buildTestImage(image, { marker: `${name}-moved` });
    const found = (await discoverContainers(client, () => true)).find((c) => c.container.name === name);
    expect(found?.container.imageReference).toBe(image);
    expect(found?.inspect?.Config.Image).toBe(image);
  });

  it('spends no inspect on naming the moved image of a container the caller does not want', async () => {
    // The tag moved in the test above; asked to name only other containers, the list's
    // image ID stands (no inspect was made to find the reference).
    const asked: string[] = [];
    const listed = await discoverContainers(client, (container) => {
      asked.push(container.name);
      return container.name !== name;
    });
    const found = listed.find((c) => c.container.name === name);
    expect(asked).toContain(name);
    expect(found?.inspect).toBeUndefined();
    expect(found?.container.imageReference).toBe(found?.container.imageId);
    expect(found?.container.imageReference).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it("reads the image's repo digests, and answers undefined for a missing image", async () => {
    const found = (await client.listContainers()).find((c) => c.name === name);
    const document = await client.inspectImage(found?.imageId ?? '');
    expect(document?.RepoDigests).toContain(`${image.replace(/:1$/, '')}@${pushedDigest}`);
    await expect(client.inspectImage(`sha256:${'0'.repeat(64)}`)).resolves.toBeUndefined();
  });

  it('names the engine when it cannot be reached', async () => {
    await expect(
      DockerodeClient.connect({
        dockerHost: 'unix:///nonexistent/docker.sock',
        tlsVerify: false,
        certPath: undefined,
      }),
    ).rejects.toMatchObject({ code: 'ENGINE_UNREACHABLE' });
  });
});
