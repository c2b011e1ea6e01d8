import type { IncomingMessage } from 'node:http';
import { readBody } from './read-body.js';

/** A login or a button press is a few short fields; more is not a form of refit's. */
const FORM_LIMIT_BYTES = 16 * 1024;

function isForm(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  return type !== undefined && /^application\/x-www-form-urlencoded\s*(;|$)/i.test(type);
}

/**
 * The fields of a form post, `undefined` for any other body (which stays unread for the
 * handler). Read before the access check, so the CSRF field is checked in one place for every
 * route.
 */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  if (!isForm(req)) return undefined;
  const body = await readBody(req, FORM_LIMIT_BYTES);
  return new URLSearchParams(body.toString('utf8'));
}
