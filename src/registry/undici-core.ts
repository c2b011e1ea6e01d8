import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const load = createRequire(import.meta.url);

/*
 * The parts of undici refit uses, loaded without undici's index. The index also loads fetch,
 * WebSocket, EventSource, the cache stores, the interceptors and the mock agents, none of which
 * refit uses: about 6 MB of a daemon that idles at 70-odd MB (docs/benchmarks.md). undici has no
 * exports map, so its files load one by one; besides exporting them, the index only gives every
 * dispatcher its request() method, which is done here the same way (the lock file pins undici,
 * and the registry tests fail at once if a new version moves these files).
 */
const Dispatcher = load('undici/lib/dispatcher/dispatcher.js') as typeof Undici.Dispatcher;
Object.assign(Dispatcher.prototype, load('undici/lib/api/index.js') as object);

export const Agent = load('undici/lib/dispatcher/agent.js') as typeof Undici.Agent;

export const getGlobalDispatcher = (
  load('undici/lib/global.js') as { getGlobalDispatcher: typeof Undici.getGlobalDispatcher }
).getGlobalDispatcher;
