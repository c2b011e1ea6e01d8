import type { ImageStore, RegistryAuthConfig } from '../../docker/container-runtime.js';
import type { CycleEventSink } from '../../domain/cycle-events.js';
import type { ImageReference } from '../../domain/image-ref.js';
import type { Prober } from '../../policy/prober.js';
import type { PullSource } from '../../registry/registry-mirrors.js';
import type { SignatureGate } from '../../trust/signature-gate.js';
import type { SwapRecoverer } from '../journal/recoverer.js';
import type { HandoverSettings } from '../self/handover.js';
import type { ComposeHasher } from '../swap/compose-hash.js';
import type { SwapDependencies } from '../swap/swap.js';

export interface UpdateOptions {
  readonly cleanup: boolean;
  /**
   * Watchtower's remove-volumes: new containers get fresh anonymous volumes, and the old ones are
   * removed with the old container once the new one is verified (kept for a rollback until then).
   */
  readonly removeVolumes: boolean;
  readonly noPull: boolean;
  /** A container's no-pull label, false included, wins over `noPull`. */
  readonly labelTakePrecedence: boolean;
  readonly noRestart: boolean;
  readonly reviveStopped: boolean;
  readonly stopTimeoutSeconds: number;
  readonly lifecycleHooks: boolean;
  /**
   * Groups of containers that share no dependency chain swapped at once; 1 (rolling restart)
   * swaps one container at a time, each verified before the next one stops.
   */
  readonly concurrency: number;
  /** Distinct images pulled at once. */
  readonly pullConcurrency: number;
}

/** How long a run whose swaps the engine interrupted waits for it to come back before reporting. */
export const ENGINE_RETURN_WAIT_MS = 120_000;

/** Everything a swap needs, plus images, pull credentials and the cycle's update options. */
export interface UpdaterDependencies extends SwapDependencies {
  readonly images: ImageStore;
  readonly credentialsFor: (ref: ImageReference) => Promise<RegistryAuthConfig | undefined>;
  readonly options: UpdateOptions;
  /** The negotiated Engine API version: it decides where a MAC address goes in the create body. */
  readonly apiVersion: string;
  /** What a self-update helper must be told (see handover.ts). */
  readonly handover: HandoverSettings;
  /** Compose's config hash for a service after the pull, when it can be known (compose-hash.ts). */
  readonly composeHash?: ComposeHasher;
  /** Finishes or undoes swaps the engine interrupted; without one they wait for the next start. */
  readonly recoverer?: SwapRecoverer;
  /** Resolves true once the engine is followed again (see EngineMonitor.whenBack). */
  readonly engineBack?: (timeoutMs: number) => Promise<boolean>;
  /** Probes new containers whose refit.verify label asks for it; without one, such labels fail the swap. */
  readonly prober?: Prober;
  /** The networks refit's own container is on: a probe prefers an address on one of them. */
  readonly ownNetworks?: readonly string[];
  /** Where each swap's start and outcome are told (the status page, MQTT). */
  readonly events?: CycleEventSink;
  /** Remembers the image a container ran before each update, for `refit rollback`. */
  readonly previousImages?: PreviousImagesRecorder;
  /**
   * Decides, before anything of a candidate is pulled, whether its new digest may be (signature
   * labels and keys, see trust/signature-gate.ts). Without one, no container's labels can ask.
   */
  readonly signatures?: SignatureGate;
  /** Where a digest can be pulled from, mirrors first (registry-mirrors.ts); without it, the origin. */
  readonly pullSources?: (ref: ImageReference, digest: string) => readonly PullSource[];
}

/** See plan/previous-images.ts. */
export interface PreviousImagesRecorder {
  /** After a swap: `imageId` is what `name` ran before; returns image IDs no longer kept. */
  replaced(
    name: string,
    previous: { readonly imageId: string; readonly reference: string; readonly digest: string | undefined },
  ): Promise<readonly string[]>;
}
