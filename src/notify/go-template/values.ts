import { GoTemplateError } from './lex.js';

/**
 * Go values as templates see them, and text/template's built-in functions: truth, fmt's `%v`
 * printing, comparison, len, index, print, printf and println.
 */

/** A value of a Go string type: prints, compares and tests as its text. */
export class GoText {
  constructor(readonly text: string) {}
  String(): string {
    return this.text;
  }
}

export type GoFunction = (...args: unknown[]) => unknown;

/** Go's truth: false, 0, nil and empty strings, slices and maps are false; structs are true. */
export function isTrue(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value !== '';
  if (value instanceof GoText) return value.text !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  return true;
}

function hasStringMethod(value: object): value is { String(): string } {
  return typeof (value as { String?: unknown }).String === 'function';
}

/** fmt's `%v`. */
export function printValue(value: unknown): string {
  if (value === undefined) return '<no value>';
  if (value === null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(printValue).join(' ')}]`;
  if (value instanceof Map) {
    const keys = [...(value as Map<unknown, unknown>).keys()].map(String).sort();
    return `map[${keys.map((key) => `${key}:${printValue(value.get(key))}`).join(' ')}]`;
  }
  if (typeof value === 'object' && hasStringMethod(value)) return value.String();
  if (typeof value === 'object') {
    return `{${Object.values(value)
      .filter((field) => typeof field !== 'function')
      .map(printValue)
      .join(' ')}}`;
  }
  return typeof value === 'bigint' ? value.toString() : `<${typeof value}>`;
}

/** A comparable form: Go string types compare as their text. */
export function basic(value: unknown): unknown {
  return value instanceof GoText ? value.text : value;
}

function ordered(a: unknown, b: unknown, name: string): [number | string, number | string] {
  const [x, y] = [basic(a), basic(b)];
  if ((typeof x === 'number' && typeof y === 'number') || (typeof x === 'string' && typeof y === 'string')) {
    return [x, y];
  }
  throw new GoTemplateError(`${name}: incompatible types for comparison`);
}

function lengthOf(value: unknown): number {
  const inner = basic(value);
  if (typeof inner === 'string' || Array.isArray(inner)) return inner.length;
  if (inner instanceof Map) return inner.size;
  throw new GoTemplateError(`len of ${typeof inner}`);
}

function indexOf(value: unknown, ...keys: unknown[]): unknown {
  let item = value;
  for (const key of keys) {
    if (Array.isArray(item) && typeof key === 'number') {
      if (key < 0 || key >= item.length) throw new GoTemplateError(`index out of range: ${key}`);
      item = item[key] as unknown;
    } else if (item instanceof Map) {
      item = item.get(basic(key));
    } else {
      throw new GoTemplateError('can only index slices and maps');
    }
  }
  return item;
}

/** fmt's Sprint: a space between operands when neither side is a string. */
function sprint(args: readonly unknown[]): string {
  let out = '';
  args.forEach((arg, at) => {
    if (at > 0 && typeof args[at - 1] !== 'string' && typeof arg !== 'string') out += ' ';
    out += printValue(arg);
  });
  return out;
}

/** fmt's Sprintf for the verbs templates use: %v %s %d %q %t %f and %%, with a width. */
function sprintf(format: unknown, ...args: unknown[]): string {
  let next = 0;
  return String(basic(format)).replace(
    /%(-?)(\d*)(?:\.(\d+))?([vsdqtf%])/g,
    (_all, left: string, width: string, precision: string | undefined, verb: string) => {
      if (verb === '%') return '%';
      const arg = args[next++];
      let text: string;
      if (verb === 'q') text = JSON.stringify(printValue(arg));
      else if (verb === 'f' && typeof arg === 'number')
        text = arg.toFixed(precision === undefined ? 6 : Number(precision));
      else text = printValue(arg);
      const pad = Number(width === '' ? 0 : width);
      return left === '-' ? text.padEnd(pad) : text.padStart(pad);
    },
  );
}

export const BUILTINS: Readonly<Record<string, GoFunction>> = {
  and: (...args) => args.find((arg) => !isTrue(arg)) ?? args.at(-1),
  or: (...args) => args.find((arg) => isTrue(arg)) ?? args.at(-1),
  not: (value) => !isTrue(value),
  len: (value) => lengthOf(value),
  index: (value, ...keys) => indexOf(value, ...keys),
  print: (...args) => sprint(args),
  println: (...args) => `${args.map(printValue).join(' ')}\n`,
  printf: (format, ...args) => sprintf(format, ...args),
  eq: (first, ...others) => others.some((other) => basic(first) === basic(other)),
  ne: (a, b) => basic(a) !== basic(b),
  lt: (a, b) => {
    const [x, y] = ordered(a, b, 'lt');
    return x < y;
  },
  le: (a, b) => {
    const [x, y] = ordered(a, b, 'le');
    return x <= y;
  },
  gt: (a, b) => {
    const [x, y] = ordered(a, b, 'gt');
    return x > y;
  },
  ge: (a, b) => {
    const [x, y] = ordered(a, b, 'ge');
    return x >= y;
  },
};
