import type { Actions } from '../domain/actions.js';
import type { CycleEventSource } from '../domain/cycle-events.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { ContainerRow, StatusSource } from '../status/status-snapshot.js';
import {
  availabilityTopic,
  birthTopic,
  configTopic,
  configWildcard,
  discoveryConfig,
  installWildcard,
  objectId,
  objectIdOf,
  OFFLINE,
  ONLINE,
  PAYLOAD_INSTALL,
  stateTopic,
  statePayload,
  type HaTopics,
  type Origin,
} from './ha-discovery.js';
import type { MqttConnection, MqttMessage } from './mqtt-connection.js';

export interface BridgeDependencies {
  readonly connection: MqttConnection;
  /** Read after every event: the same rows the status page shows. */
  readonly status: StatusSource;
  readonly events: CycleEventSource;
  /** `undefined`: install commands are refused (logged), the entities show state only. */
  readonly actions: Actions | undefined;
  readonly topics: HaTopics;
  readonly origin: Origin;
  readonly logger: Logger;
}

/**
 * Publishes every watched container as a Home Assistant update entity and carries out its
 * Install button. Retained discovery configs and states are published on each connection and
 * after each change the event bus reports; only states that changed are sent again. A container
 * a full cycle no longer reports loses its entity (empty retained config), including those a
 * previous run published, which the broker replays when refit subscribes to its own configs.
 */
export class HomeAssistantBridge {
  private readonly published = new Map<string, string>();
  /** Object ids with a discovery config on the broker, from this run or an earlier one. */
  private readonly configured = new Set<string>();
  private pending: NodeJS.Immediate | undefined;
  private unsubscribe: (() => void) | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: BridgeDependencies) {}

  start(): void {
    const { connection, events, topics } = this.deps;
    connection.onConnect(() => {
      this.enqueue(async () => {
        this.published.clear();
        await connection.publish(availabilityTopic(topics), ONLINE, { retain: true });
        await connection.subscribe([installWildcard(topics), birthTopic(topics), configWildcard(topics)]);
        await this.sync();
      });
    });
    connection.onMessage((message) => {
      this.onMessage(message);
    });
    // Deferred to the next turn: the status board (another listener) has then applied the event.
    this.unsubscribe = events.subscribe(() => {
      this.pending ??= setImmediate(() => {
        this.pending = undefined;
        this.enqueue(() => this.sync());
      });
    });
  }

  /** Says goodbye (availability offline, retained) and disconnects. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    if (this.pending !== undefined) clearImmediate(this.pending);
    await this.queue;
    await this.deps.connection.close({ topic: availabilityTopic(this.deps.topics), payload: OFFLINE });
  }

  /** Runs publishing work one batch at a time, so configs and states never interleave. */
  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch((error: unknown) => {
      this.deps.logger.warn({ err: describeError(error) }, 'MQTT publish failed');
    });
  }

  private async sync(): Promise<void> {
    const { connection, topics, origin } = this.deps;
    const snapshot = this.deps.status.snapshot();
    const current = new Set<string>();
    for (const row of snapshot.containers) {
      const id = objectId(row);
      current.add(id);
      await this.publishOnce(configTopic(topics, id), JSON.stringify(discoveryConfig(topics, row, origin)));
      this.configured.add(id);
      await this.publishOnce(stateTopic(topics, id), JSON.stringify(statePayload(row)));
    }
    // Only after a cycle has finished is the list of containers complete.
    if (snapshot.lastCycle === undefined) return;
    for (const id of [...this.configured]) {
      if (current.has(id)) continue;
      await connection.publish(configTopic(topics, id), '', { retain: true });
      await connection.publish(stateTopic(topics, id), '', { retain: true });
      this.configured.delete(id);
      this.published.delete(configTopic(topics, id));
      this.published.delete(stateTopic(topics, id));
    }
  }

  private async publishOnce(topic: string, payload: string): Promise<void> {
    if (this.published.get(topic) === payload) return;
    await this.deps.connection.publish(topic, payload, { retain: true });
    this.published.set(topic, payload);
  }

  private onMessage(message: MqttMessage): void {
    const { topics, logger } = this.deps;
    const configId = objectIdOf(topics, message.topic, 'config');
    if (configId !== undefined) {
      if (message.payload.length > 0) this.configured.add(configId);
      return;
    }
    if (message.topic === birthTopic(topics)) {
      if (message.payload.toString() === ONLINE && !message.retain) {
        logger.info('Home Assistant restarted; publishing the discovery configs again');
        this.enqueue(async () => {
          this.published.clear();
          await this.sync();
        });
      }
      return;
    }
    const installId = objectIdOf(topics, message.topic, 'install');
    // A retained install command is stale (someone published it with retain): never act on it.
    if (installId === undefined || message.retain) return;
    if (message.payload.toString().trim() !== PAYLOAD_INSTALL) {
      logger.warn({ topic: message.topic }, 'ignored an MQTT install command with an unknown payload');
      return;
    }
    const row = this.deps.status.snapshot().containers.find((candidate) => objectId(candidate) === installId);
    if (row === undefined) {
      logger.warn(
        { topic: message.topic },
        'ignored an MQTT install command for a container refit does not watch',
      );
      return;
    }
    void this.install(row);
  }

  private async install(row: ContainerRow): Promise<void> {
    const { actions, logger } = this.deps;
    if (actions === undefined) {
      logger.warn(
        { container: row.name },
        'an MQTT install command arrived, but this refit takes no actions',
      );
      return;
    }
    try {
      const target = { name: row.name, ...(row.defaultHost ? {} : { host: row.host }) };
      const result = await actions.updateNow(target);
      logger.info(
        { container: row.name, accepted: result.ok, message: result.message },
        'update asked for over MQTT',
      );
    } catch (error) {
      logger.error({ container: row.name, err: describeError(error) }, 'update asked for over MQTT failed');
    }
  }
}
