/**
 * Tool calls over HTTP, two surfaces on one code path (`ToolCaller`):
 * - `POST /{server}/{tool}`: mcpo-compatible, what Open WebUI calls; answers the unwrapped result,
 *   and an `isError` result as a 502 `tool-error` problem whose detail is the tool's text.
 * - `POST /api/tools/{server}/{tool}`: the full MCP result plus `id` (the activity id) and `durationMs`.
 *
 * Each surface answers in one of three modes:
 * - plain JSON (default); a caller that goes away cancels the call upstream;
 * - `Accept: text/event-stream`: `progress` and `log` events, then one `result` or `error` event;
 * - `Prefer: respond-async`: 202 with `Location: /api/calls/{id}` at once (see calls-api.ts).
 * Lookup and validation failures come before any of that, as a plain problem with its status.
 * `X-Timeout-Ms` asks for another timeout (up to `gateway.maxTimeoutMs`).
 */
import { Router, type Request, type Response } from 'express';
import type { CallRequest, ToolCaller } from '../calls/call-tool.js';
import type { CallSurface, RunningCall } from '../calls/running-call.js';
import type { GatewaySettings } from '../config/types.js';
import { EventStream, callSnapshot, followCall } from './event-stream.js';
import { ProblemError } from './problems.js';
import { callerOf } from './security.js';

function requestedTimeout(req: Request, settings: GatewaySettings): number | undefined {
  const header = req.get('x-timeout-ms');
  if (header === undefined) return undefined;
  const value = /^\d+$/.test(header.trim()) ? Number(header) : Number.NaN;
  if (!(value >= 1 && value <= settings.maxTimeoutMs)) {
    throw new ProblemError('invalid-request', `X-Timeout-Ms must be an integer from 1 to ${settings.maxTimeoutMs}`, {
      errors: [{ field: 'X-Timeout-Ms', message: `must be an integer from 1 to ${settings.maxTimeoutMs}` }],
    });
  }
  return value;
}

/** Aborts when the client disconnects before the answer was sent. */
function disconnectSignal(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

const wantsAsync = (req: Request) => /(^|[\s,;])respond-async([\s,;=]|$)/i.test(req.get('prefer') ?? '');
const wantsStream = (req: Request) => (req.get('accept') ?? '').includes('text/event-stream');

export function toolCallRoutes(caller: ToolCaller, settings: () => GatewaySettings): Router {
  const router = Router();

  async function handle(req: Request<{ server: string; tool: string }>, res: Response, surface: CallSurface): Promise<void> {
    const current = settings();
    const base: CallRequest = {
      server: req.params.server,
      tool: req.params.tool,
      args: req.body,
      surface,
      mode: 'sync',
      caller: callerOf(res),
      log: req.log,
      timeoutMs: requestedTimeout(req, current),
    };

    if (wantsAsync(req)) {
      let accepted = false;
      const onAccepted = (call: RunningCall) => {
        accepted = true;
        res.status(202).location(`/api/calls/${call.id}`).set('Preference-Applied', 'respond-async').json(callSnapshot(call));
      };
      try {
        await caller.call({ ...base, mode: 'async', onAccepted });
      } catch (error) {
        if (!accepted) throw error;
      }
      return;
    }

    if (wantsStream(req)) {
      let stream: EventStream | undefined;
      const onAccepted = (call: RunningCall) => {
        stream = new EventStream(res, current.heartbeatMs);
        followCall(call, stream);
      };
      try {
        await caller.call({ ...base, mode: 'stream', signal: disconnectSignal(res), onAccepted });
      } catch (error) {
        // Once the stream is open, the failure went out as its `error` event.
        if (!stream) throw error;
      }
      return;
    }

    const success = await caller.call({ ...base, signal: disconnectSignal(res) });
    res.type('application/json').send(success.answer);
  }

  router.post('/api/tools/:server/:tool', (req, res) => handle(req, res, 'api'));
  router.post('/:server/:tool', (req, res) => handle(req, res, 'mcpo'));
  return router;
}
