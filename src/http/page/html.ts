/**
 * HTML by tagged templates that escape every interpolated value unless it is already HTML
 * (`SafeHtml`, made only by `markup` and `raw`). Escaping is the default, so a container name or
 * a rollback reason can never become markup; there is no way to interpolate unescaped text by
 * accident. About forty lines instead of a template library: refit's pages are a few small
 * functions, and this keeps the runtime free of a dependency and a build step.
 *
 * The tag is not called `html` because prettier reformats templates of that name as HTML, which
 * would change the whitespace of the pages (and of `<pre>` blocks) at every `npm run format`.
 */

export class SafeHtml {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (value === null || value === undefined || value === false || value === true) return '';
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

/** `markup\`<p>${text}</p>\``: the literal parts as written, the values escaped. */
export function markup(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Markup refit wrote itself (never user or engine data). */
export function raw(text: string): SafeHtml {
  return new SafeHtml(text);
}

/**
 * A short stable fingerprint of rendered markup (FNV-1a), put in `data-v` so the page's script
 * replaces only what changed when it refreshes.
 */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36);
}
