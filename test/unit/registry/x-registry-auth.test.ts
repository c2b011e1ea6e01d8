import { describe, expect, it } from 'vitest';
import { encodeRegistryAuth } from '../../../src/registry/x-registry-auth.js';

function decode(header: string): unknown {
  return JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
}

describe('encodeRegistryAuth', () => {
  it('encodes user, password and server address as base64url JSON', () => {
    const header = encodeRegistryAuth({ username: 'refit', password: 'p>?>?~' }, 'ghcr.io');
    expect(decode(header)).toEqual({ username: 'refit', password: 'p>?>?~', serveraddress: 'ghcr.io' });
    expect(header).not.toMatch(/[+/]/);
  });

  it("names Docker Hub by Docker's own server address", () => {
    expect(decode(encodeRegistryAuth({ username: 'u', password: 'p' }, 'docker.io'))).toMatchObject({
      serveraddress: 'https://index.docker.io/v1/',
    });
  });

  it('sends an identity token as identitytoken', () => {
    expect(decode(encodeRegistryAuth({ identityToken: 'refresh' }, '127.0.0.1:5000'))).toEqual({
      identitytoken: 'refresh',
      serveraddress: '127.0.0.1:5000',
    });
  });
});
