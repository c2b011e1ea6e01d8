/**
 * refit's Home Assistant bridge against the test bed's mosquitto: retained discovery configs and
 * states for the containers of a report, an install command that reaches the actions port, a
 * state that follows a running update, entities removed for containers that are gone, the
 * broker that needs a password, and the last will that marks refit unavailable when it dies.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accepted, type ActionResult, type Actions, type ContainerTarget } from '../../src/domain/actions.js';
import { buildCycleReport, type ContainerReport } from '../../src/domain/report.js';
import type { HomeAssistantBridge } from '../../src/mqtt/ha-bridge.js';
import { startMqtt, type MqttConfig } from '../../src/mqtt/start-mqtt.js';
import { CycleEventBus } from '../../src/status/event-bus.js';
import { StatusBoard } from '../../src/status/status-board.js';
import { waitFor } from '../support/polling.js';
import { readTestbed, type MqttInfo } from '../support/testbed.js';

const CHILD = fileURLToPath(new URL('../support/mqtt-bridge-child.ts', import.meta.url));
const OLD = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;

let mqtt: MqttInfo;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(() => {
  mqtt = readTestbed().mqtt;
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function report(name: string, status: string, extra: Partial<ContainerReport> = {}): ContainerReport {
  return {
    id: name.padEnd(64, '0'),
    name,
    image: `registry.example.com/${name}:1`,
    status: status as ContainerReport['status'],
    reason: `${name} is ${status}`,
    monitorOnly: false,
    localDigests: [OLD],
    ...extra,
  };
}

class RecordingActions implements Actions {
  readonly updates: ContainerTarget[] = [];
  checkNow(): Promise<ActionResult> {
    return Promise.resolve(accepted('checking'));
  }
  updateNow(target: ContainerTarget): Promise<ActionResult> {
    this.updates.push(target);
    return Promise.resolve(accepted(`updating ${target.name}`));
  }
  approve(): Promise<ActionResult> {
    return Promise.resolve(accepted('approved'));
  }
  dismiss(): Promise<ActionResult> {
    return Promise.resolve(accepted('dismissed'));
  }
  rollback(): Promise<ActionResult> {
    return Promise.resolve(accepted('rolling back'));
  }
}

/** A subscriber that records the last payload of every topic it sees, and tidies up retained topics. */
async function observer(url: string, auth: { username?: string; password?: string } = {}) {
  const client: MqttClient = await connectAsync(url, {
    ...auth,
    clientId: `observer-${randomBytes(4).toString('hex')}`,
  });
  const last = new Map<string, { payload: string; retain: boolean }>();
  client.on('message', (topic, payload, packet) => {
    last.set(topic, { payload: payload.toString(), retain: packet.retain });
  });
  cleanups.push(async () => {
    // Retained messages outlive the test; clear the ones it left.
    for (const [topic, { payload }] of last) {
      if (payload !== '') await client.publishAsync(topic, '', { retain: true, qos: 1 });
    }
    await client.endAsync();
  });
  return { client, last };
}

function prefixes(): { topicPrefix: string; discoveryPrefix: string } {
  const run = randomBytes(4).toString('hex');
  return { topicPrefix: `refit-test-${run}`, discoveryPrefix: `ha-test-${run}` };
}

function config(
  url: string,
  p: { topicPrefix: string; discoveryPrefix: string },
  auth: Partial<MqttConfig> = {},
): MqttConfig {
  return {
    mqttUrl: url,
    mqttUsername: undefined,
    mqttPassword: undefined,
    mqttTlsCa: undefined,
    mqttTlsSkipVerify: false,
    mqttTopicPrefix: p.topicPrefix,
    mqttDiscoveryPrefix: p.discoveryPrefix,
    ...auth,
  };
}

function bridgeFor(
  cfg: MqttConfig,
  board: StatusBoard,
  bus: CycleEventBus,
  actions: Actions,
): HomeAssistantBridge {
  const bridge = startMqtt(cfg, {
    status: board,
    events: bus,
    actions,
    version: '9.9.9',
    logger: pino({ level: 'silent' }),
  });
  if (bridge === undefined) throw new Error('no bridge started');
  cleanups.push(() => bridge.close());
  return bridge;
}

