import { describe, expect, it } from 'vitest';
import { containerDocument } from '../../support/documents.js';
import { handoverFromEnv, handoverHelperBody } from '../../../src/update/self/handover.js';

const target = containerDocument({
  Id: 'a'.repeat(64),
  Name: '/refit',
  Image: `sha256:${'1'.repeat(64)}`,
  State: { Status: 'running', Running: true, ExitCode: 0, StartedAt: '2025-01-01T00:00:00Z' },
  Config: {
    Image: 'ghcr.io/example/refit:latest',
    Env: [
      'WATCHTOWER_TIMEOUT=5s',
      'REFIT_SCHEDULE=0 0 4 * * *',
      'DOCKER_HOST=unix:///var/run/docker.sock',
      'TZ=UTC',
    ],
  },
  HostConfig: {
    Binds: ['/var/run/docker.sock:/var/run/docker.sock', 'refit-state:/var/lib/refit'],
    NetworkMode: 'monitoring',
    PortBindings: { '8080/tcp': [{ HostIp: '', HostPort: '8080' }] },
    RestartPolicy: { Name: 'unless-stopped' },
  },
});

const body = handoverHelperBody({
  target,
  targetName: 'refit',
  newImageId: `sha256:${'2'.repeat(64)}`,
  helperName: 'refit-refit-handover-1234',
  settings: {
    stateDir: '/var/lib/refit',
    stopTimeoutSeconds: 30,
    settleSeconds: 5,
    healthTimeoutSeconds: 120,
    cleanup: true,
    dockerHost: 'unix:///var/run/docker.sock',
    logLevel: 'info',
  },
});

describe('the self-update helper container', () => {
  it('runs the new image with the mounts and network refit has, so it reaches the same engine and journal', () => {
    expect(body.Image).toBe(`sha256:${'2'.repeat(64)}`);
    expect(body.HostConfig).toMatchObject({
      Binds: ['/var/run/docker.sock:/var/run/docker.sock', 'refit-state:/var/lib/refit'],
      NetworkMode: 'monitoring',
      AutoRemove: true,
    });
  });

  it("never publishes refit's ports or restarts, which would clash with refit itself", () => {
    const host = body.HostConfig as Record<string, unknown>;
    expect(host.PortBindings).toBeUndefined();
    expect(host.RestartPolicy).toBeUndefined();
  });

  it("carries refit's effective settings explicitly and keeps its other variables", () => {
    const env = body.Env as string[];
    expect(env).toContain('REFIT_TIMEOUT=30');
    expect(env).toContain('REFIT_CLEANUP=true');
    expect(env).toContain('TZ=UTC');
    expect(env).toContain('REFIT_SCHEDULE=0 0 4 * * *');
    expect(env.some((e) => e.startsWith('WATCHTOWER_TIMEOUT='))).toBe(false);
    expect(
      handoverFromEnv(
        Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
      ),
    ).toEqual({
      container: 'a'.repeat(64),
      image: `sha256:${'2'.repeat(64)}`,
      owner: 'refit-refit-handover-1234',
    });
  });

  it('opts itself out of every refit', () => {
    expect(body.Labels).toMatchObject({ 'refit.enable': 'false' });
  });

  it('is not a helper without both variables', () => {
    expect(handoverFromEnv({ _REFIT_HANDOVER_CONTAINER: 'x' })).toBeUndefined();
  });
});
