import { z } from 'zod';
import { formatImageReference, normaliseRegistryHost, parseImageReference } from '../domain/image-ref.js';
import { HttpError } from './http-error.js';

/**
 * A Docker distribution registry's notification envelope (media type
 * `application/vnd.docker.distribution.events.v1+json`, v2 in distribution 3). Only the fields
 * refit reads are declared; the rest pass through unchecked.
 */
const eventSchema = z.looseObject({
  id: z.string().optional(),
  action: z.string(),
  target: z
    .looseObject({
      mediaType: z.string().optional(),
      digest: z.string().optional(),
      repository: z.string().optional(),
      tag: z.string().optional(),
      url: z.string().optional(),
    })
    .optional(),
  request: z.looseObject({ host: z.string().optional() }).optional(),
});

export const envelopeSchema = z.looseObject({ events: z.array(eventSchema) });

export type RegistryEnvelope = z.infer<typeof envelopeSchema>;
type RegistryEvent = z.infer<typeof eventSchema>;

/** Validates a parsed body as an envelope, answering 400 with what is wrong. */
export function parseEnvelope(body: unknown): RegistryEnvelope {
  const parsed = envelopeSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length === 0 ? 'body' : issue.path.join('.')}: ${issue.message}`);
  throw new HttpError(
    400,
    'invalid_notification',
    `the body is not a registry notification envelope ({ "events": [...] }): ${problems.join('; ')}`,
  );
}

/** What a push notification asks refit to look at, and how many events it passed over. */
export interface PushedImages {
  /** Normalised references (`registry/repository:tag`), without duplicates. */
  readonly images: string[];
  /** Events that name no pushed tag: pulls, deletes, blob and by-digest pushes, unusable hosts. */
  readonly ignored: number;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The same registry under each loopback name: a registry on this machine is often pushed to as
 * 127.0.0.1:5000 while containers were created from localhost:5000/..., or the other way round.
 */
function withLoopbackAliases(host: string): string[] {
  const match = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i.exec(host);
  if (match === null) return [host];
  const port = match[2] ?? '';
  return LOOPBACK_NAMES.map((name) => `${name}${port}`);
}

function hostOfUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const host = new URL(url).host;
    return host === '' ? undefined : host;
  } catch {
    return undefined;
  }
}

/**
 * The registry hosts an event's image is known by: those the endpoint URL names
 * (`?registry=`) when given, since only the operator knows the name containers use; otherwise
 * the Host header the pushing client sent, or else the host of the content URL.
 */
function hostsOf(event: RegistryEvent, configured: readonly string[]): string[] {
  if (configured.length > 0) return [...configured];
  const host = event.request?.host ?? hostOfUrl(event.target?.url);
  return host === undefined || host === '' ? [] : [host];
}

function referencesOf(event: RegistryEvent, configured: readonly string[]): string[] {
  const { repository, tag } = event.target ?? {};
  if (event.action !== 'push' || repository === undefined || tag === undefined || tag === '') return [];
  const references: string[] = [];
  for (const host of hostsOf(event, configured).flatMap(withLoopbackAliases)) {
    try {
      references.push(formatImageReference(parseImageReference(`${host}/${repository}:${tag}`)));
    } catch {
      // A host or repository that cannot form a reference names no container refit could update.
    }
  }
  return references;
}

/**
 * Turns the tag pushes in an envelope into image references for a cycle's image filter.
 * `configuredHosts` are the registry names from the endpoint's `?registry=` parameter.
 */
export function pushedImages(envelope: RegistryEnvelope, configuredHosts: readonly string[]): PushedImages {
  const images = new Set<string>();
  let ignored = 0;
  for (const event of envelope.events) {
    const references = referencesOf(event, configuredHosts);
    if (references.length === 0) ignored += 1;
    for (const reference of references) images.add(reference);
  }
  return { images: [...images], ignored };
}

/**
 * Reads `?registry=host[:port]` (comma-separated, may repeat): the registry name(s) containers
 * use for the images this registry serves. Each must be a registry host.
 */
export function parseRegistryHosts(params: URLSearchParams): string[] {
  const hosts = params
    .getAll('registry')
    .flatMap((value) => value.split(','))
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== '');
  for (const host of hosts) {
    let valid: boolean;
    try {
      valid = parseImageReference(`${host}/refit-probe`).registry === normaliseRegistryHost(host);
    } catch {
      valid = false;
    }
    if (!valid) {
      throw new HttpError(
        400,
        'invalid_registry',
        `?registry=${host} is not a registry host (expected host[:port], e.g. registry.example.com:5000)`,
      );
    }
  }
  return [...new Set(hosts)];
}
