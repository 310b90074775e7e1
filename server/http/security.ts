/**
 * Who may talk to the gateway: a `Host`/`Origin` check against DNS rebinding, and the API key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
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

/** Who is calling, for the activity log: the API key's id, or `anonymous` without auth. */
export function callerOf(req: IncomingMessage): string {
  return req.caller ?? 'anonymous';
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Paths that answer without a key: liveness probes must work before anyone has a key. */
const PUBLIC_PATHS = new Set(['/healthz']);

export function apiKeyAuth(options: SecurityOptions): Middleware {
  if (!options.apiKey) return (_req, _res, next) => next();
  // Only the key's hash is kept; comparing fixed-length digests keeps the comparison constant-time.
  const expected = digest(options.apiKey);
  return (req, res, next) => {
    const path = pathOf(req);
    if (PUBLIC_PATHS.has(path) || options.isPublic?.(path)) return next();
    const header = req.headers.authorization;
    const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
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
    next();
  };
}
