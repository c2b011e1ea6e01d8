import { describe, expect, it } from 'vitest';
import { buildDependencyGraph, type DependencyInfo } from '../../../src/update/plan/dependency-graph.js';
import {
  planUpdates,
  stopOrder,
  withDependents,
  type UpdatePlan,
} from '../../../src/update/plan/update-plan.js';

/** `deps` become refit.depends-on, so each test reads as a small dependency diagram. */
function container(
  name: string,
  deps: string[] = [],
  overrides: Partial<DependencyInfo> = {},
): DependencyInfo {
  return {
    id: `id-${name}`,
    name,
    links: [],
    networkMode: 'bridge',
    labels: deps.length === 0 ? {} : { 'refit.depends-on': deps.join(',') },
    ...overrides,
  };
}

function plan(nodes: DependencyInfo[], stale: string[]): UpdatePlan {
  return planUpdates(buildDependencyGraph(nodes), new Set(stale.map((name) => `id-${name}`)));
}

function steps(result: UpdatePlan): string[] {
  return result.steps.map((step) => `${step.action} ${step.name}`);
}

describe('planUpdates', () => {
  const chain = [container('web', ['api']), container('api', ['db']), container('db')];

  const cases: { what: string; nodes: DependencyInfo[]; stale: string[]; expected: string[] }[] = [
    { what: 'nothing stale', nodes: chain, stale: [], expected: [] },
    {
      what: 'a stale dependency at the bottom of a chain restarts every level above it',
      nodes: chain,
      stale: ['db'],
      expected: ['swap db', 'restart api', 'restart web'],
    },
    {
      what: 'a stale middle restarts only what depends on it',
      nodes: chain,
      stale: ['api'],
      expected: ['swap api', 'restart web'],
    },
    {
      what: 'a stale top swaps alone',
      nodes: chain,
      stale: ['web'],
      expected: ['swap web'],
    },
    {
      what: 'stale containers at several levels are all swapped, in dependency order',
      nodes: chain,
      stale: ['web', 'db'],
      expected: ['swap db', 'restart api', 'swap web'],
    },
    {
      what: 'a shared network namespace (container: network mode)',
      nodes: [container('app', [], { networkMode: 'container:id-vpn' }), container('vpn')],
      stale: ['vpn'],
      expected: ['swap vpn', 'restart app'],
    },
    {
      what: 'a diamond: the shared dependent comes after both of its dependencies',
      nodes: [
        container('top', ['left', 'right']),
        container('left', ['base']),
        container('right', ['base']),
        container('base'),
      ],
      stale: ['base'],
      expected: ['swap base', 'restart left', 'restart right', 'restart top'],
    },
    {
      what: 'independent containers keep their input order',
      nodes: [container('c'), container('a'), container('b')],
      stale: ['b', 'c', 'a'],
      expected: ['swap c', 'swap a', 'swap b'],
    },
    {
      what: 'a dependency moves ahead of an earlier container only as far as needed',
      nodes: [container('x'), container('app', ['db']), container('y'), container('db')],
      stale: ['x', 'app', 'y', 'db'],
      expected: ['swap x', 'swap y', 'swap db', 'swap app'],
    },
  ];

  it.each(cases)('$what', ({ nodes, stale, expected }) => {
    const result = plan(nodes, stale);
    expect(steps(result)).toEqual(expected);
    expect(result.blocked).toEqual([]);
  });

  it('gives the three-level chain a start order of db, api, web and a stop order of web, api, db', () => {
    const result = plan(chain, ['db']);
    expect(result.steps.map((step) => step.name)).toEqual(['db', 'api', 'web']);
    expect(stopOrder(result).map((step) => step.name)).toEqual(['web', 'api', 'db']);
    expect(result.steps.map((step) => step.id)).toEqual(['id-db', 'id-api', 'id-web']);
  });

  it('orders by links and compose depends_on like by labels', () => {
    const labels = (service: string, dependsOn?: string): Record<string, string> => ({
      'com.docker.compose.project': 'shop',
      'com.docker.compose.service': service,
      ...(dependsOn === undefined ? {} : { 'com.docker.compose.depends_on': dependsOn }),
    });
    const nodes = [
      container('shop-web-1', [], { labels: labels('web', 'api:service_started:true') }),
      container('shop-api-1', [], { links: ['/shop-db-1:/shop-api-1/db'], labels: labels('api') }),
      container('shop-db-1', [], { labels: labels('db') }),
    ];
    expect(steps(plan(nodes, ['shop-db-1']))).toEqual([
      'swap shop-db-1',
      'restart shop-api-1',
      'restart shop-web-1',
    ]);
  });

  it('blocks a cycle with a reason naming it, and still plans an unrelated stale container', () => {
    const result = plan([container('a', ['b']), container('b', ['a']), container('solo')], ['a', 'solo']);
    expect(steps(result)).toEqual(['swap solo']);
    expect(result.blocked).toEqual([
      { id: 'id-a', name: 'a', reason: 'dependency cycle a → b → a' },
      { id: 'id-b', name: 'b', reason: 'dependency cycle b → a → b' },
    ]);
  });

  it('blocks what depends on a cycle, naming the chain, and plans what the cycle depends on', () => {
    const nodes = [
      container('top', ['mid']),
      container('mid', ['a']),
      container('a', ['b']),
      container('b', ['a', 'base']),
      container('base'),
    ];
    const result = plan(nodes, ['base']);
    expect(steps(result)).toEqual(['swap base']);
    expect(result.blocked.map((entry) => [entry.name, entry.reason])).toEqual([
      ['top', 'depends on top → mid → a, which is in dependency cycle a → b → a'],
      ['mid', 'depends on mid → a, which is in dependency cycle a → b → a'],
      ['a', 'dependency cycle a → b → a'],
      ['b', 'dependency cycle b → a → b'],
    ]);
  });

  it('blocks a stale container that depends on a cycle even when nothing in the cycle is stale', () => {
    const result = plan([container('app', ['a']), container('a', ['b']), container('b', ['a'])], ['app']);
    expect(result.steps).toEqual([]);
    expect(result.blocked.map((entry) => entry.name)).toEqual(['app']);
  });

  it('only warns about a cycle that no update touches', () => {
    const result = plan([container('a', ['b']), container('b', ['a']), container('solo')], ['solo']);
    expect(steps(result)).toEqual(['swap solo']);
    expect(result.blocked).toEqual([]);
    expect(result.warnings).toEqual([expect.stringContaining('dependency cycle a → b → a')]);
  });

  it('names a cycle of three with the longer path', () => {
    const result = plan([container('a', ['b']), container('b', ['c']), container('c', ['a'])], ['c']);
    expect(result.blocked.map((entry) => entry.reason)).toEqual([
      'dependency cycle a → b → c → a',
      'dependency cycle b → c → a → b',
      'dependency cycle c → a → b → c',
    ]);
  });

  it('passes on graph warnings and warns about a stale ID the graph does not know', () => {
    const result = plan([container('app', ['missing'])], ['app', 'ghost']);
    expect(steps(result)).toEqual(['swap app']);
    expect(result.warnings).toEqual([
      expect.stringContaining('app depends on "missing"'),
      'stale container id-ghost is not in the dependency graph; not updated',
    ]);
  });

  it('gives the same plan for the same input', () => {
    const nodes = [container('w', ['a', 'b']), container('b'), container('a'), container('z', ['b'])];
    expect(plan(nodes, ['a', 'b'])).toEqual(plan(nodes, ['a', 'b']));
    expect(steps(plan(nodes, ['a', 'b']))).toEqual(['swap b', 'swap a', 'restart w', 'restart z']);
  });
});

describe('withDependents', () => {
  it('collects everything that depends on the given containers, at any depth', () => {
    const graph = buildDependencyGraph([
      container('web', ['api']),
      container('api', ['db']),
      container('db'),
      container('x'),
    ]);
    expect([...withDependents(graph, ['id-db'])].sort()).toEqual(['id-api', 'id-db', 'id-web']);
  });
});
