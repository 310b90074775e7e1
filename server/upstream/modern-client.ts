/**
 * The client for a server that speaks MCP 2026-07-28 (`protocol: "2026-07-28"`, streamable HTTP
 * only): the 2.x client SDK (`@modelcontextprotocol/client`) pinned to that revision. Its connect
 * is `server/discover` (no `initialize`, no session); every request carries the `_meta` envelope
 * (protocol version, client info, client capabilities). A server that needs input during a
 * request answers `input_required`: the SDK hands each of its input requests to the handlers
 * registered here — elicitation to the call's elicitor (a person's question card, or the `/mcp`
 * client), sampling to the sampler or the calling client, roots to the configured roots
 * (client-requests.ts) — and sends the request again with `inputResponses`. A tool call whose
 * caller speaks 2026-07-28 itself (`ToolCallOptions.relay`) runs in the SDK's manual mode: a round
 * the caller declared everything for comes back to it as it came (input-relay.ts).
 *
 * A call (`tools/call`, `prompts/get`, `resources/read`, `completion/complete`) declares in its envelope only what someone
 * answers for it (input-relay.ts `callCapabilities`); a server that requires more answers -32021
 * (call-errors.ts: `missing-capability`).
 *
 * The connection (connection.ts) uses it as it uses the 1.x client: lists, resources, prompts,
 * completions and log levels are the same methods with the same options on both SDKs. What
 * differs is here: the tool call (no result schema argument), the health check (2026-07-28 has
 * no `ping`: `server/discover` instead), and the change notifications, which 2026-07-28 sends on
 * a `subscriptions/listen` stream only (modern-listen.ts: list changes, and the watched resources
 * instead of `resources/subscribe`). Tool calls that run as tasks (the tasks extension there) go
 * to modern-tasks.ts: a call whose caller does not wait, and a tool the server refused a plain call
 * of (-32021 for the extension).
 *
 * HTTP goes through the connection's `fetch` (the configured headers on the server's own origin
 * only, never to its authorization server) and OAuth through the same `OAuthClient` as the 1.x
 * transports (`bearer()`: the SDK's minimal `AuthProvider`, its token and its 401), so a server
 * behind OAuth is signed in, refreshed and parked in `needs-sign-in` alike in both eras.
 */
import type { StreamableHTTPClientTransport, StreamableHTTPClientTransportOptions } from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { RemoteServerConfig } from '../config/types.js';
import type { CallToolResult } from './call-result.js';
import type { ClientRequestAnswers } from './client-requests.js';
import { ModernListener } from './modern-listen.js';
import type { BearerAuth } from './oauth-client.js';
import { ModernTasks, TASKS_EXTENSION } from './modern-tasks.js';
import {
  CLIENT_CAPABILITIES_META_KEY,
  type CallSampling,
  MAX_LOCAL_ROUNDS,
  callCapabilities,
  checkRound,
  isInputRequired,
  relayable,
  relayedParams,
} from './input-relay.js';
import type {
  CallProgress,
  ElicitationAnswer,
  InputRelay,
  RelayedInputRequired,
  RequestOptions,
  SamplingRequest,
  ToolCallOptions,
} from './types.js';

/** The revision the modern client speaks. */
export const MODERN_PROTOCOL = '2026-07-28';

export interface ModernAnswers extends ClientRequestAnswers {
  /** Answers a form or URL elicitation (`requestId`: the input request's key). */
  elicit: (params: Record<string, unknown>, requestId: string | number, signal: AbortSignal) => Promise<ElicitationAnswer>;
  /** Why the policy refuses a sampling request of an input_required round (read at use); undefined: not refused. Default: never. */
  samplingRefusal?: (params: SamplingRequest) => string | undefined;
}

