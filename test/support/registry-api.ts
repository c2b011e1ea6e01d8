import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseImageReference, type ImageReference } from '../../src/domain/image-ref.js';
import { TestbedError, registryNameOf, type Testbed } from './testbed.js';

/**
 * Just enough of the registry HTTP API (distribution spec) to build what `docker push` cannot:
 * OCI manifests, image indexes, platform variants. Auth is whatever the bed's registry wants.
 */

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociNondistributableLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
} as const;

export const ACCEPT_MANIFESTS = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
].join(', ');

const IMAGE_MANIFEST_TYPES: readonly string[] = [MEDIA_TYPES.dockerManifest, MEDIA_TYPES.ociManifest];

export const descriptorSchema = z.object({
  mediaType: z.string(),
  digest: z.string(),
  size: z.number(),
  urls: z.array(z.string()).optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

export const imageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
});
export type ImageManifest = z.infer<typeof imageManifestSchema>;

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** `repository:NAME:ACTIONS`, as registries and token servers spell scopes. */
export function repositoryScope(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

/** Asks the bed's token server for a token, as the refit user or anonymously. */
export async function fetchToken(
  bed: Testbed,
  scopes: readonly string[],
  as: 'user' | 'anonymous' = 'user',
): Promise<string> {
  const { realm, service, username, password } = bed.registries.token;
  const url = new URL(realm);
  url.searchParams.set('service', service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const headers: Record<string, string> = {};
  if (as === 'user') headers['authorization'] = basicAuthorization(username, password);
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new TestbedError(`the token server at ${realm} answered ${res.status}`);
  const body = z.object({ token: z.string() }).parse(await res.json());
  return body.token;
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export interface RegistryRequestInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string;
}

/**
 * Requests against one registry host with the credentials the bed has for it; the token, when
 * the registry needs one, is fetched once for all the session's scopes.
 */
export class RegistrySession {
  private authorization: Promise<string | undefined> | undefined;

  constructor(
    private readonly bed: Testbed,
    readonly host: string,
    private readonly scopes: readonly string[],
  ) {}

  async fetch(pathOrUrl: string, init: RegistryRequestInit = {}): Promise<Response> {
    this.authorization ??= this.authorize();
    const authorization = await this.authorization;
    const headers: Record<string, string> = { ...init.headers };
    if (authorization !== undefined) headers['authorization'] = authorization;
    const url = new URL(pathOrUrl, `http://${this.host}`);
    return fetch(url, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
      redirect: 'follow',
    });
  }

  /** Like `fetch`, but any status other than `expected` is an error naming the request. */
  async expect(expected: number | readonly number[], pathOrUrl: string, init: RegistryRequestInit = {}) {
    const res = await this.fetch(pathOrUrl, init);
    const allowed = typeof expected === 'number' ? [expected] : expected;
    if (!allowed.includes(res.status)) {
      const text = init.method === 'HEAD' ? '' : (await res.text()).slice(0, 300);
      throw new TestbedError(
        `${init.method ?? 'GET'} http://${this.host}${new URL(pathOrUrl, 'http://x').pathname} answered ${res.status}: ${text}`,
      );
    }
    return res;
  }

  private async authorize(): Promise<string | undefined> {
    const name = registryNameOf(this.bed, this.host);
    if (name === 'basic') {
      const { username, password } = this.bed.registries.basic;
      return basicAuthorization(username, password);
    }
    if (name === 'token') return `Bearer ${await fetchToken(this.bed, this.scopes)}`;
    return undefined;
  }
}

export interface FetchedManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly bytes: Buffer;
}

export function referencePart(ref: ImageReference): string {
  const reference = ref.digest ?? ref.tag;
  if (reference === undefined) throw new TestbedError(`${ref.repository} names neither a tag nor a digest`);
  return reference;
}

