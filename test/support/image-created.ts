import { z } from 'zod';
import { parseImageReference } from '../../src/domain/image-ref.js';
import {
  RegistrySession,
  getManifest,
  parseImageManifest,
  putManifest,
  repositoryScope,
  uploadBlob,
} from './registry-api.js';
import { TestbedError, type Testbed } from './testbed.js';

/**
 * Re-publishes the image a tag names with its config's `created` set to `created`, under the same
 * tag: how the bed makes an image built long ago but pushed now (the legacy builder of the bed's
 * engine, API 1.41, always writes the build time and ignores SOURCE_DATE_EPOCH). Layers stay;
 * the config, and so the image ID and the manifest digest, are new.
 */
export async function republishCreatedAt(
  bed: Testbed,
  ref: string,
  created: Date,
): Promise<{ readonly digest: string; readonly imageId: string }> {
  const parsed = parseImageReference(ref);
  if (parsed.tag === undefined) throw new TestbedError(`${ref}: name a tag to re-publish`);
  const session = new RegistrySession(bed, parsed.registry, [
    repositoryScope(parsed.repository, ['pull', 'push']),
  ]);
  const fetched = await getManifest(session, parsed);
  const manifest = parseImageManifest(fetched, ref);
  const configRes = await session.expect(200, `/v2/${parsed.repository}/blobs/${manifest.config.digest}`);
  const config: Record<string, unknown> = z.looseObject({}).parse(await configRes.json());
  config['created'] = created.toISOString();
  const blob = await uploadBlob(session, parsed.repository, Buffer.from(JSON.stringify(config)));
  const next = { ...manifest, config: { ...manifest.config, digest: blob.digest, size: blob.size } };
  const digest = await putManifest(
    session,
    parsed.repository,
    parsed.tag,
    fetched.mediaType,
    Buffer.from(JSON.stringify(next, null, 2)),
  );
  return { digest, imageId: blob.digest };
}
