import { parseDurationSeconds } from '../config/duration.js';
import {
  HistoryError,
  MAX_QUERY_LIMIT,
  type HistoryFilter,
  type HistoryStore,
} from '../history/history-store.js';
import { HttpError } from './http-error.js';
import { json } from './reply.js';
import type { Handler } from './router.js';

function text(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name)?.trim();
  if (value === undefined || value === '') return undefined;
  if (value.length > 255)
    throw new HttpError(400, 'invalid_parameter', `?${name}= is longer than 255 characters`);
  return value;
}

/** `since` is a time (`2025-03-01`, `2025-03-01T12:00:00Z`) or a duration back from now (`24h`, `7d`). */
export function parseSince(raw: string, now: Date): Date {
  const days = /^(\d+(?:\.\d+)?)d$/.exec(raw);
  const seconds = days?.[1] === undefined ? parseDurationSeconds(raw) : Number(days[1]) * 86_400;
  // A bare number is a date to Date.parse but seconds to parseDurationSeconds: read it as seconds.
  if (seconds !== undefined) return new Date(now.getTime() - seconds * 1000);
  const time = Date.parse(raw);
  if (Number.isNaN(time)) {
    throw new HttpError(
      400,
      'invalid_parameter',
      '?since= must be a time (2025-03-01T12:00:00Z) or a duration back from now (24h, 7d)',
    );
  }
  return new Date(time);
}

function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const limit = Number(raw);
  if (!/^\d+$/.test(raw) || limit < 1 || limit > MAX_QUERY_LIMIT) {
    throw new HttpError(
      400,
      'invalid_parameter',
      `?limit= must be a whole number from 1 to ${MAX_QUERY_LIMIT}`,
    );
  }
  return limit;
}

/** Reads the query of `GET /v1/history` into a filter, answering 400 for a value refit cannot use. */
export function historyFilter(params: URLSearchParams, now: Date): HistoryFilter {
  const container = text(params, 'container');
  const host = text(params, 'host');
  const since = text(params, 'since');
  const limit = parseLimit(text(params, 'limit'));
  return {
    ...(container === undefined ? {} : { container }),
    ...(host === undefined ? {} : { host }),
    ...(since === undefined ? {} : { since: parseSince(since, now) }),
    ...(limit === undefined ? {} : { limit }),
  };
}

/** `GET /v1/history?container=&host=&since=&limit=`: recorded outcomes, newest first. */
export function historyHandler(history: HistoryStore, now: () => Date = () => new Date()): Handler {
  return async ({ url }) => {
    const filter = historyFilter(url.searchParams, now());
    try {
      const entries = await history.query(filter);
      return json(200, { entries });
    } catch (error) {
      if (error instanceof HistoryError) {
        throw new HttpError(503, 'history_unavailable', `${error.message}; see refit’s log`, {
          cause: error,
        });
      }
      throw error;
    }
  };
}
