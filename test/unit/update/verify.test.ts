import { describe, expect, it } from 'vitest';
import type { ContainerRuntime } from '../../../src/docker/container-runtime.js';
import { containerDocument } from '../../support/documents.js';
import { verifyStarted, type VerifyOptions } from '../../../src/update/swap/verify.js';

const PASSWORD = 'correct-horse-battery';

/** A new container that exited, whose log prints its password among many lines. */
function crashedContainer(logLines: number): ContainerRuntime & { tails: number[] } {
  const tails: number[] = [];
  const inspect = containerDocument({
    Id: 'n'.repeat(64),
    Name: '/app',
    Image: 'sha256:1',
    State: { Status: 'exited', Running: false, ExitCode: 1, StartedAt: '2025-01-01T00:00:00Z' },
    Config: { Image: 'app:latest', Env: [`DB_PASSWORD=${PASSWORD}`, 'MODE=prod'] },
    HostConfig: {},
  });
  const log = [
    ...Array.from({ length: logLines }, (_, i) => `booting step ${i + 1}`),
    `connecting to postgres://app:${PASSWORD}@db/app`,
    `using password ${PASSWORD}`,
    'Authorization: Bearer abcdefghijklmnop',
    'fatal: cannot connect',
  ];
  return {
    tails,
    inspectContainer: () => Promise.resolve(inspect),
    logsTail: (_id: string, lines: number) => {
      tails.push(lines);
      return Promise.resolve(log.slice(-lines).join('\n'));
    },
  } as unknown as ContainerRuntime & { tails: number[] };
}

function options(lines: number, bytes: number): VerifyOptions {
  let clock = 0;
  return {
    settleMs: 1000,
    healthTimeoutMs: 5000,
    logExcerpt: { lines, bytes },
    sleep: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
    now: () => clock,
  };
}

async function reason(runtime: ContainerRuntime, lines: number, bytes: number): Promise<string> {
  const verdict = await verifyStarted(
    runtime,
    { id: 'new1', hasHealthcheck: false, watch: undefined },
    options(lines, bytes),
  );
  if (verdict.ok) throw new Error('expected a failed verdict');
  return verdict.reason;
}

describe('verifyStarted rollback reasons', () => {
  it("quotes the container's last log lines with its secrets redacted", async () => {
    const text = await reason(crashedContainer(20), 10, 2000);
    expect(text).toMatch(/^the new container exited with code 1; last log lines:\n/);
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain('postgres://app:[redacted]@db/app');
    expect(text).toContain('using password [redacted]');
    expect(text).toContain('Authorization: Bearer [redacted]');
    expect(text.split('\n').slice(1)).toHaveLength(10);
  });

  it('asks the engine for no more lines than the bound, and keeps within the byte bound', async () => {
    const runtime = crashedContainer(50);
    const text = await reason(runtime, 3, 60);
    expect(runtime.tails).toEqual([3]);
    const excerpt = text.slice(text.indexOf('\n') + 1);
    expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(60);
    expect(excerpt.endsWith('fatal: cannot connect')).toBe(true);
  });

  it('quotes no log at all with a bound of 0, and does not read it', async () => {
    const runtime = crashedContainer(5);
    expect(await reason(runtime, 0, 2000)).toBe('the new container exited with code 1');
    expect(await reason(runtime, 10, 0)).toBe('the new container exited with code 1');
    expect(runtime.tails).toEqual([]);
  });
});
