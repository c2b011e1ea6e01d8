/**
 * The registry reads of the update policies against the bed's real registries: tag lists (at most
 * one request per repository per cycle, pages followed, ETags honoured) and image configs (an
 * index's platform entry, created and labels, cached per digest).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../src/domain/image-ref.js';
import { chooseTag } from '../../src/policy/follow-tags.js';
import { releaseNotes } from '../../src/policy/release-notes.js';
import { createStaticCredentialProvider, type CredentialProvider } from '../../src/registry/credentials.js';
import type { RegistryRequestEvent } from '../../src/registry/registry-http.js';
import {
  createRegistryClient,
  type ClosableRegistryClient,
  type RegistryClientOptions,
} from '../../src/registry/undici-registry-client.js';
import { buildTestImage, pushImage, pushOciManifest } from '../support/images.js';
import { startPaginatingFront, type PaginatingFront } from '../support/paginating-front.js';
import { registryLog, type AccessLogEntry } from '../support/registry-logs.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const ISSUE_TAGS = ['1.0.0', '1.0.1', '1.1.0', '2.0.0', '2.1.0-rc1'];
const ANONYMOUS: CredentialProvider = { getCredentials: () => Promise.resolve(undefined) };

let bed: Testbed;
let tokenHost: string;
/** A repository of the token registry holding the issue's example tags. */
let repository: string;
let digest: string;
const clients: ClosableRegistryClient[] = [];
const fronts: PaginatingFront[] = [];

beforeAll(async () => {
  bed = loadTestbed();
  tokenHost = bed.registries.token.host;
  const seeded = Object.keys(bed.seededDigests).find((reference) => reference.startsWith(`${tokenHost}/`));
  if (seeded === undefined) throw new Error('the bed seeded nothing in the token registry');
  repository = `${uniqueName('policy')}/app`;
  const digests = [];
  for (const tag of ISSUE_TAGS) {
    digests.push(await pushOciManifest(seeded, `${tokenHost}/${repository}:${tag}`, { bed }));
  }
  digest = digests[0] ?? '';
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all(fronts.map((front) => front.close()));
});

function client(
  credentials: CredentialProvider,
  events: RegistryRequestEvent[] = [],
  options: Partial<RegistryClientOptions> = {},
): ClosableRegistryClient {
  const created = createRegistryClient({
    credentials,
    insecureRegistries: [],
    timeoutMs: 10_000,
    onRequest: (event) => events.push(event),
    ...options,
  });
  clients.push(created);
  return created;
}

function tokenUser(): CredentialProvider {
  const { username, password } = bed.registries.token;
  return createStaticCredentialProvider({ username, password });
}

const tagListRequests = (entries: readonly AccessLogEntry[]): AccessLogEntry[] =>
  entries.filter((entry) => entry.method === 'GET' && entry.path.includes('/tags/list'));

