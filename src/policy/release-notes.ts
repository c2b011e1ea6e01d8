/**
 * Release notes for an update, from the OCI annotations images carry as labels
 * (`org.opencontainers.image.*`): the new image's version and revision, where its source lives,
 * and one link a person can follow: for GitHub and GitLab sources the comparison of the old and
 * new revisions when both are known, else the release of the new version, else the source or
 * the image's URL.
 *
 * Labels are the image author's text and end up in notifications (Markdown, HTML), so only
 * http(s) URLs and plain version and revision words are kept.
 */
export const OCI_LABELS = {
  source: 'org.opencontainers.image.source',
  url: 'org.opencontainers.image.url',
  version: 'org.opencontainers.image.version',
  revision: 'org.opencontainers.image.revision',
} as const;

export interface ReleaseNotes {
  readonly version: string | undefined;
  readonly revision: string | undefined;
  /** The source repository as the image names it, when it is an http(s) URL. */
  readonly source: string | undefined;
  /** The image's home page, when it is an http(s) URL. */
  readonly url: string | undefined;
  /** What to open: a compare view, a release page, or the source or home page. */
  readonly link: string | undefined;
  /** The current image's version, when its labels say it. */
  readonly previousVersion: string | undefined;
}

type Labels = Readonly<Record<string, string>>;

const WORD = /^[\w][\w.+-]{0,127}$/;

/**
 * Release notes for moving from an image with `previous` labels (the local image's, when known)
 * to one with `next` labels (read from the registry's config blob when not local yet).
 * `undefined` when `next` carries none of the four labels.
 */
export function releaseNotes(next: Labels, previous: Labels = {}): ReleaseNotes | undefined {
  const version = word(next[OCI_LABELS.version]);
  const revision = word(next[OCI_LABELS.revision]);
  const source = httpUrl(next[OCI_LABELS.source]);
  const url = httpUrl(next[OCI_LABELS.url]);
  if (version === undefined && revision === undefined && source === undefined && url === undefined) {
    return undefined;
  }
  const previousRevision = word(previous[OCI_LABELS.revision]);
  const forge = forgeOf(next[OCI_LABELS.source]) ?? forgeOf(next[OCI_LABELS.url]);
  return {
    version,
    revision,
    source,
    url,
    link: linkFor(forge, { version, revision, previousRevision }) ?? source ?? url,
    previousVersion: word(previous[OCI_LABELS.version]),
  };
}

interface Forge {
  readonly kind: 'github' | 'gitlab';
  /** `https://github.com/owner/repo`, without `.git` or a trailing path. */
  readonly base: string;
}

function linkFor(
  forge: Forge | undefined,
  facts: { version: string | undefined; revision: string | undefined; previousRevision: string | undefined },
): string | undefined {
  if (forge === undefined) return undefined;
  const gitlab = forge.kind === 'gitlab' ? '/-' : '';
  const { version, revision, previousRevision } = facts;
  if (revision !== undefined && previousRevision !== undefined && revision !== previousRevision) {
    return `${forge.base}${gitlab}/compare/${encodeURIComponent(previousRevision)}...${encodeURIComponent(revision)}`;
  }
  if (version !== undefined) {
    const release = forge.kind === 'github' ? '/releases/tag/' : '/-/releases/';
    return `${forge.base}${release}${encodeURIComponent(version)}`;
  }
  return undefined;
}

/** The GitHub or GitLab repository a source label names (https, `git+https`, `git@host:…`). */
export function forgeOf(raw: string | undefined): Forge | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim().replace(/^git\+/, '');
  const ssh = /^git@([A-Za-z0-9.-]+):(.+)$/.exec(text);
  const candidate = ssh === null ? text : `https://${ssh[1] ?? ''}/${ssh[2] ?? ''}`;
  if (!URL.canParse(candidate)) return undefined;
  const parsed = new URL(candidate);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  const host = parsed.host.toLowerCase();
  const kind =
    host === 'github.com'
      ? 'github'
      : host.split('.').includes('gitlab') || host.startsWith('gitlab')
        ? 'gitlab'
        : undefined;
  if (kind === undefined) return undefined;
  // GitLab puts its own pages after `/-/`; GitHub's repository is the first two path parts.
  const path = parsed.pathname.split('/-/')[0] ?? '';
  const parts = path.split('/').filter((part) => part !== '');
  const repo = kind === 'github' ? parts.slice(0, 2) : parts;
  if (repo.length < 2) return undefined;
  const last = repo.length - 1;
  repo[last] = (repo[last] ?? '').replace(/\.git$/, '');
  if (!repo.every((part) => /^[\w.-]+$/.test(part))) return undefined;
  return { kind, base: `https://${host}/${repo.join('/')}` };
}

function word(raw: string | undefined): string | undefined {
  const text = raw?.trim();
  return text !== undefined && WORD.test(text) ? text : undefined;
}

function httpUrl(raw: string | undefined): string | undefined {
  const text = raw?.trim();
  if (text === undefined || text.length > 2048 || !URL.canParse(text)) return undefined;
  const parsed = new URL(text);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  return parsed.href;
}
