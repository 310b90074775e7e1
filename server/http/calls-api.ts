/**
 * Calls by id (`/api/calls`): every call while it runs, and async calls (`Prefer: respond-async`)
 * for `gateway.finishedCallTtlMs` after they end (within `gateway.asyncCalls`); older ones are in
 * `/api/activity/{id}`. A call belongs to its caller: only the identity that made it (same caller
 * id: the same key, the start-up key, or the UI signed in with the same key) or an `admin` sees it
 * here; to anyone else it is a 404 `call-not-found`, as if it did not exist (ids do not leak).
 * - `GET /api/calls`: the caller's calls running now (an admin's: everyone's).
 * - `GET /api/calls/{id}`: state (`running`, `succeeded`, `failed`, `cancelled`, `timed_out`),
 *   latest progress and, when done, the result or the problem.
 * - `GET /api/calls/{id}/events`: the call's Server-Sent Events (see event-stream.ts).
 * - `DELETE /api/calls/{id}`: cancels a running call (MCP cancellation upstream); 409 when it has ended.
 */
import type { IncomingMessage } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { Router } from 'express';
import { hasScope } from '../auth/identity.js';
import type { ToolCaller } from '../calls/call-tool.js';
import type { CallViewer } from '../calls/registry.js';
import type { RunningCall } from '../calls/running-call.js';
import type { GatewaySettings } from '../config/types.js';
import { prefixOf } from './base-path.js';
import { EventStream, callSnapshot, followCall } from './event-stream.js';
import { ProblemError } from '../errors.js';
import { callerOf } from './security.js';

/** Whose calls a request may see: its own (by caller id), or every caller's for an `admin`. */
export function viewerOf(req: IncomingMessage): CallViewer {
  return { caller: callerOf(req), seesAll: req.identity !== undefined && hasScope(req.identity, 'admin') };
}

/** How long DELETE waits for a cancelled call to settle before answering with its current state. */
const CANCEL_WAIT_MS = 5_000;

/** Waits until `call` has ended, or `CANCEL_WAIT_MS` has passed. */
async function settled(call: RunningCall): Promise<void> {
  const waited = new AbortController();
  try {
    await Promise.race([call.done, delay(CANCEL_WAIT_MS, undefined, { signal: waited.signal, ref: false })]);
  } finally {
    waited.abort();
  }
}

export function callRoutes(caller: ToolCaller, settings: () => GatewaySettings): Router {
  const router = Router();
  const find = (req: IncomingMessage, id: string): RunningCall => {
    const call = caller.calls.get(id, viewerOf(req));
    if (!call) {
      throw new ProblemError(
        'call-not-found',
        `no running or recent async call with id "${id}"; finished calls are in /api/activity/${id}`,
      );
    }
    return call;
  };

  router.get('/api/calls', (req, res) => {
    res.json({ items: caller.calls.running(viewerOf(req)).map((call) => callSnapshot(call, prefixOf(req))) });
  });

  router.get('/api/calls/:id', (req, res) => {
    res.json(callSnapshot(find(req, req.params.id), prefixOf(req)));
  });

  router.get('/api/calls/:id/events', (req, res) => {
    const call = find(req, req.params.id);
    followCall(call, new EventStream(res, settings().heartbeatMs), prefixOf(req));
  });

  router.delete('/api/calls/:id', async (req, res) => {
    const call = find(req, req.params.id);
    if (call.finished) {
      throw new ProblemError('call-finished', `call "${call.id}" has already ended (${call.state})`, { state: call.state });
    }
    call.cancel();
    if (!call.finished) await settled(call);
    res.json(callSnapshot(call, prefixOf(req)));
  });

  return router;
}
