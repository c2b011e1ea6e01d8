/**
 * The docs may only name variables refit reads (as options, or Watchtower's accepted without
 * effect), and the Watchtower migration guide must list everything refit takes over from
 * Watchtower. test/unit/config/watchtower-surface.test.ts holds the guide's full table to the parser.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { envNames, fileEnvNames, valueFlags } from '../../../src/config/option-spec.js';
import { certPathVariable } from '../../../src/start/host-specs.js';
import { OPTIONS } from '../../../src/config/options.js';
import { ACCEPTED_SETTINGS } from '../../../src/config/watchtower-notes.js';
import { HOOK_PHASES, hookLabels, LABELS, SELF_LABELS } from '../../../src/domain/labels.js';
import { createMetrics } from '../../../src/metrics/metrics.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOCS = join(ROOT, 'docs');
const PAGES = [
  'README.md',
  ...readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const GUIDE_PATH = 'docs/migrating-from-watchtower.md';
const guide = read(GUIDE_PATH);

const KNOWN = new Set([
  ...OPTIONS.flatMap((option) => [...envNames(option), ...fileEnvNames(option)]),
  // Earlier refit names refit still reads.
  ...OPTIONS.flatMap((option) => (option.formerNames?.env === undefined ? [] : [option.formerNames.env])),
  ...ACCEPTED_SETTINGS.flatMap((setting) => setting.env),
]);
const VARIABLE = /\b(?:REFIT|WATCHTOWER)_[A-Z0-9_]*(\*)?/g;

/** The test bed's own variables, documented in testing.md and read by its script, not by refit. */
const testbedScript = read('scripts/testbed.sh');

/** Variables the example compose file interpolates (`${NAME:?…}`) are Compose's, set in `.env`. */
const COMPOSE_VARIABLES = new Set(
  [...read('docker-compose.example.yml').matchAll(/\$\{([A-Z0-9_]+)/g)].map((match) => match[1]),
);

interface Mention {
  readonly page: string;
  readonly name: string;
  /** `REFIT_*` or `WATCHTOWER_NOTIFICATION_EMAIL_*`: stands for the variables it prefixes. */
  readonly prefix: boolean;
}

const mentions: Mention[] = PAGES.flatMap((page) =>
  [...read(page).matchAll(VARIABLE)].map((match) => ({
    page,
    name: match[0].replace(/\*$/, ''),
    prefix: match[1] !== undefined || match[0].endsWith('_'),
  })),
);

function isAllowed(mention: Mention): boolean {
  if (mention.prefix) return [...KNOWN].some((name) => name.startsWith(mention.name));
  if (KNOWN.has(mention.name)) return true;
  // One variable per named engine: REFIT_DOCKER_CERT_PATH_<NAME>.
  if (mention.name.startsWith(certPathVariable(''))) return true;
  if (COMPOSE_VARIABLES.has(mention.name)) return true;
  return mention.page === 'docs/testing.md' && testbedScript.includes(mention.name);
}

describe('variables named in README.md and docs/', () => {
  it('finds names to check, in refit style and Watchtower style', () => {
    expect(mentions.some((mention) => mention.name.startsWith('REFIT_'))).toBe(true);
    expect(mentions.some((mention) => mention.name.startsWith('WATCHTOWER_'))).toBe(true);
  });

  it('are all read by refit, or accepted from Watchtower', () => {
    const unknown = mentions.filter((mention) => !isAllowed(mention));
    expect(unknown.map((mention) => `${mention.page}: ${mention.name}`)).toEqual([]);
  });
});

describe('the migration guide', () => {
  const code = (name: string): string => `\`${name}\``;

  const aliases = OPTIONS.flatMap((option) => envNames(option).slice(1));
  it.each(aliases)('maps the Watchtower variable %s', (alias) => {
    expect(guide).toContain(code(alias));
  });

  const flagAliases = OPTIONS.flatMap((option) => [
    ...valueFlags(option).slice(1),
    ...(option.switchFlags ?? []).flatMap((flag) => [
      flag.flag,
      ...(flag.short === undefined ? [] : [`-${flag.short}`]),
    ]),
  ]);
  it.each(flagAliases)('maps the Watchtower flag %s', (flag) => {
    expect(guide).toContain(code(flag));
  });

  const watchtowerLabels = [
    ...Object.values(LABELS).map((name) => name.watchtower),
    ...SELF_LABELS.filter((name) => !name.startsWith('refit.')),
    ...HOOK_PHASES.flatMap((phase) => [
      hookLabels(phase).command.watchtower,
      hookLabels(phase).timeout.watchtower,
    ]),
  ];
  it.each(watchtowerLabels)('lists the label %s', (label) => {
    expect(guide).toContain(code(label));
  });

  it("names Watchtower's HTTP endpoints and metrics", async () => {
    const registry = new Registry();
    createMetrics(registry, { collectDefault: false });
    const watchtowerMetrics = (await registry.getMetricsAsJSON())
      .map((metric) => metric.name)
      .filter((name) => name.startsWith('watchtower_'));
    expect(watchtowerMetrics).toHaveLength(5);
    for (const name of ['/v1/update', '/v1/metrics', ...watchtowerMetrics])
      expect(guide).toContain(code(name));
  });
});
