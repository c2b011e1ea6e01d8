import { createRequire, Module } from 'node:module';
import type Docker from 'dockerode';

const require = createRequire(import.meta.url);

/**
 * Modules dockerode loads at start for features refit never uses, each costing about 10 MB of
 * resident memory for as long as the daemon runs:
 * - docker-modem's `ssh2`, needed only for `ssh://` Docker hosts, which refit's configuration
 *   rejects; it also instantiates a 16 MB WebAssembly heap;
 * - dockerode's BuildKit session (`@grpc/grpc-js`, `@grpc/proto-loader`, `protobufjs`), needed
 *   only for `buildImage` with BuildKit; refit never builds images.
 * Each is resolved from the module that requires it, so the placeholder takes the exact cache
 * slot the real module would, and nothing else in the process is affected.
 */
const UNUSED_FEATURES: readonly {
  readonly from: readonly string[];
  readonly request: string;
  readonly feature: string;
  readonly placeholder: (feature: string) => unknown;
}[] = [
  {
    from: ['dockerode', 'docker-modem'],
    request: 'ssh2',
    feature: 'ssh:// Docker hosts',
    placeholder: (feature) => ({ Client: unsupported(feature) }),
  },
  {
    from: ['dockerode'],
    request: './session',
    feature: 'BuildKit image builds',
    placeholder: unsupported,
  },
];

/** Thrown if dockerode ever reaches for a feature refit left unloaded. */
export class UnloadedFeatureError extends Error {
  constructor(feature: string) {
    super(`refit does not load the code for ${feature}`);
    this.name = 'UnloadedFeatureError';
  }
}

/** A stand-in for a constructor or function of the code left out; calling it either way throws. */
function unsupported(feature: string): new () => never {
  // A plain function, not an arrow, so that `new Client()` reaches the throw as well.
  const standIn = function (): never {
    throw new UnloadedFeatureError(feature);
  };
  return standIn as unknown as new () => never;
}

/** Resolves `request` as the last module of the `from` chain would (each resolved from the one before). */
function resolveFrom(chain: readonly string[], request: string): string | undefined {
  try {
    let requireHere = require;
    for (const name of chain) requireHere = createRequire(requireHere.resolve(name));
    return requireHere.resolve(request);
  } catch {
    // Not installed where expected (another layout or version): load dockerode as it is.
    return undefined;
  }
}

let loaded: typeof Docker | undefined;

/** dockerode's constructor, loaded without the code for features refit does not use. */
export function loadDockerode(): typeof Docker {
  if (loaded !== undefined) return loaded;
  for (const unused of UNUSED_FEATURES) {
    const path = resolveFrom(unused.from, unused.request);
    if (path === undefined || require.cache[path] !== undefined) continue;
    const stand = new Module(path);
    stand.filename = path;
    stand.loaded = true;
    stand.exports = unused.placeholder(unused.feature);
    require.cache[path] = stand;
  }
  loaded = require('dockerode') as typeof Docker;
  return loaded;
}
