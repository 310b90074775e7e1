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
import type { Root, ServerConfig } from '../config/types.js';
import { clientCapabilities } from './capabilities.js';
import { SAMPLING_NOT_CONFIGURED, type ClientRootsState, type Sampler, type SamplingAnswerers, type SamplingRequest } from './types.js';

/**
 * The answers to a server's requests, whatever era carries them (a JSON-RPC request on a 2025
 * session, an `input_required` result's input request on 2026-07-28: modern-client.ts). `roots`
 * only when the roots capability is declared.
 */
export interface ClientRequestAnswers {
  roots?: (signal: AbortSignal) => Promise<{ roots: Root[] }>;
  /** `requestId`, `meta`: the request's JSON-RPC id and `_meta`, to find the call it belongs to. */
  sample: (params: SamplingRequest, requestId: string | number, signal: AbortSignal) => Promise<Record<string, unknown>>;
}

export function clientRequestAnswers(
  /** The server's config in force (read at each request). */
  config: () => ServerConfig,
  /** The gateway's sampler, when it has one. */
  sampler: () => Sampler | undefined,
  /** What answers a server's sampling request (by its JSON-RPC id and `_meta`): the call it belongs to (connection.ts `samplingOf`). */
  samplingOf: (requestId: string | number, meta: Record<string, unknown> | undefined) => SamplingAnswerers,
  /** The roots of the server's one `/mcp` client, while it has one. */
  clientRoots: () => ClientRootsState | undefined,
): ClientRequestAnswers {
  const declared = config();
  const roots = async (signal: AbortSignal) => {
    const { roots, clientRoots: passed } = config();
    if (roots.length > 0 || passed !== true) return { roots };
    const ask = clientRoots()?.one;
    return { roots: ask ? await ask.list(signal) : [] };
  };
  const sample = async (params: SamplingRequest, requestId: string | number, signal: AbortSignal) => {
    const sample = sampler();
    const { hold, forward } = samplingOf(requestId, params._meta as Record<string, unknown> | undefined);
    // The sampler applies the approval policy (a deny holds for a forwarded request too): without one, nothing is answered.
    if (!sample || (!forward && !config().sampling)) throw rpcError(ErrorCode.MethodNotFound, SAMPLING_NOT_CONFIGURED);
    try {
      const result = await sample(declared.name, params, signal, hold, forward);
      return { ...result };
    } catch (error) {
      // A client's own refusal keeps its JSON-RPC code (e.g. the user declined); the gateway's are internal errors.
      // (A DOMException's `code`, e.g. 20 for an abort, is not one.)
      const code = error instanceof DOMException ? undefined : (error as { code?: unknown }).code;
      throw rpcError(
        Number.isInteger(code) ? (code as number) : ErrorCode.InternalError,
        error instanceof Error ? error.message : String(error),
      );
    }
  };
  return { ...(clientCapabilities(declared).roots && { roots }), sample };
}

/** Answers a 2025-era server's requests on its SDK 1.x client. */
export function answerClientRequests(client: Client, answers: ClientRequestAnswers): void {
  const { roots, sample } = answers;
  if (roots) client.setRequestHandler(ListRootsRequestSchema, async (_request, extra) => roots(extra.signal));
  client.setRequestHandler(
    CreateMessageRequestSchema,
    async (request, extra) => (await sample(request.params as SamplingRequest, extra.requestId, extra.signal)) as never,
  );
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
