/**
 * What the rest of the gateway sees of an upstream MCP server: plain data, no SDK types, so that
 * only this folder changes when the SDK does.
 */
import type { Root, TransportKind } from '../config/types.js';
import type { UserOAuthView } from './per-user-connections.js';

/**
 * Every state a server can be in, in a fixed order (the API's enum, the metrics' label values).
 * `needs-sign-in`: a remote server behind OAuth that waits for a person to sign in (Connect); it is not retried on its own.
 */
export const SERVER_STATES = ['disabled', 'starting', 'ready', 'error', 'backoff', 'stopped', 'needs-sign-in'] as const;
export type ServerState = (typeof SERVER_STATES)[number];

export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface ToolInfo {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: ToolAnnotations;
  /**
   * The tool exactly as the server listed it (`icons`, `_meta`, `execution` and fields of later
   * protocol revisions included), for surfaces that pass definitions through (`/mcp`).
   */
  definition?: Readonly<Record<string, unknown>>;
}

export interface ResourceInfo {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  /** Size of the raw content in bytes, when the server tells. */
  size?: number;
  /** The resource exactly as the server listed it (`annotations`, `icons`, `_meta`, …), for surfaces that pass it through. */
  definition?: Readonly<Record<string, unknown>>;
}

export interface ResourceTemplateInfo {
  /** An RFC 6570 URI template, e.g. `file:///{path}`. */
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
  /** The template exactly as the server listed it. */
  definition?: Readonly<Record<string, unknown>>;
}

export interface PromptInfo {
  name: string;
  title?: string;
  description?: string;
  arguments?: { name: string; title?: string; description?: string; required?: boolean }[];
  /** The prompt exactly as the server listed it. */
  definition?: Readonly<Record<string, unknown>>;
}

/** What a server declared it offers beyond tools (from `initialize` or `server/discover`). */
export interface ServerFeatures {
  resources: boolean;
  /** `resources/subscribe` and `notifications/resources/updated`. */
  resourceSubscribe: boolean;
  prompts: boolean;
  /** `completion/complete` for prompt arguments and resource template variables. */
  completions: boolean;
  /** `logging/setLevel`. */
  logging: boolean;
}

/** One item of a `resources/read` result: text, or a base64 `blob`. */
export interface ResourceContents {
  uri: string;
  mimeType?: string;
  text?: string;
  /** Base64. */
  blob?: string;
  _meta?: Record<string, unknown>;
}

export interface ResourceReadResult {
  contents: ResourceContents[];
  _meta?: Record<string, unknown>;
}

export interface PromptMessage {
  role: 'user' | 'assistant';
  /** A text, image, audio, resource_link or embedded resource content item. */
  content: ContentItem;
}

export interface PromptResult {
  description?: string;
  messages: PromptMessage[];
  _meta?: Record<string, unknown>;
  /** A 2026-07-28 server's `input_required` round, for a caller that relays it (`messages` empty then). Default: none. */
  inputRequired?: RelayedInputRequired;
}

/** What `completion/complete` completes: a prompt's argument, or a variable of a resource template. */
export type CompletionRef = { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string };

export interface CompletionResult {
  /** At most 100 suggestions. */
  values: string[];
  total?: number;
  hasMore?: boolean;
}

/** Options of a request other than a tool call (reads, prompts, completions). */
export interface RequestOptions {
  /** Time after which the request fails, in ms. */
  timeoutMs: number;
  /** Aborting it cancels the request upstream. */
  signal?: AbortSignal;
}

export interface LastError {
  message: string;
  /** Epoch ms. */
  at: number;
  /** For a stdio server that exited. */
  exitCode?: number | null;
  signal?: string | null;
  /** The process's last stderr lines when it failed. */
  stderrTail: string[];
}

export interface ServerStatus {
  name: string;
  description?: string;
  transport: TransportKind;
  /** Effective: a run-time override wins over the file. */
  enabled: boolean;
  state: ServerState;
  /** Epoch ms of the last state change. */
  since: number;
  /** Process id of a running stdio server. */
  pid?: number;
  /** Automatic and manual restarts since the gateway started. */
  restarts: number;
  /** Failures since the server was last ready for a while. */
  consecutiveFailures: number;
  /** Set when the server fails right after each start. */
  crashLooping: boolean;
  /** Epoch ms of the next automatic start, in `backoff`. */
  nextRetryAt?: number;
  lastError?: LastError;
  stderrTail: string[];
  serverInfo?: { name: string; version: string; title?: string };
  protocolVersion?: string;
  instructions?: string;
  counts: { tools: number; resources: number; prompts: number };
  /** A server behind OAuth (configured, or asked for by its 401): whether tokens are held, when they expire, their scopes. Never a token. */
  oauth?: {
    connected: boolean;
    expiresAt?: number;
    obtainedAt?: number;
    /** When a person's sign-in last finished (epoch ms); a refresh does not move it. */
    signedInAt?: number;
    scopes: string[];
    /** A `perUserAuth` server's users, each with their own connection (per-user-connections.ts). */
    users?: UserOAuthView[];
  };
}

