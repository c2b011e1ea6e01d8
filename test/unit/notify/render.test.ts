import { describe, expect, it } from 'vitest';
import { renderReport, renderStartup, validateTemplate } from '../../../src/notify/render.js';
import { containerReport, cycleReport, NEW_DIGEST, OLD_DIGEST } from '../../support/fake-notifier.js';

const SHORT_OLD = 'sha256:aaaaaaaaaaaa';
const SHORT_NEW = 'sha256:bbbbbbbbbbbb';
const digests = { localDigests: [OLD_DIGEST], remoteDigest: NEW_DIGEST };

const busyCycle = cycleReport([
  containerReport('web', 'updated', { ...digests, image: 'nginx:1.27' }),
  containerReport('api', 'updated', digests),
  containerReport('worker', 'rolled-back', { ...digests, reason: 'health check failed after 60s' }),
  containerReport('db', 'failed', { localDigests: [OLD_DIGEST], reason: 'cannot pull postgres:16: 401' }),
  containerReport('cache', 'fresh', { localDigests: [OLD_DIGEST], remoteDigest: OLD_DIGEST }),
  containerReport('proxy', 'skipped'),
]);

describe('renderReport', () => {
  it('names only the counts that matter in the title', () => {
    const message = renderReport(busyCycle, { hostname: 'nas' });
    expect(message.title).toBe('refit on nas: 2 updated, 1 rolled back, 1 failed');
    expect(message.kind).toBe('report');
    expect(message.hostname).toBe('nas');
    expect(message.report).toBe(busyCycle);
  });

  it('calls images left alone new images available, and a quiet cycle no changes', () => {
    const one = cycleReport([containerReport('cache', 'stale', { ...digests, monitorOnly: true })]);
    const two = cycleReport([
      containerReport('cache', 'stale', { ...digests, monitorOnly: true }),
      containerReport('queue', 'stale', { ...digests, monitorOnly: true }),
    ]);
    expect(renderReport(one, { hostname: 'nas' }).title).toBe('refit on nas: 1 new image available');
    expect(renderReport(two, { hostname: 'nas' }).title).toBe('refit on nas: 2 new images available');
    const quiet = cycleReport([containerReport('cache', 'fresh')]);
    expect(renderReport(quiet, { hostname: 'nas' }).title).toBe('refit on nas: no changes');
  });

  it('lists each container with its image, short digests and, for failures, the reason', () => {
    const { text } = renderReport(busyCycle, { hostname: 'nas' });
    expect(text).toBe(
      [
        'Updated:',
        `- web (nginx:1.27): ${SHORT_OLD} → ${SHORT_NEW}`,
        `- api (example/api:latest): ${SHORT_OLD} → ${SHORT_NEW}`,
        'Rolled back:',
        `- worker (example/worker:latest): ${SHORT_OLD} → ${SHORT_NEW}`,
        '  health check failed after 60s',
        'Failed:',
        '- db (example/db:latest)',
        '  cannot pull postgres:16: 401',
        '',
        'Cycle took 4.2s; 1 up to date, 1 skipped.',
      ].join('\n'),
    );
    expect(text).not.toContain(OLD_DIGEST);
  });

  it('with several engines, lists the containers of each engine together under its name', () => {
    const report = cycleReport([
      containerReport('web', 'updated', { ...digests, host: 'pi' }),
      containerReport('db', 'updated', { ...digests, host: 'nas' }),
      containerReport('web', 'updated', { ...digests, host: 'nas' }),
    ]);
    const { text, markdown } = renderReport(report, { hostname: 'refit' });
    const lines = text.split('\n').filter((line) => line.startsWith('- '));
    expect(lines.map((line) => line.split(' ')[1])).toEqual(['nas/db', 'nas/web', 'pi/web']);
    expect(markdown).toContain('`pi/web`');
  });

  it('marks monitor-only images in the list', () => {
    const report = cycleReport([containerReport('cache', 'stale', { ...digests, monitorOnly: true })], 850);
    expect(renderReport(report, { hostname: 'nas' }).text).toBe(
      [
        'New images available:',
        `- cache (example/cache:latest): ${SHORT_OLD} → ${SHORT_NEW} (monitor only)`,
        '',
        'Cycle took 850ms.',
      ].join('\n'),
    );
  });

  it('has a Markdown body for chats', () => {
    const { markdown } = renderReport(busyCycle, { hostname: 'nas' });
    expect(markdown).toContain(
      '**Updated**\n- `web` (nginx:1.27): `sha256:aaaaaaaaaaaa` → `sha256:bbbbbbbbbbbb`',
    );
    expect(markdown).toContain('**Failed**\n- `db` (example/db:latest)\n  cannot pull postgres:16: 401');
    expect(markdown).toContain('_Cycle took 4.2s; 1 up to date, 1 skipped._');
  });

  it('is an error when something failed or rolled back, a warning for new images, else info', () => {
    const severity = (containers: Parameters<typeof cycleReport>[0]) =>
      renderReport(cycleReport(containers), { hostname: 'nas' }).severity;
    expect(severity([containerReport('a', 'updated'), containerReport('b', 'failed')])).toBe('error');
    expect(severity([containerReport('a', 'rolled-back')])).toBe('error');
    // Rolled back because someone asked (refit rollback, the page): nothing broke.
    expect(severity([containerReport('a', 'rolled-back', { requested: true })])).toBe('info');
    expect(severity([containerReport('a', 'updated'), containerReport('b', 'stale')])).toBe('warning');
    expect(severity([containerReport('a', 'updated'), containerReport('b', 'fresh')])).toBe('info');
  });
});

