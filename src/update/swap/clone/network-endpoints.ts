import type { ContainerInspect, Endpoint } from '../../../docker/documents/container-inspect.js';

export type NetworkModeKind = 'default' | 'bridge' | 'host' | 'none' | 'container' | 'user';

/** What `HostConfig.NetworkMode` means; `""` and `default` both mean the default bridge on Linux. */
export function networkModeKind(mode: string | undefined): NetworkModeKind {
  const value = mode ?? '';
  if (value === '' || value === 'default') return 'default';
  if (value === 'bridge' || value === 'host' || value === 'none') return value;
  if (value.startsWith('container:')) return 'container';
  return 'user';
}

/** Networks Docker defines itself; the engine refuses aliases on them. */
const BUILT_IN_NETWORKS = new Set(['bridge', 'host', 'none']);

export interface EndpointPlan {
  /** The endpoint of the network the container is created on (its NetworkMode), if any. */
  readonly primary: { readonly network: string; readonly config: Record<string, unknown> } | undefined;
  /** Every other network, to connect after create. */
  readonly extra: { network: string; endpointConfig: Record<string, unknown> }[];
  /**
   * The user's MAC address for `Config.MacAddress` below API 1.44: the container's own, as
   * `docker run --mac-address` put it, whatever its network mode but `container:…`.
   */
  readonly primaryMacAddress: string | undefined;
  /** Set when NetworkMode names a network the container has left: the network to create it on instead. */
  readonly networkMode: string | undefined;
}

export interface EndpointOptions {
  /** API ≥ 1.44: a MAC address goes on each endpoint; below, only `Config.MacAddress` exists. */
  readonly macOnEndpoints: boolean;
}

/**
 * Splits the container's networks into the one it is created on and the ones connected after,
 * each with only the settings a user can give (aliases, static addresses, links, driver options,
 * MAC address); the addresses and IDs the engine assigned at run time are left behind.
 */
export function planEndpoints(container: ContainerInspect, options: EndpointOptions): EndpointPlan {
  const mode = container.HostConfig.NetworkMode ?? '';
  const kind = networkModeKind(mode);
  const configMac = nonEmpty(container.Config.MacAddress);
  // Below API 1.44 `--mac-address` can only set Config.MacAddress, and nothing but the user sets
  // it there (the engine's own addresses live on the endpoints), so it is kept exactly: even one
  // that looks derived from the IP, and with `--network none` too. Only `container:…` cannot have
  // one: the network stack is another container's, and the engine refuses it.
  const primaryMacAddress = options.macOnEndpoints || kind === 'container' ? undefined : configMac;
  const none: EndpointPlan = { primary: undefined, extra: [], primaryMacAddress, networkMode: undefined };
  // host, none and container:… share or lack a network stack: there is nothing to attach.
  if (kind !== 'default' && kind !== 'bridge' && kind !== 'user') return none;

  const networks = container.NetworkSettings?.Networks ?? {};
  const names = Object.keys(networks);
  let primaryName = findPrimary(mode, kind, networks);
  let networkMode: string | undefined;
  if (primaryName === undefined && names.length > 0) {
    // The container was disconnected from its NetworkMode network; creating it there would put
    // it back on a network the user took it off. It is created on its first remaining one.
    primaryName = names[0];
    networkMode = primaryName;
  }

  const shortId = container.Id.slice(0, 12);
  let primary: EndpointPlan['primary'];
  const extra: EndpointPlan['extra'] = [];
  for (const name of names) {
    const endpoint = networks[name];
    if (endpoint === undefined) continue;
    const isPrimary = name === primaryName;
    const mac = userMacAddress(
      isPrimary ? (configMac ?? endpoint.MacAddress) : endpoint.MacAddress,
      endpoint,
    );
    // Below API 1.44 a MAC can only be asked for container-wide (Config.MacAddress, above); an
    // endpoint's own address there is always one the engine made.
    const ownMac = options.macOnEndpoints ? mac : undefined;
    const config = endpointConfig(name, endpoint, shortId, ownMac);
    if (isPrimary) primary = { network: name, config };
    else extra.push({ network: name, endpointConfig: config });
  }
  return { primary, extra, primaryMacAddress, networkMode };
}

