import type { ContainerReport, CycleReport } from '../../src/domain/report.js';
import { docker } from './docker-cli.js';
import { runRefit, tempStateDir, type RefitRun } from './refit-cli.js';
import type { Testbed } from './testbed.js';

/** Settings that keep update tests quick: a short settle time and health timeout. */
export function updateEnv(bed: Testbed, stateDir = tempStateDir()): Record<string, string> {
  return {
    DOCKER_HOST: bed.dockerHost,
    DOCKER_CONFIG: bed.dockerConfigDir,
    REFIT_STATE_DIR: stateDir,
    REFIT_SETTLE_TIME: '1s',
    REFIT_HEALTH_TIMEOUT: '20s',
    REFIT_LOG_FORMAT: 'json',
    REFIT_LOG_LEVEL: 'debug',
  };
}

export interface UpdateCycle {
  readonly run: RefitRun;
  readonly report: CycleReport;
  readonly byName: (name: string) => ContainerReport;
}

/** Runs one update cycle over the containers in `scope` and returns the parsed report. */
export function runUpdateCycle(
  bed: Testbed,
  scope: string,
  extraArgs: readonly string[] = [],
  env: Record<string, string> = updateEnv(bed),
): Promise<UpdateCycle> {
  return updateCycle(['--scope', scope, ...extraArgs], env);
}

/**
 * Runs one update cycle over the containers named (refit's positional arguments, so nothing
 * else on the engine is watched, whatever its scope) and returns the parsed report.
 */
export function runNamedUpdateCycle(
  bed: Testbed,
  names: readonly string[],
  extraArgs: readonly string[] = [],
  env: Record<string, string> = updateEnv(bed),
): Promise<UpdateCycle> {
  return updateCycle([...extraArgs, ...names], env);
}

async function updateCycle(args: readonly string[], env: Record<string, string>): Promise<UpdateCycle> {
  const run = await runRefit(['--run-once', '--report', 'json', ...args], env, 120_000);
  let report: CycleReport;
  try {
    report = JSON.parse(run.stdout) as CycleReport;
  } catch {
    throw new Error(`refit printed no report (exit ${String(run.code)}):\n${run.stderr.slice(-4000)}`);
  }
  const byName = (name: string): ContainerReport => {
    const found = report.containers.find((c) => c.name === name);
    if (found === undefined) throw new Error(`no report for ${name}: ${JSON.stringify(report.containers)}`);
    return found;
  };
  return { run, report, byName };
}

export interface InspectedContainer {
  Id: string;
  Name: string;
  Image: string;
  State: { Running: boolean; StartedAt: string; Status: string };
  Config: { Env: string[] | null; Cmd: string[] | null; Labels: Record<string, string> | null };
  HostConfig: Record<string, unknown>;
  NetworkSettings: { Networks: Record<string, unknown> };
  Mounts: { Type: string; Name?: string; Destination: string }[];
}

export async function inspectContainer(name: string): Promise<InspectedContainer> {
  const [first] = JSON.parse(await docker(['container', 'inspect', name])) as InspectedContainer[];
  if (first === undefined) throw new Error(`no container ${name}`);
  return first;
}

/** Names of all containers (any state) whose name starts with `prefix`. */
export async function containerNames(prefix: string): Promise<string[]> {
  const out = await docker(['ps', '-a', '--filter', `name=${prefix}`, '--format', '{{.Names}}']);
  return out
    .split('\n')
    .filter((name) => name.startsWith(prefix))
    .sort();
}
