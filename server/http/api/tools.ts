/**
 * `/api/tools`: the tools of every server, searchable, and calling them. The calls themselves
 * (`POST /api/tools/{server}/{tool}` and the mcpo-compatible `POST /{server}/{tool}`) are served
 * by the tool-call front (../tool-calls.ts) before Express: they are declared here, for their
 * scope and the document, with no handler.
 */
import type { ToolInfo } from '../../upstream/types.js';
import { ProblemError } from '../../errors.js';
import { BODY, RetryAfter, eventStream, json, problem } from '../../openapi/responses.js';
import { ProblemSchema } from '../../openapi/problem-schema.js';
import { z } from 'zod';
import {
  CallSnapshotSchema,
  ToolArgumentsSchema,
  ToolCallHeaders,
  ToolCallResultSchema,
  ToolListQuery,
  ToolListSchema,
  ToolPathParams,
  ToolSchema,
} from '../api-schemas.js';
import type { RouteServices } from '../app.js';
import { defineRoute, type ScopedRoute } from '../route.js';

function toolJson(server: string, tool: ToolInfo) {
  return {
    server,
    name: tool.name,
    title: tool.title ?? null,
    description: tool.description ?? null,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema ?? null,
    annotations: tool.annotations ?? {},
  };
}

/** Every word of `q` must appear (case-insensitively) in the tool's name, title or description. */
function matches(tool: ToolInfo, words: string[]): boolean {
  if (words.length === 0) return true;
  const text = `${tool.name}\n${tool.title ?? ''}\n${tool.description ?? ''}`.toLowerCase();
  return words.every((word) => text.includes(word));
}

type Services = Pick<RouteServices, 'supervisor'>;

const AsyncAccepted = z.object({
  Location: z.string().meta({
    description: 'Where the call can be followed: `/api/calls/{id}`.',
    example: '/api/calls/0196f1c2-7a5e-7c3b-9d1e-2f4a6b8c0d1e',
  }),
  'Preference-Applied': z.literal('respond-async'),
});

/** The mcpo-compatible call route: served by the tool-call front, documented in the tool documents (not the management one). */
export const MCPO_CALL_ROUTE: ScopedRoute = { method: 'post', path: '/{server}/{tool}', scope: 'tools:call', callFront: true };

