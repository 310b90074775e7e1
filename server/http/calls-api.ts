/**
 * Calls by id (`/api/calls`): every call while it runs, and async calls (`Prefer: respond-async`)
 * for `gateway.finishedCallTtlMs` after they end; older ones are in `/api/activity/{id}`.
 * - `GET /api/calls`: the calls running now.
 * - `GET /api/calls/{id}`: state (`running`, `succeeded`, `failed`, `cancelled`, `timed_out`),
 *   latest progress and, when done, the result or the problem.
 * - `GET /api/calls/{id}/events`: the call's Server-Sent Events (see event-stream.ts).
 * - `DELETE /api/calls/{id}`: cancels a running call (MCP cancellation upstream); 409 when it has ended.
 */
import { once } from 'node:events';
import { Router } from 'express';
import type { ToolCaller } from '../calls/call-tool.js';
import type { RunningCall } from '../calls/running-call.js';
import type { GatewaySettings } from '../config/types.js';
import { prefixOf } from './base-path.js';
import { EventStream, callSnapshot, followCall } from './event-stream.js';
import { ProblemError } from './problems.js';

/** How long DELETE waits for a cancelled call to settle before answering with its current state. */
const CANCEL_WAIT_MS = 5_000;

export function callRoutes(caller: ToolCaller, settings: () => GatewaySettings): Router {
  const router = Router();
  const find = (id: string): RunningCall => {
    const call = caller.calls.get(id);
    if (!call) {
      throw new ProblemError('call-not-found', `no running or recent async call with id "${id}"; finished calls are in /api/activity/${id}`);
    }
    return call;
  };

  router.get('/api/calls', (_req, res) => {
    res.json({ items: caller.calls.running().map((call) => callSnapshot(call, prefixOf(_req))) });
  });

  router.get('/api/calls/:id', (req, res) => {
    res.json(callSnapshot(find(req.params.id), prefixOf(req)));
  });

  router.get('/api/calls/:id/events', (req, res) => {
    const call = find(req.params.id);
    followCall(call, new EventStream(res, settings().heartbeatMs), prefixOf(req));
  });

  router.delete('/api/calls/:id', async (req, res) => {
    const call = find(req.params.id);
    if (call.finished) {
      throw new ProblemError('call-finished', `call "${call.id}" has already ended (${call.state})`, { state: call.state });
    }
    call.cancel();
    if (!call.finished) await once(call, 'end', { signal: AbortSignal.timeout(CANCEL_WAIT_MS) }).catch(() => undefined);
    res.json(callSnapshot(call, prefixOf(req)));
  });

  return router;
}
