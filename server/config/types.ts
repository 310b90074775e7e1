/**
 * The gateway's configuration after validation and `${…}` expansion.
 *
 * These are plain types on purpose: the config module produces them, the supervisor and the HTTP
 * layer consume them, and nothing here depends on the MCP SDK.
 */

import type { Scope } from '../auth/identity.js';

export type TransportKind = 'stdio' | 'sse' | 'streamable-http';

/** Gateway-wide settings and the defaults every server inherits. Each field documents its default. */
export interface GatewaySettings {
  /** Default time a tool call may take, in ms. Default 60000. */
  toolTimeoutMs: number;
  /** Largest per-call timeout a caller may ask for with `X-Timeout-Ms`, in ms. Default 600000. */
  maxTimeoutMs: number;
  /** Absolute cap of a call, even while it reports progress, in ms. Default 600000. */
  maxTotalTimeoutMs: number;
  /**
   * How long a server's question to a person (elicitation, a question card) stays open before the
   * gateway answers it `cancel`, in ms. Default 600000 (10 min). Read when a question is asked.
   */
  questionTimeoutMs: number;
  /** Time allowed for connect + `initialize` + the first list calls, in ms. Default 30000. */
  initTimeoutMs: number;
  /** Default in-flight tool calls per server. Default 8. */
  maxConcurrent: number;
  /** Default queued tool calls per server beyond `maxConcurrent`. Default 64. */
  maxQueue: number;
  /**
   * How long one user's own connection to a `perUserAuth` server stays open without a call, in ms
   * (it is opened again at the user's next call). Default 600000 (10 min). Read at each check.
   */
  userConnectionIdleMs: number;
  /**
   * The most users' own connections open at once to one `perUserAuth` server: a new one closes the
   * least recently used idle one, and is 503 `overloaded` when none is idle. Default 50. Read at use.
   */
  maxUserConnections: number;
  /** How often a ready server is pinged to detect a hang, in ms; 0 turns pings off. Default 30000. */
  pingIntervalMs: number;
  /** How long a ping may take before the server counts as hung, in ms. Default 10000. */
  pingTimeoutMs: number;
  /** First restart delay after a failure, in ms; doubles per consecutive failure. Default 1000. */
  backoffInitialMs: number;
  /** Cap of the restart delay, in ms. Default 60000. */
  backoffMaxMs: number;
  /** Time a stdio server gets between SIGTERM and SIGKILL when stopped, in ms. Default 5000. */
  stopGraceMs: number;
  /** Extra `Host` names accepted besides loopback names (e.g. a tailnet name). Default []. */
  allowedHosts: string[];
  /** Largest request body accepted, in bytes; a larger one gets 413. Default 1048576 (1 MiB). */
  maxBodyBytes: number;
  /** Deepest nesting of arrays and objects in a JSON request body; a deeper one gets 400 `json-too-deep`. Default 64. */
  maxJsonDepth: number;
  /** Most open client connections; more are closed as they arrive. Default 1024. */
  maxConnections: number;
  /** Time a client has to send a request's headers (a new or idle kept-alive connection included), in ms; then it is closed. Default 10000. */
  headersTimeoutMs: number;
  /** Time a client has to send a whole request, body included, in ms; then it gets 408 and is closed. Not the time of the answer. Default 30000. */
  requestTimeoutMs: number;
  /** Largest tool result passed on, in bytes of JSON; a larger one gets 502 `result-too-large`. Default 4194304 (4 MiB). */
  maxResultBytes: number;
  /**
   * Largest message a stdio server may send (one line of JSON-RPC), in bytes; a larger one is
   * dropped unread and the call it answers gets 502 `result-too-large` at once. Default 67108864 (64 MiB).
   */
  maxMessageBytes: number;
  /** Interval of the comment heartbeat on a Server-Sent Events stream, in ms. Default 15000. */
  heartbeatMs: number;
  /** How long a finished async call stays readable at `/api/calls/{id}`, in ms. Default 900000 (15 min). */
  finishedCallTtlMs: number;
  asyncCalls: AsyncCallSettings;
  mcp: McpSettings;
  activity: ActivitySettings;
  /** Browser origins allowed to call the gateway (CORS), e.g. an Open WebUI served elsewhere. Default []. */
  cors: { origins: string[] };
  /**
   * Whether the OpenAPI documents and docs pages (`/openapi.json`, `/{server}/openapi.json`,
   * `/docs`, `/{server}/docs`, `/api/openapi.json`, `/api/docs`) are readable without the API key.
   * Default false.
   */
  publicSpecs: boolean;
  /**
   * The path prefix the gateway is reached under behind a proxy (e.g. `/mcp` for
   * `tailscale serve --set-path /mcp`), without a trailing slash. Requests may arrive with or
   * without it; links, redirects and `Location` headers carry it. An `X-Forwarded-Prefix` header
   * says the same per request and wins. Default "" (none).
   */
  basePath: string;
  /**
   * The key that encrypts remote servers' OAuth tokens in the state database: a file of 64 hex
   * digits (`openssl rand -hex 32`), relative to the config file. Read at start only (a new key
   * makes the stored tokens unreadable: their servers ask for a sign-in again). Default: none — the
   * systemd credential `secrets-key` when there is one, else `<state-dir>/secrets.key` (made on the
   * first start, mode 0600).
   */
  secretsKeyFile?: string;
  /** How long a UI sign-in lasts, in ms. Default 604800000 (7 days). */
  sessionTtlMs: number;
  openapi: OpenApiSettings;
  /**
   * Whether the `Tailscale-User-Login` header that `tailscale serve` sets is believed: it is then
   * shown as a label next to the identity that decided an approval. It never grants anything.
   * Default false.
   */
  trustTailscaleHeaders: boolean;
  redact: RedactSettings;
  /** Most log messages (`notifications/message`) kept per server for its page and `/api/servers/{name}/logs`; 0 keeps none. Default 200. */
  serverLogLines: number;
  /**
   * The gateway as an OAuth 2.1 resource server: `/mcp` and the REST surfaces also accept access
   * tokens from this authorization server (server/auth/access-tokens.ts). Default undefined (off:
   * only the gateway's own keys, sessions and devices authenticate).
   */
  resourceServer?: ResourceServerSettings;
}

