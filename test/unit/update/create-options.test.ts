import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ContainerInspect } from '../../../src/docker/documents/container-inspect.js';
import type { ImageInspect } from '../../../src/docker/documents/image-inspect.js';
import { cloneCreateOptions, type CloneInput } from '../../../src/update/swap/clone/create-options.js';
import { containerDocument, imageDocument } from '../../support/documents.js';
import { derivedMacAddress } from '../../../src/update/swap/clone/network-endpoints.js';
import { volumesFromDestinations } from '../../../src/update/swap/clone/volume-mounts.js';

// Captured from the test bed's engine (Docker 20.10, API 1.41) by test/fixtures/inspect/capture.ts.
function fixture(name: string): unknown {
  const url = new URL(`../../fixtures/inspect/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8'));
}
const containerFixture = (role: string): ContainerInspect => containerDocument(fixture(`container-${role}`));
const v1 = imageDocument(fixture('image-v1'));
const v2 = imageDocument(fixture('image-v2'));
const wide = containerFixture('wide');
const shared = containerFixture('shared');
const host = containerFixture('host');
const bridge = containerFixture('bridge');
const entrypoint = containerFixture('entrypoint');
const cleared = containerFixture('cleared');
const db = containerFixture('db');

const networkNames = Object.keys(wide.NetworkSettings?.Networks ?? {});
const front = networkNames.find((name) => name.endsWith('-front')) ?? '';
const back = networkNames.find((name) => name.endsWith('-back')) ?? '';
const wideName = wide.Name.slice(1);

function clone(container: ContainerInspect, overrides: Partial<CloneInput> = {}) {
  return cloneCreateOptions({
    container,
    oldImage: v1,
    newImage: v2,
    containerName: () => undefined,
    ...overrides,
  });
}

/** A copy of `base` with some of its Config (or other top-level parts) replaced. */
function variant(
  base: ContainerInspect,
  config: Record<string, unknown>,
  rest: Record<string, unknown> = {},
): ContainerInspect {
  const copy = structuredClone(base);
  return containerDocument({ ...copy, ...rest, Config: { ...copy.Config, ...config } });
}

function image(config: Record<string, unknown>): ImageInspect {
  return imageDocument({ Id: 'sha256:old', Config: config });
}

function volumeName(container: ContainerInspect, destination: string): string {
  const found = (container.Mounts ?? []).find((mount) => mount.Destination === destination);
  return found?.Name ?? `no volume at ${destination}`;
}

describe('cloneCreateOptions on the wide-options container', () => {
  const { createBody, extraNetworks } = clone(wide);

  it('creates from the reference the user wrote', () => {
    expect(createBody['Image']).toBe(wide.Config.Image);
    expect(createBody['Image']).toMatch(/^refit-testbed\/clone-[0-9a-f]+:app$/);
  });

  it("keeps the user's environment and leaves the old image's entries to the new image", () => {
    expect(createBody['Env']).toEqual(['GREETING=custom', 'USER_ONLY=1']);
  });

  it("keeps the user's labels only", () => {
    expect(createBody['Labels']).toEqual({
      'app.owner': 'ops',
      'refit.testbed.run': wide.Config.Labels?.['refit.testbed.run'],
    });
  });

  it('leaves the default entrypoint and command to the new image', () => {
    expect(createBody).not.toHaveProperty('Entrypoint');
    expect(createBody).not.toHaveProperty('Cmd');
  });

  it('keeps user-set workdir, user, stop signal and stop timeout', () => {
    expect(createBody).toMatchObject({
      WorkingDir: '/work',
      User: '1000:1000',
      StopSignal: 'SIGINT',
      StopTimeout: 7,
    });
  });

  it('keeps only the exposed ports and volumes the image did not declare', () => {
    expect(createBody['ExposedPorts']).toEqual({ '53/udp': {}, '80/tcp': {} });
    expect(createBody['Volumes']).toEqual({ '/anon': {} });
  });

  it("keeps the user's healthcheck interval and leaves the rest to the new image", () => {
    // --health-cmd equal to the image's test, --health-interval 5s; timeout and retries were merged in.
    expect(createBody['Healthcheck']).toEqual({ Interval: 5_000_000_000 });
  });

  it('drops the hostname Docker derived from the container ID', () => {
    expect(wide.Config.Hostname).toBe(wide.Id.slice(0, 12));
    expect(createBody).not.toHaveProperty('Hostname');
    expect(createBody).not.toHaveProperty('Domainname');
  });

  it('keeps the static MAC address in Config below API 1.44', () => {
    expect(createBody['MacAddress']).toBe('02:00:00:c1:0e:01');
  });

  it('copies every other Config field, including ones it does not know', () => {
    const unknown = clone(variant(wide, { FutureOption: { depth: [1] } })).createBody;
    expect(unknown['FutureOption']).toEqual({ depth: [1] });
    for (const key of ['AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce']) {
      expect(createBody[key]).toEqual(wide.Config[key]);
    }
  });

  it('copies HostConfig as it is apart from the anonymous volumes it attaches', () => {
    const hostConfig = createBody['HostConfig'] as Record<string, unknown>;
    expect({ ...hostConfig, Binds: wide.HostConfig.Binds, Mounts: wide.HostConfig.Mounts }).toEqual(
      wide.HostConfig,
    );
    // Spot checks of options a user cares about, as the engine reported them.
    expect(hostConfig).toMatchObject({
      PortBindings: {
        '53/udp': [{ HostIp: '', HostPort: '5353' }],
        '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }],
      },
      Tmpfs: { '/scratch': 'size=1m' },
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      CapAdd: ['NET_ADMIN'],
      CapDrop: ['MKNOD'],
      Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/xnull', CgroupPermissions: 'rwm' }],
      Ulimits: [{ Name: 'nofile', Hard: 2048, Soft: 1024 }],
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
      ExtraHosts: ['db.local:10.1.2.3'],
      Dns: ['10.9.9.9'],
      Memory: 64 * 1024 * 1024,
      NanoCpus: 500_000_000,
      ReadonlyRootfs: true,
      Init: true,
    });
  });

  it('attaches the anonymous volumes by name, each destination once', () => {
    const hostConfig = createBody['HostConfig'] as { Binds: string[]; Mounts: Record<string, unknown>[] };
    expect([...hostConfig.Binds].sort()).toEqual(
      [
        ...(wide.HostConfig.Binds ?? []),
        `${volumeName(wide, '/anon')}:/anon`,
        `${volumeName(wide, '/data')}:/data`,
      ].sort(),
    );
    expect(hostConfig.Mounts).toEqual([
      { Type: 'volume', Target: '/mnt-anon', Source: volumeName(wide, '/mnt-anon') },
    ]);
    const destinations = [
      ...hostConfig.Binds.map((bind) => bind.split(':')[1]),
      ...hostConfig.Mounts.map((mount) => mount['Target']),
    ];
    expect(new Set(destinations).size).toBe(destinations.length);
  });

  it('creates on the primary network with its aliases, static address and links, minus the short ID', () => {
    expect(createBody['NetworkingConfig']).toEqual({
      EndpointsConfig: {
        [front]: {
          IPAMConfig: { IPv4Address: wide.NetworkSettings?.Networks?.[front]?.IPAMConfig?.IPv4Address },
          Aliases: ['web', 'app'],
          Links: [expect.stringMatching(/-db:database$/) as unknown],
        },
      },
    });
  });

  it('connects the other network afterwards with only user settings', () => {
    expect(extraNetworks).toEqual([
      {
        network: back,
        endpointConfig: {
          IPAMConfig: { IPv4Address: wide.NetworkSettings?.Networks?.[back]?.IPAMConfig?.IPv4Address },
          Aliases: ['extra'],
          DriverOpts: {},
        },
      },
    ]);
  });

  it('moves MAC addresses onto the endpoints from API 1.44', () => {
    const modern = clone(wide, { apiVersion: '1.44' });
    expect(modern.createBody).not.toHaveProperty('MacAddress');
    const endpoints = (modern.createBody['NetworkingConfig'] as { EndpointsConfig: Record<string, unknown> })
      .EndpointsConfig;
    expect(endpoints[front]).toMatchObject({ MacAddress: '02:00:00:c1:0e:01' });
    // The second network's address is the one Docker derived from its IP: not the user's.
    expect(modern.extraNetworks[0]?.endpointConfig).not.toHaveProperty('MacAddress');
  });

  it('does not change its input', () => {
    const before = structuredClone(wide);
    clone(wide);
    expect(wide).toEqual(before);
  });
});

describe('cloneCreateOptions on network modes', () => {
  it('rewrites container:<id> to the name the resolver gives, so a recreated owner still works', () => {
    const resolve = (id: string) => (id === wide.Id ? `/${wideName}` : undefined);
    const { createBody, extraNetworks } = clone(shared, { containerName: resolve });
    expect((createBody['HostConfig'] as Record<string, unknown>)['NetworkMode']).toBe(
      `container:${wideName}`,
    );
    expect(createBody).not.toHaveProperty('NetworkingConfig');
    expect(extraNetworks).toEqual([]);
    // Docker copied the owner's hostname; the engine refuses one with container:….
    expect(createBody).not.toHaveProperty('Hostname');
    expect(createBody).not.toHaveProperty('MacAddress');
  });

  it('keeps container:<id> as it is when the resolver does not know it', () => {
    const { createBody } = clone(shared);
    expect((createBody['HostConfig'] as Record<string, unknown>)['NetworkMode']).toBe(`container:${wide.Id}`);
  });

  it("drops the host's hostname and attaches no endpoints in host mode", () => {
    expect(host.Config.Hostname).not.toBe(host.Id.slice(0, 12));
    const { createBody, extraNetworks } = clone(host);
    expect(createBody).not.toHaveProperty('Hostname');
    expect(createBody).not.toHaveProperty('NetworkingConfig');
    expect(extraNetworks).toEqual([]);
    expect((createBody['HostConfig'] as Record<string, unknown>)['NetworkMode']).toBe('host');
  });

  it('keeps a user-set hostname, domain, MAC and legacy links on the default bridge', () => {
    const { createBody, extraNetworks } = clone(bridge);
    expect(createBody).toMatchObject({
      Hostname: 'custom-host',
      Domainname: 'example.test',
      MacAddress: '02:00:00:c1:0e:02',
    });
    expect((createBody['HostConfig'] as Record<string, unknown>)['Links']).toEqual(bridge.HostConfig.Links);
    expect(bridge.HostConfig.Links?.[0]).toMatch(/^\/.+-db:\/.+-bridge\/db$/);
    expect(createBody).not.toHaveProperty('NetworkingConfig');
    expect(extraNetworks).toEqual([]);
  });

  it('puts the default bridge MAC on the "bridge" endpoint from API 1.44, never aliases', () => {
    const { createBody } = clone(bridge, { apiVersion: '1.47' });
    expect(createBody).not.toHaveProperty('MacAddress');
    expect(createBody['NetworkingConfig']).toEqual({
      EndpointsConfig: { bridge: { MacAddress: '02:00:00:c1:0e:02' } },
    });
  });

  it('connects a second network with nothing but what the connect sent when only Docker set things on it', () => {
    const { createBody, extraNetworks } = clone(db, { apiVersion: '1.44' });
    expect(createBody).not.toHaveProperty('NetworkingConfig');
    expect(extraNetworks).toEqual([{ network: front, endpointConfig: { DriverOpts: {} } }]);
  });

  it('keys the primary endpoint by name when NetworkMode holds the network ID', () => {
    const networkId = wide.NetworkSettings?.Networks?.[front]?.NetworkID ?? '';
    const byId = variant(
      wide,
      {},
      { HostConfig: { ...wide.HostConfig, NetworkMode: networkId.slice(0, 12) } },
    );
    const { createBody, extraNetworks } = clone(byId);
    const endpoints = (createBody['NetworkingConfig'] as { EndpointsConfig: Record<string, unknown> })
      .EndpointsConfig;
    expect(Object.keys(endpoints)).toEqual([front]);
    expect(extraNetworks.map((n) => n.network)).toEqual([back]);
  });

  it('creates on a remaining network when the container left its NetworkMode network', () => {
    const networks = Object.fromEntries(
      Object.entries(wide.NetworkSettings?.Networks ?? {}).filter(([name]) => name !== front),
    );
    const left = variant(wide, {}, { NetworkSettings: { ...wide.NetworkSettings, Networks: networks } });
    const { createBody, extraNetworks } = clone(left);
    expect((createBody['HostConfig'] as Record<string, unknown>)['NetworkMode']).toBe(back);
    expect(
      Object.keys((createBody['NetworkingConfig'] as { EndpointsConfig: object }).EndpointsConfig),
    ).toEqual([back]);
    expect(extraNetworks).toEqual([]);
  });

  it('rewrites IpcMode, PidMode and VolumesFrom references to current names', () => {
    const names = new Map([
      ['aaaaaaaaaaaa', 'ipc-owner'],
      ['bbbbbbbbbbbb', 'pid-owner'],
      ['cccccccccccc', 'data'],
    ]);
    const hostConfig = {
      ...wide.HostConfig,
      IpcMode: 'container:aaaaaaaaaaaa',
      PidMode: 'container:bbbbbbbbbbbb',
      VolumesFrom: ['cccccccccccc:ro', 'unknown'],
    };
    const { createBody } = clone(variant(wide, {}, { HostConfig: hostConfig }), {
      containerName: (id) => names.get(id),
    });
    expect(createBody['HostConfig']).toMatchObject({
      IpcMode: 'container:ipc-owner',
      PidMode: 'container:pid-owner',
      VolumesFrom: ['data:ro', 'unknown'],
    });
  });
});

/** The wide container with Config.MacAddress (and its primary endpoint's) the IP-derived address. */
const derivedLooking = () => {
  const ip = wide.NetworkSettings?.Networks?.[front]?.IPAddress;
  const derived = derivedMacAddress(ip) ?? '';
  expect(derived).toMatch(/^02:42:(?:[0-9a-f]{2}:){3}[0-9a-f]{2}$/);
  const networks = structuredClone(wide.NetworkSettings?.Networks ?? {});
  const primary = networks[front];
  if (primary !== undefined) primary.MacAddress = derived;
  return {
    derived,
    container: variant(wide, { MacAddress: derived }, { NetworkSettings: { Networks: networks } }),
  };
};

describe('MAC addresses on engines from API 1.44', () => {
  const endpoint = (mac: string) => {
    const networks = structuredClone(wide.NetworkSettings?.Networks ?? {});
    const second = networks[back];
    if (second !== undefined) second.MacAddress = mac;
    return variant(wide, {}, { NetworkSettings: { ...wide.NetworkSettings, Networks: networks } });
  };

  it("carries an endpoint's own address from 1.44, where it can be user-set", () => {
    const { extraNetworks } = clone(endpoint('02:00:00:00:be:ef'), { apiVersion: '1.44' });
    expect(extraNetworks[0]?.endpointConfig['MacAddress']).toBe('02:00:00:00:be:ef');
  });

  it('does not carry it below 1.44, where only Config.MacAddress can be set', () => {
    const { extraNetworks } = clone(endpoint('02:00:00:00:be:ef'), { apiVersion: '1.43' });
    expect(extraNetworks[0]?.endpointConfig).not.toHaveProperty('MacAddress');
  });

  it('takes the primary address from the endpoint when Config.MacAddress is gone (API 1.52)', () => {
    const { createBody } = clone(variant(wide, { MacAddress: undefined }), { apiVersion: '1.52' });
    const endpoints = (createBody['NetworkingConfig'] as { EndpointsConfig: Record<string, unknown> })
      .EndpointsConfig;
    expect(endpoints[front]).toMatchObject({ MacAddress: '02:00:00:c1:0e:01' });
  });

  it('ignores a Config.MacAddress that is the one Docker derived from the IP (Docker 25.0.0 bug)', () => {
    const { createBody } = clone(derivedLooking().container, { apiVersion: '1.44' });
    expect(createBody).not.toHaveProperty('MacAddress');
    const endpoints = (createBody['NetworkingConfig'] as { EndpointsConfig: Record<string, unknown> })
      .EndpointsConfig;
    expect(endpoints[front]).not.toHaveProperty('MacAddress');
  });
});

describe('MAC addresses on engines below API 1.44', () => {
  it('keeps Config.MacAddress exactly, even one that looks derived from the IP: only a user sets it there', () => {
    const { derived, container } = derivedLooking();
    expect(clone(container, { apiVersion: '1.41' }).createBody['MacAddress']).toBe(derived);
    expect(clone(container).createBody['MacAddress']).toBe(derived);
  });

  it('keeps it with --network none, where the container has no network to put it on', () => {
    const none = variant(
      wide,
      { MacAddress: '02:00:00:aa:bb:01' },
      {
        HostConfig: { ...wide.HostConfig, NetworkMode: 'none' },
        NetworkSettings: { Networks: { none: { MacAddress: '02:00:00:aa:bb:01', IPAddress: '' } } },
      },
    );
    const { createBody, extraNetworks } = clone(none, { apiVersion: '1.41' });
    expect(createBody['MacAddress']).toBe('02:00:00:aa:bb:01');
    expect(createBody).not.toHaveProperty('NetworkingConfig');
    expect(extraNetworks).toEqual([]);
  });

  it('drops it with container:…, which the engine refuses a MAC address for', () => {
    const joined = variant(shared, { MacAddress: '02:00:00:aa:bb:01' });
    expect(clone(joined, { apiVersion: '1.41' }).createBody).not.toHaveProperty('MacAddress');
  });
});

describe('cloneCreateOptions on entrypoint and command', () => {
  it("keeps a user-set entrypoint's command even when it equals the old image's", () => {
    expect(entrypoint.Config.Cmd).toEqual(v1.Config?.Cmd);
    const { createBody } = clone(entrypoint);
    expect(createBody['Entrypoint']).toEqual(['/usr/local/bin/alt-entry']);
    expect(createBody['Cmd']).toEqual(v1.Config?.Cmd);
  });

  it('sends a cleared entrypoint as [""] so the new image\'s does not come back', () => {
    expect(cleared.Config.Entrypoint).toBeNull();
    const { createBody } = clone(cleared);
    expect(createBody['Entrypoint']).toEqual(['']);
    expect(createBody['Cmd']).toEqual(cleared.Config.Cmd);
  });

  const E = ['/entry'];
  const C = ['serve'];
  // prettier-ignore
  const table: { case: string; entrypoint: string[] | null; cmd: string[] | null; image: { Entrypoint: string[] | null; Cmd: string[] | null }; want: { Entrypoint?: string[]; Cmd?: string[] } }[] = [
    { case: 'both defaults', entrypoint: E, cmd: C, image: { Entrypoint: E, Cmd: C }, want: {} },
    { case: 'user command, default entrypoint', entrypoint: E, cmd: ['other'], image: { Entrypoint: E, Cmd: C }, want: { Cmd: ['other'] } },
    { case: 'user entrypoint, command equal to the image\'s', entrypoint: ['/mine'], cmd: C, image: { Entrypoint: E, Cmd: C }, want: { Entrypoint: ['/mine'], Cmd: C } },
    { case: 'user entrypoint without command', entrypoint: ['/mine'], cmd: null, image: { Entrypoint: E, Cmd: C }, want: { Entrypoint: ['/mine'] } },
    { case: "user entrypoint equal to the image's, so Docker dropped the image's command", entrypoint: E, cmd: null, image: { Entrypoint: E, Cmd: C }, want: { Entrypoint: E } },
    { case: 'cleared entrypoint', entrypoint: null, cmd: ['sh'], image: { Entrypoint: E, Cmd: C }, want: { Entrypoint: [''], Cmd: ['sh'] } },
    { case: 'empty-list entrypoint from an API client', entrypoint: [], cmd: C, image: { Entrypoint: E, Cmd: C }, want: { Entrypoint: [] } },
    { case: 'no entrypoint anywhere, default command', entrypoint: null, cmd: C, image: { Entrypoint: null, Cmd: C }, want: {} },
    { case: 'no entrypoint anywhere, user command', entrypoint: null, cmd: ['x'], image: { Entrypoint: null, Cmd: C }, want: { Cmd: ['x'] } },
    { case: 'image with an empty entrypoint', entrypoint: [], cmd: C, image: { Entrypoint: [], Cmd: C }, want: {} },
  ];
  it.each(table)('$case', ({ entrypoint: ep, cmd, image: old, want }) => {
    const container = variant(wide, { Entrypoint: ep, Cmd: cmd });
    const { createBody } = clone(container, { oldImage: image(old) });
    expect({
      Entrypoint: createBody['Entrypoint'] ?? undefined,
      Cmd: createBody['Cmd'] ?? undefined,
    }).toEqual({
      Entrypoint: want.Entrypoint,
      Cmd: want.Cmd,
    });
  });

  it("drops ArgsEscaped with the image's command, keeps it with the user's", () => {
    const old = image({ Cmd: C, ArgsEscaped: true });
    expect(
      clone(variant(wide, { Entrypoint: null, Cmd: C, ArgsEscaped: true }), { oldImage: old }).createBody,
    ).not.toHaveProperty('ArgsEscaped');
    expect(
      clone(variant(wide, { Entrypoint: null, Cmd: ['x'], ArgsEscaped: false }), { oldImage: old })
        .createBody['ArgsEscaped'],
    ).toBe(false);
  });
});

describe('cloneCreateOptions on image defaults', () => {
  const old = image({
    Env: ['PATH=/bin', 'MODE=one', 'KEY=image'],
    Labels: { vendor: 'acme', version: '1' },
    Healthcheck: { Test: ['CMD', 'check'], Interval: 30e9, Timeout: 5e9, Retries: 3 },
    WorkingDir: '/srv',
    User: 'app',
    StopSignal: 'SIGQUIT',
    Shell: ['/bin/sh', '-c'],
    OnBuild: ['RUN true'],
    ExposedPorts: { '8080/tcp': {} },
    Volumes: { '/data': {} },
  });
  const cloneWith = (config: Record<string, unknown>) =>
    clone(variant(wide, config), { oldImage: old }).createBody;

  it.each([
    {
      case: 'image entries dropped, user values kept',
      env: ['MODE=one', 'KEY=mine', 'PATH=/bin', 'NEW=1'],
      want: ['KEY=mine', 'NEW=1'],
    },
    { case: 'a name without a value is kept', env: ['FROM_HOST', 'PATH=/bin'], want: ['FROM_HOST'] },
    { case: 'nothing but defaults', env: ['PATH=/bin', 'MODE=one', 'KEY=image'], want: undefined },
    // Indistinguishable from the default; the new image's value wins. A known, documented limit.
    { case: 'a user value equal to the old default', env: ['MODE=one'], want: undefined },
  ])('Env: $case', ({ env, want }) => {
    expect(cloneWith({ Env: env })['Env']).toEqual(want);
  });

  it('Env: keeps a value equal to the NEW default but not the old one', () => {
    const body = clone(variant(wide, { Env: ['MODE=two', 'PATH=/bin'] }), {
      oldImage: old,
      newImage: image({ Env: ['PATH=/bin', 'MODE=two'] }),
    }).createBody;
    expect(body['Env']).toEqual(['MODE=two']);
  });

  it.each([
    {
      case: 'same key and value dropped, changed value kept',
      labels: { vendor: 'acme', version: '0', team: 'a' },
      want: { version: '0', team: 'a' },
    },
    { case: 'nothing but defaults', labels: { vendor: 'acme', version: '1' }, want: undefined },
  ])('Labels: $case', ({ labels, want }) => {
    expect(cloneWith({ Labels: labels })['Labels']).toEqual(want);
  });

  it.each([
    {
      case: 'equal to the image',
      hc: { Test: ['CMD', 'check'], Interval: 30e9, Timeout: 5e9, Retries: 3 },
      want: undefined,
    },
    {
      case: 'only the test overridden',
      hc: { Test: ['CMD', 'mine'], Interval: 30e9, Timeout: 5e9, Retries: 3 },
      want: { Test: ['CMD', 'mine'] },
    },
    {
      case: 'only the interval overridden',
      hc: { Test: ['CMD', 'check'], Interval: 1e9, Timeout: 5e9, Retries: 3 },
      want: { Interval: 1e9 },
    },
    {
      case: 'disabled',
      hc: { Test: ['NONE'], Interval: 30e9, Timeout: 5e9, Retries: 3 },
      want: { Test: ['NONE'] },
    },
    { case: 'none at all', hc: null, want: undefined },
  ])('Healthcheck: $case', ({ hc, want }) => {
    expect(cloneWith({ Healthcheck: hc })['Healthcheck']).toEqual(want);
  });

  it('Healthcheck: kept whole when the old image had none', () => {
    const hc = { Test: ['CMD', 'mine'], Interval: 30e9 };
    const body = clone(variant(wide, { Healthcheck: hc }), { oldImage: image({}) }).createBody;
    expect(body['Healthcheck']).toEqual(hc);
  });

  it('drops workdir, user, stop signal, shell and onbuild equal to the image and keeps different ones', () => {
    const same = cloneWith({
      WorkingDir: '/srv',
      User: 'app',
      StopSignal: 'SIGQUIT',
      Shell: ['/bin/sh', '-c'],
      OnBuild: ['RUN true'],
    });
    for (const key of ['WorkingDir', 'User', 'StopSignal', 'Shell', 'OnBuild'])
      expect(same).not.toHaveProperty(key);
    const own = cloneWith({
      WorkingDir: '/w',
      User: 'root',
      StopSignal: 'SIGINT',
      Shell: ['/bin/bash', '-c'],
      OnBuild: null,
    });
    expect(own).toMatchObject({
      WorkingDir: '/w',
      User: 'root',
      StopSignal: 'SIGINT',
      Shell: ['/bin/bash', '-c'],
    });
  });

  it('drops exposed ports and volumes the image declared, keeps the rest', () => {
    const body = cloneWith({
      ExposedPorts: { '8080/tcp': {}, '80/tcp': {} },
      Volumes: { '/data': {}, '/mine': {} },
    });
    expect(body['ExposedPorts']).toEqual({ '80/tcp': {} });
    expect(body['Volumes']).toEqual({ '/mine': {} });
  });
});

describe('cloneCreateOptions on volumes', () => {
  const mount = (name: string, destination: string, extra: Record<string, unknown> = {}) => ({
    Type: 'volume',
    Name: name,
    Source: `/var/lib/docker/volumes/${name}/_data`,
    Destination: destination,
    Driver: 'local',
    Mode: '',
    RW: true,
    Propagation: '',
    ...extra,
  });
  const withVolumes = (hostConfig: Record<string, unknown>, mounts: unknown[]) =>
    variant(
      wide,
      {},
      {
        HostConfig: { ...wide.HostConfig, Binds: null, Mounts: null, Tmpfs: null, ...hostConfig },
        Mounts: mounts,
      },
    );
  const hostConfigOf = (body: Record<string, unknown>) => body['HostConfig'] as Record<string, unknown>;

  it('binds a read-only anonymous volume read-only, keeping its options', () => {
    const container = withVolumes({}, [mount('anon1', '/ro', { RW: false, Mode: 'z' })]);
    expect(hostConfigOf(clone(container).createBody)['Binds']).toEqual(['anon1:/ro:ro,z']);
  });

  it('does not bind a destination Binds, Mounts or Tmpfs already cover', () => {
    const container = withVolumes(
      {
        Binds: ['named:/named/'],
        Mounts: [{ Type: 'volume', Source: 'other', Target: '/other' }],
        Tmpfs: { '/tmp': '' },
      },
      [mount('named', '/named'), mount('other', '/other'), mount('anon', '/tmp')],
    );
    const hostConfig = hostConfigOf(clone(container).createBody);
    expect(hostConfig['Binds']).toEqual(['named:/named/']);
    expect(hostConfig['Mounts']).toEqual([{ Type: 'volume', Source: 'other', Target: '/other' }]);
  });

  it('fills in a source-less Binds entry with the volume name', () => {
    const container = withVolumes({ Binds: ['/cache'] }, [mount('anon', '/cache')]);
    expect(hostConfigOf(clone(container).createBody)['Binds']).toEqual(['anon:/cache']);
  });

  it('leaves volumes that come through VolumesFrom to VolumesFrom', () => {
    const container = withVolumes({ VolumesFrom: ['data'] }, [
      mount('theirs', '/shared'),
      mount('mine', '/own'),
    ]);
    const body = clone(container, { volumesFromDestinations: new Set(['/shared/']) }).createBody;
    expect(hostConfigOf(body)['Binds']).toEqual(['mine:/own']);
  });

  it('with remove-volumes, leaves anonymous volumes out so the engine makes fresh ones, and keeps named ones', () => {
    const container = withVolumes(
      {
        Binds: ['named:/named', '/anon'],
        Mounts: [{ Type: 'volume', Target: '/mnt-anon' }],
      },
      [
        mount('named', '/named'),
        mount('anon1', '/anon'),
        mount('anon2', '/mnt-anon'),
        mount('anon3', '/data'),
      ],
    );
    const hostConfig = hostConfigOf(clone(container, { anonymousVolumes: 'fresh' }).createBody);
    expect(hostConfig['Binds']).toEqual(['named:/named', '/anon']);
    expect(hostConfig['Mounts']).toEqual([{ Type: 'volume', Target: '/mnt-anon' }]);
    const carried = hostConfigOf(clone(container, { anonymousVolumes: 'carry' }).createBody);
    expect(carried['Binds']).toEqual(['named:/named', 'anon1:/anon', 'anon3:/data']);
  });

  it('ignores bind and tmpfs mount points', () => {
    const container = withVolumes({}, [
      { Type: 'bind', Source: '/host', Destination: '/host', Mode: '', RW: true },
      { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true },
    ]);
    expect(hostConfigOf(clone(container).createBody)['Binds']).toBeNull();
  });
});

describe('engine documents the clone would read wrong', () => {
  it('are refused where they enter, naming the field at fault', () => {
    const bad = { ...structuredClone(wide), Config: { ...wide.Config, Env: 'A=1' } };
    expect(() => containerDocument(bad)).toThrow(
      /unexpected answer from the Docker engine .* at Config\.Env/,
    );
    expect(() => imageDocument({ Id: 'sha256:x', Config: { Cmd: [1] } })).toThrow(/at Config\.Cmd\.0/);
    try {
      imageDocument({ Id: 5 });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'BAD_RESPONSE',
        message: expect.stringMatching(/at Id/) as unknown,
      });
    }
    // The reference the container was created from is what the clone is made from.
    expect(() =>
      containerDocument({ ...structuredClone(wide), Config: { ...wide.Config, Image: '' } }),
    ).toThrow(/at Config\.Image/);
  });
});

describe('volumesFromDestinations', () => {
  const point = (destination: string) => ({ Type: 'volume', Name: 'v', Destination: destination });

  it("is every destination a source mounts, whatever the volumes' names", () => {
    expect(volumesFromDestinations({ VolumesFrom: ['data'] }, [[point('/shared/'), point('/logs')]])).toEqual(
      new Set(['/shared', '/logs']),
    );
  });

  it("leaves out destinations the container's own Binds, Mounts or Tmpfs name, which win over VolumesFrom", () => {
    const hostConfig = {
      Binds: ['/shared'],
      Mounts: [{ Type: 'volume', Target: '/logs' }],
      Tmpfs: { '/tmp': '' },
    };
    const sources = [[point('/shared'), point('/logs'), point('/tmp'), point('/cache')]];
    expect(volumesFromDestinations(hostConfig, sources)).toEqual(new Set(['/cache']));
  });

  it('takes nothing from a source that could not be read', () => {
    expect(volumesFromDestinations({ VolumesFrom: ['gone'] }, [undefined, null])).toEqual(new Set());
  });
});
