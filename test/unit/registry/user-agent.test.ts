import { afterEach, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../../src/domain/image-ref.js';
import { refitUserAgent } from '../../../src/registry/user-agent.js';
import { digestHeaders, mockRegistry, type MockRegistry } from '../../support/registry-mock.js';

let current: MockRegistry | undefined;
afterEach(async () => {
  await current?.done();
  current = undefined;
});

describe('User-Agent', () => {
  it('is refit/<version>', () => {
    expect(refitUserAgent('1.2.3')).toBe('refit/1.2.3');
  });

  it('goes with manifest and token requests alike', async () => {
    current = mockRegistry({
      userAgent: refitUserAgent('9.9.9'),
      credentials: { 'registry.example.com': { username: 'refit', password: 'secret' } },
    });
    // Interceptors match only with the header: a request without it would be unmatched and fail.
    const seen = { 'user-agent': 'refit/9.9.9' };
    const registry = current.pool('https://registry.example.com');
    registry.intercept({ path: '/v2/team/app/manifests/1.0', method: 'HEAD', headers: seen }).reply(401, '', {
      headers: {
        'www-authenticate': 'Bearer realm="https://auth.example.com/token",service="registry.example.com"',
      },
    });
    current
      .pool('https://auth.example.com')
      .intercept({ path: /^\/token/, method: 'GET', headers: seen })
      .reply(200, JSON.stringify({ token: 'tok', expires_in: 300 }));
    registry
      .intercept({ path: '/v2/team/app/manifests/1.0', method: 'HEAD', headers: seen })
      .reply(200, '', { headers: digestHeaders() });

    await current.client.getManifestDigest(parseImageReference('registry.example.com/team/app:1.0'));
    expect(current.events.map((event) => event.kind)).toEqual(['manifest', 'token', 'manifest']);
  });
});
