/**
 * Which scope each route family needs. One table, checked by `authorize` after authentication,
 * so that a new route cannot forget it: whatever it does not list needs `tools:read` to read and
 * `admin` to change.
 *
 * | routes                                                         | scope              |
 * |----------------------------------------------------------------|--------------------|
 * | `POST /{server}/{tool}`, `POST /api/tools/{s}/{t}`, `/api/calls…`, the UI's test runs | `tools:call` |
 * | `/api/approvals…`, `/approvals…`, `/ui/approvals…`             | `approvals:decide` |
 * | `/api/keys…`, `/api/devices…`, `/access`, `/ui/pairing…`, changes to servers | `admin` |
 * | any other `GET`/`HEAD` (documents, tools, servers, activity, metrics, pages) | `tools:read` |
 * | any other method                                               | `admin`            |
 *
 * `GET /api/approvals/{id}` takes `approvals:decide` or `tools:call`: the route answers a caller
 * only about the approval that holds its own call. `POST /ui/logout` takes any scope: everyone
 * signed in may sign out.
 */
import type { Scope } from './identity.js';
import { RESERVED_SERVER_NAMES } from '../config/schema.js';

const CALL_ROUTES = [/^\/api\/calls(\/|$)/, /^\/ui\/calls\//, /^\/ui\/tools\/[^/]+\/[^/]+\/call\/?$/];
const APPROVAL_ROUTES = /^\/(?:api\/approvals|approvals|ui\/approvals)(\/|$)/;
const ADMIN_ROUTES = /^\/(?:api\/keys|api\/devices|access|ui\/access|ui\/pairing)(\/|$)/;
/** Read-only helpers of the UI that happen to be POSTs (the form/JSON switch of a tool's test form). */
const READ_POSTS = /^\/ui\/tools\/[^/]+\/[^/]+\/editor\/?$/;

/** `/{server}/{tool}` (the mcpo route) or `/api/tools/{server}/{tool}`. */
function isToolCall(method: string, path: string): boolean {
  if (method !== 'POST') return false;
  const segments = (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).split('/');
  if (segments.length === 3) return Boolean(segments[1] && segments[2]) && !RESERVED_SERVER_NAMES.has(segments[1]!);
  return segments.length === 5 && segments[1] === 'api' && segments[2] === 'tools' && Boolean(segments[3] && segments[4]);
}

/** `GET /api/approvals/{id}`: a caller may read the approval that holds its own call. */
const ONE_APPROVAL = /^\/api\/approvals\/[^/]+\/?$/;

/** Signing out of the UI: whoever is signed in may end their own session (a paired phone too). */
const SIGN_OUT = /^\/ui\/logout\/?$/;

/** The scope a request needs, or a list of scopes any one of which will do. */
export function requiredScope(method: string, path: string): Scope | readonly Scope[] {
  if (isToolCall(method, path) || CALL_ROUTES.some((route) => route.test(path))) return 'tools:call';
  if (method === 'GET' && ONE_APPROVAL.test(path)) return ['approvals:decide', 'tools:call'];
  if (method === 'POST' && SIGN_OUT.test(path)) return ['tools:read', 'tools:call', 'approvals:decide'];
  if (APPROVAL_ROUTES.test(path)) return 'approvals:decide';
  if (ADMIN_ROUTES.test(path)) return 'admin';
  if (method === 'GET' || method === 'HEAD' || READ_POSTS.test(path)) return 'tools:read';
  return 'admin';
}
