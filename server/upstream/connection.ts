/**
 * One upstream MCP server: its connection, its state and its cached lists.
 *
 * States: `disabled` (switched off) · `starting` (spawn/connect + initialize + first lists) ·
 * `ready` · `error` (just failed; `lastError` says why) · `backoff` (waiting `nextRetryAt` to start
 * again) · `needs-sign-in` (a server behind OAuth waits for a person: `beginSignIn`/`completeSignIn`,
 * oauth-client.ts; never retried on its own) · `stopped` (gateway shutting down or server removed).
 *
 * Every start gets a new generation number; anything that arrives for an older generation (a late
 * list, a close event of a process we already replaced) is ignored, so a reconnect can never be
 * undone by the connection it replaced.
 *
 * Its lists are fetched and stored by `lists.ts`; a failed call is sorted into a failure kind by
 * `call-errors.ts`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import {
  ElicitRequestSchema,
  RELATED_TASK_META_KEY,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { GatewaySettings, LogLevel, RemoteServerConfig, ServerConfig } from '../config/types.js';
import type { ProcessGroupListener } from '../state/process-groups.js';
import { CRASH_LOOP_THRESHOLD, STABLE_AFTER_MS, restartDelay } from './backoff.js';
import { VERSION } from '../package-info.js';
import { classifyCallError, describeError } from './call-errors.js';
import { CALL_RESULT_SCHEMA, checkOutputSchema, type CallToolResult, type OutputValidator } from './call-result.js';
import { clientCapabilities } from './capabilities.js';
import { answerClientRequests, clientRequestAnswers, type ClientRequestAnswers } from './client-requests.js';
import { DirectCalls } from './direct-calls.js';
import { ServerLists, fetchList, type ListKind } from './lists.js';
import { callerWouldSupply, declaringToo, isInputRequired, relayedRound, type CallSampling } from './input-relay.js';
import { MODERN_PROTOCOL, modernSession, speaksModern, type ModernSession } from './modern-client.js';
import { OversizedMessageError } from './oversized-message.js';
import { OAuthClient, needsSignIn, type CallbackParams } from './oauth-client.js';
import { MemoryOAuthStore, type OAuthStore } from './oauth-store.js';
import { ResourceWatches, type ResourceUpdated } from './resource-watches.js';
import { ServerLog, type ServerLogEntry } from './server-log.js';
import { elicitationRequest } from './elicitation.js';
import { StreamRelations } from './request-relation.js';
import { directCallHold, nextRequestId, sdkRequestHold, type TimeoutHold } from './request-timeout.js';
import { StdioProcessTransport, safeEnvironment } from './stdio-transport.js';
import { ChurnList } from '../churn-table.js';
import { TaskCalls } from './task-calls.js';
import {
  UpstreamCallError,
  type CompletionRef,
  type CompletionResult,
  type ContentItem,
  type ElicitationAnswer,
  type Elicitor,
  type LastError,
  type PromptInfo,
  type InputRelay,
  type PromptResult,
  type RequestOptions,
  type ResourceInfo,
  type ResourceReadResult,
  type ResourceTemplateInfo,
  type ServerFeatures,
  type ServerState,
  type ServerStatus,
  type ToolCallOptions,
  type LogMessage,
  type Sampler,
  type CallSampler,
  type SamplingAnswerers,
  type ClientRootsState,
  type ToolCallResult,
  type ToolInfo,
} from './types.js';

export type ConnectionSettings = Pick<
  GatewaySettings,
  'pingIntervalMs' | 'pingTimeoutMs' | 'backoffInitialMs' | 'backoffMaxMs' | 'stopGraceMs' | 'maxMessageBytes' | 'serverLogLines'
>;

export interface ConnectionEvents {
  /** Any change of state or status. */
  change: [ServerStatus];
  /** The tool, resource, resource template or prompt list changed. */
  lists: [name: string];
}

const NO_FEATURES: ServerFeatures = { resources: false, resourceSubscribe: false, prompts: false, completions: false, logging: false };

/** The timeout hold of a call that has no one request to hold (a task). */
const NO_HOLD: TimeoutHold = { pause: () => false, resume: () => {} };

/** A tool call in flight, as the server's requests during it see it (`UpstreamConnection.callOf`). */
interface CallInFlight {
  /** Who answers the server's questions during the call; none: the connection's fallback. */
  elicit?: Elicitor;
  /** The caller's own model for the server's sampling requests during the call (`ToolCallOptions.onSample`); none: the gateway's. */
  sample?: CallSampler;
  /** Holds the call's timeout while a person answers or decides. */
  hold: TimeoutHold;
  /** The JSON-RPC id of its `tools/call`, when the SDK client sent it (streamable HTTP, SSE). */
  requestId?: number;
  /** The id of its task, when it runs as one (task-calls.ts). */
  taskId?: string;
}

/** Name and version the gateway announces to upstream servers. */
export const CLIENT_INFO = { name: 'mcp-gateway', version: VERSION };

/** How long a deliberate stop waits for a streamable HTTP server to acknowledge the session's end. */
const SESSION_END_TIMEOUT_MS = 1000;

