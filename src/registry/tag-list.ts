import { z } from 'zod';
import { registryApiHost, type ImageReference } from '../domain/image-ref.js';
import { authenticatedRequest } from './authenticated-request.js';
import { statusError } from './manifest-resolver.js';
import type { RegistryAuth } from './registry-auth.js';
import { RegistryError, type RegistryTarget } from './registry-error.js';
import type { RegistryHttp, RegistryLogger, RegistryResponse } from './registry-http.js';
import type { TransportPolicy } from './registry-transport.js';
import { headerValue, readLimited } from './response-body.js';

export interface TagListOptions {
  /** `n` on the first request; without it the registry picks its page size. */
  readonly pageSize?: number | undefined;
  /** Pages followed before giving up (a registry looping its `Link`). Default 200. */
  readonly maxPages?: number | undefined;
  /** Largest page body accepted. Default 4 MiB. */
  readonly maxPageBytes?: number | undefined;
  readonly logger?: RegistryLogger | undefined;
}

/** One page as the registry served it, kept while it carries an ETag. */
interface CachedPage {
  readonly etag: string;
  readonly tags: readonly string[];
  readonly next: URL | undefined;
}

type PageAnswer =
  CachedPage | { readonly etag: undefined; readonly tags: readonly string[]; readonly next: URL | undefined };

const tagsPageSchema = z.looseObject({
  name: z.string().optional(),
  // distribution answers `"tags": null` for a repository whose tags were all deleted.
  tags: z.array(z.string()).nullable(),
});

/**
 * Reads repositories' tag lists (`GET /v2/<name>/tags/list`), always from the image's own
 * registry (a mirror's list may lag behind it), through the same authentication, rate-limit
 * budget and User-Agent as manifest checks:
 * - pages are followed through the `Link: <…>; rel="next"` header, on the same registry and
 *   path only, so credentials never leave for another URL;
 * - each page's ETag is kept, and the next read of that page sends `If-None-Match`: a `304`
 *   reuses the page without its body;
 * - within one cycle (between two `beginCycle` calls) a repository's list is read at most once,
 *   however many containers follow it; those asking meanwhile share the answer, a failure
 *   included (one failed read per cycle, not one per container).
 */
export class TagLister {
  private readonly memo = new Map<string, Promise<readonly string[]>>();
  /** Repository → page URL → page, for conditional requests. */
  private readonly pages = new Map<string, Map<string, CachedPage>>();
  /** Repositories whose list the last cycle read: the others' pages are dropped. */
  private readonly read = new Set<string>();
  private readonly maxPages: number;
  private readonly maxPageBytes: number;

  constructor(
    private readonly http: RegistryHttp,
    private readonly auth: RegistryAuth,
    private readonly transport: TransportPolicy,
    private readonly options: TagListOptions = {},
  ) {
    this.maxPages = options.maxPages ?? 200;
    this.maxPageBytes = options.maxPageBytes ?? 4 * 1024 * 1024;
  }

  beginCycle(): void {
    this.memo.clear();
    // A repository no container followed last cycle is unlikely to matter again soon.
    for (const repository of [...this.pages.keys()]) {
      if (!this.read.has(repository)) this.pages.delete(repository);
    }
    this.read.clear();
  }

  listTags(ref: ImageReference, signal?: AbortSignal): Promise<readonly string[]> {
    const key = `${ref.registry}/${ref.repository}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    this.read.add(key);
    const listing = this.fetchAll(key, ref, signal).catch((error: unknown) => {
      // A cancelled read says nothing about the registry: a later caller may try again.
      if (error instanceof RegistryError && error.code === 'ABORTED') this.memo.delete(key);
      throw error;
    });
    this.memo.set(key, listing);
    return listing;
  }

  private async fetchAll(key: string, ref: ImageReference, signal?: AbortSignal): Promise<readonly string[]> {
    const target: RegistryTarget = {
      registry: ref.registry,
      repository: ref.repository,
      reference: ref.tag ?? 'latest',
    };
    const first = new URL(`/v2/${ref.repository}/tags/list`, this.transport.baseUrl(registryApiHost(ref)));
    if (this.options.pageSize !== undefined) first.searchParams.set('n', String(this.options.pageSize));
    await this.auth.ready();
    const cache = this.pages.get(key) ?? new Map<string, CachedPage>();
    this.pages.set(key, cache);
    const tags: string[] = [];
    let url: URL | undefined = first;
    let reused = 0;
    for (let page = 0; url !== undefined; page += 1) {
      if (page >= this.maxPages) {
        throw new RegistryError('BAD_RESPONSE', target, `the tag list has more than ${this.maxPages} pages`);
      }
      const cached = cache.get(url.href);
      const answer = await this.fetchPage(url, first, target, cached, signal);
      if (answer === cached) reused += 1;
      if (answer.etag === undefined) cache.delete(url.href);
      else cache.set(url.href, answer);
      tags.push(...answer.tags);
      url = answer.next;
    }
    this.options.logger?.debug(
      { registry: ref.registry, repository: ref.repository, tags: tags.length, reusedPages: reused },
      'listed repository tags',
    );
    return tags;
  }

  private fetchPage(
    url: URL,
    first: URL,
    target: RegistryTarget,
    cached: CachedPage | undefined,
    signal: AbortSignal | undefined,
  ): Promise<PageAnswer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (cached !== undefined) headers['if-none-match'] = cached.etag;
    return authenticatedRequest(this.http, this.auth, {
      kind: 'tags',
      method: 'GET',
      url,
      target,
      headers,
      signal,
      label: 'tag list request',
      consume: async (response) => {
        if (response.statusCode === 304 && cached !== undefined) return cached;
        if (response.statusCode !== 200) throw statusError(response, target, 'repository');
        const bytes = await readLimited(response, this.maxPageBytes, target, 'the tag list');
        const parsed = tagsPageSchema.safeParse(parseJson(bytes));
        if (!parsed.success) {
          throw new RegistryError('BAD_RESPONSE', target, 'the tag list is not {"name", "tags": [...]}', {
            status: response.statusCode,
          });
        }
        return {
          etag: headerValue(response.headers, 'etag'),
          tags: parsed.data.tags ?? [],
          next: nextPage(response, url, first, target),
        };
      },
    });
  }
}

/** The `rel="next"` target of a Link header, checked to stay on the same registry and path. */
function nextPage(
  response: RegistryResponse,
  current: URL,
  first: URL,
  target: RegistryTarget,
): URL | undefined {
  const raw = response.headers['link'];
  const header = Array.isArray(raw) ? raw.join(', ') : raw;
  const link = header === undefined ? undefined : nextLink(header);
  if (link === undefined) return undefined;
  const next = URL.canParse(link, current.href) ? new URL(link, current) : undefined;
  if (next === undefined || next.origin !== first.origin || next.pathname !== first.pathname) {
    throw new RegistryError('BAD_RESPONSE', target, 'the tag list links its next page elsewhere', {
      status: response.statusCode,
    });
  }
  return next;
}

/** The URL of the `rel="next"` link in a Link header (RFC 8288), if any. */
export function nextLink(header: string): string | undefined {
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]*)*)/g)) {
    const params = match[2] ?? '';
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const relations = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (relations.includes('next')) return match[1];
  }
  return undefined;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
