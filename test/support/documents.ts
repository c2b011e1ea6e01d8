import {
  containerInspectSchema,
  type ContainerInspect,
} from '../../src/docker/documents/container-inspect.js';
import { imageInspectSchema, type ImageInspect } from '../../src/docker/documents/image-inspect.js';
import { parseDocument } from '../../src/docker/documents/parse-document.js';

/** A captured or hand-made container inspect, checked as the Docker adapter checks the engine's. */
export function containerDocument(raw: unknown): ContainerInspect {
  return parseDocument(containerInspectSchema, raw, 'GET /containers/{id}/json');
}

/** A captured or hand-made image inspect, checked as the Docker adapter checks the engine's. */
export function imageDocument(raw: unknown): ImageInspect {
  return parseDocument(imageInspectSchema, raw, 'GET /images/{id}/json');
}
