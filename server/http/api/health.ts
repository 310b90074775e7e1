/**
 * Liveness and readiness probes. `/readyz` is 200 `ready` when every enabled server is ready; 200
 * `degraded` when they are but the activity log cannot be written (calls work, without their
 * record); 503 `not-ready` when some enabled server is not ready (with `activityLog` too when it
 * fails).
 */
import { HealthSchema, NotReadyProblemSchema, ReadySchema } from '../api-schemas.js';
import { HOST_REFUSED, json, problem } from '../../openapi/responses.js';
import type { RouteServices } from '../app.js';
import { sendProblem } from '../problems.js';
import { defineRoute } from '../route.js';

type Services = Pick<RouteServices, 'version' | 'startedAt' | 'supervisor' | 'activity'>;

export const HEALTH_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/healthz',
    // Public (security.ts answers it without credentials); the scope applies only to a key held to its scopes.
    scope: 'tools:read',
    open: true,
    operationId: 'getHealth',
    summary: 'Liveness probe',
    description: 'Answers 200 while the gateway runs, whatever its servers do. Never needs the API key.',
    tag: 'health',
    responses: {
      '200': json('The gateway is up.', HealthSchema),
      '403': problem(`${HOST_REFUSED}.`),
    },
    handler: (_req, res, _input, { version, startedAt }: Services) => {
      res.json({ status: 'ok', version, uptimeMs: Date.now() - startedAt });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/readyz',
    scope: 'tools:read',
    operationId: 'getReadiness',
    summary: 'Readiness probe',
    description:
      'Answers 200 when every enabled server is ready (disabled servers do not count), else 503 listing the others. ' +
      'While the activity log cannot be written (a full disk, a damaged database) the 200 says `degraded` and both answers carry `activityLog`.',
    tag: 'health',
    responses: {
      '200': json('Every enabled server is ready (`degraded`: but the activity log cannot be written).', ReadySchema),
      '503': problem(
        '`not-ready`: some enabled servers are not ready; `servers` lists them with their state and last error.',
        NotReadyProblemSchema,
      ),
    },
    handler: (_req, res, _input, { supervisor, activity }: Services) => {
      const enabled = supervisor.list().filter((server) => server.enabled);
      const notReady = enabled.filter((server) => server.state !== 'ready');
      const log = activity.health();
      const activityLog =
        log.state === 'failing'
          ? {
              activityLog: {
                state: log.state,
                error: log.error ?? null,
                since: new Date(log.since ?? Date.now()).toISOString(),
                queued: log.queued,
                dropped: log.dropped,
              },
            }
          : {};
      if (notReady.length === 0) {
        res.json({ status: log.state === 'failing' ? 'degraded' : 'ready', servers: enabled.length, ...activityLog });
        return;
      }
      sendProblem(res, 'not-ready', `${notReady.length} of ${enabled.length} enabled servers are not ready`, {
        servers: notReady.map((server) => ({
          name: server.name,
          state: server.state,
          lastError: server.lastError?.message ?? null,
        })),
        ...activityLog,
      });
    },
  }),
];
