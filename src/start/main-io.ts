import type { Writable } from 'node:stream';

export interface MainIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean | undefined };
  /** Where SIGTERM/SIGINT arrive; the process in production. */
  readonly signals: Pick<NodeJS.EventEmitter, 'once' | 'off'>;
}
