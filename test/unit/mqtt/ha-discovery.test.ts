import { describe, expect, it } from 'vitest';
import {
  configTopic,
  discoveryConfig,
  haTopics,
  objectId,
  objectIdOf,
  statePayload,
  stateTopic,
} from '../../../src/mqtt/ha-discovery.js';
import type { ContainerRow } from '../../../src/status/status-snapshot.js';

const OLD = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;
const topics = haTopics('refit', 'homeassistant');

function row(extra: Partial<ContainerRow> = {}): ContainerRow {
  return {
    name: 'web',
    host: 'local',
    defaultHost: true,
    image: 'ghcr.io/org/web:1.4',
    status: 'stale',
    reason: 'a newer image is available',
    monitorOnly: false,
    self: false,
    updating: false,
    currentDigest: OLD,
    availableDigest: NEW,
    ...extra,
  };
}

/** The keys Home Assistant's MQTT update schema accepts in the state JSON; any other drops the message. */
const STATE_KEYS = [
  'installed_version',
  'latest_version',
  'title',
  'release_summary',
  'release_url',
  'entity_picture',
  'in_progress',
  'update_percentage',
];

describe('Home Assistant discovery', () => {
  it('names topics by refit’s prefix and a container id of allowed characters only', () => {
    const id = objectId(row({ name: 'my.app', host: 'nas 2' }));
    expect(id).toBe('nas_2_my_app');
    expect(configTopic(topics, id)).toBe('homeassistant/update/refit/nas_2_my_app/config');
    expect(stateTopic(topics, id)).toBe('refit/nas_2_my_app/state');
    expect(objectIdOf(topics, 'refit/nas_2_my_app/install', 'install')).toBe('nas_2_my_app');
    expect(objectIdOf(topics, 'refit/a/b/install', 'install')).toBeUndefined();
    expect(objectIdOf(topics, 'homeassistant/update/refit/x/config', 'config')).toBe('x');
    expect(haTopics('home/refit', 'ha').nodeId).toBe('home_refit');
  });

  it('describes an update entity with state, install command, availability and device', () => {
    const config = discoveryConfig(topics, row(), { version: '1.2.3' });
    expect(config).toEqual({
      name: 'web',
      unique_id: 'refit_refit_local_web',
      state_topic: 'refit/local_web/state',
      command_topic: 'refit/local_web/install',
      payload_install: 'install',
      availability_topic: 'refit/availability',
      payload_available: 'online',
      payload_not_available: 'offline',
      qos: 1,
      device: {
        identifiers: ['refit_refit_local'],
        name: 'Docker local',
        manufacturer: 'refit',
        model: 'Docker containers',
        sw_version: '1.2.3',
      },
      origin: { name: 'refit', sw_version: '1.2.3' },
    });
  });

  it('states versions where known, short digests otherwise, and only keys Home Assistant accepts', () => {
    const stale = statePayload(
      row({ currentVersion: '1.4.2', availableVersion: '1.4.3', releaseUrl: 'https://example.com/notes' }),
    );
    expect(stale).toEqual({
      installed_version: '1.4.2',
      latest_version: '1.4.3',
      title: 'ghcr.io/org/web:1.4',
      in_progress: false,
      release_summary: 'a newer image is available',
      release_url: 'https://example.com/notes',
    });
    expect(statePayload(row())).toMatchObject({
      installed_version: 'sha256:aaaaaaaaaaaa',
      latest_version: 'sha256:bbbbbbbbbbbb',
    });
    const fresh = statePayload(row({ status: 'fresh', availableDigest: OLD }));
    expect(fresh['installed_version']).toBe(fresh['latest_version']);
    expect(fresh).not.toHaveProperty('release_summary');
    expect(statePayload(row({ status: 'updated' }))).toMatchObject({
      installed_version: 'sha256:bbbbbbbbbbbb',
      latest_version: 'sha256:bbbbbbbbbbbb',
    });
    expect(statePayload(row({ updating: true }))['in_progress']).toBe(true);
    expect(statePayload(row({ releaseUrl: 'javascript:alert(1)' }))).not.toHaveProperty('release_url');
    for (const payload of [stale, fresh, statePayload(row({ status: 'skipped', reason: 'x'.repeat(400) }))]) {
      expect(Object.keys(payload).every((key) => STATE_KEYS.includes(key))).toBe(true);
      expect(((payload['release_summary'] as string | undefined) ?? '').length).toBeLessThanOrEqual(255);
    }
  });
});
