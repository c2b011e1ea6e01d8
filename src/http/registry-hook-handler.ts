import type { FollowUpTrigger } from './follow-up-trigger.js';
import { HttpError } from './http-error.js';
import { parseJsonBody, readBody } from './read-body.js';
import { parseEnvelope, parseRegistryHosts, pushedImages } from './registry-events.js';
import { json } from './reply.js';
import type { Handler } from './router.js';

export interface RegistryHookDependencies {
  readonly followUps: FollowUpTrigger;
  readonly stopping: () => boolean;
  readonly bodyLimitBytes: number;
}

/**
 * `POST /v1/hooks/registry[?registry=host:port]`: a Docker distribution registry's
 * notification endpoint. Each pushed tag becomes an image in the filter of a cycle that starts
 * at once, or right after the running one. The answer comes before the cycle ends: registries
 * time out and retry slow endpoints.
 */
export function registryHookHandler(deps: RegistryHookDependencies): Handler {
  return async ({ req, url }) => {
    const contentType = req.headers['content-type'];
    if (contentType !== undefined && !/json/i.test(contentType)) {
      throw new HttpError(
        415,
        'unsupported_media_type',
        `expected a JSON notification (application/vnd.docker.distribution.events.v1+json), got ${contentType}`,
      );
    }
    const hosts = parseRegistryHosts(url.searchParams);
    const envelope = parseEnvelope(parseJsonBody(await readBody(req, deps.bodyLimitBytes)));
    const { images, ignored } = pushedImages(envelope, hosts);
    if (images.length === 0) return json(200, { status: 'ignored', images, ignoredEvents: ignored });
    // On 503 the registry keeps the events and sends them again, until refit is back.
    if (deps.stopping()) throw new HttpError(503, 'stopping', 'refit is stopping and starts no more cycles');
    const outcome = deps.followUps.request(images);
    return json(202, { status: outcome, images, ignoredEvents: ignored });
  };
}
