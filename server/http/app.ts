/**
 * `buildApp(deps)`: the Express application, ready for `listen` (main.ts) or for supertest. It
 * never listens itself and reads no environment.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ActivityLog } from '../activity/log.js';
import { FailureLimiter } from '../auth/failures.js';
import type { DeviceStore } from '../auth/devices.js';
import { Pairings } from '../auth/pairing.js';
import type { KeyStore } from '../auth/keys.js';
import type { SessionStore } from '../auth/sessions.js';
import { ToolCaller } from '../calls/call-tool.js';
import { CallRecording } from '../calls/recording.js';
import { GatewayMetrics, metricsRoutes } from '../observability/metrics.js';
import type { ApprovalSettings, GatewaySettings } from '../config/types.js';
import type { PendingApprovals } from '../approvals/pending.js';
import type { Supervisor } from '../upstream/supervisor.js';
import { uiRoutes, type CallEvents } from '../ui/routes.js';
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
import { isSpecPath, isStaticPath, openApiRoutes } from './openapi-routes.js';
import { sendError, sendProblem } from './problems.js';
import { pathOf, requestLog } from './request-log.js';
import { normalizeTarget } from './request-target.js';
import { authenticate, authorize, csrfGuard, hostCheck, type SecurityOptions } from './security.js';
import { serverRoutes } from './servers-api.js';
import { toolCallFront } from './tool-calls.js';
import { toolRoutes } from './tools-api.js';

export interface AppDeps {
  supervisor: Supervisor;
  /** Where every tool call is written down. */
  activity: ActivityLog;
  /** UI sign-ins (the orchestrator's session cookies). */
  sessions: SessionStore;
  /** API keys made through `/api/keys`. */
  keys: KeyStore;
  /** Paired devices. */
  devices: DeviceStore;
  /** The pairing under way (one at a time). Default: a new `Pairings` with its defaults (2 min, 5 tries). */
  pairings?: Pairings;
  /** Calls held for a person's decision. */
  approvals: PendingApprovals;
  /** The approval policy in force (the config file's top-level `approval`; it changes with a reload). */
  approval: () => ApprovalSettings;
  /** The gateway settings in force (they change with a config reload). */
  settings: () => GatewaySettings;
  logger: Logger;
  security: SecurityOptions;
  version: string;
}

/** The gateway's request listener: hand it to `http.createServer`, or to supertest. */
export type GatewayApp = (req: IncomingMessage, res: ServerResponse) => void;

/** The API and tool calls take JSON bodies only (a form post there is a mistake, e.g. `curl -d`); the UI takes forms. */
function takesJsonOnly(req: IncomingMessage): boolean {
  const path = pathOf(req);
  return /^\/api\//i.test(path) || isToolCall(req.method, path);
}

export function buildApp(deps: AppDeps): GatewayApp {
  const security: SecurityOptions = {
    ...deps.security,
    allowedOrigins: () => deps.settings().cors.origins,
    configuredHosts: () => deps.settings().allowedHosts,
    // Files and documents are public to read only: `POST /{server}/docs` is a call of a tool named `docs`.
    isPublic: (method, path) => (method === 'GET' || method === 'HEAD') && (isStaticPath(path) || (deps.settings().publicSpecs && isSpecPath(path))),
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

  let caller: ToolCaller | undefined;
  const metrics = new GatewayMetrics(
    {
      servers: () => deps.supervisor.list(),
      load: (server) => caller?.load(server) ?? { inFlight: 0, queued: 0 },
      activity: () => deps.activity.health(),
    },
    { version: deps.version },
  );
  const callEvents: CallEvents = new EventEmitter();
  const recording = new CallRecording(deps.activity, metrics, deps.logger);
  caller = new ToolCaller(deps.supervisor, deps.settings, {
    started: (call, args, who) => recording.started(call, args, who),
    committed: (call) => recording.committed(call),
    finished: (call, end) => {
      recording.finished(call, end);
      // The activity page's live tail; nobody listens unless a page has it open.
      if (callEvents.listenerCount('finished') > 0) callEvents.emit('finished', call);
    },
  }, { policy: deps.approval, pending: deps.approvals });

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
      callEvents,
      approvals: deps.approvals,
      approval: deps.approval,
      devices: deps.devices,
      pairings: deps.pairings ?? new Pairings(),
    }),
  );
  app.use((req, res) => sendProblem(res, 'not-found', `no route for ${req.method} ${req.path}`));
  app.use(((error, req, res, _next) => sendError(req, res, error)) as ErrorRequestHandler);

  const calls = toolCallFront({ caller, settings: deps.settings, middlewares });
  return (req, res) => {
    // One form of the target for everything after this (auth/scopes.ts decides on it).
    const refused = normalizeTarget(req);
    if (refused !== undefined) return log(req, res, () => sendProblem(res, 'invalid-path', refused));
    stripBasePath(req, deps.settings().basePath);
    if (!calls(req, res)) app(req, res);
  };
}

