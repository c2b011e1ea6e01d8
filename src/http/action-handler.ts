import type { ActionKind, ActionResult, Actions, ContainerTarget } from '../domain/actions.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { localPath } from './base-path.js';
import { HttpError } from './http-error.js';
import { errorBody, json, redirect, type Reply } from './reply.js';
import type { Handler, RequestContext } from './router.js';

const CONTAINER_ACTIONS: readonly ActionKind[] = ['update', 'approve', 'dismiss', 'rollback'];

/** The HTTP status of a refusal: the caller can tell "not now" from "never" from "no such thing". */
const REFUSAL_STATUS: Readonly<Record<string, number>> = {
  busy: 409,
  nothing_to_do: 409,
  not_found: 404,
  not_allowed: 403,
  stopping: 503,
};

export interface ActionDependencies {
  readonly actions: Actions;
  readonly stopping: () => boolean;
  /** The base path, for the redirect after a form post. */
  readonly base: string;
  readonly logger: Logger;
}

/** What `/v1/updates/<name>/<action>` (the policies' documented form) may ask for. */
const UPDATE_ACTIONS: readonly ActionKind[] = ['approve', 'dismiss'];

/**
 * `/v1/containers/<name>/<action>`, or `/v1/updates/<name>/approve|dismiss` (the same actions
 * under the name docs/policies.md gives them) → the target and the action, or 404.
 */
export function parseContainerAction(pathname: string): { target: string; action: ActionKind } {
  const match = /^\/v1\/(containers|updates)\/([^/]+)\/([a-z]+)$/.exec(pathname);
  const action = match?.[3] as ActionKind | undefined;
  const allowed = match?.[1] === 'updates' ? UPDATE_ACTIONS : CONTAINER_ACTIONS;
  if (match?.[2] === undefined || action === undefined || !allowed.includes(action)) {
    throw new HttpError(
      404,
      'not_found',
      `no endpoint ${pathname}; use /v1/containers/<name>/update, approve, dismiss or rollback, or /v1/updates/<name>/approve or dismiss`,
    );
  }
  let target: string;
  try {
    target = decodeURIComponent(match[2]);
  } catch {
    throw new HttpError(400, 'invalid_parameter', 'the container name in the path is not valid URL encoding');
  }
  return { target, action };
}

function run(
  actions: Actions,
  action: ActionKind,
  target: ContainerTarget | undefined,
): Promise<ActionResult> {
  if (action === 'check' || target === undefined) return actions.checkNow();
  return actions[action === 'update' ? 'updateNow' : action](target);
}

/**
 * A form posted by the page without its script gets a redirect back (303) with the outcome as
 * a one-time notice; the script and API clients get JSON.
 */
function answer(
  context: RequestContext,
  deps: ActionDependencies,
  result: ActionResult,
  detail: object,
): Reply {
  const { form, req, principal } = context;
  const wantsJson = (req.headers.accept ?? '').includes('application/json');
  if (form !== undefined && !wantsJson) {
    if (principal.session !== undefined) principal.session.flash = result.message;
    return redirect(`${deps.base}${localPath(form.get('_return')) ?? '/'}`);
  }
  if (result.ok) return json(202, { status: 'accepted', ...detail, message: result.message });
  return json(REFUSAL_STATUS[result.code] ?? 409, {
    status: 'refused',
    ...detail,
    ...errorBody(result.code, result.message),
  });
}

/**
 * `POST /v1/check`, `POST /v1/containers/<name>/<action>[?host=]` and
 * `POST /v1/updates/<name>/approve|dismiss`: the buttons of the status page, for token holders.
 * Each answers as soon as refit accepts or refuses (202, or 409/404/403 with the reason); the
 * work's progress is on `GET /v1/events`, its outcome in the history.
 */
export function actionHandler(deps: ActionDependencies, kind: 'check' | 'container'): Handler {
  return async (context) => {
    if (deps.stopping()) throw new HttpError(503, 'stopping', 'refit is stopping and starts no more work');
    let action: ActionKind = 'check';
    let target: ContainerTarget | undefined;
    if (kind === 'container') {
      const parsed = parseContainerAction(context.url.pathname);
      const host = context.url.searchParams.get('host') ?? undefined;
      action = parsed.action;
      target = { name: parsed.target, ...(host === undefined || host === '' ? {} : { host }) };
    }
    let result: ActionResult;
    try {
      // Asked for with the token rather than from the page: the history says so.
      const actions =
        context.principal.via === 'token' ? (deps.actions.from?.('api') ?? deps.actions) : deps.actions;
      result = await run(actions, action, target);
    } catch (error) {
      deps.logger.error({ action, container: target?.name, err: describeError(error) }, 'action failed');
      throw new HttpError(500, 'action_failed', `refit could not ${action}; see its log`, { cause: error });
    }
    deps.logger.info(
      { action, container: target?.name, accepted: result.ok, via: context.principal.via },
      'action asked for',
    );
    return answer(context, deps, result, {
      action,
      ...(target === undefined ? {} : { container: target.name }),
    });
  };
}