/** One item of a tool result's `content` (text, image, audio, resource, resource_link …). */
export type ContentItem = { type: string } & Record<string, unknown>;

export interface ToolCallResult {
  content: ContentItem[];
  structuredContent?: Record<string, unknown>;
  isError: boolean;
  /**
   * A 2026-07-28 server's own `input_required` answer, passed back as it came to a caller that
   * relays it (`ToolCallOptions.relay`); `content` is empty then. Default: none (a complete result).
   */
  inputRequired?: RelayedInputRequired;
}

/** A 2026-07-28 server's `input_required` result: its input requests by their keys, and its `requestState`. */
export interface RelayedInputRequired {
  inputRequests: Record<string, { method: string; params?: Record<string, unknown> }>;
  requestState?: string;
}

/**
 * A call whose caller speaks 2026-07-28 itself (an `/mcp` client): what it declared, and its
 * retry's material, passed to a 2026-07-28 server as they are (server/upstream/input-relay.ts).
 */
export interface InputRelay {
  /** The caller's declared `elicitation`, `sampling` and `roots` capabilities (from its request's envelope). */
  capabilities: { elicitation?: unknown; sampling?: unknown; roots?: unknown };
  /** The retry's `inputResponses`, forwarded as they are. Default: none (a first call). */
  inputResponses?: Record<string, unknown>;
  /** The server's own `requestState` from the previous round, forwarded byte for byte. Default: none. */
  requestState?: string;
}

export interface CallProgress {
  progress: number;
  total?: number;
  message?: string;
}

/** A call's cancellation, as an AbortSignal's `aborted` and abort listener (calls/running-call.ts has one). */
export interface Cancellation {
  readonly isCancelled: boolean;
  /** Calls `listener` once on cancellation (never when cancelled already); returns the function that removes it. */
  onCancel(listener: () => void): () => void;
}

export interface ToolCallOptions {
  /** Time without progress after which the call fails, in ms. */
  timeoutMs: number;
  /** Time after which the call fails even while progress arrives, in ms. */
  maxTotalTimeoutMs: number;
  /** Aborting it cancels the call upstream (`notifications/cancelled`). */
  signal?: AbortSignal;
  /**
   * The same cancellation without an AbortSignal (Node 20 makes one slowly): a stdio call's direct
   * path (direct-calls.ts) listens here instead of on `signal`, which may then be a getter that
   * makes the signal only when another path reads it. Default none.
   */
  cancellation?: Cancellation;
  onProgress?: (progress: CallProgress) => void;
  /**
   * MCP logging messages (`notifications/message`) the server sends while the call runs. MCP does
   * not tie a log message to a request, so every call in flight on the server receives it.
   */
  onLog?: (message: LogMessage) => void;
  /**
   * Answers an `elicitation/create` the server sends while the call runs (see
   * `UpstreamConnection`: which call a request belongs to). Default: the connection's fallback.
   */
  onElicit?: Elicitor;
  /**
   * Call a tool the server lists with `execution.taskSupport: "optional"` as a task, as one that
   * requires it is (a caller that does not wait: an async call, an `/mcp` client's task); on a
   * 2026-07-28 server that offers the tasks extension, declare it for any tool (the server decides:
   * modern-tasks.ts). Default: plainly.
   */
  preferTask?: boolean;
  /** The upstream task's status, each time it or its message changes (calls that run as tasks only). */
  onTaskStatus?: (task: UpstreamTaskStatus) => void;
  /**
   * Answers a `sampling/createMessage` the server sends while the call runs: the caller's own
   * model (an `/mcp` client that declared sampling). Which call a request belongs to is decided as
   * for `onElicit`. Default: the gateway's `sampling` endpoint, if any.
   */
  onSample?: CallSampler;
  /**
   * The caller relays a 2026-07-28 server's `input_required` answers itself (an `/mcp` client of
   * that era that declared what they ask for): they come back as `ToolCallResult.inputRequired`
   * instead of being answered by the gateway. Ignored for servers spoken to in the 2025 era.
   * Default: none (the gateway answers them: `onElicit`, `onSample`, the roots).
   */
  relay?: InputRelay;
}

/** A task's status as its server tells it (MCP tasks utility), for the call that runs as the task. */
export interface UpstreamTaskStatus {
  /** `working`, `input_required`, `completed`, `failed` or `cancelled`. */
  status: string;
  statusMessage?: string;
}

/**
 * An `elicitation/create` request of a server: a form (`message` and a flat `requestedSchema`
 * of primitive fields) or a URL the user should open (`url`, `elicitationId`). `params` is the
 * request exactly as sent, for surfaces that pass it on (`/mcp`).
 */
export type ElicitationRequest = (
  | { mode: 'form'; message: string; requestedSchema: Record<string, unknown> }
  | { mode: 'url'; message: string; url: string; elicitationId: string }
) & { params: Readonly<Record<string, unknown>> };

