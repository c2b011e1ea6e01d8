import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { redactedConfig } from '../../../src/config/redact-config.js';

describe('redactedConfig', () => {
  const result = loadConfig({
    argv: ['nginx'],
    env: {
      REPO_USER: 'ci-user',
      REPO_PASS: 'hunter2-secret',
      WATCHTOWER_HTTP_API_TOKEN: 'api-token-secret',
      WATCHTOWER_NOTIFICATION_URL:
        'slack://slack-token-secret@channel smtp://u:smtp-secret@mail:587/?to=a@b.c',
    },
  });
  if (result.kind !== 'config') throw new Error('fixture config is invalid');
  const redacted = redactedConfig(result.config);

  it('hides every secret', () => {
    expect(JSON.stringify(redacted)).not.toMatch(/secret/);
    expect(redacted.repoPass).toBe('[set]');
    expect(redacted.httpApiToken).toBe('[set]');
    expect(redacted.notificationUrls).toEqual(['slack://[redacted]', 'smtp://[redacted]']);
  });

  it('keeps everything else as it is', () => {
    expect(redacted.repoUser).toBe('ci-user');
    expect(redacted.containerNames).toEqual(['nginx']);
    expect(redacted.pollIntervalSeconds).toBe(86_400);
  });

  it('leaves unset secrets unset', () => {
    const empty = loadConfig({ argv: [], env: {} });
    if (empty.kind !== 'config') throw new Error('empty config is invalid');
    expect(redactedConfig(empty.config)).toMatchObject({ repoPass: undefined, httpApiToken: undefined });
  });
});
