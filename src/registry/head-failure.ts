import type { HeadFailureWarning } from '../config/config.js';
import { DOCKER_HUB, parseImageReference } from '../domain/image-ref.js';

export type HeadFailureLogLevel = 'warn' | 'info' | 'debug';

/**
 * Registries whose digest requests are expected to work, so a failure there is worth a warning;
 * Watchtower's `auto` warns for the same two.
 */
const EXPECTED_TO_ANSWER: ReadonlySet<string> = new Set([DOCKER_HUB, 'ghcr.io']);

/**
 * The level a failed registry check of `image` is logged at (Watchtower's
 * `--warn-on-head-failure`): `always` warns, `never` logs at debug, and `auto` warns for Docker
 * Hub and ghcr.io and keeps refit's usual info elsewhere. The report says `failed` either way;
 * only the log line changes. A reference that does not parse warns, as in Watchtower.
 */
export function headFailureLogLevel(setting: HeadFailureWarning, image: string): HeadFailureLogLevel {
  if (setting === 'always') return 'warn';
  if (setting === 'never') return 'debug';
  try {
    return EXPECTED_TO_ANSWER.has(parseImageReference(image).registry) ? 'warn' : 'info';
  } catch {
    return 'warn';
  }
}
