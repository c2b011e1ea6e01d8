import { formatImageReference, parseImageReference } from '../domain/image-ref.js';

/**
 * Finds and rewrites the `image:` line of one service in a compose file's text, touching nothing
 * else: comments, blank lines, key order, quoting and line endings stay as they are. This is not
 * a YAML parser; it reads the block layout compose files are written in and refuses, with a
 * reason, whatever it cannot be sure of: flow style (`{…}`), anchors and aliases on the service
 * or its image, a service that takes its image through `extends` or a `<<` merge, interpolation
 * (`${TAG}`), block scalars, several YAML documents, duplicate keys, tab indentation.
 */

export type ImageLineLookup =
  /** The service has its own `image:` line here. */
  | {
      readonly kind: 'found';
      /** The value as compose reads it (quotes removed). */
      readonly value: string;
      /** 1-based line number, for messages. */
      readonly line: number;
    }
  /** The file does not define the service (another compose file may). */
  | { readonly kind: 'no-service' }
  /** The file defines the service without an image line (an override file setting other keys). */
  | { readonly kind: 'no-image' }
  | { readonly kind: 'refused'; readonly problem: string };

export type ImageLineRewrite =
  | { readonly ok: true; readonly text: string; readonly previous: string; readonly line: number }
  | { readonly ok: false; readonly problem: string };

interface Line {
  readonly index: number;
  /** Without its line break (and without a `\r`). */
  readonly content: string;
  readonly indent: number;
  /** Blank or only a comment: not part of the structure. */
  readonly filler: boolean;
}

interface ImageValue {
  readonly line: Line;
  /** Offsets of the value in `line.content` (quotes included). */
  readonly start: number;
  readonly end: number;
  readonly style: 'plain' | 'double' | 'single';
  readonly value: string;
}

type Located =
  { readonly kind: 'image'; readonly image: ImageValue } | Exclude<ImageLineLookup, { kind: 'found' }>;

