/**
 * Which scope each route family needs. One table, checked by `authorize` after authentication.
 * It fails closed: `tools:read` may GET only the routes listed in `READ_ROUTES`; whatever is not
 * listed (a new route, an odd spelling of an old one) needs `admin`.
 *
 * | routes                                                         | scope              |
 * |----------------------------------------------------------------|--------------------|
 * | `POST /{server}/{tool}`, `POST /api/tools/{s}/{t}`, `/api/calls…`, the UI's test runs | `tools:call` |
 * | `/mcp`, `/mcp/{name}` (listing needs `tools:read`, a call `tools:call`)  | `tools:read` or `tools:call` |
 * | `/api/approvals…`, `/approvals…`, `/ui/approvals…`             | `approvals:decide` |
 * | `GET`/`HEAD` of the documents, tools, servers, activity, metrics and their pages (`READ_ROUTES`) | `tools:read` |
 * | anything else: `/api/keys…`, `/api/devices…`, `/access`, `/ui/pairing…`, changes to servers | `admin` |
 *
 * `GET /api/approvals/{id}` takes `approvals:decide` or `tools:call`: the route answers a caller
 * only about the approval that holds its own call. `POST /ui/logout` takes any scope: everyone
 * signed in may sign out.
 *
 * The path is the one the router matches (request-target.ts made it origin-form, base-path.ts
 * took the prefix off), and it is matched as the router matches it: literal segments without
 * regard to case (Express's default), one trailing slash allowed. So every spelling of a route
 * has the scope of the route, and a spelling no route answers needs `admin`.
 */
import type { Scope } from './identity.js';
import { isToolCall } from '../http/call-route.js';
import { matchMcpRoute } from '../http/mcp-route.js';

const CALL_ROUTES = /^\/(?:api\/calls(?:\/|$)|ui\/calls\/|ui\/tools\/[^/]+\/[^/]+\/call\/?$)/i;
const APPROVAL_ROUTES = /^\/(?:api\/approvals|approvals|ui\/approvals)(?:\/|$)/i;
/** The OpenAPI documents and docs pages, `/{server}/openapi.json` included (it wins over `/approvals/{id}`). */
const DOCUMENT_ROUTES = /^\/(?:[^/]+\/)?(?:openapi\.json|docs)\/?$/i;
/** Everything `tools:read` may GET, one route at a time. */
const READ_ROUTES = new RegExp(
  `^/(?:${[
    'tools',
    'tools/[^/]+/[^/]+',
    'activity',
    'activity/[^/]+',
    'connect',
    'ui/servers',
    'ui/servers/[^/]+',
    'ui/events',
    'static/[^/]+(?:/[^/]+)*',
    'api/openwebui/tools\\.py',
    'api/servers',
    'api/servers/[^/]+',
    'api/tools',
    'api/tools/[^/]+/[^/]+',
    'api/activity',
    'api/activity/[^/]+',
    'metrics',
    'healthz',
    'readyz',
    'ui/login',
    'pair',
  ].join('|')})/?$`,
  'i',
);
/** Read-only helpers of the UI that happen to be POSTs (the form/JSON switch of a tool's test form). */
const READ_POSTS = /^\/ui\/tools\/[^/]+\/[^/]+\/editor\/?$/i;

/** `GET /api/approvals/{id}`: a caller may read the approval that holds its own call. */
const ONE_APPROVAL = /^\/api\/approvals\/[^/]+\/?$/i;

/** Signing out of the UI: whoever is signed in may end their own session (a paired phone too). */
const SIGN_OUT = /^\/ui\/logout\/?$/i;

/** The scope a request needs, or a list of scopes any one of which will do. */
export function requiredScope(method: string, path: string): Scope | readonly Scope[] {
  if (isToolCall(method, path)) return 'tools:call';
  // The MCP endpoint: listing takes `tools:read`, calling `tools:call` (checked per message, mcp/mcp-server.ts).
  if (matchMcpRoute(path)) return ['tools:read', 'tools:call'];
  const read = method === 'GET' || method === 'HEAD';
  if (read && (path === '/' || DOCUMENT_ROUTES.test(path))) return 'tools:read';
  if (CALL_ROUTES.test(path)) return 'tools:call';
  if (read && ONE_APPROVAL.test(path)) return ['approvals:decide', 'tools:call'];
  if (method === 'POST' && SIGN_OUT.test(path)) return ['tools:read', 'tools:call', 'approvals:decide'];
  if (APPROVAL_ROUTES.test(path)) return 'approvals:decide';
  if (read ? READ_ROUTES.test(path) : method === 'POST' && READ_POSTS.test(path)) return 'tools:read';
  return 'admin';
}
