import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmailNotifier, type EmailSettings } from '../../src/notify/channels/email.js';
import type { NotificationMessage } from '../../src/notify/notifier.js';
import { NotifyError } from '../../src/notify/notify-error.js';
import { freePort } from '../support/free-port.js';

const PASSWORD = 'correct-horse-battery';
const WRONG_PASSWORD = 'wrong-staple-0451';

const MESSAGE: NotificationMessage = {
  kind: 'report',
  title: 'refit on nas: 1 updated, 1 failed',
  text: 'Updated:\n- web (nginx:1.27)\nFailed:\n- db <postgres:16>: pull failed',
  markdown: 'Updated:\n- **web** (`nginx:1.27`)\nFailed:\n- **db** <postgres:16>: pull failed',
  severity: 'error',
  hostname: 'nas',
  report: undefined,
};

interface Received {
  readonly raw: string;
  readonly mailFrom: string | false;
  readonly rcptTo: string[];
  readonly secure: boolean;
  readonly user: unknown;
}

interface TestServer {
  readonly port: number;
  readonly received: Received[];
}

let certDir: string;
let key: Buffer;
let cert: Buffer;
const servers: SMTPServer[] = [];

beforeAll(() => {
  certDir = mkdtempSync(join(tmpdir(), 'refit-smtp-'));
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-days', '1', '-subj', '/CN=localhost'],
      ...['-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')],
    ],
    { stdio: 'ignore' },
  );
  key = readFileSync(join(certDir, 'key.pem'));
  cert = readFileSync(join(certDir, 'cert.pem'));
});

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(resolve);
        }),
    ),
  );
});

afterAll(() => {
  rmSync(certDir, { recursive: true, force: true });
});

/** A real SMTP server on 127.0.0.1 that keeps every message it accepts. */
async function startSmtp(options: SMTPServerOptions): Promise<TestServer> {
  const received: Received[] = [];
  const server = new SMTPServer({
    logger: false,
    key,
    cert,
    authOptional: true,
    ...options,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          raw: Buffer.concat(chunks).toString('utf8'),
          mailFrom: session.envelope.mailFrom === false ? false : session.envelope.mailFrom.address,
          rcptTo: session.envelope.rcptTo.map((address) => address.address),
          secure: session.secure,
          user: session.user,
        });
        callback();
      });
    },
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('smtp server has no port');
  return { port: address.port, received };
}

function settings(port: number, overrides: Partial<EmailSettings> = {}): EmailSettings {
  return {
    from: 'refit@example.test',
    to: ['ops@example.test', 'oncall@example.test'],
    host: '127.0.0.1',
    port,
    tls: 'none',
    skipVerify: false,
    subjectTag: '[nas]',
    ...overrides,
  };
}

function send(target: EmailSettings, signal = AbortSignal.timeout(10_000)): Promise<void> {
  return createEmailNotifier(target, { hostname: 'nas' }).send(MESSAGE, signal);
}

async function failure(promise: Promise<void>): Promise<NotifyError> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof NotifyError)) throw new Error(`expected a NotifyError, got ${String(error)}`);
  return error;
}

/** The head of a MIME entity: unfolded header lines by lower-case name, and the rest. */
function splitEntity(raw: string): { headers: Map<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, end).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: raw.slice(end + 4) };
}

function decodeBody(body: string, encoding: string | undefined): string {
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    return body
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
  return body;
}

/** The decoded body of the part with this content type in a multipart/alternative message. */
function part(raw: string, contentType: string): string {
  const { headers, body } = splitEntity(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get('content-type') ?? '')?.[1];
  if (boundary === undefined) throw new Error('message is not multipart');
  for (const section of body.split(`--${boundary}`)) {
    const entity = splitEntity(section.replace(/^\r\n/, ''));
    if (entity.headers.get('content-type')?.startsWith(contentType) === true) {
      return decodeBody(entity.body.replace(/\r\n$/, ''), entity.headers.get('content-transfer-encoding'));
    }
  }
  throw new Error(`no ${contentType} part`);
}

function expectDelivered(server: TestServer, secure: boolean): Received {
  expect(server.received).toHaveLength(1);
  const [mail] = server.received;
  if (mail === undefined) throw new Error('unreachable');
  expect(mail.secure).toBe(secure);
  expect(mail.mailFrom).toBe('refit@example.test');
  expect(mail.rcptTo).toEqual(['ops@example.test', 'oncall@example.test']);
  const { headers } = splitEntity(mail.raw);
  expect(headers.get('from')).toBe('refit on nas <refit@example.test>');
  expect(headers.get('to')).toBe('ops@example.test, oncall@example.test');
  expect(headers.get('subject')).toBe('[nas] refit on nas: 1 updated, 1 failed');
  expect(part(mail.raw, 'text/plain').replaceAll('\r\n', '\n')).toBe(MESSAGE.text);
  return mail;
}

