import { join } from 'node:path';
import { z } from 'zod';
import { RefitError } from '../errors.js';
import { mapStore, memoryMapStore, type MapStore } from '../util/json-state-store.js';
import { sameTarget, type ApprovalRecord, type UpdateTarget } from './approval.js';

export const APPROVALS_FILE = 'approvals.json';

const entrySchema = z.object({
  /** The image reference the target names, as reports write it (`docker.io/library/nginx:1.27.1`). */
  image: z.string(),
  target: z.object({ tag: z.string().min(1).optional(), digest: z.string().min(1) }),
  state: z.enum(['pending', 'approved', 'dismissed']),
  requestedAt: z.iso.datetime(),
  decidedAt: z.iso.datetime().optional(),
});

export type ApprovalEntry = z.infer<typeof entrySchema>;

export class ApprovalsError extends RefitError {
  constructor(message: string, cause?: unknown) {
    super('APPROVALS_ERROR', message, { cause });
  }
}

/** Container name → the update waiting for (or given) approval, in `approvals.json`. */
export type ApprovalStore = MapStore<ApprovalEntry>;

export function approvalsFile(stateDir: string): string {
  return join(stateDir, APPROVALS_FILE);
}

export function createApprovalStore(stateDir: string): ApprovalStore {
  return mapStore(
    approvalsFile(stateDir),
    'containers',
    entrySchema,
    (message, cause) => new ApprovalsError(message, cause),
  );
}

export function createMemoryApprovalStore(
  initial: ReadonlyMap<string, ApprovalEntry> = new Map(),
): ApprovalStore & { readonly current: () => ReadonlyMap<string, ApprovalEntry> } {
  return memoryMapStore(initial);
}

/** The answer to an approve or dismiss request, for the HTTP API to map to a status. */
export type ApprovalAnswer =
  | { readonly kind: 'done'; readonly entry: ApprovalEntry }
  /** Nothing waits for approval for that container (404). */
  | { readonly kind: 'not-pending' }
  /** The caller named a target that is no longer the one waiting (409): they saw an old report. */
  | { readonly kind: 'target-changed'; readonly entry: ApprovalEntry };

function fromTarget(target: UpdateTarget): ApprovalEntry['target'] {
  return target.tag === undefined ? { digest: target.digest } : { tag: target.tag, digest: target.digest };
}

function toTarget(entry: ApprovalEntry): UpdateTarget {
  return { tag: entry.target.tag, digest: entry.target.digest };
}

/**
 * Pending approvals, shared by the cycle (which asks and applies) and the HTTP API (which
 * approves and dismisses). Every change is written at once, in order, so an approval survives a
 * restart the moment its request is answered.
 */
export class Approvals {
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: ApprovalStore,
    private readonly entries: Map<string, ApprovalEntry>,
  ) {}

  static async load(store: ApprovalStore): Promise<Approvals> {
    return new Approvals(store, new Map(await store.load()));
  }

  /** What the store holds for `container`, for `approvalDecision`. */
  record(container: string): ApprovalRecord | undefined {
    const entry = this.entries.get(container);
    return entry === undefined ? undefined : { target: toTarget(entry), state: entry.state };
  }

  /** Every entry, for `GET` listings and the report. */
  list(): ReadonlyMap<string, ApprovalEntry> {
    return new Map(this.entries);
  }

  /**
   * Asks for approval of `target` (a `manual` container found stale). The same target keeps its
   * entry and state; another target replaces it, so an approval given for an older target
   * does not carry over.
   */
  async request(container: string, image: string, target: UpdateTarget, now: number): Promise<ApprovalEntry> {
    const existing = this.entries.get(container);
    if (existing !== undefined && sameTarget(toTarget(existing), target)) return existing;
    const entry: ApprovalEntry = {
      image,
      target: fromTarget(target),
      state: 'pending',
      requestedAt: new Date(now).toISOString(),
    };
    await this.put(container, entry);
    return entry;
  }

  /** Approves what waits for `container`; `expected`, when given, must be that target. */
  approve(container: string, now: number, expected?: Partial<UpdateTarget>): Promise<ApprovalAnswer> {
    return this.decide(container, 'approved', now, expected);
  }

  /** Declines what waits for `container`: it is not asked about again until the target changes. */
  dismiss(container: string, now: number, expected?: Partial<UpdateTarget>): Promise<ApprovalAnswer> {
    return this.decide(container, 'dismissed', now, expected);
  }

  /** Forgets `container`'s entry: after its swap, or when it no longer waits for anything. */
  async forget(container: string): Promise<void> {
    if (!this.entries.has(container)) return;
    this.entries.delete(container);
    await this.write();
  }

  /** Forgets entries of containers not in `containers` (removed, renamed, no longer manual). */
  async retain(containers: Iterable<string>): Promise<void> {
    const keep = new Set(containers);
    const gone = [...this.entries.keys()].filter((name) => !keep.has(name));
    if (gone.length === 0) return;
    for (const name of gone) this.entries.delete(name);
    await this.write();
  }

  private async decide(
    container: string,
    state: 'approved' | 'dismissed',
    now: number,
    expected: Partial<UpdateTarget> | undefined,
  ): Promise<ApprovalAnswer> {
    const entry = this.entries.get(container);
    if (entry === undefined) return { kind: 'not-pending' };
    const mismatch =
      (expected?.digest !== undefined && expected.digest !== entry.target.digest) ||
      (expected?.tag !== undefined && expected.tag !== entry.target.tag);
    if (mismatch) return { kind: 'target-changed', entry };
    const decided: ApprovalEntry = { ...entry, state, decidedAt: new Date(now).toISOString() };
    await this.put(container, decided);
    return { kind: 'done', entry: decided };
  }

  private async put(container: string, entry: ApprovalEntry): Promise<void> {
    this.entries.set(container, entry);
    await this.write();
  }

  /** Writes the current entries after every earlier write, so the file ends as the memory is. */
  private write(): Promise<void> {
    const snapshot = new Map(this.entries);
    const next = this.writes.catch(() => undefined).then(() => this.store.save(snapshot));
    this.writes = next;
    return next;
  }
}
