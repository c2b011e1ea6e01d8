import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage } from '../support/images.js';
import { cidrContains } from '../support/ipv4.js';
import { waitFor } from '../support/polling.js';
import {
  DOCKER_CLI,
  TESTBED_LABEL,
  dockerEnv,
  engineTlsOptions,
  loadTestbed,
  loadTestbedEngine,
  type Testbed,
  type TlsEngineInfo,
} from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const execFileAsync = promisify(execFile);

let bed: Testbed;
let second: Testbed;
let swarm: Testbed;

beforeAll(() => {
  bed = loadTestbed();
  second = loadTestbedEngine('second');
  swarm = loadTestbedEngine('swarm');
});

afterAll(async () => {
  await removeTestContainers({ bed: second });
});

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** GET `path` from a TLS engine with the given client credentials (none: CA only). */
function getOverTls(
  engine: TlsEngineInfo,
  path: string,
  client: { cert?: string; key?: string; host?: string } = {},
): Promise<Answer> {
  const { port, ca } = engineTlsOptions(engine);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: client.host ?? '127.0.0.1',
        port,
        path,
        ca,
        cert: client.cert,
        key: client.key,
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** The engine's labels, from `docker info`. */
async function engineLabels(on: Testbed): Promise<string[]> {
  return JSON.parse(await docker(['info', '--format', '{{json .Labels}}'], { bed: on })) as string[];
}

describe('the second engine', { timeout: 120_000 }, () => {
  it('answers over TLS with the client certificate, as itself', async () => {
    const { cert, key } = engineTlsOptions(bed.secondEngine);
    const ping = await getOverTls(bed.secondEngine, '/_ping', { cert, key });
    expect(ping).toEqual({ status: 200, body: 'OK' });
    // The server certificate names localhost as well as 127.0.0.1.
    expect((await getOverTls(bed.secondEngine, '/_ping', { cert, key, host: 'localhost' })).status).toBe(200);
    expect(await engineLabels(second)).toContain('refit.testbed.engine=second');
    // A separate engine, not the first one under another address.
    const id = (on: Testbed) => docker(['info', '--format', '{{.ID}}'], { bed: on });
    expect(await id(second)).not.toBe(await id(bed));
  });

  it('refuses clients without the bed client certificate', async () => {
    // No client certificate at all.
    await expect(getOverTls(bed.secondEngine, '/_ping')).rejects.toThrow();
    // A certificate from another CA.
    const dir = await mkdtemp(join(tmpdir(), 'refit-stranger-'));
    try {
      await execFileAsync('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=stranger',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ]);
      const stranger = {
        cert: await readFile(join(dir, 'cert.pem'), 'utf8'),
        key: await readFile(join(dir, 'key.pem'), 'utf8'),
      };
      await expect(getOverTls(bed.secondEngine, '/_ping', stranger)).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Plain HTTP.
    const { port } = engineTlsOptions(bed.secondEngine);
    const plain = await fetch(`http://127.0.0.1:${port}/_ping`);
    expect(plain.status).toBe(400);
    // The Docker CLI without TLS settings.
    const env = { ...dockerEnv(bed), DOCKER_HOST: bed.secondEngine.dockerHost };
    await expect(execFileAsync(DOCKER_CLI, ['version'], { env, timeout: 30_000 })).rejects.toThrow();
  });

  it('pulls from the open and the basic-auth registry and runs a container', async () => {
    for (const registry of [bed.registries.open, bed.registries.basic]) {
      const ref = `${registry.host}/testbed/busybox:latest`;
      await docker(['pull', ref], { bed: second });
      const out = await docker(['run', '--rm', '--label', `${TESTBED_LABEL}=1`, ref, 'echo', 'ran'], {
        bed: second,
      });
      expect(out).toBe('ran');
    }
  });

  it('has the base image, so test images build on it', async () => {
    const tag = `refit-testbed/${uniqueName('second-build')}:v1`;
    try {
      await buildTestImage(tag, { bed: second, cmd: ['echo', 'built on second'] });
      expect(await docker(['run', '--rm', '--label', `${TESTBED_LABEL}=1`, tag], { bed: second })).toBe(
        'built on second',
      );
    } finally {
      await docker(['rmi', '--force', tag], { bed: second }).catch(() => undefined);
    }
  });

  it('keeps its containers on its own bridge and pool, where they reach each other', async () => {
    const info = await docker(
      [
        'network',
        'inspect',
        'bridge',
        '--format',
        '{{index .Options "com.docker.network.bridge.name"}} {{range .IPAM.Config}}{{.Subnet}}{{end}}',
      ],
      { bed: second },
    );
    expect(info).toBe(`${bed.secondEngine.bridge} ${bed.secondEngine.subnet}`);

    const network = uniqueName('tb-net');
    await docker(['network', 'create', '--label', `${TESTBED_LABEL}=1`, network], { bed: second });
    try {
      const subnet = await docker(
        ['network', 'inspect', network, '--format', '{{range .IPAM.Config}}{{.Subnet}}{{end}}'],
        {
          bed: second,
        },
      );
      expect(cidrContains(bed.secondEngine.addressPool, subnet), subnet).toBe(true);

      const server = await runTestContainer(bed.images.base, {
        name: uniqueName('tb-second-httpd'),
        cmd: ['httpd', '-f', '-p', '8080', '-h', '/etc'],
        bed: second,
      });
      const client = await runTestContainer(bed.images.base, {
        name: uniqueName('tb-second-client'),
        bed: second,
      });
      const ip = await docker(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', server], {
        bed: second,
      });
      expect(cidrContains(bed.secondEngine.subnet, ip), ip).toBe(true);
      const hostname = await docker(['exec', client, 'wget', '-q', '-O', '-', `http://${ip}:8080/hostname`], {
        bed: second,
      });
      expect(hostname).toBe(server.slice(0, 12));
    } finally {
      await removeTestContainers({ bed: second });
      await docker(['network', 'rm', network], { bed: second });
    }
  });
});

