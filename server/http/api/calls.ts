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
import { hasScope } from '../../auth/identity.js';
import type { ToolCaller } from '../../calls/call-tool.js';
import type { CallViewer } from '../../calls/registry.js';
import type { RunningCall } from '../../calls/running-call.js';
import { ProblemError } from '../../errors.js';
import { eventStream, json, problem } from '../../openapi/responses.js';
import { CallIdParams, CallListSchema, CallSnapshotSchema } from '../api-schemas.js';
import type { RouteServices } from '../app.js';
import { prefixOf } from '../base-path.js';
import { EventStream, callSnapshot, followCall } from '../event-stream.js';
import { defineRoute } from '../route.js';
import { callerOf } from '../security.js';

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

function find(caller: ToolCaller, req: IncomingMessage, id: string): RunningCall {
  const call = caller.calls.get(id, viewerOf(req));
  if (!call) {
    throw new ProblemError('call-not-found', `no running or recent async call with id "${id}"; finished calls are in /api/activity/${id}`);
  }
  return call;
}

type Services = Pick<RouteServices, 'caller' | 'settings'>;

const CALL_NOT_FOUND = problem(
  "`call-not-found`: no running or recent async call of this caller has this id (another caller's call is not found either).",
);

export const CALL_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/api/calls',
    scope: 'tools:call',
    operationId: 'listCalls',
    summary: 'List running calls',
    description:
      "The caller's calls running now (or waiting for approval), on either surface and in any mode, oldest first; for an " +
      "`admin`, every caller's. A call belongs to the caller that made it: the same key (a UI session: the key it signed in " +
      'with).',
    tag: 'calls',
    responses: { '200': json('The running calls.', CallListSchema) },
    handler: (req, res, _input, { caller }: Services) => {
      res.json({ items: caller.calls.running(viewerOf(req)).map((call) => callSnapshot(call, prefixOf(req))) });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/calls/{id}',
    scope: 'tools:call',
    operationId: 'getCall',
    summary: 'Show a call',
    description:
      'A running call, or an async call up to `gateway.finishedCallTtlMs` after it ended (within `gateway.asyncCalls`): its ' +
      'state, latest progress and, once it has ended, its result or problem. Older calls are in `/api/activity/{id}`. Only ' +
      'the caller that made the call, or an `admin`, finds it.',
    tag: 'calls',
    request: { params: CallIdParams },
    responses: { '200': json('The call.', CallSnapshotSchema), '404': CALL_NOT_FOUND },
    handler: (req, res, _input, { caller }: Services) => {
      res.json(callSnapshot(find(caller, req, req.params.id), prefixOf(req)));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/calls/{id}/events',
    scope: 'tools:call',
    operationId: 'getCallEvents',
    summary: "Follow a call's events",
    description:
      "The call's Server-Sent Events, as `Accept: text/event-stream` gives them: its latest progress and kept log messages " +
      'first, then live events, then one `result` or `error` event. For a call that has ended, only its final event. ' +
      'Closing this stream does not cancel the call.',
    tag: 'calls',
    request: { params: CallIdParams },
    responses: { '200': { description: 'The event stream.', content: eventStream }, '404': CALL_NOT_FOUND },
    handler: (req, res, _input, { caller, settings }: Services) => {
      const call = find(caller, req, req.params.id);
      followCall(call, new EventStream(res, settings().heartbeatMs), prefixOf(req));
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/calls/{id}',
    scope: 'tools:call',
    operationId: 'cancelCall',
    summary: 'Cancel a call',
    description:
      'Cancels a running call of the caller (an `admin`: of anyone; MCP cancellation upstream) and answers its snapshot once it has settled ' +
      '(`cancelled`), or after 5 s with its state then. The caller of a plain call gets a 499 `cancelled`. A call waiting for ' +
      'approval never runs: its approval ends `cancelled`.',
    tag: 'calls',
    request: { params: CallIdParams },
    responses: {
      '200': json('The call, after the cancellation.', CallSnapshotSchema),
      '404': CALL_NOT_FOUND,
      '409': problem('`call-finished`: the call has already ended; `state` says how.'),
    },
    handler: async (req, res, _input, { caller }: Services) => {
      const call = find(caller, req, req.params.id);
      if (call.finished) {
        throw new ProblemError('call-finished', `call "${call.id}" has already ended (${call.state})`, { state: call.state });
      }
      call.cancel();
      if (!call.finished) await settled(call);
      res.json(callSnapshot(call, prefixOf(req)));
    },
  }),
];