/** JWS algorithms an access token may be signed with: asymmetric ones only (never `none`, never HMAC). */
export const ACCESS_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type AccessTokenAlgorithm = (typeof ACCESS_TOKEN_ALGORITHMS)[number];

/** `gateway.resourceServer`: whose access tokens the gateway accepts, and what they may do. */
export interface ResourceServerSettings {
  /** The authorization server's issuer URL: the tokens' `iss`, and where its metadata is found (RFC 8414, OpenID discovery). Required. */
  issuer: string;
  /**
   * The audience a token must name (`aud`, the RFC 8707 resource it was asked for). Default: the
   * gateway's URL at the checked `Host` (`http://` or `https://host` plus `basePath`, never from
   * `X-Forwarded-*`); required beyond loopback without allowed hosts (main.ts). On `/mcp` and
   * `/mcp/{name}` that URL with the path is accepted too (the resource their metadata names).
   */
  audience?: string;
  /** Where the signing keys are. Default: `jwks_uri` of the issuer's metadata. Unused with `introspection`. */
  jwksUri?: string;
  /** The JWS algorithms accepted. Default all of `ACCESS_TOKEN_ALGORITHMS` (asymmetric only). */
  algorithms: AccessTokenAlgorithm[];
  /** Ask the authorization server about each token (RFC 7662) instead of verifying JWTs locally. Default undefined (JWTs and JWKS). */
  introspection?: IntrospectionSettings;
  /**
   * Token scope → the gateway scopes it grants, on top of the default mapping in which each gateway
   * scope (`tools:call`, `tools:read`, `approvals:decide`, `admin`) grants itself. Default {}.
   */
  scopeMap: Record<string, Scope[]>;
  /** Token scopes every token must carry, or it gets 403 `insufficient_scope`. Default []. */
  requiredScopes: string[];
}

