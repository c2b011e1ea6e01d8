import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContainerReport } from '../../../src/domain/report.js';
import {
  createNotificationService,
  type NotificationSettings,
} from '../../../src/notify/notification-service.js';
import { decide, type NotificationLevel, type ToldDigests } from '../../../src/notify/policy.js';
import { createMemoryToldDigestsStore } from '../../../src/notify/told-digests.js';
import {
  capturingLogger,
  containerReport,
  cycleReport,
  FakeNotifier,
  NEW_DIGEST,
  NEWER_DIGEST,
  OLD_DIGEST,
  serverError,
} from '../../support/fake-notifier.js';

const LEVELS: readonly NotificationLevel[] = ['all', 'updates', 'failures'];
const none: ToldDigests = new Map();

const fresh = (name: string) =>
  containerReport(name, 'fresh', { localDigests: [OLD_DIGEST], remoteDigest: OLD_DIGEST });
const waiting = (name: string, remoteDigest = NEW_DIGEST): ContainerReport =>
  containerReport(name, 'stale', { localDigests: [OLD_DIGEST], remoteDigest, monitorOnly: true });
const names = (containers: readonly ContainerReport[]) => containers.map((container) => container.name);

describe('decide', () => {
  it('tells a new image once per engine when two engines run a container of the same name', () => {
    const onNas = { ...waiting('web'), host: 'nas' };
    const onPi = { ...waiting('web'), host: 'pi' };
    const first = decide(cycleReport([onNas]), 'updates', none);
    const second = decide(cycleReport([onNas, onPi]), 'updates', first.told);
    expect(second.send).toBe(true);
    expect(second.report.containers).toEqual([onPi]);
    expect(decide(cycleReport([onNas, onPi]), 'updates', second.told).send).toBe(false);
  });

  it('with level updates, stays silent when nothing happened and speaks when something did', () => {
    expect(decide(cycleReport([fresh('web'), containerReport('db', 'skipped')]), 'updates', none).send).toBe(
      false,
    );
    for (const status of ['updated', 'rolled-back', 'failed'] as const) {
      const decision = decide(cycleReport([fresh('web'), containerReport('db', status)]), 'updates', none);
      expect(decision.send, status).toBe(true);
      expect(decision.report.counts[status]).toBe(1);
    }
    expect(decide(cycleReport([waiting('cache')]), 'updates', none).send).toBe(true);
  });

  it('with level all, sends after every cycle, even a quiet one', () => {
    const decision = decide(cycleReport([fresh('web')]), 'all', none);
    expect(decision.send).toBe(true);
    expect(decision.report.counts.fresh).toBe(1);
  });

  it('with level failures, tells only failures and rollbacks', () => {
    const calm = cycleReport([containerReport('web', 'updated'), waiting('cache'), fresh('db')]);
    expect(decide(calm, 'failures', none).send).toBe(false);

    const rough = cycleReport([
      containerReport('web', 'updated'),
      waiting('cache'),
      containerReport('api', 'rolled-back'),
      containerReport('db', 'failed'),
    ]);
    const decision = decide(rough, 'failures', none);
    expect(decision.send).toBe(true);
    expect(names(decision.report.containers)).toEqual(['api', 'db']);
    expect(decision.report.counts).toMatchObject({ updated: 0, stale: 0, 'rolled-back': 1, failed: 1 });
  });

  it('tells failures and rollbacks at every level, every time', () => {
    for (const level of LEVELS) {
      for (const status of ['failed', 'rolled-back'] as const) {
        const report = cycleReport([containerReport('db', status)]);
        const first = decide(report, level, none);
        const again = decide(report, level, first.told);
        expect([first.send, again.send], `${level} ${status}`).toEqual([true, true]);
        expect(again.report.counts[status]).toBe(1);
      }
    }
  });

  it('tells a new image once, then stays silent, then tells a newer one', () => {
    const first = decide(cycleReport([waiting('cache'), fresh('web')]), 'updates', none);
    expect(first.send).toBe(true);
    expect(names(first.report.containers)).toEqual(['cache', 'web']);
    expect(first.told).toEqual(new Map([['cache', NEW_DIGEST]]));

    const second = decide(cycleReport([waiting('cache'), fresh('web')]), 'updates', first.told);
    expect(second.send).toBe(false);
    expect(second.report.counts.stale).toBe(0);
    expect(second.told).toEqual(first.told);

    const third = decide(cycleReport([waiting('cache', NEWER_DIGEST)]), 'updates', second.told);
    expect(third.send).toBe(true);
    expect(third.report.containers[0]?.remoteDigest).toBe(NEWER_DIGEST);
    expect(third.told).toEqual(new Map([['cache', NEWER_DIGEST]]));
  });

  it('does not repeat an announced image in the every-cycle message either', () => {
    const told = new Map([['cache', NEW_DIGEST]]);
    const decision = decide(cycleReport([waiting('cache'), fresh('web')]), 'all', told);
    expect(decision.send).toBe(true);
    expect(names(decision.report.containers)).toEqual(['web']);
  });

  it('forgets an announced image once the container is fresh or gone, so it can be told again', () => {
    const told = new Map([
      ['cache', NEW_DIGEST],
      ['queue', NEW_DIGEST],
      ['removed', NEW_DIGEST],
    ]);
    const decision = decide(
      cycleReport([fresh('cache'), containerReport('queue', 'updated')]),
      'updates',
      told,
    );
    expect(decision.told).toEqual(new Map());

    const again = decide(cycleReport([waiting('cache')]), 'updates', decision.told);
    expect(again.send).toBe(true);
  });

  it('keeps what it told while a check fails, so a flaky registry does not repeat old news', () => {
    const told = new Map([['cache', NEW_DIGEST]]);
    const flaky = decide(cycleReport([containerReport('cache', 'failed')]), 'updates', told);
    expect(flaky.told).toEqual(told);
    expect(decide(cycleReport([waiting('cache')]), 'updates', flaky.told).send).toBe(false);
  });
});

