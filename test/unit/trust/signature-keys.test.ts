import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSignatureKeys } from '../../../src/trust/signature-keys.js';
import { setUpSignatures } from '../../../src/trust/signature-settings.js';
import { generateCosignKeyPair } from '../../support/cosign-signing.js';

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function keysDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'refit-keys-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const pem = (): string => generateCosignKeyPair().publicKeyPem;

describe('loadSignatureKeys', () => {
  it('names each *.pub and *.pem key by its file name and leaves other files alone', async () => {
    const dir = await keysDir({
      'release.pub': pem(),
      'ci-2025.pem': pem(),
      'README.md': '# keys',
      '.hidden.pub': 'x',
    });
    const loaded = await loadSignatureKeys(dir);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.keys.names()).toEqual(['ci-2025', 'release']);
    expect(loaded.keys.get('release')).toMatchObject({
      name: 'release',
      scheme: 'ecdsa-sha256',
      file: join(dir, 'release.pub'),
    });
  });

  it('reports every unusable file by path, never quoting it', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const secret = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    const dir = await keysDir({
      'good.pub': pem(),
      'cosign.pem': secret,
      'garbage.pub': 'hello',
      'broken.pub': '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
      'k1.pub': k1.toString(),
      'small.pub': small.toString(),
      'bad name.pub': pem(),
    });
    const loaded = await loadSignatureKeys(dir);
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    const bySource = Object.fromEntries(loaded.problems.map((problem) => [problem.source, problem.message]));
    expect(Object.keys(bySource).sort()).toEqual(
      ['bad name.pub', 'broken.pub', 'cosign.pem', 'garbage.pub', 'k1.pub', 'small.pub'].map((name) =>
        join(dir, name),
      ),
    );
    expect(bySource[join(dir, 'cosign.pem')]).toContain('private key');
    expect(bySource[join(dir, 'k1.pub')]).toContain('secp256k1');
    expect(bySource[join(dir, 'small.pub')]).toContain('1024 bits');
    expect(JSON.stringify(loaded.problems)).not.toContain(secret.split('\n')[1]);
  });

  it('refuses an empty or missing directory', async () => {
    const empty = await keysDir({ 'notes.txt': 'no keys here' });
    expect(await loadSignatureKeys(empty)).toEqual({
      ok: false,
      problems: [{ source: empty, message: 'holds no public key (.pub or .pem file)' }],
    });
    const missing = join(empty, 'nope');
    const loaded = await loadSignatureKeys(missing);
    expect(loaded).toMatchObject({ ok: false, problems: [{ source: missing }] });
  });
});

describe('setUpSignatures', () => {
  it('needs nothing when verification is off and no keys are configured', async () => {
    const setup = await setUpSignatures({ keysDir: undefined, method: 'none', keyName: undefined });
    expect(setup.ok && setup.defaults.keys.names()).toEqual([]);
  });

  it('names the variable when cosign or a default key comes without a keys directory', async () => {
    expect(await setUpSignatures({ keysDir: undefined, method: 'cosign', keyName: 'release' })).toEqual({
      ok: false,
      problems: [
        { source: 'REFIT_SIGNATURE_VERIFY', message: 'cosign verification needs REFIT_SIGNATURE_KEYS_DIR' },
        { source: 'REFIT_SIGNATURE_KEY', message: 'names a key, but REFIT_SIGNATURE_KEYS_DIR is not set' },
      ],
    });
  });

  it('refuses a default key the directory does not hold', async () => {
    const dir = await keysDir({ 'release.pub': pem() });
    expect(await setUpSignatures({ keysDir: dir, method: 'cosign', keyName: 'relase' })).toEqual({
      ok: false,
      problems: [
        {
          source: 'REFIT_SIGNATURE_KEY',
          message: `names key "relase", which ${dir} does not hold (keys: release)`,
        },
      ],
    });
    const good = await setUpSignatures({ keysDir: dir, method: 'cosign', keyName: 'release' });
    expect(good.ok && good.defaults.method).toBe('cosign');
  });
});
