import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { inspectContainer, runUpdateCycle } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const SERVE = [
  'sh',
  '-c',
  "mkdir -p /www && echo pong > /www/ping && trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait",
];

/**
 * Containers that depend on each other come back in a working order: a three-level chain
 * (web → api → db, declared with Watchtower's depends-on label and a link), and a container
 * sharing another's network namespace, which must be able to reach it afterwards.
 */
describe('dependencies on the test bed', () => {
  let bed: Testbed;
  const scope = uniqueName('deps');
  const labels = { 'com.centurylinklabs.watchtower.scope': scope };
  const before = new Map<string, { id: string; startedAt: string }>();
  let result: Awaited<ReturnType<typeof runUpdateCycle>>;

  const ref = (name: string): string => `${bed.registries.open.host}/${scope}/${name}:latest`;
  const nameOf = (short: string): string => `${scope}-${short}`;

  async function remember(short: string): Promise<void> {
    const inspected = await inspectContainer(nameOf(short));
    before.set(short, { id: inspected.Id, startedAt: inspected.State.StartedAt });
  }

  beforeAll(async () => {
    bed = loadTestbed();
    for (const image of ['db', 'api', 'web', 'vpn', 'app']) {
      await buildTestImage(ref(image), {
        marker: `${scope}-${image}-1`,
        ...(image === 'vpn' ? { cmd: SERVE } : {}),
      });
      await pushImage(ref(image));
    }
    await runTestContainer(ref('db'), { name: nameOf('db'), labels });
    await runTestContainer(ref('api'), {
      name: nameOf('api'),
      labels,
      args: ['--link', `${nameOf('db')}:db`],
    });
    await runTestContainer(ref('web'), {
      name: nameOf('web'),
      labels: { ...labels, 'com.centurylinklabs.watchtower.depends-on': nameOf('api') },
    });
    await runTestContainer(ref('vpn'), { name: nameOf('vpn'), labels });
    await runTestContainer(ref('app'), {
      name: nameOf('app'),
      labels,
      args: ['--network', `container:${nameOf('vpn')}`],
    });
    for (const short of ['db', 'api', 'web', 'vpn', 'app']) await remember(short);

    // Only the bottom of the chain and the namespace owner change upstream.
    for (const image of ['db', 'vpn']) {
      await buildTestImage(ref(image), {
        marker: `${scope}-${image}-2`,
        ...(image === 'vpn' ? { cmd: SERVE } : {}),
      });
      await pushImage(ref(image));
      await docker(['image', 'rm', ref(image)]);
    }
    result = await runUpdateCycle(bed, scope);
  }, 300_000);

  afterAll(async () => {
    await removeTestContainers();
  });

  it('updates the stale containers and reports their dependents as fresh but restarted', () => {
    expect(result.byName(nameOf('db')).status).toBe('updated');
    expect(result.byName(nameOf('vpn')).status).toBe('updated');
    for (const short of ['api', 'web', 'app']) {
      expect(result.byName(nameOf(short)).status).toBe('fresh');
      expect(result.byName(nameOf(short)).reason).toMatch(/restarted|recreated/);
    }
  });

  it('starts the chain dependencies first: db, then api, then web, all running', async () => {
    const db = await inspectContainer(nameOf('db'));
    const api = await inspectContainer(nameOf('api'));
    const web = await inspectContainer(nameOf('web'));
    for (const c of [db, api, web]) expect(c.State.Running).toBe(true);
    expect(db.Id).not.toBe(before.get('db')?.id);
    // A link points at the old container itself, so api is recreated; web only depends by label.
    expect(api.Id).not.toBe(before.get('api')?.id);
    expect(web.Id).toBe(before.get('web')?.id);
    expect(web.State.StartedAt > (before.get('web')?.startedAt ?? '')).toBe(true);
    const link = await docker(['exec', nameOf('api'), 'cat', '/etc/hosts']);
    expect(link).toMatch(/\bdb\b/);
    expect(Date.parse(db.State.StartedAt)).toBeLessThanOrEqual(Date.parse(api.State.StartedAt));
    expect(Date.parse(api.State.StartedAt)).toBeLessThanOrEqual(Date.parse(web.State.StartedAt));
  });

  it('keeps the shared network namespace working: the dependent still reaches the new owner on localhost', async () => {
    const vpn = await inspectContainer(nameOf('vpn'));
    const app = await inspectContainer(nameOf('app'));
    expect(app.State.Running).toBe(true);
    expect(app.HostConfig.NetworkMode).toMatch(new RegExp(`^container:(${vpn.Id}|${nameOf('vpn')})$`));
    const answer = await docker(['exec', nameOf('app'), 'wget', '-qO-', 'http://127.0.0.1:8080/ping']);
    expect(answer.trim()).toBe('pong');
  });
});
