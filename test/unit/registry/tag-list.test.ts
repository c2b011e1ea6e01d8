import { afterEach, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import { nextLink } from '../../../src/registry/tag-list.js';
import { mockRegistry, type MockRegistry } from '../../support/registry-mock.js';

const HOST = 'registry.example.com';
const ORIGIN = `https://${HOST}`;
const REF = parseImageReference(`${HOST}/team/app:1.0.0`);
const LIST = '/v2/team/app/tags/list';
const CHALLENGE = `Bearer realm="https://auth.example.com/token",service="${HOST}"`;

let current: MockRegistry | undefined;
afterEach(async () => {
  await current?.done();
  current = undefined;
});

function page(tags: readonly string[] | null): string {
  return JSON.stringify({ name: 'team/app', tags });
}

const json = { 'content-type': 'application/json' };

describe('listTags', () => {
  it('reads one page, through the request hook as kind "tags"', async () => {
    current = mockRegistry();
    current
      .pool(ORIGIN)
      .intercept({ path: LIST, method: 'GET', headers: { accept: 'application/json' } })
      .reply(200, page(['1.0.0', '1.1.0', 'latest']), { headers: json });
    await expect(current.client.listTags(REF)).resolves.toEqual(['1.0.0', '1.1.0', 'latest']);
    expect(current.events).toEqual([{ registry: HOST, kind: 'tags', method: 'GET', status: 200 }]);
  });

  it('follows Link rel="next" through every page, relative and absolute, n and last included', async () => {
    current = mockRegistry({ tagsPageSize: 2 });
    const pool = current.pool(ORIGIN);
    pool.intercept({ path: `${LIST}?n=2`, method: 'GET' }).reply(200, page(['1.0.0', '1.0.1']), {
      headers: { ...json, link: `<${LIST}?last=1.0.1&n=2>; rel="next"` },
    });
    pool.intercept({ path: `${LIST}?last=1.0.1&n=2`, method: 'GET' }).reply(200, page(['1.1.0', '2.0.0']), {
      headers: { ...json, link: `<${ORIGIN}${LIST}?last=2.0.0&n=2>; rel="next"` },
    });
    pool.intercept({ path: `${LIST}?last=2.0.0&n=2`, method: 'GET' }).reply(200, page(['2.1.0-rc1']), {
      headers: json,
    });
    await expect(current.client.listTags(REF)).resolves.toEqual([
      '1.0.0',
      '1.0.1',
      '1.1.0',
      '2.0.0',
      '2.1.0-rc1',
    ]);
    expect(current.events.map((event) => event.kind)).toEqual(['tags', 'tags', 'tags']);
  });

  it('reads a repository at most once per cycle, however many ask, and again next cycle', async () => {
    current = mockRegistry();
    const pool = current.pool(ORIGIN);
    pool.intercept({ path: LIST, method: 'GET' }).reply(200, page(['1.0.0']), { headers: json });
    const [a, b] = await Promise.all([
      current.client.listTags(REF),
      current.client.listTags({ ...REF, tag: '2.0.0' }),
    ]);
    expect(a).toEqual(['1.0.0']);
    expect(b).toBe(a);
    await expect(current.client.listTags(REF)).resolves.toEqual(['1.0.0']);
    expect(current.events).toHaveLength(1);

    current.client.beginCycle();
    pool.intercept({ path: LIST, method: 'GET' }).reply(200, page(['1.0.0', '1.0.1']), { headers: json });
    await expect(current.client.listTags(REF)).resolves.toEqual(['1.0.0', '1.0.1']);
    expect(current.events).toHaveLength(2);
  });

  it('asks with If-None-Match next cycle and reuses every page the registry answers 304', async () => {
    current = mockRegistry({ tagsPageSize: 1 });
    const pool = current.pool(ORIGIN);
    pool.intercept({ path: `${LIST}?n=1`, method: 'GET' }).reply(200, page(['1.0.0']), {
      headers: { ...json, etag: '"p1"', link: `<${LIST}?last=1.0.0&n=1>; rel="next"` },
    });
    pool.intercept({ path: `${LIST}?last=1.0.0&n=1`, method: 'GET' }).reply(200, page(['1.0.1']), {
      headers: { ...json, etag: '"p2"' },
    });
    await expect(current.client.listTags(REF)).resolves.toEqual(['1.0.0', '1.0.1']);

    current.client.beginCycle();
    pool
      .intercept({ path: `${LIST}?n=1`, method: 'GET', headers: { 'if-none-match': '"p1"' } })
      .reply(304, '', { headers: { etag: '"p1"' } });
    // The last page changed: a new tag was pushed.
    pool
      .intercept({ path: `${LIST}?last=1.0.0&n=1`, method: 'GET', headers: { 'if-none-match': '"p2"' } })
      .reply(200, page(['1.0.1', '1.0.2']), { headers: { ...json, etag: '"p2b"' } });
    await expect(current.client.listTags(REF)).resolves.toEqual(['1.0.0', '1.0.1', '1.0.2']);

    current.client.beginCycle();
    pool
      .intercept({ path: `${LIST}?n=1`, method: 'GET', headers: { 'if-none-match': '"p1"' } })
      .reply(304, '');
    pool
      .intercept({ path: `${LIST}?last=1.0.0&n=1`, method: 'GET', headers: { 'if-none-match': '"p2b"' } })
      .reply(304, '');
    await expect(current.client.listTags(REF)).resolves.toEqual(['1.0.0', '1.0.1', '1.0.2']);
    expect(current.events.map((event) => event.status)).toEqual([200, 200, 304, 200, 304, 304]);
  });

  it('sends no If-None-Match for a registry that gave no ETag', async () => {
    current = mockRegistry();
    const pool = current.pool(ORIGIN);
    pool.intercept({ path: LIST, method: 'GET' }).reply(200, page(['1']), { headers: json });
    await current.client.listTags(REF);
    current.client.beginCycle();
    pool
      .intercept({ path: LIST, method: 'GET', headers: (headers) => headers['if-none-match'] === undefined })
      .reply(200, page(['1', '2']), { headers: json });
    await expect(current.client.listTags(REF)).resolves.toEqual(['1', '2']);
  });

  it('authenticates like a manifest check: a bearer token for the repository', async () => {
    current = mockRegistry();
    current
      .pool(ORIGIN)
      .intercept({ path: LIST, method: 'GET', headers: (h) => h['authorization'] === undefined })
      .reply(401, '', { headers: { 'www-authenticate': CHALLENGE } });
    current
      .pool('https://auth.example.com')
      .intercept({ path: `/token?service=${HOST}&scope=repository:team/app:pull`, method: 'GET' })
      .reply(200, JSON.stringify({ token: 'tok', expires_in: 300 }));
    current
      .pool(ORIGIN)
      .intercept({ path: LIST, method: 'GET', headers: { authorization: 'Bearer tok' } })
      .reply(200, page(['1.0.0']), { headers: json });
    await expect(current.client.listTags(REF)).resolves.toEqual(['1.0.0']);
    expect(current.events.map((event) => `${event.kind} ${event.status}`)).toEqual([
      'tags 401',
      'token 200',
      'tags 200',
    ]);
  });

  it('reads a list of null tags (every tag deleted) as empty', async () => {
    current = mockRegistry();
    current.pool(ORIGIN).intercept({ path: LIST, method: 'GET' }).reply(200, page(null), { headers: json });
    await expect(current.client.listTags(REF)).resolves.toEqual([]);
  });

  it('fails with NOT_FOUND for an unknown repository, once per cycle for every caller', async () => {
    current = mockRegistry();
    current
      .pool(ORIGIN)
      .intercept({ path: LIST, method: 'GET' })
      .reply(404, '{"errors":[{"code":"NAME_UNKNOWN"}]}');
    await expect(current.client.listTags(REF)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `${HOST}/team/app:1.0.0: the registry has no such repository (HTTP 404)`,
    });
    await expect(current.client.listTags(REF)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(current.events).toHaveLength(1);
  });

  it('refuses a body that is not a tag list', async () => {
    current = mockRegistry();
    current.pool(ORIGIN).intercept({ path: LIST, method: 'GET' }).reply(200, '<html>', { headers: json });
    await expect(current.client.listTags(REF)).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('refuses a next page on another host or path, which would carry the credentials away', async () => {
    current = mockRegistry();
    const pool = current.pool(ORIGIN);
    pool.intercept({ path: LIST, method: 'GET' }).reply(200, page(['1']), {
      headers: { ...json, link: '<https://elsewhere.example/v2/team/app/tags/list?last=1>; rel="next"' },
    });
    await expect(current.client.listTags(REF)).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
      reason: 'the tag list links its next page elsewhere',
    });
    current.client.beginCycle();
    pool.intercept({ path: LIST, method: 'GET' }).reply(200, page(['1']), {
      headers: { ...json, link: '</v2/other/repo/tags/list?last=1>; rel="next"' },
    });
    await expect(current.client.listTags(REF)).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('gives up on a registry whose Link never ends', async () => {
    current = mockRegistry();
    current
      .pool(ORIGIN)
      .intercept({ path: (path) => path.startsWith(LIST), method: 'GET' })
      .reply(200, page(['x']), { headers: { ...json, link: `<${LIST}?last=x>; rel="next"` } })
      .times(200);
    await expect(current.client.listTags(REF)).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
      reason: 'the tag list has more than 200 pages',
    });
  });
});

describe('nextLink', () => {
  it.each([
    ['</v2/a/tags/list?last=b&n=2>; rel="next"', '/v2/a/tags/list?last=b&n=2'],
    ['</first>; rel="prev", </second>; rel=next', '/second'],
    [
      '<https://r.example/v2/a/tags/list?n=1&last=z>;rel="next last"',
      'https://r.example/v2/a/tags/list?n=1&last=z',
    ],
    ['</x>; title="a"; REL="Next"', '/x'],
  ])('reads %s', (header, expected) => {
    expect(nextLink(header)).toBe(expected);
  });

  it('finds nothing without a next link', () => {
    expect(nextLink('</x>; rel="prev"')).toBeUndefined();
    expect(nextLink('')).toBeUndefined();
  });
});
