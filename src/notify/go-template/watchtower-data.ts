import type { ContainerReport, ContainerStatus, CycleReport } from '../../domain/report.js';
import { renderPorcelainJson } from '../porcelain.js';
import { GoText, printValue, type GoFunction } from './values.js';
import { formatGoTime, GoTime } from './go-time.js';

/**
 * The data a Watchtower notification template is run over, built from refit's report: with
 * `--notification-report`, Watchtower's `Data` (`.Title`, `.Host`, `.Entries`, `.Report` with
 * `.Updated`, `.Failed`, … and each container's `.Name`, `.ImageName`, `.CurrentImageID.ShortID`,
 * `.State`, `.Error`); without it, as Watchtower's default, the list of log entries, which refit
 * writes one per container with news.
 */

/** Watchtower's image and container IDs: Go strings with a ShortID method. */
class WatchtowerId extends GoText {
  ShortID(): string {
    return this.text.replace(/^sha256:/, '').slice(0, 12);
  }
}

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

function slashed(name: string): string {
  return name.startsWith('/') ? name : `/${name}`;
}

function imageName(image: string): string {
  return image.includes(':') ? image : `${image}:latest`;
}

function containerOf(container: ContainerReport): Record<string, () => unknown> {
  const current = container.localDigests?.[0] ?? '';
  const latest = container.remoteDigest ?? current;
  const error = ['failed', 'rolled-back', 'skipped'].includes(container.status) ? container.reason : '';
  return {
    ID: () => new WatchtowerId(container.id),
    Name: () => slashed(container.name),
    ImageName: () => imageName(container.image),
    CurrentImageID: () => new WatchtowerId(current),
    LatestImageID: () => new WatchtowerId(latest),
    State: () => STATES[container.status],
    Error: () => error,
  };
}

/** The refit report behind a template's `.Report`, for ToPorcelainJSON. */
const REPORTS = new WeakMap<object, CycleReport>();

function reportOf(report: CycleReport): object {
  const sorted = [...report.containers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const having =
    (...statuses: ContainerStatus[]) =>
    () =>
      sorted.filter((container) => statuses.includes(container.status)).map(containerOf);
  const object = {
    Scanned: having('fresh', 'stale', 'updated', 'rolled-back', 'failed'),
    Updated: having('updated'),
    Failed: having('failed', 'rolled-back'),
    Skipped: having('skipped'),
    Stale: having('stale'),
    Fresh: having('fresh'),
    All: () => sorted.map(containerOf),
  };
  REPORTS.set(object, report);
  return object;
}

const short = (digest: string | undefined): string => (digest ?? '').replace(/^sha256:/, '').slice(0, 12);

/** One log-entry-like line per container with news, worded like Watchtower's log lines. */
function entriesOf(report: CycleReport): object[] {
  const time = new GoTime(new Date(report.finishedAt));
  return report.containers.flatMap((container) => {
    const name = slashed(container.name);
    const image = imageName(container.image);
    const oldId = short(container.localDigests?.[0]);
    const newId = short(container.remoteDigest);
    const line = (level: string, message: string, data: Record<string, string>) => ({
      Message: message,
      Level: new GoText(level),
      Time: time,
      Data: new Map(Object.entries({ container: name, image, ...data })),
    });
    switch (container.status) {
      case 'stale':
      case 'pending':
        return [line('info', `Found new ${image} image (${newId})`, { new_id: newId })];
      case 'updated':
        return [
          line('info', `Updated ${name} (${image}): ${oldId} updated to ${newId}`, {
            old_id: oldId,
            new_id: newId,
          }),
        ];
      case 'failed':
        return [
          line('error', `Could not update ${name} (${image}): ${container.reason}`, {
            error: container.reason,
          }),
        ];
      case 'rolled-back':
        return [
          line('error', `Rolled back ${name} (${image}): ${container.reason}`, { error: container.reason }),
        ];
      case 'skipped':
        return [
          line('warning', `Skipped ${name} (${image}): ${container.reason}`, { error: container.reason }),
        ];
      case 'fresh':
        return [];
    }
  });
}

export interface WatchtowerDataOptions {
  /** Watchtower's `--notification-report`: the report data rather than the entries. */
  readonly report: boolean;
  readonly title: string;
  readonly host: string;
}

export function watchtowerTemplateData(report: CycleReport, options: WatchtowerDataOptions): unknown {
  const entries = entriesOf(report);
  if (!options.report) return entries;
  return { Title: options.title, Host: options.host, Entries: entries, Report: reportOf(report) };
}

/** JSON of template data: methods without arguments become their values, as the data's fields. */
function jsonOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonOf);
  if (value instanceof Map)
    return Object.fromEntries([...(value as Map<string, unknown>)].map(([k, v]) => [k, jsonOf(v)]));
  if (value instanceof GoText) return value.text;
  if (value instanceof GoTime) return value.toJSON();
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        jsonOf(typeof inner === 'function' ? (inner as () => unknown)() : inner),
      ]),
    );
  }
  return value;
}

/** Watchtower's template functions (1.7.1 and the maintained fork). */
export const WATCHTOWER_FUNCTIONS: Readonly<Record<string, GoFunction>> = {
  ToUpper: (text) => printValue(text).toUpperCase(),
  ToLower: (text) => printValue(text).toLowerCase(),
  Title: (text) => printValue(text).replace(/\b\p{L}/gu, (letter) => letter.toUpperCase()),
  ToJSON: (value) => JSON.stringify(jsonOf(value), null, 2),
  ToPorcelainJSON: (value) => {
    const report = typeof value === 'object' && value !== null ? REPORTS.get(value) : undefined;
    return report === undefined ? '{\n  "containers": []\n}' : renderPorcelainJson(report).trimEnd();
  },
  RFC1123: (value) =>
    value instanceof GoTime
      ? value.Format('Mon, 02 Jan 2006 15:04:05 MST')
      : formatGoTime(new Date(), 'Mon, 02 Jan 2006 15:04:05 MST'),
};
