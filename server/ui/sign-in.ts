/**
 * Signing in to the UI with the API key (asked once, then held in the session cookie) and
 * signing out. Failed attempts are limited per client address.
 */
import type { Request, Router } from 'express';
import { clearedSessionCookie, sessionCookie } from '../auth/sessions.js';
import { prefixOf } from '../http/base-path.js';
import { LOGIN_PATH, UI_CALLER, sameSecret } from '../http/security.js';
import { pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';

/** Failed sign-ins allowed per client address within `FAILURE_WINDOW_MS`. */
const MAX_FAILURES = 10;
const FAILURE_WINDOW_MS = 10 * 60_000;

/**
 * Where to go after signing in: a page of this gateway only (`/tools?q=x`), never another site
 * (`//evil.example`, `/\evil.example`, `https://…`), nor a fragment, action or file (`/ui/…`,
 * `/api/…`, `/static/…`).
 */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || !/^\/(?![/\\])[^\s]*$/.test(value) || /^\/(ui|api|static)(\/|$)/.test(value)) return '/';
  return value;
}

export function signInPages(router: Router, deps: UiDeps): void {
  const failures = new Map<string, { count: number; until: number }>();
  const address = (req: Request) => req.socket.remoteAddress ?? 'unknown';
  const blocked = (req: Request, now = Date.now()) => {
    const entry = failures.get(address(req));
    if (entry && entry.until <= now) failures.delete(address(req));
    return entry !== undefined && entry.until > now && entry.count >= MAX_FAILURES;
  };
  const fail = (req: Request, now = Date.now()) => {
    const entry = failures.get(address(req));
    if (entry && entry.until > now) entry.count++;
    else failures.set(address(req), { count: 1, until: now + FAILURE_WINDOW_MS });
  };

  router.get(LOGIN_PATH, (req, res) => {
    if (!deps.apiKey || (req.session && req.session.caller !== 'anonymous')) {
      res.redirect(303, `${prefixOf(req)}${safeNext(req.query.next)}`);
      return;
    }
    sendView(res, 'pages/sign-in', { next: safeNext(req.query.next), error: '' }, pageContext(req, 'sign-in'));
  });

  router.post(LOGIN_PATH, (req, res) => {
    const next = safeNext(req.form?.get('next'));
    if (!deps.apiKey) {
      res.redirect(303, `${prefixOf(req)}${next}`);
      return;
    }
    if (blocked(req)) {
      sendView(res, 'pages/sign-in', { next, error: 'Too many failed attempts from this address. Try again in a few minutes.' }, pageContext(req, 'sign-in'), 429);
      return;
    }
    const key = req.form?.get('key') ?? '';
    if (!key || !sameSecret(key, deps.apiKey)) {
      fail(req);
      req.log.warn({ address: address(req) }, 'failed UI sign-in');
      sendView(res, 'pages/sign-in', { next, error: 'That key is not valid.' }, pageContext(req, 'sign-in'), 401);
      return;
    }
    failures.delete(address(req));
    const { token } = deps.sessions.create(UI_CALLER);
    res.append('Set-Cookie', sessionCookie(req, token, deps.settings().sessionTtlMs, `${prefixOf(req)}/`));
    res.redirect(303, `${prefixOf(req)}${next}`);
  });

  router.post('/ui/logout', (req, res) => {
    if (req.session) deps.sessions.end(req.session);
    res.append('Set-Cookie', clearedSessionCookie(req, `${prefixOf(req)}/`));
    res.redirect(303, `${prefixOf(req)}${deps.apiKey ? LOGIN_PATH : '/'}`);
  });
}
