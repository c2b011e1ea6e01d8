import { spawn } from 'node:child_process';
import { DOCKER_CLI, TestbedError, dockerEnv, readTestbed, type Testbed } from './testbed.js';

export interface DockerOptions {
  /** The bed to talk to; read from testbed.json when omitted. */
  readonly bed?: Testbed;
  /** Written to the CLI's stdin (e.g. a password for `login --password-stdin`). */
  readonly input?: string;
  /** Working directory, for `docker build` contexts. */
  readonly cwd?: string;
  /** Kills the CLI after this long; default 120 s. */
  readonly timeoutMs?: number;
}

export class DockerCliError extends TestbedError {
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(args: readonly string[], exitCode: number | null, stderr: string, cause?: unknown) {
    super(`docker ${args.slice(0, 2).join(' ')} failed (exit ${String(exitCode)}): ${stderr.trim()}`, {
      cause,
    });
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/**
 * Runs Debian's Docker CLI against the bed's engine with the bed's DOCKER_CONFIG and resolves to
 * its stdout without the trailing newline; rejects with stderr in the message.
 */
export function docker(args: readonly string[], opts: DockerOptions = {}): Promise<string> {
  const bed = opts.bed ?? readTestbed();
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER_CLI, args, {
      env: dockerEnv(bed),
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 120_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      reject(new DockerCliError(args, null, error.message, error));
    });
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve(Buffer.concat(out).toString('utf8').trimEnd());
      else
        reject(new DockerCliError(args, code, signal === null ? stderr : `killed by ${signal}. ${stderr}`));
    });
    // A CLI that exits before reading its input (it failed early) closes the pipe: the exit code
    // and stderr, reported on close, say why, not the EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}
