import { randomBytes } from 'node:crypto';
import { docker } from './docker-cli.js';
import { TESTBED_LABEL, readTestbed, type Testbed } from './testbed.js';

/** Label naming the test process (each test file's module instance) that started a container. */
export const TEST_RUN_LABEL = 'refit.testbed.run';

/**
 * This test process's id. Random rather than the pid: vitest may run several files in one
 * process, each with its own module instance, and each must clean up only its own containers.
 */
export const testRunId: string = randomBytes(6).toString('hex');

export interface TestContainerOptions {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Extra `docker run` arguments, placed before the image. */
  readonly args?: readonly string[];
  /** Replaces the image's command. */
  readonly cmd?: readonly string[];
  readonly bed?: Testbed;
}

/**
 * `docker run -d` with the bed's labels (`refit.testbed=1`, `refit.testbed.run=<this run>`)
 * added, resolving to the container ID. refit copies labels to the containers it recreates, so
 * removeTestContainers() also finds those.
 */
export async function runTestContainer(image: string, opts: TestContainerOptions): Promise<string> {
  const labels = { ...opts.labels, [TESTBED_LABEL]: '1', [TEST_RUN_LABEL]: testRunId };
  const args = ['run', '--detach', '--name', opts.name];
  for (const [key, value] of Object.entries(labels)) args.push('--label', `${key}=${value}`);
  args.push(...(opts.args ?? []), image, ...(opts.cmd ?? []));
  return docker(args, { bed: opts.bed ?? readTestbed() });
}

/** Removes (with volumes) every container this test process started; call it in afterAll. */
export async function removeTestContainers(opts: { readonly bed?: Testbed } = {}): Promise<number> {
  const bed = opts.bed ?? readTestbed();
  const ids = (
    await docker(['ps', '--all', '--quiet', '--filter', `label=${TEST_RUN_LABEL}=${testRunId}`], { bed })
  )
    .split('\n')
    .filter((id) => id !== '');
  if (ids.length > 0) await docker(['rm', '--force', '--volumes', ...ids], { bed });
  return ids.length;
}