export class UpstreamConnection extends EventEmitter<ConnectionEvents> {
  private state: ServerState;
  private since = Date.now();
  private generation = 0;
  private client?: Client;
  private transport?: Transport;
  private stdio?: StdioProcessTransport;
  /** The tool calls of a stdio connection, sent past the SDK client (direct-calls.ts). */
  private direct?: DirectCalls;
  /** The tool calls that run as tasks (task-calls.ts); none on a 2026-07-28 session. */
  private tasks?: TaskCalls;
  /** The session of a server spoken to in the 2026-07-28 era (modern-client.ts). */
  private modern?: ModernSession;
  /** The modern tool call whose `input_required` rounds run now (their input requests carry no call id). */
  private readonly modernCall = new AsyncLocalStorage<CallInFlight>();
  private closing: Promise<void> = Promise.resolve();
  /**
   * The handshake under way on the current transport (settles, never rejects, once `initialize` is
   * answered or failed): a stop meanwhile waits for it, since the server opens its session on
   * receiving `initialize`, and the session's id comes with the answer.
   */
  private handshake?: { transport: Transport; settled: Promise<void> };
  private readonly lists = new ServerLists();
  private restarts = 0;
  /** Log listeners of the calls in flight (see `ToolCallOptions.onLog`). */
  private readonly logListeners = new ChurnList<(message: LogMessage) => void>();
  /** The last log messages, for the server's page (`gateway.serverLogLines`). */
  private readonly serverLog = new ServerLog();
  /** The log level chosen in the UI, until the gateway restarts. */
  private chosenLevel?: LogLevel;
  /** The tool calls in flight: who answers their elicitations, the hold of their timeout, their request's id (see `callOf`). */
  private readonly calls = new ChurnList<CallInFlight>();
  /** Whose `/mcp` client's roots the server was given, in which connection (see `rootsAllow`). */
  private rootsGiven?: { owner: string; generation: number };
  /** Over streamable HTTP: which request's stream a server's request came on (request-relation.ts). */
  private relations?: StreamRelations;
  /**
   * Who answers an elicitation that belongs to no one call (see `elicit`). Default: nobody, and
   * the request is answered `cancel`. The supervisor sets it (the gateway's question book).
   */
  fallbackElicitor?: Elicitor;
  /**
   * The connection of a `perUserAuth` server that only lists its tools (with some user's tokens:
   * per-user-connections.ts; never its resources and prompts, which are that user's): it serves no
   * request for a caller, whose own connection does. Default false.
   */
  perUserListing = false;
  /** The OAuth client of a remote server (see `oauth`). */
  private oauthClient?: OAuthClient;
  /**
   * The OAuth client to use instead of one of its own: a `perUserAuth` server's user's, shared by
   * every connection made with that user's tokens, so that they refresh them once
   * (per-user-connections.ts). Default: none (its own, over `oauthStore`).
   */
  sharedOAuth?: () => OAuthClient;
  private consecutiveFailures = 0;
  private lastError?: LastError;
  /** The generation that last failed, and why: the reason its calls in flight were abandoned. */
  private failure?: { generation: number; reason: string };
  /** Whether a tool list has been stored since the server was enabled (see `hasListed`). */
  private listed = false;
  private nextRetryAt?: number;
  private retryTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private stableTimer?: NodeJS.Timeout;
  private pinging = false;
  private lastHealthCheck = 0;
  private serverInfo?: ServerStatus['serverInfo'];
  private protocolVersion?: string;
  private instructions?: string;
  private readonly refreshing = new Map<ListKind, { dirty: boolean }>();
  private readonly watches = new ResourceWatches({
    subscribe: (uri) => this.subscription('resources/subscribe', uri),
    unsubscribe: (uri) => this.subscription('resources/unsubscribe', uri),
  });

  constructor(
    private config: ServerConfig,
    private settings: ConnectionSettings,
    private enabled: boolean,
    private readonly log: Logger,
    /** Where the process groups of a stdio server are remembered. Default: nowhere. */
    private readonly processGroups?: ProcessGroupListener,
    /** Who answers the server's sampling requests. Default: nobody (refused). */
    private readonly sampler: () => Sampler | undefined = () => undefined,
    /** The roots of the server's one `/mcp` client (`clientRoots`). Default: none. */
    private readonly clientRoots: () => ClientRootsState | undefined = () => undefined,
    /** Where a remote server's OAuth tokens and registration are kept. Default: in memory. */
    private readonly oauthStore: OAuthStore = new MemoryOAuthStore(),
  ) {
    super();
    this.state = enabled ? 'stopped' : 'disabled';
  }

  get name(): string {
    return this.config.name;
  }

  /** The server's OAuth client (oauth-client.ts); remote servers only. */
  private get oauth(): OAuthClient | undefined {
    if (this.config.transport === 'stdio') return undefined;
    if (this.sharedOAuth) return this.sharedOAuth();
    return (this.oauthClient ??= new OAuthClient(() => this.config as RemoteServerConfig, this.oauthStore));
  }

  get currentConfig(): ServerConfig {
    return this.config;
  }

  /** Tools of the last successful listing, without `disabledTools`. Kept while reconnecting. */
  tools(): ToolInfo[] {
    return this.lists.tools;
  }

  /** One tool of the last listing, by name (a map lookup: this is on every call's path). */
  tool(name: string): ToolInfo | undefined {
    return this.lists.tool(name);
  }

  /**
   * Whether the server's tools have been listed since it was enabled. Until then a name missing
   * from `tools()` may still be one of its tools.
   */
  get hasListed(): boolean {
    return this.listed;
  }

