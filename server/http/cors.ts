/**
 * CORS for browser-side tool servers (an Open WebUI tool server added by a user is called from
 * the user's browser): requests from the origins in `gateway.cors.origins` get the CORS headers,
 * and their preflights are answered here, before authentication (a preflight carries no key).
 * Requests from other origins get no CORS headers; the Origin check then refuses them.
 */
import type { Middleware } from './request-log.js';

/**
 * Request headers a browser may send: the key, JSON bodies, streaming and async calls, timeouts,
 * and `X-Session-Id`, which Open WebUI's browser sends with every call to a user's tool server
 * (its chat id; read nowhere here).
 */
export const CORS_ALLOWED_HEADERS = 'authorization, content-type, accept, prefer, x-timeout-ms, last-event-id, x-session-id';
/** Response headers a page may read besides the safelisted ones. */
export const CORS_EXPOSED_HEADERS = 'Location, Retry-After, X-Request-Id, Preference-Applied, WWW-Authenticate';
const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';
/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE = '600';

/** `origins` is read on every request, so a config reload changes it at once. */
export function cors(origins: () => readonly string[]): Middleware {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    res.setHeader('Vary', 'Origin');
    if (!origins().includes(origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.statusCode = 204;
      res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
      res.setHeader('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', PREFLIGHT_MAX_AGE);
      res.end();
      return;
    }
    next();
  };
}
