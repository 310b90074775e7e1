/**
 * Who may talk to the gateway: a `Host`/`Origin` check against DNS rebinding, and the API key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AccessTokenError, TooManyAttempts, type AccessTokens } from '../auth/access-tokens.js';
import { deviceSubject, type DeviceStore } from '../auth/devices.js';
import type { FailureLimiter } from '../auth/failures.js';
import { ANONYMOUS, ANONYMOUS_IDENTITY, STARTUP_KEY, hasScope, type Identity } from '../auth/identity.js';
import { keyIdentity, type KeyStore } from '../auth/keys.js';
import type { RequiredScope } from '../auth/scopes.js';
import { sessionIdentity, sessionToken, type SessionStore } from '../auth/sessions.js';
import type { ResourceServerSettings } from '../config/types.js';
import { OAUTH_CALLBACK_PATH, prefixOf } from './base-path.js';
import { audiencesOf, bearerChallenge, isProtectedResourcePath } from './protected-resource.js';
import { isToolCall } from './call-route.js';
import { FORM_TYPE } from './json-body.js';
import { sendProblem } from './problems.js';
import { pathOf, type Middleware } from './request-log.js';
import './request-context.js';

export interface SecurityOptions {
  /**
   * The start-up key (an `admin` key); when set, every route but `/healthz` needs a key
   * (`Authorization: Bearer <key>`), a UI session or a paired device. Without it every request
   * is anonymous with every scope.
   */
  apiKey?: string;
  /** Keys made through `/api/keys`; without them only the start-up key authenticates. */
  keys?: KeyStore;
  /** Paired devices: a request by one notes when it was last seen. */
  devices?: DeviceStore;
  /**
   * OAuth access tokens from `gateway.resourceServer` (auth/access-tokens.ts): while it is set, a
   * bearer that is not one of the gateway's keys is taken as an access token, and every route
   * needs credentials. Default none (keys only).
   */
  accessTokens?: AccessTokens;
  /** Failed attempts per client address and per wrong key; without it nothing is limited. */
  failures?: FailureLimiter;
  /** Whether `Tailscale-User-Login` is read, as a label only (`gateway.trustTailscaleHeaders`). Default never. */
  trustTailscaleHeaders?: () => boolean;
  /**
   * Host names accepted in `Host` and `Origin` besides loopback names (`--allowed-host`). When the
   * gateway listens on loopback (or this list or `configuredHosts` is not empty), any other `Host`
   * is refused, which stops DNS rebinding. Default [].
   */
  allowedHosts?: string[];
  /** More such names from the config file (`gateway.allowedHosts`), read per request so that a reload applies them. Default none. */
  configuredHosts?: () => readonly string[];
  /** Refuse non-loopback, non-allowed hosts. Default true (the gateway binds loopback by default). */
  restrictHosts?: boolean;
  /**
   * `gateway.basePath` in force, read per request: the default audience of access tokens is built
   * with it (never with a caller's `X-Forwarded-Prefix`). Default ''.
   */
  basePath?: () => string;
  /** Browser origins accepted in `Origin` whatever their host (`gateway.cors.origins`). Default none. */
  allowedOrigins?: () => readonly string[];
  /**
   * Whether a request may go without the key besides `/healthz` (the OpenAPI documents when
   * `gateway.publicSpecs` is on, the vendored static files: to GET or HEAD). A tool call is never
   * public, whatever this says. Default: none may.
   */
  isPublic?: (method: string, path: string) => boolean;
  /** UI sign-ins; without them only the key authenticates. */
  sessions?: SessionStore;
  /**
   * The scope each request needs (auth/scopes.ts `compileScopes` over the app's declared routes;
   * `buildApp` sets it once they are). Read per request. Default: every request needs `admin`.
   */
  requiredScope?: RequiredScope;
}

export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(name);
  return false;
}

/** Whether `Host` is checked now: always on a loopback listener, else while host names are allowed. */
function hostsChecked(options: SecurityOptions): boolean {
  return (options.restrictHosts ?? true) || (options.allowedHosts?.length ?? 0) > 0 || (options.configuredHosts?.().length ?? 0) > 0;
}

