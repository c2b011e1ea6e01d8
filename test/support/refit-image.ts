import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker } from './docker-cli.js';
import type { BedOption } from './images.js';
import { TESTBED_LABEL, TestbedError, readTestbed, type Testbed } from './testbed.js';

/** The repository root: the build context of the project's Dockerfile. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Cold, the build runs `npm ci` twice against the npm registry. */
const BUILD_TIMEOUT_MS = 600_000;

/**
 * Builds the project's own Dockerfile with the bed's engine and resolves to the image ID. The
 * engine's layer cache makes a rebuild with nothing changed take well under a second. The image
 * also gets the label `refit.testbed=1`, so `testbed.sh down --purge` removes it.
 */
export async function buildRefitImage(tag = 'refit:e2e', opts: BedOption = {}): Promise<string> {
  const bed = opts.bed ?? readTestbed();
  for (const base of await baseImages()) await requireImage(bed, base);
  await docker(['build', '--quiet', '--label', `${TESTBED_LABEL}=1`, '--tag', tag, ROOT], {
    bed,
    timeoutMs: BUILD_TIMEOUT_MS,
  });
  return docker(['image', 'inspect', '--format', '{{.Id}}', tag], { bed });
}

/** The images the Dockerfile's stages start FROM, other than its own stages. */
async function baseImages(): Promise<string[]> {
  const text = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  const stages = new Set<string>();
  const bases = new Set<string>();
  for (const match of text.matchAll(/^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$/gim)) {
    const [, image = '', stage] = match;
    if (!stages.has(image.toLowerCase())) bases.add(image);
    if (stage !== undefined) stages.add(stage.toLowerCase());
  }
  return [...bases];
}

/** Fails with the fix in the message rather than letting `docker build` try Docker Hub. */
async function requireImage(bed: Testbed, image: string): Promise<void> {
  try {
    await docker(['image', 'inspect', '--format', '{{.Id}}', image], { bed });
  } catch (error) {
    throw new TestbedError(
      `the Dockerfile's base image ${image} is not in the bed's engine (${bed.dockerHost}): run \`bash scripts/testbed.sh up\``,
      { cause: error },
    );
  }
}
