import { describe, expect, it } from 'vitest';
import { redactSecrets, secretEnvValues } from '../../../src/util/redact-secrets.js';

describe('secretEnvValues', () => {
  it('takes the values of variables whose names say they are secret', () => {
    expect(
      secretEnvValues([
        'POSTGRES_PASSWORD=hunter2hunter2',
        'API_TOKEN=tok-123456',
        'AWS_SECRET_ACCESS_KEY=abcdefgh',
        'PATH=/usr/local/bin:/usr/bin',
        'GREETING=hello world',
      ]),
    ).toEqual(['hunter2hunter2', 'tok-123456', 'abcdefgh']);
  });

  it('leaves out values too short or too plain to replace safely', () => {
    expect(secretEnvValues(['AUTH_ENABLED=true', 'KEY_SIZE=2048', 'PASS=abc', 'TOKEN=', 'SECRET'])).toEqual(
      [],
    );
  });
});

describe('redactSecrets', () => {
  it('replaces each known secret wherever it appears', () => {
    expect(redactSecrets('connecting with hunter2hunter2 as app (hunter2hunter2)', ['hunter2hunter2'])).toBe(
      'connecting with [redacted] as app ([redacted])',
    );
  });

  it('replaces a longer secret whole when it contains a shorter one', () => {
    expect(redactSecrets('key=abcdef-ghijkl', ['abcdef', 'abcdef-ghijkl'])).toBe('key=[redacted]');
  });

  it('removes Basic and Bearer credentials', () => {
    expect(redactSecrets('Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9.abc')).toBe(
      'Authorization: Bearer [redacted]',
    );
    expect(redactSecrets('sent basic dXNlcjpwYXNzd29yZA==')).toBe('sent basic [redacted]');
  });

  it("removes the password from a URL's user info, keeping the user and host", () => {
    expect(redactSecrets('dial postgres://app:s3cr3t@db:5432/app failed')).toBe(
      'dial postgres://app:[redacted]@db:5432/app failed',
    );
  });

  it('removes values after keys that name a secret, in env, YAML, JSON and query shapes', () => {
    expect(redactSecrets('DB_PASSWORD=letmein')).toBe('DB_PASSWORD=[redacted]');
    expect(redactSecrets('  password: letmein')).toBe('  password: [redacted]');
    expect(redactSecrets('{"apiKey":"k-42","user":"bob"}')).toBe('{"apiKey":"[redacted]","user":"bob"}');
    expect(redactSecrets('GET /cb?client_secret=xyz&state=1')).toBe(
      'GET /cb?client_secret=[redacted]&state=1',
    );
    expect(redactSecrets("token = 'abc'")).toBe("token = '[redacted]'");
  });

  it('leaves ordinary text alone', () => {
    const line = 'listening on 0.0.0.0:8080 (pid 1), config /etc/app.yaml';
    expect(redactSecrets(line, [])).toBe(line);
  });
});