export interface IntrospectionSettings {
  /** The introspection endpoint. Default: `introspection_endpoint` of the issuer's metadata. */
  endpoint?: string;
  /** The gateway's client id at the authorization server (HTTP Basic authentication). Required. */
  clientId: string;
  /** A file holding the client secret, read at each introspection (so a rotated secret applies). Required. */
  clientSecretFile: string;
  /** How long an answer is kept per token, in ms (never past the token's `exp`); 0 asks every time. Default 30000. */
  cacheMs: number;
}

/** What is kept out of the activity log and approvals (see server/activity/redact.ts). */
export interface RedactSettings {
  /**
   * Argument names whose values are stored and shown as "[redacted]", on top of the built-in ones
   * (`password`, `token`, `pin`, `database_url`, …). Matched by words, whatever the case and
   * separators: `member_number` also hides `memberNumber` and `primary-member-number`. Default [].
   */
  keys: string[];
}

/** How tool schemas are written into the OpenAPI documents. */
export interface OpenApiSettings {
  /** How often a recursive `$ref` is expanded inside itself before the schema is cut there. Default 3. */
  maxRefDepth: number;
}

/**
 * Bounds of async calls (`Prefer: respond-async`), whose results the gateway keeps for reading:
 * finished calls beyond a bound are forgotten oldest first (their activity entry stays). One
 * caller's share: at most `maxPerCaller` async calls running or kept at once, and at most a
 * quarter of `maxFinishedBytes` of kept results; past it the caller's own oldest finished calls go
 * first, and a new async call while its whole share is still running is refused (429
 * `too-many-calls`). So one key can neither fill the memory nor push out the other callers' results.
 */
/** The gateway's own MCP endpoint (`/mcp`): the sessions of 2025-era clients. */
export interface McpSettings {
  /** Most sessions open at once; past it the one idle the longest ends. Default 1000. */
  maxSessions: number;
  /** Idle time after which a session ends, in ms. Default 600000 (10 min). */
  sessionIdleMs: number;
}

export interface AsyncCallSettings {
  /** Most finished async calls kept, of all callers; 0 keeps none. Default 1000. */
  maxFinished: number;
  /** Most bytes (results as JSON) of finished async calls kept, of all callers. Default 268435456 (256 MiB). */
  maxFinishedBytes: number;
  /**
   * Most async calls one caller (one key, the start-up key, `anonymous` on a gateway without a key)
   * has running or kept at once. Default 32: less than half of a server's default `maxConcurrent`
   * + `maxQueue` (72), so one caller's async calls cannot fill a server's queue.
   */
  maxPerCaller: number;
}

/** Retention of the activity log; rows beyond either limit are pruned in the background. */
export interface ActivitySettings {
  /** Most rows kept. Default 100000. */
  maxRows: number;
  /** Oldest row kept, in days. Default 30. */
  maxAgeDays: number;
}

/** What the approval policy says about a tool call: run it, wait for a person, or refuse it. */
export type ApprovalAction = 'allow' | 'ask' | 'deny';

/**
 * One condition on a call's arguments; exactly one of `equals`, `in` and `matches` is set. A
 * pointer whose target is missing makes the condition false.
 */
export interface ArgumentCondition {
  /** RFC 6901 JSON pointer into the arguments object; "" is the whole object. */
  pointer: string;
  /** The target deep-equals this JSON value. */
  equals?: unknown;
  /** The target deep-equals one of these JSON values. */
  in?: unknown[];
  /** The target is a string this expression finds a match in (not anchored; no flags). */
  matches?: RegExp;
}