/** What the server tells on its `subscriptions/listen` stream (modern-listen.ts), for the connection. */
export interface ModernEvents {
  listChanged(kind: 'tools' | 'prompts' | 'resources'): void;
  resourceUpdated(uri: string): void;
  /** The stream was opened again after the server ended it: lists and watched resources may have changed. */
  resync(): void;
  /** The stream could not be opened (again). */
  listenFailed(error: unknown): void;
}

export interface ModernSession {
  /** The 2.x client, typed as the 1.x one for the methods both have alike (see the file's comment). */
  client: Client;
  transport: StreamableHTTPClientTransport;
  connect(): Promise<void>;
  /** `samples`: who answers the server's sampling for this call (input-relay.ts `CallSampling`, `callCapabilities`). */
  callTool(name: string, args: Record<string, unknown>, options: ToolCallOptions, samples: CallSampling): Promise<CallToolResult>;
  /** `prompts/get` for a caller that relays input_required rounds (input-relay.ts): the prompt, or the round. */
  getPrompt(
    name: string,
    args: Record<string, string>,
    relay: InputRelay,
    options: RequestOptions,
    samples: CallSampling,
  ): Promise<unknown>;
  /** The `_meta` envelope key of a request that declares what this call can answer (`callCapabilities`), for the shared methods. */
  envelope(samples: CallSampling): Record<string, unknown>;
  /** What a request of a call declares (`callCapabilities`), relayed by a caller that declared `relay.capabilities` when given. */
  declares(samples: CallSampling, relay?: InputRelay): ClientCapabilities;
  /** Whether the server still answers (`server/discover`); fails like a failed ping. */
  check(timeoutMs: number): Promise<void>;
  /** The `subscriptions/listen` stream: its list changes (opened after connecting) and the watched resources. */
  listener: ModernListener;
  /** The tool calls that run as tasks (modern-tasks.ts); closed with the session. */
  tasks: ModernTasks;
}

/**
 * The options of every transport to the server (the session's, and each task call's own:
 * modern-tasks.ts). Not `requestInit` for the configured headers: the SDK sends those to the
 * authorization server too; `fetch` adds them on the server's own origin only.
 */
