import type { ImageInspect } from '../../docker/documents/image-inspect.js';
import type { Logger } from '../../logging/logger.js';
import { composeLocation, isComposeOwned } from '../../policy/compose-file.js';
import { chooseProbeAddress } from '../../policy/probe-address.js';
import { retagReference } from '../../policy/retag.js';
import type { Verdict } from '../swap/verify.js';
import type { ContainerSettings } from '../detect/container-settings.js';
import { cloneForImage } from '../swap/clone/clone-for-image.js';
import { withComposeHash } from '../swap/compose-hash.js';
import { definesHealthcheck } from '../swap/healthcheck-defined.js';
import { swapContainer, type SwapOutcome, type SwapStrategy } from '../swap/swap.js';
import { wasRunning, type Subject } from '../subject.js';
import type { UpdaterDependencies } from './dependencies.js';

/** Who a container is now: by ID (old IDs of swapped containers included) or name. */
export type ContainerNames = (idOrName: string) => string | undefined;

/** refit.verify: the new container must answer the probe too, from refit's side of the network. */
async function probe(subject: Subject, newId: string, deps: UpdaterDependencies): Promise<Verdict> {
  const spec = subject.candidate.policy.probe;
  if (spec === undefined) return { ok: true };
  if (deps.prober === undefined)
    return { ok: false, reason: 'refit.verify asks for a probe, but refit has no prober' };
  const started = await deps.runtime.inspectContainer(newId);
  const address = chooseProbeAddress(started?.NetworkSettings?.Networks, deps.ownNetworks ?? []);
  const result = await deps.prober.probe(spec, address?.address);
  return result.ok
    ? { ok: true }
    : {
        ok: false,
        // The prober's reason names the address it probed; the label says where that came from.
        reason: `the new container did not pass refit.verify: ${result.reason}`,
      };
}

/** Two copies can only run side by side when nothing about the container is exclusive. */
function canStartBeside(subject: Subject): boolean {
  const inspect = subject.inspect;
  if (inspect === undefined) return false;
  const bindings = inspect.HostConfig.PortBindings ?? {};
  if (Object.values(bindings).some((list) => Array.isArray(list) && list.length > 0)) return false;
  if ((inspect.Config.MacAddress ?? '') !== '') return false;
  const networks = Object.values(inspect.NetworkSettings?.Networks ?? {});
  return !networks.some((endpoint) => {
    const ipam = endpoint.IPAMConfig;
    return (ipam?.IPv4Address ?? '') !== '' || (ipam?.IPv6Address ?? '') !== '';
  });
}

/**
 * Replaces the subject's container by a clone of it on `newImage` through the journalled swap.
 * The clone reads only what the cycle already holds: the container's inspect and the old image's
 * document (from detection), and the new image's (from its pull).
 */
export async function replaceContainer(
  subject: Subject,
  newImage: ImageInspect,
  settings: ContainerSettings,
  names: ContainerNames,
  deps: UpdaterDependencies,
  log: Logger,
): Promise<SwapOutcome> {
  const inspect = subject.inspect;
  const { container } = subject.candidate;
  if (inspect === undefined) return { kind: 'failed', reason: 'refit could not read the container' };
  const clone = await cloneForImage(inspect, subject.image, newImage, {
    apiVersion: deps.apiVersion,
    containerName: names,
    containers: deps.runtime,
    anonymousVolumes: deps.options.removeVolumes ? 'fresh' : 'carry',
  });
  let strategy: SwapStrategy = settings.strategy;
  if (strategy === 'start-first' && !canStartBeside(subject)) {
    log.warn('start-first needs a container without host ports, static IPs or MAC address; using recreate');
    strategy = 'recreate';
  }
  // Following versions: the new container is made from the newer tag, spelled as the user spelled it.
  const tag = subject.target?.tag;
  const moving = tag !== undefined && tag !== subject.reference?.tag;
  const newReference = moving ? retagReference(container.imageReference, tag) : undefined;
  let compose;
  if (
    newReference !== undefined &&
    isComposeOwned(container.labels) &&
    subject.candidate.policy.composeWrite
  ) {
    const location = composeLocation(container.labels);
    if (!location.ok)
      return { kind: 'failed', reason: `cannot update the compose file: ${location.problem}` };
    // Compose hashes the file's image: its hash is asked once the swap has rewritten the file.
    const hash = () => deps.composeHash?.(container.labels) ?? Promise.resolve(undefined);
    compose = { location: location.location, current: container.imageReference, next: newReference, hash };
  }
  const composeHash = compose === undefined ? await deps.composeHash?.(container.labels) : undefined;
  const body = withComposeHash(clone.createBody, composeHash);
  const createBody = newReference === undefined ? body : { ...body, Image: newReference };
  const running = wasRunning(subject);
  deps.recoverer?.claimSwap(container.id);
  try {
    return await swapContainer(
      {
        oldId: container.id,
        name: container.name,
        createBody,
        extraNetworks: clone.extraNetworks,
        stopSignal: settings.stopSignal,
        stopTimeoutSeconds:
          settings.stopTimeoutSeconds ?? inspect.Config.StopTimeout ?? deps.options.stopTimeoutSeconds,
        oldWasRunning: running,
        startNew: !deps.options.noRestart && (running || deps.options.reviveStopped),
        hasHealthcheck: definesHealthcheck(createBody, newImage),
        strategy,
        removeVolumes: deps.options.removeVolumes,
        ...(compose === undefined ? {} : { compose }),
        ...(subject.candidate.policy.probe === undefined
          ? {}
          : { probe: (newId: string) => probe(subject, newId, deps) }),
      },
      deps,
    );
  } finally {
    // Done, or left to recovery (interrupted): either way no longer this run's to finish.
    deps.recoverer?.releaseSwap(container.id);
  }
}
