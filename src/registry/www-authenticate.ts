import { RefitError } from '../errors.js';

/** One challenge from a `WWW-Authenticate` header (RFC 9110 §11.6.1). */
export interface AuthChallenge {
  /** Lower-cased, since schemes are case-insensitive (`bearer`, `basic`). */
  readonly scheme: string;
  /** Parameter names lower-cased; values unquoted and unescaped. */
  readonly params: Readonly<Record<string, string>>;
  /** The opaque `token68` form some schemes use instead of parameters. */
  readonly token68: string | undefined;
}

export class WwwAuthenticateError extends RefitError {
  constructor(header: string, reason: string) {
    // Registries do not put secrets in challenges; the header is shortened only to keep logs tidy.
    const shown = header.length > 200 ? `${header.slice(0, 200)}…` : header;
    super('MALFORMED_WWW_AUTHENTICATE', `malformed WWW-Authenticate header "${shown}": ${reason}`);
  }
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;

/**
 * Parses one or more `WWW-Authenticate` header values into their challenges, in order.
 * Handles quoted strings with backslash escapes, commas inside quotes, several challenges in
 * one value, and token68 credentials; throws WwwAuthenticateError on anything malformed so the
 * caller can report what the registry sent instead of guessing.
 */
export function parseWwwAuthenticate(header: string | readonly string[]): AuthChallenge[] {
  const values = typeof header === 'string' ? [header] : header;
  const challenges = values.flatMap((value) => new ChallengeParser(value).parse());
  if (challenges.length === 0) {
    throw new WwwAuthenticateError(values.join(', '), 'it holds no challenge');
  }
  return challenges;
}

/** The first challenge using `scheme` (case-insensitive), if any. */
export function findChallenge(
  challenges: readonly AuthChallenge[],
  scheme: string,
): AuthChallenge | undefined {
  const wanted = scheme.toLowerCase();
  return challenges.find((challenge) => challenge.scheme === wanted);
}

class ChallengeParser {
  private position = 0;

  constructor(private readonly input: string) {}

  parse(): AuthChallenge[] {
    const challenges: AuthChallenge[] = [];
    for (;;) {
      this.skipSeparators();
      if (this.atEnd()) return challenges;
      challenges.push(this.parseChallenge());
    }
  }

  private parseChallenge(): AuthChallenge {
    const schemeStart = this.position;
    const scheme = this.readToken();
    if (scheme === '') this.fail(`expected an auth scheme at position ${schemeStart}`);
    const afterScheme = this.position;
    this.skipWhitespace();
    if (this.atEnd() || this.peek() === ',')
      return { scheme: scheme.toLowerCase(), params: {}, token68: undefined };
    if (this.position === afterScheme) this.fail(`expected a space after scheme "${scheme}"`);

    const token68 = this.tryToken68();
    if (token68 !== undefined) return { scheme: scheme.toLowerCase(), params: {}, token68 };
    return { scheme: scheme.toLowerCase(), params: this.parseParams(), token68: undefined };
  }

  /** A token68 is a bare value followed by the end of the challenge; `name=value` is a parameter. */
  private tryToken68(): string | undefined {
    const match = TOKEN68.exec(this.input.slice(this.position));
    if (!match) return undefined;
    const candidate = match[0];
    let next = this.position + candidate.length;
    while (next < this.input.length && isWhitespace(this.input[next])) next += 1;
    if (next < this.input.length && this.input[next] !== ',') return undefined;
    this.position = next;
    return candidate;
  }

  private parseParams(): Record<string, string> {
    const params: Record<string, string> = {};
    for (;;) {
      const nameStart = this.position;
      const name = this.readToken().toLowerCase();
      if (name === '') this.fail(`expected a parameter name at position ${nameStart}`);
      this.skipWhitespace();
      if (this.peek() !== '=') this.fail(`expected "=" after parameter "${name}"`);
      this.position += 1;
      this.skipWhitespace();
      const value = this.peek() === '"' ? this.readQuoted() : this.readToken();
      if (value === '' && this.input[this.position - 1] !== '"')
        this.fail(`parameter "${name}" has no value`);
      if (Object.hasOwn(params, name)) this.fail(`parameter "${name}" appears twice in one challenge`);
      params[name] = value;

      this.skipWhitespace();
      if (this.atEnd()) return params;
      if (this.peek() !== ',') this.fail(`unexpected "${this.peek()}" at position ${this.position}`);
      // After a comma comes either another parameter of this challenge or the next challenge.
      this.skipSeparators();
      if (this.atEnd() || !this.nextIsParameter()) return params;
    }
  }

  /** Looks ahead for `token BWS "="` without consuming it. */
  private nextIsParameter(): boolean {
    const saved = this.position;
    const token = this.readToken();
    this.skipWhitespace();
    const isParameter = token !== '' && this.peek() === '=';
    this.position = saved;
    return isParameter;
  }

  private readToken(): string {
    const start = this.position;
    while (!this.atEnd() && TCHAR.test(this.peek())) this.position += 1;
    return this.input.slice(start, this.position);
  }

  private readQuoted(): string {
    const start = this.position;
    this.position += 1;
    let value = '';
    while (!this.atEnd()) {
      const char = this.peek();
      this.position += 1;
      if (char === '"') return value;
      if (char === '\\') {
        if (this.atEnd()) break;
        value += this.peek();
        this.position += 1;
        continue;
      }
      if (isControl(char))
        this.fail(`control character inside quoted string at position ${this.position - 1}`);
      value += char;
    }
    return this.fail(`unterminated quoted string starting at position ${start}`);
  }

  private skipWhitespace(): void {
    while (!this.atEnd() && isWhitespace(this.peek())) this.position += 1;
  }

  /** List elements may be empty (`a, , b`), so runs of commas and spaces separate them. */
  private skipSeparators(): void {
    while (!this.atEnd() && (isWhitespace(this.peek()) || this.peek() === ',')) this.position += 1;
  }

  private peek(): string {
    return this.input.charAt(this.position);
  }

  private atEnd(): boolean {
    return this.position >= this.input.length;
  }

  private fail(reason: string): never {
    throw new WwwAuthenticateError(this.input, reason);
  }
}

function isWhitespace(char: string | undefined): boolean {
  return char === ' ' || char === '\t';
}

function isControl(char: string): boolean {
  const code = char.charCodeAt(0);
  return (code < 0x20 && char !== '\t') || code === 0x7f;
}
