import { parseImageReference } from '../domain/image-ref.js';
import type { ContainerReport, CycleReport } from '../domain/report.js';
import {
  historyEntry,
  type HistoryEntry,
  type HistoryEntryFields,
  type HistoryKind,
} from './history-entry.js';
import type { HistoryStore } from './history-store.js';

/** The newest recorded entry of a container, to leave out repeats. */
export type LatestEntry = (name: string, host: string | undefined) => HistoryEntry | undefined;

/**
 * Report statuses that are outcomes worth a history entry. `fresh` and `stale` are states, not
 * outcomes: recording them would write every container every cycle.
 */
const KIND_OF_STATUS: Readonly<Record<string, HistoryKind>> = {
  updated: 'updated',
  'rolled-back': 'rolled-back',
  failed: 'failed',
  skipped: 'skipped',
  pending: 'pending',
};

/** Kinds that repeat every cycle while nothing changes: recorded when they first appear. */
const REPEATING: ReadonlySet<HistoryKind> = new Set(['failed', 'skipped', 'pending']);

function tagOf(image: string): string | undefined {
  try {
    return parseImageReference(image).tag;
  } catch {
    return undefined;
  }
}

/** The history fields one container's report gives (everything but kind, time and trigger). */
export function fieldsOfReport(
  container: ContainerReport,
): Omit<HistoryEntryFields, 'kind' | 'time' | 'trigger'> {
  const tagBefore = tagOf(container.image);
  const tagAfter = container.targetTag ?? (container.remoteDigest === undefined ? undefined : tagBefore);
  const digestBefore = container.localDigests?.[0];
  const optional = {
    host: container.host,
    digestBefore,
    digestAfter: container.remoteDigest,
    tagBefore,
    tagAfter,
    versionBefore: container.currentVersion,
    versionAfter: container.targetVersion,
    durationMs:
      container.durationMs === undefined ? undefined : Math.max(0, Math.round(container.durationMs)),
    self: container.self === true ? true : undefined,
    requested: container.requested,
  };
  return {
    container: container.name,
    image: container.image,
    reason: container.reason,
    ...present(optional),
  };
}

/** The fields whose value is set: optional properties may be absent, never `undefined`. */
function present<T extends Record<string, unknown>>(
  fields: T,
): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<{
    [K in keyof T]: Exclude<T[K], undefined>;
  }>;
}

function isRepeat(kind: HistoryKind, container: ContainerReport, last: HistoryEntry | undefined): boolean {
  if (last === undefined || last.kind !== kind || !REPEATING.has(kind)) return false;
  // A pending update is the same while it waits for the same digest; others while the reason holds.
  if (kind === 'pending') return last.digestAfter === container.remoteDigest;
  return last.reason === container.reason;
}

/**
 * The entries one cycle adds to the history: every update and rollback, and each failure, skip
 * and pending update when it first appears or its reason changes (a container that fails the
 * same way every hour is one entry, not 24 a day).
 */
export function historyEntriesFromReport(
  report: CycleReport,
  latest: LatestEntry,
  trigger?: string,
): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const container of report.containers) {
    const kind = KIND_OF_STATUS[container.status];
    if (kind === undefined) continue;
    if (isRepeat(kind, container, latest(container.name, container.host))) continue;
    entries.push(
      historyEntry({
        ...fieldsOfReport(container),
        kind,
        time: report.finishedAt,
        ...(trigger === undefined ? {} : { trigger }),
      }),
    );
  }
  return entries;
}

/**
 * Records one cycle's outcomes. The store's own index says what was recorded last, when it has
 * one (the JSON-lines store); otherwise the newest entry is asked for per container.
 */
export async function recordReport(
  store: HistoryStore & { latest?: LatestEntry },
  report: CycleReport,
  trigger?: string,
): Promise<HistoryEntry[]> {
  let latest: LatestEntry;
  if (store.latest !== undefined) {
    latest = store.latest.bind(store);
  } else {
    const known = new Map<string, HistoryEntry>();
    for (const container of report.containers) {
      const [entry] = await store.query({
        container: container.name,
        ...(container.host === undefined ? {} : { host: container.host }),
        limit: 1,
      });
      if (entry !== undefined) known.set(`${container.host ?? ''}/${container.name}`, entry);
    }
    latest = (name, host) => known.get(`${host ?? ''}/${name}`);
  }
  const entries = historyEntriesFromReport(report, latest, trigger);
  await store.append(entries);
  return entries;
}
