/**
 * `buildApp(services)`: the Express application, ready for `listen` (main.ts) or for supertest. It
 * never listens itself, reads no environment and builds no domain objects: it receives the
 * running gateway's (`gatewayServices` in gateway.ts) and serves them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ActivityLog } from '../activity/log.js';
import { AccessTokens } from '../auth/access-tokens.js';
import { FailureLimiter } from '../auth/failures.js';
import type { DeviceStore } from '../auth/devices.js';
import type { Pairings } from '../auth/pairing.js';
import type { KeyStore } from '../auth/keys.js';
import { compileScopes, type RequiredScope } from '../auth/scopes.js';
import type { SessionStore } from '../auth/sessions.js';
import type { ToolCaller } from '../calls/call-tool.js';
import type { GatewayEvents } from '../events.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { ApprovalSettings, GatewaySettings, ToolGroup } from '../config/types.js';
import type { ApprovalBook } from '../approvals/book.js';
import type { QuestionBook } from '../questions/book.js';
import type { Supervisor } from '../upstream/supervisor.js';
import { uiRoutes } from '../ui/routes.js';
import { API_ROUTES } from './api/index.js';
import { MCPO_CALL_ROUTE } from './api/tools.js';
import { DOCUMENT_ROUTES, isSpecPath, isStaticPath, staticFiles } from './api/documents.js';
import { stripBasePath } from './base-path.js';
import { cors } from './cors.js';
import { formBody, jsonBody } from './json-body.js';
import { isToolCall } from './call-route.js';
import { MCP_ROUTES, matchMcpRoute, mcpFront } from './mcp-route.js';
import { sendError, sendProblem } from './problems.js';
import { pathOf, requestLog } from './request-log.js';
import { normalizeTarget } from './request-target.js';
import { RouteTable, type ScopedRoute } from './route.js';
import { authenticate, authorize, csrfGuard, hostCheck, type SecurityOptions } from './security.js';
import { toolCallFront } from './tool-calls.js';

export interface AppServices {
  supervisor: Supervisor;
  /** Where every tool call is written down. */
  activity: ActivityLog;
  /** UI sign-ins (the orchestrator's session cookies). */
  sessions: SessionStore;
  /** API keys made through `/api/keys`. */
  keys: KeyStore;
  /** Paired devices. */
  devices: DeviceStore;
  /** The pairing under way (one at a time). */
  pairings: Pairings;
  /** Calls held for a person's decision. */
  approvals: ApprovalBook;
  /** The approval policy in force (the config file's top-level `approval`; it changes with a reload). */
  approvalPolicy: () => ApprovalSettings;
  /** What servers ask a person during calls (elicitation): question cards next to the approvals. */
  questions: QuestionBook;
  /** Runs every tool call (the mcpo routes, the management API, the UI's try-it). */
  caller: ToolCaller;
  /** The Prometheus metrics (`GET /metrics`). */
  metrics: GatewayMetrics;
  /** What happened: the pages' live streams follow it. */
  events: GatewayEvents;
  /** The gateway settings in force (they change with a config reload). */
  settings: () => GatewaySettings;
  /** The tool groups in force (`/mcp/{group}`; they change with a config reload). */
  groups: () => ToolGroup[];
  logger: Logger;
  security: SecurityOptions;
  version: string;
}

/** What route handlers (http/api/*.ts) get: the services, and what the app adds. */
export interface RouteServices extends AppServices {
  /** When the app was built (`/healthz`'s `uptimeMs`). */
  startedAt: number;
}

/** The gateway's request listener: hand it to `http.createServer`, or to supertest. */
export type GatewayApp = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** Every route the app answers, as declared, in the order it matches them (auth/scopes.ts derives the scopes from them). */
  routes: readonly ScopedRoute[];
  /** The scope a request needs (`compileScopes` over `routes`). */
  requiredScope: RequiredScope;
  /** Ends what outlives a request (the MCP endpoint's sessions) when the gateway stops. */
  close(): Promise<void>;
};