describe('notification templates', () => {
  it('render the documented view', () => {
    const template = [
      '{{hostname}}|{{title}}|{{duration}}|{{summary}}',
      'counts {{counts.updated}} {{counts.rolledBack}} {{counts.failed}} {{counts.stale}} {{counts.fresh}} {{counts.skipped}}',
      '{{#updated}}U {{name}} {{image}} {{status}} {{oldDigest}}>{{newDigest}}; {{/updated}}',
      '{{#rolledBack}}R {{name}} {{reason}}; {{/rolledBack}}',
      '{{#failed}}F {{name}} {{reason}} [{{change}}]; {{/failed}}',
      '{{#entries}}{{name}}={{status}} {{/entries}}',
      '{{^stale}}no new images{{/stale}}',
    ].join('\n');

    const { text, markdown, title } = renderReport(busyCycle, { hostname: 'nas', template });

    expect(text).toBe(
      [
        `nas|${title}|4.2s|Cycle took 4.2s; 1 up to date, 1 skipped.`,
        'counts 2 1 1 0 1 1',
        `U web nginx:1.27 updated ${SHORT_OLD}>${SHORT_NEW}; U api example/api:latest updated ${SHORT_OLD}>${SHORT_NEW}; `,
        'R worker health check failed after 60s; ',
        'F db cannot pull postgres:16: 401 []; ',
        'web=updated api=updated worker=rolled-back db=failed ',
        'no new images',
      ].join('\n'),
    );
    expect(markdown).toBe(text);
  });

  it('fall back to the title when they render nothing, so every channel has a body', () => {
    const report = cycleReport([containerReport('web', 'updated')]);
    const { text } = renderReport(report, { hostname: 'nas', template: '{{#failed}}{{name}}{{/failed}}' });
    expect(text).toBe('refit on nas: 1 updated');
  });

  it('put values in as they are, without HTML escaping', () => {
    const report = cycleReport([containerReport('db', 'failed', { reason: `exit <1> & "boom" 'x'` })]);
    const { text } = renderReport(report, { hostname: 'nas', template: '{{#failed}}{{reason}}{{/failed}}' });
    expect(text).toBe(`exit <1> & "boom" 'x'`);
  });

  it('reach only the data: partials, prototypes and unknown names render nothing', () => {
    const { text } = renderReport(busyCycle, {
      hostname: 'nas',
      template:
        'a{{> header}}b{{constructor}}{{constructor.constructor}}c{{process.env.HOME}}' +
        '{{entries.map}}{{entries.constructor}}{{counts.constructor}}{{title.constructor}}{{duration.length}}d',
    });
    expect(text).toBe('abc4d');
  });

  it('are checked at start-up', () => {
    expect(validateTemplate('{{#updated}}{{name}}{{/updated}}')).toBeUndefined();
    expect(validateTemplate('{{#updated}}{{name}}')).toMatch(/^not a valid Mustache template: .*updated/);
    expect(validateTemplate('{{title')).toMatch(/^not a valid Mustache template: Unclosed tag/);
    expect(validateTemplate('{{/failed}}')).toMatch(/failed/);
  });
});

describe('renderStartup', () => {
  it('says where refit runs, how often it checks and where messages go', () => {
    const message = renderStartup({
      hostname: 'nas',
      schedule: 'every 24h',
      channels: ['slack', 'smtp'],
      level: 'updates',
      monitorOnly: true,
    });
    expect(message.kind).toBe('startup');
    expect(message.title).toBe('refit on nas: started');
    expect(message.severity).toBe('info');
    expect(message.report).toBeUndefined();
    expect(message.text).toContain('refit started on nas (monitor only: nothing is updated).');
    expect(message.text).toContain('Checks: every 24h.');
    expect(message.text).toContain('Messages go to slack, smtp,');
  });

  it("puts Watchtower's title tag in brackets in front of the title", () => {
    const info = {
      hostname: 'nas',
      schedule: 'every 24h',
      channels: ['slack'],
      level: 'updates',
      monitorOnly: false,
    } as const;
    expect(renderStartup({ ...info, titleTag: 'home' }).title).toBe('[home] refit on nas: started');
    expect(renderReport(busyCycle, { hostname: 'nas', titleTag: 'home' }).title).toBe(
      '[home] refit on nas: 2 updated, 1 rolled back, 1 failed',
    );
  });
});
