/** Liveness and readiness probes. */
import { Router } from 'express';
import type { Supervisor } from '../upstream/supervisor.js';
import { sendProblem } from './problems.js';

export function healthRoutes(supervisor: Supervisor, version: string): Router {
  const router = Router();
  const startedAt = Date.now();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version, uptimeMs: Date.now() - startedAt });
  });

  router.get('/readyz', (_req, res) => {
    const enabled = supervisor.list().filter((server) => server.enabled);
    const notReady = enabled.filter((server) => server.state !== 'ready');
    if (notReady.length === 0) {
      res.json({ status: 'ready', servers: enabled.length });
      return;
    }
    sendProblem(res, 'not-ready', `${notReady.length} of ${enabled.length} enabled servers are not ready`, {
      servers: notReady.map((server) => ({
        name: server.name,
        state: server.state,
        lastError: server.lastError?.message ?? null,
      })),
    });
  });

  return router;
}
