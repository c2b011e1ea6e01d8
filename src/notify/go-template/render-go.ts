import type { ContainerReport, CycleReport } from '../../domain/report.js';
import { buildCycleReport } from '../../domain/report.js';
import { Executor } from './exec.js';
import { GoTemplateError, parseGoTemplate, type TemplateNode } from './parse.js';
import {
  WATCHTOWER_FUNCTIONS,
  watchtowerTemplateData,
  type WatchtowerDataOptions,
} from './watchtower-data.js';
import { BUILTINS } from './values.js';

export { isGoTemplate } from './parse.js';

const executor = new Executor({ ...BUILTINS, ...WATCHTOWER_FUNCTIONS });

/** A parsed Watchtower (Go) template, run over each cycle's report. */
export interface GoTemplate {
  render(report: CycleReport, options: WatchtowerDataOptions): string;
}

function compile(text: string): GoTemplate {
  const nodes: TemplateNode[] = parseGoTemplate(text);
  return { render: (report, options) => executor.run(nodes, watchtowerTemplateData(report, options)) };
}

const SAMPLE_DIGEST = `sha256:${'a'.repeat(64)}`;
const NEWER_DIGEST = `sha256:${'b'.repeat(64)}`;

/** One container of every status, so a trial run reaches every branch a real report can. */
function sampleReport(): CycleReport {
  const statuses = ['updated', 'rolled-back', 'failed', 'stale', 'fresh', 'skipped'] as const;
  const containers: ContainerReport[] = statuses.map((status, at) => ({
    id: `${at}`.repeat(64),
    name: `sample-${status}`,
    image: 'registry.example/sample:1',
    status,
    reason: `sample ${status}`,
    localDigests: [SAMPLE_DIGEST],
    remoteDigest: status === 'fresh' ? SAMPLE_DIGEST : NEWER_DIGEST,
    monitorOnly: false,
  }));
  const now = new Date();
  return buildCycleReport(now, now, containers);
}

/**
 * Parses the template and runs it once over a sample report, with the data `report` selects, so
 * a template that cannot run stops refit at start-up (exit 2) instead of failing every message.
 * Returns what is wrong, or the compiled template.
 */
export function compileGoTemplate(
  text: string,
  options: Pick<WatchtowerDataOptions, 'report'>,
): { ok: true; template: GoTemplate } | { ok: false; problem: string } {
  try {
    const template = compile(text);
    template.render(sampleReport(), { ...options, title: 'sample', host: 'sample' });
    return { ok: true, template };
  } catch (error) {
    if (error instanceof GoTemplateError) return { ok: false, problem: `Go template: ${error.message}` };
    throw error;
  }
}
