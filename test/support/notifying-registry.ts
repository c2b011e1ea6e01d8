import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

export interface NotifyingRegistry {
  readonly child: ChildProcess;
  /** `127.0.0.1:<port>`, as image references name it. */
  readonly host: string;
  /** Everything the registry printed, for failure messages. */
  readonly output: { text: string };
}

/**
 * A `docker-registry serve` of the caller's own whose notification endpoint is refit's webhook:
 * the bed's shared registries notify nobody, and this one must notify exactly the refit under
 * test. Storage lives in `dir`; resolves once the registry answers.
 */
export async function startNotifyingRegistry(options: {
  readonly dir: string;
  readonly refitPort: number;
  readonly token: string;
  /** Keep the access log off (benchmarks read no log and want no I/O). */
  readonly quiet?: boolean;
}): Promise<NotifyingRegistry> {
  const port = await freePort('tcp');
  // JSON is YAML, so the config needs no YAML writer.
  const config = {
    version: '0.1',
    log: {
      level: options.quiet === true ? 'warn' : 'info',
      formatter: 'text',
      accesslog: { disabled: options.quiet === true },
    },
    storage: { filesystem: { rootdirectory: join(options.dir, 'storage') }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
    notifications: {
      endpoints: [
        {
          name: 'refit',
          url: `http://127.0.0.1:${options.refitPort}/v1/hooks/registry`,
          headers: { Authorization: [`Bearer ${options.token}`] },
          timeout: '2s',
          threshold: 5,
          backoff: '1s',
        },
      ],
    },
  };
  const file = join(options.dir, 'config.yml');
  await writeFile(file, JSON.stringify(config, null, 2));
  const child = spawn('docker-registry', ['serve', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { text: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited at start:\n${output.text}`);
    const status = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return { child, output, host: `127.0.0.1:${port}` };
    if (Date.now() > deadline) throw new Error(`the notifying registry did not answer:\n${output.text}`);
    await sleep(100);
  }
}

/** Stops a child process: SIGTERM, then SIGKILL after 5 s. Nothing to do when it already ended. */
export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
