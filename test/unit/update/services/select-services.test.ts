import { describe, expect, it } from 'vitest';
import { selectServices } from '../../../../src/update/services/select-services.js';
import { pinnedImage } from '../../../../src/update/services/service-subject.js';
import { digestOf } from '../../../support/fakes.js';
import { serviceDocument } from '../../../support/fake-swarm.js';
import { selectionOptions } from '../../../support/selection.js';

const options = selectionOptions({ lifecycleHooks: true });

const pinned = `127.0.0.1:5000/app:1.2@${digestOf('v1')}`;

function names(selection: ReturnType<typeof selectServices>) {
  return {
    candidates: selection.candidates.map((c) => c.subject.name),
    skipped: selection.skipped.map((r) => r.name),
    ignored: selection.ignored.map((i) => i.name),
  };
}

describe('selectServices', () => {
  it('builds each subject once: the tag as written, the pinned digest apart, mode and version', () => {
    const { candidates } = selectServices(
      [
        serviceDocument({ id: 'svc1', name: 'web', image: pinned, replicas: 3, version: 42 }),
        serviceDocument({ id: 'svc2', name: 'agent', image: 'nginx', replicas: 'global' }),
      ],
      options,
    );
    const [web, agent] = candidates.map((c) => c.subject);
    expect(web).toMatchObject({
      id: 'svc1',
      image: '127.0.0.1:5000/app:1.2',
      pinnedDigest: digestOf('v1'),
      version: 42,
      mode: { kind: 'replicated', replicas: 3 },
      reference: { registry: '127.0.0.1:5000', repository: 'app', tag: '1.2', digest: undefined },
    });
    expect(agent).toMatchObject({ image: 'nginx', pinnedDigest: undefined, mode: { kind: 'global' } });
    expect(agent?.reference).toMatchObject({
      registry: 'docker.io',
      repository: 'library/nginx',
      tag: 'latest',
    });
  });

  it('follows the container rules on the service labels: scope, enable, label-enable, monitor-only', () => {
    const services = [
      serviceDocument({ id: 'a', image: pinned, labels: { 'com.centurylinklabs.watchtower.scope': 'prod' } }),
      serviceDocument({ id: 'b', image: pinned, labels: { 'refit.scope': 'dev' } }),
      serviceDocument({ id: 'c', image: pinned, labels: { 'refit.scope': 'prod', 'refit.enable': 'false' } }),
      serviceDocument({
        id: 'd',
        image: pinned,
        labels: { 'refit.scope': 'prod', 'com.centurylinklabs.watchtower.monitor-only': 'true' },
      }),
    ];
    const scoped = selectServices(services, { ...options, scope: 'prod' });
    expect(names(scoped)).toEqual({ candidates: ['a', 'd'], skipped: [], ignored: ['b', 'c'] });
    expect(scoped.candidates.map((c) => c.monitorOnly)).toEqual([false, true]);

    const optIn = selectServices(
      [
        serviceDocument({ id: 'on', image: pinned, labels: { 'refit.enable': 'true' } }),
        ...services.slice(0, 1),
      ],
      { ...options, labelEnable: true },
    );
    expect(names(optIn).candidates).toEqual(['on']);
  });

  it('matches names as written or as anchored patterns, and honours the disable list', () => {
    const services = ['web', 'web-admin', 'db'].map((name) =>
      serviceDocument({ id: `id-${name}`, name, image: pinned }),
    );
    expect(names(selectServices(services, { ...options, containerNames: ['web'] })).candidates).toEqual([
      'web',
    ]);
    expect(names(selectServices(services, { ...options, containerNames: ['web.*'] })).candidates).toEqual([
      'web',
      'web-admin',
    ]);
    expect(names(selectServices(services, { ...options, disableContainers: ['db'] })).candidates).toEqual([
      'web',
      'web-admin',
    ]);
  });

  it('skips a service whose refit label cannot be read, naming it, and reads no container-only label', () => {
    const selection = selectServices(
      [
        serviceDocument({ id: 'bad', image: pinned, labels: { 'refit.monitor-only': 'maybe' } }),
        // Stop signals, strategies and dependencies are Swarm's business for a service.
        serviceDocument({
          id: 'leftovers',
          image: pinned,
          labels: { 'com.centurylinklabs.watchtower.stop-signal': 'NOPE', 'refit.update-strategy': 'odd' },
        }),
      ],
      options,
    );
    expect(names(selection)).toEqual({ candidates: ['leftovers'], skipped: ['bad'], ignored: [] });
    expect(selection.skipped[0]).toMatchObject({
      id: 'bad',
      status: 'skipped',
      image: '127.0.0.1:5000/app:1.2',
      reason: expect.stringMatching(/^service: label refit\.monitor-only="maybe"/) as unknown,
    });
  });

  it('leaves jobs and non-container services out, and skips a digest-only image', () => {
    const job = serviceDocument({ id: 'job', image: pinned, extra: { Mode: { ReplicatedJob: {} } } });
    const plugin = serviceDocument({
      id: 'plugin',
      image: pinned,
      extra: { TaskTemplate: { PluginSpec: {} } },
    });
    const digestOnly = serviceDocument({ id: 'digest', image: `127.0.0.1:5000/app@${digestOf('v1')}` });
    const selection = selectServices([job, plugin, digestOnly], options);
    expect(names(selection)).toEqual({ candidates: [], skipped: ['digest'], ignored: ['job', 'plugin'] });
    expect(selection.skipped[0]?.reason).toMatch(/pinned to a digest with no tag/);
  });

  it('filters by image names and marks a service with a self label', () => {
    const selection = selectServices(
      [
        serviceDocument({
          id: 'refit',
          image: `127.0.0.1:5000/refit:1@${digestOf('r')}`,
          labels: { 'refit.self': 'true' },
        }),
        serviceDocument({ id: 'other', image: pinned }),
      ],
      { ...options, monitorImageNames: ['127.0.0.1:5000/refit:.*'] },
    );
    expect(selection.candidates.map((c) => [c.subject.name, c.self])).toEqual([['refit', true]]);
  });
});

describe('pinnedImage', () => {
  it('pins the name and tag as written, adding the tag a bare name was checked under', () => {
    const subjects = selectServices(
      [
        serviceDocument({ id: 'a', image: `127.0.0.1:5000/app:1.2@${digestOf('v1')}` }),
        serviceDocument({ id: 'b', image: 'nginx' }),
        serviceDocument({ id: 'c', image: 'localhost:5000/team/app' }),
      ],
      options,
    ).candidates.map((c) => c.subject);
    expect(subjects.map((subject) => pinnedImage(subject, digestOf('v2')))).toEqual([
      `127.0.0.1:5000/app:1.2@${digestOf('v2')}`,
      `nginx:latest@${digestOf('v2')}`,
      `localhost:5000/team/app:latest@${digestOf('v2')}`,
    ]);
  });
});
