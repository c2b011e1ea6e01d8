import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../../src/docker/documents/parse-document.js';
import { swarmInfoSchema } from '../../../src/docker/documents/swarm-info.js';
import { serviceSchema } from '../../../src/docker/documents/swarm-service.js';
import { withImage } from '../../../src/update/services/service-subject.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../fixtures/swarm/${name}`, import.meta.url), 'utf8'));
}

describe('the Swarm documents', () => {
  it.each(['service-replicated.json', 'service-global.json', 'service-rolled-back.json'])(
    'keep a captured service spec exactly as the engine gave it (%s)',
    (name) => {
      const raw = fixture(name) as { Spec: unknown };
      const service = parseDocument(serviceSchema, raw, 'GET /services/{id}');
      // What an update sends back is the spec as read: nothing added, dropped or defaulted.
      expect(JSON.parse(JSON.stringify(service.Spec))).toEqual(raw.Spec);
    },
  );

  it('change only the image when one is pinned', () => {
    const raw = fixture('service-replicated.json') as {
      Spec: { TaskTemplate: { ContainerSpec: { Image: string } } };
    };
    const service = parseDocument(serviceSchema, raw, 'GET /services/{id}');
    const sent = JSON.parse(
      JSON.stringify(withImage(service.Spec, 'x:1@sha256:' + 'a'.repeat(64))),
    ) as typeof raw.Spec;
    const expected = structuredClone(raw.Spec);
    expected.TaskTemplate.ContainerSpec.Image = 'x:1@sha256:' + 'a'.repeat(64);
    expect(sent).toEqual(expected);
    expect(raw.Spec.TaskTemplate.ContainerSpec.Image).not.toBe(expected.TaskTemplate.ContainerSpec.Image);
  });

  it('read a manager from /info, and an engine outside any Swarm', () => {
    const manager = parseDocument(swarmInfoSchema, fixture('info-manager.json'), 'GET /info');
    expect(manager.Swarm).toMatchObject({ LocalNodeState: 'active', ControlAvailable: true });
    const plain = parseDocument(
      swarmInfoSchema,
      { Swarm: { LocalNodeState: 'inactive', ControlAvailable: false } },
      'GET /info',
    );
    expect(plain.Swarm?.ControlAvailable).toBe(false);
  });

  it('name the field at fault in an answer refit cannot read', () => {
    expect(() =>
      parseDocument(serviceSchema, { ID: 'x', Version: { Index: 'one' }, Spec: {} }, 'GET /services/x'),
    ).toThrow(/GET \/services\/x at Version\.Index/);
  });
});
