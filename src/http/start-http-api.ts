import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { CycleTrigger } from './cycle-trigger.js';
import type { EnginePing } from './health-handler.js';
import type { MetricsSource } from './metrics-handler.js';
import type { ReportReader } from './report-store.js';
import { HttpApi } from './server.js';
import type { StatusPageDependencies } from './status-routes.js';

export type HttpApiConfig = Pick<
  Config,
  | 'httpApiPort'
  | 'httpApiHost'
  | 'httpApiToken'
  | 'httpApiUpdate'
  | 'httpApiMetrics'
  | 'httpBasePath'
  | 'httpReadOnlyView'
>;

export interface StartHttpApiDependencies {
  readonly scheduler: CycleTrigger;
  readonly docker: EnginePing;
  readonly reports: ReportReader;
  readonly metrics: MetricsSource | undefined;
  readonly logger: Logger;
  /** The status page on `/`, `/v1/history` and `/v1/events`; absent: the API alone. */
  readonly page?: StatusPageDependencies;
}

/**
 * Opens the HTTP API as configured, or resolves to `undefined` when its port is 0. Rejects with
 * an HttpApiStartError naming the address when it cannot listen (e.g. the port is taken).
 */
export async function startHttpApi(
  config: HttpApiConfig,
  deps: StartHttpApiDependencies,
): Promise<HttpApi | undefined> {
  const { logger } = deps;
  if (config.httpApiPort === 0) {
    logger.info('HTTP API off (port 0)');
    return undefined;
  }
  if (config.httpApiUpdate && config.httpApiToken === undefined) {
    logger.warn(
      'the update API is on but no API token is set; POST /v1/update and the registry hook answer 403',
    );
  }
  if (config.httpApiMetrics && config.httpApiToken === undefined) {
    logger.warn('metrics need the API token but none is set; /metrics answers 403');
  }
  const api = new HttpApi(
    {
      token: config.httpApiToken,
      updateApi: config.httpApiUpdate,
      metricsNeedToken: config.httpApiMetrics,
      basePath: config.httpBasePath,
      ...(config.httpReadOnlyView === undefined ? {} : { readOnlyView: config.httpReadOnlyView }),
    },
    deps,
  );
  const address = await api.listen(config.httpApiPort, config.httpApiHost);
  logger.info(
    {
      host: address.address,
      port: address.port,
      updateApi: config.httpApiUpdate,
      metricsNeedToken: config.httpApiMetrics,
      statusPage: deps.page === undefined ? false : `${config.httpBasePath}/`,
    },
    'HTTP API listening',
  );
  return api;
}
