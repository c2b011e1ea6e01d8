import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostEntry } from '../../../src/config/value-schemas.js';
import { certPathVariable, resolveHosts } from '../../../src/start/host-specs.js';

function settings(dockerHosts: HostEntry[], extra: { dockerConfigDir?: string } = {}) {
  return {
    dockerHosts,
    dockerTlsVerify: false,
    dockerCertPath: undefined,
    dockerConfigDir: extra.dockerConfigDir ?? '/nonexistent',
    dockerApiVersion: undefined,
  };
}

/** A Docker config directory holding one context, as `docker context create` writes it. */
function configWithContext(name: string, endpoint: Record<string, unknown>, tls: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'refit-contexts-'));
  const digest = createHash('sha256').update(name).digest('hex');
  mkdirSync(join(dir, 'contexts', 'meta', digest), { recursive: true });
  writeFileSync(
    join(dir, 'contexts', 'meta', digest, 'meta.json'),
    JSON.stringify({ Name: name, Endpoints: { docker: endpoint } }),
  );
  if (tls) {
    mkdirSync(join(dir, 'contexts', 'tls', digest, 'docker'), { recursive: true });
    writeFileSync(join(dir, 'contexts', 'tls', digest, 'docker', 'ca.pem'), 'CA');
  }
  return dir;
}

describe('resolveHosts', () => {
  it('names unnamed engines after their socket or host, and each named one as given', () => {
    const result = resolveHosts(
      settings([
        { name: undefined, url: 'unix:///var/run/docker.sock' },
        { name: undefined, url: 'tcp://pi.lan:2376' },
        { name: 'edge', url: 'tcp://10.0.0.9:2376' },
      ]),
      {},
    );
    expect(result.ok && result.hosts.map((h) => h.name)).toEqual(['local', 'pi.lan', 'edge']);
  });

  it('takes each engine’s certificates from REFIT_DOCKER_CERT_PATH_<NAME>, verifying TLS', () => {
    const env = { [certPathVariable('pi-4')]: '/certs/pi' };
    expect(certPathVariable('pi-4')).toBe('REFIT_DOCKER_CERT_PATH_PI_4');
    const result = resolveHosts(
      settings([
        { name: 'nas', url: 'unix:///var/run/docker.sock' },
        { name: 'pi-4', url: 'tcp://pi.lan:2376' },
      ]),
      env,
    );
    expect(result.ok && result.hosts[1]).toMatchObject({ tlsVerify: true, certPath: '/certs/pi' });
    expect(result.ok && result.hosts[0]).toMatchObject({ tlsVerify: false, certPath: undefined });
  });

  it('refuses two engines of one name, naming it', () => {
    const result = resolveHosts(
      settings([
        { name: 'a', url: 'tcp://one:2376' },
        { name: 'a', url: 'tcp://two:2376' },
      ]),
      {},
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]?.message).toContain('two engines are named "a"');
  });

  it('reads a Docker context’s endpoint and TLS files, and DOCKER_CONTEXT for a single engine', () => {
    const dir = configWithContext('edge', { Host: 'tcp://edge.lan:2376', SkipTLSVerify: false }, true);
    const named = resolveHosts(
      settings([{ name: undefined, url: 'context:edge' }], { dockerConfigDir: dir }),
      {},
    );
    expect(named.ok && named.hosts[0]).toMatchObject({
      name: 'edge',
      dockerHost: 'tcp://edge.lan:2376',
      tlsVerify: true,
    });
    const fromEnv = resolveHosts(
      settings([{ name: undefined, url: 'unix:///var/run/docker.sock' }], { dockerConfigDir: dir }),
      { DOCKER_CONTEXT: 'edge' },
    );
    expect(fromEnv.ok && fromEnv.hosts[0]?.dockerHost).toBe('tcp://edge.lan:2376');
  });

  it('refuses a context that skips TLS verification, and one it cannot read', () => {
    const dir = configWithContext('lax', { Host: 'tcp://lax:2376', SkipTLSVerify: true }, false);
    const lax = resolveHosts(
      settings([{ name: undefined, url: 'context:lax' }], { dockerConfigDir: dir }),
      {},
    );
    expect(!lax.ok && lax.problems[0]?.message).toContain('skips TLS verification');
    const missing = resolveHosts(
      settings([{ name: undefined, url: 'context:nope' }], { dockerConfigDir: dir }),
      {},
    );
    expect(!missing.ok && missing.problems[0]?.message).toContain('no Docker context "nope"');
  });
});

describe('resolveHosts with one engine written twice', () => {
  it('manages it once, with Docker’s TLS variables as for a single engine', () => {
    const url = 'tcp://docker.lan:2376';
    const result = resolveHosts(
      {
        ...settings([
          { name: undefined, url },
          { name: undefined, url },
        ]),
        dockerTlsVerify: true,
        dockerCertPath: '/certs',
      },
      {},
    );
    expect(result.ok && result.hosts).toEqual([
      expect.objectContaining({ name: 'docker.lan', dockerHost: url, tlsVerify: true, certPath: '/certs' }),
    ]);
  });
});
