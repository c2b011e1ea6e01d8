import { describe, expect, it } from 'vitest';
import { parseContainerAction } from '../../../src/http/action-handler.js';
import { HttpError } from '../../../src/http/http-error.js';

function status(pathname: string): number | undefined {
  try {
    parseContainerAction(pathname);
    return undefined;
  } catch (error) {
    return error instanceof HttpError ? error.status : -1;
  }
}

describe('parseContainerAction', () => {
  it('reads the status page actions under /v1/containers/<name>/', () => {
    expect(parseContainerAction('/v1/containers/web/rollback')).toEqual({
      target: 'web',
      action: 'rollback',
    });
    expect(parseContainerAction('/v1/containers/my%20app/approve')).toEqual({
      target: 'my app',
      action: 'approve',
    });
  });

  it('reads approve and dismiss under /v1/updates/<name>/, as docs/policies.md names them', () => {
    expect(parseContainerAction('/v1/updates/web/approve')).toEqual({ target: 'web', action: 'approve' });
    expect(parseContainerAction('/v1/updates/web/dismiss')).toEqual({ target: 'web', action: 'dismiss' });
  });

  it('answers 404 for what /v1/updates/ does not do, and for unknown actions', () => {
    expect(status('/v1/updates/web/rollback')).toBe(404);
    expect(status('/v1/updates/web/update')).toBe(404);
    expect(status('/v1/containers/web/explode')).toBe(404);
    expect(status('/v1/updates/web')).toBe(404);
  });
});
