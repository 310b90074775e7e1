/**
 * Requests to a server other than tool calls (a resource read, a prompt, a completion), as every
 * surface sends them: with the server's own `timeoutMs` (`featureRequest`), their failure as the
 * catalog's problem (server/errors.ts) by the one mapping from `UpstreamCallError.kind` that the
 * management API (`http/api/upstream-request.ts`) and the orchestrator's resources, prompts and
 * app pages (`ui/server-lists.ts`, which words it for people) answer with (`upstreamProblem`), and
 * the size limit their answers are held to (`limitedJson`: `gateway.maxResultBytes`).
 *
 * | kind | problem | status |
 * |---|---|---|
 * | `not-ready` (disabled, starting, failing) | `server-unavailable`, `Retry-After: 2` | 503 |
 * | `needs-sign-in` (a server behind OAuth waits for a person to sign in) | `needs-sign-in` | 503 |
 * | `timeout` | `timeout` | 504 |
 * | `cancelled` (the client went away) | `cancelled` | 499 |
 * | `invalid-params`, `server-error` (the server answered with a JSON-RPC error) | the request's `refused` (`resource-not-found`, `prompt-not-found`), else `upstream-error` titled "answered with an error" | 404 / 502 |
 * | `disconnected` (the server went away during the request), `protocol` | `upstream-error` | 502 |
 * | `too-large` (over `gateway.maxMessageBytes`) | `result-too-large` | 502 |
 *
 * A server that went away mid-request is a 502 (it failed to answer what it was sent), as for a
 * tool call; 503 is only for a server that was not there to ask.
 */
import { ProblemError, UPSTREAM_ANSWERED_TITLE, type ProblemType } from '../errors.js';
import type { UpstreamConnection } from './connection.js';
import { UpstreamCallError, type CallFailureKind, type RequestOptions } from './types.js';

/** The problem type of each failure kind (`refused` may replace it for a JSON-RPC error answer). */
export const FAILURE_PROBLEMS: Readonly<Record<CallFailureKind, ProblemType>> = {
  'not-ready': 'server-unavailable',
  'needs-sign-in': 'needs-sign-in',
  'connect-first': 'connect-first',
  timeout: 'timeout',
  cancelled: 'cancelled',
  'invalid-params': 'upstream-error',
  'server-error': 'upstream-error',
  disconnected: 'upstream-error',
  protocol: 'upstream-error',
  'too-large': 'result-too-large',
  'missing-capability': 'missing-client-capability',
};

/** The request that failed, for the problem's words. */
export interface FailedRequest {
  /** The server asked. */
  server: string;
  /** The request in words, for the detail: "reading demo://x", "getting the prompt greet". */
  what: string;
  /** The timeout it was sent with (the server's `timeoutMs`). */
  timeoutMs: number;
  /**
   * What a JSON-RPC error answer of the server means for this request (MCP servers answer an
   * unknown resource with -32002, or invalid params as the SDK's McpServer does). Default:
   * `upstream-error`.
   */
  refused?: 'resource-not-found' | 'prompt-not-found';
}

/**
 * Sends `send` to `connection` with the server's `timeoutMs` (read at use), cancelled by `signal`;
 * its failure becomes the problem `upstreamProblem` says.
 */
export async function featureRequest<T>(
  connection: UpstreamConnection,
  request: Pick<FailedRequest, 'what' | 'refused'> & { signal?: AbortSignal },
  send: (options: RequestOptions) => Promise<T>,
): Promise<T> {
  const timeoutMs = connection.currentConfig.timeoutMs;
  try {
    return await send({ timeoutMs, ...(request.signal ? { signal: request.signal } : {}) });
  } catch (error) {
    throw upstreamProblem(error, {
      server: connection.name,
      what: request.what,
      timeoutMs,
      ...(request.refused ? { refused: request.refused } : {}),
    });
  }
}

/** The problem an upstream request's failure is answered with (see the table above). */
export function upstreamProblem(error: unknown, request: FailedRequest): ProblemError {
  if (!(error instanceof UpstreamCallError))
    return new ProblemError('upstream-error', error instanceof Error ? error.message : String(error));
  const { server, what } = request;
  switch (error.kind) {
    case 'not-ready':
      return new ProblemError('server-unavailable', error.message, { retryAfter: 2 });
    case 'timeout':
      return new ProblemError('timeout', `${what} on server "${server}" took longer than ${request.timeoutMs} ms; it was cancelled`);
    case 'cancelled':
      return new ProblemError('cancelled', `${what} was cancelled (the client went away)`);
    case 'too-large':
      return new ProblemError('result-too-large', `the answer to ${what} was dropped: ${error.message}`);
    case 'invalid-params':
    case 'server-error':
      if (request.refused) return new ProblemError(request.refused, `server "${server}" answered ${what}: ${error.message}`);
      return new ProblemError('upstream-error', error.message, { title: UPSTREAM_ANSWERED_TITLE });
    case 'missing-capability':
      return missingCapabilityProblem(error);
    default:
      return new ProblemError(FAILURE_PROBLEMS[error.kind], error.message);
  }
}

/** A `missing-capability` failure as its problem, naming the capabilities (`requiredCapabilities`, as the server gave them). */
export function missingCapabilityProblem(error: UpstreamCallError): ProblemError {
  return new ProblemError('missing-client-capability', error.message, { requiredCapabilities: error.requiredCapabilities ?? {} });
}

/**
 * The answer as JSON text, refused as `result-too-large` (with its `size` and `limit`) beyond
 * `maxBytes` (`gateway.maxResultBytes`), as a tool's result is.
 */
export function limitedJson(value: unknown, maxBytes: number, what: string): string {
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) {
    throw new ProblemError(
      'result-too-large',
      `the answer to ${what} is ${bytes} bytes, larger than gateway.maxResultBytes (${maxBytes} bytes)`,
      {
        size: bytes,
        limit: maxBytes,
      },
    );
  }
  return json;
}
