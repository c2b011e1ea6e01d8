import { describe, expect, it } from 'vitest';
import { retagReference } from '../../../src/policy/retag.js';

describe('retagReference', () => {
  it.each([
    ['postgres:16.3-alpine', '16.4-alpine', 'postgres:16.4-alpine'],
    ['postgres', '17', 'postgres:17'],
    ['ghcr.io/acme/web:v1.4.2', 'v1.5.0', 'ghcr.io/acme/web:v1.5.0'],
    ['registry.example.com:5000/team/app:1.0', '1.1', 'registry.example.com:5000/team/app:1.1'],
    ['localhost:5000/app', '2.0.0', 'localhost:5000/app:2.0.0'],
    [`app:1.0@sha256:${'a'.repeat(64)}`, '1.1', 'app:1.1'],
  ])('retags %s as %s', (reference, tag, expected) => {
    expect(retagReference(reference, tag)).toBe(expected);
  });

  it('refuses a tag Docker would not take', () => {
    expect(() => retagReference('app:1.0', 'bad tag')).toThrow(/invalid image reference/);
  });
});