/**
 * One condition on who the call is made for: the user a key with `trustForwardedUser` forwarded
 * (auth/forwarded-user.ts). Exactly one of `user` and `role` is set. A call that forwards no user
 * (any other caller's) makes it false.
 */
export interface UserCondition {
  /** The user's id, or email (case-insensitive), is one of these. Never the display name, which users may change. */
  user?: string[];
  /** The user's role (`admin`, `user`, `pending` in Open WebUI) is one of these. */
  role?: string[];
}

/** A rule's condition: on the arguments, or on the forwarded user. */
export type RuleCondition = ArgumentCondition | UserCondition;

/** One rule of the approval policy. */
export interface ApprovalRule {
  /** Glob on the server's name (`*` any run, `?` one character, case-sensitive). Default "*"; a server's own rules hold its name. */
  server: string;
  /** Glob on the tool's name, as for `server`. Default "*". */
  tool: string;
  action: ApprovalAction;
  /** Conditions on the arguments and the forwarded user; all must hold. Default [] (always holds). */
  when: RuleCondition[];
  /**
   * Where the rule was written, as a JSON path: `$.approval.rules[2]`, `$.mcpServers.fs.approval.rules[0]`,
   * or for a tool name in `alwaysAllow` / `autoApprove`, `$.mcpServers.fs.alwaysAllow[0]`.
   */
  source: string;
}

/** Where an `ask` is announced. */
export interface NotifyTarget {
  /** An http: or https: URL. */
  url: string;
  /** The secretFile's content; undefined when no secretFile. Never logged. */
  secret?: string;
}

/**
 * The top-level `approval` section. Matching rules decide (deny beats ask beats allow); with no
 * matching rule, the default does.
 */
export interface ApprovalSettings {
  /** What a call no rule matches gets. Default "ask". */
  default: ApprovalAction;
  /** How long an `ask` call waits for a decision, in ms. Default 120000 (2 min). */
  timeoutMs: number;
  /** Default []. */
  rules: ApprovalRule[];
  /** Default []. */
  notify: NotifyTarget[];
  /** Most calls that may wait for approval at once, over all callers; more are refused (429). Default 200. */
  maxPending: number;
  /**
   * Most calls one caller (an API key, a device, the UI…) may have waiting for approval at once; each
   * user a key with `trustForwardedUser` forwards counts as a caller of its own, and the key may have
   * 5 times this over all its users (approvals/book.ts `KEY_CAP_FACTOR`). Default 20.
   */
  maxPendingPerCaller: number;
  /**
   * Least time between two webhook notices to one `notify` target, in ms: approvals created
   * meanwhile are folded into one notice, sent when the time is up, with their count. 0 sends
   * every notice at once. Default 30000.
   */
  notifyIntervalMs: number;
}

/** A server entry's own `approval` section; its `default` and `timeoutMs` win over the top-level ones. */
export interface ServerApproval {
  /** Default: the top-level `approval.default`. */
  default?: ApprovalAction;
  /** Default: the top-level `approval.timeoutMs`. */
  timeoutMs?: number;
  /**
   * Rules for this server's tools; their `server` is the server's name. The entry's `alwaysAllow`
   * and `autoApprove` tool names come last, as allow rules. Default [].
   */
  rules: ApprovalRule[];
}

/** A server entry's `exposeAsTools`. */
export interface ExposeAsTools {
  /** `read_resource` (`{uri}`): reads one of the server's resources. Default false. */
  resources: boolean;
  /** `get_prompt` (`{name, arguments}`): fills one of the server's prompts in. Default false. */
  prompts: boolean;
}

/** What the operator wrote, before `${…}` expansion: safe to show, since secrets stay as `${…}`. */
export interface ServerDisplay {
  command?: string;
  args?: string[];
  cwd?: string;
  url?: string;
  /** Names only; values may be secret. */
  envNames?: string[];
  /** Names only; values may be secret. */
  headerNames?: string[];
}