/** The API and tool calls take JSON bodies only (a form post there is a mistake, e.g. `curl -d`); the UI takes forms. */
function takesJsonOnly(req: IncomingMessage): boolean {
  const path = pathOf(req);
  return /^\/api\//i.test(path) || isToolCall(req.method, path) || matchMcpRoute(path) !== undefined;
}

export function buildApp(deps: AppServices): GatewayApp {
  const security: SecurityOptions = {
    ...deps.security,
    allowedOrigins: () => deps.settings().cors.origins,
    configuredHosts: () => deps.settings().allowedHosts,
    basePath: () => deps.settings().basePath,
    // Files and documents are public to read only: `POST /{server}/docs` is a call of a tool named `docs`.
    isPublic: (method, path) =>
      (method === 'GET' || method === 'HEAD') && (isStaticPath(path) || (deps.settings().publicSpecs && isSpecPath(path))),
    sessions: deps.sessions,
    keys: deps.keys,
    devices: deps.devices,
    failures: new FailureLimiter(),
    accessTokens: new AccessTokens(() => deps.settings().resourceServer),
    trustTailscaleHeaders: () => deps.settings().trustTailscaleHeaders,
  };
  // Shared by the tool-call front and the Express app, in this order. CORS comes before the
  // checks: a preflight carries no key, and is answered for allowed origins only.
  const log = requestLog(deps.logger);
  const middlewares = [
    log,
    cors(() => deps.settings().cors.origins),
    hostCheck(security),
    authenticate(security),
    authorize(security),
    jsonBody({ limit: () => deps.settings().maxBodyBytes, maxDepth: () => deps.settings().maxJsonDepth, jsonOnly: takesJsonOnly }),
    formBody(() => deps.settings().maxBodyBytes),
    csrfGuard(),
  ];

  const { caller } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  for (const middleware of middlewares) app.use(middleware);
  // Every route, declared with its scope (http/route.ts), in the order it is matched: the
  // tool-call front's first, then the API, the files and documents, the pages.
  const table = new RouteTable();
  table.declare(MCPO_CALL_ROUTE);
  for (const route of MCP_ROUTES) table.declare(route);
  const services: RouteServices = { ...deps, startedAt: Date.now() };
  table.mount(app, API_ROUTES, services);
  staticFiles(table, app);
  table.mount(app, DOCUMENT_ROUTES, services);
  app.use(
    uiRoutes(
      {
        supervisor: deps.supervisor,
        caller,
        activity: deps.activity,
        sessions: deps.sessions,
        settings: deps.settings,
        apiKey: deps.security.apiKey,
        keys: deps.keys,
        failures: security.failures!,
        events: deps.events,
        approvals: deps.approvals,
        questions: deps.questions,
        approvalPolicy: deps.approvalPolicy,
        devices: deps.devices,
        pairings: deps.pairings,
        groups: deps.groups,
      },
      table,
    ),
  );
  // `authorize` reads it from here at each request.
  const requiredScope = (security.requiredScope = compileScopes(table.routes));
  app.use((req, res) => sendProblem(res, 'not-found', `no route for ${req.method} ${req.path}`));
  app.use(((error, req, res, _next) => sendError(req, res, error)) as ErrorRequestHandler);

  const calls = toolCallFront({ caller, settings: deps.settings, middlewares });
  const mcp = mcpFront({
    caller,
    supervisor: deps.supervisor,
    groups: deps.groups,
    settings: deps.settings,
    events: deps.events,
    metrics: deps.metrics,
    logger: deps.logger,
    version: deps.version,
    middlewares,
  });
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    // One form of the target for everything after this (auth/scopes.ts decides on it).
    const refused = normalizeTarget(req);
    if (refused !== undefined) return log(req, res, () => sendProblem(res, 'invalid-path', refused));
    stripBasePath(req, deps.settings().basePath);
    if (!calls(req, res) && !mcp.listener(req, res)) app(req, res);
  };
  return Object.assign(listener, { routes: table.routes, requiredScope, close: () => mcp.close() });
}
