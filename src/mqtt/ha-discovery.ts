import { shortDigest } from '../domain/digests.js';
import type { ContainerRow } from '../status/status-snapshot.js';

/**
 * Home Assistant's MQTT discovery for the `update` platform, as pure functions of a container's
 * row. The topics and fields follow Home Assistant's MQTT documentation
 * (integrations/mqtt, "Discovery messages"; integrations/update.mqtt):
 * - config on `<discovery_prefix>/update/<node_id>/<object_id>/config`, both ids of
 *   `[a-zA-Z0-9_-]`, retained; an empty retained payload removes the entity;
 * - state on `state_topic` as JSON with only the keys Home Assistant's schema accepts
 *   (`installed_version`, `latest_version`, `title`, `release_summary`, `release_url`,
 *   `entity_picture`, `in_progress`, `update_percentage`): any other key makes it drop the
 *   whole message;
 * - `command_topic` with `payload_install`, which Home Assistant publishes (not retained) when
 *   the user presses Install;
 * - `availability_topic` with `online`/`offline`, refit's last will.
 */

export const PAYLOAD_INSTALL = 'install';
export const ONLINE = 'online';
export const OFFLINE = 'offline';
/** Home Assistant's longest release summary. */
const SUMMARY_MAX = 255;

export interface HaTopics {
  readonly topicPrefix: string;
  readonly discoveryPrefix: string;
  /** `<discovery_prefix>/update/<node_id>/…`: the node is this refit. */
  readonly nodeId: string;
}

/** Only `[a-zA-Z0-9_-]`, as discovery ids must be. */
export function topicId(text: string): string {
  return text.replace(/[^a-zA-Z0-9_-]/g, '_');
}

export function haTopics(topicPrefix: string, discoveryPrefix: string): HaTopics {
  return { topicPrefix, discoveryPrefix, nodeId: topicId(topicPrefix) };
}

/** A container's id in topics: its host and name, so the same name on two engines is two entities. */
export function objectId(row: Pick<ContainerRow, 'name' | 'host'>): string {
  return topicId(`${row.host}_${row.name}`);
}

export const availabilityTopic = (t: HaTopics): string => `${t.topicPrefix}/availability`;
export const stateTopic = (t: HaTopics, id: string): string => `${t.topicPrefix}/${id}/state`;
export const installTopic = (t: HaTopics, id: string): string => `${t.topicPrefix}/${id}/install`;
export const configTopic = (t: HaTopics, id: string): string =>
  `${t.discoveryPrefix}/update/${t.nodeId}/${id}/config`;
/** Every install topic of this refit, to subscribe to. */
export const installWildcard = (t: HaTopics): string => `${t.topicPrefix}/+/install`;
/** Every discovery config this refit published, to find those of containers that are gone. */
export const configWildcard = (t: HaTopics): string => `${t.discoveryPrefix}/update/${t.nodeId}/+/config`;
/** Home Assistant's birth message: it restarted and wants the discovery configs again. */
export const birthTopic = (t: HaTopics): string => `${t.discoveryPrefix}/status`;

/** The object id in one of this refit's install or config topics, or `undefined`. */
export function objectIdOf(t: HaTopics, topic: string, kind: 'install' | 'config'): string | undefined {
  const [prefix, suffix] =
    kind === 'install'
      ? [`${t.topicPrefix}/`, '/install']
      : [`${t.discoveryPrefix}/update/${t.nodeId}/`, '/config'];
  if (!topic.startsWith(prefix) || !topic.endsWith(suffix)) return undefined;
  const id = topic.slice(prefix.length, topic.length - suffix.length);
  return /^[a-zA-Z0-9_-]+$/.test(id) ? id : undefined;
}

export interface Origin {
  /** refit's version, shown in Home Assistant's device and discovery log. */
  readonly version: string;
}

/** The retained discovery config of one container's update entity. */
export function discoveryConfig(t: HaTopics, row: ContainerRow, origin: Origin): Record<string, unknown> {
  const id = objectId(row);
  return {
    name: row.name,
    unique_id: `refit_${t.nodeId}_${id}`,
    state_topic: stateTopic(t, id),
    command_topic: installTopic(t, id),
    payload_install: PAYLOAD_INSTALL,
    availability_topic: availabilityTopic(t),
    payload_available: ONLINE,
    payload_not_available: OFFLINE,
    qos: 1,
    device: {
      identifiers: [`refit_${t.nodeId}_${topicId(row.host)}`],
      name: `Docker ${row.host}`,
      manufacturer: 'refit',
      model: 'Docker containers',
      sw_version: origin.version,
    },
    origin: { name: 'refit', sw_version: origin.version },
  };
}

function version(versionText: string | undefined, digest: string | undefined): string | undefined {
  if (versionText !== undefined) return versionText;
  return digest === undefined ? undefined : shortDigest(digest);
}

/** Statuses in which the container still runs its old image while a newer one is known. */
const BEHIND = new Set(['stale', 'pending', 'rolled-back', 'failed']);

/**
 * The state JSON: installed and latest version (a version label or tag where refit knows one,
 * else the short digest), the image as title, whether a swap runs, the release notes URL, and
 * the reason as summary for anything but an up-to-date container.
 */
export function statePayload(row: ContainerRow): Record<string, unknown> {
  const running = version(row.currentVersion, row.currentDigest);
  const available = version(row.availableVersion ?? row.targetTag, row.availableDigest);
  let installed = running ?? 'unknown';
  let latest = installed;
  if (row.status === 'updated' && available !== undefined) {
    installed = available;
    latest = available;
  } else if (BEHIND.has(row.status) && available !== undefined) {
    latest = available;
  }
  const summary =
    row.status === 'fresh' || row.status === 'updated' ? undefined : row.reason.slice(0, SUMMARY_MAX);
  const release =
    row.releaseUrl !== undefined && /^https?:\/\//.test(row.releaseUrl) ? row.releaseUrl : undefined;
  return {
    installed_version: installed,
    latest_version: latest,
    title: row.image,
    in_progress: row.updating,
    ...(summary === undefined || summary === '' ? {} : { release_summary: summary }),
    ...(release === undefined ? {} : { release_url: release }),
  };
}
