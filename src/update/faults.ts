/**
 * Test-only crash points. The crash-safety tests start refit with `_REFIT_TEST_CRASH_AT=<point>`
 * and refit kills itself with SIGKILL there, to prove recovery works from every step;
 * `<point>#<n>` kills at the n-th time any swap reaches the point, so that several swaps are in
 * flight at the moment of the crash. The variable has no REFIT_ prefix on purpose: it is not an
 * option and is not documented as one.
 */
export const CRASH_POINT_VARIABLE = '_REFIT_TEST_CRASH_AT';

export type CrashPoint = (point: string) => void;

export const noCrashPoints: CrashPoint = () => undefined;

export function crashPointsFromEnv(env: Readonly<Record<string, string | undefined>>): CrashPoint {
  const target = env[CRASH_POINT_VARIABLE];
  if (target === undefined || target === '') return noCrashPoints;
  const [point, countText] = target.split('#');
  const count = countText === undefined ? 1 : Number(countText);
  let reached = 0;
  return (at) => {
    if (at !== point) return;
    reached += 1;
    if (reached >= count) process.kill(process.pid, 'SIGKILL');
  };
}
