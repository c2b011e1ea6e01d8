import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cooldownVerdict, plausibleCreated, readCooldownValue } from '../../../src/policy/cooldown.js';
import {
  createImageAgeStore,
  createMemoryImageAgeStore,
  ImageAges,
  imageAgesFile,
  type ImageAgeStore,
} from '../../../src/policy/image-age-store.js';

const HOUR = 3600;
const NOW = Date.parse('2025-06-01T12:00:00Z');
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

describe('cooldownVerdict', () => {
  it('lets everything through without a cooldown', () => {
    expect(cooldownVerdict(0, { createdAt: NOW, firstSeenAt: NOW }, NOW)).toEqual({ kind: 'eligible' });
  });

  it('counts the age from created: pending until created + cooldown, eligible from then on', () => {
    const createdAt = NOW - 2 * HOUR * 1000;
    expect(cooldownVerdict(24 * HOUR, { createdAt, firstSeenAt: NOW }, NOW)).toEqual({
      kind: 'pending',
      eligibleAt: createdAt + 24 * HOUR * 1000,
      basis: 'created',
    });
    expect(cooldownVerdict(24 * HOUR, { createdAt, firstSeenAt: NOW }, createdAt + 24 * HOUR * 1000)).toEqual(
      {
        kind: 'eligible',
      },
    );
    // An image built a week ago but first seen now is old enough: created is what counts.
    const weekOld = NOW - 7 * 24 * HOUR * 1000;
    expect(cooldownVerdict(24 * HOUR, { createdAt: weekOld, firstSeenAt: NOW }, NOW)).toEqual({
      kind: 'eligible',
    });
  });

  it('falls back to first seen when created is unknown', () => {
    const firstSeenAt = NOW - HOUR * 1000;
    expect(cooldownVerdict(3 * HOUR, { createdAt: undefined, firstSeenAt }, NOW)).toEqual({
      kind: 'pending',
      eligibleAt: firstSeenAt + 3 * HOUR * 1000,
      basis: 'first-seen',
    });
  });

  it('does not trust a created of 1970 (reproducible builds) or far in the future', () => {
    expect(plausibleCreated(0, NOW)).toBe(false);
    expect(plausibleCreated(Date.parse('1980-01-01T00:00:00Z'), NOW)).toBe(false);
    expect(plausibleCreated(NOW + 2 * 24 * HOUR * 1000, NOW)).toBe(false);
    expect(plausibleCreated(NOW + HOUR * 1000, NOW)).toBe(true);
    expect(cooldownVerdict(HOUR, { createdAt: 0, firstSeenAt: NOW }, NOW)).toMatchObject({
      kind: 'pending',
      basis: 'first-seen',
      eligibleAt: NOW + HOUR * 1000,
    });
  });
});

describe('readCooldownValue', () => {
  it('reads the fork units and plain seconds', () => {
    expect(readCooldownValue('refit.cooldown', '24h')).toBe(24 * HOUR);
    expect(readCooldownValue('refit.cooldown', '3d12h')).toBe(84 * HOUR);
    expect(readCooldownValue('refit.cooldown', '1w')).toBe(7 * 24 * HOUR);
    expect(readCooldownValue('refit.cooldown', '1M')).toBe(30 * 24 * HOUR);
    expect(readCooldownValue('refit.cooldown', '90m')).toBe(90 * 60);
    expect(readCooldownValue('refit.cooldown', '0')).toBe(0);
    expect(readCooldownValue('refit.cooldown', '3600')).toBe(HOUR);
  });

  it('names the label and its value when it cannot read it', () => {
    expect(readCooldownValue('refit.cooldown', 'soon')).toEqual({
      problem: 'label refit.cooldown="soon" is not a duration like 24h, 3d or 0',
    });
    expect(readCooldownValue('com.centurylinklabs.watchtower.cooldown-delay', '400d')).toEqual({
      problem:
        'label com.centurylinklabs.watchtower.cooldown-delay="400d" is out of range: expected at most 8784h',
    });
  });
});

describe('ImageAges', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('records first sight once and keeps it', async () => {
    const store = createMemoryImageAgeStore();
    const ages = await ImageAges.load(store);
    expect(ages.firstSeen(DIGEST_A, NOW)).toBe(NOW);
    expect(ages.firstSeen(DIGEST_A, NOW + 5000)).toBe(NOW);
    expect(ages.created(DIGEST_A)).toBeUndefined();
    await ages.save();
    expect(store.current().get(DIGEST_A)).toEqual({ firstSeenAt: '2025-06-01T12:00:00.000Z' });
  });

  it('remembers created, including that a config has none, across a restart in the state directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refit-ages-'));
    dirs.push(dir);
    const ages = await ImageAges.load(createImageAgeStore(dir));
    ages.firstSeen(DIGEST_A, NOW);
    ages.recordCreated(DIGEST_A, Date.parse('2025-05-30T08:00:00Z'), NOW);
    ages.firstSeen(DIGEST_B, NOW);
    ages.recordCreated(DIGEST_B, null, NOW);
    await ages.save();
    expect(JSON.parse(readFileSync(imageAgesFile(dir), 'utf8'))).toEqual({
      version: 1,
      images: {
        [DIGEST_A]: { firstSeenAt: '2025-06-01T12:00:00.000Z', createdAt: '2025-05-30T08:00:00.000Z' },
        [DIGEST_B]: { firstSeenAt: '2025-06-01T12:00:00.000Z', createdAt: null },
      },
    });
    const restarted = await ImageAges.load(createImageAgeStore(dir));
    expect(restarted.firstSeen(DIGEST_A, NOW + 99_000)).toBe(NOW);
    expect(restarted.created(DIGEST_A)).toBe(Date.parse('2025-05-30T08:00:00Z'));
    expect(restarted.created(DIGEST_B)).toBeNull();
  });

  it('forgets digests no longer waiting, and writes only when something changed', async () => {
    let saves = 0;
    const memory = createMemoryImageAgeStore();
    const store: ImageAgeStore = {
      load: () => memory.load(),
      save: (entries) => {
        saves += 1;
        return memory.save(entries);
      },
    };
    const ages = await ImageAges.load(store);
    ages.firstSeen(DIGEST_A, NOW);
    ages.firstSeen(DIGEST_B, NOW);
    await ages.save();
    await ages.save();
    expect(saves).toBe(1);
    ages.retain([DIGEST_B]);
    await ages.save();
    expect([...memory.current().keys()]).toEqual([DIGEST_B]);
    expect(saves).toBe(2);
  });

  it('fails with a typed error naming the file when it is damaged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refit-ages-'));
    dirs.push(dir);
    writeFileSync(imageAgesFile(dir), '{"version":1,"images":{"x":{"firstSeenAt":"yesterday"}}}');
    await expect(ImageAges.load(createImageAgeStore(dir))).rejects.toMatchObject({
      code: 'IMAGE_AGES_ERROR',
      message: expect.stringContaining('image-ages.json has an unexpected shape') as unknown,
    });
  });
});
