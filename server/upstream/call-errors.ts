/**
 * Why a tool call on an upstream server failed: the SDK's errors sorted into the gateway's
 * failure kinds (`UpstreamCallError`), and errors described in one line for logs and statuses.
 */
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { isOversizedAnswer } from './oversized-message.js';
import { SERVER_WENT_AWAY, UpstreamCallError } from './types.js';

/** The SDK client's own messages for a result that does not fit the tool's outputSchema. */
const OUTPUT_SCHEMA_MISMATCH = /Structured content does not match the tool's output schema|Failed to validate structured content/;

/**
 * `why` is the reason the gateway ended the connection, when it did so during the call (a failed
 * ping, a crash it noticed): the caller learns why its call was abandoned.
 */
export function classifyCallError(error: unknown, signal: AbortSignal | undefined, why: string | undefined): UpstreamCallError {
  if (signal?.aborted) return new UpstreamCallError('cancelled', 'the call was cancelled');
  // Already sorted (a task call's own timeout or end: task-calls.ts).
  if (error instanceof UpstreamCallError) return error;
  const message = describeError(error);
  if (error instanceof McpError) {
    // The transport's answer to a message over the limit; a server's own -32099 is an error answer like any other.
    if (isOversizedAnswer(error.code, error.data)) return new UpstreamCallError('too-large', serverText(error));
    switch (error.code) {
      case ErrorCode.RequestTimeout:
        return new UpstreamCallError('timeout', message);
      case ErrorCode.ConnectionClosed:
        return new UpstreamCallError('disconnected', `${SERVER_WENT_AWAY} (${why ?? message})`);
      case ErrorCode.InvalidParams:
        // The SDK client checks a result against the tool's outputSchema itself and reports a
        // mismatch as "invalid params": that is the server's fault, not the caller's arguments'.
        if (OUTPUT_SCHEMA_MISMATCH.test(error.message)) {
          return new UpstreamCallError('protocol', `the server's result does not match the tool's own outputSchema (${serverText(error)})`);
        }
        return new UpstreamCallError('invalid-params', serverText(error));
      default:
        // A JSON-RPC error answer: -32601 from a tool the server lists (e.g. it asked the gateway
        // for sampling, which the gateway does not offer), -32603 …
        return new UpstreamCallError('server-error', `${serverText(error)} (JSON-RPC error ${error.code})`);
    }
  }
  return new UpstreamCallError('protocol', message);
}

/** An MCP error's message without the SDK's `MCP error <code>: ` prefixes (one per hop it passed). */
function serverText(error: McpError): string {
  return error.message.replace(/^(MCP error -?\d+: )+/, '');
}

/** An error in one line: an HTTP status or a cause it carries is told too. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    // An OAuth error answer (the SDK's OAuthError): its `error` code says what, its description may be empty.
    const oauthCode = (error as { errorCode?: unknown }).errorCode;
    if (typeof oauthCode === 'string') return `OAuth ${oauthCode}${error.message ? `: ${error.message}` : ''}`;
    // HTTP transport errors carry the status in `code` (JSON-RPC errors use negative codes).
    const code = (error as { code?: unknown }).code;
    const status = typeof code === 'number' && code >= 100 && code < 600 && !error.message.includes(String(code)) ? `HTTP ${code}: ` : '';
    if (status) return `${status}${error.message}`;
    const cause = (error as { cause?: unknown }).cause;
    const causeText = cause instanceof Error && cause.message && !error.message.includes(cause.message) ? ` (${cause.message})` : '';
    return `${error.message}${causeText}`;
  }
  return String(error);
}
