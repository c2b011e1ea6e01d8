import { RefitError } from '../errors.js';

/** Docker Hub's canonical registry name, as Docker writes it in repo digests and config.json. */
export const DOCKER_HUB = 'docker.io';
/** The host that actually serves Docker Hub's registry API. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

export class ImageReferenceError extends RefitError {
  constructor(reference: string, reason: string) {
    super('INVALID_IMAGE_REFERENCE', `invalid image reference "${reference}": ${reason}`);
  }
}

/** A fully normalised image reference: `registry/repository[:tag][@digest]`. */
export interface ImageReference {
  /** Registry host as written by users and Docker (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
  readonly registry: string;
  /** Repository path inside the registry, with `library/` for official Docker Hub images. */
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

const DIGEST_PATTERN = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const TAG_PATTERN = /^\w[\w.-]{0,127}$/;
const PATH_COMPONENT_PATTERN = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_PATTERN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;

/** True when the first path component names a registry rather than a Docker Hub namespace. */
function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

/**
 * Parses what a user writes after `docker run` (or what Docker stores in a container's
 * `Config.Image`) into a normalised reference, applying Docker Hub's defaults.
 */
export function parseImageReference(input: string): ImageReference {
  const raw = input.trim();
  if (raw === '') throw new ImageReferenceError(input, 'it is empty');

  let remainder = raw;
  let digest: string | undefined;
  const at = remainder.indexOf('@');
  if (at !== -1) {
    digest = remainder.slice(at + 1);
    remainder = remainder.slice(0, at);
    if (!DIGEST_PATTERN.test(digest)) throw new ImageReferenceError(input, `"${digest}" is not a digest`);
  }

  let tag: string | undefined;
  const lastSlash = remainder.lastIndexOf('/');
  const lastColon = remainder.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = remainder.slice(lastColon + 1);
    remainder = remainder.slice(0, lastColon);
    if (!TAG_PATTERN.test(tag)) throw new ImageReferenceError(input, `"${tag}" is not a valid tag`);
  }

  const components = remainder.split('/');
  let registry = DOCKER_HUB;
  const first = components[0] ?? '';
  if (components.length > 1 && looksLikeRegistry(first)) {
    if (!DOMAIN_PATTERN.test(first))
      throw new ImageReferenceError(input, `"${first}" is not a registry host`);
    registry = normaliseRegistryHost(first);
    components.shift();
  }
  for (const component of components) {
    if (!PATH_COMPONENT_PATTERN.test(component)) {
      throw new ImageReferenceError(
        input,
        `repository part "${component}" must be lowercase letters, digits and separators`,
      );
    }
  }
  if (registry === DOCKER_HUB && components.length === 1) components.unshift('library');

  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, repository: components.join('/'), tag, digest };
}

/** Docker Hub has several historical host names; they all mean the same registry. */
export function normaliseRegistryHost(host: string): string {
  const lower = host.toLowerCase();
  if (
    lower === 'index.docker.io' ||
    lower === 'registry-1.docker.io' ||
    lower === 'registry.hub.docker.com'
  ) {
    return DOCKER_HUB;
  }
  return lower;
}

/** `registry/repository`: the identity repo digests are compared under. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The canonical string form, e.g. `docker.io/library/nginx:latest`. */
export function formatImageReference(ref: ImageReference): string {
  let out = repositoryName(ref);
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/** The host to send registry API requests to. */
export function registryApiHost(ref: ImageReference): string {
  return ref.registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : ref.registry;
}

/** A reference that only names an image ID (`sha256:…`), as Docker stores for containers created by ID. */
export function isImageId(input: string): boolean {
  return /^(?:sha256:)?[a-f0-9]{64}$/.test(input.trim());
}
