import { posix } from 'node:path';
import type { HostConfig, MountPoint } from '../../../docker/documents/container-inspect.js';

export interface VolumeAttachment {
  /** `HostConfig.Binds` for the new container, or undefined when unchanged. */
  readonly binds: string[] | undefined;
  /** `HostConfig.Mounts` for the new container, or undefined when unchanged. */
  readonly mounts: Record<string, unknown>[] | undefined;
}

/**
 * Keeps every volume the container has attached to the new one. Named volumes come back by
 * themselves through Binds and Mounts, which are copied. Anonymous volumes do not: an image's
 * `VOLUME`, a `-v /path` or a `--mount type=volume` without a source would each make a fresh,
 * empty volume for the new container. So each volume in the inspect's `Mounts` that no Binds or
 * Mounts entry names is attached by its name: a source-less Binds or Mounts entry gets the
 * volume's name filled in, anything else becomes a `name:/dest[:mode]` bind. A destination is
 * never mounted twice (the engine fails with "Duplicate mount point").
 *
 * Volumes that arrive through `HostConfig.VolumesFrom` look the same in inspect; the caller names
 * their destinations in `volumesFromDestinations` (from the source containers' inspect) so they are
 * left to VolumesFrom. Without it, they are bound by name too, which mounts the same volumes.
 */
export function attachVolumes(
  hostConfig: HostConfig,
  mountPoints: readonly MountPoint[] | null | undefined,
  volumesFromDestinations: ReadonlySet<string> | undefined,
): VolumeAttachment {
  const binds = [...(hostConfig.Binds ?? [])];
  const mounts = (hostConfig.Mounts ?? []).map((mount) => structuredClone(mount) as Record<string, unknown>);
  const covered = new Set<string>([
    ...binds.map((bind) => normalise(bindDestination(bind))),
    ...mounts.map((mount) => normalise(String(mount['Target']))),
    ...Object.keys(hostConfig.Tmpfs ?? {}).map(normalise),
  ]);
  const skipped = new Set([...(volumesFromDestinations ?? [])].map(normalise));
  let bindsChanged = false;
  let mountsChanged = false;

  for (const point of mountPoints ?? []) {
    const name = point.Name ?? '';
    if (point.Type !== 'volume' || name === '') continue;
    const destination = normalise(point.Destination);
    if (skipped.has(destination)) continue;

    const anonymousBind = binds.findIndex((bind) => !bind.includes(':') && normalise(bind) === destination);
    if (anonymousBind >= 0) {
      binds[anonymousBind] = volumeBind(name, point);
      bindsChanged = true;
      continue;
    }
    const anonymousMount = mounts.find(
      (mount) =>
        mount['Type'] === 'volume' &&
        (mount['Source'] ?? '') === '' &&
        normalise(String(mount['Target'])) === destination,
    );
    if (anonymousMount !== undefined) {
      anonymousMount['Source'] = name;
      mountsChanged = true;
      continue;
    }
    if (covered.has(destination)) continue;
    binds.push(volumeBind(name, point));
    covered.add(destination);
    bindsChanged = true;
  }
  return { binds: bindsChanged ? binds : undefined, mounts: mountsChanged ? mounts : undefined };
}

/**
 * The destinations at which the container gets its volumes through `HostConfig.VolumesFrom`:
 * every place a source container mounts something, except where the container's own Binds,
 * Mounts or Tmpfs name the destination (the engine lets those win over VolumesFrom). Judged by
 * destination, not by volume name, so it holds even when a source was recreated since the
 * container was inspected. Sources that could not be read contribute nothing.
 */
export function volumesFromDestinations(
  hostConfig: HostConfig,
  sources: readonly (readonly MountPoint[] | null | undefined)[],
): Set<string> {
  const own = new Set<string>([
    ...(hostConfig.Binds ?? []).map((bind) => normalise(bindDestination(bind))),
    ...(hostConfig.Mounts ?? []).map((mount) => normalise(mount.Target)),
    ...Object.keys(hostConfig.Tmpfs ?? {}).map(normalise),
  ]);
  const inherited = new Set<string>();
  for (const points of sources) {
    for (const point of points ?? []) {
      const destination = normalise(point.Destination);
      if (!own.has(destination)) inherited.add(destination);
    }
  }
  return inherited;
}

/** `name:/dest` plus the mount's options, read-only as `ro`. */
function volumeBind(name: string, point: MountPoint): string {
  const options = (point.Mode ?? '')
    .split(',')
    .filter((option) => option !== '' && option !== 'rw' && option !== 'ro');
  if (point.RW === false) options.unshift('ro');
  const base = `${name}:${point.Destination}`;
  return options.length > 0 ? `${base}:${options.join(',')}` : base;
}

/** A Binds entry is `dest`, `source:dest` or `source:dest:mode` (Linux syntax). */
function bindDestination(bind: string): string {
  const parts = bind.split(':');
  return parts.length === 1 ? (parts[0] ?? '') : (parts[1] ?? '');
}

function normalise(path: string): string {
  const clean = posix.normalize(path);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}