/** The answer to an elicitation: `content` only with `accept` of a form. */
export interface ElicitationAnswer {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

/** Who answers an elicitation; `signal` aborts when the server cancels it or goes away. */
export type Elicitor = (request: ElicitationRequest, signal: AbortSignal) => Promise<ElicitationAnswer>;

/** An MCP logging message (`notifications/message`). */
export interface LogMessage {
  level: string;
  logger?: string;
  data: unknown;
}

/**
 * Why an upstream call did not produce a result. `server-error`: the server answered the call with
 * a JSON-RPC error (other than invalid params) and stays up; `disconnected`: the connection ended
 * during the call (the server went away, or the gateway gave up on it, e.g. after a failed ping);
 * `too-large`: the answer was larger than `gateway.maxMessageBytes` and was dropped;
 * `missing-capability`: a 2026-07-28 server refused the request for a client capability it did not
 * declare (-32021, `requiredCapabilities`: input-relay.ts `callCapabilities` says what a call declares);
 * `protocol`: anything else that kept the answer from arriving or being read.
 */
export type CallFailureKind =
  | 'not-ready'
  | 'needs-sign-in'
  | 'connect-first'
  | 'timeout'
  | 'cancelled'
  | 'invalid-params'
  | 'server-error'
  | 'disconnected'
  | 'too-large'
  | 'missing-capability'
  | 'protocol';

/** How the message of a `disconnected` failure begins (the MCP surface names it "server disconnected"). */
export const SERVER_WENT_AWAY = 'the server went away during the call';

/** How the message of a `timeout` failure of a task call begins (its whole time ran out, not its time without progress). */
export const TASK_TIMED_OUT = 'the task did not end within';

export class UpstreamCallError extends Error {
  constructor(
    readonly kind: CallFailureKind,
    message: string,
    /** A `missing-capability` failure's capabilities the server requires (a ClientCapabilities object, e.g. `{sampling: {}}`). */
    readonly requiredCapabilities?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'UpstreamCallError';
  }
}

/**
 * A server's `sampling/createMessage` request, as plain data (the params as the server sent them):
 * `messages` (role + a content item or an array of them), `systemPrompt`, `maxTokens`,
 * `temperature`, `stopSequences`, `modelPreferences`…
 */
export interface SamplingRequest {
  messages: { role: 'user' | 'assistant'; content: ContentItem | ContentItem[] }[];
  systemPrompt?: string;
  maxTokens: number;
  temperature?: number;
  stopSequences?: string[];
  [key: string]: unknown;
}

/** What answers a sampling request: the model's reply. */
export interface SamplingResult {
  role: 'assistant';
  content: { type: 'text'; text: string };
  model: string;
  /** `endTurn`, `maxTokens`, `stopSequence`, or what the endpoint said. */
  stopReason?: string;
}

/** A reply from a caller's own model, as its client sent it (it may carry more than `SamplingResult`, e.g. tool use). */
export type ForwardedSamplingResult = Record<string, unknown>;

/** A caller's own model (see `ToolCallOptions.onSample`): the request as the server sent it, the client's reply as it is. */
export type CallSampler = (request: SamplingRequest, signal: AbortSignal) => Promise<ForwardedSamplingResult>;

/**
 * Answers the sampling requests of a server (server/sampling/): by `forward` (the calling client's
 * own model) when given, else by the gateway's endpoint. It throws an Error whose message the
 * server receives as the JSON-RPC error's message.
 */
export type Sampler = ((
  server: string,
  request: SamplingRequest,
  signal: AbortSignal,
  /** Holds the timeout of the tool call the request belongs to while a person decides (none: it belongs to no call). */
  hold?: { pause(): boolean; resume(): void },
  /** The calling client's own model (an `/mcp` client that declared sampling), when the call has one. */
  forward?: CallSampler,
) => Promise<SamplingResult | ForwardedSamplingResult>) & {
  /** Why the policy refuses `request` of `server` (its `deny`), read at use; undefined: not refused. Default: never refused. */
  refusal?: (server: string, request: SamplingRequest) => string | undefined;
  /** False when the policy denies every sampling request of `server`, whatever it asks (read at use). Default: it may answer. */
  mayAnswer?: (server: string) => boolean;
};

/** What answers a server's sampling request: the hold of the call it belongs to, and that call's caller's own model (connection.ts `samplingOf`). */
export interface SamplingAnswerers {
  hold?: { pause(): boolean; resume(): void };
  forward?: CallSampler;
}

/**
 * The `/mcp/{server}` clients that declared roots (`clientRoots`: server/mcp/client-roots.ts): the
 * identities whose sessions they are, and the one whose roots the server gets, while there is exactly one.
 */
export interface ClientRootsState {
  owners: readonly string[];
  one?: ClientRoots;
}

/** The roots of a server's one `/mcp` client. */
export interface ClientRoots {
  /** The caller id of the identity whose session they are: while they are the server's, only it may call the server's tools. */
  owner: string;
  /** Asks the client for them. */
  list: (signal: AbortSignal) => Promise<Root[]>;
}

/** Why a server's sampling request is refused when the gateway has no sampling for it. */
export const SAMPLING_NOT_CONFIGURED = 'sampling is not configured on this gateway (see README: sampling)';
