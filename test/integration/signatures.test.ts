/**
 * cosign signature verification against the bed's token-auth registry: images built and pushed
 * with Docker, signatures produced in cosign's format by the tests and pushed beside them.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageReference } from '../../src/domain/image-ref.js';
import { createStaticCredentialProvider } from '../../src/registry/credentials.js';
import type { RegistryRequestEvent } from '../../src/registry/registry-http.js';
import {
  createRegistryClient,
  type ClosableRegistryClient,
} from '../../src/registry/undici-registry-client.js';
import { createSignatureVerifier, type SignatureVerifier } from '../../src/trust/cosign-verifier.js';
import { setUpSignatures } from '../../src/trust/signature-settings.js';
import { generateCosignKeyPair, pushCosignSignature, type CosignKeyPair } from '../support/cosign-signing.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

let bed: Testbed;
let keysDir: string;
let client: ClosableRegistryClient;
let verifier: SignatureVerifier;
const events: RegistryRequestEvent[] = [];
const release: CosignKeyPair = generateCosignKeyPair();
const stranger: CosignKeyPair = generateCosignKeyPair();
let image: string;
const tags: string[] = [];

/** Builds and pushes a new image under `image`; resolves to its manifest digest. */
async function pushNew(): Promise<string> {
  await buildTestImage(image, { bed });
  tags.push(image);
  return pushImage(image, { bed });
}

beforeAll(async () => {
  bed = loadTestbed();
  image = `${bed.registries.token.host}/refit-it/${uniqueName('signed')}:latest`;
  keysDir = await mkdtemp(join(tmpdir(), 'refit-keys-'));
  await writeFile(join(keysDir, 'release.pub'), release.publicKeyPem);
  const setup = await setUpSignatures({ keysDir, method: 'cosign', keyName: 'release' });
  if (!setup.ok) throw new Error(JSON.stringify(setup.problems));
  const { username, password } = bed.registries.token;
  client = createRegistryClient({
    credentials: createStaticCredentialProvider({ username, password }),
    insecureRegistries: [],
    timeoutMs: 10_000,
    onRequest: (event) => events.push(event),
  });
  verifier = createSignatureVerifier({ artifacts: client, keys: setup.defaults.keys });
});

afterAll(async () => {
  await client.close();
  await rm(keysDir, { recursive: true, force: true });
  await docker(['image', 'rm', '--force', ...new Set(tags)], { bed }).catch(() => undefined);
});

const verify = (digest: string) =>
  verifier.verify({ reference: parseImageReference(image), digest, keyName: 'release' });

describe('cosign signatures on the test bed', () => {
  it('verifies an image signed with the key, reading only its signature', async () => {
    const digest = await pushNew();
    await pushCosignSignature({ image, digest, privateKey: release.privateKey, bed });
    // The check a cycle makes first: the digest is the one signed.
    expect((await client.getManifestDigest(parseImageReference(image))).digest).toBe(digest);
    const before = events.length;
    await expect(verify(digest)).resolves.toEqual({ kind: 'verified', keyName: 'release', source: 'tag' });
    // The signature manifest and the payload blob (a token for the repository is already cached).
    expect(events.slice(before).map((event) => `${event.kind} ${event.method} ${event.status}`)).toEqual([
      'signature GET 200',
      'signature GET 200',
    ]);
  }, 120_000);

  it('says "no signature" for the next digest, unsigned', async () => {
    const digest = await pushNew();
    await expect(verify(digest)).resolves.toMatchObject({
      kind: 'no signature',
      detail: expect.stringContaining(`sha256-${digest.slice('sha256:'.length)}.sig`) as unknown,
    });
  }, 120_000);

  it('says "signature does not verify" for a digest signed with another key', async () => {
    const digest = await pushNew();
    await pushCosignSignature({ image, digest, privateKey: stranger.privateKey, bed });
    await expect(verify(digest)).resolves.toMatchObject({ kind: 'signature does not verify' });
  }, 120_000);

  it('says "payload mismatch" for a signature by the key over another digest', async () => {
    const signed = await pushNew();
    const other = await pushNew();
    await pushCosignSignature({
      image,
      digest: other,
      payloadDigest: signed,
      privateKey: release.privateKey,
      bed,
    });
    await expect(verify(other)).resolves.toMatchObject({
      kind: 'payload mismatch',
      detail: expect.stringContaining(`names digest "${signed}"`) as unknown,
    });
  }, 120_000);
});
