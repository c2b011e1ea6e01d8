import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeClient } from '../../src/docker/dockerode-client.js';
import { DockerodeSwarmServices } from '../../src/docker/dockerode-swarm.js';
import type { SwarmService } from '../../src/docker/documents/swarm-service.js';
import { parseImageReference } from '../../src/domain/image-ref.js';
import { createStaticCredentialProvider } from '../../src/registry/credentials.js';
import { pullAuthFrom } from '../../src/update/engine/pull-auth.js';
import { withImage } from '../../src/update/services/service-subject.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { waitFor } from '../support/polling.js';
import {
  connectSwarm,
  createTestService,
  desiredTasks,
  waitTasksRunning,
  removeTestServices,
} from '../support/swarm-services.js';
import { loadTestbed, loadTestbedEngine, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

let bed: Testbed;
let swarmBed: Testbed;
let swarm: DockerodeSwarmServices;

beforeAll(async () => {
  bed = loadTestbed();
  swarmBed = loadTestbedEngine('swarm');
  swarm = await connectSwarm(swarmBed);
});

afterAll(async () => {
  await removeTestServices(swarmBed);
});

/** Builds an image on the Swarm engine and pushes it as `registry/repo:tag`; resolves to its digest. */
async function pushed(registry: string, repository: string, tag: string): Promise<string> {
  const ref = `${registry}/${repository}:${tag}`;
  await buildTestImage(ref, { bed: swarmBed });
  return pushImage(ref, { bed: swarmBed });
}

function runningOn(id: string, image: string, count: number): Promise<void> {
  return waitTasksRunning(swarm, id, image, count, 60_000);
}

describe('DockerodeSwarmServices on the bed Swarm manager', { timeout: 180_000 }, () => {
  it('knows a manager from an engine outside any Swarm', async () => {
    expect(await swarm.isManager()).toBe(true);
    const first = await DockerodeClient.connect({
      dockerHost: bed.dockerHost,
      tlsVerify: false,
      certPath: undefined,
    });
    expect(await new DockerodeSwarmServices(first.connection).isManager()).toBe(false);
  });

  it('lists, inspects and updates a service: the spec comes back unchanged except the image', async () => {
    const registry = bed.registries.open.host;
    const repository = `refit-it/${uniqueName('svc')}`;
    const v1 = await pushed(registry, repository, 'v1');
    const name = uniqueName('svc-api');
    const image = `${registry}/${repository}:v1`;
    const id = await createTestService(swarmBed, name, image, [
      '--replicas',
      '2',
      '--label',
      'team=refit',
      '--env',
      'KEEP=me',
      '--update-order',
      'start-first',
      '--update-monitor',
      '1s',
      '--rollback-monitor',
      '1s',
      '--restart-max-attempts',
      '3',
      '--limit-memory',
      '64m',
    ]);
    await runningOn(id, `${image}@${v1}`, 2);

    const listed = (await swarm.listServices()).find((service) => service.ID === id);
    const before = await swarm.inspectService(name);
    expect(before?.ID).toBe(id);
    expect(listed?.Spec).toEqual(before?.Spec);
    expect(before?.Spec.TaskTemplate.ContainerSpec?.Image).toBe(`${image}@${v1}`);
    expect(before?.Spec.Labels).toMatchObject({ team: 'refit' });
    expect(await swarm.inspectService(uniqueName('missing'))).toBeUndefined();

    const v2 = await pushed(registry, repository, 'v1');
    const current = before as SwarmService;
    const sent = await swarm.updateService(
      id,
      current.Version.Index,
      withImage(current.Spec, `${image}@${v2}`),
      {
        registryAuth: undefined,
      },
    );
    expect(sent).toEqual({ kind: 'accepted', warnings: [] });
    await runningOn(id, `${image}@${v2}`, 2);

    const after = await swarm.inspectService(id);
    // Everything the CLI set (labels, env, limits, restart and update settings) is as it was.
    expect(after?.Spec).toEqual(withImage(current.Spec, `${image}@${v2}`));
    expect(after?.PreviousSpec).toEqual(current.Spec);
    expect(after?.Version.Index).toBeGreaterThan(current.Version.Index);
    await waitFor(
      async () => ((await swarm.inspectService(id))?.UpdateStatus?.State === 'completed' ? true : undefined),
      'the update to complete',
      60_000,
      250,
    );

    // The old version index is refused: an expected state, not an error.
    expect(
      await swarm.updateService(id, current.Version.Index, current.Spec, { registryAuth: undefined }),
    ).toEqual({
      kind: 'out-of-sequence',
    });

    const tasks = await swarm.listTasks(id);
    expect(tasks.every((task) => task.ServiceID === id)).toBe(true);
    expect(
      desiredTasks(tasks)
        .map((task) => task.Slot)
        .sort(),
    ).toEqual([1, 2]);

    // rollback=previous puts the spec back as it was.
    const latest = (await swarm.inspectService(id)) as SwarmService;
    expect(
      await swarm.updateService(id, latest.Version.Index, latest.Spec, {
        registryAuth: undefined,
        rollback: 'previous',
      }),
    ).toMatchObject({ kind: 'accepted' });
    await runningOn(id, `${image}@${v1}`, 2);
    expect((await swarm.inspectService(id))?.Spec).toEqual(current.Spec);
  });

  it('forwards registry credentials so that the nodes can pull from an authenticating registry', async () => {
    const { host, username, password } = bed.registries.basic;
    const repository = `refit-it/${uniqueName('private')}`;
    const image = `${host}/${repository}:v1`;
    // Built and pushed from the first engine: the Swarm node has no copy, it must pull.
    const build = async (): Promise<string> => {
      await buildTestImage(image, { bed });
      return pushImage(image, { bed });
    };
    const v1 = await build();
    const name = uniqueName('svc-private');
    // Created without --with-registry-auth: the node cannot pull, and says so.
    const id = await createTestService(swarmBed, name, `${image}@${v1}`, ['--update-monitor', '1s']);
    const refused = await waitFor(
      async () => (await swarm.listTasks(id)).find((task) => task.Status.State === 'rejected')?.Status.Err,
      'the task without credentials to be rejected',
      60_000,
      250,
    );
    expect(refused).toMatch(/no basic auth credentials|No such image|denied|unauthorized/i);

    const v2 = await build();
    const auth = await pullAuthFrom(createStaticCredentialProvider({ username, password }))(
      parseImageReference(image),
    );
    expect(auth).toEqual({ username, password, serveraddress: host });
    const current = (await swarm.inspectService(id)) as SwarmService;
    await swarm.updateService(id, current.Version.Index, withImage(current.Spec, `${image}@${v2}`), {
      registryAuth: auth,
    });
    await runningOn(id, `${image}@${v2}`, 1);
    // The credentials live in the spec's pull options, which the API never shows.
    expect(JSON.stringify(await swarm.inspectService(id))).not.toContain(password);
  });
});