interface ServerCommon {
  /** Matches ^[A-Za-z0-9_-]{1,64}$. */
  name: string;
  description?: string;
  /**
   * As written in the file: `enabled`, else not `disabled` (Cline, Claude Code); default true. A
   * run-time override may win, see state/overrides.
   */
  enabled: boolean;
  /** Per-server tool timeout, in ms (defaults to gateway.toolTimeoutMs). */
  timeoutMs: number;
  /** Per-tool timeouts in ms, by tool name; they win over `timeoutMs`. Default {}. */
  toolTimeouts: Record<string, number>;
  /** Per-server initialize timeout, in ms (defaults to gateway.initTimeoutMs). */
  initTimeoutMs: number;
  maxConcurrent: number;
  maxQueue: number;
  /** Tools hidden everywhere. Default []. */
  disabledTools: string[];
  /**
   * The server's resources and prompts offered as tools on the OpenAPI surfaces (`read_resource`,
   * `get_prompt`), for callers that can only call tools (Open WebUI). Default both false.
   */
  exposeAsTools: ExposeAsTools;
  /**
   * Whether the gateway declares elicitation to the server and answers its questions (passed to the
   * `/mcp` client, or a question card); `false` declares none (the server may then hide tools that
   * ask). Default true (absent). A change reconnects the server: capabilities are declared at initialize.
   */
  elicitation?: boolean;
  /** The entry's own approval policy. Default { rules: [] } (the top-level section decides). */
  approval: ServerApproval;
  display: ServerDisplay;
  /**
   * The folders the gateway offers the server as MCP roots (`roots/list`), as `file://` URIs
   * (a path in the file is made one). Default [] (no roots capability declared).
   */
  roots: Root[];
  /**
   * Whether the server gets the roots of its `/mcp/{server}` client (server/mcp/client-roots.ts):
   * roots are declared to it, and while exactly one 2025-era session on `/mcp/{server}` that
   * declared roots is open, `roots/list` answers that client's roots (asked from it) — configured
   * `roots` win. Default false (absent). A change reconnects the server (capabilities).
   */
  clientRoots?: boolean;
  /** The MCP log level asked for with `logging/setLevel` after connecting. Default: none (not asked). */
  logLevel?: LogLevel;
  /** Whether the server may use the top-level `sampling` section (it is listed in `sampling.servers`). Default false. */
  sampling: boolean;
}

/** One MCP root: a `file://` URI and an optional name. */
export interface Root {
  uri: string;
  name?: string;
}

/** The MCP log levels, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The top-level `sampling` section: an OpenAI-compatible endpoint that answers the
 * `sampling/createMessage` requests of the servers it lists. Each request goes through the
 * approval policy as the pseudo-tool `sampling/createMessage` of its server.
 */
export interface SamplingSettings {
  /** Base URL of an OpenAI-compatible API, e.g. `http://127.0.0.1:11434/v1`; `/chat/completions` is added. Required. */
  url: string;
  /** The model asked for. Required. */
  model: string;
  /** File holding the API key, sent as `Authorization: Bearer`; read at each request. Default: none (no header). */
  apiKeyFile?: string;
  /** Cap of the tokens a reply may have; a server asking for more gets this many. Default 1024. */
  maxTokens: number;
  /** Names of the servers that may sample, or "*" for all. Default [] (none). */
  servers: string[] | '*';
  /** Time the endpoint has to answer, in ms. Default 120000. */
  timeoutMs: number;
}

export interface StdioServerConfig extends ServerCommon {
  transport: 'stdio';
  command: string;
  args: string[];
  /** Added on top of the safe default environment. Values are expanded and may be secret. */
  env: Record<string, string>;
  cwd?: string;
}

