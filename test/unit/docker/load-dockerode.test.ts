import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const loader = new URL('../../../src/docker/load-dockerode.ts', import.meta.url).href;

interface Loaded {
  /** Every CommonJS file in node's module cache afterwards. */
  readonly files: string[];
  /** What constructing docker-modem's ssh client did. */
  readonly sshClient: string;
}

/**
 * Loads dockerode the way refit does in a fresh node process (the module cache is per process),
 * builds a client for a unix socket, and reports what ended up loaded.
 */
function loadInFreshProcess(): Loaded {
  const script = `
    import { createRequire } from 'node:module';
    const { loadDockerode } = await import(${JSON.stringify(loader)});
    const Docker = loadDockerode();
    new Docker({ socketPath: '/run/refit-no-such.sock' });
    const require = createRequire(import.meta.url);
    const modem = createRequire(require.resolve('dockerode')).resolve('docker-modem');
    const { Client } = createRequire(modem)('ssh2');
    let sshClient;
    try { new Client(); sshClient = 'constructed'; } catch (error) { sshClient = String(error); }
    process.stdout.write(JSON.stringify({ files: Object.keys(require.cache), sshClient }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as Loaded;
}

describe('loadDockerode', () => {
  const loaded = loadInFreshProcess();
  const filesOf = (pkg: string): string[] =>
    loaded.files.filter((file) => file.includes(`/node_modules/${pkg}/`));

  it('loads dockerode and its HTTP transport', () => {
    expect(filesOf('dockerode').length).toBeGreaterThan(1);
    expect(filesOf('docker-modem').length).toBeGreaterThan(1);
  });

  it('leaves out the ssh and BuildKit code refit never uses', () => {
    // At most the stand-in that takes ssh2's place in the cache; none of its real files.
    expect(filesOf('ssh2').length).toBeLessThanOrEqual(1);
    expect(filesOf('@grpc/grpc-js')).toEqual([]);
    expect(filesOf('@grpc/proto-loader')).toEqual([]);
    expect(filesOf('protobufjs')).toEqual([]);
  });

  it('fails clearly, naming the feature, if something reaches for the code left out', () => {
    expect(loaded.sshClient).toBe(
      'UnloadedFeatureError: refit does not load the code for ssh:// Docker hosts',
    );
  });
});
