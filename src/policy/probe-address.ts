/**
 * Where to reach a container for a probe, from its inspect (`NetworkSettings.Networks`): one
 * address per network it is attached to.
 *
 * refit prefers a network it shares with the container (when refit runs in a container, only
 * those are certain to be reachable); otherwise the first network (by name) with an address,
 * which works when refit runs on the host, where bridge addresses are routed. A container on the
 * host network is probed on 127.0.0.1. IPv4 is preferred to IPv6 on the same network.
 */

/** The slice of an endpoint in `NetworkSettings.Networks` the choice reads. */
export interface NetworkEndpointAddresses {
  readonly IPAddress?: string | undefined;
  readonly GlobalIPv6Address?: string | undefined;
}

export interface ProbeAddress {
  readonly address: string;
  readonly network: string;
}

export function chooseProbeAddress(
  networks: Readonly<Record<string, NetworkEndpointAddresses>> | null | undefined,
  /** Networks refit's own container is attached to; empty when refit runs on the host. */
  ownNetworks: readonly string[] = [],
): ProbeAddress | undefined {
  const names = Object.keys(networks ?? {}).sort();
  if (names.includes('host')) return { address: '127.0.0.1', network: 'host' };
  const withAddress = names.flatMap((network) => {
    const endpoint = networks?.[network];
    const address = nonEmpty(endpoint?.IPAddress) ?? nonEmpty(endpoint?.GlobalIPv6Address);
    return address === undefined ? [] : [{ network, address }];
  });
  return withAddress.find((entry) => ownNetworks.includes(entry.network)) ?? withAddress[0];
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
