import { shortDigest } from '../../domain/digests.js';
import { formatImageReference } from '../../domain/image-ref.js';
import { describeError } from '../../errors.js';
import { rateLimitReserveReason } from '../../registry/registry-error.js';
import type { SignatureGate } from '../../trust/signature-gate.js';
import { createLimiter } from '../../util/limiter.js';
import { updated, type Subject } from '../subject.js';
import type { UpdaterDependencies } from './dependencies.js';

/** Candidates whose signatures are read at once: a few requests each, to one registry mostly. */
const SIGNATURE_CONCURRENCY = 4;

/**
 * The signature gate in front of every pull. Each candidate (a stale container the engine is
 * about to move) is admitted, skipped with the verdict as the reason (or the registry's
 * rate-limit reserve), or failed when its registry could not be asked; `admitted` is called for each one let through, as soon as it is,
 * so its pull can start while others are still checked. A verified candidate records the digest
 * that verified, and only that digest is pulled for it. Only candidates come here, so a cycle
 * with nothing new reads no signature.
 */
export async function admitCandidates(
  candidates: readonly Subject[],
  deps: Pick<UpdaterDependencies, 'signatures' | 'logger'>,
  admitted: (subject: Subject) => void,
): Promise<void> {
  const gate = deps.signatures;
  if (gate === undefined) {
    for (const subject of candidates) admitted(subject);
    return;
  }
  const limit = createLimiter(SIGNATURE_CONCURRENCY);
  await Promise.all(
    candidates.map((subject) =>
      limit(async () => {
        if (await admit(subject, gate, deps)) admitted(subject);
      }),
    ),
  );
}

async function admit(
  subject: Subject,
  gate: SignatureGate,
  deps: Pick<UpdaterDependencies, 'logger'>,
): Promise<boolean> {
  const reference = subject.target;
  const { container } = subject.candidate;
  if (reference === undefined) return false;
  const image = formatImageReference(reference);
  const log = deps.logger.child({ container: container.name });
  const digest = subject.report.remoteDigest;
  if (digest === undefined) {
    // Detection always records the digest of a stale image; without one there is nothing a
    // signature could be checked against, so nothing is taken on trust either.
    updated(subject, 'skipped', `the new digest of ${image} is unknown, so its signature cannot be checked`);
    return false;
  }
  try {
    const decision = await gate.decide({ labels: container.labels, reference, digest });
    if (decision.kind === 'skip') {
      log.warn({ image, digest, reason: decision.reason }, 'new image refused');
      updated(subject, 'skipped', decision.reason);
      return false;
    }
    if (decision.verdict?.kind === 'verified') {
      subject.verifiedDigest = digest;
      log.info({ image, digest, key: decision.verdict.keyName }, 'signature verified');
    }
    return true;
  } catch (error) {
    // A registry kept for its rate-limit reserve was not asked: a decision, as for checks.
    const reserve = rateLimitReserveReason(error);
    if (reserve !== undefined) {
      updated(subject, 'skipped', reserve);
      return false;
    }
    const reason = `cannot read the signatures of ${image}@${shortDigest(digest)}: ${describeError(error)}`;
    log.error({ image, digest, err: describeError(error) }, 'signature check failed');
    updated(subject, 'failed', reason);
    return false;
  }
}
