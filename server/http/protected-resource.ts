/**
 * The gateway as a protected resource (RFC 9728), when `gateway.resourceServer` is set: the
 * resource a request is for, the audiences a token for it may name, its metadata document at
 * `/.well-known/oauth-protected-resource` (and the path-suffixed forms for `/mcp` and
 * `/mcp/{name}`, RFC 9728 §3.1), and the `WWW-Authenticate` challenges that point to it.
 *
 * The resource is `audience` when set, else the gateway's URL at the `Host` the request named (which
 * the Host check let through) and the configured `gateway.basePath`; `/mcp` and `/mcp/{name}` are
 * resources of their own below it. What a token must name is never taken from `X-Forwarded-Prefix`
 * or `X-Forwarded-Proto` (a caller could send them): either scheme of that host counts, and the
 * metadata document names the scheme the client came by. Where `Host` is not checked (a listener
 * beyond loopback without allowed hosts) no default audience exists: main.ts then requires `audience`,
 * and `audiencesOf` names none. The metadata URL carries the prefix the client sees
 * (`https://host/base/.well-known/oauth-protected-resource/mcp`, not RFC 9728's
 * `…/oauth-protected-resource/base/mcp`), so it is reachable through a proxy that forwards only the prefix.
 */
import type { IncomingMessage } from 'node:http';
import { tokenScopesFor } from '../auth/access-tokens.js';
import { SCOPES, type Scope } from '../auth/identity.js';
import type { ResourceServerSettings } from '../config/types.js';
import { prefixOf, publicOrigin } from './base-path.js';
import { matchMcpRoute } from './mcp-route.js';
import { pathOf } from './request-log.js';

export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

/** The metadata paths: the gateway's, and those of `/mcp` and `/mcp/{name}`. */
const METADATA_PATH = /^\/\.well-known\/oauth-protected-resource(\/.*)?$/i;

export function isProtectedResourcePath(path: string): boolean {
  return METADATA_PATH.test(path);
}

/** `/mcp` or `/mcp/{name}` when `path` is one of the MCP endpoint's, else ''. */
function mcpSuffix(path: string): string {
  const route = matchMcpRoute(path);
  if (!route) return '';
  return route.name === undefined ? '/mcp' : `/mcp/${route.name}`;
}

/** What the default resource is built from besides `Host`. */
export interface ResourceBase {
  /** `gateway.basePath` in force (never the caller's `X-Forwarded-Prefix`). */
  basePath: string;
  /** Whether the Host check limits `Host` to the gateway's own names (security.ts `hostsChecked`). */
  hostChecked: boolean;
}

/** The gateway's resource identifier for `req` as its metadata names it: `audience`, or its URL under `basePath`. */
function baseResource(req: IncomingMessage, settings: ResourceServerSettings, basePath: string): string {
  return settings.audience ?? `${publicOrigin(req)}${basePath}`;
}

/**
 * The audiences a token may name on `req`: the gateway's (`audience`, or both schemes of the checked
 * `Host` with the configured base path; none when `Host` is unchecked), and on the MCP endpoint
 * that endpoint's too.
 */
export function audiencesOf(req: IncomingMessage, settings: ResourceServerSettings, base: ResourceBase): string[] {
  let bases: string[];
  if (settings.audience !== undefined) bases = [settings.audience];
  else if (!base.hostChecked || !req.headers.host) bases = [];
  else bases = ['http', 'https'].map((scheme) => `${scheme}://${req.headers.host}${base.basePath}`);
  const suffix = mcpSuffix(pathOf(req));
  return suffix ? bases.flatMap((value) => [value, `${value}${suffix}`]) : bases;
}

/** The URL of the metadata of the resource `req` is for. */
function metadataUrl(req: IncomingMessage): string {
  return `${publicOrigin(req)}${prefixOf(req)}${PROTECTED_RESOURCE_PATH}${mcpSuffix(pathOf(req))}`;
}

const quoted = (value: string) => `"${value.replace(/["\\]/g, '')}"`;

/**
 * The `WWW-Authenticate` value for `req` (RFC 6750 §3 and RFC 9728 §5.1): the metadata URL, and
 * the error when a token was refused (`insufficient_scope` with the token scopes that would do).
 */
export function bearerChallenge(
  req: IncomingMessage,
  settings: ResourceServerSettings,
  refusal?: { error: 'invalid_token' | 'insufficient_scope'; description: string; needed?: readonly Scope[]; scope?: string },
): string {
  const parts = [`realm="mcp-gateway"`, `resource_metadata=${quoted(metadataUrl(req))}`];
  if (refusal) {
    parts.push(`error="${refusal.error}"`, `error_description=${quoted(refusal.description)}`);
    const scope = refusal.scope ?? (refusal.needed ? tokenScopesFor(settings, refusal.needed).join(' ') : undefined);
    if (scope) parts.push(`scope=${quoted(scope)}`);
  }
  return `Bearer ${parts.join(', ')}`;
}

/** The metadata document served at `path` (a metadata path) for `req`. */
export function protectedResourceMetadata(
  req: IncomingMessage,
  path: string,
  settings: ResourceServerSettings,
  basePath: string,
): Record<string, unknown> {
  const suffix = mcpSuffix(METADATA_PATH.exec(path)?.[1] ?? '');
  return {
    resource: `${baseResource(req, settings, basePath)}${suffix}`,
    authorization_servers: [settings.issuer],
    bearer_methods_supported: ['header'],
    scopes_supported: [...new Set([...SCOPES, ...Object.keys(settings.scopeMap), ...settings.requiredScopes])],
    resource_name: 'mcp-gateway',
  };
}
