/**
 * A child process for the MQTT last-will test: refit's Home Assistant bridge with one container,
 * connected to the broker at argv[2] under the topic prefix argv[3] and discovery prefix argv[4],
 * running until it is killed.
 */
import { pino } from 'pino';
import { buildCycleReport } from '../../src/domain/report.js';
import { startMqtt } from '../../src/mqtt/start-mqtt.js';
import { CycleEventBus } from '../../src/status/event-bus.js';
import { StatusBoard } from '../../src/status/status-board.js';

const [url, topicPrefix, discoveryPrefix, username, password] = process.argv.slice(2);
if (url === undefined || topicPrefix === undefined || discoveryPrefix === undefined) {
  throw new Error('usage: mqtt-bridge-child.ts <url> <topic prefix> <discovery prefix> [user] [password]');
}
const bus = new CycleEventBus();
const board = new StatusBoard();
board.listen(bus);
const now = new Date();
board.recordReport(
  buildCycleReport(now, now, [
    {
      id: 'c'.repeat(64),
      name: 'child',
      image: 'registry.example.com/child:1',
      status: 'fresh',
      reason: 'up to date',
      monitorOnly: false,
    },
  ]),
);
startMqtt(
  {
    mqttUrl: url,
    mqttUsername: username,
    mqttPassword: password,
    mqttTlsCa: undefined,
    mqttTlsSkipVerify: false,
    mqttTopicPrefix: topicPrefix,
    mqttDiscoveryPrefix: discoveryPrefix,
  },
  { status: board, events: bus, actions: undefined, version: 'test', logger: pino({ level: 'silent' }) },
);
setInterval(() => undefined, 1 << 30);
