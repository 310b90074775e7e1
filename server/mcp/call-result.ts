/**
 * How a call's end is answered on `/mcp`: the tool's own result as it came (an `isError` result
 * too), and every failure of the gateway's pipeline as a tool result with `isError: true` whose
 * text a model can read and act on ("denied by Alice: not now", "approval timed out", "server
 * disconnected"): these are outcomes of the call, not faults of the JSON-RPC exchange.
 */
import type { ProblemError } from '../errors.js';
import type { CallEnd } from '../calls/running-call.js';
import { SERVER_WENT_AWAY } from '../upstream/types.js';
import { namespacedContent } from './resource-uris.js';

export interface McpToolResult {
  content: { type: string; [key: string]: unknown }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  [key: string]: unknown;
}

/** The words a model reads for a failed call, led by the seed's names for the cases people see. */
export function failureText(error: ProblemError): string {
  const detail = error.detail ?? error.message;
  switch (error.type) {
    case 'approval-denied': {
      const who = typeof error.extra.decidedBy === 'string' ? error.extra.decidedBy : 'someone';
      const reason = typeof error.extra.reason === 'string' && error.extra.reason ? error.extra.reason : 'no reason given';
      return `denied by ${who}: ${reason}`;
    }
    case 'denied-by-policy':
      return `denied by the gateway's approval policy: ${detail}`;
    case 'approval-timed-out':
      return `approval timed out: ${detail}`;
    case 'approval-void':
      return `approval void: ${detail}`;
    case 'approval-interrupted':
      return `the gateway stopped while the call waited for approval; it did not run`;
    case 'server-unavailable':
      return `server disconnected: ${detail}`;
    case 'upstream-error':
      return detail.startsWith(SERVER_WENT_AWAY) ? `server disconnected: ${detail}` : `the server failed: ${detail}`;
    case 'timeout':
      return `timed out: ${detail}`;
    case 'cancelled':
      return `cancelled: ${detail}`;
    case 'invalid-arguments':
      return `invalid arguments: ${detail}`;
    case 'overloaded':
    case 'too-many-calls':
      return `the server is busy, try again shortly: ${detail}`;
    case 'result-too-large':
      return `the result is too large: ${detail}`;
    default:
      return `${error.type}: ${detail}`;
  }
}

/**
 * A call's end as the client gets it. On an aggregate endpoint `server` is the tool's server: the
 * resources its result names get namespaced URIs (resource-uris.ts), so the client can read them.
 */
export function toMcpResult(end: CallEnd, server?: string): McpToolResult {
  if (end.result) {
    const { result } = end.result;
    return {
      content: server === undefined ? result.content : namespacedContent(result.content, server),
      ...(result.structuredContent === undefined ? {} : { structuredContent: result.structuredContent }),
      ...(result.isError ? { isError: true } : {}),
    };
  }
  return { content: [{ type: 'text', text: failureText(end.error!) }], isError: true };
}
