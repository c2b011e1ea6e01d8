import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics/metrics.js';

async function value(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((entry) => entry.name === name);
  const sample = (metric?.values ?? []).find((entry) =>
    Object.entries(labels).every(([key, wanted]) => String(entry.labels[key]) === wanted),
  );
  return sample?.value;
}

describe('registry trust and reach metrics', () => {
  it('shows the last rate-limit budget each registry reported', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { collectDefault: false });
    metrics.registryRateLimit({
      registry: 'docker.io',
      limit: 100,
      remaining: 76,
      windowSeconds: 21600,
      source: 'x',
    });
    metrics.registryRateLimit({
      registry: 'docker.io',
      limit: 100,
      remaining: 75,
      windowSeconds: 21600,
      source: 'x',
    });
    metrics.registryRateLimit({
      registry: 'ghcr.io',
      limit: undefined,
      remaining: 9,
      windowSeconds: undefined,
      source: undefined,
    });
    expect(await value(registry, 'refit_registry_ratelimit_limit', { registry: 'docker.io' })).toBe(100);
    expect(await value(registry, 'refit_registry_ratelimit_remaining', { registry: 'docker.io' })).toBe(75);
    expect(await value(registry, 'refit_registry_ratelimit_remaining', { registry: 'ghcr.io' })).toBe(9);
    expect(await value(registry, 'refit_registry_ratelimit_limit', { registry: 'ghcr.io' })).toBeUndefined();
  });

  it('counts signature verdicts, every result present from the start', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { collectDefault: false });
    metrics.signatureVerdict('verified');
    metrics.signatureVerdict('no signature');
    metrics.signatureVerdict('no signature');
    const name = 'refit_signature_verifications_total';
    expect(await value(registry, name, { result: 'verified' })).toBe(1);
    expect(await value(registry, name, { result: 'no-signature' })).toBe(2);
    expect(await value(registry, name, { result: 'does-not-verify' })).toBe(0);
    expect(await value(registry, name, { result: 'payload-mismatch' })).toBe(0);
  });
});