const settings: NotificationSettings = {
  notificationLevel: 'updates',
  notificationTemplate: undefined,
  notificationReport: false,
  notificationHostname: 'nas',
  notificationTitleTag: undefined,
  noStartupMessage: false,
  notificationTimeoutSeconds: 1,
  schedule: undefined,
  pollIntervalSeconds: 86_400,
  runOnce: false,
  monitorOnly: true,
  stateDir: '/nonexistent',
};

describe('notification service', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'refit-notify-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('remembers announced images in the state directory across restarts', async () => {
    const { logger } = capturingLogger();
    const start = () => {
      const slack = new FakeNotifier('slack');
      return {
        slack,
        service: createNotificationService({ config: settings, notifiers: [slack], logger, stateDir }),
      };
    };
    const report = cycleReport([waiting('cache'), fresh('web')]);

    const first = start();
    await first.service.onCycle(report);
    expect(first.slack.sends.map((send) => send.message.title)).toEqual([
      'refit on nas: 1 new image available',
    ]);
    const file = JSON.parse(await readFile(join(stateDir, 'notified-digests.json'), 'utf8')) as unknown;
    expect(file).toEqual({ version: 1, digests: { cache: NEW_DIGEST } });

    const restarted = start();
    await restarted.service.onCycle(report);
    expect(restarted.slack.sends).toEqual([]);

    await restarted.service.onCycle(cycleReport([waiting('cache', NEWER_DIGEST)]));
    expect(restarted.slack.sends).toHaveLength(1);
  });

  it('starts afresh from an unreadable record, with a warning', async () => {
    await writeFile(join(stateDir, 'notified-digests.json'), '{ not json');
    const { logger, lines } = capturingLogger();
    const slack = new FakeNotifier('slack');
    const service = createNotificationService({ config: settings, notifiers: [slack], logger, stateDir });

    await service.onCycle(cycleReport([waiting('cache')]));

    expect(slack.sends).toHaveLength(1);
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: 'announced images forgotten' }));
  });

  it('announces again news that no channel took', async () => {
    const store = createMemoryToldDigestsStore();
    const { logger } = capturingLogger();
    const down = new FakeNotifier('slack', [serverError('slack')]);
    const quick = (_ms: number) => Promise.resolve();
    const service = createNotificationService({
      config: settings,
      notifiers: [down],
      logger,
      store,
      sleep: quick,
    });

    await service.onCycle(cycleReport([waiting('cache')]));
    expect(down.sends).toHaveLength(3);
    expect(store.current()).toEqual(new Map());

    await service.onCycle(cycleReport([waiting('cache')]));
    expect(down.sends).toHaveLength(6);
  });

  it('sends the start-up message unless it is turned off, and only when there is a channel', async () => {
    const { logger } = capturingLogger();
    const store = createMemoryToldDigestsStore();
    const slack = new FakeNotifier('slack');
    await createNotificationService({ config: settings, notifiers: [slack], logger, store }).onStartup();
    expect(slack.sends.map((send) => send.message.title)).toEqual(['refit on nas: started']);
    expect(slack.sends[0]?.message.text).toContain('Checks: every 24h.');

    const quiet = new FakeNotifier('slack');
    const off = { ...settings, noStartupMessage: true };
    await createNotificationService({ config: off, notifiers: [quiet], logger, store }).onStartup();
    expect(quiet.sends).toEqual([]);

    await expect(
      createNotificationService({ config: settings, notifiers: [], logger, store }).onStartup(),
    ).resolves.toBeUndefined();
  });

  it('renders with the configured template and reports each channel', async () => {
    const { logger } = capturingLogger();
    const slack = new FakeNotifier('slack');
    const results: [string, boolean][] = [];
    const service = createNotificationService({
      config: { ...settings, notificationTemplate: '{{#updated}}{{name}} is new{{/updated}}' },
      notifiers: [slack],
      logger,
      store: createMemoryToldDigestsStore(),
      onResult: (channel, ok) => results.push([channel, ok]),
    });

    await service.onCycle(cycleReport([containerReport('web', 'updated')]));

    expect(slack.sends[0]?.message.text).toBe('web is new');
    expect(results).toEqual([['slack', true]]);
  });
});
