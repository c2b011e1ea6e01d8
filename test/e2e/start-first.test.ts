import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { recordContainerEvents, type EngineEvent } from '../support/engine-events.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { inspectContainer, runUpdateCycle } from '../support/refit-update.js';
import { TESTBED_LABEL, loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const SERVE = ['sh', '-c', "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"];
const HEALTHCHECK = '--interval=1s --timeout=1s --retries=3 CMD wget -qO- http://127.0.0.1:8080/ || exit 1';
const ALIAS = 'web';
/** The client gives up on its own after this long, so a failed test never leaves it looping. */
const CLIENT_MAX_SECONDS = 240;

/**
 * Asks the alias every ~50 ms until /stop exists, printing `ok <answer>` or `fail (<exit
 * code>) <error>` per request: what a client of a service behind a network alias sees of an
 * update. (`timeout` rather than wget's own -T, which crashes this busybox build; 143 = timed out.)
 */
const CLIENT_LOOP = [
  'sh',
  '-c',
  `end=$(( $(date +%s) + ${String(CLIENT_MAX_SECONDS)} ))
while [ ! -e /stop ] && [ "$(date +%s)" -lt "$end" ]; do
  if out=$(timeout 2 wget -q -O- http://${ALIAS}:8080/ 2>/wget.err); then echo "ok $out"; else echo "fail ($?) $(tail -n 1 /wget.err)"; fi
  sleep 0.05
done
echo finished`,
];

function firstEvent(events: readonly EngineEvent[], id: string, action: string): number {
  const found = events.find((event) => event.id === id && event.Action === action);
  if (found === undefined) {
    const seen = events.map((e) => `${e.id.slice(0, 12)} ${e.Action}`).join(', ');
    throw new Error(`no "${action}" event for ${id.slice(0, 12)} (saw: ${seen})`);
  }
  return found.timeNano;
}

async function waitHealthy(name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await docker(['inspect', '--format', '{{.State.Health.Status}}', name]);
    if (status === 'healthy') return;
    if (Date.now() > deadline) throw new Error(`${name} is still ${status} after ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * `refit.update-strategy=start-first`: the new container starts and turns healthy beside the old
 * one before the old one stops, so a client asking the service's network alias never meets a
 * gap. A container with a host port cannot have a twin (the port is taken), so it is recreated.
 */
describe('start-first updates on the test bed', () => {
  let bed: Testbed;
  const scope = uniqueName('sf');
  const network = `${scope}-net`;
  const web = `${scope}-web`;
  const ported = `${scope}-ported`;
  const client = `${scope}-client`;
  const labels = {
    'com.centurylinklabs.watchtower.scope': scope,
    'refit.update-strategy': 'start-first',
  };
  const oldIds = new Map<string, string>();
  let result: Awaited<ReturnType<typeof runUpdateCycle>>;
  let events: EngineEvent[];
  let answers: string[];

  const ref = (): string => `${bed.registries.open.host}/${scope}/web:latest`;

  async function buildVersion(version: string): Promise<void> {
    await buildTestImage(ref(), {
      marker: `${scope}-${version}`,
      cmd: SERVE,
      healthcheck: HEALTHCHECK,
      extraDockerfile: `RUN mkdir -p /www && echo ${version} > /www/index.html`,
    });
  }

  beforeAll(async () => {
    bed = loadTestbed();
    await docker(['network', 'create', '--label', `${TESTBED_LABEL}=1`, network]);
    await buildVersion('v1');
    await pushImage(ref());
    oldIds.set(
      web,
      await runTestContainer(ref(), {
        name: web,
        labels,
        args: ['--network', network, '--network-alias', ALIAS],
      }),
    );
    oldIds.set(
      ported,
      await runTestContainer(ref(), { name: ported, labels, args: ['--publish', '127.0.0.1::8080'] }),
    );
    await waitHealthy(web);
    await waitHealthy(ported);

    await buildVersion('v2');
    await pushImage(ref());
    await docker(['image', 'rm', ref()]);

    // The client belongs to no scope, so refit leaves it alone.
    await runTestContainer(bed.images.base, { name: client, args: ['--network', network], cmd: CLIENT_LOOP });
    // Recorded live: the engine keeps only its last 256 events for later queries, and the
    // healthchecks of these containers and of other tests' would push the swap's out of them.
    const recording = await recordContainerEvents(bed, [
      `label=com.centurylinklabs.watchtower.scope=${scope}`,
    ]);
    // Let the client see the old version for a while before the update.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    result = await runUpdateCycle(bed, scope);
    // Longer than the client's 2 s request timeout, so answers after the switch are seen too.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await docker(['exec', client, 'touch', '/stop']);
    await docker(['wait', client]);
    answers = (await docker(['logs', client])).split('\n').filter((line) => line !== 'finished');

    events = await recording.stop();
  }, 300_000);

  afterAll(async () => {
    await removeTestContainers();
    await docker(['network', 'rm', network]).catch(() => undefined);
  });

  it('updates both containers', () => {
    expect(result.byName(web).status, result.run.stderr.slice(-3000)).toBe('updated');
    expect(result.byName(ported).status, result.run.stderr.slice(-3000)).toBe('updated');
    expect(result.run.code).toBe(0);
  });

  it('runs the new container beside the old one: it is started and healthy before the old one stops', async () => {
    const oldId = oldIds.get(web) ?? '';
    const newId = result.byName(web).newId ?? '';
    const oldStops = firstEvent(events, oldId, 'kill');
    expect(firstEvent(events, newId, 'start')).toBeLessThan(oldStops);
    expect(firstEvent(events, newId, 'health_status: healthy')).toBeLessThan(oldStops);
    const after = await inspectContainer(web);
    expect(after.Id).toBe(newId);
    expect(after.State.Running).toBe(true);
  });

  it('keeps answering through the alias while it switches from v1 to v2', () => {
    // The new container joins the alias only once healthy and the old one leaves it before it
    // stops, so at most a request in flight at that moment is cut (a reverse proxy that retries
    // hides even that); a plain stop would leave the dead container in DNS answers for a while.
    const failed = answers.filter((line) => !line.startsWith('ok '));
    expect(failed.length, answers.join('\n')).toBeLessThanOrEqual(1);
    expect(answers.length).toBeGreaterThan(20);
    expect(answers[0]).toBe('ok v1');
    expect(answers.at(-1)).toBe('ok v2');
  });

  it('falls back to recreate, with a warning, for a container with a host port', () => {
    const warning = result.run.stderr
      .split('\n')
      .filter((line) => line.includes('start-first needs a container without host ports'));
    expect(warning).toHaveLength(1);
    expect(warning[0]).toContain(ported);
    const oldId = oldIds.get(ported) ?? '';
    const newId = result.byName(ported).newId ?? '';
    // Recreate: the old container is gone before the new one starts.
    expect(firstEvent(events, oldId, 'die')).toBeLessThan(firstEvent(events, newId, 'start'));
  });

  it('leaves no temporary or set-aside containers behind', async () => {
    const names = (await docker(['ps', '-a', '--filter', `name=${scope}`, '--format', '{{.Names}}']))
      .split('\n')
      .sort();
    expect(names).toEqual([client, ported, web]);
  });
});
