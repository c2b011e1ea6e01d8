import { describe, expect, it } from 'vitest';
import { logExcerpt } from '../../../src/update/swap/log-excerpt.js';

const lines = (count: number) => Array.from({ length: count }, (_, i) => `line ${i + 1}`).join('\n');

describe('logExcerpt', () => {
  it('keeps the last lines up to the line bound', () => {
    expect(logExcerpt(lines(20), { lines: 3, bytes: 2000 }, [])).toBe('line 18\nline 19\nline 20');
  });

  it('quotes nothing when either bound is 0', () => {
    expect(logExcerpt(lines(5), { lines: 0, bytes: 2000 }, [])).toBe('');
    expect(logExcerpt(lines(5), { lines: 10, bytes: 0 }, [])).toBe('');
  });

  it('keeps the end within the byte bound, starting on a whole line, and marks the cut', () => {
    const excerpt = logExcerpt(lines(10), { lines: 10, bytes: 20 }, []);
    expect(excerpt).toBe('…\nline 9\nline 10');
    expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(20);
  });

  it('cuts a single long line, never in the middle of a character', () => {
    const excerpt = logExcerpt(`fatal: ${'é'.repeat(100)}`, { lines: 10, bytes: 15 }, []);
    expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(15);
    expect(excerpt).toMatch(/^…é+$/);
  });

  it('redacts secrets before cutting, so a cut never leaves half a secret to recognise', () => {
    const secret = 'p4ssw0rd-very-long-secret-value';
    const raw = `starting\nconnecting with ${secret}\nfailed`;
    const excerpt = logExcerpt(raw, { lines: 10, bytes: 30 }, [secret]);
    expect(excerpt).not.toContain('p4ss');
    expect(excerpt).not.toContain('secret-value');
    expect(logExcerpt(raw, { lines: 10, bytes: 2000 }, [secret])).toBe(
      'starting\nconnecting with [redacted]\nfailed',
    );
  });

  it('drops terminal colours, control characters and blank edges', () => {
    expect(logExcerpt('\n\u001b[31mERROR\u001b[0m boom\u0007\r\n\n', { lines: 10, bytes: 2000 }, [])).toBe(
      'ERROR boom',
    );
  });
});
