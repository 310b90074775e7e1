/**
 * A route, declared once. Every route the gateway answers is declared with its method, its path
 * and the scope it needs, next to its handler:
 * - a management API route with `defineRoute({ method, path, scope, operationId, summary,
 *   description, tag, request, responses, handler })`: the handler, the zod schemas it validates
 *   its query and body with, its OpenAPI entry (server/openapi/management.ts builds the document
 *   from the declarations) and its scope, in the module of its resource (`server/http/api/*.ts`);
 * - a UI page or action with `pages.get(path, scope, handler)` / `pages.post(...)` (a `PageRouter`,
 *   in `server/ui/*-pages.ts`), and a route another part serves (static files, the tool-call
 *   front) with `RouteTable.declare`.
 * `RouteTable` records them in the order the app matches them; auth/scopes.ts compiles the scope
 * lookup from that record, so a route has the scope it was declared with, and a method and path no
 * declared route answers needs `admin`.
 *
 * Paths are written as in OpenAPI: `/api/keys/{id}`; `{name+}` stands for one or more segments.
 * They are matched as Express matches them: literal segments without regard to case, one
 * trailing slash allowed.
 *
 * Declarations are plain data and zod schemas: nothing here loads the OpenAPI generator (it loads
 * on the first `GET /api/openapi.json`).
 */
import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import type { Scope } from '../auth/identity.js';
import { parseBody } from './validation.js';

export type Method = 'get' | 'post' | 'patch' | 'delete';

/** The scope a route needs, or several any one of which will do. */
export type RouteScope = Scope | readonly Scope[];

/** What every declared route says: enough to find the scope a request needs. */
export interface ScopedRoute {
  method: Method;
  /** OpenAPI form: `{name}` is one segment, `{name+}` one or more. */
  path: string;
  scope: RouteScope;
  /** Served before Express by the tool-call front (tool-calls.ts, matched by `matchCallRoute`), not by a handler here. */
  callFront?: boolean;
}

/** The tags of the management document (their descriptions are in server/openapi/management.ts). */
export type ManagementTag =
  | 'health'
  | 'servers'
  | 'tools'
  | 'resources'
  | 'prompts'
  | 'calls'
  | 'approvals'
  | 'questions'
  | 'activity'
  | 'keys'
  | 'devices'
  | 'documents';

/** The names in `{...}` of a path, as the type of its parameters. */
export type PathParams<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? { [K in Name]: string } & PathParams<Rest>
  : Record<never, never>;

/** What a handler gets besides `req` and `res`: its query and body, validated on demand with the declared schemas. */
export interface RouteInput<Q extends z.ZodObject | undefined, B extends z.ZodType | undefined> {
  /** The query string checked against `request.query` (a 422 `invalid-request` naming each field when it does not match). */
  query(): Q extends z.ZodType ? z.infer<Q> : never;
  /**
   * The JSON body checked against `request.body.schema` (a 422 `invalid-request` naming each field). On demand, so
   * that a handler answers its 404s and 403s before it looks at the body, as it always has.
   */
  body(): B extends z.ZodType ? z.infer<B> : never;
}

/** A management API route: its handler, validation, OpenAPI entry and scope in one place. */
export interface ApiRoute<
  S = never,
  P extends string = string,
  Q extends z.ZodObject | undefined = z.ZodObject | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> extends ScopedRoute {
  path: P;
  operationId: string;
  summary: string;
  description: string;
  tag: ManagementTag;
  request?: {
    params?: z.ZodObject;
    query?: Q;
    headers?: z.ZodObject;
    body?: { description: string; required: boolean; schema: B };
  };
  /** The route's own answers; the document adds those every route behind the key has (401, 403, 429, 500, …). */
  responses: Record<string, ResponseConfig>;
  /** Answers without credentials, always (`/healthz`): no `security`, no authentication answers. */
  open?: boolean;
  /** Readable without credentials when `gateway.publicSpecs` is on (the documents and docs pages). */
  publicSpecs?: boolean;
  /** Absent for a route served elsewhere (`callFront`). */
  handler?: (req: Request<PathParams<P>>, res: Response, input: RouteInput<Q, B>, services: S) => unknown;
}

/** A declared API route as lists hold it: its handler's own types forgotten (they were checked by `defineRoute`). */
export type DeclaredRoute<S = never> = ApiRoute<S>;

/**
 * Declares a management API route (see the top of this file). `S` is what its handler needs of the
 * app's services, taken from the type of the handler's fourth parameter.
 */
export function defineRoute<
  S,
  const P extends string,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(route: ApiRoute<S, P, Q, B>): DeclaredRoute<S> {
  return route as unknown as DeclaredRoute<S>;
}

/** The Express spelling of a declared path: `{id}` → `:id`. */
export function expressPath(path: string): string {
  if (path.includes('+}')) throw new Error(`${path}: a path with {name+} is declared only, not mounted`);
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

type PageHandler<P extends string> = (req: Request<PathParams<P>>, res: Response) => unknown;

/** Registers UI pages and actions, each with its scope. */
export interface PageRouter {
  get<const P extends string>(path: P, scope: RouteScope, handler: PageHandler<P>): void;
  post<const P extends string>(path: P, scope: RouteScope, handler: PageHandler<P>): void;
}

/** The routes of one app, in the order it matches them. */
export class RouteTable {
  readonly routes: ScopedRoute[] = [];

  /** Records a route served by something else (static files, the tool-call front). */
  declare(route: ScopedRoute): void {
    this.routes.push({ method: route.method, path: route.path, scope: route.scope, ...(route.callFront ? { callFront: true } : {}) });
  }

  /** Records each API route and registers its handler on `router`. */
  mount<S>(router: Router, routes: readonly DeclaredRoute<S>[], services: S): void {
    for (const route of routes) {
      this.declare(route);
      const { handler } = route;
      if (!handler) continue;
      const input = inputOf(route);
      router[route.method](expressPath(route.path), ((req, res) => handler(req, res, input(req), services)) as RequestHandler);
    }
  }

  /** A `PageRouter` that registers on `router` and records here. */
  pages(router: Router): PageRouter {
    const on =
      (method: Method) =>
      <P extends string>(path: P, scope: RouteScope, handler: PageHandler<P>): void => {
        this.declare({ method, path, scope });
        router[method](expressPath(path), handler as unknown as RequestHandler);
      };
    return { get: on('get'), post: on('post') };
  }
}

function inputOf(route: DeclaredRoute<never>): (req: Request) => RouteInput<z.ZodObject, z.ZodType> {
  const query = route.request?.query;
  const body = route.request?.body?.schema;
  return (req) => ({
    query: () => {
      if (!query) throw new Error(`${route.operationId} declares no query`);
      return parseBody(query, req.query);
    },
    body: () => {
      if (!body) throw new Error(`${route.operationId} declares no body`);
      return parseBody(body, req.body);
    },
  });
}
