/**
 * How a call's end is answered over HTTP, on the surface the call came in by (calls/ only says
 * how a call ended: its outcome, and its result or its error):
 * - mcpo route (`POST /{server}/{tool}`): the unwrapped result (result-mapping.ts), 200; an
 *   `isError` result is a 502 `tool-error` problem whose detail is the tool's text, so that the
 *   model can read it;
 * - management API (`POST /api/tools/{server}/{tool}`, and the UI's test runs): the full MCP
 *   result with `id` and `durationMs`, 200, an `isError` result too;
 * - a call that failed is its problem (server/errors.ts) on either surface.
 * The activity log records the status and error of this answer (calls/recording.ts is given
 * `answeredProblem` by startGateway), for streamed and async calls too (the answer they would have had).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { problemBody, type ProblemBody } from '../errors.js';
import type { CallEnd, CallResult, RunningCall } from '../calls/running-call.js';
import { sendError, sendJson, sendProblem } from './problems.js';
import { prefixOf } from './base-path.js';
import { errorText, unwrapResult, withResourceUrls } from './result-mapping.js';

/** Whether the call's answer is its `isError` result as a `tool-error` problem (on the mcpo route). */
function answersToolError(call: RunningCall, end: CallEnd): end is CallEnd & { result: CallResult } {
  return end.outcome === 'tool_error' && call.surface === 'mcpo' && end.result !== undefined;
}

/** The problem a call's answer is on its surface, or `undefined` when the answer is its result (a 200). */
export function answeredProblem(call: RunningCall, end: CallEnd): ProblemBody | undefined {
  if (end.error) return end.error.body();
  if (answersToolError(call, end)) return toolErrorProblem(end.result);
  return undefined;
}

/** Answers a call that has ended, as its surface does. */
export function sendCallAnswer(req: IncomingMessage, res: ServerResponse, call: RunningCall, end: CallEnd): void {
  if (end.error) return sendError(req, res, end.error);
  if (answersToolError(call, end)) return sendProblem(res, 'tool-error', errorText(end.result.result));
  sendJson(res, 200, resultAnswer(call, end.result!, prefixOf(req)));
}

/** An `isError` result as a `tool-error` problem, its detail the tool's text. */
export function toolErrorProblem(result: CallResult): ProblemBody {
  return problemBody('tool-error', errorText(result.result));
}

/**
 * The answer's body as JSON text, as the call's surface answers a result (see the top of this
 * file); `prefix` is the gateway's path prefix, for the `gatewayUrl` of `resource_link`s.
 */
export function resultAnswer(call: RunningCall, result: CallResult, prefix = ''): string {
  const links = { server: call.server, prefix };
  if (call.surface !== 'api') return JSON.stringify(unwrapResult(result.result, links));
  const linked = withResourceUrls(result.result, links);
  const json = linked === result.result ? result.json : JSON.stringify(linked);
  return `{"id":"${call.id}","durationMs":${result.durationMs},${json.slice(1)}`;
}