describe('the Swarm engine', { timeout: 120_000 }, () => {
  it('answers over TLS and is the manager of an active single-node Swarm', async () => {
    expect(await engineLabels(swarm)).toContain('refit.testbed.engine=swarm');
    const state = JSON.parse(await docker(['info', '--format', '{{json .Swarm}}'], { bed: swarm })) as {
      LocalNodeState: string;
      ControlAvailable: boolean;
      NodeID: string;
      NodeAddr: string;
      Nodes: number;
      Managers: number;
      Cluster: { DefaultAddrPool: string[] };
    };
    expect(state).toMatchObject({
      LocalNodeState: 'active',
      ControlAvailable: true,
      NodeID: bed.swarm.managerId,
      NodeAddr: bed.swarm.advertiseAddr.split(':')[0],
      Nodes: 1,
      Managers: 1,
    });
    expect(state.Cluster.DefaultAddrPool).toEqual([bed.swarm.swarmAddressPool]);
    expect(
      await docker(['node', 'inspect', 'self', '--format', '{{.Spec.Role}} {{.ManagerStatus.Leader}}'], {
        bed: swarm,
      }),
    ).toBe('manager true');
    // The first engine is no part of it.
    expect(await docker(['info', '--format', '{{.Swarm.LocalNodeState}}'], { bed })).toBe('inactive');
  });

  it('keeps docker_gwbridge and the ingress network outside 172.16/12, on its own interfaces', async () => {
    const gw = await docker(
      [
        'network',
        'inspect',
        'docker_gwbridge',
        '--format',
        '{{index .Options "com.docker.network.bridge.name"}} {{range .IPAM.Config}}{{.Subnet}}{{end}}',
      ],
      { bed: swarm },
    );
    expect(gw).toBe(`${bed.swarm.gwBridge} ${bed.swarm.gwSubnet}`);
    const ingress = await docker(
      ['network', 'inspect', 'ingress', '--format', '{{range .IPAM.Config}}{{.Subnet}}{{end}}'],
      {
        bed: swarm,
      },
    );
    expect(cidrContains(bed.swarm.swarmAddressPool, ingress), ingress).toBe(true);
  });

  it('runs a service from the open registry', async () => {
    const name = uniqueName('tb-service');
    const ref = `${bed.registries.open.host}/testbed/busybox:latest`;
    await docker(
      [
        'service',
        'create',
        '--detach',
        '--name',
        name,
        '--label',
        `${TESTBED_LABEL}=1`,
        '--container-label',
        `${TESTBED_LABEL}=1`,
        ref,
      ],
      { bed: swarm },
    );
    try {
      const running = async () => {
        const states = await docker(
          ['service', 'ps', name, '--filter', 'desired-state=running', '--format', '{{.CurrentState}}'],
          { bed: swarm },
        );
        return states.startsWith('Running') ? true : undefined;
      };
      await waitFor(running, `service ${name} running`, 60_000, 250);
      expect(
        await docker(['service', 'inspect', name, '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}'], {
          bed: swarm,
        }),
      ).toContain(ref);
    } finally {
      await docker(['service', 'rm', name], { bed: swarm });
    }
  });
});
