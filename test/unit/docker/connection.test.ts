import { describe, expect, it } from 'vitest';
import { chooseApiVersion, negotiateApiVersion } from '../../../src/docker/api-version.js';
import { connectionOptions } from '../../../src/docker/connection.js';
import { detectOwnContainerId } from '../../../src/docker/own-container.js';

describe('connectionOptions', () => {
  const plain = { tlsVerify: false, certPath: undefined };

  it('uses the socket path of a unix:// DOCKER_HOST', () => {
    expect(connectionOptions({ ...plain, dockerHost: 'unix:///var/run/docker.sock' })).toEqual({
      socketPath: '/var/run/docker.sock',
    });
  });

  it('talks plain HTTP to tcp:// without TLS, on 2375 by default', () => {
    expect(connectionOptions({ ...plain, dockerHost: 'tcp://socket-proxy:2375' })).toEqual({
      host: 'socket-proxy',
      port: 2375,
      protocol: 'http',
    });
    expect(connectionOptions({ ...plain, dockerHost: 'tcp://socket-proxy' })).toMatchObject({ port: 2375 });
  });

  it('loads the client certificates from DOCKER_CERT_PATH with DOCKER_TLS_VERIFY', () => {
    const read = (path: string): Buffer => Buffer.from(`pem:${path}`);
    const options = connectionOptions(
      { dockerHost: 'tcp://10.0.0.2:2376', tlsVerify: true, certPath: '/certs' },
      read,
    );
    expect(options).toMatchObject({ host: '10.0.0.2', port: 2376, protocol: 'https' });
    expect(options.ca).toEqual(Buffer.from('pem:/certs/ca.pem'));
    expect(options.key).toEqual(Buffer.from('pem:/certs/key.pem'));
  });

  it('names the bad DOCKER_HOST', () => {
    expect(() => connectionOptions({ ...plain, dockerHost: 'ftp://x' })).toThrow(/DOCKER_HOST "ftp:\/\/x"/);
    expect(() => connectionOptions({ ...plain, dockerHost: 'unix://' })).toThrow(/no socket path/);
  });
});

describe('negotiateApiVersion', () => {
  it('uses the older of the engine and refit', () => {
    expect(negotiateApiVersion('1.41', '1.47')).toBe('1.41');
    expect(negotiateApiVersion('1.51', '1.47')).toBe('1.47');
    expect(negotiateApiVersion('1.9', '1.47')).toBe('1.9');
  });
});

describe('detectOwnContainerId', () => {
  const id = 'a'.repeat(64);

  it('finds the container ID in the mounts Docker makes for a container', () => {
    const mountinfo = `612 600 0:50 /docker/containers/${id}/hostname /etc/hostname rw - ext4 /dev/vda rw\n`;
    expect(detectOwnContainerId(() => mountinfo)).toBe(id);
  });

  it('finds none outside a container', () => {
    expect(detectOwnContainerId(() => '22 1 0:21 / /proc rw - proc proc rw\n')).toBeUndefined();
    expect(
      detectOwnContainerId(() => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
  });
});

describe('chooseApiVersion', () => {
  it('negotiates when nothing is pinned', () => {
    expect(chooseApiVersion({ apiVersion: '1.41' }, undefined)).toEqual({ ok: true, version: '1.41' });
  });

  it('uses a pinned version the engine serves', () => {
    expect(chooseApiVersion({ apiVersion: '1.47', minApiVersion: '1.24' }, '1.25')).toEqual({
      ok: true,
      version: '1.25',
    });
  });

  it('refuses a pinned version outside what the engine serves, saying what it serves', () => {
    expect(chooseApiVersion({ apiVersion: '1.41' }, '1.45')).toEqual({
      ok: false,
      problem: 'the engine serves API versions up to 1.41, not 1.45',
    });
    expect(chooseApiVersion({ apiVersion: '1.47', minApiVersion: '1.40' }, '1.30')).toEqual({
      ok: false,
      problem: 'the engine serves API versions from 1.40, not 1.30',
    });
  });
});
