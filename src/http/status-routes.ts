import type { Actions } from '../domain/actions.js';
import type { CycleEventSource } from '../domain/cycle-events.js';
import type { HistoryStore } from '../history/history-store.js';
import type { Logger } from '../logging/logger.js';
import type { StatusSource } from '../status/status-snapshot.js';
import type { AccessControl } from './access.js';
import { actionHandler } from './action-handler.js';
import { EventStreams } from './events-handler.js';
import { historyHandler } from './history-handler.js';
import { PageHandlers } from './page/page-handlers.js';
import { loadStaticAssets } from './page/static-assets.js';
import type { Route } from './router.js';

/** What the status page, the history and the event stream read, and what their buttons call. */
export interface StatusPageDependencies {
  readonly status: StatusSource;
  readonly history: HistoryStore;
  readonly events: CycleEventSource;
  /** `undefined`: the page has no buttons and the action endpoints answer 404. */
  readonly actions: Actions | undefined;
}

export interface StatusRoutesInput {
  readonly deps: StatusPageDependencies;
  readonly access: AccessControl;
  readonly base: string;
  readonly token: string | undefined;
  readonly stopping: () => boolean;
  readonly logger: Logger;
}

const ACTIONS_OFF = 'this refit takes no actions over HTTP (nothing was wired to carry them out)';

/**
 * The routes of the status page and of the API it uses: `/`, `/containers/<name>`, `/login`,
 * `/logout`, `/static/<file>`, `GET /v1/history`, `GET /v1/events`, `POST /v1/check` and
 * `POST /v1/containers/<name>/<action>` (and `POST /v1/updates/<name>/approve|dismiss`).
 */
export function statusRoutes(input: StatusRoutesInput): { routes: Route[]; streams: EventStreams } {
  const { deps, access, base, logger } = input;
  const pages = new PageHandlers({
    status: deps.status,
    history: deps.history,
    access,
    assets: loadStaticAssets(),
    base,
    token: input.token,
    logger,
  });
  const streams = new EventStreams(deps.events, access.sessions);
  const actionsOff = deps.actions === undefined ? ACTIONS_OFF : undefined;
  const actions = deps.actions;
  const action = (kind: 'check' | 'container'): Route['handler'] =>
    actions === undefined
      ? () => Promise.reject(new Error('unreachable: the route is disabled'))
      : actionHandler({ actions, stopping: input.stopping, base, logger }, kind);
  const routes: Route[] = [
    { method: 'GET', path: '/', access: 'view', loginRedirect: true, handler: pages.list },
    {
      method: 'GET',
      path: '/containers/',
      prefix: true,
      access: 'view',
      loginRedirect: true,
      handler: pages.container,
    },
    { method: 'GET', path: '/login', access: 'open', handler: pages.loginForm },
    { method: 'POST', path: '/login', access: 'open', handler: pages.login },
    { method: 'POST', path: '/logout', access: 'open', handler: pages.logout },
    { method: 'GET', path: '/static/', prefix: true, access: 'open', handler: pages.staticFile },
    { method: 'GET', path: '/v1/history', access: 'token', handler: historyHandler(deps.history) },
    { method: 'GET', path: '/v1/events', access: 'view', handler: streams.handler() },
    { method: 'POST', path: '/v1/check', access: 'token', disabled: actionsOff, handler: action('check') },
    {
      method: 'POST',
      path: '/v1/containers/',
      prefix: true,
      access: 'token',
      disabled: actionsOff,
      handler: action('container'),
    },
    // The approval route docs/policies.md names; the same actions as /v1/containers/<name>/….
    {
      method: 'POST',
      path: '/v1/updates/',
      prefix: true,
      access: 'token',
      disabled: actionsOff,
      handler: action('container'),
    },
  ];
  return { routes, streams };
}
