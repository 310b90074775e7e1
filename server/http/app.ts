/**
 * `buildApp(services)`: the Express application, ready for `listen` (main.ts) or for supertest. It
 * never listens itself, reads no environment and builds no domain objects: it receives the
 * running gateway's (`gatewayServices` in gateway.ts) and serves them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ActivityLog } from '../activity/log.js';
import { FailureLimiter } from '../auth/failures.js';
import type { DeviceStore } from '../auth/devices.js';
import type { Pairings } from '../auth/pairing.js';
import type { KeyStore } from '../auth/keys.js';
import type { SessionStore } from '../auth/sessions.js';
import type { ToolCaller } from '../calls/call-tool.js';
import type { GatewayEvents } from '../events.js';
import { metricsRoutes, type GatewayMetrics } from '../observability/metrics.js';
import type { ApprovalSettings, GatewaySettings, ToolGroup } from '../config/types.js';
import type { ApprovalBook } from '../approvals/book.js';
import type { Supervisor } from '../upstream/supervisor.js';
import { uiRoutes } from '../ui/routes.js';
import { activityRoutes } from './activity-api.js';
import { stripBasePath } from './base-path.js';
import { callRoutes } from './calls-api.js';
import { cors } from './cors.js';
import { healthRoutes } from './health.js';
import { formBody, jsonBody } from './json-body.js';
import { keyRoutes } from './keys-api.js';
import { approvalRoutes } from './approvals-api.js';
import { deviceRoutes } from './devices-api.js';
import { isToolCall } from './call-route.js';
import { matchMcpRoute, mcpFront } from './mcp-route.js';
import { isSpecPath, isStaticPath, openApiRoutes } from './openapi-routes.js';
import { sendError, sendProblem } from './problems.js';
import { pathOf, requestLog } from './request-log.js';
import { normalizeTarget } from './request-target.js';
import { authenticate, authorize, csrfGuard, hostCheck, type SecurityOptions } from './security.js';
import { serverRoutes } from './servers-api.js';
import { toolCallFront } from './tool-calls.js';
import { toolRoutes } from './tools-api.js';

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

/**
 * The gateway's request listener: hand it to `http.createServer`, or to supertest. `close` ends
 * what outlives a request (the MCP endpoint's sessions) when the gateway stops.
 */
export type GatewayApp = ((req: IncomingMessage, res: ServerResponse) => void) & { close(): Promise<void> };

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
    // Files and documents are public to read only: `POST /{server}/docs` is a call of a tool named `docs`.
    isPublic: (method, path) =>
      (method === 'GET' || method === 'HEAD') && (isStaticPath(path) || (deps.settings().publicSpecs && isSpecPath(path))),
    sessions: deps.sessions,
    keys: deps.keys,
    devices: deps.devices,
    failures: new FailureLimiter(),
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

  const { caller, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  for (const middleware of middlewares) app.use(middleware);
  app.use(healthRoutes(deps.supervisor, deps.version, () => deps.activity.health()));
  app.use(
    openApiRoutes({
      supervisor: deps.supervisor,
      settings: deps.settings,
      version: deps.version,
      auth: Boolean(deps.security.apiKey),
    }),
  );
  app.use(serverRoutes(deps.supervisor));
  app.use(toolRoutes(deps.supervisor));
  app.use(metricsRoutes(metrics));
  app.use(activityRoutes(deps.activity));
  app.use(keyRoutes(deps.keys));
  app.use(approvalRoutes(deps.approvals));
  app.use(deviceRoutes(deps.devices));
  app.use(callRoutes(caller, deps.settings));
  app.use(
    uiRoutes({
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
      approvalPolicy: deps.approvalPolicy,
      devices: deps.devices,
      pairings: deps.pairings,
      groups: deps.groups,
    }),
  );
  app.use((req, res) => sendProblem(res, 'not-found', `no route for ${req.method} ${req.path}`));
  app.use(((error, req, res, _next) => sendError(req, res, error)) as ErrorRequestHandler);

  const calls = toolCallFront({ caller, settings: deps.settings, middlewares });
  const mcp = mcpFront({
    caller,
    supervisor: deps.supervisor,
    groups: deps.groups,
    settings: deps.settings,
    events: deps.events,
    metrics,
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
  return Object.assign(listener, { close: () => mcp.close() });
}
