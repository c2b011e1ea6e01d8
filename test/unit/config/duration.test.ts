import { describe, expect, it } from 'vitest';
import { parseDurationSeconds } from '../../../src/config/duration.js';

describe('parseDurationSeconds', () => {
  it.each([
    ['30', 30],
    ['1.5', 1.5],
    ['0', 0],
    ['30s', 30],
    ['1m30s', 90],
    ['2h45m', 9900],
    ['1.5h', 5400],
    ['500ms', 0.5],
    ['1s500ms', 1.5],
    ['100us', 0.0001],
    ['100µs', 0.0001],
    ['10ns', 1e-8],
    ['.5s', 0.5],
    [' 10s ', 10],
  ])('reads %j as %s seconds', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it.each(['', 's', '10x', '-5s', '1s2', '1d', '1 m', 'ten'])('rejects %j', (text) => {
    expect(parseDurationSeconds(text)).toBeUndefined();
  });
});
