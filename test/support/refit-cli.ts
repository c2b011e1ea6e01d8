import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/refit.js', import.meta.url));

/** The V8 flags refit's launchers give node (`bin/node-flags`), so tests run refit as they do. */
export function refitNodeFlags(): string[] {
  return readFileSync(new URL('../../bin/node-flags', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join(' ')
    .split(/\s+/)
    .filter((flag) => flag !== '');
}

const stateDirs: string[] = [];
process.once('exit', () => {
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

/** A new, empty state directory (journal, remembered schemes…), removed when the test process ends. */
export function tempStateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'refit-state-'));
  stateDirs.push(dir);
  return dir;
}

/**
 * The environment a refit under test gets: only what the test gives (plus PATH and HOME), so no
 * setting leaks in from the machine, and a state directory of its own unless the test shares one
 * on purpose, so nothing another run left behind can change what this one does.
 */
function refitEnv(env: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    REFIT_STATE_DIR: tempStateDir(),
    ...env,
  };
}

export interface RefitRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `refit` command as a user would, in the environment `refitEnv` makes. */
export function runRefit(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<RefitRun> {
  if (!existsSync(new URL('../../dist/cli.js', import.meta.url))) {
    throw new Error('dist/cli.js is missing: run `npm run build` (the test command does)');
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...refitNodeFlags(), bin, ...args], {
      cwd: root,
      env: refitEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`refit ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `refit` as a long-running daemon; the caller stops it (SIGTERM) and awaits `exited`. */
export function startRefit(
  args: readonly string[],
  env: Record<string, string>,
): {
  child: ChildProcessWithoutNullStreams;
  output: { stdout: string; stderr: string };
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [...refitNodeFlags(), bin, ...args], {
    cwd: root,
    env: refitEnv(env),
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, output, exited };
}
