import { describe, expect, it } from 'vitest';
import { chooseProbeAddress } from '../../../src/policy/probe-address.js';
import {
  describeProbe,
  readProbeSpec,
  statusAccepted,
  type ProbeSpec,
} from '../../../src/policy/probe-spec.js';

const NAMES = { target: 'refit.verify', status: 'refit.verify.status', timeout: 'refit.verify.timeout' };

function spec(labels: Record<string, string>): ProbeSpec {
  const result = readProbeSpec(labels, NAMES);
  if (result.kind !== 'probe') throw new Error(JSON.stringify(result));
  return result.spec;
}

describe('readProbeSpec', () => {
  it('is none without the target label, whatever the others say', () => {
    expect(readProbeSpec({}, NAMES)).toEqual({ kind: 'none' });
    expect(readProbeSpec({ 'refit.verify.status': 'nonsense' }, NAMES)).toEqual({ kind: 'none' });
  });

  it('reads HTTP, HTTPS and TCP probes at the container address', () => {
    expect(spec({ 'refit.verify': 'http://:8080/health' })).toEqual({
      scheme: 'http',
      host: undefined,
      port: 8080,
      path: '/health',
      statuses: [[200, 299]],
      timeoutMs: 30_000,
    });
    expect(spec({ 'refit.verify': 'https://:8443' })).toMatchObject({
      scheme: 'https',
      port: 8443,
      path: '/',
    });
    expect(spec({ 'refit.verify': 'http://' })).toMatchObject({ port: 80, path: '/' });
    expect(spec({ 'refit.verify': 'https:///ready?full=1' })).toMatchObject({
      port: 443,
      path: '/ready?full=1',
    });
    expect(spec({ 'refit.verify': 'tcp://:5432' })).toEqual({
      scheme: 'tcp',
      host: undefined,
      port: 5432,
      path: '',
      statuses: [[200, 299]],
      timeoutMs: 30_000,
    });
  });

  it('takes an explicit host, IPv6 in brackets', () => {
    expect(spec({ 'refit.verify': 'http://127.0.0.1:8080/' })).toMatchObject({ host: '127.0.0.1' });
    expect(spec({ 'refit.verify': 'tcp://[::1]:5432' })).toMatchObject({ host: '::1', port: 5432 });
  });

  it('reads the status and timeout labels', () => {
    expect(
      spec({
        'refit.verify': 'http://:80/',
        'refit.verify.status': '200, 204, 300-399',
        'refit.verify.timeout': '2m',
      }),
    ).toMatchObject({
      statuses: [
        [200, 200],
        [204, 204],
        [300, 399],
      ],
      timeoutMs: 120_000,
    });
    expect(spec({ 'refit.verify': 'http://:80/', 'refit.verify.status': '2xx,401' }).statuses).toEqual([
      [200, 299],
      [401, 401],
    ]);
    expect(spec({ 'refit.verify': 'http://:80/', 'refit.verify.timeout': '45' }).timeoutMs).toBe(45_000);
  });

  it('names every bad label with its value', () => {
    const result = readProbeSpec(
      {
        'refit.verify': 'ftp://:21',
        'refit.verify.status': '600',
        'refit.verify.timeout': '2h',
      },
      NAMES,
    );
    expect(result).toEqual({
      kind: 'invalid',
      problems: [
        'label refit.verify="ftp://:21" is not a probe like http://:8080/health, https://:8443/ or tcp://:5432',
        'label refit.verify.status="600" is not statuses like 200-299, 200,204 or 2xx',
        'label refit.verify.timeout="2h" is out of range: expected at most 1h',
      ],
    });
  });

  it.each([
    ['tcp://:', 'is not a probe like'],
    ['tcp://db', 'names no port'],
    ['tcp://:5432/path', 'has a path'],
    ['http://:70000/', 'has port 70000'],
    ['http://user:pw@host/', 'is not a probe like'],
    ['http://:8080 /health', 'is not a probe like'],
  ])('refuses %s', (target, problem) => {
    const result = readProbeSpec({ 'refit.verify': target }, NAMES);
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') expect(result.problems[0]).toContain(problem);
  });
});

describe('statusAccepted and describeProbe', () => {
  it('checks a status against the ranges', () => {
    const probe = spec({ 'refit.verify': 'http://:80/', 'refit.verify.status': '200-204,301' });
    expect([199, 200, 204, 205, 301, 302].map((status) => statusAccepted(probe, status))).toEqual([
      false,
      true,
      true,
      false,
      true,
      false,
    ]);
  });

  it('writes the probe with the address in place of a missing host', () => {
    expect(describeProbe(spec({ 'refit.verify': 'http://:8080/health' }), '172.17.0.5')).toBe(
      'http://172.17.0.5:8080/health',
    );
    expect(describeProbe(spec({ 'refit.verify': 'tcp://:5432' }), 'fd00::5')).toBe('tcp://[fd00::5]:5432');
    expect(describeProbe(spec({ 'refit.verify': 'http://10.0.0.1:80/' }), '172.17.0.5')).toBe(
      'http://10.0.0.1:80/',
    );
  });
});

describe('chooseProbeAddress', () => {
  const networks = {
    frontend: { IPAddress: '172.20.0.5' },
    backend: { IPAddress: '172.21.0.5', GlobalIPv6Address: 'fd00::5' },
    v6only: { IPAddress: '', GlobalIPv6Address: 'fd01::5' },
  };

  it('prefers a network refit shares with the container', () => {
    expect(chooseProbeAddress(networks, ['frontend'])).toEqual({
      network: 'frontend',
      address: '172.20.0.5',
    });
    expect(chooseProbeAddress(networks, ['v6only', 'other'])).toEqual({
      network: 'v6only',
      address: 'fd01::5',
    });
  });

  it('otherwise takes the first network by name with an address, IPv4 first', () => {
    expect(chooseProbeAddress(networks)).toEqual({ network: 'backend', address: '172.21.0.5' });
    expect(chooseProbeAddress(networks, ['unrelated'])).toEqual({
      network: 'backend',
      address: '172.21.0.5',
    });
  });

  it('probes a container on the host network on loopback', () => {
    expect(chooseProbeAddress({ host: { IPAddress: '' } })).toEqual({
      network: 'host',
      address: '127.0.0.1',
    });
  });

  it('finds nothing for a container without addresses (none network, another container’s namespace)', () => {
    expect(chooseProbeAddress({ none: { IPAddress: '' } })).toBeUndefined();
    expect(chooseProbeAddress({})).toBeUndefined();
    expect(chooseProbeAddress(null)).toBeUndefined();
  });
});
