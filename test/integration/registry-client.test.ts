import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../src/domain/image-ref.js';
import { createCredentialProvider } from '../../src/registry/credential-provider.js';
import { createStaticCredentialProvider, type CredentialProvider } from '../../src/registry/credentials.js';
import { RegistryError } from '../../src/registry/registry-error.js';
import type { RegistryRequestEvent } from '../../src/registry/registry-http.js';
import {
  createRegistryClient,
  type ClosableRegistryClient,
} from '../../src/registry/undici-registry-client.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const ANONYMOUS: CredentialProvider = { getCredentials: () => Promise.resolve(undefined) };

let bed: Testbed;
const clients: ClosableRegistryClient[] = [];

beforeAll(() => {
  bed = loadTestbed();
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

function client(
  credentials: CredentialProvider,
  events: RegistryRequestEvent[] = [],
): ClosableRegistryClient {
  const created = createRegistryClient({
    credentials,
    insecureRegistries: [],
    timeoutMs: 10_000,
    onRequest: (event) => events.push(event),
  });
  clients.push(created);
  return created;
}

function userOf(name: 'basic' | 'token'): CredentialProvider {
  const { username, password } = bed.registries[name];
  return createStaticCredentialProvider({ username, password });
}

/** The seeded references served by one of the bed's registries. */
function seededOn(host: string): [string, string][] {
  return Object.entries(bed.seededDigests).filter(([reference]) => reference.startsWith(`${host}/`));
}

async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return error as RegistryError;
  }
  throw new Error('expected the registry request to fail');
}

