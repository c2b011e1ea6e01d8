import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { buildCycleReport, type ContainerReport, type CycleReport } from '../../../src/domain/report.js';
import { createMetrics, type RefitMetrics } from '../../../src/metrics/metrics.js';

const OLD = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';
const NEW = 'sha256:2222222222222222222222222222222222222222222222222222222222222222';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Reads the exposition text the way Prometheus would: one sample per line, comments skipped. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`unreadable exposition line: ${line}`);
    const [, name = '', rawLabels = '', value = ''] = match;
    const labels: Record<string, string> = {};
    for (const pair of rawLabels.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] ?? ''] = (pair[2] ?? '').replace(/\\(.)/g, '$1');
    }
    samples.push({ name, labels, value: Number(value) });
  }
  return samples;
}

async function scrape(registry: Registry): Promise<Sample[]> {
  return parseExposition(await registry.metrics());
}

function series(samples: readonly Sample[], name: string): Sample[] {
  return samples.filter((s) => s.name === name);
}

/** The value of the one series of `name` with exactly these labels; fails when absent. */
function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = series(samples, name).filter(
    (s) =>
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
  if (found.length !== 1)
    throw new Error(`expected one ${name} ${JSON.stringify(labels)}, found ${found.length}`);
  return found[0]?.value ?? Number.NaN;
}

function container(
  name: string,
  status: ContainerReport['status'],
  extra: Partial<ContainerReport> = {},
): ContainerReport {
  return {
    id: `${name}-id`,
    name,
    image: `registry.test/${name}:latest`,
    status,
    reason: `${name} is ${status}`,
    monitorOnly: false,
    ...extra,
  };
}

function report(containers: ContainerReport[], startMs = 1_700_000_000_000, durationMs = 1500): CycleReport {
  return buildCycleReport(new Date(startMs), new Date(startMs + durationMs), containers);
}

function setup(): { registry: Registry; metrics: RefitMetrics } {
  const registry = new Registry();
  return { registry, metrics: createMetrics(registry, { collectDefault: false }) };
}

const checked = { localDigests: [OLD] };

