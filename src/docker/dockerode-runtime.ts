import type Docker from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerRuntime, ExecResult, ImageStore, RegistryAuthConfig } from './container-runtime.js';
import { DockerError, engineStatus, wrapDockerError } from './docker-error.js';
import { containerInspectSchema, type ContainerInspect } from './documents/container-inspect.js';
import { imageInspectSchema, type ImageInspect } from './documents/image-inspect.js';
import { parseDocument } from './documents/parse-document.js';
import { demultiplex } from './log-stream.js';

async function call<T>(
  operation: string,
  run: () => Promise<T>,
  tolerate: readonly number[] = [],
): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    const status = engineStatus(error);
    if (status !== undefined && tolerate.includes(status)) return undefined;
    throw wrapDockerError(operation, error);
  }
}

/** The dockerode adapter of the engine-changing ports. */
export class DockerodeRuntime implements ContainerRuntime, ImageStore {
  constructor(private readonly docker: Docker) {}

  async inspectContainer(idOrName: string): Promise<ContainerInspect | undefined> {
    const raw: unknown = await call(
      `inspect container ${idOrName}`,
      () => this.docker.getContainer(idOrName).inspect(),
      [404],
    );
    return raw === undefined
      ? undefined
      : parseDocument(containerInspectSchema, raw, `GET /containers/${idOrName}/json`);
  }

  async createContainer(name: string, body: Readonly<Record<string, unknown>>): Promise<string> {
    const created = await call(`create container ${name}`, () =>
      // Without _query/_body docker-modem would also copy the whole body into the URL.
      this.docker.createContainer({
        _query: { name },
        _body: body,
      } as unknown as Docker.ContainerCreateOptions),
    );
    if (created === undefined) throw new DockerError('BAD_RESPONSE', `creating ${name} returned nothing`);
    return created.id;
  }

  async connectNetwork(
    network: string,
    containerId: string,
    endpointConfig: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    await call(`connect container ${containerId} to network ${network}`, () =>
      this.docker.getNetwork(network).connect({ Container: containerId, EndpointConfig: endpointConfig }),
    );
  }

  async disconnectNetwork(network: string, containerId: string): Promise<void> {
    // 404/409: not connected (any more), which is what was asked for.
    await call(
      `disconnect container ${containerId} from network ${network}`,
      () => this.docker.getNetwork(network).disconnect({ Container: containerId, Force: true }),
      [404, 409],
    );
  }

  async startContainer(id: string): Promise<void> {
    // 304: already running, which is what was asked for.
    await call(`start container ${id}`, () => this.docker.getContainer(id).start(), [304]);
  }

  async stopContainer(
    id: string,
    options: { signal: string | undefined; timeoutSeconds: number },
  ): Promise<void> {
    const container = this.docker.getContainer(id);
    if (options.signal === undefined) {
      await call(`stop container ${id}`, () => container.stop({ t: options.timeoutSeconds }), [304, 404]);
      return;
    }
    // Engines before API 1.42 cannot take a signal on stop: send it, wait, then kill.
    const sent = await call(
      `send ${options.signal} to container ${id}`,
      () => container.kill({ signal: options.signal }).then(() => true),
      [404, 409],
    );
    if (sent === undefined) return;
    // The engine tells when the container stops; no polling. Past the timeout it is killed.
    const stopped = call(
      `wait for container ${id}`,
      () => container.wait({ condition: 'not-running' }),
      [404],
    ).then(() => 'stopped' as const);
    const timer = new AbortController();
    const late = sleep(options.timeoutSeconds * 1000, 'late' as const, { signal: timer.signal }).catch(
      () => 'stopped' as const,
    );
    const outcome = await Promise.race([stopped, late]);
    timer.abort();
    if (outcome === 'stopped') return;
    await call(`kill container ${id}`, () => container.kill({ signal: 'SIGKILL' }), [404, 409]);
    await stopped;
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await call(`rename container ${id} to ${name}`, () => this.docker.getContainer(id).rename({ name }));
  }

