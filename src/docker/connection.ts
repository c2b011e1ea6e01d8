import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { RefitError } from '../errors.js';

export interface DockerConnectionSettings {
  /** `unix:///path/docker.sock` or `tcp://host:port`, as in DOCKER_HOST. */
  readonly dockerHost: string;
  readonly tlsVerify: boolean;
  /** Directory with ca.pem, cert.pem and key.pem, as in DOCKER_CERT_PATH. */
  readonly certPath: string | undefined;
  /** An API version to use instead of negotiating one, as in DOCKER_API_VERSION. */
  readonly apiVersion?: string | undefined;
}

export class DockerHostError extends RefitError {
  constructor(message: string) {
    super('INVALID_DOCKER_HOST', message);
  }
}

/** Turns DOCKER_HOST-style settings into dockerode connection options. */
export function connectionOptions(
  settings: DockerConnectionSettings,
  readFile: (path: string) => Buffer = readFileSync,
): Docker.DockerOptions {
  const { dockerHost } = settings;
  if (dockerHost.startsWith('unix://')) {
    const socketPath = dockerHost.slice('unix://'.length);
    if (socketPath === '') throw new DockerHostError(`DOCKER_HOST "${dockerHost}" names no socket path`);
    return { socketPath };
  }
  let url: URL;
  try {
    url = new URL(dockerHost.replace(/^tcp:\/\//, 'http://'));
  } catch {
    throw new DockerHostError(`DOCKER_HOST "${dockerHost}" is neither unix://PATH nor tcp://HOST:PORT`);
  }
  if (!['http:', 'https:'].includes(url.protocol)) {
    throw new DockerHostError(`DOCKER_HOST "${dockerHost}" uses an unsupported scheme ${url.protocol}`);
  }
  const tls = settings.tlsVerify || url.protocol === 'https:';
  const port = url.port === '' ? (tls ? 2376 : 2375) : Number(url.port);
  const base: Docker.DockerOptions = { host: url.hostname, port, protocol: tls ? 'https' : 'http' };
  if (!tls || settings.certPath === undefined) return base;
  const certPath = settings.certPath;
  return {
    ...base,
    ca: readFile(join(certPath, 'ca.pem')),
    cert: readFile(join(certPath, 'cert.pem')),
    key: readFile(join(certPath, 'key.pem')),
  };
}
