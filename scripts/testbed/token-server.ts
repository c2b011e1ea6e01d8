/**
 * The test bed's registry token server, shaped like Docker Hub's auth service:
 *
 *   GET /token?service=refit-testbed&scope=repository:NAME:pull,push[&scope=…]
 *
 * Anonymous callers may pull repositories under `public/`; the bed's user (HTTP Basic on this
 * request) may pull, push and delete everywhere; anything else yields a token with an empty
 * access list, so the registry answers 401/403 as Docker Hub does. Wrong credentials get 401.
 * Every token request is logged as one JSON line for tests to assert on.
 *
 * Started by scripts/testbed.sh: node --import tsx token-server.ts --state-dir DIR --port N …
 */
import {
  createPrivateKey,
  createHash,
  randomUUID,
  sign,
  timingSafeEqual,
  X509Certificate,
} from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface Access {
  readonly type: string;
  readonly name: string;
  readonly actions: string[];
}

interface Settings {
  readonly port: number;
  readonly service: string;
  readonly issuer: string;
  readonly username: string;
  readonly password: string;
  readonly ttlSeconds: number;
  readonly logFile: string;
  readonly keyPem: string;
  readonly certDerBase64: string;
}

const PUBLIC_PREFIX = 'public/';
const USER_ACTIONS = ['pull', 'push', 'delete', '*'];

function readSettings(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      'state-dir': { type: 'string' },
      port: { type: 'string' },
      service: { type: 'string' },
      issuer: { type: 'string' },
      username: { type: 'string' },
      ttl: { type: 'string', default: '300' },
    },
  });
  const required = (name: string, value: string | undefined): string => {
    if (value === undefined || value === '') throw new Error(`token-server: --${name} is required`);
    return value;
  };
  const dir = required('state-dir', values['state-dir']);
  const port = Number(required('port', values.port));
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`token-server: --port ${values.port ?? ''} is not a port`);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
    throw new Error('token-server: --ttl must be whole seconds');
  return {
    port,
    service: required('service', values.service),
    issuer: required('issuer', values.issuer),
    username: required('username', values.username),
    password: readFileSync(join(dir, 'auth', 'token-password'), 'utf8').trim(),
    ttlSeconds,
    logFile: join(dir, 'logs', 'token-server.log'),
    keyPem: readFileSync(join(dir, 'certs', 'token.key'), 'utf8'),
    certDerBase64: new X509Certificate(readFileSync(join(dir, 'certs', 'token.crt'))).raw.toString('base64'),
  };
}

/** `repository:NAME:ACTIONS`; NAME may itself hold colons in other scope types, so split from both ends. */
function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first === -1 || last === first) return undefined;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter((a) => a !== '');
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

/** What the caller gets for each requested scope; scopes with nothing granted are left out. */
function grant(account: string | null, scopes: readonly string[]): Access[] {
  const granted: Access[] = [];
  for (const scope of scopes) {
    const access = parseScope(scope);
    if (access === undefined) continue;
    let allowed: string[] = [];
    if (account !== null) allowed = USER_ACTIONS;
    else if (access.type === 'repository' && access.name.startsWith(PUBLIC_PREFIX)) allowed = ['pull'];
    const actions = access.actions.filter((action) => allowed.includes(action));
    if (actions.length > 0) granted.push({ ...access, actions });
  }
  return granted;
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

function signJwt(settings: Settings, key: ReturnType<typeof createPrivateKey>, claims: object): string {
  const header = base64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', x5c: [settings.certDerBase64] }));
  const payload = base64url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${header}.${payload}.${base64url(signature)}`;
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** undefined: no credentials; null: wrong credentials; else the account name. */
function authenticate(settings: Settings, req: IncomingMessage): string | null | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (match?.[1] === undefined) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return user === settings.username && sameSecret(password, settings.password) ? user : null;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function handleToken(
  settings: Settings,
  key: ReturnType<typeof createPrivateKey>,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
) {
  const service = url.searchParams.get('service') ?? '';
  const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ').filter((p) => p !== ''));
  const auth = authenticate(settings, req);
  const account = typeof auth === 'string' ? auth : null;
  const status = auth === null ? 401 : service !== settings.service ? 400 : 200;
  // Logged before answering, so a test reading the log after its request always finds it.
  appendFileSync(
    settings.logFile,
    `${JSON.stringify({ time: new Date().toISOString(), account, service, scopes, status })}\n`,
  );
  if (status === 401) {
    send(
      res,
      401,
      { details: 'incorrect username or password' },
      { 'www-authenticate': 'Basic realm="refit-testbed"' },
    );
    return;
  }
  if (status === 400) {
    send(res, 400, {
      details: `unknown service "${service}"; this server issues tokens for "${settings.service}"`,
    });
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  const token = signJwt(settings, key, {
    iss: settings.issuer,
    sub: account ?? '',
    aud: settings.service,
    exp: now + settings.ttlSeconds,
    // A little slack for clocks that disagree by a second.
    nbf: now - 5,
    iat: now,
    jti: randomUUID(),
    access: grant(account, scopes),
  });
  send(res, 200, {
    token,
    access_token: token,
    expires_in: settings.ttlSeconds,
    issued_at: new Date(now * 1000).toISOString(),
  });
}

function main(): void {
  const settings = readSettings(process.argv.slice(2));
  const key = createPrivateKey(settings.keyPem);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token-server');
    try {
      if (req.method === 'GET' && url.pathname === '/healthz') send(res, 200, { ok: true });
      else if (req.method === 'GET' && url.pathname === '/token') handleToken(settings, key, req, res, url);
      else
        send(res, 404, {
          details: `no ${req.method ?? ''} ${url.pathname} here; tokens come from GET /token`,
        });
    } catch (error) {
      console.error('token-server: request failed', error);
      if (!res.headersSent) send(res, 500, { details: 'internal error' });
    }
  });
  server.listen(settings.port, '127.0.0.1', () => {
    console.log(`token-server: listening on 127.0.0.1:${settings.port} for service ${settings.service}`);
  });
  // Nothing to drain: every request is answered synchronously.
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