  async removeContainer(id: string, options?: { readonly volumes: boolean }): Promise<void> {
    const volumes = options?.volumes === true;
    await call(
      `remove container ${id}${volumes ? ' with its anonymous volumes' : ''}`,
      () => this.docker.getContainer(id).remove({ force: true, v: volumes }),
      [404],
    );
  }

  async logsTail(id: string, lines: number): Promise<string> {
    const raw = await call(
      `read logs of container ${id}`,
      () => this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false }),
      [404],
    );
    return raw === undefined ? '' : demultiplex(Buffer.from(raw));
  }

  async exec(id: string, command: string, timeoutMs: number): Promise<ExecResult> {
    const container = this.docker.getContainer(id);
    const exec = await call(`run a command in container ${id}`, () =>
      container.exec({ Cmd: ['sh', '-c', command], AttachStdout: true, AttachStderr: true }),
    );
    if (exec === undefined) throw new DockerError('BAD_RESPONSE', `no exec instance for container ${id}`);
    const stream = await call(`start a command in container ${id}`, () =>
      exec.start({ hijack: true, stdin: false }),
    );
    if (stream === undefined) throw new DockerError('BAD_RESPONSE', `no exec stream for container ${id}`);
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const finished = new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    // The timer is cancelled once the command ends, so it never keeps the process alive.
    const timer = new AbortController();
    const timedOut = sleep(timeoutMs, 'timeout' as const, { signal: timer.signal }).catch(
      () => 'done' as const,
    );
    const outcome = await Promise.race([finished.then(() => 'done' as const), timedOut]);
    timer.abort();
    if (outcome === 'timeout') {
      stream.destroy();
      return {
        exitCode: 124,
        output: `${demultiplex(Buffer.concat(chunks))}\n(timed out after ${timeoutMs} ms)`,
      };
    }
    const inspected = await call(`inspect a command in container ${id}`, () => exec.inspect());
    return { exitCode: inspected?.ExitCode ?? -1, output: demultiplex(Buffer.concat(chunks)) };
  }

  async pullImage(reference: string, auth: RegistryAuthConfig | undefined): Promise<ImageInspect> {
    const stream = await call(`pull ${reference}`, () =>
      this.docker.pull(reference, auth === undefined ? {} : { authconfig: auth }),
    );
    if (stream === undefined) throw new DockerError('BAD_RESPONSE', `pulling ${reference} returned nothing`);
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (error: Error | null, events: { error?: string }[]) => {
        const failed = events.find((event) => typeof event.error === 'string');
        if (error !== null) reject(wrapDockerError(`pull ${reference}`, error));
        else if (failed?.error !== undefined)
          reject(new DockerError('API_ERROR', `pulling ${reference} failed: ${failed.error}`));
        else resolve();
      });
    });
    const image = await this.inspectImage(reference);
    if (image === undefined)
      throw new DockerError('BAD_RESPONSE', `${reference} is missing right after its pull`);
    return image;
  }

  async inspectImage(idOrReference: string): Promise<ImageInspect | undefined> {
    const raw: unknown = await call(
      `inspect image ${idOrReference}`,
      () => this.docker.getImage(idOrReference).inspect(),
      [404],
    );
    return raw === undefined
      ? undefined
      : parseDocument(imageInspectSchema, raw, `GET /images/${idOrReference}/json`);
  }

  async tagImage(id: string, reference: string): Promise<void> {
    // The tag is what follows the last colon after the last slash; a digest reference has none.
    const slash = reference.lastIndexOf('/');
    const colon = reference.lastIndexOf(':');
    const [repo, tag] =
      colon > slash ? [reference.slice(0, colon), reference.slice(colon + 1)] : [reference, 'latest'];
    await call(`tag image ${id} as ${reference}`, () => this.docker.getImage(id).tag({ repo, tag }));
  }

  async removeImage(id: string): Promise<'removed' | 'in-use' | 'missing'> {
    try {
      await this.docker.getImage(id).remove({ noprune: false });
      return 'removed';
    } catch (error) {
      const status = engineStatus(error);
      if (status === 404) return 'missing';
      if (status === 409) return 'in-use';
      throw wrapDockerError(`remove image ${id}`, error);
    }
  }
}
