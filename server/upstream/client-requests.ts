/**
 * The requests an upstream server sends to the gateway as its client, and their answers:
 * `roots/list` (the server's configured roots, read at each request, so a reload applies them)
 * and `sampling/createMessage` (handed to the `Sampler`, server/sampling/, with the timeout hold of
 * the tool call it belongs to, so that a person approving it does not time the call out). What is answered
 * matches what capabilities.ts declares: the SDK accepts a handler only for a declared
 * capability. A server that asks for sampling anyway gets a clear refusal instead of "method not
 * found", which its tool then reports.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateMessageRequestSchema, ErrorCode, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ServerConfig } from '../config/types.js';
import type { TimeoutHold } from './request-timeout.js';
import { SAMPLING_NOT_CONFIGURED, type Sampler, type SamplingRequest } from './types.js';

export function answerClientRequests(
  client: Client,
  /** The server's config in force (read at each request). */
  config: () => ServerConfig,
  /** The gateway's sampler, when it has one. */
  sampler: () => Sampler | undefined,
  /** The timeout hold of the tool call a server's request (by its JSON-RPC id and `_meta`) belongs to, if any (connection.ts `callOf`). */
  holdOf: (requestId: string | number, meta: Record<string, unknown> | undefined) => TimeoutHold | undefined = () => undefined,
): void {
  const declared = config();
  if (declared.roots.length > 0) client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: config().roots }));
  if (declared.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
      const sample = sampler();
      if (!sample || !config().sampling) throw rpcError(ErrorCode.MethodNotFound, SAMPLING_NOT_CONFIGURED);
      try {
        const result = await sample(
          declared.name,
          request.params as SamplingRequest,
          extra.signal,
          holdOf(extra.requestId, request.params._meta),
        );
        return { ...result };
      } catch (error) {
        throw rpcError(ErrorCode.InternalError, error instanceof Error ? error.message : String(error));
      }
    });
  } else {
    client.fallbackRequestHandler = async (request) => {
      if (request.method === 'sampling/createMessage') throw rpcError(ErrorCode.MethodNotFound, SAMPLING_NOT_CONFIGURED);
      throw rpcError(ErrorCode.MethodNotFound, 'Method not found');
    };
  }
}

/**
 * An error the SDK sends as the JSON-RPC error `{code, message}` with the message as it is (an
 * `McpError` would prefix it with "MCP error -32600:").
 */
function rpcError(code: ErrorCode, message: string): Error {
  return Object.assign(new Error(message), { code });
}