describe('Home Assistant over MQTT', () => {
  it('publishes retained discovery and state for a stale container, and installs it on command', async () => {
    const p = prefixes();
    const bus = new CycleEventBus();
    const board = new StatusBoard();
    board.listen(bus);
    const actions = new RecordingActions();
    const now = new Date();
    bus.emit({
      type: 'cycle-finished',
      at: now.toISOString(),
      report: buildCycleReport(now, now, [
        report('web', 'stale', { remoteDigest: NEW, currentVersion: '1.4.2', targetVersion: '1.4.3' }),
        report('db', 'fresh', { remoteDigest: OLD }),
      ]),
    });
    // Someone once published an install command with retain set: the broker replays it to every
    // new subscriber, and refit must not update the container each time it reconnects.
    const stale = await observer(mqtt.url);
    await stale.client.publishAsync(`${p.topicPrefix}/local_db/install`, 'install', { qos: 1, retain: true });
    stale.last.set(`${p.topicPrefix}/local_db/install`, { payload: 'install', retain: true });

    bridgeFor(config(mqtt.url, p), board, bus, actions);

    const { client, last } = await observer(mqtt.url);
    await client.subscribeAsync([`${p.discoveryPrefix}/#`, `${p.topicPrefix}/#`], { qos: 1 });
    await waitFor(() => (last.size >= 5 ? true : undefined), 'configs, states and availability', 10_000);
    // A client that arrives later (Home Assistant after a restart) gets every one of them retained.
    const late = await observer(mqtt.url);
    await late.client.subscribeAsync([`${p.discoveryPrefix}/#`, `${p.topicPrefix}/#`], { qos: 1 });
    await waitFor(() => (late.last.size >= 5 ? true : undefined), 'the retained topics', 5_000);
    expect([...late.last].filter(([, message]) => !message.retain)).toEqual([]);

    const configTopic = `${p.discoveryPrefix}/update/${p.topicPrefix}/local_web/config`;
    expect(JSON.parse(late.last.get(configTopic)?.payload ?? '{}')).toMatchObject({
      name: 'web',
      state_topic: `${p.topicPrefix}/local_web/state`,
      command_topic: `${p.topicPrefix}/local_web/install`,
      payload_install: 'install',
      availability_topic: `${p.topicPrefix}/availability`,
      device: { identifiers: [`refit_${p.topicPrefix}_local`] },
    });
    expect(JSON.parse(late.last.get(`${p.topicPrefix}/local_web/state`)?.payload ?? '{}')).toEqual({
      installed_version: '1.4.2',
      latest_version: '1.4.3',
      title: 'registry.example.com/web:1',
      in_progress: false,
      release_summary: 'web is stale',
    });
    expect(late.last.get(`${p.topicPrefix}/availability`)).toEqual({ payload: 'online', retain: true });

    // Home Assistant's Install button: a non-retained "install" on the command topic.
    await client.publishAsync(`${p.topicPrefix}/local_web/install`, 'install', { qos: 1 });
    await waitFor(() => (actions.updates.length > 0 ? true : undefined), 'the update to be asked for', 5_000);
    expect(actions.updates).toEqual([{ name: 'web' }]);

    // The running swap shows as in progress, then the update as installed.
    bus.emit({
      type: 'container-updating',
      at: new Date().toISOString(),
      name: 'web',
      image: 'registry.example.com/web:1',
    });
    await waitFor(
      () =>
        last.get(`${p.topicPrefix}/local_web/state`)?.payload.includes('"in_progress":true')
          ? true
          : undefined,
      'in_progress',
      5_000,
    );
    bus.emit({
      type: 'container-updated',
      at: new Date().toISOString(),
      container: report('web', 'updated', {
        remoteDigest: NEW,
        currentVersion: '1.4.2',
        targetVersion: '1.4.3',
      }),
    });
    await waitFor(
      () =>
        last.get(`${p.topicPrefix}/local_web/state`)?.payload.includes('"installed_version":"1.4.3"')
          ? true
          : undefined,
      'the installed version',
      5_000,
    );

    // The retained install command published before refit subscribed was never acted on.
    expect(actions.updates).toEqual([{ name: 'web' }]);

    // A full cycle without db removes its entity.
    const later = new Date();
    bus.emit({
      type: 'cycle-finished',
      at: later.toISOString(),
      report: buildCycleReport(later, later, [report('web', 'fresh', { remoteDigest: NEW })]),
    });
    await waitFor(
      () =>
        last.get(`${p.discoveryPrefix}/update/${p.topicPrefix}/local_db/config`)?.payload === ''
          ? true
          : undefined,
      'the removed entity',
      5_000,
    );
  });

  it('logs in to a broker that needs a password', async () => {
    const p = prefixes();
    const bus = new CycleEventBus();
    const board = new StatusBoard();
    const now = new Date();
    board.recordReport(buildCycleReport(now, now, [report('app', 'fresh', { remoteDigest: OLD })]));
    bridgeFor(
      config(mqtt.authUrl, p, { mqttUsername: mqtt.username, mqttPassword: mqtt.password }),
      board,
      bus,
      new RecordingActions(),
    );
    const { client, last } = await observer(mqtt.authUrl, {
      username: mqtt.username,
      password: mqtt.password,
    });
    await client.subscribeAsync(`${p.topicPrefix}/#`, { qos: 1 });
    await waitFor(
      () => (last.get(`${p.topicPrefix}/availability`)?.payload === 'online' ? true : undefined),
      'online',
      10_000,
    );
    expect(last.has(`${p.topicPrefix}/local_app/state`)).toBe(true);
  });

  it('is marked unavailable by its last will when it dies, and offline when it stops', async () => {
    const p = prefixes();
    const { client, last } = await observer(mqtt.url);
    await client.subscribeAsync(`${p.topicPrefix}/availability`, { qos: 1 });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, mqtt.url, p.topicPrefix, p.discoveryPrefix],
      {
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await waitFor(
        () => (last.get(`${p.topicPrefix}/availability`)?.payload === 'online' ? true : undefined),
        'online',
        20_000,
      );
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    await waitFor(
      () => (last.get(`${p.topicPrefix}/availability`)?.payload === 'offline' ? true : undefined),
      'the last will',
      10_000,
    );

    // A clean stop says the same without the broker's help.
    const q = prefixes();
    await client.subscribeAsync(`${q.topicPrefix}/availability`, { qos: 1 });
    const board = new StatusBoard();
    const bridge = startMqtt(config(mqtt.url, q), {
      status: board,
      events: new CycleEventBus(),
      actions: undefined,
      version: 'test',
      logger: pino({ level: 'silent' }),
    });
    await waitFor(
      () => (last.get(`${q.topicPrefix}/availability`)?.payload === 'online' ? true : undefined),
      'online',
      10_000,
    );
    await bridge?.close();
    await waitFor(
      () => (last.get(`${q.topicPrefix}/availability`)?.payload === 'offline' ? true : undefined),
      'offline',
      5_000,
    );
  }, 60_000);
});
