import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_RUN_LABEL, removeTestContainers, testRunId } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { parseMetrics, waitFor as poll } from '../support/polling.js';
import { freePort } from '../support/free-port.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { buildRefitImage } from '../support/refit-image.js';
import { inspectContainer, type InspectedContainer } from '../support/refit-update.js';
import { TESTBED_LABEL, dockerEnv, loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

/** Debian's docker-compose 1.29 (the Python one). */
const COMPOSE_CLI = '/usr/bin/docker-compose';
const EXAMPLE = fileURLToPath(new URL('../../docker-compose.example.yml', import.meta.url));

/** What the bed puts in place of the example's public names. */
interface BedSettings {
  readonly refitImage: string;
  readonly webImage: string;
  readonly dbImage: string;
  /** Host path of the bed engine's socket. */
  readonly dockerSocket: string;
  readonly schedule: string;
  readonly scope: string;
  readonly apiPort: number;
  readonly webPort: number;
  /** `host:port` of the local SMTP server. */
  readonly smtpServer: string;
  /** A Slack-compatible incoming-webhook URL on the local listener. */
  readonly slackHookUrl: string;
  /** Labels that let the bed's helpers find and remove what the project creates. */
  readonly labels: Readonly<Record<string, string>>;
}

interface Rule {
  readonly name: string;
  readonly service: string;
  readonly match: RegExp;
  /** The lines that replace the matched one (with its indentation prefix). */
  readonly replace: (line: string, indent: string) => string[];
  /** Also drops the lines indented deeper than the matched one (its block). */
  readonly dropBlock?: boolean;
}

const yamlString = (value: string): string => JSON.stringify(value);

/**
 * The example as the test bed needs it, by line edits inside each service (the example keeps
 * one setting per line for this). Every rule must apply at least once, so a change to the
 * example that a rule no longer fits fails here, naming the rule, instead of running unadapted.
 *
 * - images: refit's built image; the apps' images become test images in the bed's registry;
 * - refit joins the host's network (so 127.0.0.1 reaches the registry, the SMTP server and the
 *   Slack listener), which replaces its published port with a free API port of its own;
 * - a 2 s schedule and a scope of its own, so it never touches other tests' containers;
 * - notifications: the SMTP host becomes the local server (user, password, addresses stay);
 *   `slack://` URLs always post to hooks.slack.com, so the Slack channel gets a Slack-compatible
 *   hook URL on the local listener instead (the same payload, by the same channel).
 */
function adaptExample(example: string, bed: BedSettings): string {
  const labelLines = (indent: string): string[] =>
    Object.entries(bed.labels).map(([key, value]) => `${indent}${key}: ${yamlString(value)}`);
  const rules: Rule[] = [
    {
      name: 'refit image',
      service: 'refit',
      match: /^\s+image: /,
      replace: (_, i) => [`${i}image: ${bed.refitImage}`, `${i}labels:`, ...labelLines(`${i}  `)],
    },
    {
      name: 'docker socket',
      service: 'refit',
      match: /^\s+- \/var\/run\/docker\.sock:/,
      replace: (_, i) => [`${i}- ${bed.dockerSocket}:/var/run/docker.sock`],
    },
    {
      name: 'host network instead of published ports',
      service: 'refit',
      match: /^\s+ports:$/,
      replace: (_, i) => [`${i}network_mode: host`],
      dropBlock: true,
    },
    {
      name: 'bed-only environment',
      service: 'refit',
      match: /^\s+environment:$/,
      replace: (line, i) => [
        line,
        `${i}  REFIT_SCOPE: ${yamlString(bed.scope)}`,
        `${i}  REFIT_HTTP_API_HOST: '127.0.0.1'`,
        `${i}  REFIT_HTTP_API_PORT: '${String(bed.apiPort)}'`,
        `${i}  REFIT_NOTIFICATION_SLACK_HOOK_URL: ${yamlString(bed.slackHookUrl)}`,
      ],
    },
    {
      name: 'schedule',
      service: 'refit',
      match: /^\s+REFIT_SCHEDULE: /,
      replace: (_, i) => [`${i}REFIT_SCHEDULE: ${yamlString(bed.schedule)}`],
    },
    { name: 'slack URL', service: 'refit', match: /^\s+slack:\/\//, replace: () => [] },
    {
      name: 'SMTP server',
      service: 'refit',
      match: /^\s+smtp:\/\/.*@smtp\.example\.com:587\//,
      replace: (line) => [line.replace('@smtp.example.com:587/', `@${bed.smtpServer}/`)],
    },
    {
      name: 'web image',
      service: 'web',
      match: /^\s+image: /,
      replace: (_, i) => [`${i}image: ${bed.webImage}`],
    },
    {
      name: 'web port',
      service: 'web',
      match: /^\s+- (['"]?)80:80\1$/,
      replace: (_, i) => [`${i}- '${String(bed.webPort)}:80'`],
    },
    {
      name: 'db image',
      service: 'db',
      match: /^\s+image: /,
      replace: (_, i) => [`${i}image: ${bed.dbImage}`],
    },
    ...['web', 'db'].map((service): Rule => ({
      name: `${service} labels`,
      service,
      match: /^\s+labels:$/,
      replace: (line, i) => [line, `${i}  refit.scope: ${yamlString(bed.scope)}`, ...labelLines(`${i}  `)],
    })),
  ];

  const applied = new Set<string>();
  const out: string[] = [];
  let section = '';
  let service = '';
  let droppingDeeperThan = -1;
  for (const line of example.split('\n')) {
    const indent = /^\s*/.exec(line)?.[0] ?? '';
    if (droppingDeeperThan >= 0) {
      if (line.trim() === '' || indent.length > droppingDeeperThan) continue;
      droppingDeeperThan = -1;
    }
    const top = /^([A-Za-z][\w-]*):/.exec(line);
    if (top !== null) [section, service] = [top[1] ?? '', ''];
    const named = section === 'services' ? /^ {2}([\w-]+):\s*$/.exec(line) : null;
    if (named !== null) service = named[1] ?? '';
    const rule = rules.find((r) => r.service === service && r.match.test(line));
    if (rule === undefined) {
      out.push(line);
      continue;
    }
    applied.add(rule.name);
    out.push(...rule.replace(line, indent));
    if (rule.dropBlock === true) droppingDeeperThan = indent.length;
  }
  const missed = rules.filter((r) => !applied.has(r.name)).map((r) => r.name);
  if (missed.length > 0) {
    throw new Error(`docker-compose.example.yml changed; these edits no longer apply: ${missed.join(', ')}`);
  }
  return out.join('\n');
}

interface Mail {
  readonly user: string | undefined;
  readonly text: string;
}

/** The example's cycles run every 2 s; 40 s leaves room for pulls on a busy machine. */
function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 40_000,
): Promise<T> {
  return poll(probe, what, timeoutMs, 250);
}

interface SlackPost {
  readonly path: string;
  readonly body: string;
}

/**
 * The compose example as a user runs it: Debian's docker-compose 1.29 starts refit (built from
 * this checkout) next to an opted-in and an opted-out service; both services' images get new
 * digests; refit updates only the opted-in one, removes its old image, tells Slack and e-mail,
 * and answers /metrics and /v1/report.
 */
describe('the docker-compose example on the test bed', () => {
  let bed: Testbed;
  let dir = '';
  const scope = uniqueName('compose-example');
  // Compose 1.29 keeps only [a-z0-9_-] of a project name; the scope has nothing else.
  const project = scope;
  const webName = `${project}_web_1`;
  const dbName = `${project}_db_1`;
  const apiToken = `api-${scope}`;
  // An @ in the password checks that the example's percent-encoded URL reaches the server decoded.
  const smtpPassword = `mail@${scope}`;
  const mails: Mail[] = [];
  const slackPosts: SlackPost[] = [];
  let smtp: SMTPServer | undefined;
  let listener: Server | undefined;
  let apiPort = 0;
  let webBefore: InspectedContainer;
  let dbBefore: InspectedContainer;
  let webV2 = '';
  let dbV2 = '';

  const ref = (name: string): string => `${bed.registries.open.host}/${scope}/${name}:latest`;
  const api = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`http://127.0.0.1:${String(apiPort)}${path}`, init);

  function runCompose(cwd: string, args: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(COMPOSE_CLI, args, { cwd, env: dockerEnv(bed), timeout: 120_000 }, (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(new Error(`docker-compose ${args.join(' ')} failed: ${stderr}`, { cause: error }));
      });
    });
  }

  const compose = (args: readonly string[]): Promise<string> =>
    runCompose(dir, ['--project-name', project, '--file', join(dir, 'docker-compose.yml'), ...args]);

  // refit logs to stderr; `docker-compose logs` shows both streams, as users read them.
  const refitLogs = (): Promise<string> =>
    compose(['logs', '--no-color', 'refit']).catch((error: unknown) => `(no logs: ${String(error)})`);

  async function startSmtp(): Promise<number> {
    const server = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS'],
      // No TLS on the bed; the example's credentials still go through AUTH.
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'refit@example.com' && auth.password === smtpPassword) {
          callback(null, { user: auth.username });
        } else {
          callback(new Error('invalid user name or password'));
        }
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const user: unknown = session.user;
          mails.push({
            user: typeof user === 'string' ? user : undefined,
            text: Buffer.concat(chunks).toString(),
          });
          callback();
        });
      },
    });
    smtp = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.server.address() as AddressInfo).port;
  }

  async function startSlackListener(): Promise<number> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        slackPosts.push({ path: request.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
        // What Slack's incoming webhooks answer.
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    listener = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  beforeAll(async () => {
    bed = loadTestbed();
    const refitImage = 'refit:e2e';
    await buildRefitImage(refitImage);
    for (const name of ['web', 'db']) {
      await buildTestImage(ref(name), { marker: `${scope}-${name}-1` });
      await pushImage(ref(name));
    }
    const smtpPort = await startSmtp();
    const slackPort = await startSlackListener();
    apiPort = await freePort('tcp');

    dir = await mkdtemp(join(tmpdir(), 'refit-compose-example-'));
    const example = await readFile(EXAMPLE, 'utf8');
    const adapted = adaptExample(example, {
      refitImage,
      webImage: ref('web'),
      dbImage: ref('db'),
      dockerSocket: bed.dockerHost.replace(/^unix:\/\//, ''),
      schedule: '*/2 * * * * *',
      scope,
      apiPort,
      webPort: await freePort('tcp'),
      smtpServer: `127.0.0.1:${String(smtpPort)}`,
      slackHookUrl: `http://127.0.0.1:${String(slackPort)}/services/T00000000/B00000000/${scope}`,
      labels: { [TESTBED_LABEL]: '1', [TEST_RUN_LABEL]: testRunId },
    });
    await writeFile(join(dir, 'docker-compose.yml'), adapted);
    // The secrets the example reads from .env, as its first lines tell users to write them.
    await writeFile(
      join(dir, '.env'),
      `REFIT_API_TOKEN=${apiToken}\nSMTP_PASSWORD=${smtpPassword.replace('@', '%40')}\nPOSTGRES_PASSWORD=db-${scope}\n`,
    );
    await compose(['up', '--detach']);
    webBefore = await inspectContainer(webName);
    dbBefore = await inspectContainer(dbName);

    // refit is up and its channels work once the start-up message has arrived.
    await waitFor(() => (slackPosts.length > 0 ? true : undefined), 'the start-up message', 30_000).catch(
      async (error: unknown) => {
        throw new Error(`${String(error)}; refit's logs:\n${(await refitLogs()).slice(-3000)}`);
      },
    );

    // Both services get a new image upstream, forgotten locally so refit must pull it.
    webV2 = await buildTestImage(ref('web'), { marker: `${scope}-web-2` });
    await pushImage(ref('web'));
    await docker(['image', 'rm', ref('web')]);
    dbV2 = await buildTestImage(ref('db'), { marker: `${scope}-db-2` });
    await pushImage(ref('db'));
    await docker(['image', 'rm', ref('db')]);
  }, 600_000);

  afterAll(async () => {
    if (dir !== '') {
      await compose(['down', '--volumes', '--timeout', '1']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
    await removeTestContainers();
    await new Promise<void>((resolve) => {
      if (smtp === undefined) resolve();
      else smtp.close(resolve);
    });
    await new Promise<void>((resolve) => {
      if (listener === undefined) resolve();
      else
        listener.close(() => {
          resolve();
        });
    });
  });

  it('is, as shipped, a valid file for Compose 1.29 that names a secret missing from .env', async () => {
    const shipped = join(dir, 'shipped');
    await mkdir(shipped);
    await writeFile(join(shipped, 'docker-compose.yml'), await readFile(EXAMPLE, 'utf8'));
    const config = (env: string): Promise<string> =>
      writeFile(join(shipped, '.env'), env).then(() =>
        runCompose(shipped, ['--file', join(shipped, 'docker-compose.yml'), 'config', '--quiet']),
      );
    await expect(config(`REFIT_API_TOKEN=t\nSMTP_PASSWORD=p\nPOSTGRES_PASSWORD=d\n`)).resolves.toBe('');
    await expect(config(`SMTP_PASSWORD=p\nPOSTGRES_PASSWORD=d\n`)).rejects.toThrow(
      /set REFIT_API_TOKEN in \.env/,
    );
  });

  it('replaces the opted-in service with a container from the new image', async () => {
    const after = await waitFor(async () => {
      const current = await inspectContainer(webName).catch(() => undefined);
      return current !== undefined && current.Id !== webBefore.Id && current.Image === webV2
        ? current
        : undefined;
    }, 'the web service to run its new image').catch(async (error: unknown) => {
      throw new Error(`${String(error)}; refit's logs:\n${(await refitLogs()).slice(-3000)}`);
    });
    expect(after.State.Running).toBe(true);
    expect(after.Config.Labels?.['com.docker.compose.service']).toBe('web');
  }, 60_000);

  it('keeps the old image of the updated service for a rollback (REFIT_CLEANUP keeps one generation)', async () => {
    // Removed only when it falls out of REFIT_ROLLBACK_GENERATIONS (1): at the service's next update.
    expect(await docker(['image', 'inspect', '--format', '{{.Id}}', webBefore.Image])).toBe(webBefore.Image);
  });

  it('leaves the opted-out service and its image alone', async () => {
    const db = await inspectContainer(dbName);
    expect(db.Id).toBe(dbBefore.Id);
    expect(db.Image).toBe(dbBefore.Image);
    expect(db.Image).not.toBe(dbV2);
    expect(db.State.StartedAt).toBe(dbBefore.State.StartedAt);
    // Never pulled: the new db image is only in the registry.
    await expect(docker(['image', 'inspect', dbV2])).rejects.toThrow();
  });

  it('e-mails the update through the configured SMTP account', async () => {
    const mail = await waitFor(
      () => mails.find((m) => /^Subject: .*1 updated/m.test(m.text)),
      'the update e-mail',
    );
    expect(mail.user).toBe('refit@example.com');
    expect(mail.text).toMatch(/^To: ops@example\.com/m);
    expect(mail.text).toMatch(/^From: .*refit@example\.com/m);
    expect(mail.text).toContain(webName);
  }, 60_000);

  it('posts the update to Slack', async () => {
    const post = await waitFor(
      () => slackPosts.find((p) => p.body.includes('1 updated')),
      'the Slack message about the update',
    );
    expect(post.path).toBe(`/services/T00000000/B00000000/${scope}`);
    const payload = JSON.parse(post.body) as { text: string; attachments: { blocks: unknown[] }[] };
    expect(payload.text).toMatch(/1 updated/);
    expect(JSON.stringify(payload.attachments)).toContain('web_1');
  }, 60_000);

  it('serves metrics for Prometheus without a token', async () => {
    const response = await api('/metrics');
    expect(response.status).toBe(200);
    const metrics = parseMetrics(await response.text());
    expect(metrics.get('refit_container_updates_total{result="updated"}')).toBe(1);
    expect(metrics.get('refit_notifications_total{channel="slack",result="sent"}')).toBeGreaterThanOrEqual(2);
    expect(metrics.get('refit_notifications_total{channel="smtp",result="sent"}')).toBeGreaterThanOrEqual(2);
    expect(metrics.get('refit_last_successful_cycle_timestamp_seconds')).toBeGreaterThan(0);
  });

  it('serves the report only with the token from .env', async () => {
    expect((await api('/v1/report')).status).toBe(401);
    const response = await api('/v1/report', { headers: { authorization: `Bearer ${apiToken}` } });
    expect(response.status).toBe(200);
    const report = (await response.json()) as { containers: { name: string; status: string }[] };
    const names = report.containers.map((c) => c.name);
    expect(names).toContain(webName);
    expect(report.containers.find((c) => c.name === dbName)?.status ?? 'not watched').not.toBe('updated');
  });

  it('knows every setting the example uses and never logs its secrets', async () => {
    const logs = await refitLogs();
    expect(logs).toContain('scheduler started');
    expect(logs).not.toMatch(/is not a refit setting/);
    // The start-up log shows the configuration refit read from the example.
    expect(logs).toMatch(/"labelEnable":true/);
    expect(logs).toMatch(/"cleanup":true/);
    for (const secret of [apiToken, smtpPassword, encodeURIComponent(smtpPassword)]) {
      expect(logs).not.toContain(secret);
    }
  });
});
