import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

const execFileAsync = promisify(execFile);

let bed: Testbed;

beforeAll(() => {
  bed = loadTestbed();
});

interface Credentials {
  readonly username: string;
  readonly password: string;
}

function clientArgs(url: string, credentials?: Credentials): string[] {
  const { hostname, port } = new URL(url);
  const auth = credentials === undefined ? [] : ['-u', credentials.username, '-P', credentials.password];
  return ['-h', hostname, '-p', port, '-i', uniqueName('refit-test'), ...auth];
}

/**
 * Subscribes to a fresh topic with Debian's mosquitto_sub and publishes `message` there with
 * mosquitto_pub until the subscriber got it (a publish before the subscription took hold is
 * lost, and mosquitto_sub's output is buffered, so it cannot say when it subscribed); resolves
 * to what the subscriber received.
 */
async function roundTrip(url: string, message: string, credentials?: Credentials): Promise<string> {
  const topic = `refit-testbed/${uniqueName('round-trip')}`;
  const sub = spawn('mosquitto_sub', [...clientArgs(url, credentials), '-t', topic, '-C', '1', '-W', '20'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  sub.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  sub.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const closed = new Promise<number | null>((resolve, reject) => {
    sub.on('error', reject);
    sub.on('close', resolve);
  });
  const finished = closed.then(() => true);
  do {
    await execFileAsync('mosquitto_pub', [...clientArgs(url, credentials), '-t', topic, '-m', message], {
      timeout: 20_000,
    });
  } while (!(await Promise.race([finished, sleep(250, false)])));
  const code = await closed;
  if (code !== 0) throw new Error(`mosquitto_sub exited ${String(code)}: ${err}${out}`);
  return out.trim();
}

async function publishFails(url: string, credentials?: Credentials): Promise<string> {
  try {
    await execFileAsync(
      'mosquitto_pub',
      [...clientArgs(url, credentials), '-t', 'refit-testbed/refused', '-m', 'x'],
      {
        timeout: 20_000,
      },
    );
  } catch (error) {
    return String((error as { stderr?: unknown }).stderr ?? error);
  }
  throw new Error(`publishing to ${url} succeeded`);
}

describe('MQTT broker', { timeout: 60_000 }, () => {
  it('delivers a message from a publisher to a subscriber on the anonymous listener', async () => {
    const message = uniqueName('hello');
    expect(await roundTrip(bed.mqtt.url, message)).toBe(message);
  });

  it('requires the bed credentials on the password listener', async () => {
    const { authUrl, username, password } = bed.mqtt;
    expect(await publishFails(authUrl)).toMatch(/not authori[sz]ed/i);
    expect(await publishFails(authUrl, { username, password: 'wrong' })).toMatch(/not authori[sz]ed/i);
    const message = uniqueName('secret');
    expect(await roundTrip(authUrl, message, { username, password })).toBe(message);
  });
});

describe('Chromium', { timeout: 90_000 }, () => {
  it('renders a page headless', async () => {
    const profile = await mkdtemp(join(tmpdir(), 'refit-chromium-'));
    try {
      const { stdout } = await execFileAsync(
        bed.chromium.executablePath,
        [
          '--headless',
          // The tests run as root, where Chromium's sandbox cannot start.
          '--no-sandbox',
          '--disable-gpu',
          `--user-data-dir=${profile}`,
          '--dump-dom',
          'data:text/html,<title>refit</title><p id="x">rendered</p><script>document.getElementById("x").textContent += " by script"</script>',
        ],
        { timeout: 60_000 },
      );
      expect(stdout).toContain('<p id="x">rendered by script</p>');
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
  });
});
