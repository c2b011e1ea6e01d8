import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Config, ConfigProblem } from '../config/index.js';
import type { HostEntry } from '../config/value-schemas.js';
import type { DockerConnectionSettings } from '../docker/connection.js';

/** One engine refit manages, ready to connect to. */
export interface HostSpec extends DockerConnectionSettings {
  /** What reports, metrics, notifications and the status page call it. */
  readonly name: string;
}

/** Where a Docker context's metadata and TLS files are: `$DOCKER_CONFIG/contexts/…/<sha256 of name>`. */
const contextMetaSchema = z.looseObject({
  Endpoints: z.looseObject({
    docker: z.looseObject({ Host: z.string().min(1), SkipTLSVerify: z.boolean().optional() }),
  }),
});

function contextDigest(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/** `REFIT_DOCKER_CERT_PATH_<NAME>`: the name upper-cased, anything but letters and digits as `_`. */
export function certPathVariable(name: string): string {
  return `REFIT_DOCKER_CERT_PATH_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** A name for an entry that gives none: `local` for the engine on this machine, else its host. */
function defaultName(url: string): string {
  if (url.startsWith('unix://')) return 'local';
  if (url.startsWith('context:')) return url.slice('context:'.length);
  try {
    return new URL(url.replace(/^tcp:/, 'http:')).hostname;
  } catch {
    return url;
  }
}

interface Resolved {
  readonly url: string;
  readonly certPath: string | undefined;
  readonly tls: boolean;
}

function resolveContext(name: string, dockerConfigDir: string, source: string): Resolved | ConfigProblem {
  const digest = contextDigest(name);
  const metaFile = join(dockerConfigDir, 'contexts', 'meta', digest, 'meta.json');
  let meta: z.infer<typeof contextMetaSchema>;
  try {
    meta = contextMetaSchema.parse(JSON.parse(readFileSync(metaFile, 'utf8')));
  } catch {
    return { source, message: `no Docker context "${name}" readable at ${metaFile}` };
  }
  const endpoint = meta.Endpoints.docker;
  if (endpoint.SkipTLSVerify === true) {
    return { source, message: `Docker context "${name}" skips TLS verification, which refit does not do` };
  }
  const tlsDir = join(dockerConfigDir, 'contexts', 'tls', digest, 'docker');
  const hasTls = existsSync(join(tlsDir, 'ca.pem'));
  return { url: endpoint.Host, certPath: hasTls ? tlsDir : undefined, tls: hasTls };
}

/**
 * The engines to manage, named and with their TLS settings. One engine keeps Docker's variables
 * (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, DOCKER_CONTEXT); each of several has its own certificate
 * directory in `REFIT_DOCKER_CERT_PATH_<NAME>`, and TLS to it is always verified.
 */
export function resolveHosts(
  config: Pick<
    Config,
    'dockerHosts' | 'dockerTlsVerify' | 'dockerCertPath' | 'dockerConfigDir' | 'dockerApiVersion'
  >,
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; hosts: HostSpec[] } | { ok: false; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  // The same engine written twice (a flag and its alias) is one engine.
  let entries: readonly HostEntry[] = config.dockerHosts.filter(
    (entry, at, all) => all.findIndex((e) => e.name === entry.name && e.url === entry.url) === at,
  );
  const single = entries.length === 1;
  // DOCKER_CONTEXT names the engine when nothing else does, as for the Docker CLI.
  const context = env['DOCKER_CONTEXT'];
  const hostGiven = ['REFIT_DOCKER_HOSTS', 'REFIT_DOCKER_HOST', 'DOCKER_HOST'].some(
    (v) => (env[v] ?? '') !== '',
  );
  if (single && !hostGiven && context !== undefined && context !== '' && context !== 'default') {
    const first = entries[0];
    if (first?.url === 'unix:///var/run/docker.sock' && first.name === undefined) {
      entries = [{ name: undefined, url: `context:${context}` }];
    }
  }
  const hosts: HostSpec[] = [];
  for (const entry of entries) {
    const name = entry.name ?? defaultName(entry.url);
    const source = single ? 'REFIT_DOCKER_HOSTS' : `REFIT_DOCKER_HOSTS (${name})`;
    let resolved: Resolved | ConfigProblem;
    if (entry.url.startsWith('context:')) {
      resolved = resolveContext(entry.url.slice('context:'.length), config.dockerConfigDir, source);
    } else if (single) {
      resolved = { url: entry.url, certPath: config.dockerCertPath, tls: config.dockerTlsVerify };
    } else {
      const certPath = env[certPathVariable(name)];
      const given = certPath !== undefined && certPath.trim() !== '';
      resolved = { url: entry.url, certPath: given ? certPath.trim() : undefined, tls: given };
    }
    if ('message' in resolved) {
      problems.push(resolved);
      continue;
    }
    if (hosts.some((host) => host.name === name)) {
      problems.push({ source, message: `two engines are named "${name}"; give each a name=… of its own` });
      continue;
    }
    hosts.push({
      name,
      dockerHost: resolved.url,
      tlsVerify: resolved.tls,
      certPath: resolved.certPath,
      apiVersion: config.dockerApiVersion,
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, hosts };
}
