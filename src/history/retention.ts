import { DAY } from '../config/duration.js';

/** How much history is kept: entries older than the age, and beyond the count, are dropped. */
export interface RetentionPolicy {
  readonly maxAgeSeconds: number;
  readonly maxEntries: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { maxAgeSeconds: 180 * DAY, maxEntries: 5000 };

/** Entries recorded before this time (ms since the epoch) are past the age limit. */
export function ageCutoffMs(policy: RetentionPolicy, now: Date): number {
  return now.getTime() - policy.maxAgeSeconds * 1000;
}

/**
 * Whether the log is worth rewriting. Queries already hide what retention drops, so the file
 * only needs compacting once it holds a good deal more than it should: rewriting after every
 * append would cost a full copy each time.
 */
export function needsCompaction(
  stats: { readonly lines: number; readonly oldestMs: number | undefined },
  policy: RetentionPolicy,
  now: Date,
): boolean {
  const slack = Math.max(50, Math.ceil(policy.maxEntries / 4));
  if (stats.lines > policy.maxEntries + slack) return true;
  return stats.oldestMs !== undefined && stats.oldestMs < ageCutoffMs(policy, now) - DAY * 1000;
}
