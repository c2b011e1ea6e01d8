import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTestContainer } from './containers.js';
import { DockerCliError, docker } from './docker-cli.js';
import { TESTBED_LABEL, type Testbed } from './testbed.js';

/**
 * The "wide" container: one run with as many `docker run` options as the engine accepts
 * together, so a test can show that a copy of it (the create-config clone, a real swap) keeps
 * every one of them. Its networks, named volume and bind directory are made per test file.
 */

export interface WideResources {
  /** Two labelled bridge networks: the container is created on the first, connected to the second. */
  readonly networks: readonly [string, string];
  /** The container's static address on each network. */
  readonly staticIps: readonly [string, string];
  readonly macAddress: string;
  /** A named volume, mounted at /named. */
  readonly volume: string;
  /** A host directory, bound read-only at /bind. */
  readonly bindDir: string;
}

/** Makes the networks `<id>-front` and `<id>-back`, the volume `<id>-named` and a bind directory. */
export async function createWideResources(bed: Testbed, id: string): Promise<WideResources> {
  const [first, firstPrefix] = await createTestNetwork(bed, `${id}-front`);
  const [second, secondPrefix] = await createTestNetwork(bed, `${id}-back`);
  const volume = `${id}-named`;
  await docker(['volume', 'create', '--label', `${TESTBED_LABEL}=1`, volume], { bed });
  return {
    networks: [first, second],
    staticIps: [`${firstPrefix}.10`, `${secondPrefix}.20`],
    macAddress: '02:00:00:c1:0e:01',
    volume,
    bindDir: await mkdtemp(join(tmpdir(), 'refit-wide-bind-')),
  };
}

/** Removes what createWideResources made; the containers using them must be gone already. */
export async function removeWideResources(bed: Testbed, resources: WideResources): Promise<void> {
  const quiet = (args: string[]) => docker(args, { bed }).catch(() => '');
  for (const network of resources.networks) await quiet(['network', 'rm', network]);
  await quiet(['volume', 'rm', '--force', resources.volume]);
  await rm(resources.bindDir, { recursive: true, force: true });
}

export interface WideContainerOptions {
  readonly bed: Testbed;
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly resources: WideResources;
  /** Free host ports: TCP published on 127.0.0.1 only, UDP on every address. */
  readonly tcpPort: number;
  readonly udpPort: number;
  /** A container on the first network to link to as `database`. */
  readonly link?: string;
}

/**
 * `docker run`s the wide container from `image` (with the bed's labels, see runTestContainer),
 * then connects it to the second network with alias `extra` and the second static IP.
 * The image is expected to run as user 1000 with a read-only root: only the volumes are writable.
 */
export async function runWideContainer(image: string, opts: WideContainerOptions): Promise<string> {
  const { bed, resources } = opts;
  const [first, second] = resources.networks;
  // prettier-ignore
  const args = [
    '--network', first, '--ip', resources.staticIps[0], '--network-alias', 'web', '--network-alias', 'app',
    '--mac-address', resources.macAddress,
    ...(opts.link === undefined ? [] : ['--link', `${opts.link}:database`]),
    '--env', 'GREETING=custom', '--env', 'USER_ONLY=1',
    '--publish', `127.0.0.1:${opts.tcpPort}:80`, '--publish', `${opts.udpPort}:53/udp`,
    '--volume', `${resources.volume}:/named`, '--volume', '/anon', '--volume', `${resources.bindDir}:/bind:ro`,
    '--mount', 'type=volume,dst=/mnt-anon', '--tmpfs', '/scratch:size=1m',
    '--restart', 'on-failure:3',
    '--health-cmd', 'true', '--health-interval', '5s',
    '--user', '1000:1000', '--workdir', '/work',
    '--cap-add', 'NET_ADMIN', '--cap-drop', 'MKNOD',
    '--device', '/dev/null:/dev/xnull', '--ulimit', 'nofile=1024:2048',
    '--log-opt', 'max-size=1m', '--add-host', 'db.local:10.1.2.3', '--dns', '10.9.9.9',
    '--memory', '64m', '--cpus', '0.5', '--read-only', '--init',
    '--stop-signal', 'SIGINT', '--stop-timeout', '7',
  ];
  const id = await runTestContainer(image, {
    bed,
    name: opts.name,
    labels: { 'app.owner': 'ops', ...opts.labels },
    args,
  });
  await docker(
    ['network', 'connect', '--alias', 'extra', '--ip', resources.staticIps[1], second, opts.name],
    {
      bed,
    },
  );
  return id;
}

/** A labelled bridge network on a random /24 (parallel test files each make their own). */
export async function createTestNetwork(bed: Testbed, name: string): Promise<[string, string]> {
  for (let attempt = 0; ; attempt += 1) {
    const prefix = `10.${randomInt(200, 250)}.${randomInt(0, 256)}`;
    try {
      await docker(
        ['network', 'create', '--label', `${TESTBED_LABEL}=1`, '--subnet', `${prefix}.0/24`, name],
        { bed },
      );
      return [name, prefix];
    } catch (error) {
      if (attempt >= 5 || !(error instanceof DockerCliError) || !/overlap/i.test(error.stderr)) throw error;
    }
  }
}
