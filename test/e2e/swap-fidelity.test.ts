import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1_IMAGE, V2_COMMAND, V2_IMAGE } from '../fixtures/inspect/clone-bed.js';
import { comparableInspect, volumeAt, type Json } from '../support/comparable-inspect.js';
import { removeTestContainers } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { freePort } from '../support/free-port.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { containerNames, runNamedUpdateCycle, runUpdateCycle, updateEnv } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';
import {
  createWideResources,
  removeWideResources,
  runWideContainer,
  type WideResources,
} from '../support/wide-container.js';

/**
 * The promise of a swap, checked on the widest container the engine accepts: after refit
 * replaced it with one from a newer image, `docker inspect` shows the same container except
 * its identity, its state and what the new image changed, and data in its anonymous volumes
 * is still there. It must hold however the container was selected: with everything in its scope
 * watched, and named alone (refit's positional argument), when refit knows no other container.
 */

interface Endpoint extends Json {
  IPAddress: string;
  MacAddress: string;
  Aliases: string[] | null;
  IPAMConfig: { IPv4Address?: string } | null;
}

interface Inspect extends Json {
  Id: string;
  Name: string;
  Image: string;
  Path: string;
  Args: string[];
  State: { Running: boolean; Health?: { Status: string } };
  Config: Json & { Env: string[]; Labels: Record<string, string>; Image: string };
  HostConfig: Json & { Binds: string[]; PortBindings: Json };
  NetworkSettings: Json & { Networks: Record<string, Endpoint>; Ports: Json };
}

/** Where the test writes a file before the swap, by mount. */
const KEPT_FILES = ['/anon', '/data', '/mnt-anon', '/named'].map((dir) => `${dir}/kept.txt`);
/** The anonymous volumes: `--volume /anon`, the image's `VOLUME /data`, `--mount type=volume,dst=/mnt-anon`. */
const ANONYMOUS = ['/anon', '/data', '/mnt-anon'];

/** How refit is told which containers to watch. */
const SELECTIONS = ['with its scope watched', 'selected by name only'] as const;

