import type Docker from 'dockerode';
import { z } from 'zod';
import { engineMessage, engineStatus, wrapDockerError } from './docker-error.js';
import { parseDocument } from './documents/parse-document.js';
import { swarmInfoSchema } from './documents/swarm-info.js';
import {
  serviceListSchema,
  serviceSchema,
  type ServiceSpec,
  type SwarmService,
} from './documents/swarm-service.js';
import { taskListSchema, type SwarmTask } from './documents/swarm-task.js';
import type { ServiceUpdateOptions, ServiceUpdateResult, SwarmServices } from './swarm-services.js';

/**
 * How the engine refuses an update naming a stale version: swarmkit's "update out of sequence",
 * which Engine API 1.41 answers as HTTP 500 and newer engines may answer as 409.
 */
function isOutOfSequence(error: unknown): boolean {
  const status = engineStatus(error);
  return (status === 409 || status === 500) && /out of sequence/i.test(engineMessage(error));
}

async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw wrapDockerError(operation, error);
  }
}

/**
 * The answer to an accepted update, `{"Warnings": [...] | null}` (e.g. that the image could not be
 * resolved on a registry). Read leniently: the update is accepted whatever the answer says.
 */
const updateAnswerSchema = z.looseObject({ Warnings: z.array(z.string()).nullish() });

function warningsOf(raw: unknown): string[] {
  const answer = updateAnswerSchema.safeParse(raw);
  return answer.success ? (answer.data.Warnings ?? []) : [];
}

/** The dockerode adapter of the SwarmServices port, on the same connection as the container one. */
export class DockerodeSwarmServices implements SwarmServices {
  constructor(private readonly docker: Docker) {}

  async isManager(): Promise<boolean> {
    const raw: unknown = await call('read its Swarm state', () => this.docker.info());
    const info = parseDocument(swarmInfoSchema, raw, 'GET /info');
    return info.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable === true;
  }

  async listServices(): Promise<SwarmService[]> {
    const raw: unknown = await call('list services', () => this.docker.listServices());
    return parseDocument(serviceListSchema, raw, 'GET /services');
  }

  async inspectService(idOrName: string): Promise<SwarmService | undefined> {
    let raw: unknown;
    try {
      raw = await this.docker.getService(idOrName).inspect();
    } catch (error) {
      if (engineStatus(error) === 404) return undefined;
      throw wrapDockerError(`inspect service ${idOrName}`, error);
    }
    return parseDocument(serviceSchema, raw, `GET /services/${idOrName}`);
  }

  async updateService(
    id: string,
    version: number,
    spec: ServiceSpec,
    options: ServiceUpdateOptions,
  ): Promise<ServiceUpdateResult> {
    const query: Record<string, string | number> = { version };
    if (options.rollback !== undefined) query['rollback'] = options.rollback;
    const what = options.rollback === undefined ? `update service ${id}` : `roll back service ${id}`;
    try {
      // One argument: dockerode then takes `authconfig` out of it for X-Registry-Auth (base64url
      // JSON), and `_query`/`_body` keep the spec out of the URL.
      const raw: unknown = await this.docker.getService(id).update({
        ...(options.registryAuth === undefined ? {} : { authconfig: options.registryAuth }),
        _query: query,
        _body: spec,
      });
      return { kind: 'accepted', warnings: warningsOf(raw) };
    } catch (error) {
      if (isOutOfSequence(error)) return { kind: 'out-of-sequence' };
      throw wrapDockerError(what, error);
    }
  }

  async listTasks(serviceId: string): Promise<SwarmTask[]> {
    const raw: unknown = await call(`list the tasks of service ${serviceId}`, () =>
      this.docker.listTasks({ filters: { service: [serviceId] } }),
    );
    return parseDocument(taskListSchema, raw, `GET /tasks?filters={"service":["${serviceId}"]}`);
  }
}
