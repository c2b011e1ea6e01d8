import { describe, expect, it } from 'vitest';
import type { Config, ConfigProblem } from '../../../src/config/config.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { redactedConfig } from '../../../src/config/redact-config.js';

function loaded(env: Record<string, string>): { config: Config; warnings: string[] } {
  const result = loadConfig({ argv: [], env, readFile: (path) => `secret from ${path}` });
  if (result.kind !== 'config') throw new Error(`expected a config, got ${JSON.stringify(result)}`);
  return result;
}

function problems(env: Record<string, string>): ConfigProblem[] {
  const result = loadConfig({ argv: [], env });
  if (result.kind !== 'invalid') throw new Error(`expected problems, got ${JSON.stringify(result)}`);
  return result.problems;
}

describe('status page options', () => {
  it.each([
    ['/refit', '/refit'],
    ['/tools/refit/', '/tools/refit'],
    ['/', ''],
    ['', ''],
  ])('reads REFIT_HTTP_BASE_PATH=%s as %j', (raw, expected) => {
    expect(loaded({ REFIT_HTTP_BASE_PATH: raw }).config.httpBasePath).toBe(expected);
  });

  it.each(['refit', '/re fit', '/a/../b', '/a?b', '/"x"'])('refuses the base path %j', (raw) => {
    expect(problems({ REFIT_HTTP_BASE_PATH: raw })).toEqual([
      { source: 'REFIT_HTTP_BASE_PATH', message: expect.stringMatching(/^expected/) as string },
    ]);
  });

  it('leaves the read-only view unset by default, and reads it as a boolean', () => {
    expect(loaded({}).config.httpReadOnlyView).toBeUndefined();
    expect(loaded({ REFIT_HTTP_READ_ONLY_VIEW: 'true' }).config.httpReadOnlyView).toBe(true);
    expect(loaded({ REFIT_HTTP_READ_ONLY_VIEW: 'no' }).config.httpReadOnlyView).toBe(false);
  });
});

describe('history options', () => {
  it('keeps 180 days and 5000 entries by default, and reads durations and counts', () => {
    expect(loaded({}).config).toMatchObject({ historyMaxAgeSeconds: 180 * 86_400, historyMaxEntries: 5000 });
    expect(loaded({ REFIT_HISTORY_MAX_AGE: '720h', REFIT_HISTORY_MAX_ENTRIES: '100' }).config).toMatchObject({
      historyMaxAgeSeconds: 30 * 86_400,
      historyMaxEntries: 100,
    });
  });

  it.each([
    ['REFIT_HISTORY_MAX_AGE', '10m', /at least 1h/],
    ['REFIT_HISTORY_MAX_AGE', '100000h', /at most 87840h/],
    ['REFIT_HISTORY_MAX_ENTRIES', '5', /from 10 to 1000000/],
  ])('refuses %s=%s', (name, raw, message) => {
    expect(problems({ [name]: raw })).toEqual([
      { source: name, message: expect.stringMatching(message) as string },
    ]);
  });
});

describe('MQTT options', () => {
  it('is off by default, with Home Assistant’s discovery prefix and refit’s topic prefix', () => {
    expect(loaded({}).config).toMatchObject({
      mqttUrl: undefined,
      mqttTopicPrefix: 'refit',
      mqttDiscoveryPrefix: 'homeassistant',
      mqttTlsSkipVerify: false,
    });
  });

  it('reads the broker, credentials (the password also from a file) and prefixes', () => {
    const { config, warnings } = loaded({
      REFIT_MQTT_URL: 'mqtts://broker.lan:8883',
      REFIT_MQTT_USERNAME: 'refit',
      REFIT_MQTT_PASSWORD_FILE: '/run/secrets/mqtt',
      REFIT_MQTT_TLS_CA: '/etc/ssl/broker-ca.pem',
      REFIT_MQTT_TOPIC_PREFIX: 'home/refit',
    });
    expect(config).toMatchObject({
      mqttUrl: 'mqtts://broker.lan:8883',
      mqttUsername: 'refit',
      mqttPassword: 'secret from /run/secrets/mqtt',
      mqttTlsCa: '/etc/ssl/broker-ca.pem',
      mqttTopicPrefix: 'home/refit',
    });
    expect(warnings).toEqual([]);
    expect(redactedConfig(config).mqttPassword).toBe('[set]');
  });

  it.each([
    ['http://broker', /expected mqtt:\/\/host/],
    ['mqtt://user:hunter2@broker', /must not contain a password/],
    ['mqtt://broker/path', /without a path/],
  ])('refuses REFIT_MQTT_URL=%s, never echoing it', (raw, message) => {
    const found = problems({ REFIT_MQTT_URL: raw });
    expect(found).toEqual([{ source: 'REFIT_MQTT_URL', message: expect.stringMatching(message) as string }]);
    expect(JSON.stringify(found)).not.toContain('hunter2');
  });

  it.each(['refit/#', 'a/+/b', 'a//b', '/refit'])('refuses the topic prefix %j', (raw) => {
    expect(problems({ REFIT_MQTT_TOPIC_PREFIX: raw }).map((p) => p.source)).toEqual([
      'REFIT_MQTT_TOPIC_PREFIX',
    ]);
  });

  it('wants a user name with a password, and warns about settings that do nothing', () => {
    expect(problems({ REFIT_MQTT_URL: 'mqtt://b', REFIT_MQTT_PASSWORD: 'pw' })).toEqual([
      { source: 'REFIT_MQTT_PASSWORD', message: 'needs a user name too (REFIT_MQTT_USERNAME)' },
    ]);
    expect(loaded({ REFIT_MQTT_USERNAME: 'refit' }).warnings).toEqual([
      'REFIT_MQTT_USERNAME has no effect without REFIT_MQTT_URL',
    ]);
    expect(loaded({ REFIT_MQTT_URL: 'mqtt://b', REFIT_MQTT_TLS_CA: '/ca.pem' }).warnings).toEqual([
      'REFIT_MQTT_TLS_CA has no effect for an mqtt:// broker (no TLS)',
    ]);
  });
});
