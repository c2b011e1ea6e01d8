export type Json = Record<string, unknown>;

function sortedBy<T>(list: readonly T[], key: (item: T) => string): T[] {
  return [...list].sort((a, b) => key(a).localeCompare(key(b)));
}

/**
 * An inspect answer without what is bound to differ between two containers made from the same
 * config: identity, state, paths derived from the ID, run-time network handles, the short-ID
 * hostname and alias Docker adds for each container; lists whose order means nothing are sorted.
 * Name, Path and Args go too: callers compare those themselves where they matter.
 */
export function comparableInspect(raw: Json): Json {
  const inspect = structuredClone(raw) as Json & {
    Id: string;
    Config: Json & { Env: string[] };
    Mounts: { Destination: string }[];
    HostConfig: Json & { Binds: string[] | null };
    NetworkSettings: Json & { Networks: Record<string, Json & { Aliases: string[] | null }> };
  };
  const shortId = inspect.Id.slice(0, 12);
  // prettier-ignore
  for (const key of ['Id', 'Created', 'Name', 'Image', 'State', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath', 'GraphDriver', 'Path', 'Args', 'ExecIDs']) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- dropping the fields listed above
    delete inspect[key];
  }
  if (inspect.Config['Hostname'] === shortId) inspect.Config['Hostname'] = '<short id>';
  inspect.Config.Env = [...inspect.Config.Env].sort();
  inspect.Mounts = sortedBy(inspect.Mounts, (mount) => mount.Destination);
  if (inspect.HostConfig.Binds !== null) inspect.HostConfig.Binds = [...inspect.HostConfig.Binds].sort();
  delete inspect.NetworkSettings['SandboxID'];
  delete inspect.NetworkSettings['SandboxKey'];
  for (const endpoint of Object.values(inspect.NetworkSettings.Networks)) {
    delete endpoint['EndpointID'];
    endpoint.Aliases = endpoint.Aliases?.filter((alias) => alias !== shortId) ?? null;
  }
  return inspect;
}

/** The name of the volume mounted at `destination`, from an inspect answer's Mounts. */
export function volumeAt(inspect: Json, destination: string): string | undefined {
  return (inspect['Mounts'] as { Name?: string; Destination: string }[]).find(
    (mount) => mount.Destination === destination,
  )?.Name;
}
