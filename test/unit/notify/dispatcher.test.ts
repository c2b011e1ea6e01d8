import { describe, expect, it } from 'vitest';
import { dispatch, dispatchBoundMs, type DispatchOptions } from '../../../src/notify/dispatcher.js';
import type { NotificationMessage } from '../../../src/notify/notifier.js';
import { NotifyError } from '../../../src/notify/notify-error.js';
import { capturingLogger, FakeNotifier, ManualClock, serverError } from '../../support/fake-notifier.js';

const message: NotificationMessage = {
  kind: 'report',
  title: 'refit on nas: 1 updated',
  text: 'Updated:\n- web',
  markdown: '**Updated**\n- `web`',
  severity: 'info',
  hostname: 'nas',
  report: undefined,
};

const TIMEOUT_MS = 10_000;

function setup(overrides: Partial<DispatchOptions> = {}) {
  const clock = new ManualClock();
  const { logger, lines } = capturingLogger();
  const results: { channel: string; ok: boolean; at: number }[] = [];
  const options: DispatchOptions = {
    timeoutMs: TIMEOUT_MS,
    logger,
    sleep: clock.sleep,
    now: clock.now,
    onResult: (channel, ok) => results.push({ channel, ok, at: clock.now() }),
    ...overrides,
  };
  const warnings = () => lines.filter((line) => line.level === 40);
  return { clock, options, results, warnings };
}

describe('dispatch', () => {
  it('delivers to every channel and reports each one', async () => {
    const { clock, options, results, warnings } = setup();
    const slack = new FakeNotifier('slack');
    const smtp = new FakeNotifier('smtp');

    const outcome = await clock.drive(dispatch(message, [slack, smtp], options));

    expect(outcome).toEqual([
      { channel: 'slack', ok: true, attempts: 1 },
      { channel: 'smtp', ok: true, attempts: 1 },
    ]);
    expect(results).toEqual([
      { channel: 'slack', ok: true, at: 0 },
      { channel: 'smtp', ok: true, at: 0 },
    ]);
    expect(slack.sends[0]?.message).toBe(message);
    expect(warnings()).toEqual([]);
  });

  it('retries a retryable failure after the backoff and succeeds', async () => {
    const { clock, options, results } = setup();
    const gotify = new FakeNotifier('gotify', [serverError('gotify'), serverError('gotify'), 'ok']);

    const [outcome] = await clock.drive(dispatch(message, [gotify], options));

    expect(outcome).toEqual({ channel: 'gotify', ok: true, attempts: 3 });
    expect(gotify.sends).toHaveLength(3);
    // 1 s before the 2nd attempt, 2 s before the 3rd.
    expect(results).toEqual([{ channel: 'gotify', ok: true, at: 3000 }]);
  });

  it('gives up after 3 attempts, logs the channel and the reason, and reports the failure', async () => {
    const { clock, options, results, warnings } = setup();
    const teams = new FakeNotifier('teams', [serverError('teams')]);

    const [outcome] = await clock.drive(dispatch(message, [teams], options));

    expect(outcome).toEqual({
      channel: 'teams',
      ok: false,
      attempts: 3,
      error: 'teams: server answered 500',
    });
    expect(teams.sends).toHaveLength(3);
    expect(results).toEqual([{ channel: 'teams', ok: false, at: 3000 }]);
    expect(warnings()).toEqual([
      expect.objectContaining({
        msg: 'notification not delivered',
        channel: 'teams',
        err: 'teams: server answered 500',
        attempts: 3,
      }),
    ]);
  });

  it('does not retry an error the channel says is permanent', async () => {
    const { clock, options, results } = setup();
    const refused = new NotifyError('DELIVERY_FAILED', 'slack: server answered 404', { retryable: false });
    const slack = new FakeNotifier('slack', [refused]);

    const [outcome] = await clock.drive(dispatch(message, [slack], options));

    expect(outcome).toMatchObject({ ok: false, attempts: 1, error: 'slack: server answered 404' });
    expect(results).toEqual([{ channel: 'slack', ok: false, at: 0 }]);
  });

  it('retries unknown errors and survives a channel that throws synchronously', async () => {
    const { clock, options } = setup();
    const odd = new FakeNotifier('odd', [new TypeError('socket hang up'), 'ok']);
    const broken = new FakeNotifier('broken', ['throw-sync']);

    const outcome = await clock.drive(dispatch(message, [odd, broken], options));

    expect(outcome).toEqual([
      { channel: 'odd', ok: true, attempts: 2 },
      { channel: 'broken', ok: false, attempts: 3, error: 'broken exploded' },
    ]);
  });

  it('bounds each attempt by the time limit even when the channel ignores its signal', async () => {
    const { clock, options, results } = setup();
    const stuck = new FakeNotifier('stuck', ['hang']);
    const healthy = new FakeNotifier('healthy');

    const outcome = await clock.drive(dispatch(message, [stuck, healthy], options));

    expect(outcome[0]).toMatchObject({ channel: 'stuck', ok: false, attempts: 3 });
    expect(outcome[0]?.error).toContain('no answer within 10000 ms');
    // Every attempt's signal was aborted when its time was up.
    expect(stuck.sends.map((send) => send.signal.aborted)).toEqual([true, true, true]);
    // The healthy channel did not wait for the stuck one; the stuck one took exactly the bound.
    expect(results).toEqual([
      { channel: 'healthy', ok: true, at: 0 },
      { channel: 'stuck', ok: false, at: 3 * TIMEOUT_MS + 3000 },
    ]);
    expect(clock.now()).toBe(dispatchBoundMs(options));
  });

  it('aborts a well-behaved channel at the time limit and tries again', async () => {
    const { clock, options } = setup({ timeoutMs: 300 });
    const slow = new FakeNotifier('slow', ['hang-until-aborted', 'ok']);

    const [outcome] = await clock.drive(dispatch(message, [slow], options));

    expect(outcome).toEqual({ channel: 'slow', ok: true, attempts: 2 });
    expect(clock.now()).toBe(300 + 1000);
  });

  it('never throws, even when the metrics callback does', async () => {
    const { clock, options } = setup({
      onResult: () => {
        throw new Error('metrics are broken');
      },
    });

    const outcome = await clock.drive(dispatch(message, [new FakeNotifier('slack')], options));

    expect(outcome).toEqual([{ channel: 'slack', ok: true, attempts: 1 }]);
  });

  it('honours other attempt counts and backoffs', async () => {
    const { clock, options } = setup({ attempts: 4, backoffMs: [100, 200], timeoutMs: 50 });
    const stuck = new FakeNotifier('stuck', ['hang']);

    const [outcome] = await clock.drive(dispatch(message, [stuck], options));

    expect(outcome).toMatchObject({ ok: false, attempts: 4 });
    // The last backoff value repeats.
    expect(clock.now()).toBe(4 * 50 + 100 + 200 + 200);
    expect(dispatchBoundMs(options)).toBe(clock.now());
  });
});

describe('dispatchBoundMs', () => {
  it('is 3 × the time limit plus 3 s with the defaults', () => {
    expect(dispatchBoundMs({ timeoutMs: 10_000 })).toBe(33_000);
  });
});
