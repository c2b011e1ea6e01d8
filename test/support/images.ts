import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseImageReference } from '../../src/domain/image-ref.js';
import { docker } from './docker-cli.js';
import { TEST_SESSION_LABEL, testSessionId } from './session.js';
import {
  MEDIA_TYPES,
  RegistrySession,
  copyBlob,
  getManifest,
  parseImageManifest,
  putManifest,
  repositoryScope,
  uploadBlob,
  type Descriptor,
  type FetchedManifest,
} from './registry-api.js';
import { TESTBED_LABEL, TestbedError, readTestbed, registryNameOf, type Testbed } from './testbed.js';
import { uniqueName } from './unique-name.js';

export interface BedOption {
  /** The bed to use; read from testbed.json when omitted. */
  readonly bed?: Testbed;
}

export interface TestImageOptions extends BedOption {
  /** Written to /refit-testbed-marker; a random one by default, so every build has its own digest. */
  readonly marker?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly cmd?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  /** The arguments of a HEALTHCHECK instruction, e.g. `--interval=1s CMD test -f /tmp/ok` or `NONE`. */
  readonly healthcheck?: string;
  /** Appended verbatim to the Dockerfile. */
  readonly extraDockerfile?: string;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface IndexEntry {
  /** An image manifest (not an index) in any of the bed's registries. */
  readonly ref: string;
  readonly platform: Platform;
}

/** Where buildTestImage writes the marker inside the image. */
export const MARKER_PATH = '/refit-testbed-marker';

/**
 * Builds `tag` FROM the bed's busybox base image and resolves to the image ID. The image always
 * carries label `refit.testbed=1`; the base image's default command sleeps and exits on SIGTERM.
 */
export async function buildTestImage(tag: string, opts: TestImageOptions = {}): Promise<string> {
  const bed = opts.bed ?? readTestbed();
  const dir = await mkdtemp(join(tmpdir(), 'refit-testbed-build-'));
  try {
    await writeFile(join(dir, 'marker'), `${opts.marker ?? uniqueName('marker')}\n`);
    await writeFile(join(dir, 'Dockerfile'), testDockerfile(bed.images.base, opts));
    const build = (): Promise<string> => docker(['build', '--quiet', '--tag', tag, '.'], { bed, cwd: dir });
    // The legacy builder can lose a cached layer another test file removes at that moment;
    // the engine needs a moment to settle before the same build finds its layers again.
    for (let attempt = 1; ; attempt += 1) {
      const failure = await build().then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
      if (failure === undefined) break;
      if (attempt === 3 || !failure.message.includes('unable to find image')) throw failure;
      await sleep(500 * attempt);
    }
    return await docker(['image', 'inspect', '--format', '{{.Id}}', tag], { bed });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function testDockerfile(base: string, opts: TestImageOptions): string {
  const lines = [`FROM ${base}`, `COPY marker ${MARKER_PATH}`];
  const session = testSessionId();
  const labels = {
    ...opts.labels,
    [TESTBED_LABEL]: '1',
    ...(session === '' ? {} : { [TEST_SESSION_LABEL]: session }),
  };
  lines.push(
    `LABEL ${Object.entries(labels)
      .map(([k, v]) => `${quote(k)}=${quote(v)}`)
      .join(' ')}`,
  );
  for (const [name, value] of Object.entries(opts.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new TestbedError(`"${name}" is not an environment variable name`);
    lines.push(`ENV ${name}=${quote(value)}`);
  }
  if (opts.entrypoint !== undefined) lines.push(`ENTRYPOINT ${JSON.stringify(opts.entrypoint)}`);
  if (opts.cmd !== undefined) lines.push(`CMD ${JSON.stringify(opts.cmd)}`);
  if (opts.healthcheck !== undefined) lines.push(`HEALTHCHECK ${opts.healthcheck}`);
  if (opts.extraDockerfile !== undefined) lines.push(opts.extraDockerfile);
  return `${lines.join('\n')}\n`;
}

/** A Dockerfile double-quoted word: no variable expansion, no line breaks. */
function quote(value: string): string {
  if (/[\r\n]/.test(value))
    throw new TestbedError(`Dockerfile values cannot hold line breaks: ${JSON.stringify(value)}`);
  return `"${value.replace(/[\\"$]/g, '\\$&')}"`;
}

const dockerConfigSchema = z.looseObject({
  auths: z.record(z.string(), z.looseObject({ auth: z.string().optional() })).optional(),
});

/** Logs the bed's DOCKER_CONFIG in to `host` when it is an auth registry of the bed and not yet logged in. */
export async function ensureLogin(host: string, opts: BedOption = {}): Promise<void> {
  const bed = opts.bed ?? readTestbed();
  const name = registryNameOf(bed, host);
  if (name !== 'basic' && name !== 'token') return;
  let auths: Record<string, { auth?: string | undefined }> = {};
  try {
    const text = await readFile(join(bed.dockerConfigDir, 'config.json'), 'utf8');
    auths = dockerConfigSchema.parse(JSON.parse(text)).auths ?? {};
  } catch {
    // A missing or unreadable config just means: log in.
  }
  if (auths[host]?.auth !== undefined) return;
  const { username, password } = bed.registries[name];
  await docker(['login', host, '--username', username, '--password-stdin'], { bed, input: password });
}

/** Pushes a local image (logging in first for the basic and token registries); resolves to the manifest digest. */
export async function pushImage(tag: string, opts: BedOption = {}): Promise<string> {
  const bed = opts.bed ?? readTestbed();
  await ensureLogin(parseImageReference(tag).registry, { bed });
  const out = await docker(['push', tag], { bed, timeoutMs: 300_000 });
  const digests = [...out.matchAll(/digest: (sha256:[0-9a-f]{64})/g)];
  const digest = digests.at(-1)?.[1];
  if (digest === undefined) throw new TestbedError(`docker push ${tag} printed no digest`);
  return digest;
}

/**
 * Source and target sessions for copying between two references: the target's token covers
 * pushing there and pulling the source (for cross-repository mounts).
 */
function sessionsFor(bed: Testbed, sourceRef: string, targetRef: string) {
  const source = parseImageReference(sourceRef);
  const target = parseImageReference(targetRef);
  const targetScopes = [repositoryScope(target.repository, ['pull', 'push'])];
  if (source.registry === target.registry) targetScopes.push(repositoryScope(source.repository, ['pull']));
  return {
    source,
    target,
    from: new RegistrySession(bed, source.registry, [repositoryScope(source.repository, ['pull'])]),
    to: new RegistrySession(bed, target.registry, targetScopes),
  };
}

function targetTag(targetRef: string): string {
  const target = parseImageReference(targetRef);
  if (target.digest !== undefined) throw new TestbedError(`${targetRef}: push targets are tags, not digests`);
  return target.tag ?? 'latest';
}

/**
 * Pushes the image `sourceRef` points at (a Docker or OCI image manifest) as an OCI image
 * manifest under `targetRef`: OCI config and layer media types, same blobs. Resolves to its digest.
 */
export async function pushOciManifest(
  sourceRef: string,
  targetRef: string,
  opts: BedOption = {},
): Promise<string> {
  const bed = opts.bed ?? readTestbed();
  const { source, target, from, to } = sessionsFor(bed, sourceRef, targetRef);
  const manifest = parseImageManifest(await getManifest(from, source), sourceRef);
  for (const blob of [manifest.config, ...manifest.layers]) {
    await copyBlob(from, source.repository, to, target.repository, blob.digest);
  }
  const oci = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: manifest.config.digest, size: manifest.config.size },
    layers: manifest.layers.map((layer) => ({ ...layer, mediaType: ociLayerType(layer.mediaType) })),
  };
  const bytes = Buffer.from(JSON.stringify(oci, null, 2));
  return putManifest(to, target.repository, targetTag(targetRef), MEDIA_TYPES.ociManifest, bytes);
}

function ociLayerType(mediaType: string): string {
  if (mediaType === MEDIA_TYPES.dockerLayer) return MEDIA_TYPES.ociLayer;
  if (mediaType === MEDIA_TYPES.dockerForeignLayer) return MEDIA_TYPES.ociNondistributableLayer;
  return mediaType;
}

/**
 * Copies the image `sourceRef` to `targetRef` with its config claiming another platform (the
 * layers stay what they are): how the bed makes an arm64 entry on an amd64 machine.
 */
export async function pushPlatformImage(
  sourceRef: string,
  targetRef: string,
  platform: Platform,
  opts: BedOption = {},
): Promise<string> {
  const bed = opts.bed ?? readTestbed();
  const { source, target, from, to } = sessionsFor(bed, sourceRef, targetRef);
  const fetched = await getManifest(from, source);
  const manifest = parseImageManifest(fetched, sourceRef);
  for (const layer of manifest.layers)
    await copyBlob(from, source.repository, to, target.repository, layer.digest);
  const configRes = await from.expect(200, `/v2/${source.repository}/blobs/${manifest.config.digest}`);
  const config: Record<string, unknown> = z.looseObject({}).parse(await configRes.json());
  config['os'] = platform.os;
  config['architecture'] = platform.architecture;
  if (platform.variant === undefined) delete config['variant'];
  else config['variant'] = platform.variant;
  const configBlob = await uploadBlob(to, target.repository, Buffer.from(JSON.stringify(config)));
  const next = {
    ...manifest,
    config: { ...manifest.config, digest: configBlob.digest, size: configBlob.size },
  };
  return putManifest(
    to,
    target.repository,
    targetTag(targetRef),
    fetched.mediaType,
    Buffer.from(JSON.stringify(next, null, 2)),
  );
}

/**
 * Pushes an image index under `targetRef` listing the given image manifests, copying each into
 * the target repository first. `format` picks the OCI image index (default) or Docker's
 * manifest list. Resolves to the index digest.
 */
export async function pushImageIndex(
  targetRef: string,
  entries: readonly IndexEntry[],
  opts: BedOption & { readonly format?: 'oci' | 'docker' } = {},
): Promise<string> {
  const bed = opts.bed ?? readTestbed();
  const manifests: (Descriptor & { platform: Platform })[] = [];
  let to: RegistrySession | undefined;
  for (const entry of entries) {
    const sessions = sessionsFor(bed, entry.ref, targetRef);
    to ??= sessions.to;
    const fetched = await getManifest(sessions.from, sessions.source);
    const manifest = parseImageManifest(fetched, entry.ref);
    await copyManifestInto(sessions, manifest.config, manifest.layers, fetched);
    manifests.push({
      mediaType: fetched.mediaType,
      digest: fetched.digest,
      size: fetched.bytes.length,
      platform: entry.platform,
    });
  }
  if (to === undefined) throw new TestbedError(`${targetRef}: an image index needs at least one entry`);
  const mediaType = opts.format === 'docker' ? MEDIA_TYPES.dockerManifestList : MEDIA_TYPES.ociIndex;
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests }, null, 2));
  return putManifest(to, parseImageReference(targetRef).repository, targetTag(targetRef), mediaType, bytes);
}

async function copyManifestInto(
  sessions: ReturnType<typeof sessionsFor>,
  config: Descriptor,
  layers: readonly Descriptor[],
  fetched: FetchedManifest,
): Promise<void> {
  const { source, target, from, to } = sessions;
  if (source.registry === target.registry && source.repository === target.repository) return;
  for (const blob of [config, ...layers])
    await copyBlob(from, source.repository, to, target.repository, blob.digest);
  await putManifest(to, target.repository, fetched.digest, fetched.mediaType, fetched.bytes);
}
