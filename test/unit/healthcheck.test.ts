import { describe, expect, it } from 'vitest';
import { planProbe, refitArgv, runHealthCheckFlag } from '../../src/healthcheck.js';

describe("the image's health check", () => {
  it('asks /healthz on the default port over loopback', () => {
    expect(planProbe([], {})).toEqual({ kind: 'probe', host: '127.0.0.1', port: 8080 });
  });

  it('follows the port and host refit was given, by flag or variable', () => {
    expect(planProbe(['--http-api-port', '9100'], {})).toMatchObject({ kind: 'probe', port: 9100 });
    expect(planProbe([], { REFIT_HTTP_API_PORT: '9200', REFIT_HTTP_API_HOST: '127.0.0.1' })).toMatchObject({
      kind: 'probe',
      host: '127.0.0.1',
      port: 9200,
    });
  });

  it('passes without asking when refit has no HTTP API to ask', () => {
    expect(planProbe([], { REFIT_HTTP_API_PORT: '0' }).kind).toBe('pass');
    expect(planProbe(['--run-once'], {}).kind).toBe('pass');
    expect(planProbe([], { _REFIT_HANDOVER_CONTAINER: 'abc', _REFIT_HANDOVER_IMAGE: 'sha256:1' }).kind).toBe(
      'pass',
    );
  });

  it('fails, naming the variable, when the configuration is invalid', () => {
    const plan = planProbe([], { REFIT_HTTP_API_PORT: 'eighty' });
    expect(plan).toMatchObject({
      kind: 'fail',
      reason: expect.stringContaining('REFIT_HTTP_API_PORT') as unknown,
    });
  });

  it("reads refit's own arguments from its command line, whatever launched it", () => {
    const cmdline = (...args: string[]): string => `${args.join('\u0000')}\u0000`;
    expect(refitArgv(cmdline('node', '/app/bin/refit.js', '--interval', '300'))).toEqual([
      '--interval',
      '300',
    ]);
    expect(refitArgv(cmdline('/sbin/docker-init', '--', 'node', '/app/bin/refit.js', '--cleanup'))).toEqual([
      '--cleanup',
    ]);
    expect(refitArgv(cmdline('sleep', '100'))).toBeUndefined();
  });
});

describe('--health-check (Watchtower flag)', () => {
  it('refuses to be the main process of the container', async () => {
    const lines: string[] = [];
    const status = await runHealthCheckFlag({
      argv: [],
      env: {},
      write: (line) => lines.push(line),
      pid: 1,
      refitArgv: () => [],
    });
    expect(status).toBe(1);
    expect(lines[0]).toContain('not for the main process');
  });

  it('uses the settings given beside it, else those of the refit in the container', async () => {
    const asked: string[] = [];
    const io = (argv: string[]) => ({
      argv,
      env: {},
      write: (line: string) => asked.push(line),
      pid: 4242,
      refitArgv: () => ['--run-once'],
    });
    // --run-once: no HTTP API to ask, so the probe passes without a request.
    expect(await runHealthCheckFlag(io([]))).toBe(0);
    expect(asked.at(-1)).toContain('--run-once');
    expect(await runHealthCheckFlag(io(['--http-api-port', '0']))).toBe(0);
    expect(asked.at(-1)).toContain('port 0');
  });
});
