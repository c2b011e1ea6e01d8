import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CycleReport } from '../domain/report.js';
import type { RateLimitEvent } from '../registry/rate-limit.js';
import type { RegistryRequestEvent } from '../registry/registry-http.js';
import type { SignatureVerdictKind } from '../trust/cosign-verifier.js';
import { cycleFigures, type CycleFigures } from './cycle-figures.js';

/** What the rest of refit tells the metrics; each call maps to a few metric updates. */
export interface RefitMetrics {
  /** After every cycle, with its report. */
  observeCycle(report: CycleReport): void;
  /**
   * After a run limited to some containers (update now, an approval, a rollback asked for): its
   * outcomes count, and its containers' series change, but it is not a scan and leaves the
   * other containers' series as they are.
   */
  observeLimitedRun(report: CycleReport): void;
  /** A trigger refused because a cycle was still running. */
  scanSkipped(reason: string): void;
  /** Every request to a registry or token server, including failed ones. */
  registryRequest(event: RegistryRequestEvent): void;
  /** Every rate-limit budget a registry reports in its answers. */
  registryRateLimit(event: RateLimitEvent): void;
  /** Every signature check of a new digest, by verdict. */
  signatureVerdict(kind: SignatureVerdictKind): void;
  /** Every notification delivery outcome, after its retries. */
  notification(channel: string, ok: boolean): void;
}

export interface MetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop, GC) on the same registry. Default true. */
  readonly collectDefault?: boolean;
  /** Milliseconds since the epoch; used only when a report's finish time cannot be read. */
  readonly now?: () => number;
}

/** A cycle takes from well under a second (nothing to check) to minutes (pulls of big images). */
export const CYCLE_DURATION_BUCKETS: readonly number[] = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];

/** Label values of `refit_container_updates_total`, spelled as in the report. */
const UPDATE_RESULTS = ['updated', 'rolled-back', 'failed'] as const;

/** Label values of `refit_signature_verifications_total`: the verdicts, without spaces. */
const SIGNATURE_RESULTS: Readonly<Record<SignatureVerdictKind, string>> = {
  verified: 'verified',
  'no signature': 'no-signature',
  'signature does not verify': 'does-not-verify',
  'payload mismatch': 'payload-mismatch',
};

/**
 * Registers refit's metrics on `registry` (never prom-client's global one, so tests and several
 * instances do not collide) and returns the hooks that feed them.
 */
