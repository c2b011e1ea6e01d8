/**
 * The bed's extra engines share this machine's network namespace with the first engine, where
 * every container test runs. This file proves they leave it alone: a container on the first
 * engine stays reachable from the host and from another container, and reaches the host, while
 * the second engine and the Swarm run, and while copies of them (`testbed.sh probe up|down`,
 * made and removed by the same code as the bed's) come up, go down, and come up again over the
 * same data roots, as a restart does: the case where a dockerd with address pools deletes
 * docker0. The probes, not the bed's engines, are cycled, so tests that use those in parallel are
 * not disturbed.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { cidrContains, cidrOverlaps } from '../support/ipv4.js';
import {
  DOCKER_CLI,
  loadTestbed,
  loadTestbedEngine,
  readProbeEngines,
  runTestbedScript,
  tlsEngineEnv,
  type Testbed,
  type TlsEngineInfo,
} from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const execFileAsync = promisify(execFile);

interface BridgeFacts {
  readonly id: string;
  readonly bridge: string;
  readonly subnet: string;
  readonly gateway: string;
}

interface IpAddress {
  readonly ifname: string;
  readonly addr_info: readonly {
    readonly family: string;
    readonly local: string;
    readonly prefixlen: number;
  }[];
}

interface IpRoute {
  readonly dst: string;
  readonly dev?: string;
}

let bed: Testbed;
let first: BridgeFacts;
let server: Server | undefined;
let hostPort: number;
let httpd: { readonly id: string; readonly ip: string };
let client: string;

async function ipJson<T>(args: readonly string[]): Promise<T> {
  const { stdout } = await execFileAsync('ip', ['-j', ...args]);
  return JSON.parse(stdout) as T;
}

/**
 * The first engine's default network: its ID, bridge interface, subnet and gateway (the
 * interface's address when the engine chose it itself and IPAM leaves it out).
 */
async function firstBridge(): Promise<BridgeFacts> {
  const network = JSON.parse(
    await docker(['network', 'inspect', 'bridge', '--format', '{{json .}}'], { bed }),
  ) as {
    Id: string;
    Options: Record<string, string>;
    IPAM: { Config: { Subnet: string; Gateway?: string }[] };
  };
  const subnet = network.IPAM.Config[0]?.Subnet;
  const bridge = network.Options['com.docker.network.bridge.name'];
  if (subnet === undefined || bridge === undefined)
    throw new Error(`the first engine's bridge network has no bridge or subnet: ${JSON.stringify(network)}`);
  const onInterface = (await interfaceCidrs(bridge))?.find((cidr) => cidrContains(subnet, cidr));
  const gateway = network.IPAM.Config[0]?.Gateway ?? onInterface?.split('/')[0];
  if (gateway === undefined) throw new Error(`${bridge} has no address in ${subnet}`);
  return { id: network.Id, bridge, subnet, gateway };
}

/** Everything that would break if another engine touched the first engine's bridge. */
async function expectFirstEngineIntact(stage: string): Promise<void> {
  expect(await firstBridge(), `${stage}: the first engine's bridge network`).toEqual(first);

  const addresses = await ipJson<IpAddress[]>(['-4', 'addr', 'show']);
  const own = addresses.find((a) => a.ifname === first.bridge);
  const prefix = Number(first.subnet.split('/')[1]);
  expect(own?.addr_info, `${stage}: ${first.bridge}'s address`).toContainEqual(
    expect.objectContaining({ local: first.gateway, prefixlen: prefix }),
  );
  const intruders = addresses.filter(
    (a) =>
      a.ifname !== first.bridge &&
      a.addr_info.some((i) => cidrOverlaps(first.subnet, `${i.local}/${String(i.prefixlen)}`)),
  );
  expect(
    intruders.map((a) => a.ifname),
    `${stage}: other interfaces in ${first.subnet}`,
  ).toEqual([]);

  const routes = await ipJson<IpRoute[]>(['-4', 'route', 'show']);
  const elsewhere = routes.filter(
    (r) => r.dst !== 'default' && cidrOverlaps(first.subnet, r.dst) && r.dev !== first.bridge,
  );
  expect(elsewhere, `${stage}: routes into ${first.subnet} not through ${first.bridge}`).toEqual([]);
  const [way] = await ipJson<IpRoute[]>(['-4', 'route', 'get', httpd.ip]);
  expect(way?.dev, `${stage}: the way to ${httpd.ip}`).toBe(first.bridge);

  // Host → container, container → container, container → host.
  const fromHost = await fetch(`http://${httpd.ip}:8080/hostname`, { signal: AbortSignal.timeout(10_000) });
  expect((await fromHost.text()).trim(), `${stage}: host → container`).toBe(httpd.id.slice(0, 12));
  const fromContainer = await docker(
    ['exec', client, 'timeout', '10', 'wget', '-q', '-O', '-', `http://${httpd.ip}:8080/hostname`],
    {
      bed,
    },
  );
  expect(fromContainer, `${stage}: container → container`).toBe(httpd.id.slice(0, 12));
  const toHost = await docker(
    [
      'exec',
      client,
      'timeout',
      '10',
      'wget',
      '-q',
      '-O',
      '-',
      `http://${first.gateway}:${String(hostPort)}/`,
    ],
    {
      bed,
    },
  );
  expect(toHost, `${stage}: container → host`).toBe('host-ok');
}

