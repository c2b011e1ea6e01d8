import { describe, expect, it } from 'vitest';
import type { ContainerEvent, EventSubscription } from '../../../src/docker/engine-events.js';
import { EngineMonitor } from '../../../src/docker/engine-monitor.js';

function event(id: string, action: string, detail?: string): ContainerEvent {
  return { id, action, detail, attributes: {}, timeNano: 0n };
}

/** An engine whose availability and event stream a test drives. */
function fakeEngine() {
  const state = {
    up: true,
    follows: 0,
    pings: 0,
    onEvent: undefined as ((event: ContainerEvent) => void) | undefined,
    onEnd: undefined as ((error: Error | undefined) => void) | undefined,
  };
  const log: string[] = [];
  const monitor = new EngineMonitor(
    {
      ping: () => {
        state.pings += 1;
        return state.up ? Promise.resolve() : Promise.reject(new Error('ECONNREFUSED'));
      },
      follow: (onEvent, onEnd): Promise<EventSubscription> => {
        if (!state.up) return Promise.reject(new Error('ECONNREFUSED'));
        state.follows += 1;
        state.onEvent = onEvent;
        state.onEnd = onEnd;
        log.push('follow');
        return Promise.resolve({ close: () => undefined });
      },
      sleep: () => new Promise((resolve) => setImmediate(resolve)),
      now: () => Date.now(),
    },
    {
      onDown: () => log.push('down'),
      onBack: () => {
        log.push('recover');
        return Promise.resolve();
      },
    },
  );
  return { state, log, monitor };
}

describe('EngineMonitor', () => {
  it("passes a container's events to whoever watches it, from the moment the watch began", async () => {
    const { state, monitor } = fakeEngine();
    await monitor.start();
    expect(monitor.following).toBe(true);
    const watch = monitor.watch('c1');
    state.onEvent?.(event('c2', 'die'));
    state.onEvent?.(event('c1', 'health_status', 'healthy'));
    await expect(watch.next((e) => e.action === 'health_status', 1000)).resolves.toMatchObject({
      id: 'c1',
      detail: 'healthy',
    });
    await expect(watch.next((e) => e.action === 'die', 20)).resolves.toBeUndefined();
    watch.close();
    monitor.stop();
  });

  it('wakes a waiting verification when the engine goes away, and recovers before following again', async () => {
    const { state, log, monitor } = fakeEngine();
    await monitor.start();
    const watch = monitor.watch('c1');
    const waiting = watch.next((e) => e.action === 'die', 60_000);
    state.up = false;
    state.onEnd?.(new Error('socket hang up'));
    await expect(waiting).resolves.toBeUndefined();
    expect(monitor.following).toBe(false);
    for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(state.pings).toBeGreaterThan(1);
    state.up = true;
    await expect(monitor.whenBack(5_000)).resolves.toBe(true);
    expect(log).toEqual(['follow', 'down', 'recover', 'follow']);
    monitor.stop();
  });

  it('starts without the stream when the engine cannot be followed, and follows once it can', async () => {
    const { state, monitor } = fakeEngine();
    state.up = false;
    const started = Date.now();
    await monitor.start();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(monitor.following).toBe(false);
    state.up = true;
    await expect(monitor.whenBack(5_000)).resolves.toBe(true);
    expect(state.follows).toBe(1);
    monitor.stop();
  });
});
