import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * What one history entry records. `updated`, `rolled-back`, `failed`, `skipped` and `pending`
 * come from cycle reports; `approved` and `dismissed` from a user's decision on a pending
 * update; `recovered` from the start-up recovery of a swap a crash interrupted. A self-update is
 * an `updated` (or `rolled-back`) entry with `self: true`.
 */
export const HISTORY_KINDS = [
  'updated',
  'rolled-back',
  'failed',
  'skipped',
  'pending',
  'approved',
  'dismissed',
  'recovered',
] as const;

export type HistoryKind = (typeof HISTORY_KINDS)[number];

/** Longest reason kept: a rollback reason quotes log lines, bounded but not tiny. */
export const MAX_REASON_LENGTH = 4000;

const text = z.string().min(1).max(1000);

/**
 * One line of the history log. Unknown fields (from a newer refit) are dropped on read rather
 * than making the line unreadable, so a rollback of refit keeps its history.
 */
export const historyEntrySchema = z.object({
  /** Line format version. */
  v: z.literal(1),
  /** Random, for links and de-duplication; not an order. */
  id: z.string().regex(/^[0-9a-f]{8,32}$/),
  /** When refit recorded the outcome (ISO, UTC). */
  time: z.iso.datetime(),
  kind: z.enum(HISTORY_KINDS),
  container: text,
  host: text.optional(),
  /** The image reference the container runs, as written when it was created. */
  image: text,
  /** The manifest digest the container ran before. */
  digestBefore: text.optional(),
  /** The digest refit moved to (`updated`), tried (`rolled-back`, `failed`) or waits for (`pending`). */
  digestAfter: text.optional(),
  tagBefore: text.optional(),
  tagAfter: text.optional(),
  versionBefore: text.optional(),
  versionAfter: text.optional(),
  reason: z.string().max(MAX_REASON_LENGTH),
  /** How long the swap took, for updates and rollbacks. */
  durationMs: z.number().int().nonnegative().optional(),
  /** What started it: `schedule`, `api`, `registry`, `page`, `mqtt`, `cli`, `start`, `recovery`. */
  trigger: text.optional(),
  /** The container refit itself runs in: a self-update. */
  self: z.boolean().optional(),
  /** A rollback someone asked for (`refit rollback`, the status page), not one after a failure. */
  requested: z.literal(true).optional(),
});

export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/** The fields a caller gives; version and id are added by `historyEntry`. */
export type HistoryEntryFields = Omit<HistoryEntry, 'v' | 'id'>;

/** A new entry with its id, the reason cut to the stored bound. */
export function historyEntry(fields: HistoryEntryFields): HistoryEntry {
  const reason =
    fields.reason.length > MAX_REASON_LENGTH
      ? `${fields.reason.slice(0, MAX_REASON_LENGTH - 1)}…`
      : fields.reason;
  return { v: 1, id: randomBytes(8).toString('hex'), ...fields, reason };
}

/** Parses one stored line; `undefined` for a line that is not a whole, valid entry. */
export function parseHistoryLine(line: string): HistoryEntry | undefined {
  if (line.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = historyEntrySchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The key of a container across hosts: the same name on two engines is two containers. */
export function containerKey(name: string, host: string | undefined): string {
  return `${host ?? ''}\u0000${name}`;
}
