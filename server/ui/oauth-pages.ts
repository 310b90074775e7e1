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
 */
import { randomBytes } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { Request, Response } from 'express';
import { ProblemError } from '../errors.js';
import { OAUTH_CALLBACK_PATH, oauthCallbackUrl, prefixOf } from '../http/base-path.js';
import type { PageRouter } from '../http/route.js';
import { describeError } from '../upstream/call-errors.js';
import { SIGN_IN_TTL_MS } from '../upstream/oauth-client.js';
import { pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';

/** The cookie that binds a sign-in to the browser that started it. */
const BINDING_COOKIE = 'mcpgw_oauth';

export function oauthPages(pages: PageRouter, deps: UiDeps, card: (req: Request, res: Response, name: string) => void): void {
  const { supervisor } = deps;

  pages.get('/ui/servers/{name}/oauth/connect', 'admin', async (req, res) => {
    const binding = randomBytes(24).toString('base64url');
    const url = await supervisor.beginSignIn(req.params.name!, oauthCallbackUrl(req), binding);
    if (!url) return res.redirect(303, `${prefixOf(req)}/`);
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
  });

  pages.get(OAUTH_CALLBACK_PATH, 'tools:read', async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
    const binding = parseCookies(req.headers.cookie ?? '')[BINDING_COOKIE];
    res.setHeader('Set-Cookie', serializeCookie(BINDING_COOKIE, '', { path: `${prefixOf(req)}${OAUTH_CALLBACK_PATH}`, maxAge: 0 }));
    try {
      await supervisor.completeSignIn({
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
    res.redirect(303, `${prefixOf(req)}/`);
  });

  pages.post('/ui/servers/{name}/oauth/disconnect', 'admin', async (req, res) => {
    await supervisor.signOut(req.params.name!);
    card(req, res, req.params.name!);
  });
}