export function transportOptions(http: { fetch: FetchLike; auth: BearerAuth }): StreamableHTTPClientTransportOptions {
  return { fetch: http.fetch, authProvider: http.auth };
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
  events: ModernEvents,
  /** The time the server has to acknowledge a listen stream, in ms. */
  listenTimeoutMs: number,
  /**
   * How the transport reaches the server: `fetch` (which adds the configured headers on the
   * server's own origin only, and notes OAuth challenges) and the OAuth client's bearer tokens.
   */
  http: { fetch: FetchLike; auth: BearerAuth },
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
  sdk.setNotificationHandler('notifications/tools/list_changed', () => events.listChanged('tools'));
  sdk.setNotificationHandler('notifications/prompts/list_changed', () => events.listChanged('prompts'));
  sdk.setNotificationHandler('notifications/resources/list_changed', () => events.listChanged('resources'));
  sdk.setNotificationHandler('notifications/resources/updated', (notification) => events.resourceUpdated(notification.params.uri));
  const listener = new ModernListener(
    (filter) => sdk.listen(filter, { timeout: listenTimeoutMs }),
    () => sdk.getServerCapabilities(),
    () => events.resync(),
    (error) => events.listenFailed(error),
  );
  const transport = new StreamableHTTPClientTransport(new URL(config.url), transportOptions(http));
  const tasks = new ModernTasks({
    transport: () => new StreamableHTTPClientTransport(new URL(config.url), transportOptions(http)),
    clientInfo,
    offersTasks: () => sdk.getServerCapabilities()?.extensions?.[TASKS_EXTENSION] !== undefined,
    answer: (round, signal) => answerLocally(round, answers, signal),
  });
  /**
   * A request whose caller relays the rounds it can answer whole; the gateway answers the others
   * and sends the request again (input-relay.ts). `send` sends it in the SDK's manual mode.
   */
  const relayed = async (
    name: string,
    args: Record<string, unknown>,
    relay: InputRelay,
    samples: CallSampling,
    signal: AbortSignal | undefined,
    send: (params: Record<string, unknown>) => Promise<unknown>,
  ): Promise<unknown> => {
    const declared = callCapabilities(capabilities, samples, relay);
    let params = relayedParams(name, args, declared, relay.inputResponses, relay.requestState);
    for (let round = 1; ; round++) {
      const result = await send(params);
      if (!isInputRequired(result)) return result;
      checkRound(result, capabilities, answers.samplingRefusal);
      if (relayable(result, relay, capabilities)) return result;
      if (round > MAX_LOCAL_ROUNDS) throw new Error(`${name} still required input after ${MAX_LOCAL_ROUNDS} rounds`);
      const inputResponses = await answerLocally(result, answers, signal ?? new AbortController().signal);
      params = relayedParams(name, args, declared, inputResponses, result.requestState);
    }
  };
  return {
    client: sdk as unknown as Client,
    transport,
    listener,
    tasks,
    async connect() {
      await sdk.connect(transport);
      // A server that refuses the stream is still usable for everything else.
      listener.open().catch((error: unknown) => events.listenFailed(error));
    },
    async callTool(name, args, options, samples) {
      const requestOptions = {
        timeout: options.timeoutMs,
        resetTimeoutOnProgress: true,
        maxTotalTimeout: options.maxTotalTimeoutMs,
        signal: options.signal,
        onprogress: (progress: CallProgress) => options.onProgress?.(progress),
      };
      const relay = options.relay;
      // A task answers its questions through the gateway: what it declares is what the gateway answers.
      const asTask = () => tasks.call(name, args, callCapabilities(capabilities, samples) as Record<string, unknown>, options);
      if (tasks.wants(name, options.preferTask)) return asTask();
      try {
        if (!relay) {
          const params = { name, arguments: args, _meta: { [CLIENT_CAPABILITIES_META_KEY]: callCapabilities(capabilities, samples) } };
          return (await sdk.callTool(params, requestOptions)) as CallToolResult;
        }
        return (await relayed(name, args, relay, samples, options.signal, (params) =>
          sdk.callTool(params as never, { ...requestOptions, allowInputRequired: true }),
        )) as CallToolResult;
      } catch (error) {
        // A task-only tool: the server refused it to a call that did not declare the extension.
        if (tasks.learn(name, error)) return asTask();
        throw error;
      }
    },
    getPrompt(name, args, relay, options, samples) {
      return relayed(name, args, relay, samples, options.signal, (params) =>
        sdk.getPrompt(params as never, { timeout: options.timeoutMs, signal: options.signal, allowInputRequired: true }),
      );
    },
    envelope(samples) {
      return { [CLIENT_CAPABILITIES_META_KEY]: callCapabilities(capabilities, samples) };
    },
    declares(samples, relay) {
      return callCapabilities(capabilities, samples, relay);
    },
    async check(timeoutMs) {
      await sdk.discover({ timeout: timeoutMs });
    },
  };
}

/** The gateway's own answers to a round's input requests (a round its caller does not relay), by their keys. */
async function answerLocally(round: RelayedInputRequired, answers: ModernAnswers, signal: AbortSignal): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    Object.entries(round.inputRequests ?? {}).map(async ([key, request]) => {
      const params = request.params ?? {};
      switch (request.method) {
        case 'elicitation/create':
          return [key, { ...(await answers.elicit(params, key, signal)) }] as const;
        case 'sampling/createMessage':
          return [key, await answers.sample(params as SamplingRequest, key, signal)] as const;
        case 'roots/list':
          if (answers.roots) return [key, await answers.roots(signal)] as const;
      }
      throw new Error(`the server asked for ${String(request.method)} (input request ${key}), which the gateway does not answer`);
    }),
  );
  return Object.fromEntries(entries);
}
