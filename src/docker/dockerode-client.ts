import type Docker from 'dockerode';
import type { z } from 'zod';
import type { ContainerSnapshot, ContainerState, ImageSnapshot } from '../domain/container.js';
import { chooseApiVersion } from './api-version.js';
import { connectionOptions, type DockerConnectionSettings } from './connection.js';
import type { DockerClient } from './docker-client.js';
import { DockerError, engineStatus, wrapDockerError } from './docker-error.js';
import { DockerodeRuntime } from './dockerode-runtime.js';
import { loadDockerode } from './load-dockerode.js';
import {
  containerInspectSchema,
  containerListSchema,
  imageInspectSchema,
  versionSchema,
  type ContainerSummary,
} from './wire-schemas.js';

const KNOWN_STATES = new Set<ContainerState>([
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
]);

function parseAnswer<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined ? '' : ` at ${issue.path.join('.') || '(root)'}: ${issue.message}`;
    throw new DockerError('BAD_RESPONSE', `unexpected answer from the Docker engine for ${what}${where}`);
  }
  return result.data;
}

async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof DockerError) throw error;
    throw wrapDockerError(operation, error);
  }
}

/**
 * A container that is the target of legacy links is also listed under each linking name
 * (`/api/db`); its own name is the one without a second slash.
 */
function canonicalName(names: readonly string[]): string | undefined {
  const own = names.find((name) => !name.slice(1).includes('/')) ?? names[0];
  return own?.replace(/^\//, '');
}

function looksLikeImageId(reference: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(reference);
}

/** The one adapter between refit and the Docker engine. */
export class DockerodeClient implements DockerClient {
  private constructor(
    private readonly docker: Docker,
    readonly apiVersion: string,
  ) {}

  /** Connects and negotiates the API version with the engine. */
  static async connect(settings: DockerConnectionSettings): Promise<DockerodeClient> {
    const options = connectionOptions(settings);
    const Docker = loadDockerode();
    const probe = new Docker(options);
    const version = parseAnswer(
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
    return new DockerodeRuntime(this.docker);
  }

  async ping(): Promise<void> {
    await call('answer a ping', () => this.docker.ping());
  }

  async listContainers(
    worthNaming: (container: ContainerSnapshot) => boolean = () => true,
  ): Promise<ContainerSnapshot[]> {
    const raw: unknown = await call('list containers', () => this.docker.listContainers({ all: true }));
    const summaries = parseAnswer(containerListSchema, raw, 'GET /containers/json');
    const snapshots = await Promise.all(summaries.map((summary) => this.toSnapshot(summary, worthNaming)));
    return snapshots.filter((snapshot): snapshot is ContainerSnapshot => snapshot !== undefined);
  }

  async inspectImage(id: string): Promise<ImageSnapshot | undefined> {
    try {
      const raw: unknown = await this.docker.getImage(id).inspect();
      const image = parseAnswer(imageInspectSchema, raw, `GET /images/${id}/json`);
      return { id: image.Id, repoDigests: image.RepoDigests, repoTags: image.RepoTags };
    } catch (error) {
      if (engineStatus(error) === 404) return undefined;
      if (error instanceof DockerError) throw error;
      throw wrapDockerError(`inspect image ${id}`, error);
    }
  }

  /**
   * The list answer names the image the container was created from, except when that name
   * now points at another image (e.g. after a manual pull): then Docker shows the image ID
   * instead, and only an inspect still has the original reference.
   */
  private async toSnapshot(
    summary: ContainerSummary,
    worthNaming: (container: ContainerSnapshot) => boolean,
  ): Promise<ContainerSnapshot | undefined> {
    const state = KNOWN_STATES.has(summary.State as ContainerState)
      ? (summary.State as ContainerState)
      : 'dead';
    const listed: ContainerSnapshot = {
      id: summary.Id,
      name: canonicalName(summary.Names) ?? summary.Id,
      imageReference: summary.Image,
      imageId: summary.ImageID,
      state,
      labels: summary.Labels,
    };
    const named = !looksLikeImageId(summary.Image) && summary.Image !== summary.ImageID;
    if (named || !worthNaming(listed)) return listed;
    let raw: unknown;
    try {
      raw = await this.docker.getContainer(summary.Id).inspect();
    } catch (error) {
      // Removed between the list and the inspect: it is simply no longer there.
      if (engineStatus(error) === 404) return undefined;
      throw wrapDockerError(`inspect container ${summary.Id}`, error);
    }
    const imageReference = parseAnswer(containerInspectSchema, raw, `GET /containers/${summary.Id}/json`)
      .Config.Image;
    return { ...listed, imageReference };
  }
}
