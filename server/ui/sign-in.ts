/**
 * Signing in to the UI with an admin key — the start-up key or an `admin` key from `/api/keys` —
 * (asked once, then held in the session cookie) and signing out (a paired phone that signs out
 * is unpaired). Failed attempts are limited per client address and per key, together with the
 * API's key checks.
 */
import type { PageRouter } from '../http/route.js';
import { deviceSubject } from '../auth/devices.js';
import { clearedSessionCookie, sessionCookie } from '../auth/sessions.js';
import { prefixOf } from '../http/base-path.js';
import { UI_CALLER, hasScope } from '../auth/identity.js';
import type { SessionOwner } from '../auth/sessions.js';
import { LOGIN_PATH, clientAddress, sameSecret } from '../http/security.js';
import { pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';

/**
 * Where to go after signing in: a page of this gateway only (`/tools?q=x`), never another site
 * (`//evil.example`, `/\evil.example`, `https://…`), nor a fragment, action or file (`/ui/…`,
 * `/api/…`, `/static/…`).
 */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || !/^\/(?![/\\])[^\s]*$/.test(value) || /^\/(ui|api|static)(\/|$)/.test(value)) return '/';
  return value;
}

export function signInPages(pages: PageRouter, deps: UiDeps): void {
  const { failures } = deps;
  /** Whether anyone must sign in: with a start-up key, or as an OAuth resource server (an admin key made through the API signs in). */
  const signInNeeded = () => Boolean(deps.apiKey) || deps.settings().resourceServer !== undefined;
  /** Who a key signs in as, or undefined for a key that cannot sign in. */
  const ownerOf = (key: string): SessionOwner | undefined => {
    if (deps.apiKey && sameSecret(key, deps.apiKey))
      return { caller: UI_CALLER, label: 'UI (start-up key)', scopes: ['admin'], subject: null };
    const made = deps.keys.find(key);
    if (!made || !hasScope(made, 'admin')) return undefined;
    return { caller: `ui:${made.id}`, label: `UI (${made.label})`, scopes: made.scopes, subject: `key:${made.id}` };
  };

  pages.get(LOGIN_PATH, 'tools:read', (req, res) => {
    if (!signInNeeded() || (req.session && req.session.caller !== 'anonymous')) {
      res.redirect(303, `${prefixOf(req)}${safeNext(req.query.next)}`);
      return;
    }
    sendView(res, 'pages/sign-in', { next: safeNext(req.query.next), error: '' }, pageContext(req, 'sign-in'));
  });

  // Public (security.ts answers it without credentials); `admin` for a key held to its scopes, as before.
  pages.post(LOGIN_PATH, 'admin', (req, res) => {
    const next = safeNext(req.form?.get('next'));
    if (!signInNeeded()) {
      res.redirect(303, `${prefixOf(req)}${next}`);
      return;
    }
    const key = req.form?.get('key')?.trim() ?? '';
    const owner = ownerOf(key);
    // The right key always signs in; only a wrong one waits for the failure limit (auth/failures.ts).
    if (!owner) {
      const address = clientAddress(req);
      const wait = failures.retryAfter(address, key);
      if (wait > 0) {
        res.setHeader('Retry-After', String(wait));
        sendView(
          res,
          'pages/sign-in',
          { next, error: 'Too many failed attempts from this address. Try again in a few minutes.' },
          pageContext(req, 'sign-in'),
          429,
        );
        return;
      }
      failures.fail(address, key);
      req.log.warn({ address }, 'failed UI sign-in');
      sendView(
        res,
        'pages/sign-in',
        { next, error: 'That key is not valid, or it is not an admin key.' },
        pageContext(req, 'sign-in'),
        401,
      );
      return;
    }
    const { token } = deps.sessions.create(owner);
    res.append('Set-Cookie', sessionCookie(req, token, deps.settings().sessionTtlMs, `${prefixOf(req)}/`));
    res.redirect(303, `${prefixOf(req)}${next}`);
  });

  // A paired phone that signs out is unpaired: its session was its pairing (it pairs anew to come back).
  pages.post('/ui/logout', ['tools:read', 'tools:call', 'approvals:decide'], (req, res) => {
    const device = req.session?.subject?.startsWith(deviceSubject('')) ? req.session.subject.slice(deviceSubject('').length) : undefined;
    if (device !== undefined) {
      deps.devices.revoke(device);
      req.log.info({ deviceId: device }, 'device signed out (unpaired)');
    } else if (req.session) deps.sessions.end(req.session);
    res.append('Set-Cookie', clearedSessionCookie(req, `${prefixOf(req)}/`));
    res.redirect(303, `${prefixOf(req)}${device !== undefined ? '/pair' : signInNeeded() ? LOGIN_PATH : '/'}`);
  });
}
