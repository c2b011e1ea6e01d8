import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneCreateOptions } from '../../src/update/swap/clone/create-options.js';
import { containerDocument, imageDocument } from '../support/documents.js';
import {
  ROLES,
  V1_COMMAND,
  V2_COMMAND,
  V2_IMAGE,
  setUpCloneBed,
  tearDownCloneBed,
  type CloneBed,
} from '../fixtures/inspect/clone-bed.js';
import { comparableInspect as comparable, volumeAt, type Json } from '../support/comparable-inspect.js';
import { docker } from '../support/docker-cli.js';
import { freePort } from '../support/free-port.js';
import { buildTestImage } from '../support/images.js';
import { loadTestbed } from '../support/testbed.js';

describe('cloneCreateOptions against the real engine', () => {
  let cloneBed: CloneBed | undefined;
  let api: Docker;
  let apiVersion: string;
  let v2Id: string | undefined;
  const clones: string[] = [];
  const anonymousVolumes = new Set<string>();

  const ready = (): CloneBed => {
    if (cloneBed === undefined) throw new Error('the clone test bed was not set up');
    return cloneBed;
  };

  const inspectContainer = async (idOrName: string): Promise<Json> =>
    (await api.getContainer(idOrName).inspect()) as unknown as Json;

  /** Clones container `source` onto the v2 image under `name`: create, then connect the other networks. */
  async function createClone(
    source: string,
    name: string,
    containerName: (idOrName: string) => string | undefined = () => undefined,
  ): Promise<string> {
    const container = containerDocument(await inspectContainer(source));
    const oldImage = imageDocument(await api.getImage(container.Image).inspect());
    const newImage = imageDocument(await api.getImage(v2Id ?? '').inspect());
    const { createBody, extraNetworks } = cloneCreateOptions({
      container,
      oldImage,
      newImage,
      containerName,
      apiVersion,
    });
    // `_query` keeps the body out of the URL; dockerode would otherwise send it as query too.
    const created = await api.createContainer({
      ...createBody,
      name,
      _query: { name },
    } as Docker.ContainerCreateOptions);
    clones.push(name);
    for (const { network, endpointConfig } of extraNetworks) {
      await api.getNetwork(network).connect({ Container: created.id, EndpointConfig: endpointConfig });
    }
    return created.id;
  }

  async function runningAfterAWhile(id: string): Promise<Json> {
    await new Promise((resolve) => setTimeout(resolve, 500));
    return inspectContainer(id);
  }

  beforeAll(async () => {
    const bed = loadTestbed();
    cloneBed = await setUpCloneBed({ bed, tcpPort: await freePort('tcp'), udpPort: await freePort('udp') });
    for (const role of ROLES) {
      const mounts = JSON.parse(
        await docker(['inspect', '--format', '{{json .Mounts}}', cloneBed.names[role]], { bed }),
      ) as { Type?: string; Name?: string }[];
      for (const { Type, Name } of mounts) {
        if (Type === 'volume' && Name !== undefined && Name !== cloneBed.volume) anonymousVolumes.add(Name);
      }
    }
    v2Id = await buildTestImage(cloneBed.image, { ...V2_IMAGE, bed });
    api = new Docker({ socketPath: bed.dockerHost.replace(/^unix:\/\//, '') });
    apiVersion = ((await api.version()) as { ApiVersion: string }).ApiVersion;
  }, 180_000);

  afterAll(async () => {
    if (cloneBed === undefined) return;
    await tearDownCloneBed(cloneBed, {
      containers: clones,
      volumes: [...anonymousVolumes],
      images: v2Id === undefined ? [] : [v2Id],
    });
  }, 120_000);

  let wideCloneId: string | undefined;

  it('makes a container docker inspect shows as the same, except for what v2 changed', async () => {
    const wide = ready().names.wide;
    const original = await inspectContainer(wide);
    const cloneId = await createClone(wide, `${wide}-clone`);
    // The clone needs the original's static IPs, MAC and host ports: the original makes way.
    await api.getContainer(wide).stop({ t: 5 });
    await api.getContainer(cloneId).start();
    wideCloneId = cloneId;
    const cloned = await runningAfterAWhile(cloneId);

    const expected = comparable(original) as Json & {
      Config: Json & { Env: string[]; Labels: Json };
      HostConfig: Json & { Binds: string[] };
    };
    // What v2 changed: its default APP_MODE and Cmd apply; the user's GREETING and USER_ONLY stay.
    expected.Config.Env = expected.Config.Env.map((entry) =>
      entry === 'APP_MODE=one' ? 'APP_MODE=two' : entry,
    );
    expected.Config['Cmd'] = V2_COMMAND;
    expected.Config.Labels['app.version'] = '2';
    // The anonymous volumes, attached by name so their data comes along.
    expected.HostConfig.Binds = [
      ...expected.HostConfig.Binds,
      `${volumeAt(original, '/anon') ?? ''}:/anon`,
      `${volumeAt(original, '/data') ?? ''}:/data`,
    ].sort();
    expected.HostConfig['Mounts'] = [
      { Type: 'volume', Source: volumeAt(original, '/mnt-anon'), Target: '/mnt-anon' },
    ];
    // Attached by name, the engine reports them with its default volume mode `z` (an SELinux
    // relabel, a no-op elsewhere) where VOLUME and `-v /path` left it empty.
    for (const mount of expected['Mounts'] as { Destination: string; Mode: string }[]) {
      if (mount.Destination === '/anon' || mount.Destination === '/data') mount.Mode = 'z';
    }
    expect(comparable(cloned)).toEqual(expected);

    expect(cloned['State']).toMatchObject({ Running: true });
    expect([cloned['Path'], cloned['Args']]).toEqual(['/bin/sh', ['-c', ...V2_COMMAND]]);
    expect(await docker(['logs', cloneId], { bed: ready().bed })).toContain('v2');
    for (const destination of ['/anon', '/data', '/mnt-anon']) {
      expect(volumeAt(cloned, destination)).toMatch(/^[0-9a-f]{64}$/);
      expect(volumeAt(cloned, destination)).toBe(volumeAt(original, destination));
    }
  });

  it('joins the network namespace of a recreated owner through its current name', async () => {
    expect(wideCloneId).toBeDefined();
    const originalWide = containerDocument(await inspectContainer(ready().names.wide));
    const cloneName = `${ready().names.wide}-clone`;
    const id = await createClone(ready().names.shared, `${ready().names.shared}-clone`, (idOrName) =>
      idOrName === originalWide.Id ? cloneName : undefined,
    );
    await api.getContainer(id).start();
    const cloned = await runningAfterAWhile(id);
    expect(cloned['HostConfig']).toMatchObject({ NetworkMode: `container:${wideCloneId ?? ''}` });
    expect(cloned['State']).toMatchObject({ Running: true });
    expect(cloned['Config']).toMatchObject({ Cmd: V2_COMMAND });
  });

  it("keeps a user entrypoint's command that equals the old image's, and it runs", async () => {
    const id = await createClone(ready().names.entrypoint, `${ready().names.entrypoint}-clone`);
    await api.getContainer(id).start();
    const cloned = await runningAfterAWhile(id);
    expect(cloned['Config']).toMatchObject({ Entrypoint: ['/usr/local/bin/alt-entry'], Cmd: V1_COMMAND });
    expect(cloned['State']).toMatchObject({ Running: true });
    expect(await docker(['logs', id], { bed: ready().bed })).toContain('v1');
  });

  it("keeps a cleared entrypoint cleared rather than taking the new image's", async () => {
    const id = await createClone(ready().names.cleared, `${ready().names.cleared}-clone`);
    await api.getContainer(id).start();
    const cloned = await runningAfterAWhile(id);
    expect(cloned['Config']).toMatchObject({ Entrypoint: null });
    expect(cloned['Path']).toBe('sh');
    expect(cloned['State']).toMatchObject({ Running: true });
  });

  it('keeps a user hostname, domain, MAC address and legacy link on the default bridge', async () => {
    const { bridge, db } = ready().names;
    // Created only: started, it would share the original's MAC address on the same bridge.
    const id = await createClone(bridge, `${bridge}-clone`);
    const cloned = await inspectContainer(id);
    expect(cloned['Config']).toMatchObject({
      Hostname: 'custom-host',
      Domainname: 'example.test',
      MacAddress: '02:00:00:c1:0e:02',
    });
    expect(cloned['HostConfig']).toMatchObject({ Links: [`/${db}:/${bridge}-clone/db`] });
  });
});
