/**
 * Reads the migration guide's table of every Watchtower flag and variable
 * (docs/migrating-from-watchtower.md, "Every Watchtower flag and variable"), for the test that
 * holds it to the parser and for the e2e run that starts refit with every flag in it.
 */
export interface WatchtowerTableRow {
  readonly flags: readonly string[];
  readonly variables: readonly string[];
  /** `1.7.1`, `fork` or `both`. */
  readonly origin: string;
  /** What refit does: `` `REFIT_…` `` and a description, or `no effect: …`. */
  readonly refit: string;
  readonly raw: string;
}

const HEADING = '### Every Watchtower flag and variable';

function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
}

export function readWatchtowerTable(markdown: string): WatchtowerTableRow[] {
  const start = markdown.indexOf(`\n${HEADING}\n`);
  if (start === -1) throw new Error(`no section "${HEADING}"`);
  const rest = markdown.slice(start + HEADING.length + 2);
  const section = rest.slice(0, rest.search(/^#{1,4} /m));
  return section
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|\s*-/.test(line) && !line.includes('Watchtower flag'))
    .map((line) => {
      // Cells are split on pipes that Markdown does not escape.
      const cells = line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim());
      return {
        flags: codeSpans(cells[0] ?? ''),
        variables: codeSpans(cells[1] ?? ''),
        origin: cells[2] ?? '',
        refit: (cells[3] ?? '').replaceAll('\\|', '|'),
        raw: [...codeSpans(cells[0] ?? ''), ...codeSpans(cells[1] ?? '')].join(' '),
      };
    });
}
