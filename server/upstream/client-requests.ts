/**
 * The requests an upstream server sends to the gateway as its client, and their answers:
 * `roots/list` (the server's configured roots, read at each request, so a reload applies them;
 * without any, with `clientRoots`, those of its one `/mcp` client: server/mcp/client-roots.ts)
 * and `sampling/createMessage` (handed to the `Sampler`, server/sampling/, with the calling
 * client's own model when the call in flight has one: `ToolCallOptions.onSample`). What is
 * answered matches what capabilities.ts declares: the SDK accepts a handler only for a declared
 * capability. A sampling request nobody can answer gets a clear refusal instead of "method not
 * found", which its tool then reports.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateMessageRequestSchema, ErrorCode, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ServerConfig } from '../config/types.js';
import { clientCapabilities } from './capabilities.js';
import { SAMPLING_NOT_CONFIGURED, type CallSampler, type ClientRoots, type Sampler, type SamplingRequest } from './types.js';

export function answerClientRequests(
  client: Client,
  /** The server's config in force (read at each request). */
  config: () => ServerConfig,
  /** The gateway's sampler, when it has one. */
  sampler: () => Sampler | undefined,
  /** The calling client's own model, for a request that belongs to a call whose client has one. */
  callSampler: () => CallSampler | undefined,
  /** The roots of the server's one `/mcp` client, while it has one. */
  clientRoots: () => ClientRoots | undefined,
): void {
  const declared = config();
  if (clientCapabilities(declared).roots)
    client.setRequestHandler(ListRootsRequestSchema, async (_request, extra) => {
      const { roots, clientRoots: passed } = config();
      if (roots.length > 0 || passed !== true) return { roots };
      const ask = clientRoots();
      return { roots: ask ? await ask(extra.signal) : [] };
    });
  client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
    const sample = sampler();
    const forward = callSampler();
    const params = request.params as SamplingRequest;
    if (!forward && (!sample || !config().sampling)) throw rpcError(ErrorCode.MethodNotFound, SAMPLING_NOT_CONFIGURED);
    try {
      const result = sample ? await sample(declared.name, params, extra.signal, forward) : await forward!(params, extra.signal);
      return { ...result } as never;
    } catch (error) {
      // A client's own refusal keeps its JSON-RPC code (e.g. the user declined); the gateway's are internal errors.
      const code = (error as { code?: unknown }).code;
      throw rpcError(typeof code === 'number' ? code : ErrorCode.InternalError, error instanceof Error ? error.message : String(error));
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
