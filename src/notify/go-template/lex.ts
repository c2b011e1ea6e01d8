/**
 * The lexer of refit's Go text/template subset (see parse.ts): the tokens inside one `{{ }}`
 * action, with Go's string, raw string and number literals, and the `-}}` trim marker.
 */

/** What is wrong with a template (or, at run time, with running it on a report). */
export class GoTemplateError extends Error {
  override readonly name = 'GoTemplateError';
}

export type Token =
  | { readonly type: 'word' | 'variable' | 'punct'; readonly text: string }
  /** `glued`: no space before it, so it reads a field of what precedes (`$e.Message`, `(…).Name`). */
  | { readonly type: 'field'; readonly text: string; readonly glued: boolean }
  | { readonly type: 'string'; readonly text: string }
  | { readonly type: 'number'; readonly value: number };

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const FIELD_CHAIN = /(?:\.[A-Za-z_][A-Za-z0-9_]*)+/y;
const NUMBER = /-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)/y;
const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '"': '"',
  '\\': '\\',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

function stick(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0];
}

/** Go's interpreted string literal, from the opening quote; returns the value and the end. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = '';
  for (let at = start + 1; at < text.length; at++) {
    const char = text.charAt(at);
    if (char === '"') return { value, end: at + 1 };
    if (char === '\n') break;
    if (char !== '\\') {
      value += char;
      continue;
    }
    const next = text.charAt(at + 1);
    const hex = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (hex > 0) {
      value += String.fromCodePoint(parseInt(text.slice(at + 2, at + 2 + hex), 16));
      at += 1 + hex;
    } else if (ESCAPES[next] !== undefined) {
      value += ESCAPES[next];
      at += 1;
    } else {
      throw new GoTemplateError(`unknown escape \\${next} in a string`);
    }
  }
  throw new GoTemplateError('unterminated string');
}

/** The tokens of one action, from just after `{{` (and its trim marker) to its end. */
export function lexAction(text: string, start: number): { tokens: Token[]; end: number; trimAfter: boolean } {
  const tokens: Token[] = [];
  let at = start;
  while (at < text.length) {
    const char = text.charAt(at);
    if (/\s/.test(char)) {
      if (text.startsWith('-}}', at + 1)) return { tokens, end: at + 4, trimAfter: true };
      at += 1;
      continue;
    }
    if (text.startsWith('}}', at)) return { tokens, end: at + 2, trimAfter: false };
    if (char === '"') {
      const quoted = readQuoted(text, at);
      tokens.push({ type: 'string', text: quoted.value });
      at = quoted.end;
    } else if (char === '`') {
      const close = text.indexOf('`', at + 1);
      if (close === -1) throw new GoTemplateError('unterminated raw string');
      tokens.push({ type: 'string', text: text.slice(at + 1, close) });
      at = close + 1;
    } else if (char === '$') {
      const name = stick(IDENT, text, at + 1) ?? '';
      tokens.push({ type: 'variable', text: `$${name}` });
      at += 1 + name.length;
    } else if (char === '.' && stick(FIELD_CHAIN, text, at) !== undefined) {
      const chain = stick(FIELD_CHAIN, text, at) ?? '';
      tokens.push({ type: 'field', text: chain, glued: at > start && !/\s/.test(text.charAt(at - 1)) });
      at += chain.length;
    } else if (/[0-9]/.test(char) || ((char === '-' || char === '.') && /[0-9]/.test(text.charAt(at + 1)))) {
      const number = stick(NUMBER, text, at) ?? char;
      tokens.push({ type: 'number', value: Number(number) });
      at += number.length;
    } else if (char === ':' && text.charAt(at + 1) === '=') {
      tokens.push({ type: 'punct', text: ':=' });
      at += 2;
    } else if ('.()|,='.includes(char)) {
      tokens.push({ type: 'punct', text: char });
      at += 1;
    } else {
      const word = stick(IDENT, text, at);
      if (word === undefined) throw new GoTemplateError(`unexpected "${char}" in an action`);
      tokens.push({ type: 'word', text: word });
      at += word.length;
    }
  }
  throw new GoTemplateError('unclosed action: a {{ without }}');
}
