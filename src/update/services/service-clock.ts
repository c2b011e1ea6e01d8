import { setTimeout as sleep } from 'node:timers/promises';

/** Time as a service update sees it: injected, so unit tests run a rollout without waiting. */
export interface ServiceClock {
  now(): number;
  /** Rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: ServiceClock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await sleep(ms, undefined, signal === undefined ? {} : { signal });
  },
};
