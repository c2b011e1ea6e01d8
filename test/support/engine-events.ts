import { docker } from './docker-cli.js';
import type { Testbed } from './testbed.js';

export interface EngineEvent {
  readonly Action: string;
  readonly id: string;
  /** Nanoseconds since the epoch. */
  readonly timeNano: number;
}

/** Container events of the bed's engine for `ids` between two instants (epoch ms), oldest first. */
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
  const out = await docker(args, { bed });
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EngineEvent);
}

/** Epoch ms of the first `action` event of container `id`, if there was one. */
export function eventAt(events: readonly EngineEvent[], id: string, action: string): number | undefined {
  const found = events.find((event) => event.id === id && event.Action.startsWith(action));
  return found === undefined ? undefined : found.timeNano / 1e6;
}
