/**
 * The one catalog of errors the gateway reports, whichever surface reports them: RFC 9457 problem
 * details (`application/problem+json` over HTTP). `type` is a stable slug that scripts may rely on;
 * `status` is the HTTP status a problem of that type is answered with. Domain code (calls/,
 * approvals/, …) throws `ProblemError`s from here; http/problems.ts writes them as responses.
 */

export const PROBLEMS = {
  'not-found': { status: 404, title: 'Not found' },
  'server-not-found': { status: 404, title: 'No such server' },
  'tool-not-found': { status: 404, title: 'No such tool' },
  'resource-not-found': { status: 404, title: 'The MCP server has no such resource' },
  'prompt-not-found': { status: 404, title: 'No such prompt' },
  'feature-not-offered': { status: 409, title: 'The MCP server does not offer this' },
  'invalid-json': { status: 400, title: 'The request body is not valid JSON' },
  'json-too-deep': { status: 400, title: 'The request body is nested too deeply' },
  'invalid-path': { status: 400, title: 'The request path is not valid' },
  'unsupported-media-type': { status: 415, title: 'The request body is not JSON' },
  'invalid-request': { status: 422, title: 'The request does not have the expected shape' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  unauthorized: { status: 401, title: 'Authentication required' },
  'invalid-credentials': { status: 403, title: 'The credentials are not valid' },
  forbidden: { status: 403, title: 'The credentials do not allow this' },
  'invalid-token': { status: 401, title: 'The access token is not valid' },
  'authorization-server-unavailable': { status: 503, title: 'The authorization server cannot check the access token now' },
  'too-many-attempts': { status: 429, title: 'Too many failed attempts' },
  'host-not-allowed': { status: 403, title: 'Host not allowed' },
  'origin-not-allowed': { status: 403, title: 'Origin not allowed' },
  'csrf-failed': { status: 403, title: 'The CSRF token is missing or not valid' },
  'server-disabled': { status: 409, title: 'The server is disabled' },
  'roots-of-another-client': { status: 409, title: "The server works in another client's roots" },
  'invalid-arguments': { status: 422, title: "The arguments do not match the tool's input schema" },
  'tool-error': { status: 502, title: 'The tool reported an error' },
  'upstream-error': { status: 502, title: 'The MCP server failed to answer' },
  'result-too-large': { status: 502, title: "The tool's result is larger than the gateway passes on" },
  // A 2026-07-28 server refused the request for a client capability (-32021) nobody answers for this call
  // (e.g. sampling without a `sampling` section for it); `requiredCapabilities` names them. 502 as for
  // upstream-error: the server behind the gateway answered with an error, not the caller's request.
  'missing-client-capability': { status: 502, title: 'The MCP server requires a client capability the gateway cannot offer for this call' },
  'server-unavailable': { status: 503, title: 'The MCP server is not available right now' },
  'needs-sign-in': { status: 503, title: 'The MCP server needs a person to sign in (OAuth)' },
  // 403, not 401: the caller's own credentials are good; the user it calls for has no grant to the server yet.
  'connect-first': { status: 403, title: 'The user must connect their own account to this MCP server first' },
  overloaded: { status: 503, title: 'Too many calls to this MCP server' },
  'too-many-calls': { status: 429, title: 'Too many calls from this caller' },
  timeout: { status: 504, title: 'The tool call timed out' },
  // Nobody reads this one: the caller has gone (nginx's "client closed request").
  cancelled: { status: 499, title: 'The call was cancelled' },
  'call-not-found': { status: 404, title: 'No such call' },
  'call-finished': { status: 409, title: 'The call has already finished' },
  'activity-not-found': { status: 404, title: 'No such activity entry' },
  'not-ready': { status: 503, title: 'Not every enabled server is ready' },
  'denied-by-policy': { status: 403, title: 'The approval policy denies this call' },
  'approval-denied': { status: 403, title: 'A person denied this call' },
  'approval-timed-out': { status: 504, title: 'Nobody approved the call in time' },
  'approval-void': { status: 409, title: 'The approval no longer applies' },
  'approval-interrupted': { status: 503, title: 'The gateway stopped while the call waited for approval' },
  'approval-not-found': { status: 404, title: 'No such approval' },
  'approval-decided': { status: 409, title: 'The approval has already been decided' },
  'question-not-found': { status: 404, title: 'No such question' },
  'question-answered': { status: 409, title: 'The question has already been answered or has ended' },
  'key-not-found': { status: 404, title: 'No such API key' },
  'device-not-found': { status: 404, title: 'No such device' },
  'internal-error': { status: 500, title: 'Internal error' },
} as const;

export type ProblemType = keyof typeof PROBLEMS;

/**
 * The title of an `upstream-error` whose server answered the call with a JSON-RPC error and stays
 * up, instead of the catalog's "failed to answer" (it crashed, hung or broke the protocol). One
 * type for both: a script handles them alike (a 502 from that server); the title tells a person
 * which happened. Given as `extra.title`, which `problemBody` lets win over the catalog's.
 */
export const UPSTREAM_ANSWERED_TITLE = 'The MCP server answered with an error';

export interface FieldError {
  /** JSON pointer-like path of the field, e.g. `enabled`. */
  field: string;
  message: string;
}

/** A failure of one catalog type: thrown by a route or by domain code; a surface turns it into its answer (http/problems.ts `sendError`). */
export class ProblemError extends Error {
  constructor(
    readonly type: ProblemType,
    readonly detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? PROBLEMS[type].title);
    this.name = 'ProblemError';
  }

  get status(): number {
    return PROBLEMS[this.type].status;
  }

  /** The problem document, as `sendProblem` sends it. */
  body(): ProblemBody {
    return problemBody(this.type, this.detail, this.extra);
  }
}

/** An RFC 9457 problem document: `{ type, title, status, detail?, …extra }` (`extra.title` wins over the catalog's). */
export type ProblemBody = { type: ProblemType; title: string; status: number; detail?: string } & Record<string, unknown>;

export function problemBody(type: ProblemType, detail?: string, extra: Record<string, unknown> = {}): ProblemBody {
  const { status, title } = PROBLEMS[type];
  return { type, title, status, ...(detail ? { detail } : {}), ...extra };
}
