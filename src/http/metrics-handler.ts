import { HttpError } from './http-error.js';
import { text } from './reply.js';
import type { Handler } from './router.js';

/** What the metrics endpoint reads; a prom-client `Registry` is one. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** `GET /metrics` and Watchtower's `GET /v1/metrics`: the Prometheus text exposition. */
export function metricsHandler(metrics: MetricsSource | undefined): Handler {
  return async () => {
    if (metrics === undefined) throw new HttpError(404, 'metrics_off', 'this refit collects no metrics');
    return text(200, await metrics.metrics(), metrics.contentType);
  };
}
