import { describe, expect, it } from 'vitest';
import type { ContainerSnapshot } from '../../../src/domain/container.js';
import { mayBeWatched, selectContainers, type SelectionOptions } from '../../../src/update/detect/select.js';
import { selectionOptions } from '../../support/selection.js';

const defaults = selectionOptions();

function container(name: string, overrides: Partial<ContainerSnapshot> = {}): ContainerSnapshot {
  return {
    id: `${name}-${'0'.repeat(40)}`,
    name,
    imageReference: 'nginx',
    imageId: 'sha256:x',
    state: 'running',
    labels: {},
    networkMode: 'bridge',
    links: [],
    ...overrides,
  };
}

function selectedNames(containers: ContainerSnapshot[], options: Partial<SelectionOptions> = {}): string[] {
  return selectContainers(containers, { ...defaults, ...options }).candidates.map((c) => c.container.name);
}

describe('selectContainers', () => {
  it('watches running containers only, by default', () => {
    const all = [
      container('up'),
      container('stopped', { state: 'exited' }),
      container('new', { state: 'created' }),
      container('looping', { state: 'restarting' }),
      container('paused', { state: 'paused' }),
    ];
    expect(selectedNames(all)).toEqual(['up']);
    expect(selectedNames(all, { includeStopped: true })).toEqual(['up', 'stopped', 'new']);
    expect(selectedNames(all, { includeRestarting: true })).toEqual(['up', 'looping']);
  });

  it('limits to the positional names, with or without a leading slash', () => {
    const all = [container('web'), container('db'), container('cache')];
    expect(selectedNames(all, { containerNames: ['web', '/cache'] })).toEqual(['web', 'cache']);
  });

  it('excludes the disable list', () => {
    expect(selectedNames([container('web'), container('db')], { disableContainers: ['db'] })).toEqual([
      'web',
    ]);
  });

  it('is opt-out by default: an enable label set to false excludes, for refit and Watchtower labels', () => {
    const all = [
      container('plain'),
      container('wt-off', { labels: { 'com.centurylinklabs.watchtower.enable': 'false' } }),
      container('refit-off', { labels: { 'refit.enable': 'false' } }),
      container('wt-on', { labels: { 'com.centurylinklabs.watchtower.enable': 'true' } }),
    ];
    expect(selectedNames(all)).toEqual(['plain', 'wt-on']);
  });

  it('is opt-in with label-enable: only containers labelled true are watched', () => {
    const all = [
      container('plain'),
      container('wt-on', { labels: { 'com.centurylinklabs.watchtower.enable': 'true' } }),
      container('refit-on', { labels: { 'refit.enable': 'TRUE' } }),
      container('off', { labels: { 'refit.enable': 'false' } }),
    ];
    expect(selectedNames(all, { labelEnable: true })).toEqual(['wt-on', 'refit-on']);
  });

  it("lets refit's label win over Watchtower's", () => {
    const both = container('both', {
      labels: { 'refit.enable': 'false', 'com.centurylinklabs.watchtower.enable': 'true' },
    });
    expect(selectedNames([both])).toEqual([]);
  });

  it('reports an unreadable enable label as skipped, naming the label, instead of guessing', () => {
    const typo = container('typo', { labels: { 'com.centurylinklabs.watchtower.enable': 'flase' } });
    const selection = selectContainers([typo], defaults);
    expect(selection.candidates).toEqual([]);
    expect(selection.rejected[0]?.reason).toMatch(/com\.centurylinklabs\.watchtower\.enable="flase"/);
  });

  it('skips a container with any unreadable label it will use, naming each, before anything is done to it', () => {
    const odd = container('odd', {
      labels: {
        'com.centurylinklabs.watchtower.monitor-only': 'perhaps',
        'refit.stop-signal': 'SIGNOPE',
        'com.centurylinklabs.watchtower.depends-on': 'db cache',
      },
    });
    const selection = selectContainers([odd, container('fine')], defaults);
    expect(selection.candidates.map((c) => c.container.name)).toEqual(['fine']);
    expect(selection.rejected).toHaveLength(1);
    expect(selection.rejected[0]?.reason.split('; ')).toEqual([
      'label com.centurylinklabs.watchtower.monitor-only="perhaps" is not true or false',
      'label refit.stop-signal="SIGNOPE" is not a signal name like SIGTERM or a number',
      'label com.centurylinklabs.watchtower.depends-on="db cache" lists "db cache", which cannot be a container name',
    ]);
  });

  it('judges only the labels this refit will use: hook timeouts with hooks on, swap settings unless monitor-only', () => {
    const hooked = container('hooked', {
      labels: { 'refit.lifecycle.pre-check': 'true', 'refit.lifecycle.pre-check-timeout': 'later' },
    });
    const slow = container('slow', { labels: { 'refit.stop-timeout': '3d' } });
    expect(selectedNames([hooked, slow], { monitorOnly: true })).toEqual(['hooked', 'slow']);
    const withHooks = selectContainers([hooked, slow], { ...defaults, lifecycleHooks: true });
    expect(withHooks.rejected.map(({ container: c, reason }) => [c.name, reason])).toEqual([
      [
        'hooked',
        'label refit.lifecycle.pre-check-timeout="later" is not a number of minutes (0 for no limit)',
      ],
      ['slow', 'label refit.stop-timeout="3d" is not a duration like 30s or 30'],
    ]);
  });

  it('does not judge the labels of a container it does not watch', () => {
    const off = container('off', { labels: { 'refit.enable': 'false', 'refit.stop-signal': 'SIGNOPE' } });
    const selection = selectContainers([off], defaults);
    expect(selection.rejected).toEqual([]);
    expect(selection.ignored.map((entry) => entry.container.name)).toEqual(['off']);
  });

  it('follows scopes: unset watches all, a scope only its own, none only the unscoped', () => {
    const all = [
      container('plain'),
      container('a', { labels: { 'com.centurylinklabs.watchtower.scope': 'alpha' } }),
      container('b', { labels: { 'refit.scope': 'beta' } }),
    ];
    expect(selectedNames(all)).toEqual(['plain', 'a', 'b']);
    expect(selectedNames(all, { scope: 'alpha' })).toEqual(['a']);
    expect(selectedNames(all, { scope: 'none' })).toEqual(['plain']);
  });

  it('marks monitor-only from the global option or the per-container label', () => {
    const all = [
      container('watched', { labels: { 'com.centurylinklabs.watchtower.monitor-only': 'true' } }),
      container('free'),
    ];
    const perContainer = selectContainers(all, defaults).candidates.map((c) => [
      c.container.name,
      c.monitorOnly,
    ]);
    expect(perContainer).toEqual([
      ['watched', true],
      ['free', false],
    ]);
    expect(
      selectContainers(all, { ...defaults, monitorOnly: true }).candidates.every((c) => c.monitorOnly),
    ).toBe(true);
  });

  it('recognises its own container by ID or by self label', () => {
    const self = container('refit');
    const labelled = container('other-refit', { labels: { 'com.centurylinklabs.watchtower': 'true' } });
    const selection = selectContainers([self, labelled, container('app')], {
      ...defaults,
      ownContainerId: self.id,
    });
    expect(selection.candidates.map((c) => [c.container.name, c.self])).toEqual([
      ['refit', true],
      ['other-refit', true],
      ['app', false],
    ]);
  });

  it('limits to the images asked for, with or without a tag, as the update API does', () => {
    const all = [
      container('web', { imageReference: 'nginx:1.27' }),
      container('proxy', { imageReference: 'docker.io/library/nginx:alpine' }),
      container('db', { imageReference: 'postgres:16' }),
      container('app', { imageReference: '127.0.0.1:5000/team/app' }),
    ];
    expect(selectedNames(all, { imageFilter: ['nginx'] })).toEqual(['web', 'proxy']);
    expect(selectedNames(all, { imageFilter: ['nginx:alpine', '127.0.0.1:5000/team/app'] })).toEqual([
      'proxy',
      'app',
    ]);
    expect(selectedNames(all, { imageFilter: [] })).toEqual(['web', 'proxy', 'db', 'app']);
  });
});

