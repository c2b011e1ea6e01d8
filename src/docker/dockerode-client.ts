import type Docker from 'dockerode';
import type { ContainerSnapshot } from '../domain/container.js';
import { chooseApiVersion } from './api-version.js';
import { connectionOptions, type DockerConnectionSettings } from './connection.js';
import { snapshotsFromList } from './container-list.js';
import type { DockerClient } from './docker-client.js';
import { DockerError, wrapDockerError } from './docker-error.js';
import type { ContainerInspect } from './documents/container-inspect.js';
import { containerListSchema } from './documents/container-list.js';
import type { ImageInspect } from './documents/image-inspect.js';
import { parseDocument } from './documents/parse-document.js';
import { versionSchema } from './documents/version.js';
import { DockerodeRuntime } from './dockerode-runtime.js';
import { loadDockerode } from './load-dockerode.js';

async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof DockerError) throw error;
    throw wrapDockerError(operation, error);
  }
}

/** The one adapter between refit and the Docker engine. */
export class DockerodeClient implements DockerClient {
  private readonly changes: DockerodeRuntime;

  private constructor(
    private readonly docker: Docker,
    readonly apiVersion: string,
  ) {
    this.changes = new DockerodeRuntime(docker);
  }

  /**
   * Connects and negotiates the API version with the engine. `probeTimeoutMs` bounds that first
   * request at the socket: an engine that accepts the connection and never answers leaves no
   * request behind to keep the process alive.
   */
  static async connect(
    settings: DockerConnectionSettings,
    probeTimeoutMs?: number,
  ): Promise<DockerodeClient> {
    const options = connectionOptions(settings);
    const Docker = loadDockerode();
    const probe = new Docker(
      probeTimeoutMs === undefined ? options : { ...options, timeout: probeTimeoutMs },
    );
    const version = parseDocument(
      versionSchema,
      await call('read its version', () => probe.version()),
      'GET /version',
    );
    const choice = chooseApiVersion(
      { apiVersion: version.ApiVersion, minApiVersion: version.MinAPIVersion },
      settings.apiVersion,
    );
    if (!choice.ok)
      throw new DockerError('API_ERROR', `cannot use the pinned Engine API version: ${choice.problem}`);
    return new DockerodeClient(new Docker({ ...options, version: `v${choice.version}` }), choice.version);
  }

  /** The engine-changing side of the same connection. */
  runtime(): DockerodeRuntime {
    return this.changes;
  }

  /** The connection itself, for the events stream (engine-events.ts). */
  get connection(): Docker {
    return this.docker;
  }

  async ping(): Promise<void> {
    await call('answer a ping', () => this.docker.ping());
  }

  async listContainers(): Promise<ContainerSnapshot[]> {
    const raw: unknown = await call('list containers', () => this.docker.listContainers({ all: true }));
    return snapshotsFromList(parseDocument(containerListSchema, raw, 'GET /containers/json'));
  }

  inspectContainer(idOrName: string): Promise<ContainerInspect | undefined> {
    return this.changes.inspectContainer(idOrName);
  }

  inspectImage(idOrReference: string): Promise<ImageInspect | undefined> {
    return this.changes.inspectImage(idOrReference);
  }
}