describe('registry client against the test bed', () => {
  it('returns every seeded digest of the open registry', async () => {
    const seeded = seededOn(bed.registries.open.host);
    expect(seeded.length).toBeGreaterThan(0);
    const registry = client(ANONYMOUS);
    for (const [reference, digest] of seeded) {
      const answer = await registry.getManifestDigest(parseImageReference(reference));
      expect(answer.digest, reference).toBe(digest);
    }
  });

  it('matches the digests of the image index and the OCI manifest', async () => {
    const registry = client(ANONYMOUS);
    const index = await registry.getManifestDigest(parseImageReference(bed.images.index));
    expect(index.digest).toBe(bed.seededDigests[bed.images.index]);
    expect(index.mediaType).toBe(OCI_INDEX);
    const oci = await registry.getManifestDigest(parseImageReference(bed.images.oci));
    expect(oci.digest).toBe(bed.seededDigests[bed.images.oci]);
    expect(oci.mediaType).toBe(OCI_MANIFEST);
  });

  describe('basic auth registry', () => {
    it('returns the seeded digests with credentials', async () => {
      const seeded = seededOn(bed.registries.basic.host);
      expect(seeded.length).toBeGreaterThan(0);
      const registry = client(userOf('basic'));
      for (const [reference, digest] of seeded) {
        expect((await registry.getManifestDigest(parseImageReference(reference))).digest, reference).toBe(
          digest,
        );
      }
    });

    it('is UNAUTHORIZED without credentials', async () => {
      const [reference] = seededOn(bed.registries.basic.host)[0] ?? [''];
      const error = await failure(client(ANONYMOUS).getManifestDigest(parseImageReference(reference)));
      expect(error.code).toBe('UNAUTHORIZED');
      expect(error.message).toContain(bed.registries.basic.host);
    });

    it('is UNAUTHORIZED with a wrong password, which never appears in the error', async () => {
      const [reference] = seededOn(bed.registries.basic.host)[0] ?? [''];
      const wrong = createStaticCredentialProvider({ username: 'refit', password: 'wrong-password-123' });
      const error = await failure(client(wrong).getManifestDigest(parseImageReference(reference)));
      expect(error.code).toBe('UNAUTHORIZED');
      expect(error.message).not.toContain('wrong-password-123');
    });

    it("uses the credentials `docker login` stored in the bed's config.json", async () => {
      const credentials = createCredentialProvider({ dockerConfigDir: bed.dockerConfigDir });
      const registry = client(credentials);
      for (const [reference, digest] of seededOn(bed.registries.basic.host)) {
        expect((await registry.getManifestDigest(parseImageReference(reference))).digest).toBe(digest);
      }
    });
  });

  describe('token auth registry', () => {
    const publicRef = (): string => `${bed.registries.token.host}/public/busybox:latest`;
    const privateRef = (): string => `${bed.registries.token.host}/testbed/busybox:latest`;

    it('serves public/ to an anonymous token', async () => {
      const answer = await client(ANONYMOUS).getManifestDigest(parseImageReference(publicRef()));
      expect(answer.digest).toBe(bed.seededDigests[publicRef()]);
    });

    it('serves testbed/ with credentials', async () => {
      const registry = client(userOf('token'));
      for (const [reference, digest] of seededOn(bed.registries.token.host)) {
        expect((await registry.getManifestDigest(parseImageReference(reference))).digest, reference).toBe(
          digest,
        );
      }
    });

    it('is UNAUTHORIZED on testbed/ without credentials', async () => {
      const error = await failure(client(ANONYMOUS).getManifestDigest(parseImageReference(privateRef())));
      expect(error.code).toBe('UNAUTHORIZED');
      expect(error.message).toContain(privateRef());
    });

    it('is AUTH_FAILED when the token server rejects the password', async () => {
      const wrong = createStaticCredentialProvider({ username: 'refit', password: 'wrong-password-456' });
      const error = await failure(client(wrong).getManifestDigest(parseImageReference(privateRef())));
      expect(error.code).toBe('AUTH_FAILED');
      expect(error.message).not.toContain('wrong-password-456');
    });

    it('reuses one token across calls: one token request, then one manifest request per call', async () => {
      const events: RegistryRequestEvent[] = [];
      const registry = client(userOf('token'), events);
      const ref = parseImageReference(privateRef());
      await registry.getManifestDigest(ref);
      const afterFirst = events.length;
      await registry.getManifestDigest(ref);
      await registry.getManifestDigest(ref);

      expect(events.filter((event) => event.kind === 'token')).toHaveLength(1);
      expect(events.slice(afterFirst)).toEqual([
        { registry: bed.registries.token.host, kind: 'manifest', method: 'HEAD', status: 200 },
        { registry: bed.registries.token.host, kind: 'manifest', method: 'HEAD', status: 200 },
      ]);
    });

    it('costs a fresh client one check, one token per repository and one manifest request per tag', async () => {
      const events: RegistryRequestEvent[] = [];
      const registry = client(userOf('token'), events);
      const host = bed.registries.token.host;
      const missing = `${host}/testbed/busybox:no-such-tag`;
      // Checked at once, as a cycle does: two repositories, two tags of one of them.
      const [found, publicFound, notFound] = await Promise.allSettled(
        [privateRef(), publicRef(), missing].map((reference) =>
          registry.getManifestDigest(parseImageReference(reference)),
        ),
      );
      expect(found).toMatchObject({
        status: 'fulfilled',
        value: { digest: bed.seededDigests[privateRef()] },
      });
      expect(publicFound).toMatchObject({
        status: 'fulfilled',
        value: { digest: bed.seededDigests[publicRef()] },
      });
      expect(notFound).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND' } });

      const ofKind = (kind: RegistryRequestEvent['kind']): RegistryRequestEvent[] =>
        events.filter((event) => event.kind === kind);
      expect(ofKind('ping')).toEqual([{ registry: host, kind: 'ping', method: 'GET', status: 401 }]);
      expect(ofKind('token').map((event) => event.status)).toEqual([200, 200]);
      expect(
        ofKind('manifest')
          .map((event) => [event.method, event.status])
          .sort(),
      ).toEqual([
        ['HEAD', 200],
        ['HEAD', 200],
        ['HEAD', 404],
      ]);
      expect(events).toHaveLength(6);
    });

    it("uses the credentials `docker login` stored in the bed's config.json", async () => {
      const credentials = createCredentialProvider({ dockerConfigDir: bed.dockerConfigDir });
      const answer = await client(credentials).getManifestDigest(parseImageReference(privateRef()));
      expect(answer.digest).toBe(bed.seededDigests[privateRef()]);
    });
  });

  it('reports a missing tag as NOT_FOUND on every registry', async () => {
    const cases: [string, CredentialProvider][] = [
      [bed.registries.open.host, ANONYMOUS],
      [bed.registries.basic.host, userOf('basic')],
      [bed.registries.token.host, userOf('token')],
    ];
    for (const [host, credentials] of cases) {
      const reference = `${host}/testbed/busybox:no-such-tag`;
      const error = await failure(client(credentials).getManifestDigest(parseImageReference(reference)));
      expect(error.code, host).toBe('NOT_FOUND');
      expect(error.message).toContain(reference);
      expect(error.status).toBe(404);
    }
  });
});
