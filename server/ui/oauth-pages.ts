/**
 * A person's side of a server behind OAuth (server/upstream/oauth-client.ts): the card's
 * **Connect** (`GET /ui/servers/{name}/oauth/connect`, a link: the page's `form-action 'self'`
 * would stop a form's redirect to the authorization server) sends the browser to the server's
 * authorization server; it comes back to `GET /ui/oauth/callback` (on the origin and base path it
 * left from), which finishes the sign-in and returns to the servers page. **Disconnect**
 * (`POST /ui/servers/{name}/oauth/disconnect`) revokes and forgets the tokens.
 *
 * The callback is a cross-site navigation, so the SameSite=Strict session cookie does not come with
 * it: it is a public path (security.ts), and the sign-in is bound to the browser that started it
 * by a random nonce in a short-lived SameSite=Lax cookie (`mcpgw_oauth`, HttpOnly, only sent to the
 * callback), besides its `state`.
 *
 * A user of a `perUserAuth` server connects their own account with the link the operator made for
 * them (`GET /ui/oauth/connect/{token}`, public: the user has no session; the link's secret is the
 * credential, server/upstream/per-user-connections.ts): it shows who connects to what, and only its
 * button (`POST` to the same path, from the same browser: `mcpgw_connect`) starts the same flow, for
 * that user, ending on a page that says so (the user cannot see the gateway's pages). The link's
 * answers are never cached nor sent on as a `Referer`, and the request log leaves its token out. The operator makes the link on the
 * server's card (`POST /ui/servers/{name}/oauth/links`) and disconnects a user there
 * (`POST /ui/servers/{name}/oauth/users/{user}/disconnect`).
 */
