import type { CycleReport } from '../domain/report.js';

/** Read side of the report store, for the HTTP API. */
export interface ReportReader {
  /** The report of the last cycle that finished, or `undefined` before the first one. */
  latest(): CycleReport | undefined;
}

/** Keeps the last cycle's report so the HTTP API can serve it; main records every report. */
export class ReportStore implements ReportReader {
  private last: CycleReport | undefined;

  record(report: CycleReport): void {
    this.last = report;
  }

  latest(): CycleReport | undefined {
    return this.last;
  }
}
