import { createHash, randomBytes } from 'node:crypto';
import { HOUR } from '../config/duration.js';

/** A browser that logged in with the API token. */
export interface Session {
  /** Sent with every state-changing request (form field or header), so other sites cannot forge one. */
  readonly csrf: string;
  readonly createdAt: number;
  lastSeenAt: number;
  /** A one-time message for the next page (the outcome of a form post). */
  flash?: string;
}

export interface SessionOptions {
  /** A session unused this long ends. */
  readonly idleMs?: number;
  /** A session ends this long after login however much it is used. */
  readonly maxAgeMs?: number;
  /** Most sessions at once; the least recently used goes first. */
  readonly maxSessions?: number;
  readonly now?: () => number;
}

export const SESSION_IDLE_MS = 12 * HOUR * 1000;
export const SESSION_MAX_AGE_MS = 7 * 24 * HOUR * 1000;

/**
 * Sessions in memory. They end with refit (a restart or self-update asks for a new login),
 * which keeps no login secret on disk. Only the SHA-256 of a session ID is kept, so the map's
 * keys are worthless to anyone who could read refit's memory or a heap dump.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(options: SessionOptions = {}) {
    this.idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.maxAgeMs = options.maxAgeMs ?? SESSION_MAX_AGE_MS;
    this.maxSessions = options.maxSessions ?? 200;
    this.now = options.now ?? Date.now;
  }

  /** A new session and the ID to put in its cookie. */
  create(): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    const session: Session = { csrf: randomBytes(24).toString('base64url'), createdAt: now, lastSeenAt: now };
    this.sessions.set(hashOf(id), session);
    while (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    return { id, session };
  }

  /** The live session for a cookie value, marked as used; `undefined` when unknown or expired. */
  get(id: string): Session | undefined {
    const key = hashOf(id);
    const session = this.sessions.get(key);
    if (session === undefined) return undefined;
    const now = this.now();
    if (now - session.lastSeenAt > this.idleMs || now - session.createdAt > this.maxAgeMs) {
      this.sessions.delete(key);
      return undefined;
    }
    session.lastSeenAt = now;
    // Re-inserted so the map's order stays least recently used first.
    this.sessions.delete(key);
    this.sessions.set(key, session);
    return session;
  }

  /** Whether a session is still live, without marking it used (for long-lived streams). */
  alive(session: Session): boolean {
    const now = this.now();
    if (now - session.lastSeenAt > this.idleMs || now - session.createdAt > this.maxAgeMs) return false;
    for (const live of this.sessions.values()) if (live === session) return true;
    return false;
  }

  destroy(id: string): void {
    this.sessions.delete(hashOf(id));
  }

  get size(): number {
    return this.sessions.size;
  }
}

function hashOf(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('base64url');
}
