import { randomBytes } from 'node:crypto';
import { docker } from './support/docker-cli.js';
import { SESSION_ENV, TEST_SESSION_LABEL } from './support/session.js';
import { onEngine, readTestbed, type EngineName } from './support/testbed.js';

/**
 * Names this run's session before the test files start (forked workers inherit the variable) and,
 * when they are done, removes the images the session built or pulled on each of the bed's engines.
 * Containers are each file's own business (removeTestContainers in its afterAll).
 */
export default function setup(): () => Promise<void> {
  const session = randomBytes(6).toString('hex');
  process.env[SESSION_ENV] = session;
  return async () => {
    let bed;
    try {
      bed = readTestbed();
    } catch {
      return; // unit tests alone need no bed, and leave nothing on one
    }
    for (const engine of ['first', 'second', 'swarm'] satisfies EngineName[]) {
      const target = onEngine(bed, engine);
      try {
        const ids = [
          ...new Set(
            (
              await docker(['images', '--quiet', '--filter', `label=${TEST_SESSION_LABEL}=${session}`], {
                bed: target,
              })
            )
              .split('\n')
              .filter((id) => id !== ''),
          ),
        ];
        for (let i = 0; i < ids.length; i += 50)
          await docker(['rmi', '--force', ...ids.slice(i, i + 50)], { bed: target }).catch(() => undefined);
      } catch {
        // An engine that is gone has nothing left to clean.
      }
    }
  };
}
