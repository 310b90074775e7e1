/**
 * Which scope a request needs, derived from the declared routes (http/route.ts): each route is
 * declared with its scope next to its handler, and `compileScopes` turns the app's list of them
 * (`RouteTable.routes`, in the order the app matches them) into the lookup `authorize` runs after
 * authentication. It fails closed: a method and path that no declared route answers (a new route
 * spelled wrong, an unknown method on a known path) needs `admin`.
 *
 * | routes                                                         | scope              |
 * |----------------------------------------------------------------|--------------------|
 * | `POST /{server}/{tool}`, `POST /api/tools/{s}/{t}`, `/api/calls…`, the UI's test runs | `tools:call` |
 * | `/api/approvals…`, `/approvals…`, `/ui/approvals…`             | `approvals:decide` |
 * | `GET`s of the documents, tools, servers, activity, metrics and their pages | `tools:read` |
 * | anything else: `/api/keys…`, `/api/devices…`, `/access`, `/ui/pairing…`, changes to servers | `admin` |
 *
 * `GET /api/approvals/{id}` takes `approvals:decide` or `tools:call`: the route answers a caller
 * only about the approval that holds its own call. `POST /ui/logout` takes any scope: everyone
 * signed in may sign out. Those are declared so, with their routes.
 *
 * The path is the one the router matches (request-target.ts made it origin-form, base-path.ts
 * took the prefix off), and it is matched as the router matches it: literal segments without
 * regard to case (Express's default), one trailing slash allowed, `HEAD` as `GET`. The first
 * declared route that matches decides, as in the router: `/{server}/openapi.json` (mounted
 * before the pages) wins over `/approvals/{id}`. A `POST` that the tool-call front takes
 * (call-route.ts: `/{server}/{tool}` with a server name that is not reserved) is a call before
 * anything else, as the front sees it before Express. So every spelling of a route has the
 * scope of the route, and a spelling no route answers needs `admin`.
 */
import type { Scope } from './identity.js';
import { isToolCall } from '../http/call-route.js';
import type { RouteScope, ScopedRoute } from '../http/route.js';

/** The scope a request needs, or a list of scopes any one of which will do. */
export type RequiredScope = (method: string, path: string) => Scope | readonly Scope[];

interface Matcher {
  pattern: RegExp;
  scope: RouteScope;
}

/** A declared path as a regular expression over the router's path. */
function patternOf(path: string): RegExp {
  const segments = path
    .split('/')
    .slice(1)
    .map((segment) => {
      if (/^\{[^}]+\+\}$/.test(segment)) return '[^/]+(?:/[^/]+)*';
      if (/^\{[^}]+\}$/.test(segment)) return '[^/]+';
      if (segment.includes('{')) throw new Error(`${path}: a parameter must be a whole segment`);
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    });
  return path === '/' ? /^\/$/ : new RegExp(`^/${segments.join('/')}/?$`, 'i');
}

/** The first segment of a path as a lookup key: lower-cased, or undefined for a parameter. */
function firstSegment(path: string): string | undefined {
  const first = path.split('/')[1] ?? '';
  return first.startsWith('{') ? undefined : first.toLowerCase();
}

/**
 * The lookup for `routes` (in the order the app matches them). Per method, the routes are
 * grouped by their first segment (a route whose first segment is a parameter is in every
 * group, in its place), so a request is matched against a handful of patterns only.
 */
export function compileScopes(routes: readonly ScopedRoute[]): RequiredScope {
  const callScopes = new Set(routes.filter((route) => route.callFront).map((route) => JSON.stringify(route.scope)));
  if (callScopes.size > 1) throw new Error('the tool-call front serves routes of different scopes');
  const callScope = routes.find((route) => route.callFront)?.scope ?? 'admin';

  const byMethod = new Map<string, { groups: Map<string, Matcher[]>; anyFirst: Matcher[] }>();
  const served = routes.filter((route) => !route.callFront);
  for (const method of new Set(served.map((route) => route.method))) {
    const own = served.filter((route) => route.method === method);
    const keys = new Set(own.map((route) => firstSegment(route.path)).filter((key) => key !== undefined));
    const matcher = (route: ScopedRoute): Matcher => ({ pattern: patternOf(route.path), scope: route.scope });
    const groups = new Map<string, Matcher[]>();
    for (const key of keys) {
      groups.set(key, own.filter((route) => [key, undefined].includes(firstSegment(route.path))).map(matcher));
    }
    byMethod.set(method.toUpperCase(), { groups, anyFirst: own.filter((route) => firstSegment(route.path) === undefined).map(matcher) });
  }

  return (method, path) => {
    if (isToolCall(method, path)) return callScope;
    const table = byMethod.get(method === 'HEAD' ? 'GET' : method);
    if (!table) return 'admin';
    const end = path.indexOf('/', 1);
    const first = (end === -1 ? path.slice(1) : path.slice(1, end)).toLowerCase();
    for (const { pattern, scope } of table.groups.get(first) ?? table.anyFirst) {
      if (pattern.test(path)) return scope;
    }
    return 'admin';
  };
}
