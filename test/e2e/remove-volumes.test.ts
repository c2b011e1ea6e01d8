import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { volumeAt, type Json } from '../support/comparable-inspect.js';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { runNamedUpdateCycle, updateEnv, type UpdateCycle } from '../support/refit-update.js';
import { TESTBED_LABEL, loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

/**
 * `--remove-volumes` (WATCHTOWER_REMOVE_VOLUMES) as Watchtower has it: the new container starts
 * with fresh, empty anonymous volumes and the old container's go with it, once the new one is
 * verified; named volumes stay. Without the option the data in anonymous volumes is carried. A
 * swap that is rolled back keeps the old container's volumes, since the old container comes back.
 */

interface Inspect extends Json {
  Id: string;
  State: { Running: boolean };
  HostConfig: Json & { Binds: string[] | null };
}

/** The anonymous volumes each container has: `--volume /anon` and the image's `VOLUME /data`. */
const ANONYMOUS = ['/anon', '/data'];
const SECRET = 'hunter2-but-longer';

describe('--remove-volumes', () => {
  let bed: Testbed;
  const id = uniqueName('rmvol');
  const named = `${id}-named`;
  const ref = (repo: string): string => `${bed.registries.open.host}/${id}/${repo}:latest`;
  const names = { removes: `${id}-removes`, keeps: `${id}-keeps`, broken: `${id}-broken` };
  const before = new Map<string, Inspect>();
  const after = new Map<string, Inspect>();
  /** The old containers' anonymous volumes by container name, in ANONYMOUS order. */
  const oldVolumes = new Map<string, string[]>();
  const imageIds: string[] = [];
  let removing: UpdateCycle;
  let keeping: UpdateCycle;

  const inspect = async (name: string): Promise<Inspect> => {
    const [first] = JSON.parse(await docker(['container', 'inspect', name], { bed })) as Inspect[];
    if (first === undefined) throw new Error(`no container ${name}`);
    return first;
  };
  const got = (map: Map<string, Inspect>, name: string): Inspect => {
    const found = map.get(name);
    if (found === undefined) throw new Error(`${name} was not inspected`);
    return found;
  };
  const volumeExists = (volume: string): Promise<boolean> =>
    docker(['volume', 'inspect', volume], { bed }).then(
      () => true,
      () => false,
    );
  const read = (container: string, file: string): Promise<string> =>
    docker(['exec', container, 'sh', '-c', `cat ${file} 2>/dev/null || echo missing`], { bed });

  beforeAll(async () => {
    bed = loadTestbed();
    await docker(['volume', 'create', '--label', `${TESTBED_LABEL}=1`, named], { bed });
    const v1 = { bed, extraDockerfile: 'VOLUME /data' };
    for (const repo of ['app', 'broken']) {
      imageIds.push(await buildTestImage(ref(repo), v1));
      await pushImage(ref(repo), { bed });
    }
    const run = (name: string, repo: string) =>
      runTestContainer(ref(repo), {
        bed,
        name,
        args: ['--volume', '/anon', '--volume', `${named}:/named`, '--env', `DB_PASSWORD=${SECRET}`],
      });
    await run(names.removes, 'app');
    await run(names.keeps, 'app');
    await run(names.broken, 'broken');
    for (const name of Object.values(names)) {
      await docker(['exec', name, 'sh', '-c', `for d in /anon /data; do echo ${name} > $d/kept.txt; done`], {
        bed,
      });
      const inspected = await inspect(name);
      before.set(name, inspected);
      oldVolumes.set(
        name,
        ANONYMOUS.map((destination) => volumeAt(inspected, destination) ?? ''),
      );
    }
    await docker(['exec', names.removes, 'sh', '-c', 'echo shared > /named/kept.txt'], { bed });

    // v2 is pushed from elsewhere; the broken one prints its password and exits at once.
    imageIds.push(await buildTestImage(ref('app'), v1));
    imageIds.push(
      await buildTestImage(ref('broken'), {
        ...v1,
        cmd: ['sh', '-c', 'echo "connecting with password $DB_PASSWORD"; echo "giving up"; exit 3'],
      }),
    );
    for (const repo of ['app', 'broken']) await pushImage(ref(repo), { bed });
    await docker(['image', 'rm', ref('app'), ref('broken')], { bed });

    // Each refit gets a state directory of its own (updateEnv makes a fresh one).
    removing = await runNamedUpdateCycle(
      bed,
      [names.removes, names.broken],
      ['--remove-volumes'],
      updateEnv(bed),
    );
    keeping = await runNamedUpdateCycle(bed, [names.keeps], [], updateEnv(bed));
    for (const name of Object.values(names)) after.set(name, await inspect(name));
  }, 300_000);

  afterAll(async () => {
    await removeTestContainers({ bed });
    const quiet = (args: string[]) => docker(args, { bed }).catch(() => '');
    const leftovers = await quiet(['ps', '-aq', '--filter', `name=${id}`]);
    if (leftovers !== '') await quiet(['rm', '--force', '--volumes', ...leftovers.split('\n')]);
    // Carried by name, the kept container's anonymous volumes no longer go with `rm --volumes`.
    const volumes = [...oldVolumes.values()].flat().filter((volume) => volume !== '');
    await quiet(['volume', 'rm', '--force', named, ...volumes]);
    await quiet(['image', 'rm', '--force', ref('app'), ref('broken'), ...imageIds]);
  }, 120_000);

  describe('with the option', () => {
    it('updates the container', () => {
      const report = removing.byName(names.removes);
      expect(report.status, report.reason).toBe('updated');
      expect(got(after, names.removes).Id).not.toBe(got(before, names.removes).Id);
      expect(got(after, names.removes).State.Running).toBe(true);
    });

    it("removes the old container's anonymous volumes with it", async () => {
      for (const volume of oldVolumes.get(names.removes) ?? []) {
        expect(volume).not.toBe('');
        expect(await volumeExists(volume), volume).toBe(false);
      }
    });

    it('gives the new container fresh, empty anonymous volumes where the old had its own', async () => {
      const now = got(after, names.removes);
      for (const [index, destination] of ANONYMOUS.entries()) {
        const volume = volumeAt(now, destination);
        expect(volume, destination).toBeDefined();
        expect(volume).not.toBe(oldVolumes.get(names.removes)?.[index]);
        expect(await read(names.removes, `${destination}/kept.txt`)).toBe('missing');
      }
      // Still created as the user ran it: `-v /anon` without a name, the named volume by name.
      expect(now.HostConfig.Binds?.slice().sort()).toEqual(
        got(before, names.removes).HostConfig.Binds?.slice().sort(),
      );
    });

    it('keeps named volumes and their data', async () => {
      expect(volumeAt(got(after, names.removes), '/named')).toBe(named);
      expect(await volumeExists(named)).toBe(true);
      expect(await read(names.removes, '/named/kept.txt')).toBe('shared');
    });

    it('keeps the old container and its volumes, data included, when the swap is rolled back', async () => {
      const report = removing.byName(names.broken);
      expect(report.status, report.reason).toBe('rolled-back');
      expect(got(after, names.broken).Id).toBe(got(before, names.broken).Id);
      expect(got(after, names.broken).State.Running).toBe(true);
      for (const [index, destination] of ANONYMOUS.entries()) {
        const volume = oldVolumes.get(names.broken)?.[index] ?? '';
        expect(await volumeExists(volume), volume).toBe(true);
        expect(volumeAt(got(after, names.broken), destination)).toBe(volume);
        expect(await read(names.broken, `${destination}/kept.txt`)).toBe(names.broken);
      }
    });

    it('quotes the failed container’s last log lines in the rollback reason, its password redacted', () => {
      const { reason } = removing.byName(names.broken);
      expect(reason).toContain('exited with code 3');
      expect(reason).toContain('connecting with password [redacted]');
      expect(reason).toContain('giving up');
      expect(reason).not.toContain(SECRET);
      expect(removing.run.stderr).not.toContain(SECRET);
    });
  });

  describe('without the option', () => {
    it('carries the anonymous volumes, and their data, to the new container', async () => {
      const report = keeping.byName(names.keeps);
      expect(report.status, report.reason).toBe('updated');
      const now = got(after, names.keeps);
      expect(now.Id).not.toBe(got(before, names.keeps).Id);
      for (const [index, destination] of ANONYMOUS.entries()) {
        expect(volumeAt(now, destination)).toBe(oldVolumes.get(names.keeps)?.[index]);
        expect(await read(names.keeps, `${destination}/kept.txt`)).toBe(names.keeps);
      }
    });
  });
});
