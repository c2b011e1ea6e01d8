import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { CycleReport } from '../../src/domain/report.js';
import { runCycle } from '../../src/update/cycle.js';
import { SwapJournal } from '../../src/update/journal/journal.js';
import type { Subject } from '../../src/update/subject.js';
import type { ContainerReport } from '../../src/domain/report.js';
import {
  applyUpdates,
  type UpdaterDependencies,
  type UpdateOptions,
} from '../../src/update/engine/update-engine.js';
import { FakeEngine, type DeployOptions } from './fake-engine.js';
import { digestOf, FakeRegistryClient, imageIdOf } from './fakes.js';
import { selectionOptions } from './selection.js';

export class Crash extends Error {}

export const silentLogger = pino({ level: 'silent' });

export interface HarnessOptions {
  /** The crash point at which the "process" dies: nothing after it reaches the engine or the journal. */
  readonly crashAt?: string;
  readonly options?: Partial<UpdateOptions>;
  readonly stateDir?: string;
}

/**
 * A whole cycle (discover → check → update) over the in-memory engine and registry, with a real
 * journal in a temporary directory. A simulated crash freezes the world as SIGKILL would.
 */
export function updateHarness(harness: HarnessOptions = {}) {
  const engine = new FakeEngine();
  const registry = new FakeRegistryClient();
  const stateDir = harness.stateDir ?? mkdtempSync(join(tmpdir(), 'refit-state-'));
  const journal = new SwapJournal(stateDir);
  // A dead process writes nothing any more.
  const alive =
    <T>(write: (arg: T) => Promise<void>) =>
    (arg: T) =>
      engine.dead ? Promise.reject(new Crash('dead')) : write(arg);
  journal.record = alive(journal.record.bind(journal));
  journal.complete = alive(journal.complete.bind(journal));
  journal.hold = alive(journal.hold.bind(journal));
  journal.release = alive(journal.release.bind(journal));
  let clock = 0;
  let wallClock = Date.parse('2025-03-01T04:00:00Z');
  const now = (): Date => new Date((wallClock += 1000));
  const deps: UpdaterDependencies = {
    runtime: engine,
    images: engine,
    journal,
    logger: silentLogger,
    verify: {
      settleMs: 1000,
      healthTimeoutMs: 5000,
      logExcerpt: { lines: 10, bytes: 2000 },
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
      now: () => clock,
    },
    crashAt: (point) => {
      if (point !== harness.crashAt) return;
      engine.dead = true;
      throw new Crash(point);
    },
    suffix: () => 'x1',
    now,
    credentialsFor: () => Promise.resolve(undefined),
    apiVersion: '1.47',
    handover: {
      stateDir,
      stopTimeoutSeconds: 10,
      settleSeconds: 1,
      healthTimeoutSeconds: 5,
      cleanup: false,
      dockerHost: 'unix:///var/run/docker.sock',
      logLevel: 'info',
    },
    options: {
      cleanup: false,
      removeVolumes: false,
      noPull: false,
      labelTakePrecedence: false,
      noRestart: false,
      reviveStopped: false,
      stopTimeoutSeconds: 10,
      lifecycleHooks: false,
      concurrency: 1,
      pullConcurrency: 2,
      ...harness.options,
    },
  };

  const reference = (repo: string): string => `registry.test/${repo}:latest`;

  return {
    engine,
    registry,
    journal,
    stateDir,
    deps,
    now,
    reference,

    /** A running container on `repo`'s image `seed`, which the registry serves too (fresh). */
    deploy(name: string, repo: string, seed: string, options: Partial<DeployOptions> = {}): string {
      const ref = reference(repo);
      engine.addImage(imageIdOf(seed), ref, digestOf(seed));
      registry.serve(ref, digestOf(seed));
      return engine.deploy(name, { reference: ref, imageId: imageIdOf(seed), ...options });
    },

    /** The registry serves `seed` for `repo` from now on: a pull brings that image. */
    publish(repo: string, seed: string): string {
      const ref = reference(repo);
      registry.serve(ref, digestOf(seed));
      engine.pullable.set(ref, { imageId: imageIdOf(seed), digest: digestOf(seed) });
      return digestOf(seed);
    },

    /** One cycle; `update` replaces the plain update engine (e.g. wrapped with a memory). */
    cycle(
      update: (checked: readonly Subject[]) => Promise<ContainerReport[]> = (checked) =>
        applyUpdates(checked, deps),
    ): Promise<CycleReport> {
      return runCycle({
        docker: engine,
        registry,
        logger: silentLogger,
        now,
        registryConcurrency: 4,
        selection: selectionOptions({
          noPull: deps.options.noPull,
          labelTakePrecedence: deps.options.labelTakePrecedence,
          lifecycleHooks: deps.options.lifecycleHooks,
        }),
        update,
      });
    },
  };
}

export type UpdateHarness = ReturnType<typeof updateHarness>;
