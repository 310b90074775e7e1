/**
 * The requests an upstream server sends to the gateway as its client, and their answers:
 * `roots/list` (the server's configured roots, read at each request, so a reload applies them;
 * without any, with `clientRoots`, those of its one `/mcp` client: server/mcp/client-roots.ts)
 * and `sampling/createMessage` (handed to the `Sampler`, server/sampling/, with the timeout hold of
 * the tool call it belongs to, so that a person approving it does not time the call out, and with
 * the calling client's own model when that call has one: `ToolCallOptions.onSample`). What is
 * answered matches what capabilities.ts declares: the SDK accepts a handler only for a declared
 * capability. A sampling request nobody can answer gets a clear refusal instead of "method not
 * found", which its tool then reports.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateMessageRequestSchema, ErrorCode, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ServerConfig } from '../config/types.js';
import { clientCapabilities } from './capabilities.js';
import { SAMPLING_NOT_CONFIGURED, type ClientRootsState, type Sampler, type SamplingAnswerers, type SamplingRequest } from './types.js';

export function answerClientRequests(
  client: Client,
  /** The server's config in force (read at each request). */
  config: () => ServerConfig,
  /** The gateway's sampler, when it has one. */
  sampler: () => Sampler | undefined,
  /** What answers a server's sampling request (by its JSON-RPC id and `_meta`): the call it belongs to (connection.ts `samplingOf`). */
  samplingOf: (requestId: string | number, meta: Record<string, unknown> | undefined) => SamplingAnswerers,
  /** The roots of the server's one `/mcp` client, while it has one. */
  clientRoots: () => ClientRootsState | undefined,
): void {
  const declared = config();
  if (clientCapabilities(declared).roots)
    client.setRequestHandler(ListRootsRequestSchema, async (_request, extra) => {
      const { roots, clientRoots: passed } = config();
      if (roots.length > 0 || passed !== true) return { roots };
      const ask = clientRoots()?.one;
      return { roots: ask ? await ask.list(extra.signal) : [] };
    });
  client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
    const sample = sampler();
    const { hold, forward } = samplingOf(extra.requestId, request.params._meta);
    const params = request.params as SamplingRequest;
    // The sampler applies the approval policy (a deny holds for a forwarded request too): without one, nothing is answered.
    if (!sample || (!forward && !config().sampling)) throw rpcError(ErrorCode.MethodNotFound, SAMPLING_NOT_CONFIGURED);
    try {
      const result = await sample(declared.name, params, extra.signal, hold, forward);
      return { ...result } as never;
    } catch (error) {
      // A client's own refusal keeps its JSON-RPC code (e.g. the user declined); the gateway's are internal errors.
      // (A DOMException's `code`, e.g. 20 for an abort, is not one.)
      const code = error instanceof DOMException ? undefined : (error as { code?: unknown }).code;
      throw rpcError(
        Number.isInteger(code) ? (code as number) : ErrorCode.InternalError,
        error instanceof Error ? error.message : String(error),
      );
    }
  });
  client.fallbackRequestHandler = async () => {
    throw rpcError(ErrorCode.MethodNotFound, 'Method not found');
  };
}

/**
 * An error the SDK sends as the JSON-RPC error `{code, message}` with the message as it is (an
 * `McpError` would prefix it with "MCP error -32600:").
 */
function rpcError(code: number, message: string): Error {
  return Object.assign(new Error(message), { code });
}
