/**
 * Removes secrets from free text that leaves refit (a failed container's log lines in a rollback
 * reason, which reaches the log, the report and every notification channel). Field-name
 * redaction in the logger cannot see inside such text, so this works on the text itself: the
 * values it is told are secret, and the shapes credentials take in logs.
 */

export const REDACTED = '[redacted]';

/** Shorter values (`true`, `1`, `basic`) would shred ordinary text where they occur by chance. */
const MIN_SECRET_LENGTH = 6;
const NOT_SECRETS = new Set(['true', 'false', 'enabled', 'disabled']);

/** Environment variable names whose values are secrets by convention. */
const SECRET_NAME = /pass|secret|token|key|credential|auth|private|salt|signature|cookie|session|dsn/i;

/** `Authorization: Basic …`, `Bearer …`, `Token …` credentials. */
const SCHEME_CREDENTIAL = /\b(Basic|Bearer|Token)\s+[A-Za-z0-9+/=._~-]{8,}/gi;
/** The password in a URL's user info: `postgres://app:hunter2@db/app`. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s/@]+@/gi;
/**
 * `password=…`, `DB_PASSWORD: …`, `"apiKey":"…"`, `client_secret=…&`: the value after a key that
 * names a secret, in env, YAML, JSON, query-string and logfmt shapes.
 */
const KEYED_SECRET =
  /\b([\w.-]*(?:passw(?:or)?d|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)[\w.-]*)(["']?\s*[=:]\s*["']?)([^\s"',;&]+)/gi;

/**
 * The values among `env` entries (`NAME=value`) whose names say they are secret, long enough
 * to be replaced safely.
 */
export function secretEnvValues(env: readonly string[]): string[] {
  return env.flatMap((entry) => {
    const equals = entry.indexOf('=');
    if (equals <= 0) return [];
    const value = entry.slice(equals + 1);
    return SECRET_NAME.test(entry.slice(0, equals)) && isReplaceable(value) ? [value] : [];
  });
}

function isReplaceable(value: string): boolean {
  return value.length >= MIN_SECRET_LENGTH && !NOT_SECRETS.has(value.toLowerCase());
}

/** `text` with each of `secrets` and every credential-shaped value replaced by `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  const known = [...new Set(secrets)].filter(isReplaceable).sort((a, b) => b.length - a.length);
  for (const secret of known) out = out.split(secret).join(REDACTED);
  return out
    .replace(SCHEME_CREDENTIAL, `$1 ${REDACTED}`)
    .replace(URL_PASSWORD, `$1:${REDACTED}@`)
    .replace(KEYED_SECRET, (match, key: string, separator: string, value: string) =>
      value === REDACTED || value.startsWith('[redacted]') ? match : `${key}${separator}${REDACTED}`,
    );
}
