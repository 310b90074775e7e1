/**
 * `buildApp(deps)`: the Express application, ready for `listen` (main.ts) or for supertest. It
 * never listens itself and reads no environment.
 */
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ActivityLog } from '../activity/log.js';
import { ToolCaller } from '../calls/call-tool.js';
import { CallRecording } from '../calls/recording.js';
import { GatewayMetrics, metricsRoutes } from '../observability/metrics.js';
import type { GatewaySettings } from '../config/types.js';
import type { Supervisor } from '../upstream/supervisor.js';
import { activityRoutes } from './activity-api.js';
import { callRoutes } from './calls-api.js';
import { healthRoutes } from './health.js';
import { ProblemError, sendProblem } from './problems.js';
import { requestLog } from './request-log.js';
import { apiKeyAuth, hostCheck, type SecurityOptions } from './security.js';
import { serverRoutes } from './servers-api.js';
import { toolCallRoutes } from './tool-calls.js';
import { toolRoutes } from './tools-api.js';

export interface AppDeps {
  supervisor: Supervisor;
  /** Where every tool call is written down. */
  activity: ActivityLog;
  /** The gateway settings in force (they change with a config reload). */
  settings: () => GatewaySettings;
  logger: Logger;
  security: SecurityOptions;
  version: string;
}

export function buildApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(requestLog(deps.logger));
  app.use(hostCheck(deps.security));
  app.use(apiKeyAuth(deps.security));
  app.use(jsonBody(deps.settings));

  app.use(healthRoutes(deps.supervisor, deps.version));
  app.use(serverRoutes(deps.supervisor));
  app.use(toolRoutes(deps.supervisor));
  let caller: ToolCaller | undefined;
  const metrics = new GatewayMetrics(
    { servers: () => deps.supervisor.list(), load: (server) => caller?.load(server) ?? { inFlight: 0, queued: 0 } },
    { version: deps.version },
  );
  caller = new ToolCaller(deps.supervisor, deps.settings, new CallRecording(deps.activity, metrics));
  app.use(metricsRoutes(metrics));
  app.use(activityRoutes(deps.activity));
  app.use(callRoutes(caller, deps.settings));
  app.use(toolCallRoutes(caller, deps.settings));

  app.use((req, res) => sendProblem(res, 'not-found', `no route for ${req.method} ${req.path}`));
  app.use(errorHandler);
  return app;
}

/** JSON bodies up to `gateway.maxBodyBytes`, a limit that follows config reloads. */
function jsonBody(settings: () => GatewaySettings): RequestHandler {
  let limit = -1;
  let parser: RequestHandler = express.json();
  return (req, res, next) => {
    const current = settings().maxBodyBytes;
    if (current !== limit) {
      limit = current;
      parser = express.json({ limit });
    }
    parser(req, res, next);
  };
}

const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (error instanceof ProblemError) {
    sendProblem(res, error.type, error.detail, error.extra);
    return;
  }
  const bodyError = error as { type?: string; limit?: number; length?: number };
  if (bodyError.type === 'entity.parse.failed') {
    sendProblem(res, 'invalid-json', 'the request body could not be parsed as JSON');
    return;
  }
  if (bodyError.type === 'entity.too.large') {
    sendProblem(res, 'payload-too-large', `the request body is larger than gateway.maxBodyBytes (${bodyError.limit} bytes)`, {
      limit: bodyError.limit,
      ...(bodyError.length !== undefined && { size: bodyError.length }),
    });
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  sendProblem(res, 'internal-error', `something went wrong; see the gateway log for request ${req.id}`);
};
