import type Docker from 'dockerode';
import { z } from 'zod';
import { wrapDockerError } from './docker-error.js';

/**
 * One entry of `GET /events` for a container, as refit uses it. `health_status: healthy` and
 * `exec_start: sh -c …` carry their detail after a colon; `action` keeps only the word before it.
 */
export interface ContainerEvent {
  readonly id: string;
  readonly action: string;
  /** What followed the action's colon (`healthy`), or undefined. */
  readonly detail: string | undefined;
  readonly attributes: Readonly<Record<string, string>>;
  /** The engine's clock, nanoseconds since the epoch. */
  readonly timeNano: bigint;
}

const eventSchema = z.looseObject({
  Type: z.string(),
  Action: z.string(),
  Actor: z.looseObject({
    ID: z.string(),
    Attributes: z
      .record(z.string(), z.string())
      .nullish()
      .transform((attributes) => attributes ?? {}),
  }),
  timeNano: z.number().optional(),
  time: z.number().optional(),
});

/** A JSON line of the events stream as a container event, or undefined for anything else. */
export function parseContainerEvent(line: string): ContainerEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success || parsed.data.Type !== 'container') return undefined;
  const { Action, Actor, timeNano, time } = parsed.data;
  const colon = Action.indexOf(':');
  return {
    id: Actor.ID,
    action: colon === -1 ? Action : Action.slice(0, colon),
    detail: colon === -1 ? undefined : Action.slice(colon + 1).trim(),
    attributes: Actor.Attributes,
    // The number is past 2^53, so a few nanoseconds may be lost; only order matters here.
    timeNano: BigInt(Math.trunc(timeNano ?? (time ?? 0) * 1e9)),
  };
}

export interface EventSubscription {
  /** Ends the stream; `onEnd` is not called for an end asked for. */
  close(): void;
}

/**
 * Follows the engine's container events until closed. `onEnd` reports an end nobody asked for:
 * the engine stopped or restarted (an upgrade does this), which the caller must treat as a fault.
 */
export async function followContainerEvents(
  docker: Docker,
  onEvent: (event: ContainerEvent) => void,
  onEnd: (error: Error | undefined) => void,
  timeoutMs = 10_000,
): Promise<EventSubscription> {
  let stream: NodeJS.ReadableStream;
  // A proxy that holds back the stream's headers would keep this waiting for ever.
  const abort = new AbortController();
  const timer = setTimeout(() => {
    abort.abort(new Error(`no answer within ${String(timeoutMs)} ms`));
  }, timeoutMs);
  try {
    stream = await docker.getEvents({
      filters: { type: ['container'] },
      abortSignal: abort.signal,
    } as Parameters<Docker['getEvents']>[0]);
  } catch (error) {
    throw wrapDockerError('follow its events', error);
  } finally {
    clearTimeout(timer);
  }
  let closing = false;
  let pending = '';
  let ended = false;
  const end = (error: Error | undefined): void => {
    if (ended) return;
    ended = true;
    if (!closing) onEnd(error);
  };
  stream.on('data', (chunk: Buffer | string) => {
    pending += chunk.toString();
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') {
        const event = parseContainerEvent(line);
        if (event !== undefined) onEvent(event);
      }
      newline = pending.indexOf('\n');
    }
  });
  stream.on('error', (error: Error) => {
    end(error);
  });
  stream.on('end', () => {
    end(undefined);
  });
  stream.on('close', () => {
    end(undefined);
  });
  return {
    close: () => {
      closing = true;
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    },
  };
}
