import { shortDigest } from '../../domain/digests.js';
import { formatImageReference } from '../../domain/image-ref.js';
import { describeError } from '../../errors.js';
import { rateLimitReserveReason } from '../../registry/registry-error.js';
import type { SignatureGate } from '../../trust/signature-gate.js';
import type { ServiceCheck } from './check-services.js';

/**
 * The signature gate for services, before Swarm is told to pull: a stale service that asks for a
 * signature (`refit.verify.signature` on the service's labels, or the global default) is updated
 * only to a digest whose signature verifies; otherwise it is skipped with the verdict, or failed
 * when its registry could not be asked. Services nobody updates (fresh, monitor-only) are not
 * looked at, so an idle cycle reads no signature.
 */
export async function admitServices(
  checks: readonly ServiceCheck[],
  gate: SignatureGate | undefined,
  signal?: AbortSignal,
): Promise<ServiceCheck[]> {
  if (gate === undefined) return [...checks];
  return Promise.all(
    checks.map(async (check): Promise<ServiceCheck> => {
      const { report, candidate } = check;
      const digest = report.remoteDigest;
      if (report.status !== 'stale' || candidate.monitorOnly || digest === undefined) return check;
      const { subject } = candidate;
      try {
        const decision = await gate.decide({
          labels: subject.labels,
          reference: subject.reference,
          digest,
          signal,
        });
        if (decision.kind === 'pull') return check;
        return { candidate, report: { ...report, status: 'skipped', reason: `service: ${decision.reason}` } };
      } catch (error) {
        const reserve = rateLimitReserveReason(error);
        if (reserve !== undefined)
          return { candidate, report: { ...report, status: 'skipped', reason: reserve } };
        const image = `${formatImageReference(subject.reference)}@${shortDigest(digest)}`;
        return {
          candidate,
          report: {
            ...report,
            status: 'failed',
            reason: `service: cannot read the signatures of ${image}: ${describeError(error)}`,
          },
        };
      }
    }),
  );
}
