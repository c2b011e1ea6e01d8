import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { describeError } from '../errors.js';
import { writeJsonAtomically } from '../util/atomic-write.js';
import type { RegistryLogger } from './registry-http.js';

/** Which authentication a registry wants: what a request must carry to be let in first time. */
export type RegistryScheme =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic' }
  | { readonly kind: 'bearer'; readonly realm: string; readonly service: string | undefined };

export const REGISTRY_SCHEMES_FILE = 'registry-schemes.json';
const VERSION = 1;

// Only what the registries' own answers say: never a credential or a token.
const schemeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z.object({ kind: z.literal('basic') }).strict(),
  z.object({ kind: z.literal('bearer'), realm: z.string().min(1), service: z.string().optional() }).strict(),
]);

const fileSchema = z.object({
  version: z.literal(VERSION),
  /** Registry (`host[:port]`, `docker.io` for Docker Hub) → the scheme it asked for. */
  registries: z.record(z.string().min(1), schemeSchema),
});

type SchemeFile = z.infer<typeof fileSchema>;

/**
 * The schemes registries asked for, kept in the state directory so a restarted refit
 * authenticates its first manifest requests up front without asking each registry again.
 * Losing it costs one anonymous manifest request per registry that wants authentication (its
 * 401 teaches the scheme again), so neither method ever rejects: a problem is
 * logged as a warning and refit learns the schemes again.
 */
export interface SchemeStore {
  /** The schemes saved earlier; empty when there is no file or it cannot be used. */
  load(): Promise<ReadonlyMap<string, RegistryScheme>>;
  /**
   * Saves `schemes` unless the file already holds exactly them. Writes run one at a time, and
   * one that starts late writes the newest schemes, so the returned promise settling means the
   * file holds them (or a warning said why not).
   */
  save(schemes: ReadonlyMap<string, RegistryScheme>): Promise<void>;
}

export function registrySchemesFile(stateDir: string): string {
  return join(stateDir, REGISTRY_SCHEMES_FILE);
}

export function createSchemeFileStore(file: string, logger?: RegistryLogger): SchemeStore {
  /** The body the file is known to hold, so an unchanged set of schemes is never rewritten. */
  let onDisk: string | undefined;
  let wanted: SchemeFile | undefined;
  let queue: Promise<void> = Promise.resolve();

  const writeWanted = async (): Promise<void> => {
    const next = wanted;
    if (next === undefined) return;
    const body = JSON.stringify(next);
    if (body === onDisk) return;
    try {
      await writeJsonAtomically(file, next);
      onDisk = body;
    } catch (error) {
      logger?.warn(
        { file, err: describeError(error) },
        'cannot save the registry authentication schemes; after a restart refit will ask the registries again',
      );
    }
  };

  return {
    async load() {
      let raw: string;
      try {
        raw = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') ignoring(file, describeError(error), logger);
        return new Map();
      }
      const parsed = parseFile(raw);
      if (typeof parsed === 'string') {
        ignoring(file, parsed, logger);
        return new Map();
      }
      const schemes = new Map(
        Object.entries(parsed.registries).map(([registry, scheme]) => [registry, fromFile(scheme)]),
      );
      // Compared in the form save writes, so however the file is laid out it is not rewritten
      // until a scheme changes.
      onDisk = JSON.stringify(toFile(schemes));
      return schemes;
    },

    save(schemes) {
      wanted = toFile(schemes);
      queue = queue.then(writeWanted);
      return queue;
    },
  };
}

/** The file's content, or why it cannot be used. */
function parseFile(raw: string): SchemeFile | string {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return 'it is not JSON';
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version !== VERSION) {
    return `it has version ${String(version)}, this refit reads version ${String(VERSION)}`;
  }
  const result = fileSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? 'top level' : issue.path.join('.');
    return `it has an unexpected shape (${where}: ${issue?.message ?? 'invalid'})`;
  }
  return result.data;
}

function ignoring(file: string, reason: string, logger: RegistryLogger | undefined): void {
  logger?.warn(
    { file, reason },
    'ignoring the saved registry authentication schemes; refit will ask the registries again',
  );
}

function fromFile(scheme: z.infer<typeof schemeSchema>): RegistryScheme {
  return scheme.kind === 'bearer'
    ? { kind: 'bearer', realm: scheme.realm, service: scheme.service }
    : { kind: scheme.kind };
}

function toFile(schemes: ReadonlyMap<string, RegistryScheme>): SchemeFile {
  // Sorted, so the same schemes always make the same file.
  const entries = [...schemes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const registries = Object.fromEntries(
    entries.map(([registry, scheme]) => [
      registry,
      scheme.kind === 'bearer'
        ? {
            kind: 'bearer' as const,
            realm: scheme.realm,
            ...(scheme.service === undefined ? {} : { service: scheme.service }),
          }
        : { kind: scheme.kind },
    ]),
  );
  return { version: VERSION, registries };
}