export const TOOL_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/api/tools',
    scope: 'tools:read',
    operationId: 'listTools',
    summary: 'List and search tools',
    description: 'The tools of every server (without `disabledTools`), optionally of one server and matching words.',
    tag: 'tools',
    // Documentation only: a repeated parameter is ignored here, not refused.
    request: { query: ToolListQuery },
    responses: {
      '200': json('The matching tools.', ToolListSchema),
      '404': problem('`server-not-found`: `server` names no server.'),
    },
    handler: (req, res, _input, { supervisor }: Services) => {
      const server = typeof req.query.server === 'string' ? req.query.server : undefined;
      const q = typeof req.query.q === 'string' ? req.query.q : '';
      if (server !== undefined) supervisor.require(server);
      const words = q.toLowerCase().split(/\s+/).filter(Boolean);
      const tools = supervisor
        .tools()
        .filter((entry) => (server === undefined || entry.server === server) && matches(entry.tool, words))
        .map((entry) => toolJson(entry.server, entry.tool));
      res.json({ tools, total: tools.length });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/tools/{server}/{tool}',
    scope: 'tools:read',
    operationId: 'getTool',
    summary: 'Show a tool',
    description: 'One tool with its input and output schemas and annotations.',
    tag: 'tools',
    request: { params: ToolPathParams },
    responses: {
      '200': json('The tool.', ToolSchema),
      '404': problem('`server-not-found` / `tool-not-found`: no such server, or it has no such tool (or hides it with `disabledTools`).'),
    },
    handler: (req, res, _input, { supervisor }: Services) => {
      const connection = supervisor.require(req.params.server);
      const tool = connection.tool(req.params.tool);
      if (!tool) {
        throw new ProblemError('tool-not-found', `server "${req.params.server}" has no tool named "${req.params.tool}"`);
      }
      res.json(toolJson(connection.name, tool));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/tools/{server}/{tool}',
    scope: 'tools:call',
    callFront: true,
    operationId: 'callTool',
    summary: 'Call a tool',
    description:
      'Calls the tool with the body as its arguments, checked against its input schema first, and answers the whole MCP result ' +
      "with the call's `id` (its activity entry) and `durationMs`. A result with `isError: true` is still a 200 here (the " +
      'mcpo-compatible `POST /{server}/{tool}` answers it as a 502 `tool-error`).\n\n' +
      'Three ways to wait for the answer:\n' +
      '- plain JSON (default): the answer comes when the call ends; a client that goes away cancels the call upstream;\n' +
      '- `Accept: text/event-stream`: a 200 event stream at once, with `progress` and `log` events and then one `result` or ' +
      '`error` event; closing the stream cancels the call;\n' +
      "- `Prefer: respond-async`: a 202 at once with the call's snapshot and `Location: /api/calls/{id}`; the call runs on, " +
      'and stays readable there, by its caller only, for `gateway.finishedCallTtlMs` (default 15 min) after it ends, within ' +
      '`gateway.asyncCalls`: past `maxFinished` calls or `maxFinishedBytes` of results the oldest-finished are forgotten first. ' +
      'A caller has at most `maxPerCaller` (default 32) async calls running or kept: past that its own oldest finished call is ' +
      'forgotten, and while all of them are still running a new one is a 429 `too-many-calls`.\n\n' +
      'When the approval policy holds the call for a person, it waits first (state `waiting_for_approval`, an approval in ' +
      '`/api/approvals`) until someone approves it, denies it, or `approval.timeoutMs` (default 2 min) passes: a plain call ' +
      "answers only after that; a stream starts at once with an `approval` event (`waiting`, with the approval's `url` and " +
      '`expiresAt`) and gets another when it is decided; an async call is answered 202 at once, its snapshot in ' +
      '`waiting_for_approval` with its `approval`.\n\n' +
      'Lookup, validation and policy (`denied-by-policy`) failures are answered before any of that, as a problem with its ' +
      'status; so is an overload, unless the call was held for approval first. Failures after that point (a denial or ' +
      "timeout of the approval included) are the answer in plain mode, the `error` event in a stream, and the snapshot's " +
      '`error` for an async call.',
    tag: 'tools',
    request: {
      params: ToolPathParams,
      headers: ToolCallHeaders,
      body: { description: "The tool's arguments.", required: false, schema: ToolArgumentsSchema },
    },
    responses: {
      ...BODY,
      '200': {
        description:
          'The call ended with a result: the `ToolCallResult` as JSON; with `Accept: text/event-stream`, the event stream ' +
          'of the call (whatever its outcome).',
        content: { 'application/json': { schema: ToolCallResultSchema }, ...eventStream },
      },
      '202': json(
        'With `Prefer: respond-async`: the call was accepted and runs in the background; its snapshot (`state: running`, or ' +
          '`waiting_for_approval` with its `approval` when the policy held it).',
        CallSnapshotSchema,
        AsyncAccepted,
      ),
      '403': problem(
        '`denied-by-policy`: the approval policy denies this call (`rule` names the rule, e.g. `$.approval.rules[0]`); ' +
          '`approval-denied`: a person denied the held call (`approval`, their `reason`, `decidedBy`, `decidedAt`); ' +
          '`connect-first`: a `perUserAuth` server, and the call is for no trusted user or one who has not connected their account (`server`, `user`).',
      ),
      '404': problem('`server-not-found` / `tool-not-found`: no such server, or it has no such tool (or hides it with `disabledTools`).'),
      '409': problem(
        "`approval-void`: the tool's definition changed while the call waited for approval (`approval`); it did not run. " +
          'Call again to ask anew. `roots-of-another-client`: the server (with `clientRoots`) works in the roots of another ' +
          "client's `/mcp/{server}` session, and only that client may call it until the session ends.",
      ),
      '422': problem(
        "`invalid-arguments`: the body is not a JSON object or does not match the tool's input schema (`errors` names each " +
          'field); `invalid-request`: `X-Timeout-Ms` is not an integer from 1 to `gateway.maxTimeoutMs`.',
      ),
      '429': problem(
        '`too-many-calls`: the caller is over one of its shares. With `Prefer: respond-async`: it already has ' +
          '`gateway.asyncCalls.maxPerCaller` (default 32) async calls running. For a call that waits for approval: the caller ' +
          'already has `approval.maxPendingPerCaller` (default 20) calls waiting (each forwarded user of a trusting key counts apart, ' +
          'and the key in all may have 5 times that), or the gateway `approval.maxPending` (default 200); ' +
          '`limit` names the cap, and the call made no approval and did not run. `Retry-After` says when to try again.',
        ProblemSchema,
        RetryAfter,
      ),
      '499': problem(
        '`cancelled`: the call was cancelled meanwhile (`DELETE /api/calls/{id}`), or its caller went away while it waited for approval.',
      ),
      '502': problem(
        '`upstream-error`: the MCP server failed to answer (it crashed, hung, or broke the protocol), or it answered the call ' +
          'with a JSON-RPC error (titled "The MCP server answered with an error"; `detail` has its message and code, e.g. ' +
          '-32601 when the tool asked the gateway for something it does not offer); `result-too-large`: the result is larger ' +
          "than `gateway.maxResultBytes` (default 4 MiB), or a stdio server's answer larger than `gateway.maxMessageBytes` " +
          '(default 64 MiB); `missing-client-capability`: a 2026-07-28 server requires a client capability nobody answers ' +
          'for this call (-32021, e.g. `sampling` without a `sampling` section for the server; `requiredCapabilities` names them).',
      ),
      '503': problem(
        '`server-unavailable`: the server is disabled, starting or failing (`state` says which); a tool name is only a 404 once ' +
          'the server has listed its tools; `overloaded`: the server has ' +
          '`maxConcurrent` calls running and `maxQueue` waiting. `Retry-After` says when to try again, when the gateway can tell. ' +
          '`approval-interrupted`: the gateway stopped while the call waited for approval; it will not run. ' +
          '`needs-sign-in`: the server is behind OAuth and waits for a person to sign in (`server` names it).',
        ProblemSchema,
        RetryAfter,
      ),
      '504': problem(
        '`timeout`: the call went longer than its timeout without progress; it was cancelled upstream. `approval-timed-out`: ' +
          'nobody decided within `approval.timeoutMs` (`approval`); the call did not run.',
      ),
    },
  }),
];
