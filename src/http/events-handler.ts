import type { ServerResponse } from 'node:http';
import type { CycleEvent, CycleEventSource } from '../domain/cycle-events.js';
import { HttpError } from './http-error.js';
import type { Handler } from './router.js';
import type { SessionStore } from './sessions.js';

export interface EventStreamOptions {
  /** A comment line this often keeps proxies from closing an idle stream. */
  readonly heartbeatMs?: number;
  /** Most streams open at once; more get 503. */
  readonly maxStreams?: number;
  /** A client that lets this much pile up unread is cut off rather than buffered without end. */
  readonly maxBufferedBytes?: number;
}

/** `event: <type>` and the event as JSON: the whole event, as the engine emitted it. */
export function formatEvent(event: CycleEvent, id: number): string {
  return `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * `GET /v1/events`: a server-sent event stream of cycle events, for the status page (which
 * refreshes what changed) and for scripts (`curl -N`). It starts with `event: ready`; a client
 * that reconnects (EventSource does by itself) has missed what happened meanwhile and should
 * read the state afresh. A stream opened by a login session ends when the session does.
 */
export class EventStreams {
  private readonly open = new Set<ServerResponse>();
  private readonly heartbeatMs: number;
  private readonly maxStreams: number;
  private readonly maxBufferedBytes: number;
  private nextId = 1;

  constructor(
    private readonly source: CycleEventSource,
    private readonly sessions: SessionStore,
    options: EventStreamOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 20_000;
    this.maxStreams = options.maxStreams ?? 64;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  }

  get size(): number {
    return this.open.size;
  }

  handler(): Handler {
    return ({ principal }) => {
      if (this.open.size >= this.maxStreams) {
        return Promise.reject(
          new HttpError(503, 'too_many_streams', 'too many event streams are open; try again later'),
        );
      }
      return Promise.resolve({
        kind: 'stream',
        status: 200,
        headers: {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          // nginx buffers proxied answers unless told not to, which would hold events back.
          'x-accel-buffering': 'no',
        },
        start: (_req, res) => {
          const session = principal.session;
          this.follow(res, session === undefined ? () => true : () => this.sessions.alive(session));
        },
      });
    };
  }

  /** Ends every stream (refit is stopping). */
  closeAll(): void {
    for (const res of this.open) res.end();
    this.open.clear();
  }

  private follow(res: ServerResponse, allowed: () => boolean): void {
    this.open.add(res);
    res.flushHeaders();
    const send = (text: string): void => {
      if (res.writableLength > this.maxBufferedBytes) {
        res.destroy();
        return;
      }
      res.write(text);
    };
    send(`retry: 3000\nevent: ready\ndata: {}\n\n`);
    const unsubscribe = this.source.subscribe((event) => {
      send(formatEvent(event, this.nextId++));
    });
    const heartbeat = setInterval(() => {
      if (!allowed()) {
        res.end();
        return;
      }
      send(': ping\n\n');
    }, this.heartbeatMs);
    heartbeat.unref();
    res.once('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.open.delete(res);
    });
  }
}
