/**
 * The HTTP side of the gateway's MCP endpoint: `/mcp` and `/mcp/{name}` (any method: the
 * streamable HTTP transport uses POST, GET and DELETE), served in front of Express like the tool
 * calls, through the same middlewares (request id and log, CORS, Host check, authentication,
 * scope, JSON body, CSRF). The endpoint itself (server/mcp/, where the SDK's serving side lives)
 * is loaded on the first request: start-up does not pay for it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpEndpoint, McpEndpointDeps } from '../mcp/endpoint.js';
import { forwardedUserOf } from '../auth/forwarded-user.js';
import { ANONYMOUS_IDENTITY } from '../auth/identity.js';
import { ProblemError } from '../errors.js';
import { prefixOf, publicOrigin } from './base-path.js';
import { runMiddlewares } from './middleware-chain.js';
import { ownLogLine, pathOf, type Middleware } from './request-log.js';
import type { ScopedRoute } from './route.js';

const MCP_PATH = /^\/mcp(?:\/([^/]+))?\/?$/i;

/** Listing takes `tools:read`, a call `tools:call` (checked per message, mcp/mcp-server.ts): either lets a client in. */
const MCP_SCOPE = ['tools:read', 'tools:call'] as const;

/** The routes of the MCP endpoint, for the route table (auth/scopes.ts): served here, in front of Express. */
export const MCP_ROUTES: readonly ScopedRoute[] = (['get', 'post', 'delete'] as const).flatMap((method) => [
  { method, path: '/mcp', scope: MCP_SCOPE },
  { method, path: '/mcp/{name}', scope: MCP_SCOPE },
]);

/** `/mcp` → `{}`; `/mcp/{name}` → `{ name }` (still percent-encoded); else undefined. */
export function matchMcpRoute(path: string): { name?: string } | undefined {
  const match = MCP_PATH.exec(path);
  if (!match) return undefined;
  return match[1] === undefined ? {} : { name: match[1] };
}

export interface McpFrontDeps extends McpEndpointDeps {
  middlewares: Middleware[];
}

/** A request listener for `/mcp…`; returns false, having done nothing, for any other path. */
export function mcpFront(deps: McpFrontDeps): { listener: (req: IncomingMessage, res: ServerResponse) => boolean; close(): Promise<void> } {
  const { middlewares, ...endpointDeps } = deps;
  let endpoint: Promise<McpEndpoint> | undefined;
  const load = () => (endpoint ??= import('../mcp/endpoint.js').then(({ McpEndpoint }) => new McpEndpoint(endpointDeps)));

  async function handle(req: IncomingMessage, res: ServerResponse, route: { name?: string }): Promise<void> {
    let name: string | undefined;
    try {
      name = route.name === undefined ? undefined : decodeURIComponent(route.name);
    } catch {
      throw new ProblemError('invalid-path', 'the server or group name in the path is not valid percent-encoding');
    }
    // A tool call writes its own log line (calls/recording.ts), as on the REST routes.
    if ((req.body as { method?: unknown } | undefined)?.method === 'tools/call') ownLogLine(req);
    const served = await load();
    const user = forwardedUserOf(req);
    await served.handle(req, res, name, req.body, {
      identity: req.identity ?? ANONYMOUS_IDENTITY,
      requestId: req.id,
      baseUrl: `${publicOrigin(req)}${prefixOf(req)}`,
      ...(user && { user }),
    });
  }

  const listener = (req: IncomingMessage, res: ServerResponse): boolean => {
    const route = matchMcpRoute(pathOf(req));
    if (!route) return false;
    runMiddlewares(req, res, middlewares, () => handle(req, res, route));
    return true;
  };

  return {
    listener,
    close: async () => {
      if (endpoint) await (await endpoint).close();
    },
  };
}
