import { z } from 'zod';
import type { ImageReference } from '../domain/image-ref.js';
import {
  DOCKER_MANIFEST_LIST,
  DOCKER_MANIFEST_V2,
  isValidDigest,
  MANIFEST_MEDIA_TYPES,
  OCI_INDEX,
  OCI_MANIFEST,
} from './manifest-schema.js';
import { formatPlatform, hostPlatform, matchPlatform, type Platform } from './platform.js';
import type { RegistryArtifacts } from './registry-artifacts.js';
import { RegistryError, type RegistryTarget } from './registry-error.js';

/** What the update policies read from a candidate image's config blob. */
export interface ImageConfigFacts {
  /** The manifest (or index) digest asked about. */
  readonly digest: string;
  /** The config blob's digest. */
  readonly configDigest: string;
  /** The platform whose manifest was read, when `digest` is an index. */
  readonly platform: Platform | undefined;
  /** The config's `created` (epoch ms), when it has a valid one: the cooldown's image age. */
  readonly createdAt: number | undefined;
  /** The config's `Labels` (OCI annotations for release notes); `{}` when none. */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The port for reading candidate images' configs, separate from the manifest checks: it is asked
 * only for new digests or tags of containers with a cooldown or release notes, never on an idle
 * cycle.
 */
export interface RegistryImageConfigs {
  /**
   * The config of `ref`'s repository at `digest`: for an index, of the entry for `platform`
   * (default: this host's, see hostPlatform; pass the current image's Os/Architecture/Variant).
   * Two manifest GETs at most (index, image manifest) and one blob read, cached per digest and
   * platform for the process's lifetime (a digest never changes).
   */
  getImageConfig(
    ref: ImageReference,
    digest: string,
    platform?: Platform,
    signal?: AbortSignal,
  ): Promise<ImageConfigFacts>;
}

const descriptorSchema = z.object({
  mediaType: z.string().optional(),
  digest: z.string().refine(isValidDigest, { error: 'not a digest' }),
  size: z.number().int().nonnegative(),
});

const indexSchema = z.object({
  schemaVersion: z.literal(2),
  manifests: z.array(
    descriptorSchema.extend({
      platform: z
        .object({ os: z.string(), architecture: z.string(), variant: z.string().optional() })
        .optional(),
    }),
  ),
});

const imageManifestSchema = z.object({ schemaVersion: z.literal(2), config: descriptorSchema });

const configSchema = z.looseObject({
  created: z.string().optional(),
  config: z.looseObject({ Labels: z.record(z.string(), z.string()).nullish() }).nullish(),
});

/** Config blobs are small (history makes the odd one grow); far past this is not a config. */
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
/** Digests remembered; each entry is a few hundred bytes of labels. */
const CACHE_ENTRIES = 512;
const INDEX_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];

export class ImageConfigReader implements RegistryImageConfigs {
  private readonly cache = new Map<string, Promise<ImageConfigFacts>>();

  constructor(
    private readonly artifacts: RegistryArtifacts,
    private readonly defaultPlatform: Platform = hostPlatform(),
  ) {}

  getImageConfig(
    ref: ImageReference,
    digest: string,
    platform: Platform = this.defaultPlatform,
    signal?: AbortSignal,
  ): Promise<ImageConfigFacts> {
    const key = `${ref.registry}/${ref.repository}@${digest} ${formatPlatform(platform)}`;
    const known = this.cache.get(key);
    if (known !== undefined) {
      // Most recently used last, so the oldest is the first to go.
      this.cache.delete(key);
      this.cache.set(key, known);
      return known;
    }
    const reading = this.read(ref, digest, platform, signal);
    this.cache.set(key, reading);
    // A failure is not remembered: the next cycle asks again.
    void reading.catch(() => this.cache.delete(key));
    while (this.cache.size > CACHE_ENTRIES) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    return reading;
  }

  private async read(
    ref: ImageReference,
    digest: string,
    platform: Platform,
    signal: AbortSignal | undefined,
  ): Promise<ImageConfigFacts> {
    const target: RegistryTarget = { registry: ref.registry, repository: ref.repository, reference: digest };
    const top = await this.manifest(ref, digest, target, signal);
    let manifest = top.json;
    let chosen: Platform | undefined;
    if (isIndex(top)) {
      const index = parse(indexSchema, top.json, target, 'the index');
      const at = matchPlatform(index.manifests, platform);
      const entry = at === undefined ? undefined : index.manifests[at];
      if (entry === undefined) {
        const offered = index.manifests.flatMap((m) =>
          m.platform === undefined ? [] : [formatPlatform(m.platform)],
        );
        throw new RegistryError(
          'NOT_FOUND',
          target,
          `the index has no image for ${formatPlatform(platform)} (it has ${offered.join(', ') || 'no platforms'})`,
        );
      }
      chosen = entry.platform;
      manifest = (await this.manifest(ref, entry.digest, { ...target, reference: entry.digest }, signal))
        .json;
    }
    const image = parse(imageManifestSchema, manifest, target, 'the image manifest');
    const blob = await this.artifacts.getBlob(ref, image.config.digest, MAX_CONFIG_BYTES, signal);
    const config = parse(configSchema, parseJson(blob), target, 'the image config');
    const createdAt = config.created === undefined ? undefined : Date.parse(config.created);
    return {
      digest,
      configDigest: image.config.digest,
      platform: chosen,
      createdAt: createdAt !== undefined && Number.isFinite(createdAt) ? createdAt : undefined,
      labels: config.config?.Labels ?? {},
    };
  }

  private async manifest(
    ref: ImageReference,
    digest: string,
    target: RegistryTarget,
    signal: AbortSignal | undefined,
  ): Promise<{ json: unknown; mediaType: string | undefined }> {
    const fetched = await this.artifacts.getManifest(
      { ...ref, tag: undefined, digest },
      MANIFEST_MEDIA_TYPES,
      signal,
    );
    if (fetched === undefined)
      throw new RegistryError('NOT_FOUND', target, 'the registry has no such manifest');
    const json = parseJson(fetched.bytes);
    const declared = z.object({ mediaType: z.string().optional() }).safeParse(json).data?.mediaType;
    const mediaType = declared ?? fetched.mediaType;
    if (mediaType !== undefined && ![...INDEX_TYPES, DOCKER_MANIFEST_V2, OCI_MANIFEST].includes(mediaType)) {
      throw new RegistryError('BAD_RESPONSE', target, `the manifest media type "${mediaType}" is unknown`);
    }
    return { json, mediaType };
  }
}

/** An index by its media type, or, when nothing says, by having `manifests` (OCI allows leaving it out). */
function isIndex(manifest: { json: unknown; mediaType: string | undefined }): boolean {
  if (manifest.mediaType !== undefined) return INDEX_TYPES.includes(manifest.mediaType);
  return z.object({ manifests: z.array(z.unknown()) }).safeParse(manifest.json).success;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, target: RegistryTarget, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RegistryError('BAD_RESPONSE', target, `${what} cannot be read`);
  return parsed.data;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