describe('createMetrics', () => {
  it('reports Watchtower gauges for the last scan', async () => {
    const { registry, metrics } = setup();
    metrics.observeCycle(
      report([
        container('web', 'updated', { ...checked, remoteDigest: NEW, newId: 'web-new' }),
        container('db', 'fresh', { ...checked, remoteDigest: OLD }),
        container('cache', 'stale', { ...checked, remoteDigest: NEW }),
        container('api', 'rolled-back', { ...checked, remoteDigest: NEW }),
        container('queue', 'failed', { ...checked, remoteDigest: NEW }),
        container('local', 'skipped'),
      ]),
    );
    const samples = await scrape(registry);
    expect(valueOf(samples, 'watchtower_containers_scanned')).toBe(5);
    expect(valueOf(samples, 'watchtower_containers_updated')).toBe(1);
    expect(valueOf(samples, 'watchtower_containers_failed')).toBe(2);
    expect(valueOf(samples, 'watchtower_scans_total')).toBe(1);
    expect(valueOf(samples, 'watchtower_scans_skipped')).toBe(0);

    metrics.observeCycle(report([container('db', 'fresh', { ...checked, remoteDigest: OLD })]));
    const next = await scrape(registry);
    expect(valueOf(next, 'watchtower_containers_scanned')).toBe(1);
    expect(valueOf(next, 'watchtower_containers_updated')).toBe(0);
    expect(valueOf(next, 'watchtower_containers_failed')).toBe(0);
    expect(valueOf(next, 'watchtower_scans_total')).toBe(2);
  });

  it('counts skipped scans in both Watchtower counters and leaves the gauges alone', async () => {
    const { registry, metrics } = setup();
    metrics.observeCycle(report([container('web', 'fresh', { ...checked, remoteDigest: OLD })]));
    metrics.scanSkipped('interval');
    metrics.scanSkipped('api');
    const samples = await scrape(registry);
    expect(valueOf(samples, 'watchtower_scans_total')).toBe(3);
    expect(valueOf(samples, 'watchtower_scans_skipped')).toBe(2);
    expect(valueOf(samples, 'watchtower_containers_scanned')).toBe(1);
  });

  it('exposes one update-available series per known container and drops vanished ones', async () => {
    const { registry, metrics } = setup();
    metrics.observeCycle(
      report([
        container('web', 'stale', { ...checked, remoteDigest: NEW }),
        container('db', 'fresh', { ...checked, remoteDigest: OLD }),
        container('api', 'rolled-back', { ...checked, remoteDigest: NEW }),
        container('queue', 'failed', { ...checked, remoteDigest: NEW }),
        container('broken', 'failed', { reason: 'registry unreachable', ...checked }),
        container('local', 'skipped'),
      ]),
    );
    const samples = await scrape(registry);
    const name = 'refit_container_update_available';
    expect(valueOf(samples, name, { container: 'web', image: 'registry.test/web:latest' })).toBe(1);
    expect(valueOf(samples, name, { container: 'db', image: 'registry.test/db:latest' })).toBe(0);
    expect(valueOf(samples, name, { container: 'api', image: 'registry.test/api:latest' })).toBe(1);
    expect(valueOf(samples, name, { container: 'queue', image: 'registry.test/queue:latest' })).toBe(1);
    // Unknown state (check failed, skipped) is no series rather than a misleading 0.
    expect(
      series(samples, name)
        .map((s) => s.labels['container'])
        .sort(),
    ).toEqual(['api', 'db', 'queue', 'web']);

    metrics.observeCycle(
      report([container('web', 'updated', { ...checked, remoteDigest: NEW, newId: 'web-2' })]),
    );
    const next = await scrape(registry);
    expect(series(next, name)).toEqual([
      { name, labels: { container: 'web', image: 'registry.test/web:latest' }, value: 0 },
    ]);
  });

  it('names the engine of each container, and whether each engine answered, with several engines', async () => {
    const { registry, metrics } = setup();
    metrics.observeCycle({
      ...report([
        { ...container('web', 'stale', { ...checked, remoteDigest: NEW }), host: 'nas' },
        { ...container('web', 'fresh', { ...checked, remoteDigest: OLD }), host: 'pi' },
        { ...container('db', 'failed', { reason: 'host unreachable: timed out' }), host: 'edge' },
      ]),
      hosts: [
        { name: 'nas', reachable: true },
        { name: 'pi', reachable: true },
        { name: 'edge', reachable: false },
      ],
    });
    const samples = await scrape(registry);
    const name = 'refit_container_update_available';
    expect(valueOf(samples, name, { container: 'web', image: 'registry.test/web:latest', host: 'nas' })).toBe(
      1,
    );
    expect(valueOf(samples, name, { container: 'web', image: 'registry.test/web:latest', host: 'pi' })).toBe(
      0,
    );
    expect(valueOf(samples, 'refit_host_reachable', { host: 'nas' })).toBe(1);
    expect(valueOf(samples, 'refit_host_reachable', { host: 'edge' })).toBe(0);
  });

  it('counts a run limited to one container without calling it a scan or dropping other series', async () => {
    const { registry, metrics } = setup();
    metrics.observeCycle(
      report([
        container('web', 'stale', { ...checked, remoteDigest: NEW }),
        container('db', 'stale', { ...checked, remoteDigest: NEW }),
      ]),
    );
    metrics.observeLimitedRun(
      report([container('web', 'updated', { ...checked, remoteDigest: NEW, newId: 'web-2' })]),
    );
    metrics.observeLimitedRun(
      report([{ ...container('db', 'rolled-back', { ...checked, remoteDigest: NEW }), requested: true }]),
    );
    const samples = await scrape(registry);
    const name = 'refit_container_update_available';
    expect(valueOf(samples, name, { container: 'web', image: 'registry.test/web:latest' })).toBe(0);
    expect(valueOf(samples, name, { container: 'db', image: 'registry.test/db:latest' })).toBe(1);
    expect(valueOf(samples, 'watchtower_scans_total')).toBe(1);
    expect(valueOf(samples, 'watchtower_containers_scanned')).toBe(2);
    expect(valueOf(samples, 'refit_container_updates_total', { result: 'updated' })).toBe(1);
    // Rolled back because someone asked: not a failed update.
    expect(valueOf(samples, 'refit_rollbacks_total')).toBe(0);
  });

  it('accumulates update outcomes and rollbacks across cycles', async () => {
    const { registry, metrics } = setup();
    const first = await scrape(registry);
    expect(valueOf(first, 'refit_container_updates_total', { result: 'updated' })).toBe(0);
    expect(valueOf(first, 'refit_rollbacks_total')).toBe(0);

    const cycle = report([
      container('web', 'updated', { ...checked, remoteDigest: NEW, newId: 'web-new' }),
      container('api', 'rolled-back', { ...checked, remoteDigest: NEW }),
      container('queue', 'failed', { ...checked, remoteDigest: NEW }),
      // Failed while being checked: not an update attempt.
      container('broken', 'failed'),
      container('cache', 'stale', { ...checked, remoteDigest: NEW }),
    ]);
    metrics.observeCycle(cycle);
    metrics.observeCycle(cycle);
    const samples = await scrape(registry);
    expect(valueOf(samples, 'refit_container_updates_total', { result: 'updated' })).toBe(2);
    expect(valueOf(samples, 'refit_container_updates_total', { result: 'rolled-back' })).toBe(2);
    expect(valueOf(samples, 'refit_container_updates_total', { result: 'failed' })).toBe(2);
    expect(valueOf(samples, 'refit_rollbacks_total')).toBe(2);
  });

  it('records cycle durations in seconds', async () => {
    const { registry, metrics } = setup();
    metrics.observeCycle(report([], 1_700_000_000_000, 30));
    metrics.observeCycle(report([], 1_700_000_000_000, 90_000));
    const samples = await scrape(registry);
    const bucket = (le: string): number => valueOf(samples, 'refit_cycle_duration_seconds_bucket', { le });
    expect(bucket('0.05')).toBe(1);
    expect(bucket('60')).toBe(1);
    expect(bucket('120')).toBe(2);
    expect(bucket('600')).toBe(2);
    expect(bucket('+Inf')).toBe(2);
    expect(valueOf(samples, 'refit_cycle_duration_seconds_count')).toBe(2);
    expect(valueOf(samples, 'refit_cycle_duration_seconds_sum')).toBeCloseTo(90.03);
  });

  it('stamps the last successful cycle and keeps it through failed ones', async () => {
    const { registry, metrics } = setup();
    const name = 'refit_last_successful_cycle_timestamp_seconds';
    expect(valueOf(await scrape(registry), name)).toBe(0);

    // A rollback leaves the container running its old image: the cycle still succeeded.
    metrics.observeCycle(
      report([container('api', 'rolled-back', { ...checked, remoteDigest: NEW })], 1_700_000_000_000, 2000),
    );
    expect(valueOf(await scrape(registry), name)).toBe(1_700_000_002);

    metrics.observeCycle(report([container('queue', 'failed')], 1_700_000_100_000, 2000));
    expect(valueOf(await scrape(registry), name)).toBe(1_700_000_002);
  });

  it('falls back to the clock when the report has no readable finish time', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { collectDefault: false, now: () => 1_800_000_000_000 });
    metrics.observeCycle({ ...report([]), finishedAt: 'not a date' });
    expect(valueOf(await scrape(registry), 'refit_last_successful_cycle_timestamp_seconds')).toBe(
      1_800_000_000,
    );
  });

  it('counts registry requests by registry, kind and status', async () => {
    const { registry, metrics } = setup();
    metrics.registryRequest({ registry: 'ghcr.io', kind: 'manifest', method: 'HEAD', status: 401 });
    metrics.registryRequest({ registry: 'ghcr.io', kind: 'token', method: 'GET', status: 200 });
    metrics.registryRequest({ registry: 'ghcr.io', kind: 'manifest', method: 'HEAD', status: 200 });
    metrics.registryRequest({ registry: 'ghcr.io', kind: 'manifest', method: 'GET', status: 200 });
    metrics.registryRequest({ registry: 'registry.test', kind: 'manifest', method: 'HEAD', status: 'error' });
    const samples = await scrape(registry);
    const name = 'refit_registry_requests_total';
    expect(valueOf(samples, name, { registry: 'ghcr.io', kind: 'manifest', status: '200' })).toBe(2);
    expect(valueOf(samples, name, { registry: 'ghcr.io', kind: 'manifest', status: '401' })).toBe(1);
    expect(valueOf(samples, name, { registry: 'ghcr.io', kind: 'token', status: '200' })).toBe(1);
    expect(valueOf(samples, name, { registry: 'registry.test', kind: 'manifest', status: 'error' })).toBe(1);
    expect(series(samples, name)).toHaveLength(4);
  });

  it('counts notification outcomes by channel', async () => {
    const { registry, metrics } = setup();
    metrics.notification('email', true);
    metrics.notification('email', true);
    metrics.notification('slack', false);
    const samples = await scrape(registry);
    const name = 'refit_notifications_total';
    expect(valueOf(samples, name, { channel: 'email', result: 'sent' })).toBe(2);
    expect(valueOf(samples, name, { channel: 'slack', result: 'failed' })).toBe(1);
    expect(series(samples, name)).toHaveLength(2);
  });

  it('registers process metrics on the given registry only when asked', async () => {
    const withDefaults = new Registry();
    createMetrics(withDefaults);
    const samples = await scrape(withDefaults);
    expect(series(samples, 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(series(samples, 'nodejs_heap_size_used_bytes')).toHaveLength(1);

    const { registry } = setup();
    const plain = await scrape(registry);
    expect(series(plain, 'process_cpu_user_seconds_total')).toHaveLength(0);
    expect(series(plain, 'watchtower_scans_total')).toHaveLength(1);
  });

  it('keeps separate registries independent', async () => {
    const a = setup();
    const b = setup();
    a.metrics.scanSkipped('interval');
    expect(valueOf(await scrape(a.registry), 'watchtower_scans_skipped')).toBe(1);
    expect(valueOf(await scrape(b.registry), 'watchtower_scans_skipped')).toBe(0);
  });
});
