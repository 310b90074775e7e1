/**
 * Liveness and readiness probes. `/readyz` is 200 `ready` when every enabled server is ready; 200
 * `degraded` when they are but the activity log cannot be written (calls work, without their
 * record); 503 `not-ready` when some enabled server is not ready (with `activityLog` too when it
 * fails).
 */
import { Router } from 'express';
import type { ActivityHealth } from '../activity/log.js';
import type { Supervisor } from '../upstream/supervisor.js';
import { sendProblem } from './problems.js';

export function healthRoutes(supervisor: Supervisor, version: string, activity?: () => ActivityHealth): Router {
  const router = Router();
  const startedAt = Date.now();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version, uptimeMs: Date.now() - startedAt });
  });

  router.get('/readyz', (_req, res) => {
    const enabled = supervisor.list().filter((server) => server.enabled);
    const notReady = enabled.filter((server) => server.state !== 'ready');
    const log = activity?.();
    const activityLog =
      log?.state === 'failing'
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
      res.json({ status: log?.state === 'failing' ? 'degraded' : 'ready', servers: enabled.length, ...activityLog });
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
  });

  return router;
}
