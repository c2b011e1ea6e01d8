import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';

function capture(isTTY: boolean): { stream: Writable & { isTTY: boolean }; text: () => string } {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => chunks.join('') };
}

describe('createLogger', () => {
  it('writes JSON lines when not on a terminal, with fields first and a fixed message', () => {
    const out = capture(false);
    createLogger({ level: 'info', format: 'auto', destination: out.stream }).info(
      { image: 'nginx' },
      'pulled image',
    );
    const line = JSON.parse(out.text()) as Record<string, unknown>;
    expect(line).toMatchObject({ image: 'nginx', msg: 'pulled image', app: 'refit' });
  });

  it('writes readable lines on a terminal', () => {
    const out = capture(true);
    createLogger({ level: 'info', format: 'auto', destination: out.stream }).info('cycle finished');
    expect(out.text()).toMatch(/INFO.*cycle finished/);
    expect(() => JSON.parse(out.text()) as unknown).toThrow();
  });

  it('never prints credentials, even nested or passed by accident', () => {
    const out = capture(false);
    const logger = createLogger({ level: 'debug', format: 'json', destination: out.stream });
    logger.child({ container: 'app' }).warn(
      {
        registry: { password: 'pw-123', token: 'tok-456' },
        headers: { authorization: 'Bearer abc-789' },
        repoPass: 'pw-000',
      },
      'auth failed',
    );
    const text = out.text();
    for (const secret of ['pw-123', 'tok-456', 'abc-789', 'pw-000']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('honours the level', () => {
    const out = capture(false);
    const logger = createLogger({ level: 'warn', format: 'json', destination: out.stream });
    logger.info('hidden');
    logger.warn('shown');
    expect(out.text()).not.toContain('hidden');
    expect(out.text()).toContain('shown');
  });
});
