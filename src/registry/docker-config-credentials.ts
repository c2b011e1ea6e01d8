import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { createCredentialHelperRunner, type CredentialHelperRunner } from './credential-helper.js';
import {
  CredentialError,
  normaliseServerAddress,
  serverAddressFor,
  type CredentialProvider,
  type Credentials,
} from './credentials.js';

export interface DockerConfigCredentialOptions {
  /** Directory holding `config.json` (Docker's `DOCKER_CONFIG`). */
  readonly configDir: string;
  /** Environment for credential helpers (PATH lookup). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  readonly helperTimeoutMs?: number | undefined;
  /** How long a helper's answer is reused, so a cycle runs each helper once per registry. Default 60 s. */
  readonly helperCacheMs?: number | undefined;
  /** Replaces the process-spawning helper runner, for tests. */
  readonly runHelper?: CredentialHelperRunner | undefined;
  /** Replaces `fs.stat` of config.json, for tests. */
  readonly statFile?: ((path: string) => Promise<{ mtimeMs: number; size: number; ino: number }>) | undefined;
  readonly now?: (() => number) | undefined;
}

const authEntrySchema = z.object({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
});

const dockerConfigSchema = z.object({
  auths: z.record(z.string(), authEntrySchema).optional(),
  credsStore: z.string().optional(),
  credHelpers: z.record(z.string(), z.string()).optional(),
});

type DockerConfig = z.infer<typeof dockerConfigSchema>;
type AuthEntry = z.infer<typeof authEntrySchema>;

/** `$DOCKER_CONFIG`, else `~/.docker`, as the Docker CLI resolves it. */
export function defaultDockerConfigDir(env: NodeJS.ProcessEnv, homeDir: string): string {
  const configured = env['DOCKER_CONFIG'];
  return configured !== undefined && configured !== '' ? configured : join(homeDir, '.docker');
}

/**
 * Credentials from a Docker `config.json`: per-registry `credHelpers`, then the `credsStore`,
 * then inline `auths`. The file is read lazily and re-read only when its mtime or size changes,
 * so editing it (or `docker login`) takes effect on the next request without a restart.
 */
export function createDockerConfigCredentialProvider(
  options: DockerConfigCredentialOptions,
): CredentialProvider {
  const configPath = join(options.configDir, 'config.json');
  const runHelper =
    options.runHelper ??
    createCredentialHelperRunner({ env: options.env, timeoutMs: options.helperTimeoutMs });
  const helperCacheMs = options.helperCacheMs ?? 60_000;
  const now = options.now ?? Date.now;

  const statFile = options.statFile ?? stat;
  let cached: { stamp: string; config: DockerConfig | undefined } | undefined;
  // A cycle asks for credentials once per manifest request, many at a time: requests that
  // arrive while the file is being looked at share that look instead of each stat-ing it.
  let inFlight: Promise<DockerConfig | undefined> | undefined;
  const helperAnswers = new Map<string, { expiresAt: number; answer: Promise<Credentials | undefined> }>();

  function loadConfig(): Promise<DockerConfig | undefined> {
    if (inFlight !== undefined) return inFlight;
    const loading = loadConfigNow();
    inFlight = loading;
    const settle = (): void => {
      inFlight = undefined;
    };
    loading.then(settle, settle);
    return loading;
  }

  async function loadConfigNow(): Promise<DockerConfig | undefined> {
    let stamp: string;
    try {
      const info = await statFile(configPath);
      stamp = `${info.mtimeMs}:${info.size}:${info.ino}`;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw new CredentialError('DOCKER_CONFIG_INVALID', `cannot read ${configPath}`, error);
    }
    if (cached?.stamp === stamp) return cached.config;
    const config = await readConfig(configPath);
    cached = { stamp, config };
    return config;
  }

  function askHelper(helper: string, serverUrl: string): Promise<Credentials | undefined> {
    const key = `${helper}\u0000${serverUrl}`;
    const hit = helperAnswers.get(key);
    if (hit && hit.expiresAt > now()) return hit.answer;
    const answer = runHelper(helper, serverUrl);
    helperAnswers.set(key, { expiresAt: now() + helperCacheMs, answer });
    // A failure is not remembered: the next request tries the helper again.
    answer.catch(() => helperAnswers.delete(key));
    return answer;
  }

  return {
    async getCredentials(registryHost) {
      const config = await loadConfig();
      if (config === undefined) return undefined;
      const host = normaliseServerAddress(registryHost);
      const authKey = findKey(config.auths, registryHost, host);

      const helper = helperFor(config, registryHost, host);
      if (helper !== undefined) {
        // Helpers store under the key `docker login` used; fall back to Docker's own spelling.
        const fromHelper = await askHelper(helper, authKey ?? serverAddressFor(host));
        if (fromHelper !== undefined) return fromHelper;
      }

      if (authKey === undefined) return undefined;
      const entry = config.auths?.[authKey];
      return entry === undefined ? undefined : decodeAuthEntry(configPath, authKey, entry);
    },
  };
}

async function readConfig(configPath: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw new CredentialError('DOCKER_CONFIG_INVALID', `cannot read ${configPath}`, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text around the error, which may hold a secret: keep only the fact.
    throw new CredentialError('DOCKER_CONFIG_INVALID', `${configPath} is not valid JSON`);
  }
  const parsed = dockerConfigSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
    throw new CredentialError('DOCKER_CONFIG_INVALID', `${configPath} has unexpected values at ${where}`);
  }
  return parsed.data;
}

function helperFor(config: DockerConfig, registryHost: string, host: string): string | undefined {
  const key = findKey(config.credHelpers, registryHost, host);
  const perRegistry = key === undefined ? undefined : config.credHelpers?.[key];
  if (perRegistry !== undefined && perRegistry !== '') return perRegistry;
  return config.credsStore !== undefined && config.credsStore !== '' ? config.credsStore : undefined;
}

/** The key naming `host`: an exact match first, then any spelling that normalises to it. */
function findKey(
  record: Readonly<Record<string, unknown>> | undefined,
  raw: string,
  host: string,
): string | undefined {
  if (record === undefined) return undefined;
  if (Object.hasOwn(record, raw)) return raw;
  return Object.keys(record).find((key) => normaliseServerAddress(key) === host);
}

function decodeAuthEntry(configPath: string, key: string, entry: AuthEntry): Credentials | undefined {
  if (entry.identitytoken !== undefined && entry.identitytoken !== '') {
    return { identityToken: entry.identitytoken };
  }
  if (entry.auth !== undefined && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new CredentialError(
        'DOCKER_CONFIG_INVALID',
        `${configPath}: the "auth" value for "${key}" is not base64 of user:password`,
      );
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username !== undefined && entry.username !== '' && entry.password !== undefined) {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
