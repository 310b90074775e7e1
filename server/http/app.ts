/**
 * `buildApp(deps)`: the Express application, ready for `listen` (main.ts) or for supertest. It
 * never listens itself and reads no environment.
 */
import express, { type ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { ToolCaller } from '../calls/call-tool.js';
import type { GatewaySettings } from '../config/types.js';
import type { Supervisor } from '../upstream/supervisor.js';
import { healthRoutes } from './health.js';
import { ProblemError, sendProblem } from './problems.js';
import { requestLog } from './request-log.js';
import { apiKeyAuth, hostCheck, type SecurityOptions } from './security.js';
import { serverRoutes } from './servers-api.js';
import { toolCallRoutes } from './tool-calls.js';
import { toolRoutes } from './tools-api.js';

export interface AppDeps {
  supervisor: Supervisor;
  /** The gateway settings in force (they change with a config reload). */
  settings: () => GatewaySettings;
  logger: Logger;
  security: SecurityOptions;
  version: string;
}

/** Largest JSON body the management API accepts. */
const MAX_BODY = '1mb';

export function buildApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(requestLog(deps.logger));
  app.use(hostCheck(deps.security));
  app.use(apiKeyAuth(deps.security));
  app.use(express.json({ limit: MAX_BODY }));

  app.use(healthRoutes(deps.supervisor, deps.version));
  app.use(serverRoutes(deps.supervisor));
  app.use(toolRoutes(deps.supervisor));
  app.use(toolCallRoutes(new ToolCaller(deps.supervisor, deps.settings), deps.settings));

  app.use((req, res) => sendProblem(res, 'not-found', `no route for ${req.method} ${req.path}`));
  app.use(errorHandler);
  return app;
}

const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (error instanceof ProblemError) {
    sendProblem(res, error.type, error.detail, error.extra);
    return;
  }
  const bodyError = error as { type?: string; status?: number };
  if (bodyError.type === 'entity.parse.failed') {
    sendProblem(res, 'invalid-json', 'the request body could not be parsed as JSON');
    return;
  }
  if (bodyError.type === 'entity.too.large') {
    sendProblem(res, 'payload-too-large', `the request body is larger than ${MAX_BODY}`);
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  sendProblem(res, 'internal-error', `something went wrong; see the gateway log for request ${req.id}`);
};
