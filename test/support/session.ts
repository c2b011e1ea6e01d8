/**
 * One `vitest run` is one test session. Every image a test builds carries the session's label, so
 * the run removes them all when it ends (test/global-setup.ts): a test bed that shares its engine
 * with real work must not collect hundreds of test images run after run.
 */
export const TEST_SESSION_LABEL = 'refit.testbed.session';

/** Set by the global setup before any test file starts; empty when a file runs without it. */
export const SESSION_ENV = 'REFIT_TEST_SESSION';

export function testSessionId(env: NodeJS.ProcessEnv = process.env): string {
  return env[SESSION_ENV] ?? '';
}
