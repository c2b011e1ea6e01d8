import { compareApiVersions } from '../../../docker/api-version.js';
import { withoutImageDefaults } from './image-defaults.js';
import type { ContainerInspect } from '../../../docker/documents/container-inspect.js';
import type { ImageInspect } from '../../../docker/documents/image-inspect.js';
import { networkModeKind, planEndpoints } from './network-endpoints.js';
import { attachVolumes } from './volume-mounts.js';

export interface CloneInput {
  /** GET /containers/{id}/json. */
  readonly container: ContainerInspect;
  /** The image the container runs now: its defaults are what the clone leaves out. */
  readonly oldImage: ImageInspect;
  /** The image it will run (the engine merges its defaults in at create). */
  readonly newImage: ImageInspect;
  /**
   * Resolves a container ID (as in NetworkMode "container:<id>") to the name to use now, so a
   * namespace shared with a container that was itself recreated keeps working.
   */
  readonly containerName: (idOrName: string) => string | undefined;
  /**
   * Destinations of the volumes that reach the container through `HostConfig.VolumesFrom`
   * (inspect cannot tell them from its own); they are left to VolumesFrom rather than bound.
   */
  readonly volumesFromDestinations?: ReadonlySet<string>;
  /**
   * `carry` (the default) attaches the container's anonymous volumes to the new one by name, so
   * their data stays; `fresh` leaves them out, so the engine makes new, empty ones, as with
   * Watchtower's remove-volumes (the old ones are removed with the old container).
   */
  readonly anonymousVolumes?: 'carry' | 'fresh';
  /**
   * The Engine API version the create request will use. From 1.44 a MAC address goes on each
   * network endpoint; below (and when absent) in `Config.MacAddress`, the only place it can go.
   */
  readonly apiVersion?: string;
}

export interface CloneResult {
  /**
   * Body for POST /containers/create: Config fields at top level plus HostConfig and
   * NetworkingConfig, with at most ONE endpoint (engines before API 1.44 reject more).
   */
  createBody: Record<string, unknown>;
  /**
   * Further networks to connect (POST /networks/{id}/connect body: { Container, EndpointConfig })
   * after create, before start.
   */
  extraNetworks: { network: string; endpointConfig: Record<string, unknown> }[];
}

/**
 * The create request for a container that is, to `docker inspect`, the same as `container` but
 * runs `newImage`: its Config and HostConfig copied field by field (unknown fields included),
 * except values equal to the old image's defaults, which are left for the new image to fill in,
 * and what the engine made up for the old container (hostname, short-ID alias, addresses).
 * Pure: it reads only its input.
 */
export function cloneCreateOptions(input: CloneInput): CloneResult {
  const { container, oldImage } = input;
  const macOnEndpoints = input.apiVersion !== undefined && compareApiVersions(input.apiVersion, '1.44') >= 0;

  const config = withoutImageDefaults(container.Config, oldImage.Config ?? {});
  const hostConfig = cloneHostConfig(container, input);
  const kind = networkModeKind(container.HostConfig.NetworkMode);

  // Docker names a container after its short ID unless told otherwise, copies the namespace
  // owner's hostname and domain for container:…, and the machine's for host; the engine refuses
  // a hostname with container:…. Only a name the user gave is kept.
  const hostname = config['Hostname'];
  if (hostname === '' || hostname === container.Id.slice(0, 12) || kind === 'host' || kind === 'container') {
    delete config['Hostname'];
  }
  if (config['Domainname'] === '' || kind === 'container') delete config['Domainname'];

  const endpoints = planEndpoints(container, { macOnEndpoints });
  if (endpoints.networkMode !== undefined) hostConfig['NetworkMode'] = endpoints.networkMode;
  if (endpoints.primaryMacAddress === undefined) delete config['MacAddress'];
  else config['MacAddress'] = endpoints.primaryMacAddress;

  const createBody: Record<string, unknown> = {
    ...config,
    // The new image was pulled under the reference the user wrote; Config.Image stays that.
    Image: container.Config.Image,
    HostConfig: hostConfig,
  };
  const primary = endpoints.primary;
  if (primary !== undefined && Object.keys(primary.config).length > 0) {
    createBody['NetworkingConfig'] = { EndpointsConfig: { [primary.network]: primary.config } };
  }
  return { createBody, extraNetworks: endpoints.extra };
}

function cloneHostConfig(container: ContainerInspect, input: CloneInput): Record<string, unknown> {
  const source = container.HostConfig;
  const out: Record<string, unknown> = structuredClone(source);
  const rename = (reference: string): string => currentContainerName(reference, input.containerName);

  // Docker stores `--network container:name` (and compose's `service:name`) as container:<id>;
  // the ID dies with a recreated container, the name lives on.
  for (const key of ['NetworkMode', 'IpcMode', 'PidMode'] as const) {
    const value = source[key];
    if (value?.startsWith('container:') === true) out[key] = `container:${rename(value.slice(10))}`;
  }
  if (source.VolumesFrom != null) {
    out['VolumesFrom'] = source.VolumesFrom.map((entry) => {
      const [reference = '', ...mode] = entry.split(':');
      return [rename(reference), ...mode].join(':');
    });
  }

  // Named volumes, binds and source-less entries are copied above as they are; only anonymous
  // volumes need attaching by name to come along.
  if (input.anonymousVolumes === 'fresh') return out;
  const volumes = attachVolumes(source, container.Mounts, input.volumesFromDestinations);
  if (volumes.binds !== undefined) out['Binds'] = volumes.binds;
  if (volumes.mounts !== undefined) out['Mounts'] = volumes.mounts;
  return out;
}

function currentContainerName(reference: string, resolve: (idOrName: string) => string | undefined): string {
  const name = resolve(reference);
  if (name === undefined || name === '') return reference;
  return name.startsWith('/') ? name.slice(1) : name;
}