describe('mayBeWatched', () => {
  const scoped = (scope: string): Partial<ContainerSnapshot> => ({
    labels: { 'com.centurylinklabs.watchtower.scope': scope },
  });

  it('is false for containers the configuration leaves out whatever their image', () => {
    const options = { ...defaults, scope: 'prod' };
    expect(mayBeWatched(container('other', scoped('dev')), options)).toBe(false);
    expect(mayBeWatched(container('stopped', { state: 'exited' }), defaults)).toBe(false);
    expect(mayBeWatched(container('off', { labels: { 'refit.enable': 'false' } }), defaults)).toBe(false);
  });

  it('is true for a container in scope, even when the image filter would leave it out', () => {
    const options = { ...defaults, scope: 'prod', imageFilter: ['nginx'] };
    const app = container('app', { ...scoped('prod'), imageReference: 'sha256:'.padEnd(71, 'a') });
    expect(mayBeWatched(app, options)).toBe(true);
    expect(selectContainers([app], options).candidates).toEqual([]);
  });

  it('is true for a container reported as skipped (an unreadable label), so the report names its image', () => {
    expect(mayBeWatched(container('odd', { labels: { 'refit.enable': 'maybe' } }), defaults)).toBe(true);
  });
});

describe("the maintained fork's selection filters", () => {
  const all = [
    container('web', { imageReference: 'nginx:1.27', labels: { env: 'prod' } }),
    container('cache', { imageReference: 'redis:7.2', labels: { env: 'dev', team: 'a' } }),
    container('db', { imageReference: 'postgres', labels: { 'managed-by': 'external' } }),
    container('app', { imageReference: '127.0.0.1:5000/team/app:2', labels: {} }),
  ];

  it('matches container names and the disable list as anchored regular expressions', () => {
    expect(selectedNames(all, { containerNames: ['.*b'] })).toEqual(['web', 'db']);
    expect(selectedNames(all, { disableContainers: ['c.*|app'] })).toEqual(['web', 'db']);
    // Anchored: "we" is not "web".
    expect(selectedNames(all, { containerNames: ['we'] })).toEqual([]);
  });

  it('keeps only images matching monitor-image-names, against name:tag with :latest assumed', () => {
    expect(selectedNames(all, { monitorImageNames: ['nginx:.*', 'postgres:latest'] })).toEqual(['web', 'db']);
    expect(selectedNames(all, { monitorImageNames: ['docker\\.io/library/redis:7\\..*'] })).toEqual([
      'cache',
    ]);
    expect(selectedNames(all, { monitorImageNames: ['127\\.0\\.0\\.1:5000/.*'] })).toEqual(['app']);
  });

  it('drops images matching skip-image-names, even when the enable label asks for them', () => {
    const labelled = all.map((c) => ({ ...c, labels: { ...c.labels, 'refit.enable': 'true' } }));
    expect(selectedNames(labelled, { skipImageNames: ['postgres:.*'], labelEnable: true })).toEqual([
      'web',
      'cache',
      'app',
    ]);
  });

  it('enables and disables by label pairs; key= matches any value', () => {
    expect(selectedNames(all, { enableContainersByLabel: [{ key: 'env', value: 'prod' }] })).toEqual(['web']);
    expect(selectedNames(all, { enableContainersByLabel: [{ key: 'env', value: undefined }] })).toEqual([
      'web',
      'cache',
    ]);
    expect(
      selectedNames(all, { disableContainersByLabel: [{ key: 'managed-by', value: 'external' }] }),
    ).toEqual(['web', 'cache', 'app']);
  });

  it("lets a container's monitor-only label win over the global one with label-take-precedence", () => {
    const labelled = [
      container('free', { labels: { 'com.centurylinklabs.watchtower.monitor-only': 'false' } }),
      container('plain'),
    ];
    const monitor = (options: Partial<SelectionOptions>): boolean[] =>
      selectContainers(labelled, { ...defaults, monitorOnly: true, ...options }).candidates.map(
        (c) => c.monitorOnly,
      );
    expect(monitor({})).toEqual([true, true]);
    expect(monitor({ labelTakePrecedence: true })).toEqual([false, true]);
  });

  it('judges image filters only once the image is named (mayBeWatched ignores them)', () => {
    const unnamed = container('moved', { imageReference: 'sha256:abc' });
    expect(mayBeWatched(unnamed, { ...defaults, monitorImageNames: ['nginx:.*'] })).toBe(true);
  });
});
