/**
 * The slice of a container's state that discovery and selection need, independent of the
 * Docker SDK's types so decisions stay pure and testable with captured data.
 */
export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerSnapshot {
  readonly id: string;
  /** Name without Docker's leading slash. */
  readonly name: string;
  /** `Config.Image`: the reference the container was created from. */
  readonly imageReference: string;
  /** The image ID the container runs (`sha256:…`). */
  readonly imageId: string;
  readonly state: ContainerState;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ImageSnapshot {
  readonly id: string;
  /** `RepoDigests` as Docker reports them, e.g. `127.0.0.1:5000/app@sha256:…`. */
  readonly repoDigests: readonly string[];
  readonly repoTags: readonly string[];
}
