/**
 * The slice of a container's state that discovery and selection need, independent of the
 * Docker SDK's types so decisions stay pure and testable with captured data.
 */
export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerSnapshot {
  readonly id: string;
  /** Name without Docker's leading slash. */
  readonly name: string;
  /**
   * `Config.Image`: the reference the container was created from. The engine's list shows the
   * image ID instead once that reference names another image; discovery then reads it from an
   * inspect (see discover.ts).
   */
  readonly imageReference: string;
  /** The image ID the container runs (`sha256:…`). */
  readonly imageId: string;
  readonly state: ContainerState;
  readonly labels: Readonly<Record<string, string>>;
  /** `HostConfig.NetworkMode`, e.g. `bridge` or `container:<id>`. */
  readonly networkMode: string;
  /** Its legacy links in Docker's form (`/db:/web/db`), read from the other containers' names. */
  readonly links: readonly string[];
}
