import { DockerodeClient } from '../../src/docker/dockerode-client.js';
import { DockerodeSwarmServices } from '../../src/docker/dockerode-swarm.js';
import type { SwarmTask } from '../../src/docker/documents/swarm-task.js';
import { TEST_RUN_LABEL, testRunId } from './containers.js';
import { docker } from './docker-cli.js';
import { waitFor } from './polling.js';
import { TESTBED_LABEL, type Testbed } from './testbed.js';

/**
 * The SwarmServices adapter on the bed's Swarm engine, connected the way refit connects
 * (DOCKER_HOST, TLS with the bed's client certificate, API version negotiated).
 */
export async function connectSwarm(bed: Testbed): Promise<DockerodeSwarmServices> {
  const client = await DockerodeClient.connect({
    dockerHost: bed.swarm.dockerHost,
    tlsVerify: true,
    certPath: bed.swarm.certPath,
  });
  return new DockerodeSwarmServices(client.connection);
}

/**
 * `docker service create --detach` on `bed` (the Swarm engine) with the bed's labels
 * (`refit.testbed=1`, this run's id) added; resolves to the service ID. `args` come before the
 * image, `cmd` after it.
 */
export async function createTestService(
  bed: Testbed,
  name: string,
  image: string,
  args: readonly string[] = [],
  cmd: readonly string[] = [],
): Promise<string> {
  const labels = ['--label', `${TESTBED_LABEL}=1`, '--label', `${TEST_RUN_LABEL}=${testRunId}`];
  return docker(
    ['service', 'create', '--detach', '--quiet', '--name', name, ...labels, ...args, image, ...cmd],
    {
      bed,
    },
  );
}

/** Removes every service this test process created; call it in afterAll. */
export async function removeTestServices(bed: Testbed): Promise<number> {
  const ids = (
    await docker(['service', 'ls', '--quiet', '--filter', `label=${TEST_RUN_LABEL}=${testRunId}`], { bed })
  )
    .split('\n')
    .filter((id) => id !== '');
  if (ids.length > 0) await docker(['service', 'rm', ...ids], { bed });
  return ids.length;
}

/** The tasks Swarm wants running, with the image each runs and where it stands. */
export function desiredTasks(tasks: readonly SwarmTask[]): SwarmTask[] {
  return tasks.filter((task) => task.DesiredState === 'running');
}

/**
 * Waits until exactly `count` tasks of service `id` are wanted running and all of them run
 * `image` (the reference in the task spec, e.g. `name:tag@sha256:…`).
 */
export async function waitTasksRunning(
  swarm: DockerodeSwarmServices,
  id: string,
  image: string,
  count: number,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    async () => {
      const tasks = desiredTasks(await swarm.listTasks(id));
      const ready = tasks.filter(
        (t) => t.Status.State === 'running' && t.Spec.ContainerSpec?.Image === image,
      );
      return ready.length === count && tasks.length === count ? true : undefined;
    },
    `${count} tasks of ${id} running ${image}`,
    timeoutMs,
    250,
  );
}

/** The image ID a running task's container runs, read from the (single-node) Swarm engine. */
export async function taskImageId(bed: Testbed, task: SwarmTask): Promise<string> {
  const id = task.Status.ContainerStatus?.ContainerID;
  if (id === undefined) throw new Error(`task ${task.ID} has no container`);
  return docker(['container', 'inspect', '--format', '{{.Image}}', id], { bed });
}
