import { isDeepStrictEqual } from 'node:util';
import type { ContainerConfig } from '../../../docker/documents/container-inspect.js';
import type { Healthcheck, ImageConfig } from '../../../docker/documents/image-inspect.js';

/**
 * A container's Config is the image's defaults merged with what the user asked for; inspect
 * cannot tell the two apart. The clone rule: a value equal to the OLD image's default was (as far
 * as anyone can tell) the default, so it is left out and the engine fills in the NEW image's
 * default when it creates the container. Everything else is the user's and is kept.
 */
export function withoutImageDefaults(config: ContainerConfig, image: ImageConfig): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(config);

  // Docker appends the image's variables the user did not set, so an entry equal to one of the
  // old image's is its default; a user's value for the same name differs and stays.
  const imageEnv = new Set(image.Env ?? []);
  if (config.Env != null)
    setOrDelete(out, 'Env', nonEmpty(config.Env.filter((entry) => !imageEnv.has(entry))));

  if (config.Labels != null) {
    const imageLabels = image.Labels ?? {};
    const labels = Object.entries(config.Labels).filter(([key, value]) => imageLabels[key] !== value);
    setOrDelete(out, 'Labels', labels.length > 0 ? Object.fromEntries(labels) : undefined);
  }

  for (const key of ['ExposedPorts', 'Volumes'] as const) {
    const own = config[key];
    if (own == null) continue;
    const defaults = image[key] ?? {};
    const kept = Object.entries(own).filter(([entry]) => !(entry in defaults));
    setOrDelete(out, key, kept.length > 0 ? Object.fromEntries(kept) : undefined);
  }

  for (const key of ['WorkingDir', 'User', 'StopSignal'] as const) {
    if ((config[key] ?? '') === (image[key] ?? '')) drop(out, key);
  }
  for (const key of ['Shell', 'OnBuild'] as const) {
    if (sameList(config[key], image[key])) drop(out, key);
  }

  const healthcheck = withoutDefaultHealthcheck(config.Healthcheck, image.Healthcheck);
  setOrDelete(out, 'Healthcheck', healthcheck);

  const commandFollowsImage = applyCommandLine(config, image, out);
  // ArgsEscaped (Windows) describes the image's Cmd; it follows the Cmd it came with.
  if (commandFollowsImage && (config.ArgsEscaped ?? false) === (image.ArgsEscaped ?? false)) {
    drop(out, 'ArgsEscaped');
  }
  return out;
}

/**
 * Entrypoint and Cmd are not independent. Docker fills in the image's Cmd only when the create
 * request has no Entrypoint; given one, the container gets no Cmd unless the user wrote one. So:
 *
 * - Entrypoint equal to the image's → drop it, and drop Cmd if it equals the image's too.
 *   Except when the container has no Cmd while the image has one: Docker dropped the image's Cmd,
 *   which it only does when the user gave an Entrypoint (one that happens to equal the image's).
 * - Entrypoint the user set → keep it AND keep Cmd whole, even a Cmd equal to the old image's:
 *   dropped, it would not come back from the new image and the program would lose its arguments.
 * - Entrypoint cleared by the user (`--entrypoint ""`): Docker stores that as null, which in a
 *   create request means "use the image's", so it is sent as `[""]` as the CLI does; Cmd stays.
 * - Entrypoint `[]` (an API client's empty list, unlike the image's) is kept as it is; with it
 *   Docker still takes the image's Cmd, so Cmd is treated as when the Entrypoint follows the image.
 *
 * Returns true when both end up following the new image (nothing of the user's left).
 */
function applyCommandLine(
  config: ContainerConfig,
  image: ImageConfig,
  out: Record<string, unknown>,
): boolean {
  const dropCmdIfDefault = (): boolean => {
    if (!sameList(config.Cmd, image.Cmd)) return false;
    drop(out, 'Cmd');
    return true;
  };
  const entrypoint = config.Entrypoint;
  const imageHasEntrypoint = (image.Entrypoint ?? []).length > 0;

  if (entrypoint == null) {
    if (imageHasEntrypoint) {
      out['Entrypoint'] = [''];
      return false;
    }
    drop(out, 'Entrypoint');
    return dropCmdIfDefault();
  }
  const dockerDroppedImageCmd =
    entrypoint.length > 0 && (config.Cmd ?? []).length === 0 && (image.Cmd ?? []).length > 0;
  if (isDeepStrictEqual(entrypoint, image.Entrypoint) && !dockerDroppedImageCmd) {
    drop(out, 'Entrypoint');
    return dropCmdIfDefault();
  }
  // An empty list is the user's, but with it Docker still took the image's Cmd.
  if (entrypoint.length === 0) dropCmdIfDefault();
  return false;
}

const HEALTHCHECK_FIELDS = [
  'Test',
  'Interval',
  'Timeout',
  'StartPeriod',
  'StartInterval',
  'Retries',
] as const;

/**
 * The whole healthcheck when it is the image's → none (the new image's applies). A partial
 * override (`--health-cmd` alone) got the image's other fields merged in by Docker; those are
 * dropped one by one, so the new image's interval and timeouts apply around the user's command.
 */
function withoutDefaultHealthcheck(
  own: Healthcheck | null | undefined,
  image: Healthcheck | null | undefined,
): Record<string, unknown> | undefined {
  if (own == null) return undefined;
  const out: Record<string, unknown> = structuredClone(own);
  if (image == null) return out;
  if (isDeepStrictEqual(own, image)) return undefined;
  for (const field of HEALTHCHECK_FIELDS) {
    if (own[field] !== undefined && isDeepStrictEqual(own[field], image[field])) drop(out, field);
  }
  return out;
}

/** Lists where null, absent and empty all mean "none". */
function sameList(a: readonly string[] | null | undefined, b: readonly string[] | null | undefined): boolean {
  return isDeepStrictEqual(a ?? [], b ?? []);
}

function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}

function setOrDelete(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) drop(target, key);
  else target[key] = value;
}

function drop(target: Record<string, unknown>, key: string): void {
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removing one named Config field
  delete target[key];
}
