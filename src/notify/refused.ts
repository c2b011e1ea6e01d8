import type { ContainerReport } from '../domain/report.js';

/**
 * A new image refit would not take: the container was skipped although the registry serves a
 * digest it does not run (a signature that does not verify, a failed pre-update hook, a digest
 * rolled back before). Unlike other skips (pinned to a digest, a rate-limit reserve, an
 * unreadable label), which say nothing new, this one is news, once per digest.
 */
export function refusedImage(container: ContainerReport): boolean {
  const digest = container.remoteDigest;
  return (
    container.status === 'skipped' && digest !== undefined && !(container.localDigests ?? []).includes(digest)
  );
}
