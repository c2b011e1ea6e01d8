import type { DockerClient } from '../../docker/docker-client.js';
import type { ContainerReport } from '../../domain/report.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import type { CheckItem } from './check.js';
import { discoverContainers } from './discover.js';
import { mayBeWatched, selectContainers, type SelectionOptions } from './select.js';

/** One engine as a cycle sees it. */
export interface DiscoveryHost {
  /** Its name when refit manages several engines; undefined for the only one. */
  readonly name: string | undefined;
  /** The engine's reader, connecting first when needed; rejects when the engine does not answer. */
  readonly docker: () => Promise<DockerClient>;
  /** Before anything else on this engine: finish or undo swaps an earlier cycle left open. */
  readonly recover?: () => Promise<void>;
}

export interface HostDiscovery<H extends DiscoveryHost = DiscoveryHost> {
  readonly host: H;
  readonly items: CheckItem[];
  /** Containers skipped by selection (a bad label), and, for an engine that did not answer, its containers failed. */
  readonly reports: ContainerReport[];
  /** False when the engine did not answer this cycle. */
  readonly reached: boolean;
}

/** The containers an engine had when it last answered, to report them when it does not. */
export type KnownContainers = Map<
  string,
  readonly Pick<ContainerReport, 'id' | 'name' | 'image' | 'monitorOnly'>[]
>;

export function newKnownContainers(): KnownContainers {
  return new Map();
}

/**
 * Lists and selects each engine's containers, all engines at once. One that does not answer
 * (bounded by the host timeout) holds up none of the others: its containers, as it last listed
 * them, are reported failed with "host unreachable", and the next cycle tries it again.
 */
export async function discoverHosts<H extends DiscoveryHost>(
  hosts: readonly H[],
  selection: SelectionOptions,
  known: KnownContainers,
  logger: Logger,
): Promise<HostDiscovery<H>[]> {
  return Promise.all(
    hosts.map(async (host): Promise<HostDiscovery<H>> => {
      const key = host.name ?? '';
      const onHost = host.name === undefined ? {} : { host: host.name };
      try {
        const docker = await host.docker();
        await host.recover?.();
        const discovered = await discoverContainers(docker, (container) =>
          mayBeWatched(container, selection),
        );
        const inspects = new Map(discovered.map(({ container, inspect }) => [container.id, inspect]));
        const selected = selectContainers(
          discovered.map(({ container }) => container),
          selection,
        );
        for (const { container, why } of selected.ignored) {
          logger.debug({ container: container.name, ...onHost, why }, 'container not watched');
        }
        const reports: ContainerReport[] = selected.rejected.map(({ container, reason }) => {
          logger.warn({ container: container.name, ...onHost, reason }, 'container skipped');
          return {
            id: container.id,
            name: container.name,
            image: container.imageReference,
            status: 'skipped',
            reason,
            monitorOnly: selection.monitorOnly,
            ...onHost,
          };
        });
        const items = selected.candidates.map((candidate): CheckItem => ({
          candidate,
          inspect: inspects.get(candidate.container.id),
          docker,
          ...onHost,
        }));
        known.set(
          key,
          items.map(({ candidate }) => ({
            id: candidate.container.id,
            name: candidate.container.name,
            image: candidate.container.imageReference,
            monitorOnly: candidate.monitorOnly,
          })),
        );
        return { host, items, reports, reached: true };
      } catch (error) {
        // With several engines, one that does not answer is that engine's failure, not the cycle's.
        if (host.name === undefined) throw error;
        const reason = `host unreachable: ${describeError(error)}`;
        logger.error({ host: host.name, err: describeError(error) }, 'Docker engine unreachable');
        const last = known.get(key) ?? [];
        const name = host.name;
        const reports: ContainerReport[] =
          last.length > 0
            ? last.map((container): ContainerReport => ({
                ...container,
                status: 'failed',
                reason,
                host: name,
              }))
            : [
                {
                  id: '',
                  name: host.name,
                  image: '',
                  status: 'failed',
                  reason,
                  monitorOnly: selection.monitorOnly,
                  host: host.name,
                },
              ];
        return { host, items: [], reports, reached: false };
      }
    }),
  );
}
