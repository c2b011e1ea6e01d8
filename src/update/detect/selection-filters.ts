import type { LabelPair } from '../../config/selection-value-schemas.js';
import { formatImageReference, parseImageReference } from '../../domain/image-ref.js';

/**
 * The name and label filters of selection, as pure predicates. Names and image names are matched
 * the way the maintained Watchtower fork matches them: a pattern is a regular expression anchored
 * to the whole name; plain names are patterns that match themselves.
 */

function anchored(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return undefined;
  }
}

/**
 * A container matches an entry by its name (Docker's leading slash optional), by an ID prefix of
 * 12 or more characters, or by the entry as an anchored regular expression.
 */
export function nameMatches(name: string, id: string, entries: readonly string[]): boolean {
  return entries.some((raw) => {
    const entry = raw.replace(/^\//, '');
    if (entry === name || (entry.length >= 12 && id.startsWith(entry))) return true;
    return anchored(entry)?.test(name) ?? false;
  });
}

/**
 * The names an image pattern is tried on: the reference as the container was created with it,
 * with `:latest` when it names no tag, and its full form (`docker.io/library/nginx:latest`).
 */
export function imageNames(reference: string): string[] {
  const names = new Set<string>();
  const written = reference.includes('@') || /:[^/]+$/.test(reference) ? reference : `${reference}:latest`;
  names.add(written);
  try {
    names.add(formatImageReference(parseImageReference(reference)));
  } catch {
    // An unparsable reference is only matched as written.
  }
  return [...names];
}

export function imageMatches(reference: string, patterns: readonly string[]): boolean {
  const names = imageNames(reference);
  return patterns.some((pattern) => {
    const regex = anchored(pattern);
    return regex !== undefined && names.some((name) => regex.test(name));
  });
}

/** True when the labels hold at least one of the pairs (a pair without a value: the key exists). */
export function hasAnyLabelPair(
  labels: Readonly<Record<string, string>>,
  pairs: readonly LabelPair[],
): boolean {
  return pairs.some(({ key, value }) => {
    const actual = labels[key];
    return actual !== undefined && (value === undefined || actual === value);
  });
}
