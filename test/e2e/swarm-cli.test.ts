import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerodeSwarmServices } from '../../src/docker/dockerode-swarm.js';
import type { CycleReport } from '../../src/domain/report.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { waitFor } from '../support/polling.js';
import { runRefit, type RefitRun } from '../support/refit-cli.js';
import {
  connectSwarm,
  createTestService,
  desiredTasks,
  removeTestServices,
  taskImageId,
} from '../support/swarm-services.js';
import { loadTestbedEngine, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

/**
 * refit as a user runs it on a Swarm manager: the command, pointed at the bed's Swarm engine over
 * TLS, finds the service by its scope label, updates it through Swarm, and leaves the service's
 * task containers (which carry the same scope label) to Swarm.
 */
describe('refit on a Swarm manager', { timeout: 240_000 }, () => {
  let bed: Testbed;
  let swarm: DockerodeSwarmServices;
  const scope = uniqueName('swarm-cli');
  const serviceName = uniqueName('web');
  let image: string;
  let serviceId: string;
  let v2: { digest: string; imageId: string };
  let run: RefitRun;
  let report: CycleReport;

  const tasksOn = async (pinned: string): Promise<number> =>
    desiredTasks(await swarm.listTasks(serviceId)).filter(
      (t) => t.Status.State === 'running' && t.Spec.ContainerSpec?.Image === pinned,
    ).length;

  beforeAll(async () => {
    bed = loadTestbedEngine('swarm');
    swarm = await connectSwarm(bed);
    image = `${bed.registries.open.host}/refit-swarm/${uniqueName('cli')}:stable`;
    await buildTestImage(image, { bed });
    const v1 = await pushImage(image, { bed });
    const scopeLabel = `com.centurylinklabs.watchtower.scope=${scope}`;
    serviceId = await createTestService(bed, serviceName, image, [
      '--label',
      scopeLabel,
      // The tasks' containers carry it too: only the Swarm-task rule keeps refit off them.
      '--container-label',
      scopeLabel,
      '--replicas',
      '2',
      '--update-monitor',
      '1s',
    ]);
    await waitFor(async () => ((await tasksOn(`${image}@${v1}`)) === 2 ? true : undefined), 'two tasks');

    const imageId = await buildTestImage(image, { bed });
    v2 = { imageId, digest: await pushImage(image, { bed }) };
    run = await runRefit(
      ['--run-once', '--report', 'json'],
      {
        DOCKER_HOST: bed.swarm.dockerHost,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: bed.swarm.certPath,
        REFIT_SCOPE: scope,
        REFIT_LOG_LEVEL: 'warn',
      },
      180_000,
    );
    report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as CycleReport;
  }, 240_000);

  afterAll(async () => {
    await removeTestServices(bed);
  });

  it('reports the service updated, under its name and ID, and nothing else', () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(report.containers).toHaveLength(1);
    expect(report.containers[0]).toMatchObject({
      name: serviceName,
      id: serviceId,
      status: 'updated',
      remoteDigest: v2.digest,
    });
  });

  it('pins the new digest in the same service, and every task runs the new image', async () => {
    const service = await swarm.inspectService(serviceId);
    expect(service?.ID).toBe(serviceId);
    expect(service?.Spec.TaskTemplate.ContainerSpec?.Image).toBe(`${image}@${v2.digest}`);
    expect(service?.UpdateStatus?.State).toBe('completed');
    const tasks = desiredTasks(await swarm.listTasks(serviceId));
    expect(tasks).toHaveLength(2);
    for (const task of tasks) expect(await taskImageId(bed, task)).toBe(v2.imageId);
  });
});
