/**
 * Rate limits, request pacing and mirrors against the bed's real registries, through small
 * HTTP fronts that add what the bed's registries cannot do themselves.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../src/domain/image-ref.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createStaticCredentialProvider, type CredentialProvider } from '../../src/registry/credentials.js';
import type { RegistryRequestEvent } from '../../src/registry/registry-http.js';
import {
  createRegistryClient,
  type ClosableRegistryClient,
  type RegistryClientOptions,
} from '../../src/registry/undici-registry-client.js';
import { refitUserAgent } from '../../src/registry/user-agent.js';
import { pushOciManifest } from '../support/images.js';
import { headManifestDigest } from '../support/registry-api.js';
import { startRegistryFront, type RegistryFront } from '../support/registry-front.js';
import { registryLog } from '../support/registry-logs.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const ANONYMOUS: CredentialProvider = { getCredentials: () => Promise.resolve(undefined) };
const USER_AGENT = refitUserAgent('0.0.0-test');

let bed: Testbed;
let open: string;
/** A repository of the open registry with tags t1…t4, all the bed's busybox. */
let repository: string;
let digest: string;
const clients: ClosableRegistryClient[] = [];
const fronts: RegistryFront[] = [];

beforeAll(async () => {
  bed = loadTestbed();
  open = bed.registries.open.host;
  repository = `refit-it/${uniqueName('reach')}`;
  const source = `${open}/testbed/busybox:latest`;
  for (const tag of ['t1', 't2', 't3', 't4'])
    digest = await pushOciManifest(source, `${open}/${repository}:${tag}`, { bed });
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all(fronts.map((front) => front.close()));
});

function client(
  options: Partial<RegistryClientOptions> = {},
  events: RegistryRequestEvent[] = [],
): ClosableRegistryClient {
  const created = createRegistryClient({
    credentials: ANONYMOUS,
    insecureRegistries: [],
    timeoutMs: 10_000,
    userAgent: USER_AGENT,
    onRequest: (event) => events.push(event),
    ...options,
  });
  clients.push(created);
  return created;
}

async function front(
  decide: Parameters<typeof startRegistryFront>[0]['decide'],
  target?: string,
): Promise<RegistryFront> {
  const started = await startRegistryFront({ decide, ...(target === undefined ? {} : { target }) });
  fronts.push(started);
  return started;
}

const isManifest = (path: string | undefined): boolean => /\/manifests\//.test(path ?? '');

describe('User-Agent', () => {
  it("is refit/<version> in the registry's access log", async () => {
    const log = registryLog('open', { bed });
    const mark = log.mark();
    await client().getManifestDigest(parseImageReference(`${open}/${repository}:t1`));
    const entries = await log.waitFor(mark, (found) => found.length > 0, { repository });
    expect(entries.map((entry) => entry.userAgent)).toEqual([USER_AGENT]);
  });
});

