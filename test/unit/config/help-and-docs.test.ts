import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { envNames, fileEnvNames, valueFlags } from '../../../src/config/option-spec.js';
import { OPTIONS } from '../../../src/config/options.js';
import { renderHelp } from '../../../src/config/render-help.js';
import { buildConfigurationDoc, CONFIGURATION_DOC_PATH } from '../../../scripts/generate-config-docs.js';

const everyName = OPTIONS.flatMap((option) => [...envNames(option), ...fileEnvNames(option)]);
const everyFlag = OPTIONS.flatMap((option) => [
  ...valueFlags(option),
  ...(option.switchFlags ?? []).map((flag) => flag.flag),
]);

describe('--help', () => {
  const help = renderHelp();

  it('starts with the usage line', () => {
    expect(help.split('\n')[0]).toBe('Usage: refit [options] [container names...]');
  });

  it.each(everyName)('mentions %s', (name) => {
    expect(help).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it.each(everyFlag)('mentions %s', (flag) => {
    expect(help).toContain(flag);
  });

  it('is what loadConfig returns for --help', () => {
    expect(loadConfig({ argv: ['--help'], env: {} })).toEqual({ kind: 'help', text: help });
  });

  it('shows each default and group', () => {
    for (const option of OPTIONS) expect(help).toContain(`default ${option.defaultText}`);
    expect(help).toContain('Scheduling:');
    expect(help).toContain('Notifications and HTTP API:');
  });
});

describe('docs/configuration.md', () => {
  it('is up to date with the option table (run `npm run docs` if this fails)', async () => {
    const committed = readFileSync(CONFIGURATION_DOC_PATH, 'utf8');
    expect(committed, 'docs/configuration.md is stale: run `npm run docs`').toBe(
      await buildConfigurationDoc(),
    );
  });

  it.each(everyName)('documents %s', (name) => {
    expect(readFileSync(CONFIGURATION_DOC_PATH, 'utf8')).toContain(`\`${name}\``);
  });
});
