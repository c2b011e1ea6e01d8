import { describe, expect, it } from 'vitest';
import { readDependsOn } from '../../../src/update/plan/dependency-references.js';
import { labelProblems, type LabelUse } from '../../../src/update/detect/label-problems.js';

const WT = 'com.centurylinklabs.watchtower';
const everything: LabelUse = { updates: true, hooks: true };

describe('readDependsOn', () => {
  it('lists container names, with or without a slash, dropping empty entries', () => {
    expect(readDependsOn({ 'refit.depends-on': ' db , /cache,, ' })).toEqual({
      kind: 'value',
      value: ['db', '/cache'],
      label: 'refit.depends-on',
    });
    expect(readDependsOn({ [`${WT}.depends-on`]: 'a1b2c3d4e5f6' })).toMatchObject({
      value: ['a1b2c3d4e5f6'],
    });
    expect(readDependsOn({})).toEqual({ kind: 'absent' });
  });

  it("keeps refit's empty label as an explicit empty list", () => {
    expect(readDependsOn({ 'refit.depends-on': '', [`${WT}.depends-on`]: 'db' })).toMatchObject({
      kind: 'value',
      value: [],
    });
  });

  it.each(['web db', 'db:5432', '-db', 'db;cache', 'db/1', '.hidden'])(
    'refuses %j, which no container could be named, naming the label',
    (raw) => {
      const found = readDependsOn({ [`${WT}.depends-on`]: `cache,${raw}` });
      expect(found).toMatchObject({ kind: 'invalid', label: `${WT}.depends-on` });
      if (found.kind !== 'invalid') return;
      expect(found.problem).toBe(
        `label ${WT}.depends-on="cache,${raw}" lists "${raw.trim()}", which cannot be a container name`,
      );
    },
  );
});

describe('labelProblems', () => {
  it('finds nothing wrong with no labels, or good ones', () => {
    expect(labelProblems({}, everything)).toEqual([]);
    expect(
      labelProblems(
        {
          'refit.self': 'false',
          'refit.no-pull': 'true',
          'refit.stop-signal': 'SIGINT',
          'refit.stop-timeout': '30s',
          'refit.update-strategy': 'start-first',
          'refit.depends-on': 'db,cache',
          'refit.lifecycle.pre-update': 'true',
          'refit.lifecycle.pre-update-timeout': '0',
        },
        everything,
      ),
    ).toEqual([]);
  });

  it('judges the self labels, which mark refit itself', () => {
    expect(labelProblems({ [WT]: 'ja' }, everything)).toEqual([`label ${WT}="ja" is not true or false`]);
    expect(labelProblems({ 'refit.self': 'maybe' }, { updates: false, hooks: false })).toEqual([
      'label refit.self="maybe" is not true or false',
    ]);
  });

  it('judges each swap setting and depends-on while refit may update', () => {
    const labels = {
      'refit.no-pull': 'often',
      [`${WT}.stop-signal`]: 'SIGNOPE',
      'refit.stop-timeout': '2d',
      [`${WT}.update-strategy`]: 'rolling',
      'refit.depends-on': 'db cache',
    };
    const problems = labelProblems(labels, everything).join('; ');
    for (const label of Object.keys(labels)) expect(problems).toContain(`label ${label}=`);
  });

  it('leaves swap settings and depends-on alone when refit is monitor-only: it never reads them then', () => {
    const labels = { 'refit.stop-signal': 'SIGNOPE', 'refit.depends-on': 'db cache' };
    expect(labelProblems(labels, { updates: false, hooks: true })).toEqual([]);
  });

  it('judges hook timeouts only when hooks run, and the update hooks only when refit may update', () => {
    const labels = {
      'refit.lifecycle.pre-check': 'true',
      'refit.lifecycle.pre-check-timeout': 'x',
      'refit.lifecycle.post-update': 'true',
      [`${WT}.lifecycle.post-update-timeout`]: 'y',
    };
    expect(labelProblems(labels, { updates: true, hooks: false })).toEqual([]);
    expect(labelProblems(labels, { updates: false, hooks: true })).toEqual([
      'label refit.lifecycle.pre-check-timeout="x" is not a number of minutes (0 for no limit)',
    ]);
    expect(labelProblems(labels, everything)).toHaveLength(2);
  });
});
