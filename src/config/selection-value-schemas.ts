import { z } from 'zod';
import type { ValueSchema } from './value-schemas.js';
import { splitList } from './value-schemas.js';

/**
 * Values of the selection filters the maintained Watchtower fork added: image name patterns and
 * label pairs. Neither is secret, so a bad entry is quoted in the message.
 */

/** A label a container must (or must not) carry; `value` undefined means any value (`key=`). */
export interface LabelPair {
  readonly key: string;
  readonly value: string | undefined;
}

/** `key=value` pairs separated by commas; `key=` asks only that the label exists. */
export const labelPairList: ValueSchema<LabelPair[]> = z.string().transform((raw, ctx) => {
  const pairs: LabelPair[] = [];
  for (const entry of splitList(raw, /,/)
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const equals = entry.indexOf('=');
    const key = (equals === -1 ? '' : entry.slice(0, equals)).trim();
    if (key === '') {
      ctx.addIssue({ code: 'custom', message: `expected key=value pairs; "${entry}" has no key= part` });
      continue;
    }
    const value = entry.slice(equals + 1).trim();
    pairs.push({ key, value: value === '' ? undefined : value });
  }
  return pairs;
});

/**
 * Regular expressions separated by commas or spaces, each anchored to the whole name as the fork
 * anchors them (`nginx:.*` matches every tag of nginx, `nginx` only nginx itself).
 */
export const namePatternList: ValueSchema<string[]> = z.string().transform((raw, ctx) => {
  const patterns = splitList(raw);
  for (const pattern of patterns) {
    try {
      new RegExp(`^(?:${pattern})$`);
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${pattern}" is not a valid regular expression` });
    }
  }
  return patterns;
});