import { randomBytes } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { Request, Response } from 'express';
import { ProblemError } from '../errors.js';
import { CONNECT_LINK_PATH, OAUTH_CALLBACK_PATH, connectLinkUrl, oauthCallbackUrl, prefixOf } from '../http/base-path.js';
import type { PageRouter } from '../http/route.js';
import { describeError } from '../upstream/call-errors.js';
import { SIGN_IN_TTL_MS } from '../upstream/oauth-client.js';
import { sameSecret } from '../http/security.js';
import { CONNECT_LINK_TTL_MS } from '../upstream/per-user-connections.js';
import { UI_CSP, pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';

/** The cookie that binds a sign-in to the browser that started it. */
const BINDING_COOKIE = 'mcpgw_oauth';
/** The cookie that ties a connect link to the first browser that confirms it (sent to the connect links only). */
const CONNECT_COOKIE = 'mcpgw_connect';

export function oauthPages(pages: PageRouter, deps: UiDeps, card: (req: Request, res: Response, name: string) => void): void {
  const { supervisor } = deps;

  /** Sends the browser to the authorization server, with the cookie that binds the sign-in to it. */
  const toAuthorization = (req: Request, res: Response, url: URL, binding: string) => {
    res.setHeader(
      'Set-Cookie',
      serializeCookie(BINDING_COOKIE, binding, {
        httpOnly: true,
        sameSite: 'lax',
        secure: oauthCallbackUrl(req).startsWith('https:'),
        path: `${prefixOf(req)}${OAUTH_CALLBACK_PATH}`,
        maxAge: SIGN_IN_TTL_MS / 1000,
      }),
    );
    res.redirect(303, url.href);
  };

  pages.get('/ui/servers/{name}/oauth/connect', 'admin', async (req, res) => {
    const binding = randomBytes(24).toString('base64url');
    const url = await supervisor.beginSignIn(req.params.name!, oauthCallbackUrl(req), binding);
    if (!url) return res.redirect(303, `${prefixOf(req)}/`);
    toAuthorization(req, res, url, binding);
  });

  /** The browser's `mcpgw_connect` nonce, made (and set) if it has none. */
  const browserOf = (req: Request, res: Response): string => {
    const known = parseCookies(req.headers.cookie ?? '')[CONNECT_COOKIE];
    if (known && /^[\w-]{32}$/.test(known)) return known;
    const made = randomBytes(24).toString('base64url');
    res.setHeader(
      'Set-Cookie',
      serializeCookie(CONNECT_COOKIE, made, {
        httpOnly: true,
        sameSite: 'lax',
        secure: oauthCallbackUrl(req).startsWith('https:'),
        path: `${prefixOf(req)}${CONNECT_LINK_PATH.replace('{token}', '')}`,
        maxAge: CONNECT_LINK_TTL_MS / 1000,
      }),
    );
    return made;
  };

  /** The page a user lands on once connected, naming the account they signed in as when the server said. */
  const connected = (req: Request, res: Response, server: string, user: string) => {
    const account = supervisor
      .userConnections(server)
      ?.users()
      .find((view) => view.user === user)?.account;
    sendView(res, 'pages/connected', { title: 'Connected', server, account }, pageContext(req, 'servers'));
  };

  const cannotConnect = (req: Request, res: Response, error: unknown) => {
    const detail = error instanceof ProblemError ? error.detail : describeError(error);
    const status = error instanceof ProblemError && error.status === 403 ? 403 : 400;
    sendView(res, 'pages/error', { title: 'Cannot connect', detail }, pageContext(req, 'servers'), status);
  };

  // Opening the link only asks: a link preview or a prefetch starts nothing, and the person sees who they connect as.
  pages.get(CONNECT_LINK_PATH, 'tools:read', (req, res) => {
    keepPrivate(res);
    const browser = browserOf(req, res);
    let link: ReturnType<typeof supervisor.connectLink>;
    try {
      link = supervisor.connectLink(req.params.token!, browser);
      if (link.heldElsewhere) throw new ProblemError('forbidden', 'this connect link was opened in another browser; ask for a new one');
    } catch (error) {
      return cannotConnect(req, res, error);
    }
    keepPrivate(res, 'same-origin');
    // The confirming form's answer redirects to the authorization server, which `form-action 'self'` would stop.
    res.setHeader('Content-Security-Policy', UI_CSP.replace("form-action 'self'", "form-action 'self' https: http:"));
    sendView(
      res,
      'pages/connect-account',
      { title: 'Connect your account', server: link.server, user: link.user, action: req.params.token!, form: browser },
      pageContext(req, 'servers'),
    );
  });

  // Confirmed on that page (the same browser: its nonce in the form and in the cookie; the same origin: security.ts).
  pages.post(CONNECT_LINK_PATH, 'tools:read', async (req, res) => {
    keepPrivate(res);
    const browser = parseCookies(req.headers.cookie ?? '')[CONNECT_COOKIE];
    const form = req.form?.get('_form');
    if (!browser || !form || !sameSecret(form, browser))
      return cannotConnect(
        req,
        res,
        new ProblemError('forbidden', 'confirm on the page the link opens, in this browser: open the link again'),
      );
    const binding = randomBytes(24).toString('base64url');
    let begun: Awaited<ReturnType<typeof supervisor.beginUserSignIn>>;
    try {
      begun = await supervisor.beginUserSignIn(req.params.token!, oauthCallbackUrl(req), binding, browser);
    } catch (error) {
      return cannotConnect(req, res, error);
    }
    if (!begun.url) return connected(req, res, begun.server, begun.user);
    toAuthorization(req, res, begun.url, binding);
  });

  pages.get(OAUTH_CALLBACK_PATH, 'tools:read', async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
    const binding = parseCookies(req.headers.cookie ?? '')[BINDING_COOKIE];
    res.setHeader('Set-Cookie', serializeCookie(BINDING_COOKIE, '', { path: `${prefixOf(req)}${OAUTH_CALLBACK_PATH}`, maxAge: 0 }));
    let signedIn: { server: string; user?: string };
    try {
      signedIn = await supervisor.completeSignIn({
        ...(binding !== undefined && { binding }),
        code: text('code'),
        state: text('state'),
        iss: text('iss'),
        error: text('error'),
        errorDescription: text('error_description'),
      });
    } catch (error) {
      const detail = error instanceof ProblemError ? error.detail : describeError(error);
      return sendView(res, 'pages/error', { title: 'Sign-in failed', detail }, pageContext(req, 'servers'), 400);
    }
    if (signedIn.user !== undefined) return connected(req, res, signedIn.server, signedIn.user);
    res.redirect(303, `${prefixOf(req)}/`);
  });

  /** A `perUserAuth` server's card: a connect link for one user (`partials/connect-link`, into the card). */
  pages.post('/ui/servers/{name}/oauth/links', 'admin', (req, res) => {
    const name = req.params.name!;
    const user = req.form?.get('user')?.trim() ?? '';
    if (user === '' || user.length > 128)
      throw new ProblemError('invalid-request', 'user must be a user id of 1 to 128 characters', {
        errors: [{ field: 'user', message: 'must be 1 to 128 characters' }],
      });
    const link = supervisor.users(name).createLink(user);
    sendView(
      res,
      'partials/connect-link',
      { server: name, user, path: CONNECT_LINK_PATH.slice(1).replace('{token}', link.token), url: connectLinkUrl(req, link.token) },
      pageContext(req, 'servers'),
    );
  });

  pages.post('/ui/servers/{name}/oauth/users/{user}/disconnect', 'admin', async (req, res) => {
    await supervisor.signOutUser(req.params.name!, req.params.user!);
    card(req, res, req.params.name!);
  });

  pages.post('/ui/servers/{name}/oauth/disconnect', 'admin', async (req, res) => {
    await supervisor.signOut(req.params.name!);
    card(req, res, req.params.name!);
  });
}

/**
 * A connect link's responses: never stored, and never naming the link (its token is the
 * credential) in a `Referer` to another origin, the authorization server's least of all. The page
 * that asks says `same-origin` (the browser sends nothing elsewhere): under `no-referrer` its form
 * would post with `Origin: null`, which the same-origin check refuses.
 */
function keepPrivate(res: Response, policy: 'no-referrer' | 'same-origin' = 'no-referrer'): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', policy);
}
