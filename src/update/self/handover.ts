import type { ContainerRuntime } from '../../docker/container-runtime.js';
import type { ContainerInspect } from '../../docker/documents/container-inspect.js';

/**
 * refit cannot stop its own container and then start the new one: it would be dead in between.
 * It hands over instead: it starts a short-lived helper container from the new image whose only
 * job is to swap refit's container like any other (stop, rename, create, verify, roll back if
 * need be) and then remove itself. These variables tell the helper what to do; they have no
 * REFIT_ prefix because they are not options.
 */
export const HANDOVER_CONTAINER_VARIABLE = '_REFIT_HANDOVER_CONTAINER';
export const HANDOVER_IMAGE_VARIABLE = '_REFIT_HANDOVER_IMAGE';
export const HANDOVER_OWNER_VARIABLE = '_REFIT_HANDOVER_OWNER';

/** Settings the helper needs from the running refit, whichever way they were given to it. */
export interface HandoverSettings {
  readonly stateDir: string;
  readonly stopTimeoutSeconds: number;
  readonly settleSeconds: number;
  readonly healthTimeoutSeconds: number;
  readonly cleanup: boolean;
  readonly dockerHost: string;
  /** The engine's client certificates (DOCKER_CERT_PATH) when it is reached over TLS. */
  readonly certPath?: string | undefined;
  readonly logLevel: string;
}

export interface HandoverRequest {
  readonly target: ContainerInspect;
  readonly targetName: string;
  readonly newImageId: string;
  readonly helperName: string;
  readonly settings: HandoverSettings;
}

function envKey(entry: string): string {
  const equals = entry.indexOf('=');
  return equals === -1 ? entry : entry.slice(0, equals);
}

/** The create body of the helper: the target's environment and mounts, no ports, no restart. */
export function handoverHelperBody(request: HandoverRequest): Record<string, unknown> {
  const { target, settings } = request;
  const overrides: Record<string, string> = {
    REFIT_STATE_DIR: settings.stateDir,
    REFIT_TIMEOUT: String(settings.stopTimeoutSeconds),
    REFIT_SETTLE_TIME: String(settings.settleSeconds),
    REFIT_HEALTH_TIMEOUT: String(settings.healthTimeoutSeconds),
    REFIT_CLEANUP: String(settings.cleanup),
    // The helper manages one engine, the one it runs on, whatever list the target was given.
    REFIT_DOCKER_HOSTS: settings.dockerHost,
    ...(settings.certPath === undefined
      ? {}
      : { DOCKER_CERT_PATH: settings.certPath, DOCKER_TLS_VERIFY: '1' }),
    REFIT_LOG_LEVEL: settings.logLevel,
    REFIT_LOG_FORMAT: 'json',
    [HANDOVER_CONTAINER_VARIABLE]: target.Id,
    [HANDOVER_IMAGE_VARIABLE]: request.newImageId,
    [HANDOVER_OWNER_VARIABLE]: request.helperName,
  };
  // The target's aliases of these settings would only conflict with the explicit values.
  const replaced = new Set([
    ...Object.keys(overrides),
    'DOCKER_HOST',
    'REFIT_DOCKER_HOST',
    'WATCHTOWER_TIMEOUT',
    'WATCHTOWER_CLEANUP',
  ]);
  const inherited = (target.Config.Env ?? []).filter((entry) => !replaced.has(envKey(entry)));
  const host = target.HostConfig;
  const networkMode = host.NetworkMode;
  return {
    Image: request.newImageId,
    Cmd: [],
    Env: [...inherited, ...Object.entries(overrides).map(([key, value]) => `${key}=${value}`)],
    Labels: { 'refit.enable': 'false', 'refit.handover': request.targetName },
    HostConfig: {
      Binds: host.Binds ?? null,
      Mounts: host.Mounts ?? null,
      ...(networkMode === undefined ? {} : { NetworkMode: networkMode }),
      AutoRemove: true,
    },
  };
}

/** Creates and starts the helper; the swap itself happens in the helper, after this cycle. */
export async function startHandover(runtime: ContainerRuntime, request: HandoverRequest): Promise<string> {
  const id = await runtime.createContainer(request.helperName, handoverHelperBody(request));
  await runtime.startContainer(id);
  return id;
}

/** What a helper reads from its environment, or undefined for a normal refit. */
export function handoverFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): { readonly container: string; readonly image: string; readonly owner: string | undefined } | undefined {
  const container = env[HANDOVER_CONTAINER_VARIABLE];
  const image = env[HANDOVER_IMAGE_VARIABLE];
  if (container === undefined || container === '' || image === undefined || image === '') return undefined;
  return { container, image, owner: env[HANDOVER_OWNER_VARIABLE] };
}
