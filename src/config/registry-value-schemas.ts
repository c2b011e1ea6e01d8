import { z } from 'zod';
import { splitList, type ValueSchema } from './value-schemas.js';

/**
 * Schemas of the registry-reach and trust options: mirrors, rate-limit thresholds, request
 * budget. Like value-schemas.ts, messages say what was expected; a mirror entry is named by its
 * position and registry, never quoted whole, since a URL could carry a password.
 */

/** One `REFIT_REGISTRY_MIRRORS` entry, as the registry client takes it. */
export interface RegistryMirrorSetting {
  /** `docker.io`, `ghcr.io`, `host:port`. */
  readonly registry: string;
  /** `http(s)://host[:port][/prefix]`, without a trailing slash. */
  readonly url: string;
}

/** A number of requests, or a share of the registry's limit (`20%`). */
export type RateThresholdSetting = { readonly count: number } | { readonly percent: number };

const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
const REGISTRY_HOST = new RegExp(`^(?:${HOST_LABEL}(?:\\.${HOST_LABEL})*|\\[[0-9a-f:.]+\\])(?::\\d{1,5})?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOCKER_HUB_NAMES = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

function mirrorProblem(registry: string, rawUrl: string): string | RegistryMirrorSetting {
  if (!REGISTRY_HOST.test(registry)) return 'the registry must be host[:port] (docker.io, ghcr.io)';
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(rawUrl) ? rawUrl : `https://${rawUrl}`;
  if (!URL.canParse(withScheme)) return 'the mirror is not a URL';
  const url = new URL(withScheme);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return 'the mirror must be an http:// or https:// URL';
  if (url.username !== '' || url.password !== '') {
    return 'the mirror URL must not carry credentials; give them in config.json under the mirror host';
  }
  if (url.search !== '' || url.hash !== '') return 'the mirror URL must not have a query or fragment';
  const path = url.pathname.replace(/^\/+|\/+$/g, '');
  if (path !== '' && !path.split('/').every((part) => PATH_COMPONENT.test(part))) {
    return 'the mirror path must be repository path components (a proxy-cache project such as /dockerhub)';
  }
  return {
    registry: DOCKER_HUB_NAMES.has(registry) ? 'docker.io' : registry,
    url: `${url.protocol}//${url.host}${path === '' ? '' : `/${path}`}`,
  };
}

/**
 * `registry=url` entries separated by commas or spaces; a registry may have several mirrors,
 * asked in the order written.
 */
export const registryMirrorList: ValueSchema<RegistryMirrorSetting[]> = z.string().transform((raw, ctx) => {
  const entries = splitList(raw);
  const mirrors: RegistryMirrorSetting[] = [];
  entries.forEach((entry, index) => {
    const position = `entry ${index + 1} of ${entries.length}`;
    const equals = entry.indexOf('=');
    if (equals <= 0 || equals === entry.length - 1) {
      ctx.addIssue({
        code: 'custom',
        message: `${position}: expected registry=url, e.g. docker.io=https://mirror.example`,
      });
      return;
    }
    const registry = entry.slice(0, equals).toLowerCase();
    const parsed = mirrorProblem(registry, entry.slice(equals + 1));
    if (typeof parsed === 'string') {
      const named = REGISTRY_HOST.test(registry) ? ` (${registry})` : '';
      ctx.addIssue({ code: 'custom', message: `${position}${named}: ${parsed}` });
      return;
    }
    mirrors.push(parsed);
  });
  return mirrors;
});

/** `N` requests, or `N%` of the limit the registry reports. */
export const rateThreshold: ValueSchema<RateThresholdSetting> = z.string().transform((raw, ctx) => {
  const text = raw.trim();
  const percent = /^(\d{1,3}(?:\.\d+)?)%$/.exec(text);
  if (percent?.[1] !== undefined && Number(percent[1]) <= 100) return { percent: Number(percent[1]) };
  if (/^\d{1,9}$/.test(text)) return { count: Number(text) };
  ctx.addIssue({
    code: 'custom',
    message: 'expected a number of requests (e.g. 2) or a share of the limit (e.g. 20%)',
  });
  return z.NEVER;
});

/** A decimal number within bounds, e.g. requests per second. */
export function decimalInRange(min: number, max: number): ValueSchema<number> {
  const message = `expected a number from ${min} to ${max}`;
  return z
    .string()
    .trim()
    .regex(/^\d+(?:\.\d+)?$/, { error: message })
    .transform(Number)
    .pipe(z.number().min(min, { error: message }).max(max, { error: message }));
}

/** How a threshold reads in --help and the docs. */
export function describeThreshold(threshold: RateThresholdSetting): string {
  return 'count' in threshold ? String(threshold.count) : `${threshold.percent}%`;
}