describe.each(SELECTIONS)('a swap keeps every docker run option of a wide container, %s', (selection) => {
  let bed: Testbed;
  const scope = uniqueName(selection === 'selected by name only' ? 'fidelity-named' : 'fidelity');
  const name = `${scope}-wide`;
  let image: string;
  let resources: WideResources | undefined;
  let stateDir: string | undefined;
  const imageIds: string[] = [];
  const anonymousVolumes: string[] = [];
  const ports = { tcp: 0, udp: 0 };
  let before: Inspect;
  let after: Inspect;
  let v2Id: string;
  let result: Awaited<ReturnType<typeof runUpdateCycle>>;

  const inspect = async (): Promise<Inspect> => {
    const [first] = JSON.parse(await docker(['container', 'inspect', name], { bed })) as Inspect[];
    if (first === undefined) throw new Error(`no container ${name}`);
    return first;
  };
  const ready = (): WideResources => {
    if (resources === undefined) throw new Error('the wide container was not set up');
    return resources;
  };

  beforeAll(async () => {
    bed = loadTestbed();
    image = `${bed.registries.open.host}/${scope}/app:latest`;
    imageIds.push(await buildTestImage(image, { ...V1_IMAGE, bed }));
    await pushImage(image, { bed });
    resources = await createWideResources(bed, scope);
    ports.tcp = await freePort('tcp');
    ports.udp = await freePort('udp');
    await runWideContainer(image, {
      bed,
      name,
      labels: { 'com.centurylinklabs.watchtower.scope': scope },
      resources,
      tcpPort: ports.tcp,
      udpPort: ports.udp,
    });
    // The container runs as user 1000 on a read-only root; the fresh volumes belong to root.
    const write = KEPT_FILES.map((file) => `echo kept > ${file}`).join(' && ');
    await docker(['exec', '--user', '0:0', name, 'sh', '-c', write], { bed });
    before = await inspect();
    for (const destination of ANONYMOUS) anonymousVolumes.push(volumeAt(before, destination) ?? '');

    // v2 is pushed from elsewhere: the registry has it, this engine does not.
    v2Id = await buildTestImage(image, { ...V2_IMAGE, bed });
    imageIds.push(v2Id);
    await pushImage(image, { bed });
    await docker(['image', 'rm', image], { bed });

    stateDir = await mkdtemp(join(tmpdir(), 'refit-state-'));
    result =
      selection === 'selected by name only'
        ? await runNamedUpdateCycle(bed, [name], [], updateEnv(bed, stateDir))
        : await runUpdateCycle(bed, scope, [], updateEnv(bed, stateDir));
    after = await inspect();
  }, 300_000);

  afterAll(async () => {
    await removeTestContainers({ bed });
    if (resources !== undefined) await removeWideResources(bed, resources);
    // Attached by name after the swap, the anonymous volumes no longer go with `rm --volumes`.
    const volumes = anonymousVolumes.filter((volume) => volume !== '');
    if (volumes.length > 0) await docker(['volume', 'rm', '--force', ...volumes], { bed }).catch(() => '');
    await docker(['image', 'rm', '--force', image, ...imageIds], { bed }).catch(() => '');
    if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
  }, 120_000);

  it('reports the container updated to the pushed image and exits 0', () => {
    if (selection === 'selected by name only') {
      expect(result.report.containers.map((c) => c.name)).toEqual([name]);
    }
    const report = result.byName(name);
    expect(report.status, report.reason).toBe('updated');
    expect(result.run.code, result.run.stderr.slice(-2000)).toBe(0);
    expect(report.newId).toBe(after.Id);
    expect(after.Id).not.toBe(before.Id);
    expect(after.Image).toBe(v2Id);
    expect(after.Config.Image).toBe(image);
  });

  it('leaves one running, healthy container under the same name, running the new command', async () => {
    expect(await containerNames(scope)).toEqual([name]);
    expect(after.Name).toBe(before.Name);
    expect(after.State.Running).toBe(true);
    expect(after.State.Health?.Status).toBe('healthy');
    expect([after.Path, after.Args]).toEqual(['/bin/sh', ['-c', ...V2_COMMAND]]);
    expect(await docker(['logs', name], { bed })).toContain('v2');
  });

  it('shows the same docker inspect, but for identity, state and what v2 changed', () => {
    const expected = comparableInspect(before) as Inspect;
    // What v2 changed: its default APP_MODE, command and app.version label; the user's
    // GREETING, USER_ONLY and app.owner stay.
    expected.Config.Env = expected.Config.Env.map((entry) =>
      entry === 'APP_MODE=one' ? 'APP_MODE=two' : entry,
    );
    expected.Config['Cmd'] = V2_COMMAND;
    expected.Config.Labels['app.version'] = '2';
    // The anonymous volumes come along by name: `-v` ones and the image's VOLUME as binds,
    // `--mount` ones as mounts. Bound by name, the engine reports its default mode `z` (an
    // SELinux relabel, a no-op elsewhere) where `-v /path` and VOLUME left it empty.
    const [anon, data, mntAnon] = anonymousVolumes;
    expected.HostConfig.Binds = [
      ...expected.HostConfig.Binds,
      `${anon ?? ''}:/anon`,
      `${data ?? ''}:/data`,
    ].sort();
    expected.HostConfig['Mounts'] = [{ Type: 'volume', Source: mntAnon, Target: '/mnt-anon' }];
    for (const mount of expected['Mounts'] as { Destination: string; Mode: string }[]) {
      if (mount.Destination === '/anon' || mount.Destination === '/data') mount.Mode = 'z';
    }
    expect(comparableInspect(after)).toEqual(expected);
    expect(after.Config.Env).toContain('APP_MODE=two');
    expect(after.Config.Env).toContain('GREETING=custom');
    expect(after.Config.Labels).toMatchObject({ 'app.version': '2', 'app.owner': 'ops' });
  });

  it('keeps the anonymous volumes, and the files written into them', async () => {
    for (const [index, destination] of ANONYMOUS.entries()) {
      expect(volumeAt(after, destination)).toBe(anonymousVolumes[index]);
    }
    expect(volumeAt(after, '/named')).toBe(ready().volume);
    for (const file of KEPT_FILES) {
      expect(await docker(['exec', name, 'cat', file], { bed }), file).toBe('kept');
    }
  });

  it('keeps both networks with their aliases, static IPs and MAC address, and the port bindings', () => {
    const [front, back] = ready().networks;
    const [frontIp, backIp] = ready().staticIps;
    const networks = after.NetworkSettings.Networks;
    expect(Object.keys(networks).sort()).toEqual([front, back].sort());
    expect(networks[front]).toMatchObject({
      IPAddress: frontIp,
      MacAddress: ready().macAddress,
      IPAMConfig: { IPv4Address: frontIp },
    });
    // The engine is below API 1.44: `--mac-address` put the address in Config.MacAddress.
    expect(before.Config['MacAddress']).toBe(ready().macAddress);
    expect(after.Config['MacAddress']).toBe(ready().macAddress);
    expect(networks[front]?.Aliases).toEqual(expect.arrayContaining(['web', 'app']));
    expect(networks[back]).toMatchObject({ IPAddress: backIp, IPAMConfig: { IPv4Address: backIp } });
    expect(networks[back]?.Aliases).toEqual(expect.arrayContaining(['extra']));
    expect(networks[back]?.MacAddress).toBe(before.NetworkSettings.Networks[back]?.MacAddress);
    const bindings = {
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(ports.tcp) }],
      '53/udp': [{ HostIp: '', HostPort: String(ports.udp) }],
    };
    expect(after.HostConfig.PortBindings).toEqual(bindings);
    expect(after.NetworkSettings.Ports).toEqual(before.NetworkSettings.Ports);
    expect(after.NetworkSettings.Ports).toMatchObject({
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(ports.tcp) }],
    });
  });
});
