/**
 * A refit daemon with REFIT_MQTT_URL against the test bed's mosquitto (the listener that needs a
 * password), as Home Assistant meets it: a stale container becomes a retained discovery config
 * and a retained state with an available update; the Install command (what Home Assistant
 * publishes when the button is pressed) updates the container, which the engine confirms, and the
 * state follows; refit's availability goes offline when it stops.
 */
import { randomBytes } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shortDigest } from '../../src/domain/digests.js';
import { removeTestContainers } from '../support/containers.js';
import { waitFor } from '../support/polling.js';
import { startDaemon, type RefitDaemon } from '../support/refit-daemon.js';
import { updateEnv } from '../support/refit-update.js';
import {
  deployStale,
  removeStaleImages,
  runningImage,
  type StaleContainer,
} from '../support/stale-container.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

interface Seen {
  readonly payload: string;
  readonly retain: boolean;
}

let bed: Testbed;
let refit: RefitDaemon;
let app: StaleContainer;
let ha: MqttClient;
const seen = new Map<string, Seen>();
const scope = uniqueName('mqtt');
const run = randomBytes(4).toString('hex');
const topicPrefix = `refit-e2e-${run}`;
const discoveryPrefix = `ha-e2e-${run}`;

/** What Home Assistant would call the container: host and name, in topic-safe characters. */
const objectId = (): string => `local_${app.name}`;
const configTopic = (): string => `${discoveryPrefix}/update/${topicPrefix}/${objectId()}/config`;
const stateTopic = (): string => `${topicPrefix}/${objectId()}/state`;
const availability = `${topicPrefix}/availability`;

function json(topic: string): Record<string, unknown> | undefined {
  const message = seen.get(topic);
  return message === undefined || message.payload === ''
    ? undefined
    : (JSON.parse(message.payload) as Record<string, unknown>);
}

/** Run in reverse order after the tests: whatever beforeAll got to is undone. */
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  bed = loadTestbed();
  const deployed: StaleContainer[] = [];
  cleanups.push(
    () => removeStaleImages(bed, deployed),
    () => removeTestContainers({ bed }),
  );
  // Notify mode: refit reports the new image and leaves the install to Home Assistant.
  app = await deployStale({
    bed,
    name: `${scope}-app`,
    ref: `${bed.registries.open.host}/${scope}/app:latest`,
    labels: { 'com.centurylinklabs.watchtower.scope': scope, 'refit.mode': 'notify' },
  });
  deployed.push(app);
  const { mqtt } = bed;
  const daemon = await startDaemon({
    bed,
    args: ['--scope', scope],
    env: {
      ...updateEnv(bed),
      REFIT_UPDATE_ON_START: 'true',
      REFIT_MQTT_URL: mqtt.authUrl,
      REFIT_MQTT_USERNAME: mqtt.username,
      REFIT_MQTT_PASSWORD: mqtt.password,
      REFIT_MQTT_TOPIC_PREFIX: topicPrefix,
      REFIT_MQTT_DISCOVERY_PREFIX: discoveryPrefix,
    },
  });
  refit = daemon;
  cleanups.push(() => daemon.stop());
  // Home Assistant connects after refit published: what it gets is what the broker retained.
  await refit.reportAfter('');
  const client = await connectAsync(mqtt.authUrl, {
    username: mqtt.username,
    password: mqtt.password,
    clientId: `ha-e2e-${run}`,
  });
  ha = client;
  cleanups.push(async () => {
    // Retained messages outlive the test: clear those it caused, once refit says no more.
    await daemon.stop();
    for (const [topic, { payload }] of seen) {
      if (payload !== '') await client.publishAsync(topic, '', { retain: true, qos: 1 });
    }
    await client.endAsync();
  });
  client.on('message', (topic, payload, packet) => {
    seen.set(topic, { payload: payload.toString(), retain: packet.retain });
  });
  await client.subscribeAsync([`${discoveryPrefix}/update/#`, `${topicPrefix}/#`], { qos: 1 });
}, 300_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, 120_000);

describe('Home Assistant through a real MQTT broker', () => {
  it('finds a retained update entity for the stale container, with its versions', async () => {
    const config = await waitFor(() => json(configTopic()), 'the discovery config', 10_000);
    expect(seen.get(configTopic())?.retain).toBe(true);
    expect(config).toMatchObject({
      name: app.name,
      state_topic: stateTopic(),
      command_topic: `${topicPrefix}/${objectId()}/install`,
      payload_install: 'install',
      availability_topic: availability,
    });
    const state = await waitFor(() => json(stateTopic()), 'the state', 10_000);
    expect(seen.get(stateTopic())?.retain).toBe(true);
    expect(state).toMatchObject({
      latest_version: shortDigest(app.v2Digest),
      title: app.ref,
      in_progress: false,
    });
    expect(state['installed_version']).not.toBe(state['latest_version']);
    expect(seen.get(availability)).toEqual({ payload: 'online', retain: true });
    // Notify mode: refit left it alone.
    expect(await runningImage(bed, app.name)).toBe(app.v1Id);
  });

  it('updates the container when Install is pressed, and the state says it is installed', async () => {
    await ha.publishAsync(`${topicPrefix}/${objectId()}/install`, 'install', { qos: 1 });
    const state = await waitFor(
      () => {
        const current = json(stateTopic());
        return current?.['installed_version'] === shortDigest(app.v2Digest) ? current : undefined;
      },
      'the state to show the new image installed',
      60_000,
    );
    expect(state).toMatchObject({ latest_version: shortDigest(app.v2Digest), in_progress: false });
    expect(await runningImage(bed, app.name)).toBe(app.v2Id);
    expect(refit.output.stderr).toMatch(/"msg":"update asked for over MQTT"/);
  }, 90_000);

  it('says refit is offline once it stops', async () => {
    await refit.stop();
    await waitFor(
      () => (seen.get(availability)?.payload === 'offline' ? true : undefined),
      'availability offline',
      10_000,
    );
  });
});
