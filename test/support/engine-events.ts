import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { docker } from './docker-cli.js';
import { DOCKER_CLI, dockerEnv, type Testbed } from './testbed.js';

export interface EngineEvent {
  readonly Action: string;
  readonly id: string;
  /** Nanoseconds since the epoch. */
  readonly timeNano: number;
  /** The container's attributes at the time: its name and labels. */
  readonly Actor?: { readonly Attributes?: Readonly<Record<string, string>> };
}

/** `docker events --format '{{json .}}'` output, one event per line. */
function parseEvents(out: string): EngineEvent[] {
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EngineEvent);
}

/** Container events of the bed's engine as they happen, until `stop` is called. */
export interface EventRecording {
  /** Ends the recording and resolves to the events seen, oldest first. */
  stop(): Promise<EngineEvent[]>;
}

/**
 * Records container events live, narrowed by `docker events --filter` values. Unlike a query
 * of the past (`--since`), which the engine answers from a buffer of its last 256 events, this
 * misses nothing however busy the engine is with other work. Resolves once the CLI is attached.
 */
export async function recordContainerEvents(
  bed: Testbed,
  filters: readonly string[],
): Promise<EventRecording> {
  const args = ['events', '--filter', 'type=container', '--format', '{{json .}}'];
  for (const filter of filters) args.push('--filter', filter);
  const child = spawn(DOCKER_CLI, args, { env: dockerEnv(bed), stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const exited = new Promise<void>((resolve) => {
    child.on('close', () => {
      resolve();
    });
  });
  // The CLI gives no sign that it is attached; its connection is up well within this.
  await sleep(300);
  if (child.exitCode !== null) {
    throw new Error(`docker events exited at once: ${Buffer.concat(err).toString('utf8')}`);
  }
  return {
    async stop() {
      // Events the engine sent just before are still on their way through the pipe.
      await sleep(300);
      child.kill('SIGTERM');
      await exited;
      return parseEvents(Buffer.concat(out).toString('utf8'));
    },
  };
}

/**
 * Container events of the bed's engine for `ids` between two instants (epoch ms), oldest first.
 * The engine answers from a buffer of its last 256 events; `recordContainerEvents` misses none.
 */
export async function containerEvents(
  bed: Testbed,
  sinceMs: number,
  untilMs: number,
  ids: readonly string[],
): Promise<EngineEvent[]> {
  const args = [
    'events',
    '--since',
    String(Math.floor(sinceMs / 1000) - 1),
    '--until',
    String(Math.ceil(untilMs / 1000) + 1),
    '--filter',
    'type=container',
    '--format',
    '{{json .}}',
  ];
  for (const id of ids) args.push('--filter', `container=${id}`);
  return parseEvents(await docker(args, { bed }));
}

/** Epoch ms of the first `action` event of container `id`, if there was one. */
export function eventAt(events: readonly EngineEvent[], id: string, action: string): number | undefined {
  const found = events.find((event) => event.id === id && event.Action.startsWith(action));
  return found === undefined ? undefined : found.timeNano / 1e6;
}
