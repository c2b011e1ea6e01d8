import { randomBytes } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';

export interface MqttMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /** A retained message the broker replays on subscribe, rather than one published now. */
  readonly retain: boolean;
}

/** The port the Home Assistant bridge publishes through; the one adapter is `connectMqtt`. */
export interface MqttConnection {
  publish(topic: string, payload: string, options: { readonly retain: boolean }): Promise<void>;
  subscribe(topics: readonly string[]): Promise<void>;
  /** Called on every (re)connection, once the session is up. */
  onConnect(listener: () => void): void;
  onMessage(listener: (message: MqttMessage) => void): void;
  /** Publishes `payload` on the will's topic (a clean goodbye), then disconnects. */
  close(goodbye?: { readonly topic: string; readonly payload: string }): Promise<void>;
}

export interface MqttSettings {
  /** `mqtt://host[:port]` or `mqtts://host[:port]`. */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** PEM text of the broker's certificate authority. */
  readonly ca?: string;
  readonly skipVerify?: boolean;
  /** Published by the broker, retained, if refit disappears without saying goodbye. */
  readonly will: { readonly topic: string; readonly payload: string };
  readonly clientId?: string;
  /** How long a lost connection waits before the next attempt. */
  readonly reconnectMs?: number;
}

/** The broker's address without credentials, for logs. */
export function brokerAddress(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

/**
 * Connects with the `mqtt` package. The connection is not awaited: an unreachable broker must
 * not keep refit from updating containers, so the client keeps retrying in the background and
 * the bridge publishes everything on each (re)connection. QoS 1 throughout, so retained states
 * reach the broker even over a flaky link.
 */
export function connectMqtt(settings: MqttSettings, logger: Logger): MqttConnection {
  const options: IClientOptions = {
    clientId: settings.clientId ?? `refit-${randomBytes(6).toString('hex')}`,
    clean: true,
    keepalive: 30,
    reconnectPeriod: settings.reconnectMs ?? 5000,
    connectTimeout: 10_000,
    will: { topic: settings.will.topic, payload: Buffer.from(settings.will.payload), qos: 1, retain: true },
    ...(settings.username === undefined ? {} : { username: settings.username }),
    ...(settings.password === undefined ? {} : { password: settings.password }),
    ...(settings.ca === undefined ? {} : { ca: settings.ca }),
    ...(settings.skipVerify === true ? { rejectUnauthorized: false } : {}),
  };
  // The package (and its dependencies) loads only when a broker is configured: a refit without
  // MQTT does not carry it in memory.
  const ready: Promise<MqttClient> = import('mqtt').then(({ connect }) => {
    const client = connect(settings.url, options);
    let lastError = '';
    client.on('connect', () => {
      lastError = '';
      logger.info({ broker }, 'connected to the MQTT broker');
    });
    client.on('error', (error) => {
      // Logged once per distinct error, not at every retry.
      const text = describeError(error);
      if (text !== lastError) logger.warn({ broker, err: text }, 'MQTT connection failed; retrying');
      lastError = text;
    });
    return client;
  });
  const broker = brokerAddress(settings.url);
  const withClient = (use: (client: MqttClient) => void): void => {
    ready.then(use, (error: unknown) => {
      logger.error({ broker, err: describeError(error) }, 'cannot load the MQTT client');
    });
  };
  return {
    publish: async (topic, payload, { retain }) => {
      await (await ready).publishAsync(topic, payload, { qos: 1, retain });
    },
    subscribe: async (topics) => {
      await (await ready).subscribeAsync([...topics], { qos: 1 });
    },
    onConnect(listener) {
      withClient((client) => client.on('connect', listener));
    },
    onMessage(listener) {
      withClient((client) =>
        client.on('message', (topic, payload, packet) => {
          listener({ topic, payload, retain: packet.retain });
        }),
      );
    },
    async close(goodbye) {
      const client = await ready;
      if (goodbye !== undefined && client.connected) {
        await client
          .publishAsync(goodbye.topic, goodbye.payload, { qos: 1, retain: true })
          .catch(() => undefined);
      }
      await client.endAsync();
    },
  };
}