export function createMetrics(registry: Registry, options: MetricsOptions = {}): RefitMetrics {
  const now = options.now ?? Date.now;
  if (options.collectDefault ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  // Watchtower's names and meanings, so dashboards built for it keep working.
  const scanned = new Gauge({
    name: 'watchtower_containers_scanned',
    help: 'Number of containers scanned for changes during the last scan',
    registers,
  });
  const updated = new Gauge({
    name: 'watchtower_containers_updated',
    help: 'Number of containers updated during the last scan',
    registers,
  });
  const failed = new Gauge({
    name: 'watchtower_containers_failed',
    help: 'Number of containers where the update failed during the last scan',
    registers,
  });
  const scans = new Counter({
    name: 'watchtower_scans_total',
    help: 'Number of scans since refit started, skipped ones included',
    registers,
  });
  const skipped = new Counter({
    name: 'watchtower_scans_skipped',
    help: 'Number of scans skipped since refit started because a scan was still running',
    registers,
  });

  const updateAvailable = new Gauge({
    name: 'refit_container_update_available',
    help: '1 when the registry has a newer image for the container than the one it runs, else 0',
    labelNames: ['container', 'image', 'host'] as const,
    registers,
  });
  const hostReachable = new Gauge({
    name: 'refit_host_reachable',
    help: 'With several Docker engines: 1 when the engine answered in the last cycle, else 0',
    labelNames: ['host'] as const,
    registers,
  });
  const cycleDuration = new Histogram({
    name: 'refit_cycle_duration_seconds',
    help: 'Duration of a whole cycle: discovery, registry checks and updates',
    buckets: [...CYCLE_DURATION_BUCKETS],
    registers,
  });
  const containerUpdates = new Counter({
    name: 'refit_container_updates_total',
    help: 'Container update outcomes: updated, rolled-back, failed',
    labelNames: ['result'] as const,
    registers,
  });
  const rollbacks = new Counter({
    name: 'refit_rollbacks_total',
    help: 'Containers put back on their old image after a failed swap',
    registers,
  });
  const registryRequests = new Counter({
    name: 'refit_registry_requests_total',
    help: 'Requests to registries and token servers by registry, kind and HTTP status ("error": no answer)',
    labelNames: ['registry', 'kind', 'status'] as const,
    registers,
  });
  const lastSuccess = new Gauge({
    name: 'refit_last_successful_cycle_timestamp_seconds',
    help: 'Unix time the last cycle in which no container failed finished; 0 before the first one',
    registers,
  });
  const rateLimitLimit = new Gauge({
    name: 'refit_registry_ratelimit_limit',
    help: 'Requests per window the registry allows refit (ratelimit-limit), as its last answer said',
    labelNames: ['registry'] as const,
    registers,
  });
  const rateLimitRemaining = new Gauge({
    name: 'refit_registry_ratelimit_remaining',
    help: 'Requests left in the window (ratelimit-remaining), as the registry last said',
    labelNames: ['registry'] as const,
    registers,
  });
  const signatureVerifications = new Counter({
    name: 'refit_signature_verifications_total',
    help: 'Signature checks of new digests by result: verified, no-signature, does-not-verify, payload-mismatch',
    labelNames: ['result'] as const,
    registers,
  });
  const notifications = new Counter({
    name: 'refit_notifications_total',
    help: 'Notification deliveries by channel and result (sent, failed), after retries',
    labelNames: ['channel', 'result'] as const,
    registers,
  });

  // Zero series exist from the start, so rate() and increase() see the first event.
  for (const result of UPDATE_RESULTS) containerUpdates.inc({ result }, 0);
  for (const result of Object.values(SIGNATURE_RESULTS)) signatureVerifications.inc({ result }, 0);

  /** The update-available series of the containers the figures know about. */
  const setAvailability = (figures: CycleFigures): void => {
    for (const { container, image, host, available } of figures.availability) {
      updateAvailable.set(
        host === undefined ? { container, image } : { container, image, host },
        available ? 1 : 0,
      );
    }
  };
  /** The outcome counters, for a full cycle and a limited run alike. */
  const countOutcomes = (figures: CycleFigures): void => {
    containerUpdates.inc({ result: 'updated' }, figures.updated);
    containerUpdates.inc({ result: 'rolled-back' }, figures.rolledBack);
    containerUpdates.inc({ result: 'failed' }, figures.updateFailures);
    rollbacks.inc(figures.rolledBack);
  };

  return {
    observeCycle(report) {
      const figures = cycleFigures(report);
      scans.inc();
      scanned.set(figures.scanned);
      updated.set(figures.updated);
      failed.set(figures.failed);

      // Rebuilt from scratch, so containers gone from the report lose their series. Nothing
      // awaits in between, so no scrape sees the gauge half-filled.
      updateAvailable.reset();
      setAvailability(figures);
      for (const { name, reachable } of report.hosts ?? [])
        hostReachable.set({ host: name }, reachable ? 1 : 0);

      cycleDuration.observe(Math.max(0, report.durationMs) / 1000);
      countOutcomes(figures);
      if (figures.successful) lastSuccess.set(finishedAtSeconds(report, now));
    },

    observeLimitedRun(report) {
      const figures = cycleFigures(report);
      setAvailability(figures);
      countOutcomes(figures);
    },

    scanSkipped() {
      // Watchtower counts a skipped scan in the total too; dashboards subtract one from the other.
      scans.inc();
      skipped.inc();
    },

    registryRequest({ registry: host, kind, status }) {
      registryRequests.inc({ registry: host, kind, status: String(status) });
    },

    registryRateLimit({ registry: host, limit, remaining }) {
      if (limit !== undefined) rateLimitLimit.set({ registry: host }, limit);
      rateLimitRemaining.set({ registry: host }, remaining);
    },

    signatureVerdict(kind) {
      signatureVerifications.inc({ result: SIGNATURE_RESULTS[kind] });
    },

    notification(channel, ok) {
      notifications.inc({ channel, result: ok ? 'sent' : 'failed' });
    },
  };
}

function finishedAtSeconds(report: CycleReport, now: () => number): number {
  const finished = Date.parse(report.finishedAt);
  return (Number.isFinite(finished) ? finished : now()) / 1000;
}
