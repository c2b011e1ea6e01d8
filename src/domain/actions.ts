/**
 * What a user may ask refit to do from the status page, the HTTP API or Home Assistant. The
 * engine implements it; the page, the API and MQTT only call it. Each method resolves as soon as
 * the request is accepted (the work started or was queued) or refused, never when the work is
 * done: a swap can take minutes, and its progress and outcome arrive as cycle events.
 */
export interface Actions {
  /** Runs a cycle now (checks every watched container, updates as the policies say). */
  checkNow(): Promise<ActionResult>;
  /** Updates one container now, through the same policies and verified swap as a cycle. */
  updateNow(target: ContainerTarget): Promise<ActionResult>;
  /** Lets a pending update go ahead at once. */
  approve(target: ContainerTarget): Promise<ActionResult>;
  /** Drops a pending update; the container stays on its image until a newer one appears. */
  dismiss(target: ContainerTarget): Promise<ActionResult>;
  /** Puts the container back on the image it ran before its last update, by a verified swap. */
  rollback(target: ContainerTarget): Promise<ActionResult>;
  /**
   * The same actions, recorded (history, cycle reason) as asked for through `origin`; absent:
   * everything is recorded as the status page's.
   */
  readonly from?: (origin: ActionOrigin) => Actions;
}

/** Where an action was asked for: the status page, the HTTP API with the token, Home Assistant. */
export type ActionOrigin = 'page' | 'api' | 'mqtt';

/** One container, by name and (once refit watches several engines) host. */
export interface ContainerTarget {
  readonly name: string;
  readonly host?: string;
}

export type ActionKind = 'check' | 'update' | 'approve' | 'dismiss' | 'rollback';

/**
 * Why an action was refused:
 * - `busy`: a cycle or swap runs; try again when it ends.
 * - `not_found`: no such watched container.
 * - `not_allowed`: the configuration or a policy forbids it (monitor-only, refit's own container, …).
 * - `nothing_to_do`: nothing pending, no newer image, no earlier image kept.
 * - `stopping`: refit is shutting down.
 */
export type ActionRefusal = 'busy' | 'not_found' | 'not_allowed' | 'nothing_to_do' | 'stopping';

export type ActionResult =
  | { readonly ok: true; readonly message: string }
  | { readonly ok: false; readonly code: ActionRefusal; readonly message: string };

export function accepted(message: string): ActionResult {
  return { ok: true, message };
}

export function refused(code: ActionRefusal, message: string): ActionResult {
  return { ok: false, code, message };
}
