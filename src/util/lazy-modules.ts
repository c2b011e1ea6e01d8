import { createRequire } from 'node:module';
import type Mustache from 'mustache';
import type * as NodeCron from 'node-cron';

// Packages only some configurations use, loaded (through their CommonJS builds, synchronously) the
// first time they are needed: a refit polling on an interval without notifications never carries
// them in memory. docs/benchmarks.md has what that saves.
const load = createRequire(import.meta.url);

let cron: typeof NodeCron | undefined;
let mustache: typeof Mustache | undefined;

/** node-cron, for a cron schedule. */
export function nodeCron(): typeof NodeCron {
  cron ??= load('node-cron') as typeof NodeCron;
  return cron;
}

/** Mustache, for message templates. */
export function mustacheModule(): typeof Mustache {
  mustache ??= load('mustache') as typeof Mustache;
  return mustache;
}
