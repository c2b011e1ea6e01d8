import { MockAgent } from 'undici';
import type { Credentials } from '../../src/registry/credentials.js';
import type { RateLimitEvent } from '../../src/registry/rate-limit.js';
import type { RegistryLogger, RegistryRequestEvent } from '../../src/registry/registry-http.js';
import {
  createRegistryClient,
  type ClosableRegistryClient,
  type RegistryClientOptions,
} from '../../src/registry/undici-registry-client.js';

/**
 * A registry client over an undici MockAgent that refuses real connections, with every hook
 * recorded. `done()` fails on interceptors left unused (unmatched requests fail by themselves).
 */
export interface MockRegistry {
  readonly agent: MockAgent;
  readonly client: ClosableRegistryClient;
  readonly events: RegistryRequestEvent[];
  readonly rateLimits: RateLimitEvent[];
  readonly logs: string[];
  readonly sleeps: number[];
  readonly clock: { now: number };
  pool(origin: string): ReturnType<MockAgent['get']>;
  done(): Promise<void>;
}

export type MockRegistryOptions = Partial<Omit<RegistryClientOptions, 'credentials'>> & {
  /** Credentials per registry host; anonymous elsewhere. */
  readonly credentials?: Readonly<Record<string, Credentials>>;
};

export function mockRegistry(options: MockRegistryOptions = {}): MockRegistry {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const events: RegistryRequestEvent[] = [];
  const rateLimits: RateLimitEvent[] = [];
  const logs: string[] = [];
  const sleeps: number[] = [];
  const clock = { now: Date.parse('2025-01-01T00:00:00Z') };
  const logger: RegistryLogger = {
    debug: (obj, msg) => logs.push(`debug ${msg} ${JSON.stringify(obj)}`),
    warn: (obj, msg) => logs.push(`warn ${msg} ${JSON.stringify(obj)}`),
  };
  const byHost = options.credentials ?? {};
  const client = createRegistryClient({
    insecureRegistries: [],
    timeoutMs: 2_000,
    logger,
    onRequest: (event) => events.push(event),
    onRateLimit: (event) => rateLimits.push(event),
    now: () => clock.now,
    sleep: (ms) => {
      sleeps.push(ms);
      // Waiting moves the clock, as it would: the request budget refills meanwhile.
      clock.now += ms;
      return Promise.resolve();
    },
    ...options,
    credentials: { getCredentials: (host) => Promise.resolve(byHost[host]) },
    dispatcher: agent,
  });
  return {
    agent,
    client,
    events,
    rateLimits,
    logs,
    sleeps,
    clock,
    pool: (origin) => agent.get(origin),
    async done() {
      try {
        agent.assertNoPendingInterceptors();
      } finally {
        await client.close();
        await agent.close();
      }
    },
  };
}

/** `Authorization: Basic …` as refit sends it. */
export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export const DIGEST_A = `sha256:${'a'.repeat(64)}`;
export const DIGEST_B = `sha256:${'b'.repeat(64)}`;
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/** Headers of a manifest HEAD answer carrying `digest`. */
export function digestHeaders(digest = DIGEST_A, extra: Record<string, string> = {}): Record<string, string> {
  return { 'docker-content-digest': digest, 'content-type': DOCKER_MANIFEST, ...extra };
}
