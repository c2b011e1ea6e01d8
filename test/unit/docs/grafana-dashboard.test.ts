/**
 * docs/grafana-dashboard.json must keep working against the metrics refit registers: every
 * query names only refit's metric series, and every metric refit exports has a panel.
 */
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics/metrics.js';

const DASHBOARD_PATH = new URL('../../../docs/grafana-dashboard.json', import.meta.url);

interface Target {
  readonly expr?: unknown;
  readonly datasource?: unknown;
}

interface Panel {
  readonly type?: unknown;
  readonly title?: unknown;
  readonly datasource?: unknown;
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}

interface Dashboard {
  readonly schemaVersion?: unknown;
  readonly __inputs?: readonly Record<string, unknown>[];
  readonly panels?: readonly Panel[];
  readonly templating?: { readonly list?: readonly { readonly query?: unknown }[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;

/** Panels inside collapsed rows sit in the row's own `panels`. */
function allPanels(panels: readonly Panel[] = []): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels)]);
}

const panels = allPanels(dashboard.panels).filter((panel) => panel.type !== 'row');
const expressions: string[] = panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => {
    if (typeof target.expr !== 'string')
      throw new Error(`panel "${String(panel.title)}" has a target without expr`);
    return target.expr;
  }),
);

/** Names prom-client adds to a histogram's base name in the exposition. */
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

interface RegisteredMetric {
  readonly name: string;
  /** The names its series carry in the exposition (a histogram's are suffixed). */
  readonly series: readonly string[];
}

async function registeredMetrics(collectDefault: boolean): Promise<RegisteredMetric[]> {
  const registry = new Registry();
  createMetrics(registry, { collectDefault });
  const metrics = await registry.getMetricsAsJSON();
  return metrics.map((metric) => ({
    name: metric.name,
    series:
      String(metric.type) === 'histogram'
        ? HISTOGRAM_SUFFIXES.map((suffix) => `${metric.name}${suffix}`)
        : [metric.name],
  }));
}

async function registeredSeriesNames(): Promise<Set<string>> {
  return new Set((await registeredMetrics(true)).flatMap((metric) => metric.series));
}

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
]);
const PROMQL_OPERATORS = new Set(['and', 'or', 'unless']);

/**
 * The metric names a PromQL expression selects. String literals, label matchers, range and
 * subquery brackets and grouping label lists are dropped first; of what remains, an identifier
 * followed by `(` is a function and the keywords and set operators are syntax.
 */
function metricNames(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?/g)) {
    const [token, call] = match;
    const name = token.replace(/\s*\($/, '');
    if (call !== undefined || PROMQL_KEYWORDS.has(name) || PROMQL_OPERATORS.has(name)) continue;
    names.push(name);
  }
  return names;
}

describe('metricNames', () => {
  it('finds the selected series and nothing else', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le) (increase(refit_cycle_duration_seconds_bucket{job=~"a|b"}[24h]))) or vector(0)',
      ),
    ).toEqual(['refit_cycle_duration_seconds_bucket']);
    expect(metricNames('sum(a_total) / on (job) group_left b_total')).toEqual(['a_total', 'b_total']);
  });
});

describe('docs/grafana-dashboard.json', () => {
  it('is a Grafana dashboard with a Prometheus data source input', () => {
    expect(typeof dashboard.schemaVersion).toBe('number');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs).toContainEqual(
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    );
    expect(panels.length).toBeGreaterThan(0);
  });

  it('queries the data source the user picks at import', () => {
    const expected = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
    for (const panel of panels) {
      expect(panel.datasource, String(panel.title)).toEqual(expected);
      for (const target of panel.targets ?? [])
        expect(target.datasource, String(panel.title)).toEqual(expected);
    }
  });

  it('uses only metric names refit registers', async () => {
    const known = await registeredSeriesNames();
    const used = expressions.flatMap(metricNames);
    // Each query selects at least one series, so a parsing slip cannot hide a name.
    for (const expression of expressions) expect(metricNames(expression), expression).not.toEqual([]);
    expect(used.filter((name) => !known.has(name))).toEqual([]);
  });

  it('reads the job variable from a metric refit registers', async () => {
    const known = await registeredSeriesNames();
    const queries = (dashboard.templating?.list ?? []).map((variable) =>
      typeof variable.query === 'string' ? variable.query : (variable.query as { query?: string }).query,
    );
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) {
      const metric = /^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*),\s*[a-zA-Z_]+\)$/.exec(query ?? '')?.[1];
      expect(metric, query).toBeDefined();
      expect(known.has(metric ?? '')).toBe(true);
    }
  });

  it("has a panel for every metric of refit's own and Watchtower's", async () => {
    const used = new Set(expressions.flatMap(metricNames));
    const ours = await registeredMetrics(false);
    expect(ours.length).toBeGreaterThan(0);
    const unused = ours.filter((metric) => !metric.series.some((name) => used.has(name)));
    expect(unused.map((metric) => metric.name)).toEqual([]);
  });
});
