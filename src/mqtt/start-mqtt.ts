import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.js';
import type { Actions } from '../domain/actions.js';
import type { CycleEventSource } from '../domain/cycle-events.js';
import { RefitError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { StatusSource } from '../status/status-snapshot.js';
import { HomeAssistantBridge } from './ha-bridge.js';
import { availabilityTopic, haTopics, OFFLINE } from './ha-discovery.js';
import { brokerAddress, connectMqtt, type MqttConnection, type MqttSettings } from './mqtt-connection.js';

export type MqttConfig = Pick<
  Config,
  | 'mqttUrl'
  | 'mqttUsername'
  | 'mqttPassword'
  | 'mqttTlsCa'
  | 'mqttTlsSkipVerify'
  | 'mqttTopicPrefix'
  | 'mqttDiscoveryPrefix'
>;

export interface StartMqttDependencies {
  readonly status: StatusSource;
  readonly events: CycleEventSource;
  readonly actions: Actions | undefined;
  readonly version: string;
  readonly logger: Logger;
  /** For tests: another connection than the `mqtt` package's. */
  readonly connect?: (settings: MqttSettings) => MqttConnection;
  readonly readFile?: (path: string) => string;
}

/** The MQTT settings could not be used (the CA file cannot be read). */
export class MqttStartError extends RefitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MQTT_START_FAILED', message, options);
  }
}

/**
 * Starts the Home Assistant bridge when `REFIT_MQTT_URL` is set; `undefined` otherwise. It does
 * not wait for the broker (see connectMqtt); `close()` on the result says goodbye and disconnects.
 */
export function startMqtt(config: MqttConfig, deps: StartMqttDependencies): HomeAssistantBridge | undefined {
  if (config.mqttUrl === undefined) return undefined;
  const topics = haTopics(config.mqttTopicPrefix, config.mqttDiscoveryPrefix);
  let ca: string | undefined;
  if (config.mqttTlsCa !== undefined) {
    try {
      ca = (deps.readFile ?? ((path) => readFileSync(path, 'utf8')))(config.mqttTlsCa);
    } catch (error) {
      throw new MqttStartError(`cannot read REFIT_MQTT_TLS_CA (${config.mqttTlsCa})`, { cause: error });
    }
  }
  const settings: MqttSettings = {
    url: config.mqttUrl,
    will: { topic: availabilityTopic(topics), payload: OFFLINE },
    skipVerify: config.mqttTlsSkipVerify,
    ...(config.mqttUsername === undefined ? {} : { username: config.mqttUsername }),
    ...(config.mqttPassword === undefined ? {} : { password: config.mqttPassword }),
    ...(ca === undefined ? {} : { ca }),
  };
  const logger = deps.logger;
  const connection = (deps.connect ?? ((s) => connectMqtt(s, logger)))(settings);
  const bridge = new HomeAssistantBridge({
    connection,
    status: deps.status,
    events: deps.events,
    actions: deps.actions?.from?.('mqtt') ?? deps.actions,
    topics,
    origin: { version: deps.version },
    logger,
  });
  bridge.start();
  logger.info(
    {
      broker: brokerAddress(config.mqttUrl),
      topicPrefix: topics.topicPrefix,
      discoveryPrefix: topics.discoveryPrefix,
    },
    'publishing containers to Home Assistant over MQTT',
  );
  return bridge;
}