export async function getManifest(session: RegistrySession, ref: ImageReference): Promise<FetchedManifest> {
  const res = await session.expect(200, `/v2/${ref.repository}/manifests/${referencePart(ref)}`, {
    headers: { accept: ACCEPT_MANIFESTS },
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  return { mediaType, digest: sha256Digest(bytes), bytes };
}

/** The digest the registry serves for `ref`, or undefined when it has no such manifest. */
export async function headManifestDigest(bed: Testbed, reference: string): Promise<string | undefined> {
  const ref = parseImageReference(reference);
  const session = new RegistrySession(bed, ref.registry, [repositoryScope(ref.repository, ['pull'])]);
  const res = await session.fetch(`/v2/${ref.repository}/manifests/${referencePart(ref)}`, {
    method: 'HEAD',
    headers: { accept: ACCEPT_MANIFESTS },
  });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new TestbedError(`HEAD manifest ${reference} answered ${res.status}`);
  return res.headers.get('docker-content-digest') ?? undefined;
}

export function parseImageManifest(manifest: FetchedManifest, reference: string): ImageManifest {
  if (!IMAGE_MANIFEST_TYPES.includes(manifest.mediaType)) {
    throw new TestbedError(`${reference} is a ${manifest.mediaType}, not a single image manifest`);
  }
  return imageManifestSchema.parse(JSON.parse(manifest.bytes.toString('utf8')));
}

/** PUTs a manifest and returns its digest, checked against the one the registry reports. */
export async function putManifest(
  session: RegistrySession,
  repository: string,
  reference: string,
  mediaType: string,
  bytes: Buffer,
): Promise<string> {
  const res = await session.expect(201, `/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: bytes,
  });
  const digest = sha256Digest(bytes);
  const reported = res.headers.get('docker-content-digest');
  if (reported !== null && reported !== digest) {
    throw new TestbedError(
      `registry ${session.host} stored ${repository}:${reference} as ${reported}, expected ${digest}`,
    );
  }
  return digest;
}

/** Uploads a blob in one request (monolithic upload) unless the repository already has it. */
export async function uploadBlob(
  session: RegistrySession,
  repository: string,
  bytes: Buffer,
): Promise<Descriptor> {
  const digest = sha256Digest(bytes);
  const head = await session.fetch(`/v2/${repository}/blobs/${digest}`, { method: 'HEAD' });
  if (head.status !== 200) {
    const start = await session.expect(202, `/v2/${repository}/blobs/uploads/`, { method: 'POST' });
    await putUpload(session, start, digest, bytes);
  }
  return { mediaType: 'application/octet-stream', digest, size: bytes.length };
}

/**
 * Makes blob `digest` of `from` available in repository `to` on `target`: nothing when it is
 * there, a cross-repository mount on the same registry, else a download and upload.
 */
export async function copyBlob(
  source: RegistrySession,
  from: string,
  target: RegistrySession,
  to: string,
  digest: string,
): Promise<void> {
  const head = await target.fetch(`/v2/${to}/blobs/${digest}`, { method: 'HEAD' });
  if (head.status === 200) return;
  const mountable = source.host === target.host;
  const start = await target.expect(
    mountable ? [201, 202] : 202,
    mountable
      ? `/v2/${to}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`
      : `/v2/${to}/blobs/uploads/`,
    { method: 'POST' },
  );
  if (start.status === 201) return;
  const blob = await source.expect(200, `/v2/${from}/blobs/${digest}`);
  await putUpload(target, start, digest, Buffer.from(await blob.arrayBuffer()));
}

async function putUpload(session: RegistrySession, start: Response, digest: string, bytes: Buffer) {
  const location = start.headers.get('location');
  if (location === null)
    throw new TestbedError(`registry ${session.host} started an upload without a Location`);
  const url = new URL(location, `http://${session.host}`);
  url.searchParams.set('digest', digest);
  await session.expect(201, url.toString(), {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream' },
    body: bytes,
  });
}
