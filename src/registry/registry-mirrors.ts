import { localDigestsFor } from '../domain/digests.js';
import {
  formatImageReference,
  normaliseRegistryHost,
  parseImageReference,
  type ImageReference,
} from '../domain/image-ref.js';

/** One `REFIT_REGISTRY_MIRRORS` entry: `docker.io=https://mirror.example[/prefix]`. */
export interface MirrorSpec {
  /** The registry mirrored, as refit writes it (`docker.io`, `ghcr.io`). */
  readonly registry: string;
  /** `http(s)://host[:port]`, optionally with a path that prefixes every repository. */
  readonly url: string;
}

/** Where a mirror answers: its host (the key for its credentials and metrics) and base URL. */
export interface MirrorEndpoint {
  /** `host[:port]`, as in an image reference. */
  readonly host: string;
  /** `http(s)://host[:port]`. */
  readonly base: URL;
  /** Put before each repository (`dockerhub-proxy/` for a Harbor proxy-cache project), or ''. */
  readonly prefix: string;
}

/** One place the engine may pull a new image from, best first. */
export interface PullSource {
  /** What to pull: `host/repository@digest`. */
  readonly reference: string;
  /** The registry host whose credentials the pull needs. */
  readonly registry: string;
  /** True for a mirror: the engine then tags the pulled image with the origin's reference. */
  readonly mirror: boolean;
}

/**
 * Which mirrors stand in front of which registries. Checks ask the mirrors first, in the order
 * configured, and the origin when none answers; pulls can go the same way (`pullSources`).
 */
export class MirrorPlan {
  private readonly byRegistry: ReadonlyMap<string, readonly MirrorEndpoint[]>;
  /** Mirror hosts configured with `http://`: writing the scheme is the permission to use it. */
  readonly plainHttpHosts: readonly string[];

  constructor(specs: readonly MirrorSpec[]) {
    const map = new Map<string, MirrorEndpoint[]>();
    const plain: string[] = [];
    for (const spec of specs) {
      const registry = normaliseRegistryHost(spec.registry);
      const url = new URL(spec.url);
      const prefix = url.pathname.replace(/^\/+|\/+$/g, '');
      const endpoint: MirrorEndpoint = {
        host: url.host,
        base: new URL(url.origin),
        prefix: prefix === '' ? '' : `${prefix}/`,
      };
      map.set(registry, [...(map.get(registry) ?? []), endpoint]);
      if (url.protocol === 'http:') plain.push(url.host);
    }
    this.byRegistry = map;
    this.plainHttpHosts = plain;
  }

  /** The mirrors of `registry`, in the order they are asked. */
  mirrorsOf(registry: string): readonly MirrorEndpoint[] {
    return this.byRegistry.get(registry) ?? [];
  }

  /**
   * Where to pull `ref` at `digest`: each mirror (`mirror/prefix/repository@digest`), then the
   * origin. The engine pulls the first that works and, for a mirror, tags the image with
   * `formatImageReference(ref)` so the container keeps its origin reference.
   */
  pullSources(ref: ImageReference, digest: string): PullSource[] {
    const mirrors = this.mirrorsOf(ref.registry).map((mirror) => ({
      reference: `${mirror.host}/${mirror.prefix}${ref.repository}@${digest}`,
      registry: mirror.host,
      mirror: true,
    }));
    const origin = formatImageReference({ ...ref, tag: undefined, digest });
    return [...mirrors, { reference: origin, registry: ref.registry, mirror: false }];
  }

  /**
   * The digests a local image is known by for `ref`, counting repo digests Docker recorded
   * under a mirror's name: an image pulled through a mirror has only those, and the same
   * manifest digest in the origin.
   */
  localDigests(ref: ImageReference, repoDigests: readonly string[]): string[] {
    const names = [
      ref,
      ...this.mirrorsOf(ref.registry).map((mirror) =>
        parseImageReference(`${mirror.host}/${mirror.prefix}${ref.repository}`),
      ),
    ];
    return [...new Set(names.flatMap((name) => localDigestsFor(name, repoDigests)))];
  }
}
