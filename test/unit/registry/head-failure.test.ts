import { describe, expect, it } from 'vitest';
import { headFailureLogLevel } from '../../../src/registry/head-failure.js';

describe('headFailureLogLevel (--warn-on-head-failure)', () => {
  it('always warns with always, and never with never', () => {
    expect(headFailureLogLevel('always', 'registry.example/app:1')).toBe('warn');
    expect(headFailureLogLevel('never', 'nginx:1.27')).toBe('debug');
  });

  it('with auto, warns for Docker Hub and ghcr.io, whose digest requests should work, and logs info elsewhere', () => {
    expect(headFailureLogLevel('auto', 'nginx:1.27')).toBe('warn');
    expect(headFailureLogLevel('auto', 'docker.io/library/redis')).toBe('warn');
    expect(headFailureLogLevel('auto', 'ghcr.io/owner/app:2')).toBe('warn');
    expect(headFailureLogLevel('auto', 'registry.example:5000/app:1')).toBe('info');
  });

  it('warns for a reference it cannot read, as Watchtower does', () => {
    expect(headFailureLogLevel('auto', 'Not A Reference')).toBe('warn');
  });
});
