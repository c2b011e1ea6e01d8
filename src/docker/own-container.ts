import { readFileSync } from 'node:fs';

/**
 * Finds the ID of the container this process runs in. Docker bind-mounts the container's
 * hostname and resolv.conf from `/…/containers/<id>/`, which shows in mountinfo under both
 * cgroup v1 and v2; outside a container nothing matches.
 */
export function detectOwnContainerId(
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): string | undefined {
  let mountinfo: string;
  try {
    mountinfo = readFile('/proc/self/mountinfo');
  } catch {
    return undefined;
  }
  const match = /\/containers\/([a-f0-9]{64})\/(?:hostname|resolv\.conf|hosts)\b/.exec(mountinfo);
  return match?.[1];
}
