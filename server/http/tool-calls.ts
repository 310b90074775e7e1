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
 *
 * These routes are the gateway's hot path, so they are served in front of Express on plain
 * `node:http` (Express's own per-request work costs more than the rest of a call; see the
 * README's performance section), through the same middlewares as the Express app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallRequest, ToolCaller } from '../calls/call-tool.js';
import type { RunningCall } from '../calls/running-call.js';
import type { GatewaySettings } from '../config/types.js';
import { prefixOf } from './base-path.js';
import { matchCallRoute, type CallRoute } from './call-route.js';
import { EventStream, callSnapshot, followCall } from './event-stream.js';
import { ProblemError } from '../errors.js';
import { sendCallAnswer } from './call-answer.js';
import { sendJson } from './problems.js';
import { runMiddlewares } from './middleware-chain.js';
import { ownLogLine, pathOf, type Middleware } from './request-log.js';
import { forwardedUserOf } from '../auth/forwarded-user.js';
import { callerOf } from './security.js';

function decode(segment: string, what: string): string {
  // Most names have nothing to decode.
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ProblemError('invalid-path', `the ${what} name in the path is not valid percent-encoding`);
  }
}

function requestedTimeout(req: IncomingMessage, settings: GatewaySettings): number | undefined {
  const header = req.headers['x-timeout-ms'];
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? '' : header.trim();
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= settings.maxTimeoutMs)) {
    throw new ProblemError('invalid-request', `X-Timeout-Ms must be an integer from 1 to ${settings.maxTimeoutMs}`, {
      errors: [{ field: 'X-Timeout-Ms', message: `must be an integer from 1 to ${settings.maxTimeoutMs}` }],
    });
  }
  return value;
}

/** Cancels the call when the client disconnects before the answer was sent. */
function cancelOnDisconnect(res: ServerResponse, call: RunningCall): void {
  res.on('close', () => {
    if (!res.writableFinished) call.cancel();
  });
}

const wantsAsync = (req: IncomingMessage) => /(^|[\s,;])respond-async([\s,;=]|$)/i.test(String(req.headers.prefer ?? ''));
const wantsStream = (req: IncomingMessage) => String(req.headers.accept ?? '').includes('text/event-stream');

export interface ToolCallFrontDeps {
  caller: ToolCaller;
  settings: () => GatewaySettings;
  /** Run in order before a call: request id and log, host check, auth, JSON body. */
  middlewares: Middleware[];
}

/**
 * A request listener for the tool-call routes. Returns false, having done nothing, for any other
 * request (which then goes to the Express app).
 */
export function toolCallFront(deps: ToolCallFrontDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { caller, settings, middlewares } = deps;

  async function handle(req: IncomingMessage, res: ServerResponse, route: CallRoute): Promise<void> {
    const current = settings();
    const user = forwardedUserOf(req);
    const base: CallRequest = {
      server: decode(route.server, 'server'),
      tool: decode(route.tool, 'tool'),
      args: req.body,
      surface: route.surface,
      mode: 'sync',
      caller: callerOf(req),
      callerLabel: req.identity?.label,
      requestId: req.id,
      timeoutMs: requestedTimeout(req, current),
    };
    if (user) base.user = user;
    // From here on the call is recorded, with one log line of its own.
    ownLogLine(req);

    if (wantsAsync(req)) {
      const call = caller.start({ ...base, mode: 'async' });
      // Refused before it was accepted (lookup, validation, policy, admission): a plain problem.
      if (!(await call.accepted)) return sendCallAnswer(req, res, call, call.end!);
      res.setHeader('Location', `${prefixOf(req)}/api/calls/${call.id}`);
      res.setHeader('Preference-Applied', 'respond-async');
      sendJson(res, 202, JSON.stringify(callSnapshot(call, prefixOf(req))));
      return;
    }

    if (wantsStream(req)) {
      const call = caller.start({ ...base, mode: 'stream' });
      cancelOnDisconnect(res, call);
      if (!(await call.accepted)) return sendCallAnswer(req, res, call, call.end!);
      // From here on, the call's end (a failure too) goes out as the stream's last event.
      followCall(call, new EventStream(res, current.heartbeatMs), prefixOf(req));
      return;
    }

    const call = caller.start(base);
    cancelOnDisconnect(res, call);
    sendCallAnswer(req, res, call, await call.done);
  }

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const route = matchCallRoute(pathOf(req));
    if (!route) return false;
    runMiddlewares(req, res, middlewares, () => handle(req, res, route));
    return true;
  };
}
