import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedMacAddress } from '../../src/update/swap/clone/network-endpoints.js';
import { comparableInspect, volumeAt, type Json } from '../support/comparable-inspect.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { runNamedUpdateCycle, updateEnv, type UpdateCycle } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';
import { createTestNetwork } from '../support/wide-container.js';

/**
 * Swaps at the edges of what a clone must keep, each container selected by name alone (refit's
 * positional arguments), so refit knows nothing about any other container:
 * - `--volumes-from` a container refit does not watch: the new container must keep getting the
 *   volumes through VolumesFrom, not as binds pinned to the source's volumes of today;
 * - `--mac-address` on an engine below API 1.44 (the bed's): the address stays in
 *   Config.MacAddress, with `--network none` and when it looks like one Docker derives from the IP;
 * - a label refit cannot read: the container is skipped, untouched, with the label named.
 */

interface Inspect extends Json {
  Id: string;
  Image: string;
  State: { Running: boolean };
  Config: Json & { MacAddress?: string };
  HostConfig: Json & { VolumesFrom: string[] | null; Binds: string[] | null; NetworkMode: string };
  NetworkSettings: Json & { Networks: Record<string, { MacAddress: string; IPAddress: string }> };
}

describe('swap fidelity at the edges, containers selected by name only', () => {
  let bed: Testbed;
  const id = uniqueName('edges');
  const image = (): string => `${bed.registries.open.host}/${id}/app:latest`;
  const names = {
    none: `${id}-none`,
    derived: `${id}-derived`,
    source: `${id}-source`,
    consumer: `${id}-consumer`,
    badLabel: `${id}-bad-label`,
  };
  const noneMac = '02:00:00:ed:9e:01';
  let derivedMac = '';
  let network = '';
  const imageIds: string[] = [];
  const before = new Map<string, Inspect>();
  const after = new Map<string, Inspect>();
  let result: UpdateCycle;

  const inspect = async (name: string): Promise<Inspect> => {
    const [first] = JSON.parse(await docker(['container', 'inspect', name], { bed })) as Inspect[];
    if (first === undefined) throw new Error(`no container ${name}`);
    return first;
  };
  const got = (map: Map<string, Inspect>, name: string): Inspect => {
    const found = map.get(name);
    if (found === undefined) throw new Error(`${name} was not inspected`);
    return found;
  };

  beforeAll(async () => {
    bed = loadTestbed();
    imageIds.push(await buildTestImage(image(), { bed }));
    await pushImage(image(), { bed });
    const [name, prefix] = await createTestNetwork(bed, `${id}-net`);
    network = name;
    const ip = `${prefix}.10`;
    derivedMac = derivedMacAddress(ip) ?? '';

    await runTestContainer(image(), {
      bed,
      name: names.none,
      args: ['--network', 'none', '--mac-address', noneMac],
    });
    await runTestContainer(image(), {
      bed,
      name: names.derived,
      args: ['--network', network, '--ip', ip, '--mac-address', derivedMac],
    });
    // The source runs the bed's base image and is never named to refit: outside the watched set.
    await runTestContainer(bed.images.base, { bed, name: names.source, args: ['--volume', '/shared'] });
    await docker(['exec', names.source, 'sh', '-c', 'echo from-source > /shared/kept.txt'], { bed });
    // No network: an address the engine hands out anew would differ in the inspect comparison.
    await runTestContainer(image(), {
      bed,
      name: names.consumer,
      args: ['--network', 'none', '--volumes-from', names.source],
    });
    await runTestContainer(image(), {
      bed,
      name: names.badLabel,
      labels: { 'com.centurylinklabs.watchtower.stop-signal': 'SIGNOPE' },
    });
    for (const name of Object.values(names)) before.set(name, await inspect(name));

    // v2 is pushed from elsewhere: the registry has it, this engine does not.
    imageIds.push(await buildTestImage(image(), { bed }));
    await pushImage(image(), { bed });
    await docker(['image', 'rm', image()], { bed });

    // Every refit gets a state directory of its own (updateEnv makes a fresh one).
    result = await runNamedUpdateCycle(
      bed,
      [names.none, names.derived, names.consumer, names.badLabel],
      [],
      updateEnv(bed),
    );
    for (const name of Object.values(names)) after.set(name, await inspect(name));
  }, 300_000);

  afterAll(async () => {
    await removeTestContainers({ bed });
    const quiet = (args: string[]) => docker(args, { bed }).catch(() => '');
    const leftovers = await quiet(['ps', '-aq', '--filter', `name=${id}`]);
    if (leftovers !== '') await quiet(['rm', '--force', '--volumes', ...leftovers.split('\n')]);
    if (network !== '') await quiet(['network', 'rm', network]);
    await quiet(['image', 'rm', '--force', image(), ...imageIds]);
  }, 120_000);

  it('updates the named containers, skips the one with a bad label, and watches nothing else', () => {
    const summary = result.report.containers.map((c) => `${c.name}: ${c.status} (${c.reason})`).join('\n');
    expect(result.report.containers.map((c) => c.name).sort(), summary).toEqual(
      [names.none, names.derived, names.consumer, names.badLabel].sort(),
    );
    for (const name of [names.none, names.derived, names.consumer]) {
      expect(result.byName(name).status, summary).toBe('updated');
      expect(got(after, name).Id).not.toBe(got(before, name).Id);
      expect(got(after, name).State.Running).toBe(true);
    }
    expect(result.run.code, result.run.stderr.slice(-2000)).toBe(0);
  });

  it('keeps a --volumes-from source outside the watched set as VolumesFrom, not as pinned binds', async () => {
    const old = got(before, names.consumer);
    const now = got(after, names.consumer);
    expect(now.HostConfig.VolumesFrom).toEqual([names.source]);
    expect(now.HostConfig.Binds).toBeNull();
    expect(comparableInspect(now)).toEqual(comparableInspect(old));
    // Still the source's volume and data, and the source itself untouched.
    const sourceVolume = volumeAt(got(before, names.source), '/shared');
    expect(volumeAt(now, '/shared')).toBe(sourceVolume);
    expect(await docker(['exec', names.consumer, 'cat', '/shared/kept.txt'], { bed })).toBe('from-source');
    expect(got(after, names.source).Id).toBe(got(before, names.source).Id);
  });

  it('keeps a --mac-address with --network none in Config.MacAddress', () => {
    const now = got(after, names.none);
    expect(got(before, names.none).Config.MacAddress).toBe(noneMac);
    expect(now.Config.MacAddress).toBe(noneMac);
    expect(now.HostConfig.NetworkMode).toBe('none');
    expect(comparableInspect(now)).toEqual(comparableInspect(got(before, names.none)));
  });

  it('keeps a --mac-address that looks derived from the static IP in Config.MacAddress', () => {
    const old = got(before, names.derived);
    const now = got(after, names.derived);
    expect(derivedMac).toMatch(/^02:42:/);
    expect(old.Config.MacAddress).toBe(derivedMac);
    expect(now.Config.MacAddress).toBe(derivedMac);
    expect(now.NetworkSettings.Networks[network]).toMatchObject({
      MacAddress: derivedMac,
      IPAddress: old.NetworkSettings.Networks[network]?.IPAddress,
    });
    expect(comparableInspect(now)).toEqual(comparableInspect(old));
  });

  it('skips a container whose label refit cannot read, naming it, and leaves the container alone', () => {
    const report = result.byName(names.badLabel);
    expect(report.status).toBe('skipped');
    expect(report.reason).toBe(
      'label com.centurylinklabs.watchtower.stop-signal="SIGNOPE" is not a signal name like SIGTERM or a number',
    );
    expect(got(after, names.badLabel).Id).toBe(got(before, names.badLabel).Id);
    expect(got(after, names.badLabel).State.Running).toBe(true);
  });
});