export interface RemoteServerConfig extends ServerCommon {
  transport: 'sse' | 'streamable-http';
  url: string;
  /** Values are expanded and may be secret. */
  headers: Record<string, string>;
  /**
   * The MCP era the gateway speaks to the server: `2025-11-25` (the `initialize` handshake, which
   * also reaches older servers) or `2026-07-28` (stateless requests, `server/discover`,
   * `input_required` results; streamable HTTP only). Default `2025-11-25`.
   */
  protocol: '2025-11-25' | '2026-07-28';
  /**
   * OAuth 2.1 to the server (server/upstream/oauth-client.ts): `auth: "oauth"` or the object form
   * (or mcpo's `oauth` object). Default: none configured — yet a 401 whose `WWW-Authenticate`
   * names `resource_metadata` (RFC 9728) starts OAuth with the defaults of `auth: "oauth"`.
   */
  auth?: OAuthSettings;
  /**
   * Each user of the orchestrator has their own OAuth connection to the server
   * (server/upstream/per-user-connections.ts): a call carrying a trusted forwarded user goes with
   * that user's tokens, any other call fails with `connect-first`. Only with `auth` (authorization
   * code). Default false (one connection, shared by every caller).
   */
  perUserAuth: boolean;
}

/** How the gateway gets a remote server's OAuth access token. */
export interface OAuthSettings {
  /**
   * `authorization_code` (a person signs in once: Connect, or `mcp-gateway oauth login`) or
   * `client_credentials` (machine to machine: `clientId` and `clientSecretFile` or `clientKeyFile` required).
   * Default `authorization_code`.
   */
  grant: 'authorization_code' | 'client_credentials';
  /** A client id registered with the authorization server. Default: none (a Client ID Metadata Document, else dynamic registration). */
  clientId?: string;
  /** File holding the client secret (absolute; read at each use). Default: none (a public client). */
  clientSecretFile?: string;
  /**
   * File holding the client's private key (PEM, PKCS #8; absolute; read at each use): the client
   * authenticates with a JWT it signs (`private_key_jwt`, RFC 7523) instead of a secret; the
   * authorization server knows its public key. Needs `clientId`. Default: none.
   */
  clientKeyFile?: string;
  /** The scopes asked for. Default: the server's challenge, else its protected resource metadata's `scopes_supported`. */
  scopes?: string[];
  /** The HTTPS URL of the gateway's Client ID Metadata Document, used where the server supports them. Default: none. */
  clientMetadataUrl?: string;
  /** The client name registered. Default "mcp-gateway". */
  clientName: string;
}

export type ServerConfig = StdioServerConfig | RemoteServerConfig;

export interface GatewayConfig {
  /** Absolute path of the config file, or null for quick mode and the demo. */
  source: string | null;
  gateway: GatewaySettings;
  approval: ApprovalSettings;
  /** In the order the file lists them. */
  servers: ServerConfig[];
  /** Tool groups (`/mcp/{group}`), in the order the file lists them. Default none. */
  groups: ToolGroup[];
  /** The `sampling` section. Default: none (sampling refused). */
  sampling?: SamplingSettings;
}

/**
 * A tool group: tools of several servers served as one MCP server at `/mcp/{name}`. Each pattern
 * is `server/tool`, where `*` in either part matches any run of characters (e.g. `fs/*`, or `*` then `/read_*`).
 */
export interface ToolGroup {
  name: string;
  description?: string;
  tools: string[];
}

export interface ConfigProblem {
  /** JSONPath of the offending value, e.g. `$.mcpServers.remote.headers.Authorization`; `$` for the whole file. */
  path: string;
  /** What was expected or what is wrong, e.g. `expected string, got number`. Never contains a secret. */
  message: string;
}

/** A config file that cannot be used. `main` prints `lines()` to stderr and exits with code 2. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(problems.map((p) => `${file}: ${p.path}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }

  lines(): string[] {
    return this.problems.map((p) => `${this.file}: ${p.path}: ${p.message}`);
  }
}
