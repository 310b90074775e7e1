/**
 * The client for a server that speaks MCP 2026-07-28 (`protocol: "2026-07-28"`, streamable HTTP
 * only): the 2.x client SDK (`@modelcontextprotocol/client`) pinned to that revision. Its connect
 * is `server/discover` (no `initialize`, no session); every request carries the `_meta` envelope
 * (protocol version, client info, client capabilities). A server that needs input during a
 * request answers `input_required`: the SDK hands each of its input requests to the handlers
 * registered here — elicitation to the call's elicitor (a person's question card, or the `/mcp`
 * client), sampling to the sampler or the calling client, roots to the configured roots
 * (client-requests.ts) — and sends the request again with `inputResponses`.
 *
 * The connection (connection.ts) uses it as it uses the 1.x client: lists, resources, prompts,
 * completions and log levels are the same methods with the same options on both SDKs. What
 * differs is here: the tool call (no result schema argument), the health check (2026-07-28 has
 * no `ping`: `server/discover` instead). Not in this first cut: list-changed and resource
 * notifications (2026-07-28 has them on `subscriptions/listen` only) and tasks (an extension there).
 */
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { RemoteServerConfig } from '../config/types.js';
import type { CallToolResult } from './call-result.js';
import type { ClientRequestAnswers } from './client-requests.js';
import type { ElicitationAnswer, SamplingRequest, ToolCallOptions } from './types.js';

/** The revision the modern client speaks. */
export const MODERN_PROTOCOL = '2026-07-28';

export interface ModernAnswers extends ClientRequestAnswers {
  /** Answers a form or URL elicitation (`requestId`: the input request's key). */
  elicit: (params: Record<string, unknown>, requestId: string | number, signal: AbortSignal) => Promise<ElicitationAnswer>;
}

export interface ModernSession {
  /** The 2.x client, typed as the 1.x one for the methods both have alike (see the file's comment). */
  client: Client;
  transport: StreamableHTTPClientTransport;
  connect(): Promise<void>;
  callTool(name: string, args: Record<string, unknown>, options: ToolCallOptions): Promise<CallToolResult>;
  /** Whether the server still answers (`server/discover`); fails like a failed ping. */
  check(timeoutMs: number): Promise<void>;
}

/** Whether the server is to be spoken to in the 2026-07-28 era. */
export function speaksModern(config: { transport: string; protocol?: string }): config is RemoteServerConfig {
  return config.transport === 'streamable-http' && config.protocol === MODERN_PROTOCOL;
}

export async function modernSession(
  config: RemoteServerConfig,
  clientInfo: { name: string; version: string },
  capabilities: ClientCapabilities,
  answers: ModernAnswers,
): Promise<ModernSession> {
  // The 2.x client loads with the first server spoken to in this era: start-up does not need it.
  const { Client: ModernSdkClient, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
  const sdk = new ModernSdkClient(clientInfo, {
    capabilities: capabilities as never,
    versionNegotiation: { mode: { pin: MODERN_PROTOCOL } },
  });
  // The SDK refuses a handler for a capability not declared (a server's `elicitation: false`).
  if (capabilities.elicitation)
    sdk.setRequestHandler(
      'elicitation/create',
      async (request, ctx) =>
        ({ ...(await answers.elicit(request.params as Record<string, unknown>, ctx.mcpReq.id, ctx.mcpReq.signal)) }) as never,
    );
  sdk.setRequestHandler(
    'sampling/createMessage',
    async (request, ctx) => (await answers.sample(request.params as SamplingRequest, ctx.mcpReq.id, ctx.mcpReq.signal)) as never,
  );
  const roots = answers.roots;
  if (roots) sdk.setRequestHandler('roots/list', async (_request, ctx) => roots(ctx.mcpReq.signal));
  const transport = new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers } });
  return {
    client: sdk as unknown as Client,
    transport,
    connect: () => sdk.connect(transport),
    async callTool(name, args, options) {
      return (await sdk.callTool(
        { name, arguments: args },
        {
          timeout: options.timeoutMs,
          resetTimeoutOnProgress: true,
          maxTotalTimeout: options.maxTotalTimeoutMs,
          signal: options.signal,
          onprogress: (progress) => options.onProgress?.(progress),
        },
      )) as CallToolResult;
    },
    async check(timeoutMs) {
      await sdk.discover({ timeout: timeoutMs });
    },
  };
}