  /** The current state, without building a whole status. */
  get currentState(): ServerState {
    return this.state;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Epoch ms of the next automatic start while in `backoff`. */
  get retryAt(): number | undefined {
    return this.state === 'backoff' ? this.nextRetryAt : undefined;
  }

  get lastErrorMessage(): string | undefined {
    return this.lastError?.message;
  }

  resources(): ResourceInfo[] {
    return this.lists.resources;
  }

  resourceTemplates(): ResourceTemplateInfo[] {
    return this.lists.resourceTemplates;
  }

  prompts(): PromptInfo[] {
    return this.lists.prompts;
  }

  /** What the server declared it offers beyond tools; nothing while it is not connected. */
  features(): ServerFeatures {
    const capabilities = this.state === 'ready' ? this.client?.getServerCapabilities() : undefined;
    if (!capabilities) return NO_FEATURES;
    return {
      resources: Boolean(capabilities.resources),
      resourceSubscribe: capabilities.resources?.subscribe === true,
      prompts: Boolean(capabilities.prompts),
      completions: Boolean(capabilities.completions),
      logging: Boolean(capabilities.logging),
    };
  }

  /** Reads a resource (`resources/read`). Fails with an `UpstreamCallError` whose `kind` says why. */
  async readResource(uri: string, options: RequestOptions): Promise<ResourceReadResult> {
    const meta = this.modern && { _meta: this.modern.envelope(this.gatewaySamples()) };
    return this.request(options, (client, requestOptions) =>
      client.readResource({ uri, ...meta }, requestOptions),
    ) as Promise<ResourceReadResult>;
  }

  /** Gets a prompt's messages for `args` (`prompts/get`). */
  /**
   * A prompt's messages (`prompts/get`). With `relay` (a caller of the 2026-07-28 era), a
   * 2026-07-28 server's `input_required` round the caller can answer comes back as
   * `inputRequired` (input-relay.ts); ignored for a server spoken to in the 2025 era.
   */
  async getPrompt(name: string, args: Record<string, string>, options: RequestOptions, relay?: InputRelay): Promise<PromptResult> {
    const modern = relay && this.modern;
    if (modern) {
      const result = await this.request(options, () => modern.getPrompt(name, args, relay, options, this.gatewaySamples()));
      return isInputRequired(result) ? { messages: [], inputRequired: relayedRound(result) } : (result as PromptResult);
    }
    const meta = this.modern && { _meta: this.modern.envelope(this.gatewaySamples()) };
    return this.request(options, (client, requestOptions) =>
      client.getPrompt({ name, arguments: args, ...meta }, requestOptions),
    ) as Promise<PromptResult>;
  }

  /**
   * Suggestions for one argument of a prompt or one variable of a resource template
   * (`completion/complete`); `context` holds the values of the arguments already filled in.
   */
  async complete(
    ref: CompletionRef,
    argument: { name: string; value: string },
    context: Record<string, string> | undefined,
    options: RequestOptions,
  ): Promise<CompletionResult> {
    // A 2026-07-28 server gets the per-call envelope, as a resource read or prompt does.
    const meta = this.modern && { _meta: this.modern.envelope(this.gatewaySamples()) };
    const result = await this.request(options, (client, requestOptions) =>
      client.complete({ ref, argument, ...(context && { context: { arguments: context } }), ...meta }, requestOptions),
    );
    return result.completion;
  }

  /**
   * Watches a resource for changes (`resources/subscribe`, shared by every watcher of the URI and
   * renewed after a reconnect): `listener` hears `notifications/resources/updated`. Resolves once
   * the server accepted, with the function that ends the watch; fails with an `UpstreamCallError`
   * (`not-ready`, or the server's refusal).
   */
  async watchResource(uri: string, listener: ResourceUpdated): Promise<() => void> {
    if (!this.features().resourceSubscribe) {
      throw new UpstreamCallError(
        'not-ready',
        `server ${this.name} ${this.state === 'ready' ? 'offers no resource subscriptions' : `is ${this.state}`}`,
      );
    }
    return this.watches.watch(uri, listener);
  }

  /** A request of the current session other than a tool call; failures sorted as for tool calls. */
  private async request<T>(
    options: RequestOptions,
    send: (client: Client, requestOptions: { timeout: number; signal?: AbortSignal }) => Promise<T>,
  ): Promise<T> {
    const client = this.client;
    if (this.perUserListing) throw this.perUserOnly();
    if (this.state !== 'ready' || !client) throw this.notReady();
    const generation = this.generation;
    try {
      return await send(client, { timeout: options.timeoutMs, signal: options.signal });
    } catch (error) {
      throw this.callFailure(error, options.signal, generation);
    }
  }

  private async subscription(method: 'resources/subscribe' | 'resources/unsubscribe', uri: string): Promise<void> {
    const options = { timeoutMs: this.config.initTimeoutMs };
    // A 2026-07-28 server has no resources/subscribe: the URI goes on its listen stream (modern-listen.ts).
    const listener = this.modern?.listener;
    if (listener) {
      await this.request(options, () => (method === 'resources/subscribe' ? listener.watch(uri) : listener.unwatch(uri)));
      return;
    }
    await this.request(options, (client, requestOptions) =>
      method === 'resources/subscribe'
        ? client.subscribeResource({ uri }, requestOptions)
        : client.unsubscribeResource({ uri }, requestOptions),
    );
  }

  status(): ServerStatus {
    const running = this.stdio && !this.stdio.exit ? this.stdio.pid : undefined;
    return {
      name: this.config.name,
      description: this.config.description,
      transport: this.config.transport,
      enabled: this.enabled,
      state: this.state,
      since: this.since,
      pid: running,
      restarts: this.restarts,
      consecutiveFailures: this.consecutiveFailures,
      crashLooping: this.consecutiveFailures >= CRASH_LOOP_THRESHOLD,
      nextRetryAt: this.state === 'backoff' ? this.nextRetryAt : undefined,
      lastError: this.lastError,
      stderrTail: this.stdio?.stderrTail() ?? [],
      serverInfo: this.serverInfo,
      protocolVersion: this.protocolVersion,
      instructions: this.instructions,
      counts: { tools: this.lists.tools.length, resources: this.lists.resources.length, prompts: this.lists.prompts.length },
      ...(this.oauth?.engaged && { oauth: this.oauth.view() }),
    };
  }

  /**
   * Starts a person's sign-in to the server's authorization server, coming back to `redirectUrl`
   * (the gateway's callback): resolves with the URL to send the person to, or `undefined` when
   * none was needed (tokens could be refreshed, or client credentials got them) and the server
   * is connecting. Throws for a stdio server, and with the authorization server's failure.
   */
  async beginSignIn(redirectUrl: string, binding?: string): Promise<URL | undefined> {
    const oauth = this.oauth;
    if (!oauth) throw new Error(`server ${this.name} is a stdio server; OAuth is for remote servers`);
    const url = await oauth.beginSignIn(redirectUrl, binding);
    if (!url) await this.reconnectSignedIn();
    return url;
  }

  /** Whether `state` is that of this server's sign-in under way, brought by the browser that started it (`binding`). */
  ownsSignIn(state: string, binding: string | undefined): boolean {
    return (this.sharedOAuth ? this.sharedOAuth() : this.oauthClient)?.owns(state, binding) ?? false;
  }

  /** Whether the server is remote (it may be behind OAuth). */
  get remote(): boolean {
    return this.config.transport !== 'stdio';
  }

  /**
   * Disconnect: revokes the server's tokens where its authorization server offers it, forgets them
   * and its registration, and connects anew (an enabled server then waits in `needs-sign-in`).
   * Resolves with what could not be revoked, if anything.
   */
  async signOut(): Promise<string | undefined> {
    const oauth = this.oauth;
    if (!oauth) return undefined;
    const failure = await oauth.revoke();
    this.log.info(`server ${this.name}: signed out${failure ? ` (revoking failed: ${failure})` : ''}`);
    if (this.enabled) await this.restart();
    return failure;
  }

  /** Finishes a sign-in with the callback's parameters (oauth-client.ts checks them) and connects. */
  async completeSignIn(params: CallbackParams): Promise<void> {
    const oauth = this.oauth;
    if (!oauth) throw new Error(`server ${this.name} has no sign-in under way`);
    await oauth.completeSignIn(params);
    this.log.info(`server ${this.name}: signed in`);
    await this.reconnectSignedIn();
  }

  /** After a sign-in: connects anew (an enabled server; the connection it had, if any, ended first), forgetting the failures before it. */
  private async reconnectSignedIn(): Promise<void> {
    if (this.enabled) await this.reconnect(false);
  }

  /**
   * The current generation cannot go on without a person signing in: end the connection and
   * wait in `needs-sign-in` (no retry: only a sign-in, a restart or a reload connects again).
   */
  private waitForSignIn(generation: number, reason: string): void {
    if (generation !== this.generation) return;
    this.generation++;
    this.clearTimers();
    this.failure = { generation, reason };
    this.lastError = { message: reason, at: Date.now(), stderrTail: [] };
    this.nextRetryAt = undefined;
    this.log.warn(`server ${this.name} needs a person to sign in: ${reason}`);
    void this.teardown();
    this.setState('needs-sign-in');
  }

  /** The failure of a request to a server in `needs-sign-in`. */
  private notReady(): UpstreamCallError {
    return this.state === 'needs-sign-in'
      ? new UpstreamCallError(
          'needs-sign-in',
          `server ${this.name} needs a person to sign in (Connect on its page, or mcp-gateway oauth login ${this.name})`,
        )
      : new UpstreamCallError('not-ready', `server ${this.name} is ${this.state}`);
  }

  /** The refusal of a request to the listing connection of a `perUserAuth` server (it holds another user's tokens). */
  private perUserOnly(): UpstreamCallError {
    return new UpstreamCallError(
      'connect-first',
      `server ${this.name} is used with each user's own account (perUserAuth): only tool calls made for a connected user reach it`,
    );
  }

  /** A request's failure: a lost authorization moves the server to `needs-sign-in`, and the failure says so. */
  private callFailure(error: unknown, signal: AbortSignal | undefined, generation: number): UpstreamCallError {
    if (needsSignIn(error)) {
      this.waitForSignIn(generation, describeError(error));
      return this.notReady();
    }
    const why = this.failure?.generation === generation ? this.failure.reason : undefined;
    return classifyCallError(error, signal, why, this.modern !== undefined);
  }

  /**
   * Calls a tool on the current session. Progress from the server resets `timeoutMs` (up to
   * `maxTotalTimeoutMs`); a timeout or an aborted `signal` sends `notifications/cancelled`
   * upstream. A tool that requires task execution runs as a task (task-calls.ts: its own timeouts
   * and `tasks/cancel`; on a 2026-07-28 server modern-tasks.ts, through modern-client.ts). Fails
   * with an `UpstreamCallError` whose `kind` says why.
   */
  async callTool(name: string, args: Record<string, unknown>, options: ToolCallOptions): Promise<ToolCallResult> {
    const client = this.client;
    const tasks = this.tasks;
    const modern = this.modern;
    if (this.perUserListing) throw this.perUserOnly();
    if (this.state !== 'ready' || !client || (!tasks && !modern)) throw this.notReady();
    const generation = this.generation;
    const direct = this.direct;
    const onLog = options.onLog;
    if (onLog) this.logListeners.add(onLog);
    const inFlight: CallInFlight = { elicit: options.onElicit, sample: options.onSample, hold: NO_HOLD };
    this.calls.add(inFlight);
    try {
      let result: CallToolResult;
      if (modern) {
        // No hold: a person answers between the rounds, while no request of the call is pending.
        const samples = this.gatewaySamples(options.onSample !== undefined);
        result = await this.modernCall.run(inFlight, () => modern.callTool(name, args, options, samples));
        return toolCallResult(result, options.relay !== undefined);
      }
      const metadata = toolMetadata(client);
      // A tool that requires a task runs as one; an optional one when the caller does not wait (`preferTask`).
      if (metadata.isToolTaskRequired(name) || (options.preferTask === true && metadata.isToolTask(name))) {
        // No hold: a task has no one request whose timeout a person's answer could overrun.
        result = await tasks!.call(client, name, args, options, (taskId) => (inFlight.taskId = taskId));
        checkOutputSchema(name, result, metadata.getToolOutputValidator(name));
      } else if (direct) {
        inFlight.hold = directCallHold(direct, direct.nextCallId());
        result = await direct.call(name, args, options);
        checkOutputSchema(name, result, metadata.getToolOutputValidator(name));
      } else {
        inFlight.requestId = nextRequestId(client);
        inFlight.hold = sdkRequestHold(client, inFlight.requestId);
        // The result of CALL_RESULT_SCHEMA (the SDK's types add its old `toolResult` shape too).
        result = (await client.callTool({ name, arguments: args }, CALL_RESULT_SCHEMA, {
          timeout: options.timeoutMs,
          resetTimeoutOnProgress: true,
          maxTotalTimeout: options.maxTotalTimeoutMs,
          signal: options.signal,
          // Always asked for: progress is what keeps a long call within its timeout.
          onprogress: (progress) => options.onProgress?.(progress),
        })) as CallToolResult;
      }
      return toolCallResult(result);
    } catch (error) {
      throw this.callFailure(error, options.signal, generation);
    } finally {
      if (onLog) this.logListeners.delete(onLog);
      this.calls.delete(inFlight);
    }
  }

  /**
   * Whether a 2026-07-28 caller that declared `declared` would have the server's -32021 (`required`,
   * bounded) met by declaring those capabilities too (input-relay.ts `callerWouldSupply`); false
   * for a server spoken to in the 2025 era.
   */
  callerWouldSupply(declared: InputRelay['capabilities'] | undefined, required: Record<string, unknown>): boolean {
    const modern = this.modern;
    if (!modern) return false;
    const samples = this.gatewaySamples();
    const now = modern.declares(samples, declared && { capabilities: declared });
    return callerWouldSupply(required, now, modern.declares(samples, { capabilities: declaringToo(declared, required) }));
  }

  /**
   * Who answers a sampling request of the server now (input-relay.ts `CallSampling`; read at use: a
   * reload applies): none when the approval policy denies all of the server's sampling; else the
   * gateway's `sampling` endpoint when it serves the server, or (`forwarded`) the caller's own
   * model, through the sampler too, which applies the policy (client-requests.ts); else only a
   * relaying caller that declared sampling.
   */
  private gatewaySamples(forwarded = false): CallSampling {
    const sampler = this.sampler();
    if (sampler?.mayAnswer?.(this.name) === false) return 'none';
    return sampler !== undefined && (forwarded || this.config.sampling) ? 'gateway' : 'relay';
  }

  /**
   * What answers a `sampling/createMessage` (`requestId`: its JSON-RPC id): the hold of the call it
   * belongs to (see `callOf`), so that a person approving it does not time the call out, and that
   * call's caller's own model when it has one (an `/mcp` client that declared sampling), its
   * timeout stopped while the client answers. No call: neither (the gateway's `sampling` endpoint,
   * if any, answers).
   */
  private samplingOf(requestId: string | number, meta: Record<string, unknown> | undefined): SamplingAnswerers {
    const call = this.callOf(requestId, meta);
    if (!call) return {};
    const { sample, hold } = call;
    if (!sample) return { hold };
    const forward: CallSampler = async (request, signal) => {
      const paused = hold.pause();
      try {
        return await sample(request, signal);
      } finally {
        if (paused) hold.resume();
      }
    };
    return { hold, forward };
  }

  /**
   * Answers an `elicitation/create` (`requestId`: its JSON-RPC id): the call it belongs to (see
   * `callOf`) answers it, its timeout stopped meanwhile (a person's time is not the server's
   * silence); a request of no call goes to the fallback (a question about the server).
   */
  private async elicit(params: Record<string, unknown>, requestId: string | number, signal: AbortSignal): Promise<ElicitationAnswer> {
    const request = elicitationRequest(params);
    const call = this.callOf(requestId, params._meta as Record<string, unknown> | undefined);
    const elicitor = call?.elicit ?? this.fallbackElicitor;
    if (!elicitor) return { action: 'cancel' };
    const hold = call?.elicit ? call.hold : NO_HOLD;
    const paused = hold.pause();
    try {
      const answer = await elicitor(request, signal);
      return answer.action === 'accept' && request.mode === 'form' ? answer : { action: answer.action };
    } finally {
      if (paused) hold.resume();
    }
  }

  /**
   * The tool call a server's request (`requestId`: its JSON-RPC id; `meta`: its `params._meta`)
   * belongs to, if any. A request for a task names the task (`io.modelcontextprotocol/related-task`):
   * the call that runs it. Over streamable HTTP the stream it came on says it exactly: the call whose
   * response stream it is, or none (another request's stream). Elsewhere (stdio, SSE, the session's
   * own stream) MCP does not say, so it is the server's one call in flight, and none when several are.
   */
  private callOf(requestId: string | number, meta: Record<string, unknown> | undefined): CallInFlight | undefined {
    const modern = this.modern && this.modernCall.getStore();
    if (modern) return modern;
    const related = this.relations?.relatedRequest(requestId);
    // A request for a task says so itself (and comes on the stream of `tasks/result`, not of the call).
    const task = meta?.[RELATED_TASK_META_KEY] as { taskId?: unknown } | undefined;
    if (typeof task?.taskId === 'string') return this.calls.values().find((call) => call.taskId === task.taskId);
    if (related !== undefined) return this.calls.values().find((call) => call.requestId === related);
    return this.calls.size === 1 ? this.calls.values()[0] : undefined;
  }

  /** The server's last log messages (`notifications/message`), oldest first. */
  logMessages(): ServerLogEntry[] {
    return this.serverLog.entries();
  }

  /** The log level in force: the UI's choice while it lasts, else the config's `logLevel`. */
  get logLevel(): LogLevel | undefined {
    return this.chosenLevel ?? this.config.logLevel;
  }

  /** The log level chosen in the UI, if any. */
  get levelOverride(): LogLevel | undefined {
    return this.chosenLevel;
  }

  /**
   * Sets the server's log level until the gateway restarts (`undefined`: back to the config's).
   * It is sent at once when the server is ready and declared `logging`, and after each reconnect.
   */
  setLogLevel(level: LogLevel | undefined): void {
    this.chosenLevel = level;
    this.applyLogLevel(this.generation);
  }

  /** Asks the server for the log level in force (`logging/setLevel`), when it has one and declared `logging`. */
  private applyLogLevel(generation: number): void {
    const level = this.logLevel;
    const client = this.client;
    if (!level || !client || generation !== this.generation || this.state !== 'ready' || !this.features().logging) return;
    client.setLoggingLevel(level, { timeout: this.settings.pingTimeoutMs }).catch((error: unknown) => {
      this.log.warn({ error: describeError(error), level }, `server ${this.name}: logging/setLevel failed`);
    });
  }

  /** Starts the server if it is enabled and not running yet. Never throws, never waits. */
  start(): void {
    if (!this.enabled) {
      this.setState('disabled');
      return;
    }
    if (this.state === 'starting' || this.state === 'ready' || this.state === 'backoff') return;
    this.connect();
  }

  /** Ends the connection (and the process group of a stdio server) and settles in `final`. */
  async stop(final: 'stopped' | 'disabled' = 'stopped'): Promise<void> {
    this.generation++;
    this.clearTimers();
    const closed = this.teardown({ endSession: true });
    this.setState(final);
    await closed;
  }

  /** Stops and starts again at once, forgetting earlier failures. */
  async restart(): Promise<void> {
    await this.reconnect(true);
  }

  /** Ends the current connection (and its session), then connects anew, forgetting the failures before. */
  private async reconnect(counted: boolean): Promise<void> {
    const generation = ++this.generation;
    this.clearTimers();
    await this.teardown({ endSession: true });
    // A stop (or another restart) while this one waited for the old connection to end wins.
    if (generation !== this.generation) return;
    if (counted) this.restarts++;
    this.consecutiveFailures = 0;
    this.connect();
  }

  async setEnabled(enabled: boolean): Promise<void> {
    if (enabled === this.enabled) return;
    this.enabled = enabled;
    if (enabled) {
      this.consecutiveFailures = 0;
      this.connect();
    } else {
      this.lists.clear();
      this.listed = false;
      await this.stop('disabled');
      this.emit('lists', this.name);
    }
  }

  /**
   * Whether `caller` may call the server's tools. Not while the server works in the roots of another
   * identity's `/mcp` client (`clientRoots`, no configured roots): those it has now, and those it was
   * given in this connection (a server may keep them: server-filesystem ignores an empty list).
   */
  rootsAllow(caller: string): boolean {
    if (this.config.clientRoots !== true || this.config.roots.length > 0) return true;
    const given = this.rootsGivenTo;
    const holder = this.clientRoots()?.one?.owner;
    return (given === undefined || given === caller) && (holder === undefined || holder === caller);
  }

  /**
   * The roots of the server's `/mcp` client changed (another client, none, or its own
   * `roots/list_changed`): tells the server, when it gets them (`clientRoots`, no configured roots).
   * A server that was given one client's roots, which are no longer its, starts anew instead: it
   * cannot be made to forget them otherwise.
   */
  clientRootsChanged(): void {
    if (this.config.clientRoots !== true || this.config.roots.length > 0) return;
    const given = this.rootsGivenTo;
    // Another identity's client came, or the last of its own went.
    const owners = this.clientRoots()?.owners ?? [];
    const elsewhere = owners.some((owner) => owner !== given) || !owners.includes(given!);
    if (given !== undefined && elsewhere && this.state === 'ready') {
      this.log.info(`server ${this.name}: restarted, so that it forgets the roots of the /mcp client that held it`);
      void this.restart();
      return;
    }
    this.sendRootsListChanged();
  }

  /** Whose `/mcp` client's roots the server was given in this connection, if any. */
  private get rootsGivenTo(): string | undefined {
    return this.rootsGiven?.generation === this.generation ? this.rootsGiven.owner : undefined;
  }

  /** The roots of the server's one `/mcp` client, noting whose they are when the server is given them. */
  private givenClientRoots(): ClientRootsState | undefined {
    const roots = this.clientRoots();
    if (roots?.one) this.rootsGiven = { owner: roots.one.owner, generation: this.generation };
    return roots;
  }

  /** Sends `notifications/roots/list_changed`, when the server is up and roots are declared to it. */
  private sendRootsListChanged(): void {
    // Declared roots stay declared (a change of what is declared reconnects, see supervisor.ts).
    if (this.state !== 'ready' || !this.client || !clientCapabilities(this.config).roots) return;
    this.client
      .sendRootsListChanged()
      .catch((error: unknown) => this.log.warn({ error: describeError(error) }, `server ${this.name}: sending roots/list_changed failed`));
  }

  /**
   * Takes settings that do not need a new connection (timeouts, limits, disabledTools, ping).
   * The supervisor restarts the connection instead when the transport settings changed.
   */
  update(config: ServerConfig, settings: ConnectionSettings): void {
    const toolsChanged = config.disabledTools.join('\n') !== this.config.disabledTools.join('\n');
    const pingChanged = settings.pingIntervalMs !== this.settings.pingIntervalMs;
    const rootsChanged = JSON.stringify(config.roots) !== JSON.stringify(this.config.roots);
    const levelChanged = config.logLevel !== this.config.logLevel;
    this.config = config;
    this.settings = settings;
    if (pingChanged && this.state === 'ready' && this.client) this.startPing(this.generation, this.client);
    if (toolsChanged && this.state === 'ready') this.refresh(this.generation, 'tools');
    // Declared roots stay declared (a change of what is declared reconnects, see supervisor.ts).
    if (rootsChanged) this.sendRootsListChanged();
    if (levelChanged) this.applyLogLevel(this.generation);
    this.emit('change', this.status());
  }

  private setState(state: ServerState): void {
    if (state === this.state) return;
    this.log.info({ from: this.state, to: state }, `server ${this.name}: ${state}`);
    this.state = state;
    this.since = Date.now();
    this.emit('change', this.status());
  }

  private connect(): void {
    const generation = ++this.generation;
    this.clearTimers();
    this.setState('starting');
    void this.establish(generation);
  }

  private async establish(generation: number): Promise<void> {
    await this.closing; // the previous process must be gone before the next one starts
    if (generation !== this.generation) return;

    const capabilities = clientCapabilities(this.config);
    const answers = clientRequestAnswers(
      () => this.config,
      this.sampler,
      (requestId, meta) => this.samplingOf(requestId, meta),
      () => this.givenClientRoots(),
    );
    const config = this.config;
    const established = speaksModern(config)
      ? await this.modernClient(generation, config, capabilities, answers)
      : this.legacyClient(generation, capabilities, answers);
    if (!established) return;
    const { client, start } = established;

    const timeoutMs = this.config.initTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to initialize within ${timeoutMs} ms`)), timeoutMs);
    });
    const started = start();
    if (this.transport) this.handshake = { transport: this.transport, settled: started.catch(() => undefined) };
    try {
      await Promise.race([
        (async () => {
          await started;
          // Stopped or restarted before initialize was answered (the stop waited for the answer, to end the session).
          if (generation !== this.generation) return;
          await this.loadLists(generation, client);
        })(),
        timeout,
      ]);
    } catch (error) {
      if (needsSignIn(error)) this.waitForSignIn(generation, describeError(error));
      else this.fail(generation, `${describeError(error)} (during initialize)`);
      return;
    } finally {
      clearTimeout(timer);
    }
    if (generation !== this.generation) return;

    const info = client.getServerVersion();
    this.serverInfo = info ? { name: info.name, version: info.version, title: info.title } : undefined;
    this.instructions = client.getInstructions();
    this.nextRetryAt = undefined;
    this.setState('ready');
    this.emit('lists', this.name);
    this.renewWatches(generation);
    this.applyLogLevel(generation);
    this.startPing(generation, client);
    this.stableTimer = setTimeout(() => {
      this.consecutiveFailures = 0;
      this.emit('change', this.status());
    }, STABLE_AFTER_MS).unref();
  }

  /** The SDK 1.x client of a 2025-era server (any transport), with its handlers. */
  private legacyClient(
    generation: number,
    capabilities: ReturnType<typeof clientCapabilities>,
    answers: ClientRequestAnswers,
  ): { client: Client; start: () => Promise<void> } {
    const transport = this.createTransport();
    const client = new Client(CLIENT_INFO, { capabilities, jsonSchemaValidator: validatorOnFirstUse() });
    const direct =
      transport instanceof StdioProcessTransport
        ? new DirectCalls(
            (message) => transport.send(message),
            (error) => this.onTransportError(generation, error),
          )
        : undefined;
    this.client = client;
    this.transport = transport;
    this.direct = direct;
    this.modern = undefined;
    const tasks = new TaskCalls(client);
    this.tasks = tasks;
    const setProtocolVersion = transport.setProtocolVersion?.bind(transport);
    transport.setProtocolVersion = (version: string) => {
      this.protocolVersion = version;
      setProtocolVersion?.(version);
    };
    // While starting, establish() reports the failure with its real cause (a close only rejects
    // the pending initialize); once ready, a close is the failure.
    client.onclose = () => {
      if (this.state !== 'starting') this.fail(generation, 'connection closed');
      direct?.close();
      tasks.close();
    };
    client.onerror = (error) => this.onTransportError(generation, error);
    answerClientRequests(client, answers);
    // The SDK refuses a handler for a capability not declared (a server's `elicitation: false`).
    if (capabilities.elicitation)
      client.setRequestHandler(ElicitRequestSchema, (request, extra) =>
        this.elicit(request.params, extra.requestId, extra.signal).then((answer) => ({ ...answer })),
      );
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => this.refresh(generation, 'tools'));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, async () => {
      this.refresh(generation, 'resources');
      this.refresh(generation, 'resourceTemplates');
    });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (notification) => {
      if (generation === this.generation) this.watches.updated(notification.params.uri);
    });
    client.setNotificationHandler(PromptListChangedNotificationSchema, async () => this.refresh(generation, 'prompts'));
    client.setNotificationHandler(LoggingMessageNotificationSchema, async (notification) => {
      if (generation !== this.generation) return;
      const { level, logger, data } = notification.params;
      const message = { level, ...(logger !== undefined && { logger }), data };
      this.serverLog.add(message, this.settings.serverLogLines);
      for (const listener of this.logListeners.values()) listener(message);
    });
    return {
      client,
      start: async () => {
        await client.connect(transport);
        if (direct) routeDirectCalls(transport, direct);
      },
    };
  }

  /** The client of a server spoken to in the 2026-07-28 era (modern-client.ts). */
  private async modernClient(
    generation: number,
    config: RemoteServerConfig,
    capabilities: ReturnType<typeof clientCapabilities>,
    answers: ClientRequestAnswers,
  ): Promise<{ client: Client; start: () => Promise<void> } | undefined> {
    const base = withServerHeaders(config, fetch);
    const session = await modernSession(
      config,
      CLIENT_INFO,
      capabilities,
      {
        ...answers,
        elicit: (params, requestId, signal) => this.elicit(params, requestId, signal),
        samplingRefusal: (params) => this.sampler()?.refusal?.(this.name, params),
      },
      {
        // The same as a 2025 session's notifications (legacyClient), from the listen stream.
        listChanged: (kind) => {
          this.refresh(generation, kind);
          if (kind === 'resources') this.refresh(generation, 'resourceTemplates');
        },
        resourceUpdated: (uri) => {
          if (generation === this.generation) this.watches.updated(uri);
        },
        resync: () => {
          for (const kind of ['tools', 'prompts', 'resources', 'resourceTemplates'] as const) this.refresh(generation, kind);
          if (generation === this.generation) for (const uri of this.watches.uris()) this.watches.updated(uri);
        },
        listenFailed: (error) =>
          this.log.warn({ error: describeError(error) }, `server ${this.name}: its subscriptions/listen stream could not be opened`),
      },
      config.initTimeoutMs,
      // The OAuth flow's requests go through the OAuth client's bounded fetch (bearer), not the transport's.
      { fetch: this.oauth!.fetch(base), auth: this.oauth!.bearer(base) },
    );
    // Stopped or restarted while the client loaded.
    if (generation !== this.generation) return undefined;
    const client = session.client;
    this.stdio = undefined;
    this.relations = undefined;
    this.client = client;
    this.transport = session.transport as unknown as Transport;
    this.direct = undefined;
    this.tasks = undefined;
    this.modern = session;
    client.onclose = () => {
      if (this.state !== 'starting') this.fail(generation, 'connection closed');
    };
    client.onerror = (error) => this.onTransportError(generation, error);
    return {
      client,
      start: async () => {
        await session.connect();
        this.protocolVersion = MODERN_PROTOCOL;
      },
    };
  }

  private createTransport(): Transport {
    const config = this.config;
    this.relations = undefined;
    if (config.transport === 'stdio') {
      this.stdio = new StdioProcessTransport({
        command: config.command,
        args: config.args,
        env: safeEnvironment(config.env),
        cwd: config.cwd,
        stopGraceMs: this.settings.stopGraceMs,
        maxLineBytes: () => this.settings.maxMessageBytes,
        processGroups: this.processGroups,
      });
      return this.stdio;
    }
    this.stdio = undefined;
    // The configured headers (API keys) go to the server's own origin only: the SDK would merge a
    // transport's `requestInit` headers into its requests to a third-party authorization server too.
    // The OAuth flow's requests that the SDK's auth() makes through the transport's fetch (metadata,
    // registration, token) are told apart there and bounded (OAuthClient.fetch).
    const url = new URL(config.url);
    const authProvider = this.oauth!;
    if (config.transport === 'sse')
      return new SSEClientTransport(url, { authProvider, fetch: authProvider.fetch(withServerHeaders(config, fetch)) });
    this.relations = new StreamRelations();
    return new StreamableHTTPClientTransport(url, {
      authProvider,
      fetch: authProvider.fetch(withServerHeaders(config, this.relations.fetch)),
    });
  }

  /**
   * A failure of the current generation: record why, end the connection, and schedule the next
   * start after an exponential backoff. Later reports for the same generation are ignored.
   */
  private fail(generation: number, reason: string): void {
    if (generation !== this.generation) return;
    this.generation++;
    this.clearTimers();
    const exit = this.stdio?.exit;
    const message = exit ? `${exitText(exit.code, exit.signal)}; ${reason}` : reason;
    this.failure = { generation, reason: message };
    this.lastError = {
      message,
      at: Date.now(),
      exitCode: exit?.code,
      signal: exit?.signal,
      stderrTail: this.stdio?.stderrTail() ?? [],
    };
    this.consecutiveFailures++;
    this.log.warn({ error: message, failures: this.consecutiveFailures }, `server ${this.name} failed`);
    void this.teardown();
    this.setState('error');

    const delay = restartDelay(this.consecutiveFailures, {
      initialMs: this.settings.backoffInitialMs,
      maxMs: this.settings.backoffMaxMs,
    });
    this.nextRetryAt = Date.now() + delay;
    this.setState('backoff');
    const retryGeneration = this.generation;
    this.retryTimer = setTimeout(() => {
      if (retryGeneration !== this.generation) return;
      this.restarts++;
      this.connect();
    }, delay);
  }

  private onTransportError(generation: number, error: Error): void {
    if (generation !== this.generation) return;
    if (error instanceof OversizedMessageError) {
      this.log.warn({ bytes: error.bytes, limit: error.limit }, `server ${this.name}: ${error.message} (gateway.maxMessageBytes)`);
      return;
    }
    this.log.debug({ error: error.message }, `server ${this.name}: transport error`);
    // A remote server that went away shows up as transport errors long before any timeout:
    // check at once (at most once a second) whether it still answers.
    if (this.config.transport !== 'stdio' && this.state === 'ready' && this.client) {
      const now = Date.now();
      if (now - this.lastHealthCheck >= 1000) {
        this.lastHealthCheck = now;
        void this.ping(generation, this.client);
      }
    }
  }

  private startPing(generation: number, client: Client): void {
    clearInterval(this.pingTimer);
    if (this.settings.pingIntervalMs <= 0) return;
    this.pingTimer = setInterval(() => void this.ping(generation, client), this.settings.pingIntervalMs);
    this.pingTimer.unref();
  }

  private async ping(generation: number, client: Client): Promise<void> {
    if (this.pinging) return;
    this.pinging = true;
    try {
      const modern = this.modern?.client === client ? this.modern : undefined;
      await (modern ? modern.check(this.settings.pingTimeoutMs) : client.ping({ timeout: this.settings.pingTimeoutMs }));
    } catch (error) {
      if (needsSignIn(error)) this.waitForSignIn(generation, describeError(error));
      else this.fail(generation, `ping failed: ${describeError(error)}`);
    } finally {
      this.pinging = false;
    }
  }

  /** Re-lists one kind after a `list_changed` notification; coalesces bursts into one more listing. */
  private refresh(generation: number, kind: ListKind): void {
    const client = this.client;
    if (generation !== this.generation || !client) return;
    const running = this.refreshing.get(kind);
    if (running) {
      running.dirty = true;
      return;
    }
    const flag = { dirty: false };
    this.refreshing.set(kind, flag);
    void (async () => {
      try {
        do {
          flag.dirty = false;
          if (await this.load(generation, client, kind)) {
            this.emit('lists', this.name);
            this.emit('change', this.status());
          }
        } while (flag.dirty && generation === this.generation);
      } catch (error) {
        this.log.warn({ error: describeError(error) }, `server ${this.name}: listing ${kind} failed`);
      } finally {
        this.refreshing.delete(kind);
      }
    })();
  }

  /**
   * Subscribes again to every watched resource on a new session; watchers hear an update, since
   * the resource may have changed while the server was away.
   */
  private renewWatches(generation: number): void {
    const uris = this.watches.uris();
    const renewed = (uri: string) => {
      if (generation === this.generation) this.watches.updated(uri);
    };
    const failed = (uri: string | string[]) => (error: unknown) =>
      this.log.warn({ uri, error: describeError(error) }, `server ${this.name}: subscribing again to a resource failed`);
    // A 2026-07-28 server's watched resources go on one listen stream together (modern-listen.ts).
    const listener = this.modern?.listener;
    if (listener) {
      if (uris.length > 0)
        this.request({ timeoutMs: this.config.initTimeoutMs }, () => listener.watchAll(uris)).then(
          () => uris.forEach(renewed),
          failed(uris),
        );
      return;
    }
    for (const uri of uris) this.subscription('resources/subscribe', uri).then(() => renewed(uri), failed(uri));
  }

  /** The first listing after connecting. A server whose resources or prompts fail to list is still usable for its tools. */
  private async loadLists(generation: number, client: Client): Promise<void> {
    const tolerate = (kind: ListKind) => (error: unknown) => {
      this.log.warn({ error: describeError(error) }, `server ${this.name}: listing ${kind} failed`);
      return false;
    };
    await Promise.all([
      this.load(generation, client, 'tools'),
      this.load(generation, client, 'resources').catch(tolerate('resources')),
      this.load(generation, client, 'resourceTemplates').catch(tolerate('resourceTemplates')),
      this.load(generation, client, 'prompts').catch(tolerate('prompts')),
    ]);
  }

  /**
   * Lists one kind and stores the result unless a listing that started later has already been
   * stored: the initial listing and `list_changed` refreshes may overlap, and the newer one wins.
   * Returns whether the result was stored.
   */
  private async load(generation: number, client: Client, kind: ListKind): Promise<boolean> {
    // A perUserAuth server's listing connection lists its tools only: its resources and prompts are
    // the listing user's own (their files, their data), not to be shown to every caller.
    if (this.perUserListing && kind !== 'tools') return false;
    const ticket = this.lists.begin();
    const list = await fetchList(client, kind, () => this.config.disabledTools);
    if (generation !== this.generation || !this.lists.store(kind, ticket, list)) return false;
    if (kind === 'tools') this.listed = this.enabled;
    return true;
  }

  /**
   * Closes client and transport of the current generation; resolves when the process is gone.
   * With `endSession`, a streamable HTTP session is ended politely first (`DELETE`), waiting at
   * most `SESSION_END_TIMEOUT_MS`: a deliberate stop should not leave the session to expire. A
   * connection stopped while its `initialize` is unanswered has no session id yet, though the
   * server may have opened the session: it waits for the answer (within the same bound) to end it.
   */
  private teardown({ endSession = false } = {}): Promise<void> {
    const client = this.client;
    const transport = this.transport;
    const handshake = this.handshake?.transport === transport ? this.handshake?.settled : undefined;
    this.handshake = undefined;
    this.client = undefined;
    this.transport = undefined;
    this.direct = undefined;
    this.tasks = undefined;
    this.modern?.listener.stop();
    this.modern?.tasks.close();
    this.modern = undefined;
    if (!client && !transport) return this.closing;
    this.closing = (async () => {
      if (endSession && transport instanceof StreamableHTTPClientTransport && (transport.sessionId || handshake)) {
        let timer: NodeJS.Timeout | undefined;
        const end = async () => {
          if (!transport.sessionId) await handshake;
          if (transport.sessionId) await transport.terminateSession();
        };
        await Promise.race([end().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, SESSION_END_TIMEOUT_MS)))]);
        clearTimeout(timer);
      }
      try {
        await client?.close();
      } catch (error) {
        this.log.debug({ error: describeError(error) }, `server ${this.name}: close failed`);
      }
      try {
        await transport?.close();
      } catch {
        // already closed by the client
      }
    })();
    return this.closing;
  }

  private clearTimers(): void {
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.stableTimer);
    this.retryTimer = this.pingTimer = this.stableTimer = undefined;
  }
}

/**
 * Puts `direct` in front of the SDK client on the transport: answers and progress of its calls
 * never reach the SDK (which would check each message with zod first). After `client.connect`,
 * which installs the SDK's own handler.
 */
function routeDirectCalls(transport: Transport, direct: DirectCalls): void {
  const sdk = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if (!direct.take(message)) sdk?.(message, extra);
  };
}

/**
 * What the SDK client learned from `tools/list` for `callTool` (private in its types): the tools
 * that must or may run as tasks, and the compiled check of each tool's outputSchema.
 */
function toolMetadata(client: Client): {
  isToolTaskRequired(name: string): boolean;
  /** Whether the tool may run as a task (`required` or `optional`) on a server that takes task tool calls. */
  isToolTask(name: string): boolean;
  getToolOutputValidator(name: string): OutputValidator | undefined;
} {
  return client as unknown as ReturnType<typeof toolMetadata>;
}

/** `relays`: the call is a 2026-07-28 server's, for a caller that relays its input_required rounds (input-relay.ts). */
function toolCallResult(result: CallToolResult, relays = false): ToolCallResult {
  if (isInputRequired(result)) {
    if (!relays) throw new UpstreamCallError('protocol', 'the server answered input_required to a call that cannot relay it');
    return { content: [], isError: false, inputRequired: relayedRound(result) };
  }
  return {
    content: (result.content ?? []) as ContentItem[],
    structuredContent: result.structuredContent as Record<string, unknown> | undefined,
    isError: result.isError === true,
  };
}

function exitText(code: number | null, signal: string | null): string {
  return signal ? `process killed by ${signal}` : `process exited with code ${code}`;
}

/** `next` with the server's configured `headers` on its requests to the server's own origin (over the transport's). */
function withServerHeaders(config: RemoteServerConfig, next: FetchLike): FetchLike {
  const entries = Object.entries(config.headers ?? {});
  if (entries.length === 0) return next;
  const origin = new URL(config.url).origin;
  return (input, init) => {
    if (new URL(input).origin !== origin) return next(input, init);
    const headers = new Headers(init?.headers);
    for (const [name, value] of entries) headers.set(name, value);
    return next(input, { ...init, headers });
  };
}

/**
 * The SDK client's JSON Schema validator (of tools' output schemas), as the SDK would make it, but
 * when the first schema comes rather than with the client: making it loads ajv and compiles its
 * meta-schemas, which start-up need not wait for (README, "Performance"). One per client, as the SDK's.
 */
function validatorOnFirstUse(): jsonSchemaValidator {
  let validator: AjvJsonSchemaValidator | undefined;
  return { getValidator: (schema) => (validator ??= new AjvJsonSchemaValidator()).getValidator(schema) };
}
