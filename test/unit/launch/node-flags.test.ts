/**
 * Every way the README runs refit gives node the same V8 settings (bin/node-flags): the
 * container image's ENTRYPOINT, scripts/run.sh, and the tests that start refit as a user would.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { refitNodeFlags } from '../../support/refit-cli.js';

const root = new URL('../../../', import.meta.url);

function entrypoint(): string[] {
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (line === undefined) throw new Error('the Dockerfile has no exec-form ENTRYPOINT');
  return JSON.parse(line) as string[];
}

describe('the daemon V8 settings', () => {
  it('are flags node itself accepts', () => {
    const flags = refitNodeFlags();
    expect(flags.length).toBeGreaterThan(0);
    // node rejects an unknown flag before running anything.
    const out = execFileSync(process.execPath, [...flags, '-e', 'process.stdout.write("ok")'], {
      encoding: 'utf8',
    });
    expect(out).toBe('ok');
  });

  it("are the image ENTRYPOINT's, between node and refit", () => {
    expect(entrypoint()).toEqual(['node', ...refitNodeFlags(), '/app/bin/refit.js']);
  });

  it('are what scripts/run.sh starts refit with', () => {
    const runScript = readFileSync(new URL('scripts/run.sh', root), 'utf8');
    expect(runScript).toContain("grep -v '^#' bin/node-flags");
    expect(runScript).toMatch(/^exec node "\$\{node_flags\[@\]\}" bin\/refit\.js "\$@"$/m);
  });
});
