/** One measured figure, with the target it is held against when it has one. */
export interface Figure {
  readonly scenario: string;
  readonly name: string;
  readonly value: number | string;
  readonly unit?: string;
  /** The target in words, e.g. "= 50" or "≤ 80 MB". */
  readonly target?: string;
  /** Whether the value meets the target; absent for figures without one. */
  readonly met?: boolean;
  readonly note?: string;
}

export interface BenchResult {
  readonly machine: Readonly<Record<string, string | number>>;
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly figures: readonly Figure[];
  /** Extra detail (breakdowns by endpoint, samples) for the JSON output. */
  readonly details: Readonly<Record<string, unknown>>;
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function formatValue(figure: Figure): string {
  const value = typeof figure.value === 'number' ? String(round(figure.value, 1)) : figure.value;
  return figure.unit === undefined ? value : `${value} ${figure.unit}`;
}

function verdict(figure: Figure): string {
  if (figure.met === undefined) return '';
  return figure.met ? 'met' : 'MISSED';
}

/** A plain-text table: scenario, figure, value, target, verdict; notes under their row. */
export function renderTable(result: BenchResult): string {
  const header = ['scenario', 'figure', 'value', 'target', 'result'];
  const rows = result.figures.map((f) => [f.scenario, f.name, formatValue(f), f.target ?? '', verdict(f)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w)))];
  result.figures.forEach((figure, i) => {
    out.push(line(rows[i] ?? []));
    if (figure.note !== undefined) out.push(`${' '.repeat((widths[0] ?? 0) + 2)}  ↳ ${figure.note}`);
  });
  const machine = Object.entries(result.machine)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  const settings = Object.entries(result.settings)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  return `machine: ${machine}\nsettings: ${settings}\n\n${out.join('\n')}\n`;
}
