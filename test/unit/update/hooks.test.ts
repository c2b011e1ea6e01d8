import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ContainerRuntime } from '../../../src/docker/container-runtime.js';
import { hookLabelProblems, readHookTimeout, runHook } from '../../../src/update/hooks.js';

const WT = 'com.centurylinklabs.watchtower';
const logger = pino({ level: 'silent' });

describe('readHookTimeout', () => {
  it('is absent without a label (the hook gets Watchtower’s one minute)', () => {
    expect(readHookTimeout({}, 'pre-update')).toEqual({ kind: 'absent' });
  });

  it('reads minutes, fractions too, as milliseconds', () => {
    expect(readHookTimeout({ 'refit.lifecycle.pre-update-timeout': '5' }, 'pre-update')).toMatchObject({
      kind: 'value',
      value: 300_000,
    });
    expect(readHookTimeout({ [`${WT}.lifecycle.post-check-timeout`]: '0.5' }, 'post-check')).toMatchObject({
      kind: 'value',
      value: 30_000,
      label: `${WT}.lifecycle.post-check-timeout`,
    });
  });

  it('takes 0 as no limit (a day) and 1440 minutes as the most', () => {
    expect(readHookTimeout({ 'refit.lifecycle.pre-check-timeout': '0' }, 'pre-check')).toMatchObject({
      value: 86_400_000,
    });
    expect(readHookTimeout({ 'refit.lifecycle.pre-check-timeout': '1440' }, 'pre-check')).toMatchObject({
      value: 86_400_000,
    });
  });

  it.each(['soon', '-1', '5m', '', '1e3'])('refuses %j, naming the label', (raw) => {
    expect(readHookTimeout({ 'refit.lifecycle.post-update-timeout': raw }, 'post-update')).toEqual({
      kind: 'invalid',
      label: 'refit.lifecycle.post-update-timeout',
      problem: `label refit.lifecycle.post-update-timeout="${raw}" is not a number of minutes (0 for no limit)`,
    });
  });

  it('refuses more than 24h', () => {
    expect(readHookTimeout({ [`${WT}.lifecycle.pre-update-timeout`]: '1441' }, 'pre-update')).toMatchObject({
      kind: 'invalid',
      problem: `label ${WT}.lifecycle.pre-update-timeout="1441" is out of range: expected at most 24h`,
    });
  });
});

describe('hookLabelProblems', () => {
  const labels = {
    'refit.lifecycle.pre-check': 'echo hi',
    'refit.lifecycle.pre-check-timeout': 'lots',
    // A timeout without its command is never used, so never judged.
    'refit.lifecycle.post-check-timeout': 'lots',
    'refit.lifecycle.pre-update': 'pg_dump',
    'refit.lifecycle.pre-update-timeout': '-3',
  };

  it('judges the timeouts of the hooks the container has, for the phases asked', () => {
    expect(hookLabelProblems(labels, ['pre-check', 'post-check'])).toEqual([
      'label refit.lifecycle.pre-check-timeout="lots" is not a number of minutes (0 for no limit)',
    ]);
    expect(hookLabelProblems(labels, ['pre-update'])).toHaveLength(1);
    expect(hookLabelProblems({}, ['pre-check', 'pre-update', 'post-update', 'post-check'])).toEqual([]);
  });
});

describe('runHook', () => {
  function runtime(): ContainerRuntime & { timeouts: number[] } {
    const timeouts: number[] = [];
    return {
      timeouts,
      exec: (_id: string, _command: string, timeoutMs: number) => {
        timeouts.push(timeoutMs);
        return Promise.resolve({ exitCode: 0, output: '' });
      },
    } as unknown as ContainerRuntime & { timeouts: number[] };
  }
  const container = (labels: Record<string, string>) => ({ id: 'c1', name: 'app', labels });

  it('runs the hook with the labelled timeout, or one minute', async () => {
    const engine = runtime();
    await runHook(engine, container({ 'refit.lifecycle.pre-update': 'true' }), 'pre-update', logger);
    await runHook(
      engine,
      container({ 'refit.lifecycle.pre-update': 'true', 'refit.lifecycle.pre-update-timeout': '2' }),
      'pre-update',
      logger,
    );
    expect(engine.timeouts).toEqual([60_000, 120_000]);
  });

  it('never runs a hook under a guessed limit: an unreadable timeout fails it, naming the label', async () => {
    const engine = runtime();
    const result = await runHook(
      engine,
      container({ 'refit.lifecycle.pre-update': 'true', 'refit.lifecycle.pre-update-timeout': 'x' }),
      'pre-update',
      logger,
    );
    expect(result).toEqual({
      kind: 'failed',
      reason:
        'pre-update hook not run: label refit.lifecycle.pre-update-timeout="x" is not a number of minutes (0 for no limit)',
    });
    expect(engine.timeouts).toEqual([]);
  });
});
