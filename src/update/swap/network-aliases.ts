import type { ContainerRuntime } from '../../docker/container-runtime.js';

export interface Endpoint {
  readonly network: string;
  readonly endpointConfig: Readonly<Record<string, unknown>>;
}

type Body = Readonly<Record<string, unknown>>;

function aliasesOf(config: Readonly<Record<string, unknown>>): unknown[] {
  const aliases = config['Aliases'];
  return Array.isArray(aliases) ? aliases : [];
}

function primaryEndpoints(body: Body): Endpoint[] {
  const networking = body['NetworkingConfig'] as
    { EndpointsConfig?: Record<string, Record<string, unknown>> } | undefined;
  return Object.entries(networking?.EndpointsConfig ?? {}).map(([network, endpointConfig]) => ({
    network,
    endpointConfig,
  }));
}

/** Every endpoint of a clone that carries network aliases (the names other containers use). */
export function aliasedEndpoints(createBody: Body, extraNetworks: readonly Endpoint[]): Endpoint[] {
  return [...primaryEndpoints(createBody), ...extraNetworks].filter(
    (e) => aliasesOf(e.endpointConfig).length > 0,
  );
}

function stripped(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...config };
  delete copy['Aliases'];
  return copy;
}

/**
 * The clone with its network aliases removed, for start-first: a container reachable by its
 * aliases before it listens would take requests it cannot answer, so it joins them only once
 * verified.
 */
export function withoutAliases(
  createBody: Body,
  extraNetworks: readonly Endpoint[],
): { createBody: Record<string, unknown>; extraNetworks: Endpoint[] } {
  const primary = primaryEndpoints(createBody);
  const body: Record<string, unknown> = { ...createBody };
  if (primary.length > 0) {
    body['NetworkingConfig'] = {
      EndpointsConfig: Object.fromEntries(primary.map((e) => [e.network, stripped(e.endpointConfig)])),
    };
  }
  return {
    createBody: body,
    extraNetworks: extraNetworks.map((e) => ({ ...e, endpointConfig: stripped(e.endpointConfig) })),
  };
}

/** Reconnects a verified container to its aliased networks with the full endpoint (aliases included). */
export async function joinAliases(
  runtime: ContainerRuntime,
  containerId: string,
  endpoints: readonly Endpoint[],
): Promise<void> {
  for (const { network, endpointConfig } of endpoints) {
    await runtime.disconnectNetwork(network, containerId);
    await runtime.connectNetwork(network, containerId, endpointConfig);
  }
}

/**
 * Takes a container out of its aliased networks, so the engine's DNS stops naming it at once;
 * a container that is merely stopped stays in DNS answers for a moment after it died.
 */
export async function leaveAliases(
  runtime: ContainerRuntime,
  containerId: string,
  endpoints: readonly Endpoint[],
): Promise<void> {
  for (const { network } of endpoints) await runtime.disconnectNetwork(network, containerId);
}
