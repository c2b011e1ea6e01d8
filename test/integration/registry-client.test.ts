import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../src/domain/image-ref.js';
import { createCredentialProvider } from '../../src/registry/credential-provider.js';
import { createStaticCredentialProvider, type CredentialProvider } from '../../src/registry/credentials.js';
import { RegistryError } from '../../src/registry/registry-error.js';
import type { RegistryRequestEvent } from '../../src/registry/registry-http.js';
import { registrySchemesFile } from '../../src/registry/scheme-store.js';
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

  it('checks many manifests over the same few connections instead of one connection per HEAD', async () => {
    const reference = parseImageReference(seededOn(bed.registries.open.host)[0]?.[0] ?? 'missing');
    const dispatcher = new Agent({ keepAliveTimeout: 30_000 });
    let connections = 0;
    dispatcher.on('connect', () => {
      connections += 1;
    });
    const registry = createRegistryClient({
      credentials: ANONYMOUS,
      insecureRegistries: [],
      timeoutMs: 10_000,
      dispatcher,
    });
    try {
      for (let i = 0; i < 12; i += 1) await registry.getManifestDigest(reference);
    } finally {
      await registry.close();
      await dispatcher.close();
    }
    // One connection, and at most one more opened while the first was being handed back.
    expect(connections).toBeGreaterThan(0);
    expect(connections).toBeLessThanOrEqual(2);
  });

  it('costs a fresh client exactly one request per image of the open registry, checked at once', async () => {
    const seeded = seededOn(bed.registries.open.host);
    expect(seeded.length).toBeGreaterThan(2);
    const events: RegistryRequestEvent[] = [];
    const registry = client(ANONYMOUS, events);
    const answers = await Promise.all(
      seeded.map(([reference]) => registry.getManifestDigest(parseImageReference(reference))),
    );
    expect(answers.map((answer) => answer.digest)).toEqual(seeded.map(([, digest]) => digest));
    expect(events).toEqual(
      seeded.map(() => ({
        registry: bed.registries.open.host,
        kind: 'manifest',
        method: 'HEAD',
        status: 200,
      })),
    );
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

    /**
     * Checks the private and the public seeded image and `missing` at once, as a cycle does, and
     * expects the two digests and NOT_FOUND.
     */
    async function checkAtOnce(registry: ClosableRegistryClient, missing: string): Promise<void> {
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
    }

    it('costs a fresh client one 401, one token per repository and one manifest request per tag', async () => {
      const events: RegistryRequestEvent[] = [];
      const registry = client(userOf('token'), events);
      const host = bed.registries.token.host;
      const missing = `${host}/testbed/busybox:no-such-tag`;
      // Checked at once, as a cycle does: two repositories, two tags of one of them.
      await checkAtOnce(registry, missing);

      const ofKind = (kind: RegistryRequestEvent['kind']): RegistryRequestEvent[] =>
        events.filter((event) => event.kind === kind);
      // The first manifest request, sent anonymously, collected the registry's challenge.
      expect(events[0]).toEqual({ registry: host, kind: 'manifest', method: 'HEAD', status: 401 });
      expect(ofKind('token').map((event) => event.status)).toEqual([200, 200]);
      expect(
        ofKind('manifest')
          .slice(1)
          .map((event) => [event.method, event.status])
          .sort(),
      ).toEqual([
        ['HEAD', 200],
        ['HEAD', 200],
        ['HEAD', 404],
      ]);
      expect(events).toHaveLength(6);
    });

    it('makes concurrent first requests to other repositories wait for the one 401', async () => {
      const events: RegistryRequestEvent[] = [];
      const registry = client(userOf('token'), events);
      const host = bed.registries.token.host;
      const missing = `${host}/testbed/no-such-repository:latest`;
      await checkAtOnce(registry, missing);

      // One anonymous 401, then one token per repository and one authenticated request each.
      expect(events.filter((event) => event.status === 401)).toEqual([
        { registry: host, kind: 'manifest', method: 'HEAD', status: 401 },
      ]);
      expect(events[0]?.status).toBe(401);
      expect(events.filter((event) => event.kind === 'token').map((event) => event.status)).toEqual([
        200, 200, 200,
      ]);
      expect(
        events
          .slice(1)
          .filter((event) => event.kind === 'manifest')
          .map((event) => event.status)
          .sort(),
      ).toEqual([200, 200, 404]);
      expect(events).toHaveLength(7);
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

describe('authentication schemes remembered across restarts', () => {
  const stateDirs: string[] = [];
  const privateRef = (): string => `${bed.registries.token.host}/testbed/busybox:latest`;

  afterAll(() => {
    for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
  });

  function schemeFile(content?: unknown): string {
    const dir = mkdtempSync(join(tmpdir(), 'refit-schemes-'));
    stateDirs.push(dir);
    const file = registrySchemesFile(dir);
    if (content !== undefined) writeFileSync(file, JSON.stringify(content));
    return file;
  }

  /** One run of refit: a new client given the state file, closed (and the file saved) after `work`. */
  async function run(file: string, work: (registry: ClosableRegistryClient) => Promise<void>) {
    const events: RegistryRequestEvent[] = [];
    const registry = createRegistryClient({
      credentials: userOf('token'),
      insecureRegistries: [],
      timeoutMs: 10_000,
      onRequest: (event) => events.push(event),
      schemeFile: file,
    });
    try {
      await work(registry);
    } finally {
      await registry.close();
    }
    return { events };
  }

  const digestOf = async (registry: ClosableRegistryClient): Promise<void> => {
    const answer = await registry.getManifestDigest(parseImageReference(privateRef()));
    expect(answer.digest).toBe(bed.seededDigests[privateRef()]);
  };

  const tokenScheme = (): unknown => ({
    version: 1,
    registries: {
      [bed.registries.token.host]: {
        kind: 'bearer',
        realm: bed.registries.token.realm,
        service: bed.registries.token.service,
      },
    },
  });

  it('collects one 401 from the token registry, then a restarted client sends only one token and one manifest request', async () => {
    const file = schemeFile();
    const first = await run(file, digestOf);
    expect(first.events.map((event) => [event.kind, event.status])).toEqual([
      ['manifest', 401],
      ['token', 200],
      ['manifest', 200],
    ]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(tokenScheme());

    const restarted = await run(file, digestOf);
    expect(restarted.events.map((event) => [event.kind, event.status])).toEqual([
      ['token', 200],
      ['manifest', 200],
    ]);
  });

  it('answers correctly when the file says the token registry is open, and then stores its token scheme', async () => {
    const file = schemeFile({ version: 1, registries: { [bed.registries.token.host]: { kind: 'none' } } });
    const stale = await run(file, digestOf);
    expect(stale.events.map((event) => [event.kind, event.status])).toEqual([
      ['manifest', 401],
      ['token', 200],
      ['manifest', 200],
    ]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(tokenScheme());
  });

  it('finds the token server again when the remembered one no longer answers', async () => {
    // Nothing listens on port 1: the token server "moved" to the bed's realm.
    const file = schemeFile({
      version: 1,
      registries: {
        [bed.registries.token.host]: {
          kind: 'bearer',
          realm: 'http://127.0.0.1:1/token',
          service: bed.registries.token.service,
        },
      },
    });
    const moved = await run(file, digestOf);
    expect(moved.events.map((event) => [event.kind, event.status])).toEqual([
      ['token', 'error'],
      ['manifest', 401],
      ['token', 200],
      ['manifest', 200],
    ]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(tokenScheme());
  });
});