/** `example.com:8085` → `example.com`; `[::1]:8085` → `::1`. */
function hostname(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']')).toLowerCase();
  return hostHeader.replace(/:\d*$/, '').toLowerCase();
}

/**
 * Refuses a `Host` or `Origin` the gateway does not answer to (DNS rebinding), and a request that
 * changes something coming from a page of another origin (see `foreignWrite`).
 */
export function hostCheck(options: SecurityOptions): Middleware {
  const fixed = (options.allowedHosts ?? []).map((host) => host.toLowerCase());
  // The config file's names, as a set rebuilt only when a reload hands over another list.
  let configured: readonly string[] | undefined;
  let allowed = new Set(fixed);
  const allowedNow = () => {
    const current = options.configuredHosts?.() ?? [];
    if (current !== configured) {
      configured = current;
      allowed = new Set([...fixed, ...current.map((host) => host.toLowerCase())]);
    }
    return allowed;
  };
  const restrictAlways = options.restrictHosts ?? true;
  const accepts = (name: string, names: Set<string>) => !(restrictAlways || names.size > 0) || isLoopbackHost(name) || names.has(name);
  // The verdict on the last `Host` seen, for the same allowed names: a client sends the same one on
  // every request, and parsing it (port, brackets, case, IP forms) cost about 1% of a tool call's CPU.
  let lastHost: string | undefined;
  let lastNames: Set<string> | undefined;
  let lastAccepted = false;
  const acceptsHost = (host: string, names: Set<string>) => {
    if (host !== lastHost || names !== lastNames) {
      lastAccepted = accepts(hostname(host), names);
      lastHost = host;
      lastNames = names;
    }
    return lastAccepted;
  };
  return (req, res, next) => {
    const names = allowedNow();
    const host = req.headers.host;
    if (!host || !acceptsHost(host, names)) {
      sendProblem(
        res,
        'host-not-allowed',
        `requests for host "${host ?? ''}" are not accepted; add it with --allowed-host or gateway.allowedHosts`,
      );
      return;
    }
    const origin = req.headers.origin;
    const origins = options.allowedOrigins?.() ?? [];
    if (origin !== undefined && !origins.includes(origin)) {
      let originHost: string | undefined;
      try {
        originHost = new URL(origin).hostname.replace(/^\[|\]$/g, '');
      } catch {
        originHost = undefined;
      }
      if (!originHost || !accepts(originHost, names)) {
        sendProblem(res, 'origin-not-allowed', `requests from origin "${origin}" are not accepted`);
        return;
      }
    }
    if (!SAFE_METHODS.has(req.method ?? 'GET')) {
      const foreign = foreignWrite(req, origins);
      if (foreign) return sendProblem(res, 'csrf-failed', foreign);
    }
    next();
  };
}

const firstValue = (header: string | string[] | undefined) => (typeof header === 'string' ? header.split(',')[0]!.trim() : undefined);

/** Whether `header` (a `Host` value such as `localhost:8085`) names the host and port of `url`. */
function sameHost(header: string | undefined, url: URL): boolean {
  if (!header) return false;
  try {
    return new URL(`${url.protocol}//${header}`).host === url.host;
  } catch {
    return false;
  }
}

/**
 * Whether `origin` is the gateway's own: the scheme, host and port the client reached, as `Host`
 * (or a proxy's `X-Forwarded-Host`) says, with the scheme of `X-Forwarded-Proto` (or TLS) when
 * known. Without either, http and https of that host and port both count: they are the same socket.
 */
function isOwnOrigin(req: IncomingMessage, origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // `Origin: null` (a sandboxed page, a file, a redirect across origins)
  }
  if (!sameHost(req.headers.host, url) && !sameHost(firstValue(req.headers['x-forwarded-host']), url)) return false;
  const scheme = firstValue(req.headers['x-forwarded-proto']) ?? ((req.socket as { encrypted?: boolean }).encrypted ? 'https' : undefined);
  return scheme === undefined || `${scheme.toLowerCase()}:` === url.protocol;
}

