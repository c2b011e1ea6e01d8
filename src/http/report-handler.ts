import { HttpError } from './http-error.js';
import type { ReportReader } from './report-store.js';
import { json } from './reply.js';
import type { Handler } from './router.js';

/** `GET /v1/report`: the last finished cycle's report, as `--report json` prints it. */
export function reportHandler(reports: ReportReader): Handler {
  return () => {
    const report = reports.latest();
    if (report === undefined) {
      return Promise.reject(new HttpError(404, 'no_report', 'no cycle has finished yet'));
    }
    return Promise.resolve(json(200, report));
  };
}
