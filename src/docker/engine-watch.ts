import { setTimeout as sleep } from 'node:timers/promises';
import type { DockerodeClient } from './dockerode-client.js';
import { followContainerEvents } from './engine-events.js';
import { EngineMonitor, type EngineMonitorHooks } from './engine-monitor.js';

/** The engine monitor over the adapter's own connection (see engine-monitor.ts). */
export function watchEngine(docker: DockerodeClient, hooks: EngineMonitorHooks): EngineMonitor {
  return new EngineMonitor(
    {
      ping: () => docker.ping(),
      follow: (onEvent, onEnd) => followContainerEvents(docker.connection, onEvent, onEnd),
      sleep: (ms) => sleep(ms),
      now: () => Date.now(),
    },
    hooks,
  );
}