async function interfaceCidrs(name: string): Promise<string[] | undefined> {
  try {
    const [entry] = await ipJson<IpAddress[]>(['-4', 'addr', 'show', 'dev', name]);
    return entry?.addr_info.map((i) => `${i.local}/${String(i.prefixlen)}`);
  } catch {
    return undefined; // no such device
  }
}

async function swarmState(engine: TlsEngineInfo): Promise<string> {
  const { stdout } = await execFileAsync(
    DOCKER_CLI,
    ['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'],
    { env: tlsEngineEnv(bed, engine), timeout: 30_000 },
  );
  return stdout.trim();
}

beforeAll(async () => {
  bed = loadTestbed();
  // The bed's other engines must be up: this file is about living beside them.
  loadTestbedEngine('second');
  loadTestbedEngine('swarm');
  first = await firstBridge();
  const listening = createServer((_req, res) => res.end('host-ok'));
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, first.gateway, resolve));
  hostPort = (listening.address() as AddressInfo).port;
  const id = await runTestContainer(bed.images.base, {
    name: uniqueName('tb-iso-httpd'),
    cmd: ['httpd', '-f', '-p', '8080', '-h', '/etc'],
  });
  httpd = { id, ip: await docker(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', id], { bed }) };
  client = await runTestContainer(bed.images.base, { name: uniqueName('tb-iso-client') });
});

afterAll(async () => {
  await runTestbedScript(bed, ['probe', 'down', '--purge']).catch(() => undefined);
  await removeTestContainers();
  if (server !== undefined) await new Promise((resolve) => server?.close(resolve));
});

describe("the first engine's network beside the other engines", { timeout: 240_000 }, () => {
  it('is intact while the second engine and the Swarm run, on bridges of their own', async () => {
    expect(await swarmState(bed.swarm)).toBe('active true');
    for (const [bridge, subnet] of [
      [bed.secondEngine.bridge, bed.secondEngine.subnet],
      [bed.swarm.bridge, bed.swarm.subnet],
      [bed.swarm.gwBridge, bed.swarm.gwSubnet],
    ] as const) {
      expect(bridge).not.toBe(first.bridge);
      expect(cidrOverlaps(subnet, first.subnet), `${subnet} overlaps ${first.subnet}`).toBe(false);
      expect(await interfaceCidrs(bridge), bridge).toEqual([subnet.replace(/\.0\/24$/, '.1/24')]);
    }
    await expectFirstEngineIntact('with the bed up');
  });

  it('stays intact while copies of both engines start, stop and start again over their data', async () => {
    // From nothing, so the first round is a first start and the second a restart.
    await runTestbedScript(bed, ['probe', 'down', '--purge']);
    for (const round of ['first start', 'restart']) {
      await runTestbedScript(bed, ['probe', 'up']);
      const probes = readProbeEngines(bed);
      expect(await swarmState(probes.swarm), `${round}: the probe's Swarm`).toBe('active true');
      for (const probe of [probes.second, probes.swarm]) {
        expect(await interfaceCidrs(probe.bridge), `${round}: ${probe.bridge}`).toEqual([
          probe.subnet.replace(/\.0\/24$/, '.1/24'),
        ]);
        expect(cidrOverlaps(probe.subnet, first.subnet)).toBe(false);
      }
      // A container on the probe's bridge, so stopping it has a network to take down.
      const env = tlsEngineEnv(bed, probes.second);
      await execFileAsync(DOCKER_CLI, ['run', '--detach', '--label', 'refit.testbed=1', bed.images.index], {
        env,
        timeout: 120_000,
      });
      await expectFirstEngineIntact(`${round}, probes up`);

      await runTestbedScript(bed, ['probe', 'down']);
      for (const bridge of [probes.second.bridge, probes.swarm.bridge, probes.swarm.gwBridge])
        expect(await interfaceCidrs(bridge), `${round}: ${bridge} after down`).toBeUndefined();
      await expectFirstEngineIntact(`${round}, probes down`);
    }
    // The bed's own engines were not disturbed either.
    expect(await swarmState(bed.swarm)).toBe('active true');
  });
});
