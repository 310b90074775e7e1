/**
 * Running under a path prefix behind a proxy (`tailscale serve --set-path /mcp`, nginx
 * `location /mcp/`): `gateway.basePath` names the prefix, or a proxy says it per request with
 * `X-Forwarded-Prefix`. A proxy may strip the prefix or pass it on; both work: a request path that
 * starts with the configured prefix has it removed before routing. Everything the gateway writes
 * for a browser or a client to follow (page links through `<base href>`, redirects, `Location`,
 * the generated Open WebUI tool's URL) carries `prefixOf(req)`.
 */
import type { IncomingMessage } from 'node:http';
import './request-context.js';

/** A prefix such as `/mcp` or `/a/b`: segments of URL path characters, no `//`, no trailing `/`. */
const PREFIX = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$/;

/** A usable prefix from an untrusted header value, or undefined (`/`, `/mcp/` → '' and `/mcp`). */
export function cleanPrefix(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim().replace(/\/+$/, '');
  if (!PREFIX.test(trimmed) || trimmed.split('/').some((segment) => segment === '.' || segment === '..')) return undefined;
  return trimmed;
}

/**
 * Removes the configured prefix from `req.url` (when the proxy passed it on) and records the
 * prefix the client sees in `req.basePath`. Runs before any routing, on every request.
 */
export function stripBasePath(req: IncomingMessage, basePath: string): void {
  const forwarded = req.headers['x-forwarded-prefix'];
  req.basePath = forwarded === undefined ? basePath : (cleanPrefix(forwarded) ?? basePath);
  if (!basePath) return;
  const url = req.url ?? '/';
  if (url.startsWith(basePath) && (url.length === basePath.length || url[basePath.length] === '/' || url[basePath.length] === '?')) {
    const rest = url.slice(basePath.length);
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
  }
}

/** The prefix the client sees, e.g. `/mcp`, or ''. */
export function prefixOf(req: IncomingMessage): string {
  return req.basePath ?? '';
}

/**
 * The origin the client reached the gateway at (`https://host.tailnet.ts.net`), for links that
 * leave the page (the pairing QR code, "copy as curl"): HTTPS when the socket is TLS or a proxy
 * in front says so (`X-Forwarded-Proto: https`, as `tailscale serve` does).
 */
export function publicOrigin(req: IncomingMessage): string {
  const https = Boolean((req.socket as { encrypted?: boolean }).encrypted) || req.headers['x-forwarded-proto'] === 'https';
  return `${https ? 'https' : 'http'}://${req.headers.host ?? '127.0.0.1'}`;
}

/** The gateway's OAuth callback page, where an authorization server sends a person back (server/ui/oauth-pages.ts). */
export const OAUTH_CALLBACK_PATH = '/ui/oauth/callback';

/** Where a user opens their connect link to a `perUserAuth` server (server/ui/oauth-pages.ts): `{token}` is the link's secret. */
export const CONNECT_LINK_PATH = '/ui/oauth/connect/{token}';

/** A user's connect link (`CONNECT_LINK_PATH`) on the origin and base path the operator reached the gateway at. */
export function connectLinkUrl(req: IncomingMessage, token: string): string {
  return `${publicOrigin(req)}${prefixOf(req)}${CONNECT_LINK_PATH.replace('{token}', token)}`;
}

/**
 * The redirect URI of a sign-in started by `req`: the callback on the origin and base path the
 * person reached the gateway at, so that their browser comes back to the same place (behind
 * `tailscale serve` and a `basePath` too). A dynamically registered client is registered anew
 * when it changes.
 */
export function oauthCallbackUrl(req: IncomingMessage): string {
  return `${publicOrigin(req)}${prefixOf(req)}${OAUTH_CALLBACK_PATH}`;
}
