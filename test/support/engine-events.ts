import { docker } from './docker-cli.js';
import type { Testbed } from './testbed.js';

export interface EngineEvent {
  readonly Action: string;
  readonly id: string;
  /** Nanoseconds since the epoch. */
  readonly timeNano: number;
  /** The container's attributes at the time: its name and labels. */
  readonly Actor?: { readonly Attributes?: Readonly<Record<string, string>> };
}

/**
 * Container events of the bed's engine between two instants (epoch ms), oldest first, narrowed
 * by `docker events --filter` values such as `container=<id>`, `event=create` or `label=k=v`.
 * `--since` and `--until` take whole seconds, so a second of slack either side is asked for:
 * callers that need the exact window compare `timeNano` themselves.
 */
export async function engineContainerEvents(
  bed: Testbed,
  sinceMs: number,
  untilMs: number,
  filters: readonly string[],
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
  for (const filter of filters) args.push('--filter', filter);
  const out = await docker(args, { bed });
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EngineEvent);
}

/** Container events of the bed's engine for `ids` between two instants (epoch ms), oldest first. */
export function containerEvents(
  bed: Testbed,
  sinceMs: number,
  untilMs: number,
  ids: readonly string[],
): Promise<EngineEvent[]> {
  return engineContainerEvents(
    bed,
    sinceMs,
    untilMs,
    ids.map((id) => `container=${id}`),
  );
}

/** Epoch ms of the first `action` event of container `id`, if there was one. */
export function eventAt(events: readonly EngineEvent[], id: string, action: string): number | undefined {
  const found = events.find((event) => event.id === id && event.Action.startsWith(action));
  return found === undefined ? undefined : found.timeNano / 1e6;
}
