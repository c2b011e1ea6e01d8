import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/notify/policy.js';
import { renderReport } from '../../../src/notify/render.js';
import {
  containerReport,
  cycleReport,
  NEW_DIGEST,
  NEWER_DIGEST,
  OLD_DIGEST,
} from '../../support/fake-notifier.js';

const unsigned = (remoteDigest = NEW_DIGEST) =>
  containerReport('web', 'skipped', {
    localDigests: [OLD_DIGEST],
    remoteDigest,
    reason: 'no signature: no cosign signature of registry.example/web@sha256:bbbbbbbbbbbb',
  });
const pinned = containerReport('proxy', 'skipped', { reason: 'pinned to digest sha256:aaaaaaaaaaaa' });
const fresh = containerReport('db', 'fresh', { localDigests: [OLD_DIGEST], remoteDigest: OLD_DIGEST });

describe('a new image refit refused', () => {
  it('is told at the default level, once per digest, while other skips stay quiet', () => {
    expect(decide(cycleReport([pinned, fresh]), 'updates', new Map()).send).toBe(false);

    const first = decide(cycleReport([unsigned(), pinned, fresh]), 'updates', new Map());
    expect(first.send).toBe(true);
    const again = decide(cycleReport([unsigned(), pinned, fresh]), 'updates', first.told);
    expect(again.send).toBe(false);
    const newer = decide(cycleReport([unsigned(NEWER_DIGEST), pinned, fresh]), 'updates', again.told);
    expect(newer.send).toBe(true);
  });

  it('is not a failure: level failures leaves it out', () => {
    expect(decide(cycleReport([unsigned()]), 'failures', new Map()).send).toBe(false);
  });

  it('is listed with the reason, named in the title, and makes the message a warning', () => {
    const message = renderReport(cycleReport([unsigned(), pinned, fresh]), { hostname: 'nas' });
    expect(message.title).toBe('refit on nas: 1 new image refused');
    expect(message.severity).toBe('warning');
    expect(message.text).toBe(
      [
        'Not updated:',
        '- web (example/web:latest): sha256:aaaaaaaaaaaa → sha256:bbbbbbbbbbbb',
        '  no signature: no cosign signature of registry.example/web@sha256:bbbbbbbbbbbb',
        '',
        'Cycle took 4.2s; 1 up to date, 1 skipped.',
      ].join('\n'),
    );
    expect(message.markdown).toContain('**Not updated**');
    expect(message.markdown).toContain('  no signature: no cosign signature');
  });

  it('is in the view a template sees, as `refused` and in `entries`', () => {
    const message = renderReport(cycleReport([unsigned(), pinned]), {
      hostname: 'nas',
      template:
        '{{counts.refused}}/{{counts.skipped}}{{#refused}} {{name}}: {{reason}}{{/refused}}|{{#entries}}{{status}}{{/entries}}',
    });
    expect(message.text).toBe(
      '1/2 web: no signature: no cosign signature of registry.example/web@sha256:bbbbbbbbbbbb|skipped',
    );
  });
});
