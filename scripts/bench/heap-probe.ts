import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

/**
 * A preload (`node --import`) for the measured refit process: on SIGUSR2 it writes
 * process.memoryUsage() and V8's heap space sizes to a file, after a full GC when the command
 * file says `gc`. It does nothing until signalled, so the figures it explains stay refit's own.
 */
const PROBE_SOURCE = `import { readFileSync, writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
const out = process.env.REFIT_BENCH_HEAP_PROBE;
if (out) {
  process.on('SIGUSR2', () => {
    let gc = false;
    try { gc = readFileSync(out + '.cmd', 'utf8').trim() === 'gc'; } catch {}
    if (gc && typeof globalThis.gc === 'function') globalThis.gc();
    const spaces = {};
    for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = { size: s.space_size, used: s.space_used_size };
    writeFileSync(out + '.tmp', JSON.stringify({ at: Date.now(), gc, ...process.memoryUsage(), spaces }));
    writeFileSync(out, readFileSync(out + '.tmp'));
  });
}
`;

const statsSchema = z.object({
  at: z.number(),
  gc: z.boolean(),
  rss: z.number(),
  heapTotal: z.number(),
  heapUsed: z.number(),
  external: z.number(),
  arrayBuffers: z.number(),
  spaces: z.record(z.string(), z.object({ size: z.number(), used: z.number() })),
});
export type HeapStats = z.infer<typeof statsSchema>;

export class HeapProbe {
  readonly dir = mkdtempSync(join(tmpdir(), 'refit-bench-probe-'));
  private readonly script = join(this.dir, 'probe.mjs');
  private readonly out = join(this.dir, 'stats.json');

  constructor() {
    writeFileSync(this.script, PROBE_SOURCE);
  }

  /** Environment that loads the probe into refit's process. */
  env(): Record<string, string> {
    return {
      NODE_OPTIONS: `--expose-gc --import ${pathToFileURL(this.script).href}`,
      REFIT_BENCH_HEAP_PROBE: this.out,
    };
  }

  /** Asks process `pid` for its memory figures (after a full GC with `gc`). */
  async read(pid: number, gc = false): Promise<HeapStats> {
    writeFileSync(`${this.out}.cmd`, gc ? 'gc' : 'stats');
    const before = existsSync(this.out) ? readFileSync(this.out, 'utf8') : '';
    process.kill(pid, 'SIGUSR2');
    const deadline = Date.now() + 5_000;
    for (;;) {
      const text = existsSync(this.out) ? readFileSync(this.out, 'utf8') : '';
      if (text !== '' && text !== before) return statsSchema.parse(JSON.parse(text));
      if (Date.now() > deadline) throw new Error(`the heap probe in pid ${pid} did not answer`);
      await sleep(20);
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
