import { markup, type SafeHtml } from './html.js';
import { layout, type PageContext } from './layout.js';

/** `GET /login`, and the answer to a wrong token. */
export function loginPage(
  ctx: PageContext,
  options: { next?: string; error?: string; viewOpen: boolean },
): SafeHtml {
  if (!ctx.tokenSet) {
    const view = options.viewOpen
      ? markup` The status page is shown <a href="${ctx.base}/">read-only</a> meanwhile.`
      : '';
    return layout(
      ctx,
      'Log in',
      markup`<h1>Log in</h1>
<p>No API token is set, so there is nothing to log in with. Set <code>REFIT_HTTP_API_TOKEN</code> (better, <code>REFIT_HTTP_API_TOKEN_FILE</code>) and restart refit.${view}</p>`,
    );
  }
  const error =
    options.error === undefined
      ? ''
      : markup`<p class="error" id="login-error" role="alert">${options.error}</p>`;
  const described =
    options.error === undefined ? '' : markup` aria-describedby="login-error" aria-invalid="true"`;
  return layout(
    ctx,
    'Log in',
    markup`<h1>Log in</h1>
<form method="post" action="${ctx.base}/login" class="login">
<input type="hidden" name="next" value="${options.next ?? '/'}">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus${described}>
${error}
<button type="submit">Log in</button>
</form>
<p class="hint">The token refit was given in <code>REFIT_HTTP_API_TOKEN</code>. Logging in keeps a session cookie in this browser until you log out, close it, or leave it unused for 12 hours.</p>`,
  );
}

/** A page for a path that names nothing. */
export function notFoundPage(ctx: PageContext, what: string): SafeHtml {
  return layout(
    ctx,
    'Not found',
    markup`<h1>Not found</h1><p>${what}</p><p><a href="${ctx.base}/">All containers</a></p>`,
  );
}
