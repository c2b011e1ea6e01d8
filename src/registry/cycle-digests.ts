import { formatImageReference, type ImageReference } from '../domain/image-ref.js';
import { shareByKey } from '../util/limiter.js';
import type { RegistryClient } from './registry-client.js';

/**
 * A view of the registry client for one cycle in which each reference is asked once: containers
 * and Swarm services on the same image, on any engine, share the one answer. Every request runs
 * under the cycle's signal.
 */
export function cycleDigests(registry: RegistryClient, signal: AbortSignal | undefined): RegistryClient {
  const ask = shareByKey(formatImageReference, (ref: ImageReference) =>
    registry.getManifestDigest(ref, signal),
  );
  return { getManifestDigest: (ref) => ask(ref) };
}
