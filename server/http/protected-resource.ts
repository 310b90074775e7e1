/**
 * The gateway as a protected resource (RFC 9728), when `gateway.resourceServer` is set: the
 * resource a request is for, the audiences a token for it may name, its metadata document at
 * `/.well-known/oauth-protected-resource` (and the path-suffixed forms for `/mcp` and
 * `/mcp/{name}`, RFC 9728 §3.1), and the `WWW-Authenticate` challenges that point to it.
 *
 * The resource is the gateway's public URL as the request reached it (origin and base path), or
 * `audience` when set; `/mcp` and `/mcp/{name}` are resources of their own below it. The metadata
 * URL carries the base path (`https://host/base/.well-known/oauth-protected-resource/mcp`), so it is
 * reachable through a proxy that forwards only the prefix.
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

/** The gateway's resource identifier for `req`: `audience`, or its public URL. */
function baseResource(req: IncomingMessage, settings: ResourceServerSettings): string {
  return settings.audience ?? `${publicOrigin(req)}${prefixOf(req)}`;
}

/** The audiences a token may name on `req`: the gateway's, and on the MCP endpoint that endpoint's too. */
export function audiencesOf(req: IncomingMessage, settings: ResourceServerSettings): string[] {
  const base = baseResource(req, settings);
  const suffix = mcpSuffix(pathOf(req));
  return suffix ? [base, `${base}${suffix}`] : [base];
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
export function protectedResourceMetadata(req: IncomingMessage, path: string, settings: ResourceServerSettings): Record<string, unknown> {
  const suffix = mcpSuffix(METADATA_PATH.exec(path)?.[1] ?? '');
  return {
    resource: `${baseResource(req, settings)}${suffix}`,
    authorization_servers: [settings.issuer],
    bearer_methods_supported: ['header'],
    scopes_supported: [...new Set([...SCOPES, ...Object.keys(settings.scopeMap), ...settings.requiredScopes])],
    resource_name: 'mcp-gateway',
  };
}
