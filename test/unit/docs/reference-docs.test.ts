/**
 * The reference pages must name everything refit reads: every label in docs/labels.md, every
 * flag in docs/configuration.md (its variables are covered by the drift test in
 * test/unit/config/help-and-docs.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { valueFlags } from '../../../src/config/option-spec.js';
import { OPTIONS } from '../../../src/config/options.js';
import { HOOK_PHASES, hookLabels, LABELS, SELF_LABELS } from '../../../src/domain/labels.js';
import { COMPOSE_FILE_LABELS } from '../../../src/policy/compose-file.js';
import { POLICY_LABELS } from '../../../src/policy/policy-labels.js';
import { OCI_LABELS } from '../../../src/policy/release-notes.js';
import { TRUST_LABELS } from '../../../src/trust/signature-policy.js';
import { COMPOSE_LABELS } from '../../../src/update/plan/dependency-references.js';

const docsDir = new URL('../../../docs/', import.meta.url);
const labelsDoc = readFileSync(new URL('labels.md', docsDir), 'utf8');
const configurationDoc = readFileSync(new URL('configuration.md', docsDir), 'utf8');

/** Every label name refit reads from a container, refit's and Watchtower's. */
const labelsRefitReads: readonly string[] = [
  ...Object.values(LABELS).flatMap((name) => [name.refit, name.watchtower]),
  ...SELF_LABELS,
  ...HOOK_PHASES.flatMap((phase) => {
    const { command, timeout } = hookLabels(phase);
    return [command.refit, command.watchtower, timeout.refit, timeout.watchtower];
  }),
  ...Object.values(COMPOSE_LABELS),
  ...Object.values(TRUST_LABELS),
  ...Object.values(POLICY_LABELS),
  ...Object.values(COMPOSE_FILE_LABELS),
  // Read from a new image's config for release notes.
  ...Object.values(OCI_LABELS),
];

describe('docs/labels.md', () => {
  it('has a label list to check', () => {
    // Eight settings and four hook phases, each with two names, plus the self and compose labels.
    expect(labelsRefitReads.length).toBeGreaterThanOrEqual(8 * 2 + 4 * 4 + 2 + 3);
  });

  it.each(labelsRefitReads)('names %s in full', (label) => {
    // Written out as code, so `refit.lifecycle.<phase>` patterns do not count.
    expect(labelsDoc).toContain(`\`${label}\``);
  });
});

describe('docs/configuration.md', () => {
  const flags = OPTIONS.flatMap((option) => [
    ...valueFlags(option),
    ...(option.switchFlags ?? []).flatMap((flag) => [
      flag.flag,
      ...(flag.short === undefined ? [] : [`-${flag.short}`]),
    ]),
  ]);

  it.each(flags)('names the flag %s', (flag) => {
    expect(configurationDoc).toMatch(new RegExp(`\`${flag}(?: <[a-z]+>)?\``));
  });
});