/**
 * Why a request that changes state must be refused as cross-site (CSRF), or undefined. It must
 * come from the gateway's own origin or one of `gateway.cors.origins`, whether the gateway has a
 * key or not: another site — another port on localhost included — cannot post forms to it.
 * Requests without `Origin` and `Sec-Fetch-Site` (curl, scripts, servers) are not browsers' and pass.
 */
function foreignWrite(req: IncomingMessage, corsOrigins: readonly string[]): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (corsOrigins.includes(origin) || isOwnOrigin(req, origin)) return undefined;
    return `a ${req.method} from a page at "${origin}" is refused: only the gateway's own pages (and gateway.cors.origins) may change anything`;
  }
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return `a ${req.method} from another site is refused (Sec-Fetch-Site: ${site})`;
  return undefined;
}

/** Who is calling, for the activity log: the identity's caller id (`anonymous` without auth). */
export function callerOf(req: IncomingMessage): string {
  return req.identity?.id ?? ANONYMOUS;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time equality of two strings of any length. */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** What the gateway's own keys (auth/keys.ts) start with: any other bearer may be an access token. */
const KEY_PREFIX = 'mgw_';

/** Paths that answer without a key: liveness probes must work before anyone has a key. */
const PUBLIC_PATHS = new Set(['/healthz']);
/** `CONNECT_LINK_PATH` with its token (base64url). */
const CONNECT_LINK = /^\/ui\/oauth\/connect\/[A-Za-z0-9_-]{16,128}$/;

/** The sign-in page, always reachable. */
export const LOGIN_PATH = '/ui/login';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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

/** The client's address, for the failure limit. */
export function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * Who is calling. `Authorization: Bearer <key>` (scripts, Open WebUI: the start-up key or a key
 * from `/api/keys`) or the UI's session cookie (a sign-in or a paired device). A request the
 * session authenticates that changes state must carry the session's CSRF token in
 * `X-CSRF-Token`, or (a plain form post) in the `_csrf` field that `csrfGuard` checks once the
 * form is read. Without a start-up key every request is anonymous (with every scope), but a
 * session cookie (the UI makes one) still has to come with its CSRF token, and a valid key still
 * names its caller. Wrong keys count against the client's address and the key (`FailureLimiter`);
 * a key that verifies is never held back by them.
 */
export function authenticate(options: SecurityOptions): Middleware {
  // Only the key's hash is kept; comparing fixed-length digests keeps the comparison constant-time.
  const expected = options.apiKey ? digest(options.apiKey) : undefined;
  return (req, res, next) => {
    // Read per request: a reload may turn the resource server on or off.
    const resourceServer = options.accessTokens?.settings();
    const required = expected !== undefined || resourceServer !== undefined;
    const challenge = () => (resourceServer ? bearerChallenge(req, resourceServer) : 'Bearer realm="mcp-gateway"');
    if (options.trustTailscaleHeaders?.()) {
      const login = req.headers['tailscale-user-login'];
      if (typeof login === 'string' && login) req.tailscaleUser = login.replace(/[^\x20-\x7e]/g, '').slice(0, 128);
    }
    const header = req.headers.authorization;
    if (header !== undefined && (required || options.keys)) {
      const match = header.match(/^Bearer\s+(\S+)\s*$/i);
      // A path that needs no credentials ignores bad ones (a probe that always sends a header).
      const open = () => isPublicPath(req.method, pathOf(req), options);
      if (!match) {
        if (!required) return anonymous(req, next);
        if (open()) return next();
        res.setHeader('WWW-Authenticate', challenge());
        sendProblem(res, 'unauthorized', 'send the API key as "Authorization: Bearer <key>"');
        return;
      }
      const token = match[1]!;
      let identity: Identity | undefined;
      if (expected && timingSafeEqual(digest(token), expected)) identity = STARTUP_KEY;
      else {
        const key = options.keys?.find(token);
        if (key) identity = keyIdentity(key);
      }
      if (!identity) {
        // Without a start-up key a stray header (a placeholder key in a client) changes nothing.
        if (!required) return anonymous(req, next);
        if (open()) return next();
        // Not one of the gateway's keys (they start with `mgw_`): an access token, when it takes them.
        if (resourceServer && !token.startsWith(KEY_PREFIX)) return acceptAccessToken(req, res, next, token, resourceServer, options);
        // Only a key that does not verify waits for the failure limit: the right one always passes.
        const address = clientAddress(req);
        const wait = options.failures?.retryAfter(address, token) ?? 0;
        if (wait > 0) return tooManyAttempts(res, wait);
        options.failures?.fail(address, token);
        req.log.warn({ address }, 'a request with a key that is not valid');
        sendProblem(res, 'invalid-credentials', 'the API key is not valid');
        return;
      }
      req.identity = identity;
      return next();
    }
    const found = options.sessions?.find(sessionToken(req));
    // An anonymous session (a gateway that needed no credentials when it was made) counts only while none are needed.
    const session = found && !(required && found.caller === ANONYMOUS) ? found : undefined;
    if (session) {
      req.session = session;
      req.identity = session.caller === ANONYMOUS ? ANONYMOUS_IDENTITY : sessionIdentity(session);
      if (req.identity.kind === 'device' && session.subject) options.devices?.seen(session.subject.slice(deviceSubject('').length));
      if (!SAFE_METHODS.has(req.method ?? 'GET')) {
        const token = req.headers['x-csrf-token'];
        if (typeof token === 'string') {
          if (!sameSecret(token, session.csrf))
            return sendProblem(res, 'csrf-failed', 'the X-CSRF-Token header does not match this session; reload the page');
        } else if (FORM_TYPE.test(req.headers['content-type'] ?? '')) {
          req.csrfPending = true;
        } else {
          return sendProblem(res, 'csrf-failed', 'a request signed in by the session cookie must send the X-CSRF-Token header');
        }
      }
      return next();
    }
    if (!required) return anonymous(req, next);
    if (isPublicPath(req.method, pathOf(req), options)) return next();
    if (isPageNavigation(req)) {
      res.statusCode = 303;
      res.setHeader('Location', loginLocation(req));
      res.end();
      return;
    }
    // An htmx request of a page whose session ended: send the whole page to the sign-in.
    if (req.headers['hx-request']) res.setHeader('HX-Redirect', loginLocation(req));
    res.setHeader('WWW-Authenticate', challenge());
    sendProblem(res, 'unauthorized', 'send the API key as "Authorization: Bearer <key>", or sign in to the UI');
  };
}

function tooManyAttempts(res: ServerResponse, wait: number): void {
  sendProblem(res, 'too-many-attempts', 'too many failed attempts from this address or with this key; try again later', {
    retryAfter: wait,
  });
}

/**
 * Authenticates `req` by the access token `token` (auth/access-tokens.ts), or answers: 401
 * `invalid-token` or 403 with the RFC 6750 challenge, 429 once the address or the token has failed
 * too often (as a wrong key does: a token that verifies always passes, but one that would have to be
 * introspected is not asked about then), 503 when the authorization server cannot be asked. An
 * expired token of the issuer is no failure: always the 401 challenge. The token is never logged.
 */
function acceptAccessToken(
  req: IncomingMessage,
  res: ServerResponse,
  next: () => void,
  token: string,
  resourceServer: ResourceServerSettings,
  options: SecurityOptions,
): void {
  const base = { basePath: options.basePath?.() ?? '', hostChecked: hostsChecked(options) };
  const address = clientAddress(req);
  const retryAfter = () => options.failures?.retryAfter(address, token) ?? 0;
  options.accessTokens!.verify(token, audiencesOf(req, resourceServer, base), retryAfter).then(
    (identity) => {
      req.identity = identity;
      next();
    },
    (error: unknown) => {
      if (error instanceof TooManyAttempts) return tooManyAttempts(res, error.retryAfter);
      if (!(error instanceof AccessTokenError)) {
        req.log.warn({ reason: error instanceof Error ? error.message : String(error) }, 'cannot check an access token');
        return sendProblem(res, 'authorization-server-unavailable', 'the access token cannot be checked now; try again later');
      }
      if (error.error === 'insufficient_scope') {
        res.setHeader(
          'WWW-Authenticate',
          bearerChallenge(req, resourceServer, { error: error.error, description: error.message, scope: error.scope }),
        );
        return sendProblem(res, 'forbidden', error.message, { scope: error.scope });
      }
      // An expired token of the issuer guessed nothing: always the 401 a client refreshes on.
      if (error.counts) {
        const wait = retryAfter();
        if (wait > 0) return tooManyAttempts(res, wait);
        options.failures?.fail(address, token);
      }
      res.setHeader('WWW-Authenticate', bearerChallenge(req, resourceServer, { error: error.error, description: error.message }));
      sendProblem(res, 'invalid-token', error.message);
    },
  );
}

function anonymous(req: IncomingMessage, next: () => void): void {
  req.identity = ANONYMOUS_IDENTITY;
  next();
}

/**
 * Requests that answer without credentials: probes, the sign-in, pairing a phone, static files,
 * (optionally) the documents. Never a tool call: `POST /{server}/docs` is a tool named `docs`.
 */
function isPublicPath(method: string | undefined, path: string, options: SecurityOptions): boolean {
  if (isToolCall(method, path)) return false;
  return (
    PUBLIC_PATHS.has(path) ||
    path === LOGIN_PATH ||
    // An authorization server's redirect: cross-site, so without the (SameSite=Strict) session; its `state` binds it.
    path === OAUTH_CALLBACK_PATH ||
    // A user's connect link (perUserAuth): its secret token is the credential; the user has no session.
    CONNECT_LINK.test(path) ||
    PAIRING_PATHS.test(path) ||
    isProtectedResourcePath(path) ||
    Boolean(options.isPublic?.(method ?? 'GET', path))
  );
}

/** The phone's side of pairing: the page, the claim and the collection of its token. */
const PAIRING_PATHS = /^\/(?:pair|ui\/pair\/(?:claim|collect))\/?$/;

/**
 * Refuses a request whose identity lacks the scope its route needs (`options.requiredScope`) with a
 * 403 problem naming the scope. Public paths pass.
 */
export function authorize(options: SecurityOptions): Middleware {
  return (req, res, next) => {
    const identity = req.identity;
    // An admin (the anonymous caller of a gateway without a key too) passes at once: the hot path of a call.
    if (identity?.scopes.includes('admin')) return next();
    const path = pathOf(req);
    if (isPublicPath(req.method, path, options)) return next();
    if (!identity) return sendProblem(res, 'unauthorized', 'sign in or send a key');
    const needed = options.requiredScope?.(req.method ?? 'GET', path) ?? 'admin';
    const scopes = typeof needed === 'string' ? [needed] : needed;
    if (scopes.some((scope) => hasScope(identity, scope))) return next();
    const who = identity.kind === 'device' ? `the paired device "${identity.label}"` : `"${identity.label}"`;
    const has = identity.scopes.length > 0 ? identity.scopes.join(', ') : 'no scope';
    const named = scopes.map((scope) => `"${scope}"`).join(' or ');
    const resourceServer = identity.kind === 'access-token' ? options.accessTokens?.settings() : undefined;
    if (resourceServer) {
      const description = `the access token lacks a scope for ${req.method} ${path}`;
      res.setHeader('WWW-Authenticate', bearerChallenge(req, resourceServer, { error: 'insufficient_scope', description, needed: scopes }));
    }
    sendProblem(res, 'forbidden', `${req.method} ${path} needs the scope ${named}; ${who} has ${has}`, { scope: scopes.join(' or ') });
  };
}

/** Checks the `_csrf` field of a session-authenticated form post, once `formBody` has read it. */
export function csrfGuard(): Middleware {
  return (req, res, next) => {
    if (!req.csrfPending) return next();
    const token = req.form?.get('_csrf');
    if (!req.session || token == null || !sameSecret(token, req.session.csrf)) {
      sendProblem(res, 'csrf-failed', "the form's _csrf field does not match this session; reload the page");
      return;
    }
    req.csrfPending = false;
    next();
  };
}