describe('plain SMTP', () => {
  it('delivers one message with sender, recipients, subject, text and escaped HTML', async () => {
    const server = await startSmtp({ disabledCommands: ['STARTTLS', 'AUTH'] });
    await send(settings(server.port, { tls: 'auto' }));

    const mail = expectDelivered(server, false);
    const html = part(mail.raw, 'text/html');
    expect(html).toContain('<strong>web</strong>');
    expect(html).toContain('<code>nginx:1.27</code>');
    expect(html).toContain('&lt;postgres:16&gt;');
    expect(html).not.toContain('<postgres');
  });

  it('stays in plain text with tls=none even when the server offers STARTTLS', async () => {
    const server = await startSmtp({ disabledCommands: ['AUTH'] });
    await send(settings(server.port, { tls: 'none' }));
    expectDelivered(server, false);
  });

  it('reports a refused connection as retryable, naming the server', async () => {
    const port = await freePort('tcp');
    const error = await failure(send(settings(port)));
    expect(error.code).toBe('DELIVERY_FAILED');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('treats a 4xx reply as retryable and a 5xx reply as final', async () => {
    for (const [responseCode, retryable] of [
      [451, true],
      [550, false],
    ] as const) {
      const server = await startSmtp({
        disabledCommands: ['STARTTLS', 'AUTH'],
        onRcptTo(_address, _session, callback) {
          callback(Object.assign(new Error('mailbox unavailable'), { responseCode }));
        },
      });
      const error = await failure(send(settings(server.port)));
      expect(error.code).toBe('DELIVERY_FAILED');
      expect(error.retryable).toBe(retryable);
      expect(error.message).toContain(String(responseCode));
      expect(server.received).toHaveLength(0);
    }
  });
});

describe('STARTTLS', () => {
  it('upgrades the connection when required, accepting a self-signed certificate with skipVerify', async () => {
    const server = await startSmtp({ disabledCommands: ['AUTH'] });
    await send(settings(server.port, { tls: 'starttls', skipVerify: true }));
    expectDelivered(server, true);
  });

  it('upgrades in auto mode when the server offers it', async () => {
    const server = await startSmtp({ disabledCommands: ['AUTH'] });
    await send(settings(server.port, { tls: 'auto', skipVerify: true }));
    expectDelivered(server, true);
  });

  it('refuses an unverifiable certificate with a clear, final error', async () => {
    const server = await startSmtp({ disabledCommands: ['AUTH'] });
    const error = await failure(send(settings(server.port, { tls: 'starttls' })));
    expect(error.code).toBe('DELIVERY_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`smtp server 127.0.0.1:${server.port}: TLS failed`);
    expect(error.message).toMatch(/certificate/i);
    expect(server.received).toHaveLength(0);
  });

  it('fails when STARTTLS is required and the server does not offer it', async () => {
    const server = await startSmtp({ disabledCommands: ['STARTTLS', 'AUTH'] });
    const error = await failure(send(settings(server.port, { tls: 'starttls', skipVerify: true })));
    expect(error.code).toBe('DELIVERY_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('TLS failed');
    expect(server.received).toHaveLength(0);
  });
});

describe('implicit TLS', () => {
  it('speaks TLS from the first byte', async () => {
    const server = await startSmtp({ secure: true, disabledCommands: ['AUTH'] });
    await send(settings(server.port, { tls: 'tls', skipVerify: true }));
    expectDelivered(server, true);
  });

  it('says so when the port does not speak TLS', async () => {
    const server = await startSmtp({ disabledCommands: ['AUTH'] });
    const error = await failure(send(settings(server.port, { tls: 'tls', skipVerify: true })));
    expect(error.code).toBe('DELIVERY_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `smtp server 127.0.0.1:${server.port}: TLS failed: the server does not speak TLS on this port (try starttls or auto)`,
    );
  });
});

describe('authentication', () => {
  async function startAuthServer(method: 'PLAIN' | 'LOGIN'): Promise<TestServer> {
    return startSmtp({
      authMethods: [method],
      authOptional: false,
      // Plain text keeps the test about AUTH; the TLS tests cover encryption.
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, callback) {
        if (auth.method === method && auth.username === 'refit' && auth.password === PASSWORD) {
          callback(null, { user: { name: auth.username, method: auth.method } });
        } else {
          callback(new Error('Invalid username or password'));
        }
      },
    });
  }

  for (const method of ['PLAIN', 'LOGIN'] as const) {
    it(`logs in with AUTH ${method}`, async () => {
      const server = await startAuthServer(method);
      await send(settings(server.port, { user: 'refit', password: PASSWORD }));
      const mail = expectDelivered(server, false);
      expect(mail.user).toEqual({ name: 'refit', method });
    });
  }

  it('reports a wrong password as a final failure without the password', async () => {
    const server = await startAuthServer('PLAIN');
    const error = await failure(send(settings(server.port, { user: 'refit', password: WRONG_PASSWORD })));
    expect(error.code).toBe('DELIVERY_FAILED');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`127.0.0.1:${server.port}`);
    expect(error.message).toContain('authentication failed');
    expect(error.message).not.toContain(WRONG_PASSWORD);
    expect(error.message).not.toContain(Buffer.from(`\0refit\0${WRONG_PASSWORD}`).toString('base64'));
    expect(server.received).toHaveLength(0);
  });
});

describe('a server that never answers', () => {
  let silent: Server;
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await new Promise<void>((resolve) =>
      silent.close(() => {
        resolve();
      }),
    );
  });

  it('rejects within the abort bound and closes the connection', async () => {
    const closed = new Promise<void>((resolve) => {
      silent = createServer((socket) => {
        sockets.push(socket);
        socket.on('close', () => {
          resolve();
        });
      });
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('listener has no port');

    const started = Date.now();
    const error = await failure(send(settings(address.port), AbortSignal.timeout(300)));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.code).toBe('TIMEOUT');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`127.0.0.1:${address.port}`);
    // The client hangs up at once (well before nodemailer's own greeting timeout); the server
    // side sees its socket close without destroying it itself.
    const hungUp = await Promise.race([
      closed.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(resolve, 1_000, false)),
    ]);
    expect(hungUp).toBe(true);
  });
});
