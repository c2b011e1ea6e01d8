import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildDependencyGraph, type DependencyInfo } from '../../../src/update/plan/dependency-graph.js';

/** A container with a Docker-shaped ID (64 hex characters) derived from its name. */
function container(name: string, overrides: Partial<DependencyInfo> = {}): DependencyInfo {
  return {
    id: idOf(name),
    name,
    links: [],
    networkMode: 'bridge',
    labels: {},
    ...overrides,
  };
}

function idOf(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

function compose(project: string, service: string, dependsOn?: string): Record<string, string> {
  return {
    'com.docker.compose.project': project,
    'com.docker.compose.service': service,
    ...(dependsOn === undefined ? {} : { 'com.docker.compose.depends_on': dependsOn }),
  };
}

/** Each container's dependencies by name, for readable expectations. */
function dependencyNames(nodes: DependencyInfo[]): Record<string, string[]> {
  const graph = buildDependencyGraph(nodes);
  const names = new Map(graph.nodes.map((node) => [node.id, node.name]));
  return Object.fromEntries(
    graph.nodes.map((node) => [node.name, node.dependsOn.map((edge) => names.get(edge.id) ?? edge.id)]),
  );
}

describe('buildDependencyGraph: edge sources', () => {
  const cases: { what: string; app: Partial<DependencyInfo>; source: string }[] = [
    { what: 'a link in Docker form', app: { links: ['/db:/app/db'] }, source: 'link' },
    { what: 'network mode container:<name>', app: { networkMode: 'container:db' }, source: 'network-mode' },
    {
      what: 'network mode container:<full id>',
      app: { networkMode: `container:${idOf('db')}` },
      source: 'network-mode',
    },
    { what: "refit's depends-on label", app: { labels: { 'refit.depends-on': 'db' } }, source: 'label' },
    {
      what: "Watchtower's depends-on label",
      app: { labels: { 'com.centurylinklabs.watchtower.depends-on': '/db' } },
      source: 'label',
    },
    {
      what: "compose's depends_on label (service:condition:restart)",
      app: { labels: compose('shop', 'app', 'db:service_started:false') },
      source: 'compose',
    },
    {
      what: "an older compose's depends_on label (service:condition)",
      app: { labels: compose('shop', 'app', 'db:service_healthy') },
      source: 'compose',
    },
    {
      what: "an older compose's depends_on label (service only)",
      app: { labels: compose('shop', 'app', 'db') },
      source: 'compose',
    },
  ];

  it.each(cases)('reads $what', ({ app, source }) => {
    const db = container('db', { labels: compose('shop', 'db') });
    const graph = buildDependencyGraph([container('app', app), db]);
    expect(graph.nodes.map((node) => ({ name: node.name, dependsOn: node.dependsOn }))).toEqual([
      { name: 'app', dependsOn: [expect.objectContaining({ id: db.id, source })] },
      { name: 'db', dependsOn: [] },
    ]);
    expect(graph.warnings).toEqual([]);
  });

  it('ignores network modes that share no container', () => {
    for (const networkMode of ['bridge', 'host', 'none', 'default', 'my-net']) {
      expect(dependencyNames([container('app', { networkMode }), container('db')])).toEqual({
        app: [],
        db: [],
      });
    }
  });
});

describe('buildDependencyGraph: labels', () => {
  it('splits on commas, trims whitespace and accepts a leading slash', () => {
    const app = container('app', { labels: { 'refit.depends-on': ' db , /cache,, ' } });
    expect(dependencyNames([app, container('db'), container('cache')]).app).toEqual(['db', 'cache']);
  });

  it("uses refit's label over Watchtower's when both are set", () => {
    const app = container('app', {
      labels: { 'refit.depends-on': 'cache', 'com.centurylinklabs.watchtower.depends-on': 'db' },
    });
    expect(dependencyNames([app, container('db'), container('cache')]).app).toEqual(['cache']);
  });

  it("lets an empty refit label override Watchtower's", () => {
    const app = container('app', {
      labels: { 'refit.depends-on': '', 'com.centurylinklabs.watchtower.depends-on': 'db' },
    });
    expect(dependencyNames([app, container('db')]).app).toEqual([]);
  });

  it('records each dependency once, whichever sources name it', () => {
    const app = container('app', {
      links: ['/db:/app/db'],
      networkMode: 'container:db',
      labels: { 'refit.depends-on': 'db' },
    });
    const graph = buildDependencyGraph([app, container('db')]);
    expect(graph.nodes[0]?.dependsOn).toEqual([{ id: idOf('db'), source: 'link', declared: '/db:/app/db' }]);
  });
});

describe('buildDependencyGraph: compose projects', () => {
  it('matches a service only within the dependent container’s own project', () => {
    const nodes = [
      container('shop-web-1', { labels: compose('shop', 'web', 'db:service_started:false') }),
      container('blog-db-1', { labels: compose('blog', 'db') }),
      container('shop-db-1', { labels: compose('shop', 'db') }),
    ];
    expect(dependencyNames(nodes)['shop-web-1']).toEqual(['shop-db-1']);
  });

  it('depends on every container of a scaled service', () => {
    const nodes = [
      container('shop-web-1', { labels: compose('shop', 'web', 'db:service_started:false,cache') }),
      container('shop-db-1', { labels: compose('shop', 'db') }),
      container('shop-db-2', { labels: compose('shop', 'db') }),
      container('shop-cache-1', { labels: compose('shop', 'cache') }),
    ];
    expect(dependencyNames(nodes)['shop-web-1']).toEqual(['shop-db-1', 'shop-db-2', 'shop-cache-1']);
  });

  it('warns when a service has no container in the project', () => {
    const nodes = [
      container('shop-web-1', { labels: compose('shop', 'web', 'db:service_started:false') }),
      container('blog-db-1', { labels: compose('blog', 'db') }),
    ];
    const graph = buildDependencyGraph(nodes);
    expect(graph.nodes[0]?.dependsOn).toEqual([]);
    expect(graph.warnings).toEqual([
      expect.stringMatching(/^shop-web-1 depends on compose service "db" of project "shop"/),
    ]);
  });

  it('warns when the dependent carries no project label', () => {
    const web = container('web', { labels: { 'com.docker.compose.depends_on': 'db:service_started:false' } });
    const graph = buildDependencyGraph([web, container('db', { labels: compose('shop', 'db') })]);
    expect(graph.nodes[0]?.dependsOn).toEqual([]);
    expect(graph.warnings).toEqual([
      expect.stringContaining('web has label com.docker.compose.depends_on but no'),
    ]);
  });
});

describe('buildDependencyGraph: resolving names', () => {
  const db = container('db');
  const cases: { what: string; reference: string }[] = [
    { what: 'a name', reference: 'db' },
    { what: 'a name with a leading slash', reference: '/db' },
    { what: 'a full ID', reference: db.id },
    { what: 'a 12-character ID prefix', reference: db.id.slice(0, 12) },
    { what: 'a longer ID prefix', reference: db.id.slice(0, 20) },
  ];

  it.each(cases)('resolves $what', ({ reference }) => {
    const app = container('app', { labels: { 'refit.depends-on': reference } });
    const graph = buildDependencyGraph([app, db]);
    expect(graph.nodes[0]?.dependsOn.map((edge) => edge.id)).toEqual([db.id]);
    expect(graph.warnings).toEqual([]);
  });

  it('does not take an ID prefix shorter than 12 characters', () => {
    const app = container('app', { labels: { 'refit.depends-on': db.id.slice(0, 11) } });
    const graph = buildDependencyGraph([app, db]);
    expect(graph.nodes[0]?.dependsOn).toEqual([]);
    expect(graph.warnings).toHaveLength(1);
  });

  it('prefers an exact name over an ID prefix', () => {
    const other = container('other');
    const prefix = other.id.slice(0, 12);
    const named = container(prefix);
    const app = container('app', { labels: { 'refit.depends-on': prefix } });
    expect(dependencyNames([app, other, named]).app).toEqual([prefix]);
  });

  it('refuses an ID prefix several containers share, with a warning', () => {
    const one = container('one', { id: `abcdef012345${'1'.repeat(52)}` });
    const two = container('two', { id: `abcdef012345${'2'.repeat(52)}` });
    const app = container('app', { labels: { 'refit.depends-on': 'abcdef012345' } });
    const graph = buildDependencyGraph([app, one, two]);
    expect(graph.nodes[0]?.dependsOn).toEqual([]);
    expect(graph.warnings).toEqual([expect.stringContaining('several containers (one, two)')]);
  });

  it('warns about, and leaves out, a dependency on a container that is not in the input', () => {
    const app = container('app', { links: ['/gone:/app/db'], labels: { 'refit.depends-on': 'db' } });
    const graph = buildDependencyGraph([app, db]);
    expect(graph.nodes[0]?.dependsOn.map((edge) => edge.id)).toEqual([db.id]);
    expect(graph.warnings).toEqual([
      'app depends on "gone" (link /gone:/app/db), which is not a watched container; ignored for ordering',
    ]);
  });

  it('warns about, and leaves out, a container naming itself', () => {
    const app = container('app', { labels: { 'refit.depends-on': 'app' } });
    const graph = buildDependencyGraph([app]);
    expect(graph.nodes[0]?.dependsOn).toEqual([]);
    expect(graph.warnings).toEqual([expect.stringContaining('app names itself as a dependency')]);
  });

  it('keeps the input order of containers', () => {
    const names = ['c', 'a', 'b'];
    expect(buildDependencyGraph(names.map((name) => container(name))).nodes.map((n) => n.name)).toEqual(
      names,
    );
  });
});
