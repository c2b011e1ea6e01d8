import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { describeError } from '../errors.js';
import { writeFileAtomically } from '../util/atomic-write.js';
import { findServiceImage, rewriteServiceImage } from './compose-image-line.js';

/**
 * Compose write (`refit.compose.write=true`): before a compose-owned container moves to a new
 * tag, refit rewrites that service's `image:` line in the compose file, so that the next
 * `docker compose up -d` finds file and container agreeing and changes nothing.
 *
 * The files are found from the labels Compose v2 puts on the container; refit must see them at
 * the same path (mount the project directory into refit's container at the path it has on the
 * host). Of several files (`-f base.yml -f prod.yml`), the last one that sets the service's image
 * is rewritten: that is the one compose takes.
 */
export const COMPOSE_FILE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
} as const;

export interface ComposeLocation {
  readonly service: string;
  /** Absolute paths, in the order compose read them. */
  readonly files: readonly string[];
}

export type ComposeLocationResult =
  | { readonly ok: true; readonly location: ComposeLocation }
  | { readonly ok: false; readonly problem: string };

/** Whether the container was created by Docker Compose. */
export function isComposeOwned(labels: Readonly<Record<string, string>>): boolean {
  return (labels[COMPOSE_FILE_LABELS.project] ?? '') !== '';
}

/** The service and compose files named by a container's compose labels. */
export function composeLocation(labels: Readonly<Record<string, string>>): ComposeLocationResult {
  const service = labels[COMPOSE_FILE_LABELS.service]?.trim() ?? '';
  if (service === '')
    return { ok: false, problem: `the container has no ${COMPOSE_FILE_LABELS.service} label` };
  const workingDir = labels[COMPOSE_FILE_LABELS.workingDir]?.trim() ?? '';
  const named = (labels[COMPOSE_FILE_LABELS.configFiles] ?? '')
    .split(',')
    .map((file) => file.trim())
    .filter((file) => file !== '');
  if (named.length === 0) {
    return { ok: false, problem: `the container has no ${COMPOSE_FILE_LABELS.configFiles} label` };
  }
  const relative = named.filter((file) => !isAbsolute(file));
  if (relative.length > 0 && !isAbsolute(workingDir)) {
    return {
      ok: false,
      problem: `compose file ${relative[0] ?? ''} is relative and the project has no working directory`,
    };
  }
  return { ok: true, location: { service, files: named.map((file) => resolve(workingDir || '/', file)) } };
}

export type ComposeRewriteResult =
  | { readonly ok: true; readonly file: string; readonly line: number; readonly previous: string }
  | { readonly ok: false; readonly problem: string };

/** The file system the rewrite needs; injectable for tests. */
export interface ComposeFiles {
  read(path: string): Promise<string>;
  /** Mode and owner of the file, kept by the rewrite. */
  stat(path: string): Promise<{ mode: number; uid: number; gid: number }>;
  writeAtomically(
    path: string,
    text: string,
    keep: { mode: number; uid: number; gid: number },
  ): Promise<void>;
}

export const nodeComposeFiles: ComposeFiles = {
  read: (path) => readFile(path, 'utf8'),
  stat: async (path) => {
    const info = await stat(path);
    return { mode: info.mode & 0o7777, uid: info.uid, gid: info.gid };
  },
  writeAtomically: (path, text, keep) => writeFileAtomically(path, text, keep),
};

const MOUNT_HINT = 'mount the compose project directory into refit at the same path';

/**
 * Sets the service's image to `nextImage` in the compose file that defines it, if that file now
 * names `currentImage` (the container's image reference). Refuses, changing nothing, whenever
 * it cannot be sure (see compose-image-line.ts); the caller then reports the container `stale`
 * and does not swap.
 */
export async function rewriteComposeImage(
  location: ComposeLocation,
  currentImage: string,
  nextImage: string,
  files: ComposeFiles = nodeComposeFiles,
): Promise<ComposeRewriteResult> {
  const texts = new Map<string, string>();
  let chosen: string | undefined;
  for (const file of location.files) {
    let text: string;
    try {
      text = await files.read(file);
    } catch (error) {
      return {
        ok: false,
        problem: `cannot read compose file ${file} (${describeError(error)}): ${MOUNT_HINT}`,
      };
    }
    const found = findServiceImage(text, location.service);
    if (found.kind === 'refused') return { ok: false, problem: `compose file ${file}: ${found.problem}` };
    if (found.kind === 'found') chosen = file;
    texts.set(file, text);
  }
  const text = chosen === undefined ? undefined : texts.get(chosen);
  if (chosen === undefined || text === undefined) {
    return {
      ok: false,
      problem: `no compose file sets an image for service "${location.service}" (${location.files.join(', ')})`,
    };
  }
  const rewrite = rewriteServiceImage(text, location.service, currentImage, nextImage);
  if (!rewrite.ok) return { ok: false, problem: `compose file ${chosen}: ${rewrite.problem}` };
  try {
    const keep = await files.stat(chosen);
    // Someone (an editor, a deploy) may have written the file meanwhile: theirs wins.
    if ((await files.read(chosen)) !== text) {
      return { ok: false, problem: `compose file ${chosen} changed while refit was rewriting it` };
    }
    await files.writeAtomically(chosen, rewrite.text, keep);
  } catch (error) {
    return {
      ok: false,
      problem: `cannot write compose file ${chosen} (${describeError(error)}): ${MOUNT_HINT}`,
    };
  }
  return { ok: true, file: chosen, line: rewrite.line, previous: rewrite.previous };
}
