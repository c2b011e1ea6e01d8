import type { PorcelainFormat } from '../config/config.js';
import type { ContainerReport, ContainerStatus, CycleReport } from '../domain/report.js';

/**
 * Watchtower's `--porcelain` output, for scripts written against it: after each cycle, `v1`
 * prints one line per container, `/name (image:tag): State`, with ` Error: …` when the container
 * has one, or `no containers matched filter`; the maintained fork's `json` prints one document
 * `{"containers": [...]}`. Both list containers by ID, as Watchtower's report does.
 */

/** Watchtower's state words. It has no rollback: an update that did not take is `Failed` there. */
const STATES: Readonly<Record<ContainerStatus, string>> = {
  fresh: 'Fresh',
  stale: 'Stale',
  // Watchtower has no waiting update: one that waits is, to it, a new image found.
  pending: 'Stale',
  updated: 'Updated',
  'rolled-back': 'Failed',
  failed: 'Failed',
  skipped: 'Skipped',
};

const WITH_ERROR: ReadonlySet<ContainerStatus> = new Set(['failed', 'rolled-back', 'skipped']);

/** Docker's name, with the leading slash Watchtower shows. */
function dockerName(container: ContainerReport): string {
  return container.name.startsWith('/') ? container.name : `/${container.name}`;
}

/** Watchtower adds `:latest` to a reference without a colon (a registry port counts as one). */
function imageName(container: ContainerReport): string {
  return container.image.includes(':') ? container.image : `${container.image}:latest`;
}

/** The error text, kept to one line so every container stays one line of output. */
function errorOf(container: ContainerReport): string {
  return WITH_ERROR.has(container.status) ? container.reason.replace(/\s*\n\s*/g, ' ').trim() : '';
}

function byId(report: CycleReport): ContainerReport[] {
  return [...report.containers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function renderPorcelainV1(report: CycleReport): string {
  const containers = byId(report);
  if (containers.length === 0) return 'no containers matched filter\n';
  return containers
    .map((container) => {
      const error = errorOf(container);
      return `${dockerName(container)} (${imageName(container)}): ${STATES[container.status]}${error === '' ? '' : ` Error: ${error}`}\n`;
    })
    .join('');
}

/** A digest as Watchtower shortens image IDs: without the algorithm, 12 hex digits. */
function shortId(digest: string | undefined): string {
  return (digest ?? '').replace(/^sha256:/, '').slice(0, 12);
}

/** Go's encoding/json escapes these, so the bytes match what the fork prints. */
function goJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The fork's JSON. refit compares digests, not image IDs, so `image_id` and `latest_image_id`
 * are the short digest the container runs and the one the registry serves.
 */
export function renderPorcelainJson(report: CycleReport): string {
  const containers = byId(report).map((container) => {
    const current = container.localDigests?.[0];
    const latest = container.remoteDigest ?? current;
    const error = errorOf(container);
    return {
      name: dockerName(container),
      image: imageName(container),
      image_id: shortId(current),
      latest_image_id: shortId(latest),
      state: STATES[container.status],
      update_available:
        container.remoteDigest !== undefined &&
        !(container.localDigests ?? []).includes(container.remoteDigest),
      ...(error === '' ? {} : { error }),
    };
  });
  return `${goJson({ containers })}\n`;
}

export function renderPorcelain(report: CycleReport, format: PorcelainFormat): string {
  return format === 'v1' ? renderPorcelainV1(report) : renderPorcelainJson(report);
}
