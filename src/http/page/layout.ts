import type { Principal } from '../access.js';
import { CSRF_FIELD } from '../access.js';
import { body, type Reply } from '../reply.js';
import { markup, type SafeHtml } from './html.js';

/**
 * No inline script or style may run: scripts and styles come only from refit's own static
 * files, so markup that slipped into a page (it cannot: see html.ts) would still be inert.
 * `data:` images are allowed for the empty favicon only.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** What every page needs to know besides its own content. */
export interface PageContext {
  /** The base path, `''` for none: every link starts with it. */
  readonly base: string;
  readonly principal: Principal;
  readonly tokenSet: boolean;
  /** The static files' content-hashed names. */
  readonly assets: { readonly css: string; readonly js: string };
  /** A one-time message (the outcome of the last form post). */
  readonly flash?: string;
}

/** The hidden field every form of a logged-in page carries. */
export function csrfField(ctx: PageContext): SafeHtml {
  const token = ctx.principal.session?.csrf;
  return token === undefined ? markup`` : markup`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

function account(ctx: PageContext): SafeHtml {
  if (ctx.principal.via === 'session') {
    return markup`<form method="post" action="${ctx.base}/logout" class="inline">${csrfField(ctx)}<button type="submit" class="link">Log out</button></form>`;
  }
  if (ctx.principal.via === 'none' && ctx.tokenSet) return markup`<a href="${ctx.base}/login">Log in</a>`;
  return markup``;
}

/** The page around a view's content: head, header, the live-region notice, and main. */
export function layout(
  ctx: PageContext,
  title: string,
  content: SafeHtml,
  options: { live?: boolean } = {},
): SafeHtml {
  const csrf = ctx.principal.session?.csrf;
  const events = options.live === true ? markup` data-events="${ctx.base}/v1/events"` : markup``;
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="refit-base" content="${ctx.base}">
${csrf === undefined ? '' : markup`<meta name="csrf-token" content="${csrf}">`}
<title>${title} · refit</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ctx.base}/static/${ctx.assets.css}">
<script src="${ctx.base}/static/${ctx.assets.js}" defer></script>
</head>
<body${events}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="${ctx.base}/">refit</a>
<nav aria-label="Account">${account(ctx)}</nav>
</header>
<div id="notice" class="notice" role="status" aria-live="polite">${ctx.flash ?? ''}</div>
<main id="main">
${content}
</main>
</body>
</html>
`;
}

/** An HTML answer with the page's security headers, never cached (it shows live state). */
export function htmlReply(status: number, page: SafeHtml, headers: Record<string, string> = {}): Reply {
  return body(
    status,
    page.value,
    {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
      ...headers,
    },
    { compress: true },
  );
}
