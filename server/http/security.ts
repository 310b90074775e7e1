/**
 * Who may talk to the gateway: a `Host`/`Origin` check against DNS rebinding, and the API key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { sessionToken, type Session, type SessionStore } from '../auth/sessions.js';
import { prefixOf } from './base-path.js';
import { sendProblem } from './problems.js';
import { pathOf, type Middleware } from './request-log.js';

export interface SecurityOptions {
  /** The API key; when set, every route but `/healthz` needs `Authorization: Bearer <key>`. */
  apiKey?: string;
  /**
   * Host names accepted in `Host` and `Origin` besides loopback names. When the gateway listens
   * on loopback (or this list is not empty), any other `Host` is refused, which stops DNS
   * rebinding. Default [].
   */
  allowedHosts?: string[];
  /** Refuse non-loopback, non-allowed hosts. Default true (the gateway binds loopback by default). */
  restrictHosts?: boolean;
  /** Browser origins accepted in `Origin` whatever their host (`gateway.cors.origins`). Default none. */
  allowedOrigins?: () => readonly string[];
  /**
   * Whether a request may go without the key besides `/healthz` (the OpenAPI documents when
   * `gateway.publicSpecs` is on, the vendored static files). Default: none may.
   */
  isPublic?: (path: string) => boolean;
  /** UI sign-ins; without them only the key authenticates. */
  sessions?: SessionStore;
}

export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(name);
  return false;
}

/** `example.com:8085` → `example.com`; `[::1]:8085` → `::1`. */
function hostname(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']')).toLowerCase();
  return hostHeader.replace(/:\d*$/, '').toLowerCase();
}

export function hostCheck(options: SecurityOptions): Middleware {
  const allowed = new Set((options.allowedHosts ?? []).map((host) => host.toLowerCase()));
  const restrict = (options.restrictHosts ?? true) || allowed.size > 0;
  const accepts = (name: string) => !restrict || isLoopbackHost(name) || allowed.has(name);
  return (req, res, next) => {
    const host = req.headers.host;
    if (!host || !accepts(hostname(host))) {
      sendProblem(res, 'host-not-allowed', `requests for host "${host ?? ''}" are not accepted; add it with --allowed-host or gateway.allowedHosts`);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !options.allowedOrigins?.().includes(origin)) {
      let originHost: string | undefined;
      try {
        originHost = new URL(origin).hostname.replace(/^\[|\]$/g, '');
      } catch {
        originHost = undefined;
      }
      if (!originHost || !accepts(originHost)) {
        sendProblem(res, 'origin-not-allowed', `requests from origin "${origin}" are not accepted`);
        return;
      }
    }
    next();
  };
}

/** The caller id recorded for requests authenticated with the gateway's API key. */
export const API_KEY_CALLER = 'api-key';

/** The caller id of UI sessions signed in with the API key. */
export const UI_CALLER = 'ui';

/** The caller id of requests nobody authenticated (no key configured). */
export const ANONYMOUS = 'anonymous';

/** Who is calling, for the activity log: the API key's id, or `anonymous` without auth. */
export function callerOf(req: IncomingMessage): string {
  return req.caller ?? ANONYMOUS;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time equality of two strings of any length. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Paths that answer without a key: liveness probes must work before anyone has a key. */
const PUBLIC_PATHS = new Set(['/healthz']);

/** The sign-in page, always reachable. */
export const LOGIN_PATH = '/ui/login';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;

declare module 'node:http' {
  interface IncomingMessage {
    /** The UI session that authenticated the request, if one did. */
    session?: Session;
    /** A form post authenticated by a session whose `_csrf` field `csrfGuard` must still check. */
    csrfPending?: boolean;
  }
}

/** A browser navigating (not a script, not an htmx swap): it gets a redirect to sign in, not a 401. */
function isPageNavigation(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && !req.headers['hx-request'] && (req.headers.accept ?? '').includes('text/html');
}

/** Where a page that needs a sign-in sends the browser: the sign-in page, coming back afterwards. */
export function loginLocation(req: IncomingMessage): string {
  const page = req.headers['hx-request'] ? currentPage(req) : req.url;
  const back = page && page !== '/' ? `?next=${encodeURIComponent(page)}` : '';
  return `${prefixOf(req)}${LOGIN_PATH}${back}`;
}

/**
 * The page an htmx request came from (`HX-Current-URL`, on this host only), as a path without
 * the prefix: after signing in the browser goes back to the page, not to the fragment it asked for.
 */
function currentPage(req: IncomingMessage): string | undefined {
  const current = req.headers['hx-current-url'];
  if (typeof current !== 'string') return undefined;
  try {
    const url = new URL(current);
    if (url.host !== req.headers.host) return undefined;
    const prefix = prefixOf(req);
    const path = prefix && url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) || '/' : url.pathname;
    return `${path}${url.search}`;
  } catch {
    return undefined;
  }
}