const KEY = /^(["']?)([A-Za-z0-9._-]+)\1[ \t]*:(?=[ \t]|$)/;
const SAFE_PLAIN = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;

/** Where `service`'s image is in `text`, or why refit will not touch it. */
export function findServiceImage(text: string, service: string): ImageLineLookup {
  const located = locate(splitLines(text).lines, service);
  if (located.kind !== 'image') return located;
  return { kind: 'found', value: located.image.value, line: located.image.line.index + 1 };
}

/**
 * `text` with `service`'s image set to `nextImage`, when the line now names `expected` (compared
 * as image references, so `nginx:1.27` matches `docker.io/library/nginx:1.27`).
 */
export function rewriteServiceImage(
  text: string,
  service: string,
  expected: string,
  nextImage: string,
): ImageLineRewrite {
  const split = splitLines(text);
  const located = locate(split.lines, service);
  if (located.kind === 'no-service') return { ok: false, problem: `no service "${service}" in the file` };
  if (located.kind === 'no-image') return { ok: false, problem: `service "${service}" has no image: line` };
  if (located.kind === 'refused') return { ok: false, problem: located.problem };
  const { image } = located;
  if (!sameImage(image.value, expected)) {
    return {
      ok: false,
      problem: `service "${service}" names image ${image.value} on line ${image.line.index + 1}, not ${expected} that the container runs`,
    };
  }
  const content = image.line.content;
  const replaced = `${content.slice(0, image.start)}${formatValue(nextImage, image.style)}${content.slice(image.end)}`;
  const raw = split.raw.slice();
  raw[image.line.index] = split.crlf[image.line.index] === true ? `${replaced}\r` : replaced;
  return {
    ok: true,
    text: `${split.bom}${raw.join('\n')}`,
    previous: image.value,
    line: image.line.index + 1,
  };
}

function sameImage(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return formatImageReference(parseImageReference(a)) === formatImageReference(parseImageReference(b));
  } catch {
    return false;
  }
}

function formatValue(value: string, style: ImageValue['style']): string {
  if (style === 'single') return `'${value.replaceAll("'", "''")}'`;
  if (style === 'double' || !SAFE_PLAIN.test(value)) return `"${value.replace(/["\\]/g, '\\$&')}"`;
  return value;
}

function splitLines(text: string): { bom: string; raw: string[]; crlf: boolean[]; lines: Line[] } {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const raw = text.slice(bom.length).split('\n');
  const crlf = raw.map((line) => line.endsWith('\r'));
  const lines = raw.map((line, index) => {
    const content = line.endsWith('\r') ? line.slice(0, -1) : line;
    const trimmed = content.trimStart();
    return {
      index,
      content,
      indent: content.length - trimmed.length,
      filler: trimmed === '' || trimmed.startsWith('#'),
    };
  });
  return { bom, raw, crlf, lines };
}

/** The lines after `from` up to the next structural line indented `indent` or less. */
function blockAfter(lines: readonly Line[], from: number, indent: number): Line[] {
  const block: Line[] = [];
  for (const line of lines.slice(from + 1)) {
    if (!line.filler && line.indent <= indent) break;
    block.push(line);
  }
  return block;
}

/** The structural lines of `block` at its first structural line's indentation. */
function childLines(block: readonly Line[]): Line[] {
  const first = block.find((line) => !line.filler);
  if (first === undefined) return [];
  return block.filter((line) => !line.filler && line.indent === first.indent);
}

/** What follows a key's colon, without a trailing comment. */
function afterKey(line: Line, match: RegExpExecArray): string {
  return line.content
    .slice(line.indent + match[0].length)
    .replace(/(^|[ \t])#.*$/, '')
    .trim();
}

function locate(lines: readonly Line[], service: string): Located {
  const structural = lines.filter((line) => !line.filler);
  if (structural.some((line) => line.content.slice(0, line.indent).includes('\t'))) {
    return refused('the file indents with tabs');
  }
  const separators = structural.filter((line) => /^(---|\.\.\.)([ \t]|$)/.test(line.content));
  if (separators.length > 1 || (separators.length === 1 && separators[0] !== structural[0])) {
    return refused('the file holds several YAML documents');
  }
  const roots = structural.filter((line) => line.indent === 0 && keyOf(line) === 'services');
  if (roots.length === 0) return { kind: 'no-service' };
  const [root] = roots;
  if (roots.length > 1 || root === undefined) return refused('the file has more than one services: key');
  if (rest(root) !== '') return refused('services: is not written as an indented block');
  const services = childLines(blockAfter(lines, root.index, 0));
  const matches = services.filter((line) => keyOf(line) === service);
  if (matches.length === 0) return { kind: 'no-service' };
  const [entry] = matches;
  if (matches.length > 1 || entry === undefined) return refused(`service "${service}" is defined twice`);
  const entryRest = rest(entry);
  if (entryRest.startsWith('&') || entryRest.startsWith('*')) {
    return refused(
      `service "${service}" carries an anchor or alias (${entryRest}); other services may share its image`,
    );
  }
  if (entryRest !== '') return refused(`service "${service}" is not written as an indented block`);
  const body = blockAfter(lines, entry.index, entry.indent);
  const keys = childLines(body);
  const images = keys.filter((line) => keyOf(line) === 'image');
  const inherits = keys.some((line) => keyOf(line) === 'extends' || /^<<[ \t]*:/.test(line.content.trim()));
  if (images.length > 1) return refused(`service "${service}" has more than one image: line`);
  const [imageLine] = images;
  if (imageLine === undefined) {
    return inherits
      ? refused(
          `service "${service}" takes its image through extends or a << merge; refit will not guess where`,
        )
      : { kind: 'no-image' };
  }
  const value = readValue(imageLine);
  if (typeof value === 'string') return refused(`service "${service}": ${value}`);
  const continued = body.find((line) => line.index > imageLine.index && !line.filler);
  if (continued !== undefined && continued.indent > imageLine.indent) {
    return refused(`the image: value of service "${service}" continues on the next line`);
  }
  return { kind: 'image', image: value };
}

function refused(problem: string): Located {
  return { kind: 'refused', problem };
}

function keyOf(line: Line): string | undefined {
  return KEY.exec(line.content.slice(line.indent))?.[2];
}

function rest(line: Line): string {
  const match = KEY.exec(line.content.slice(line.indent));
  return match === null ? '' : afterKey(line, match);
}

function readValue(line: Line): ImageValue | string {
  const match = KEY.exec(line.content.slice(line.indent));
  if (match === null) return 'its image: line cannot be read';
  let start = line.indent + match[0].length;
  while (line.content[start] === ' ' || line.content[start] === '\t') start += 1;
  const text = line.content.slice(start);
  const first = text[0];
  if (first === undefined || first === '#') return 'image: has no value on its line';
  if (first === '&' || first === '*')
    return `the image is an anchor or alias (${text.split(/\s/)[0] ?? ''}), which other services may share`;
  if ('|>!{['.includes(first)) return 'the image is not a plain or quoted value';
  let end: number;
  let value: string;
  let style: ImageValue['style'];
  if (first === '"' || first === "'") {
    const closed = first === '"' ? /^"((?:[^"\\]|\\.)*)"/.exec(text) : /^'((?:[^']|'')*)'/.exec(text);
    if (closed === null) return 'the quoted image value does not end on its line';
    end = start + closed[0].length;
    const inner = closed[1] ?? '';
    style = first === '"' ? 'double' : 'single';
    value = style === 'double' ? inner.replace(/\\(.)/g, '$1') : inner.replaceAll("''", "'");
  } else {
    const comment = /[ \t]#/.exec(text);
    value = (comment === null ? text : text.slice(0, comment.index)).trimEnd();
    end = start + value.length;
    style = 'plain';
  }
  const after = line.content.slice(end).trim();
  if (after !== '' && !after.startsWith('#')) return 'the image line holds more than one value';
  if (value.includes('$')) return `the image ${value} uses variables, which refit cannot rewrite`;
  if (value === '') return 'image: has no value on its line';
  return { line, start, end, style, value };
}
