/**
 * Every relative link in README.md and docs/*.md must lead somewhere: to a file that exists
 * and, when the link names an anchor, to a heading of that file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOCS = join(ROOT, 'docs');
const PAGES = [
  join(ROOT, 'README.md'),
  ...readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(DOCS, name)),
];

/** Fenced code blocks hold examples, not links or headings. */
function withoutFencedCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** Inline code may contain brackets and parentheses that are not links. */
function withoutInlineCode(text: string): string {
  return text.replace(/`[^`]*`/g, '');
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens. */
function headingSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of withoutFencedCode(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = headingSlug(match[1] ?? '');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

interface Link {
  readonly page: string;
  readonly target: string;
}

function linksOf(page: string): Link[] {
  const text = withoutInlineCode(withoutFencedCode(readFileSync(page, 'utf8')));
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
  const references = [...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map(
    (m) => m[1] ?? '',
  );
  return [...inline, ...references].map((target) => ({ page, target }));
}

/** Links with a scheme (https:, mailto:) leave the repository; only relative ones are checked. */
function isRelative(target: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(target);
}

const links = PAGES.flatMap(linksOf).filter((link) => isRelative(link.target));
const cases = links.map((link) => [`${relative(ROOT, link.page)} → ${link.target}`, link] as const);

describe('headingSlug', () => {
  it('makes the anchors GitHub makes', () => {
    expect(headingSlug("Watchtower's metrics")).toBe('watchtowers-metrics');
    expect(headingSlug('`GET /v1/report`')).toBe('get-v1report');
    expect(headingSlug('E-mail')).toBe('e-mail');
    expect(headingSlug('A swap was interrupted by a crash')).toBe('a-swap-was-interrupted-by-a-crash');
  });
});

describe('relative links in README.md and docs/', () => {
  it('finds links to check, anchors included', () => {
    expect(links.filter((link) => link.page.endsWith('README.md')).length).toBeGreaterThan(5);
    expect(links.some((link) => link.target.includes('#'))).toBe(true);
  });

  it.each(cases)('%s resolves', (_name, link) => {
    const [path = '', anchor] = link.target.split('#');
    const file = path === '' ? link.page : resolve(dirname(link.page), decodeURIComponent(path));
    expect(existsSync(file), `${relative(ROOT, file)} does not exist`).toBe(true);
    if (anchor === undefined || anchor === '') return;
    expect(file.endsWith('.md'), `an anchor into ${relative(ROOT, file)}, which is not Markdown`).toBe(true);
    expect([...anchorsOf(readFileSync(file, 'utf8'))], `no heading for #${anchor}`).toContain(anchor);
  });
});