describe('rate-limit headers', () => {
  it('show in the metrics, and at the reserve the rest of that registry is skipped while another is checked', async () => {
    let remaining = 5;
    const limited = await front((req) => {
      if (!isManifest(req.url)) return { forward: true };
      remaining -= 1;
      return {
        forward: true,
        addHeaders: {
          'ratelimit-limit': '100;w=21600',
          'ratelimit-remaining': `${remaining};w=21600`,
          'docker-ratelimit-source': '192.0.2.10',
        },
      };
    }, `http://${open}`);
    const metricsRegistry = new Registry();
    const metrics = createMetrics(metricsRegistry, { collectDefault: false });
    const registry = client({
      rateLimitPolicy: { reserve: { count: 3 }, warn: { percent: 20 } },
      onRateLimit: (event) => {
        metrics.registryRateLimit(event);
      },
    });
    const viaFront = (tag: string) =>
      registry.getManifestDigest(parseImageReference(`${limited.host}/${repository}:${tag}`));
    const direct = (tag: string) =>
      registry.getManifestDigest(parseImageReference(`${open}/${repository}:${tag}`));

    await expect(viaFront('t1')).resolves.toMatchObject({ digest });
    await expect(viaFront('t2')).resolves.toMatchObject({ digest });
    // Down to 3, the reserve: the next images of that registry are not asked about.
    await expect(viaFront('t3')).rejects.toMatchObject({
      code: 'RATE_LIMIT_RESERVE',
      registry: limited.host,
    });
    await expect(viaFront('t4')).rejects.toMatchObject({ code: 'RATE_LIMIT_RESERVE' });
    await expect(direct('t3')).resolves.toMatchObject({ digest });
    await expect(direct('t4')).resolves.toMatchObject({ digest });
    expect(limited.requests.filter((request) => isManifest(request.path))).toHaveLength(2);

    const exposition = await metricsRegistry.metrics();
    expect(exposition).toContain(`refit_registry_ratelimit_limit{registry="${limited.host}"} 100`);
    expect(exposition).toContain(`refit_registry_ratelimit_remaining{registry="${limited.host}"} 3`);

    // A new cycle asks once more and learns the budget afresh: still at the reserve, so one answer.
    registry.beginCycle();
    await expect(viaFront('t3')).resolves.toMatchObject({ digest });
    await expect(viaFront('t4')).rejects.toMatchObject({ code: 'RATE_LIMIT_RESERVE' });
    expect(limited.requests.filter((request) => isManifest(request.path))).toHaveLength(3);
  });

  it('rides out a 429 storm within the retry budget, waiting as Retry-After asks', async () => {
    const storm = await front((req, index) => {
      if (isManifest(req.url) && index < 3) return { status: 429, headers: { 'retry-after': '1' } };
      return { forward: true };
    }, `http://${open}`);
    const events: RegistryRequestEvent[] = [];
    const registry = client({ maxRateLimitRetries: 3 }, events);
    const started = Date.now();
    await expect(
      registry.getManifestDigest(parseImageReference(`${storm.host}/${repository}:t1`)),
    ).resolves.toMatchObject({ digest });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(events.map((event) => event.status)).toEqual([429, 429, 429, 200]);
    expect(storm.requests.every((request) => request.userAgent === USER_AGENT)).toBe(true);
  });

  it('gives up with RATE_LIMITED when the storm outlasts the retry budget', async () => {
    const storm = await front(() => ({ status: 429, headers: { 'retry-after': '1' } }));
    const registry = client({ maxRateLimitRetries: 1 });
    await expect(
      registry.getManifestDigest(parseImageReference(`${storm.host}/${repository}:t1`)),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(storm.requests).toHaveLength(2);
  });
});

describe('request budget', () => {
  it('spaces the requests to one registry past the burst', async () => {
    const events: RegistryRequestEvent[] = [];
    const registry = client({ requestBudget: { ratePerSecond: 5, burst: 2 } }, events);
    const started = Date.now();
    await Promise.all(
      ['t1', 't2', 't3', 't4'].map((tag) =>
        registry.getManifestDigest(parseImageReference(`${open}/${repository}:${tag}`)),
      ),
    );
    // Two at once, then one every 200 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(events).toHaveLength(4);
  });
});

describe('registry mirrors', () => {
  it('fall back to the origin when the mirror fails, and leave the failed mirror alone for the cycle', async () => {
    const broken = await front(() => ({ status: 503 }));
    const events: RegistryRequestEvent[] = [];
    const registry = client({ mirrors: [{ registry: open, url: `http://${broken.host}` }] }, events);
    for (const tag of ['t1', 't2']) {
      await expect(
        registry.getManifestDigest(parseImageReference(`${open}/${repository}:${tag}`)),
      ).resolves.toMatchObject({
        digest,
      });
    }
    expect(broken.requests).toHaveLength(1);
    expect(events.map((event) => `${event.registry} ${event.status}`)).toEqual([
      `${broken.host} 503`,
      `${open} 200`,
      `${open} 200`,
    ]);
    // Pulls leave it alone too: the engine is sent to the origin straight away.
    expect(registry.pullSources(parseImageReference(`${open}/${repository}:t1`), digest)).toEqual([
      { reference: `${open}/${repository}@${digest}`, registry: open, mirror: false },
    ]);
  });

  it('fall back when nothing listens at the mirror', async () => {
    const gone = await front(() => ({ status: 200 }));
    await gone.close();
    const registry = client({ mirrors: [{ registry: open, url: `http://${gone.host}` }] });
    await expect(
      registry.getManifestDigest(parseImageReference(`${open}/${repository}:t1`)),
    ).resolves.toMatchObject({
      digest,
    });
  });

  it('spare the origin any request when the mirror answers', async () => {
    // The bed's basic-auth registry plays the mirror: it holds the same repository.
    const mirror = bed.registries.basic;
    const mirrored = `${repository}-mirrored`;
    const mirroredDigest = await pushOciManifest(
      `${open}/${repository}:t1`,
      `${mirror.host}/${mirrored}:t1`,
      { bed },
    );
    await pushOciManifest(`${open}/${repository}:t1`, `${open}/${mirrored}:t1`, { bed });
    const registry = client({
      mirrors: [{ registry: open, url: `http://${mirror.host}` }],
      credentials: {
        getCredentials: (host) =>
          host === mirror.host
            ? createStaticCredentialProvider(mirror).getCredentials(host)
            : Promise.resolve(undefined),
      },
    });
    const log = registryLog('open', { bed });
    const mark = log.mark();

    await expect(
      registry.getManifestDigest(parseImageReference(`${open}/${mirrored}:t1`)),
    ).resolves.toMatchObject({
      digest: mirroredDigest,
    });
    // A request of our own to the origin, after refit's: once the log shows it, it would show refit's.
    expect(await headManifestDigest(bed, `${open}/${repository}:t2`)).toBe(digest);
    await log.waitFor(mark, (entries) => entries.length > 0, { repository });
    expect(log.since(mark, { repository: mirrored })).toEqual([]);
    expect(registry.pullSources(parseImageReference(`${open}/${mirrored}:t1`), mirroredDigest)).toEqual([
      { reference: `${mirror.host}/${mirrored}@${mirroredDigest}`, registry: mirror.host, mirror: true },
      { reference: `${open}/${mirrored}@${mirroredDigest}`, registry: open, mirror: false },
    ]);
  });
});
