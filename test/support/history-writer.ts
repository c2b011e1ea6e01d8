/**
 * A child process for the history crash test: appends batches of entries to the history file
 * given as argv[2] as fast as it can, printing the number of entries on disk after each append
 * resolves, until it is killed (by the test, or by itself at `_REFIT_TEST_CRASH_AT`, as refit).
 */
import { DAY } from '../../src/config/duration.js';
import { historyEntry } from '../../src/history/history-entry.js';
import { JsonlHistoryStore } from '../../src/history/jsonl-history-store.js';
import { CRASH_POINT_VARIABLE, crashPointsFromEnv } from '../../src/update/faults.js';

const path = process.argv[2];
const batch = Number(process.argv[3] ?? '20');
const start = Number(process.argv[4] ?? '0');
if (path === undefined) throw new Error('usage: history-writer.ts <path> [batch] [first sequence number]');

const crashing = (process.env[CRASH_POINT_VARIABLE] ?? '') !== '';
const store = await JsonlHistoryStore.open({
  path,
  retention: { maxAgeSeconds: 365 * DAY, maxEntries: 1_000_000 },
  ...(crashing ? { crashAt: crashPointsFromEnv(process.env) } : {}),
});
const filler = 'x'.repeat(3000);
let sequence = start;
for (;;) {
  const entries = Array.from({ length: batch }, () => {
    const entry = historyEntry({
      kind: 'updated',
      time: new Date().toISOString(),
      container: `c${sequence}`,
      image: 'registry.example.com/app:1',
      reason: `${sequence} ${filler}`,
    });
    sequence += 1;
    return entry;
  });
  await store.append(entries);
  process.stdout.write(`${sequence}\n`);
}