function findPrimary(
  mode: string,
  kind: NetworkModeKind,
  networks: Readonly<Record<string, Endpoint>>,
): string | undefined {
  // Docker keys the default network's endpoint as "bridge" whatever NetworkMode says.
  if (kind === 'default' || kind === 'bridge') return 'bridge' in networks ? 'bridge' : undefined;
  if (mode in networks) return mode;
  // `--network <id>` stores the ID (or a prefix of it) in NetworkMode but keys the endpoint by name.
  return Object.keys(networks).find((name) => networks[name]?.NetworkID?.startsWith(mode) === true);
}

function endpointConfig(
  network: string,
  endpoint: Endpoint,
  shortId: string,
  macAddress: string | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const ipam = staticAddresses(endpoint.IPAMConfig);
  if (ipam !== undefined) out['IPAMConfig'] = ipam;
  if (!BUILT_IN_NETWORKS.has(network)) {
    // Docker (before API 1.45) lists the container's short ID among the aliases; the new
    // container gets its own, and carrying the old one would make two containers answer to it.
    const aliases = (endpoint.Aliases ?? []).filter((alias) => alias !== shortId);
    if (aliases.length > 0) out['Aliases'] = aliases;
  }
  if ((endpoint.Links ?? []).length > 0) out['Links'] = [...(endpoint.Links ?? [])];
  // `docker network connect` sends an empty map; kept as it was so inspect shows the same.
  if (endpoint.DriverOpts != null) out['DriverOpts'] = { ...endpoint.DriverOpts };
  if (endpoint.GwPriority !== undefined && endpoint.GwPriority !== 0) out['GwPriority'] = endpoint.GwPriority;
  if (macAddress !== undefined) out['MacAddress'] = macAddress;
  return out;
}

/** IPAMConfig holds only what the user asked for (`--ip`, `--ip6`, `--link-local-ip`). */
function staticAddresses(ipam: Endpoint['IPAMConfig']): Record<string, unknown> | undefined {
  if (ipam == null) return undefined;
  const set = Object.entries(ipam).filter(
    ([, value]) =>
      value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0),
  );
  return set.length > 0 ? structuredClone(Object.fromEntries(set)) : undefined;
}

/**
 * Whether a MAC address seen in inspect is one the user asked for.
 *
 * API < 1.44 (Docker ≤ 24): the user's address is `Config.MacAddress`, present only when set;
 * every endpoint's own MacAddress is the engine's, derived from the IPv4 address (02:42:a.b.c.d).
 * API ≥ 1.44: `Config.MacAddress` is deprecated (Docker 25 still reports it for the primary
 * network, Docker 29 no longer does) and each endpoint's MacAddress holds the address in use,
 * asked for or not; inspect has no field telling which. So an endpoint's address is taken as the
 * user's unless it is exactly the one Docker through v28 derives from the endpoint's IPv4 address.
 * This guard also covers Docker 25.0.0–25.0.2, which put the derived address in Config.MacAddress.
 * Known limit: Docker 29's random addresses (and ipvlan's shared parent address) are carried.
 */
function userMacAddress(candidate: string | undefined, endpoint: Endpoint): string | undefined {
  const mac = nonEmpty(candidate);
  if (mac === undefined) return undefined;
  const derived = derivedMacAddress(endpoint.IPAddress);
  return derived !== undefined && mac.toLowerCase() === derived ? undefined : mac;
}

/** The MAC address Docker (through v28) gives an endpoint from its IPv4 address. */
export function derivedMacAddress(ipv4: string | undefined): string | undefined {
  const parts = (ipv4 ?? '').split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) {
    return undefined;
  }
  return ['02', '42', ...parts.map((part) => Number(part).toString(16).padStart(2, '0'))].join(':');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