describe('tag lists', () => {
  it('lists a repository once per cycle for all its containers, through bearer auth', async () => {
    const log = registryLog('token', { bed });
    const mark = log.mark();
    const events: RegistryRequestEvent[] = [];
    const registry = client(tokenUser(), events);
    registry.beginCycle();
    // Three containers of the repository, on three tags, check at once.
    const lists = await Promise.all(
      ['1.0.0', '1.1.0', '2.0.0'].map((tag) =>
        registry.listTags(parseImageReference(`${tokenHost}/${repository}:${tag}`)),
      ),
    );
    for (const tags of lists) expect([...tags].sort()).toEqual(ISSUE_TAGS);
    const entries = await log.waitFor(mark, (found) => tagListRequests(found).some((e) => e.status === 200), {
      repository,
    });
    expect(tagListRequests(entries).map((entry) => entry.status)).toEqual([401, 200]);
    expect(entries.every((entry) => entry.userAgent.startsWith('refit'))).toBe(true);

    // The chosen tag is checked by digest like any tag.
    const choice = chooseTag('1.0.0', lists[0] ?? [], 'major');
    expect(choice).toMatchObject({ kind: 'newer', tag: '2.0.0' });
    const chosen = choice.kind === 'newer' ? choice.tag : '';
    const checked = await registry.getManifestDigest(
      parseImageReference(`${tokenHost}/${repository}:${chosen}`),
    );
    expect(checked.digest).toBe(digest);

    // The next cycle reads the list again, once.
    const second = log.mark();
    registry.beginCycle();
    await Promise.all([
      registry.listTags(parseImageReference(`${tokenHost}/${repository}:1.0.0`)),
      registry.listTags(parseImageReference(`${tokenHost}/${repository}:2.0.0`)),
    ]);
    const again = await log.waitFor(second, (found) => tagListRequests(found).length > 0, { repository });
    expect(tagListRequests(again).map((entry) => entry.status)).toEqual([200]);
    expect(events.filter((event) => event.kind === 'tags').map((event) => event.status)).toEqual([
      401, 200, 200,
    ]);
  });

  it('follows the pages of a paginating registry and reuses unchanged ones by ETag', async () => {
    const front = await startPaginatingFront({ target: `http://${tokenHost}`, pageSize: 2 });
    fronts.push(front);
    const log = registryLog('token', { bed });
    const mark = log.mark();
    const registry = client(tokenUser(), [], { tagsPageSize: 2 });
    const ref = parseImageReference(`${front.host}/${repository}:1.0.0`);

    registry.beginCycle();
    const tags = await registry.listTags(ref);
    expect(tags).toEqual(['1.0.0', '1.0.1', '1.1.0', '2.0.0', '2.1.0-rc1']);
    const list = `/v2/${repository}/tags/list`;
    expect(front.pages).toEqual([
      { path: `${list}?n=2`, status: 401 },
      { path: `${list}?n=2`, status: 200 },
      { path: `${list}?last=1.0.1&n=2`, status: 200 },
      { path: `${list}?last=2.0.0&n=2`, status: 200 },
    ]);
    // Each page came from the real registry, authenticated.
    const forwarded = await log.waitFor(mark, (found) => tagListRequests(found).length >= 4, { repository });
    expect(tagListRequests(forwarded).map((entry) => entry.status)).toEqual([401, 200, 200, 200]);

    front.pages.length = 0;
    registry.beginCycle();
    await expect(registry.listTags(ref)).resolves.toEqual(tags);
    expect(front.pages.map((page) => page.status)).toEqual([304, 304, 304]);
  });
});

describe('image configs', () => {
  it('reads created and the OCI labels of a pushed image, once per digest', async () => {
    const reference = `${bed.registries.open.host}/${uniqueName('policy-config')}/app:1.5.0`;
    const before = Date.now();
    await buildTestImage(reference, {
      bed,
      labels: {
        'org.opencontainers.image.version': '1.5.0',
        'org.opencontainers.image.source': 'https://github.com/acme/app',
        'org.opencontainers.image.revision': 'fedcba9876543210fedcba9876543210fedcba98',
      },
    });
    const pushed = await pushImage(reference, { bed });
    const ref = parseImageReference(reference);
    const log = registryLog('open', { bed });
    const mark = log.mark();
    const events: RegistryRequestEvent[] = [];
    const registry = client(ANONYMOUS, events);
    const facts = await registry.getImageConfig(ref, pushed);
    expect(facts.labels).toMatchObject({ 'org.opencontainers.image.version': '1.5.0' });
    expect(facts.createdAt).toBeGreaterThan(before - 60_000);
    expect(facts.createdAt).toBeLessThanOrEqual(Date.now());
    await registry.getImageConfig(ref, pushed);
    expect(events.map((event) => `${event.kind} ${event.method} ${event.status}`)).toEqual([
      'config GET 200',
      'config GET 200',
    ]);
    const entries = await log.waitFor(mark, (found) => found.length >= 2, { repository: ref.repository });
    expect(entries.map((entry) => `${entry.method} ${entry.path.split('/').slice(-2, -1)[0] ?? ''}`)).toEqual(
      ['GET manifests', 'GET blobs'],
    );
    expect(releaseNotes(facts.labels, {})).toMatchObject({
      version: '1.5.0',
      link: 'https://github.com/acme/app/releases/tag/1.5.0',
    });
  });

  it('picks the platform entry of the seeded image index', async () => {
    const ref = parseImageReference(bed.images.index);
    const indexDigest = bed.seededDigests[bed.images.index];
    if (indexDigest === undefined) throw new Error('the bed has no seeded index digest');
    const registry = client(ANONYMOUS);
    const amd64 = await registry.getImageConfig(ref, indexDigest, { os: 'linux', architecture: 'amd64' });
    const arm64 = await registry.getImageConfig(ref, indexDigest, { os: 'linux', architecture: 'arm64' });
    expect(amd64.platform).toMatchObject({ os: 'linux', architecture: 'amd64' });
    expect(arm64.platform).toMatchObject({ os: 'linux', architecture: 'arm64' });
    expect(arm64.configDigest).not.toBe(amd64.configDigest);
  });
});
