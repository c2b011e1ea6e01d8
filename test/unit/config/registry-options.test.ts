import { describe, expect, it } from 'vitest';
import type { ConfigResult } from '../../../src/config/config.js';
import { loadConfig } from '../../../src/config/load-config.js';

function load(env: Record<string, string>, argv: string[] = []): ConfigResult {
  return loadConfig({ argv, env });
}

function config(env: Record<string, string>, argv: string[] = []) {
  const result = load(env, argv);
  if (result.kind !== 'config') throw new Error(`expected a config, got ${JSON.stringify(result)}`);
  return result.config;
}

function problems(env: Record<string, string>): string[] {
  const result = load(env);
  if (result.kind !== 'invalid') throw new Error(`expected problems, got ${result.kind}`);
  return result.problems.map((problem) => `${problem.source}: ${problem.message}`);
}

describe('REFIT_REGISTRY_MIRRORS', () => {
  it('reads registry=url entries, in order, and normalises Docker Hub and the URL', () => {
    expect(
      config({
        REFIT_REGISTRY_MIRRORS:
          'index.docker.io=https://Mirror.Example/, docker.io=http://harbor.lan:8080/dockerhub ghcr.io=ghcr-cache.example',
      }).registryMirrors,
    ).toEqual([
      { registry: 'docker.io', url: 'https://mirror.example' },
      { registry: 'docker.io', url: 'http://harbor.lan:8080/dockerhub' },
      { registry: 'ghcr.io', url: 'https://ghcr-cache.example' },
    ]);
  });

  it('adds up repeated flags', () => {
    expect(
      config({}, [
        '--registry-mirrors',
        'docker.io=https://a.example',
        '--registry-mirrors',
        'ghcr.io=https://b.example',
      ]).registryMirrors,
    ).toHaveLength(2);
  });

  it('names bad entries by position and never quotes a password', () => {
    const found = problems({
      REFIT_REGISTRY_MIRRORS:
        'docker.io, docker.io=ftp://mirror, docker.io=https://user:s3cret@mirror.example, Bad_Host=https://x',
    });
    const message = found.join('\n');
    expect(found).toHaveLength(4);
    expect(message).toContain('entry 1 of 4: expected registry=url');
    expect(message).toContain('entry 2 of 4 (docker.io): the mirror must be an http:// or https:// URL');
    expect(message).toContain('entry 3 of 4 (docker.io): the mirror URL must not carry credentials');
    expect(message).toContain('entry 4 of 4: the registry must be host[:port]');
    expect(message).not.toContain('s3cret');
  });
});

describe('rate limits and request budget', () => {
  it('has defaults that leave the idle cycle alone', () => {
    const settings = config({});
    expect(settings.registryRateReserve).toEqual({ count: 2 });
    expect(settings.registryRateWarn).toEqual({ percent: 20 });
    expect(settings.registryRequestsPerSecond).toBe(20);
    expect(settings.registryRequestBurst).toBe(100);
  });

  it('reads counts and shares of the limit', () => {
    const settings = config({
      REFIT_REGISTRY_RATE_RESERVE: '10%',
      REFIT_REGISTRY_RATE_WARN: '30',
      REFIT_REGISTRY_REQUESTS_PER_SECOND: '2.5',
      REFIT_REGISTRY_REQUEST_BURST: '10',
    });
    expect(settings.registryRateReserve).toEqual({ percent: 10 });
    expect(settings.registryRateWarn).toEqual({ count: 30 });
    expect(settings.registryRequestsPerSecond).toBe(2.5);
    expect(settings.registryRequestBurst).toBe(10);
  });

  it('refuses what it cannot read', () => {
    expect(
      problems({
        REFIT_REGISTRY_RATE_RESERVE: '150%',
        REFIT_REGISTRY_RATE_WARN: 'some',
        REFIT_REGISTRY_REQUESTS_PER_SECOND: '0',
        REFIT_REGISTRY_REQUEST_BURST: '0',
      }),
    ).toEqual([
      'REFIT_REGISTRY_RATE_RESERVE: expected a number of requests (e.g. 2) or a share of the limit (e.g. 20%)',
      'REFIT_REGISTRY_RATE_WARN: expected a number of requests (e.g. 2) or a share of the limit (e.g. 20%)',
      'REFIT_REGISTRY_REQUESTS_PER_SECOND: expected a number from 0.01 to 10000',
      'REFIT_REGISTRY_REQUEST_BURST: expected a whole number from 1 to 100000',
    ]);
  });
});

describe('signature options', () => {
  it('are off by default and read the keys directory, method and default key', () => {
    expect(config({})).toMatchObject({
      signatureVerify: 'none',
      signatureKeysDir: undefined,
      signatureKey: undefined,
    });
    expect(
      config({
        REFIT_SIGNATURE_VERIFY: 'COSIGN',
        REFIT_SIGNATURE_KEYS_DIR: '/keys',
        REFIT_SIGNATURE_KEY: 'release',
      }),
    ).toMatchObject({ signatureVerify: 'cosign', signatureKeysDir: '/keys', signatureKey: 'release' });
    expect(problems({ REFIT_SIGNATURE_VERIFY: 'notary' })).toEqual([
      'REFIT_SIGNATURE_VERIFY: expected one of none, cosign',
    ]);
  });
});
