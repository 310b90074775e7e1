/** `/api/servers`: list, inspect, enable/disable and restart upstream servers. */
import { Router } from 'express';
import type { Supervisor, ServerView } from '../upstream/supervisor.js';
import type { ServerDisplay } from '../config/types.js';
import { PatchServerBody } from './api-schemas.js';
import { ProblemError } from '../errors.js';
import { parseBody } from './validation.js';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The JSON shape of a server; `detail` adds the stderr tail, instructions and the config as written. */
export function serverJson(view: ServerView, detail: boolean, display?: ServerDisplay) {
  const lastError = view.lastError
    ? {
        message: view.lastError.message,
        at: iso(view.lastError.at),
        exitCode: view.lastError.exitCode ?? null,
        signal: view.lastError.signal ?? null,
        ...(detail ? { stderrTail: view.lastError.stderrTail } : {}),
      }
    : null;
  return {
    name: view.name,
    description: view.description ?? null,
    transport: view.transport,
    enabled: view.enabled,
    enabledSource: view.enabledSource,
    state: view.state,
    since: iso(view.since),
    pid: view.pid ?? null,
    restarts: view.restarts,
    consecutiveFailures: view.consecutiveFailures,
    crashLooping: view.crashLooping,
    nextRetryAt: iso(view.nextRetryAt),
    lastError,
    counts: view.counts,
    serverInfo: view.serverInfo ?? null,
    protocolVersion: view.protocolVersion ?? null,
    ...(detail ? { instructions: view.instructions ?? null, stderrTail: view.stderrTail, config: display ?? null } : {}),
  };
}

export function serverRoutes(supervisor: Supervisor): Router {
  const router = Router();

  const find = (name: string) => {
    const connection = supervisor.get(name);
    if (!connection) throw new ProblemError('server-not-found', `no server named "${name}"`);
    return connection;
  };
  const detail = (name: string) => serverJson(supervisor.status(name)!, true, find(name).currentConfig.display);

  router.get('/api/servers', (_req, res) => {
    res.json({ servers: supervisor.list().map((view) => serverJson(view, false)) });
  });

  router.get('/api/servers/:name', (req, res) => {
    find(req.params.name);
    res.json(detail(req.params.name));
  });

  router.patch('/api/servers/:name', async (req, res) => {
    find(req.params.name);
    const body = parseBody(PatchServerBody, req.body);
    await supervisor.setEnabled(req.params.name, body.enabled);
    res.json(detail(req.params.name));
  });

  router.post('/api/servers/:name/restart', async (req, res) => {
    const restarted = await supervisor.restart(req.params.name);
    if (!restarted.ok && restarted.why === 'not-found') throw new ProblemError('server-not-found', `no server named "${req.params.name}"`);
    if (!restarted.ok)
      throw new ProblemError('server-disabled', `server "${req.params.name}" is disabled; enable it with PATCH {"enabled": true}`);
    res.status(202).json(detail(req.params.name));
  });

  return router;
}
