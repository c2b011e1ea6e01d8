import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTestContainers, runTestContainer } from '../support/containers.js';
import { docker } from '../support/docker-cli.js';
import { buildTestImage, pushImage } from '../support/images.js';
import { inspectContainer, runUpdateCycle, type UpdateCycle } from '../support/refit-update.js';
import { loadTestbed, type Testbed } from '../support/testbed.js';
import { uniqueName } from '../support/unique-name.js';

/**
 * An image whose busybox httpd answers `/cgi-bin/health` with the status line given: a CGI script
 * printing `Status: …` (busybox httpd turns it into the response's status line).
 */
function httpImage(statusLine: string): { extraDockerfile: string; cmd: string[] } {
  // printf writes the script; its own \\r\\n become the script's \r\n.
  const script = String.raw`#!/bin/sh\nprintf "Status: ${statusLine}\\r\\nContent-Type: text/plain\\r\\n\\r\\n${statusLine}\\n"\n`;
  return {
    extraDockerfile: `RUN mkdir -p /www/cgi-bin && printf '${script}' > /www/cgi-bin/health && chmod +x /www/cgi-bin/health`,
    // httpd as PID 1 would ignore SIGTERM; the shell stops at once when refit stops it.
    cmd: ['sh', '-c', "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"],
  };
}

/**
 * `refit.verify` on the real engine: refit probes the new container over its network, from the
 * host. A new image whose endpoint answers 500 is rolled back (the old container runs again, on
 * its old image); one answering 200 is kept.
 */
describe('verify by probe on the test bed', () => {
  let bed: Testbed;
  const scope = uniqueName('probe');
  const labels = {
    'com.centurylinklabs.watchtower.scope': scope,
    'refit.verify': 'http://:8080/cgi-bin/health',
    'refit.verify.timeout': '4s',
  };
  const oldIds = new Map<string, string>();
  const oldImages = new Map<string, string>();
  const newImages = new Map<string, string>();
  let result: UpdateCycle;

  const ref = (name: string): string => `${bed.registries.open.host}/${scope}/${name}:latest`;

  async function deploy(name: string, statusLine: string): Promise<void> {
    // v1 answers 200: only the new image's answer decides.
    oldImages.set(name, await buildTestImage(ref(name), { bed, ...httpImage('200 OK') }));
    await pushImage(ref(name), { bed });
    oldIds.set(name, await runTestContainer(ref(name), { bed, name: `${scope}-${name}`, labels }));
    newImages.set(name, await buildTestImage(ref(name), { bed, ...httpImage(statusLine) }));
    await pushImage(ref(name), { bed });
    await docker(['image', 'rm', ref(name)], { bed });
  }

  beforeAll(async () => {
    bed = loadTestbed();
    await deploy('broken', '500 Internal Server Error');
    await deploy('healthy', '200 OK');
    result = await runUpdateCycle(bed, scope);
  }, 180_000);

  afterAll(async () => {
    await removeTestContainers({ bed });
    const images = [...oldImages.values(), ...newImages.values()];
    await docker(['image', 'rm', '--force', ...images], { bed }).catch(() => '');
  });

  it('rolls back a new container whose probe answers 500, and says so', async () => {
    const report = result.byName(`${scope}-broken`);
    expect(report.status, result.run.stderr.slice(-3000)).toBe('rolled-back');
    expect(report.reason).toMatch(/probe/);
    expect(report.reason).toMatch(/500/);
    const after = await inspectContainer(`${scope}-broken`);
    expect(after.Id).toBe(oldIds.get('broken'));
    expect(after.Image).toBe(oldImages.get('broken'));
    expect(after.State.Running).toBe(true);
  });

  it('keeps a new container whose probe answers 200', async () => {
    expect(result.byName(`${scope}-healthy`).status, result.run.stderr.slice(-3000)).toBe('updated');
    const after = await inspectContainer(`${scope}-healthy`);
    expect(after.Id).not.toBe(oldIds.get('healthy'));
    expect(after.Image).toBe(newImages.get('healthy'));
    expect(after.State.Running).toBe(true);
  });
});
