import { describe, expect, it } from 'vitest';
import { headFailureLogLevel } from '../../../src/registry/head-failure.js';
import { runCycle } from '../../../src/update/cycle.js';
import { capturingLogger } from '../../support/fake-notifier.js';
import { digestOf, FakeDockerClient, FakeRegistryClient, imageIdOf } from '../../support/fakes.js';
import { selectionOptions } from '../../support/selection.js';

const selection = selectionOptions({ monitorOnly: true });

/** Two containers whose registry checks fail: one on Docker Hub, one on a private registry. */
async function failedCheckLevels(setting: 'auto' | 'always' | 'never'): Promise<Record<string, unknown>> {
  const docker = new FakeDockerClient()
    .addImage({ id: imageIdOf('hub'), repoDigests: [`nginx@${digestOf('n1')}`], repoTags: [] })
    .addImage({ id: imageIdOf('own'), repoDigests: [`registry.example/app@${digestOf('a1')}`], repoTags: [] })
    .addContainer({ name: 'hub', imageReference: 'nginx', imageId: imageIdOf('hub') })
    .addContainer({ name: 'own', imageReference: 'registry.example/app', imageId: imageIdOf('own') });
  const { logger, lines } = capturingLogger();
  await runCycle({
    docker,
    registry: new FakeRegistryClient(),
    logger,
    now: () => new Date(),
    selection,
    registryConcurrency: 2,
    registryFailureLevel: (image) => headFailureLogLevel(setting, image),
  });
  const failed = lines.filter((line) => line['msg'] === 'container failed');
  return Object.fromEntries(failed.map((line) => [String(line['container']), line['level']]));
}

describe('the log level of a failed registry check (--warn-on-head-failure)', () => {
  it('auto warns for Docker Hub and keeps info for a private registry', async () => {
    expect(await failedCheckLevels('auto')).toEqual({ hub: 40, own: 30 });
  });

  it('always warns, and never logs at debug', async () => {
    expect(await failedCheckLevels('always')).toEqual({ hub: 40, own: 40 });
    expect(await failedCheckLevels('never')).toEqual({ hub: 20, own: 20 });
  });
});
