/**
 * What `testbed.sh up` seeds: the base image, built FROM scratch with this machine's busybox, and
 * the references pushed to the bed's registries. testbed.sh fingerprints this file (with
 * base.Dockerfile and busybox): a change here reseeds, a change to how testbed.json is written
 * (seed-images.ts) does not.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker } from '../../test/support/docker-cli.js';
import {
  pushImage,
  pushImageIndex,
  pushOciManifest,
  pushPlatformImage,
  buildTestImage,
} from '../../test/support/images.js';
import type { Testbed } from '../../test/support/testbed.js';

export const BASE_IMAGE = 'refit-testbed/busybox:latest';
const HERE = dirname(fileURLToPath(import.meta.url));

/** Every reference seed() pushes, so a check can tell a partial seed from a complete one. */
export function seededRefs(bed: Testbed): string[] {
  const { open, basic, token } = bed.registries;
  const multi = `${open.host}/testbed/multi`;
  return [
    `${open.host}/testbed/busybox:latest`,
    `${basic.host}/testbed/busybox:latest`,
    `${token.host}/testbed/busybox:latest`,
    `${token.host}/public/busybox:latest`,
    `${multi}:linux-amd64`,
    `${multi}:linux-arm64`,
    `${multi}:manifest-list`,
    `${multi}:oci-linux-amd64`,
    `${multi}:oci-linux-arm64`,
    bed.images.index,
    bed.images.oci,
  ].sort();
}

export async function seed(bed: Testbed): Promise<Record<string, string>> {
  const context = join(bed.stateDir, 'build', 'base');
  mkdirSync(context, { recursive: true });
  copyFileSync('/bin/busybox', join(context, 'busybox'));
  copyFileSync(join(HERE, 'base.Dockerfile'), join(context, 'Dockerfile'));
  await docker(['build', '--quiet', '--tag', BASE_IMAGE, '.'], { bed, cwd: context });

  const digests: Record<string, string> = {};
  const { open, basic, token } = bed.registries;
  for (const ref of [
    `${open.host}/testbed/busybox:latest`,
    `${basic.host}/testbed/busybox:latest`,
    `${token.host}/testbed/busybox:latest`,
    `${token.host}/public/busybox:latest`,
  ]) {
    await docker(['tag', BASE_IMAGE, ref], { bed });
    digests[ref] = await pushImage(ref, { bed });
  }

  // A two-platform image: a real amd64 build, and its copy whose config claims arm64.
  const multi = `${open.host}/testbed/multi`;
  await buildTestImage(`${multi}:linux-amd64`, { bed, marker: 'testbed multi' });
  digests[`${multi}:linux-amd64`] = await pushImage(`${multi}:linux-amd64`, { bed });
  const arm64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
  const amd64 = { os: 'linux', architecture: 'amd64' };
  digests[`${multi}:linux-arm64`] = await pushPlatformImage(
    `${multi}:linux-amd64`,
    `${multi}:linux-arm64`,
    arm64,
    { bed },
  );
  digests[`${multi}:manifest-list`] = await pushImageIndex(
    `${multi}:manifest-list`,
    [
      { ref: `${multi}:linux-amd64`, platform: amd64 },
      { ref: `${multi}:linux-arm64`, platform: arm64 },
    ],
    { bed, format: 'docker' },
  );
  for (const arch of ['amd64', 'arm64']) {
    digests[`${multi}:oci-linux-${arch}`] = await pushOciManifest(
      `${multi}:linux-${arch}`,
      `${multi}:oci-linux-${arch}`,
      {
        bed,
      },
    );
  }
  digests[bed.images.index] = await pushImageIndex(
    bed.images.index,
    [
      { ref: `${multi}:oci-linux-amd64`, platform: amd64 },
      { ref: `${multi}:oci-linux-arm64`, platform: arm64 },
    ],
    { bed, format: 'oci' },
  );
  digests[bed.images.oci] = await pushOciManifest(`${open.host}/testbed/busybox:latest`, bed.images.oci, {
    bed,
  });
  return digests;
}