/**
 * Who is calling. `Authorization: Bearer <key>` (scripts, Open WebUI) or the UI's session
 * cookie. A request the session authenticates that changes state must carry the session's
 * CSRF token in `X-CSRF-Token`, or (a plain form post) in the `_csrf` field that `csrfGuard`
 * checks once the form is read. Without a configured key every request is anonymous, but a
 * session cookie (the UI makes one) still has to come with its CSRF token.
 */
export function authenticate(options: SecurityOptions): Middleware {
  // Only the key's hash is kept; comparing fixed-length digests keeps the comparison constant-time.
  const expected = options.apiKey ? digest(options.apiKey) : undefined;
  return (req, res, next) => {
    const header = req.headers.authorization;
    if (header !== undefined && expected) {
      const match = header.match(/^Bearer\s+(\S+)\s*$/i);
      if (!match) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="mcp-gateway"');
        sendProblem(res, 'unauthorized', 'send the API key as "Authorization: Bearer <key>"');
        return;
      }
      if (!timingSafeEqual(digest(match[1]!), expected)) {
        sendProblem(res, 'invalid-credentials', 'the API key is not valid');
        return;
      }
      req.caller = API_KEY_CALLER;
      return next();
    }
    const session = options.sessions?.find(sessionToken(req));
    if (session) {
      req.session = session;
      if (session.caller !== ANONYMOUS) req.caller = session.caller;
      if (!SAFE_METHODS.has(req.method ?? 'GET')) {
        const token = req.headers['x-csrf-token'];
        if (typeof token === 'string') {
          if (!sameSecret(token, session.csrf)) return sendProblem(res, 'csrf-failed', 'the X-CSRF-Token header does not match this session; reload the page');
        } else if (FORM_TYPE.test(req.headers['content-type'] ?? '')) {
          req.csrfPending = true;
        } else {
          return sendProblem(res, 'csrf-failed', 'a request signed in by the session cookie must send the X-CSRF-Token header');
        }
      }
      return next();
    }
    if (!expected) return next();
    const path = pathOf(req);
    if (PUBLIC_PATHS.has(path) || path === LOGIN_PATH || options.isPublic?.(path)) return next();
    if (isPageNavigation(req)) {
      res.statusCode = 303;
      res.setHeader('Location', loginLocation(req));
      res.end();
      return;
    }
    // An htmx request of a page whose session ended: send the whole page to the sign-in.
    if (req.headers['hx-request']) res.setHeader('HX-Redirect', loginLocation(req));
    res.setHeader('WWW-Authenticate', 'Bearer realm="mcp-gateway"');
    sendProblem(res, 'unauthorized', 'send the API key as "Authorization: Bearer <key>", or sign in to the UI');
  };
}

/** Checks the `_csrf` field of a session-authenticated form post, once `formBody` has read it. */
export function csrfGuard(): Middleware {
  return (req, res, next) => {
    if (!req.csrfPending) return next();
    const token = req.form?.get('_csrf');
    if (!req.session || token == null || !sameSecret(token, req.session.csrf)) {
      sendProblem(res, 'csrf-failed', 'the form\'s _csrf field does not match this session; reload the page');
      return;
    }
    req.csrfPending = false;
    next();
  };
}
