/**
 * The management API's requests and answers as zod schemas: the route declarations
 * (`./api/*.ts`) name them, their handlers validate requests with them (`input.query()`,
 * `input.body()`), `server/openapi/management.ts` turns them into the management OpenAPI
 * document, and the tests parse real answers with them. A schema with `.meta({ id })` becomes a
 * named component (`#/components/schemas/<id>`).
 *
 * Answers whose shape is ours are `z.strictObject`s, so an answer with a renamed or extra field
 * fails to parse; shapes that come from the MCP server (content items, annotations, progress) are
 * open objects. Problems (every 4xx/5xx) are `ProblemSchema` from `../openapi/problem-schema.ts`.
 *
 * Only request schemas are used on the request path; everything here must stay cheap to import, so
 * every answer schema (and what only answers are made of) is an `answer(() => …)`, built on first
 * use (./answer-schema.ts; test/startup.test.ts checks that loading the routes builds none).
 */
import { z } from 'zod';
import { decodeCursor } from '../activity/log.js';
import { MAX_DECISION_REASON } from '../approvals/decisions.js';
import { ACTIVITY_OUTCOMES, type ActivityOutcome } from '../calls/outcome.js';
import type { CallMode, CallState, CallSurface } from '../calls/running-call.js';
import type { TransportKind } from '../config/types.js';
import { ProblemSchema } from '../openapi/problem-schema.js';
import { answer } from './answer-schema.js';
import { SERVER_STATES } from '../upstream/types.js';

/** Page size of `GET /api/activity` when `limit` is not given. */
export const DEFAULT_ACTIVITY_LIMIT = 50;
/** Largest `limit` accepted by `GET /api/activity`. */
export const MAX_ACTIVITY_LIMIT = 500;

/** The values of a string union, in a fixed order; a `Record` so that a missing value fails to compile. */
function values<T extends string>(record: Record<T, true>): [T, ...T[]] {
  return Object.keys(record) as [T, ...T[]];
}

const TRANSPORTS = values<TransportKind>({ stdio: true, sse: true, 'streamable-http': true });
const CALL_STATES = values<CallState>({
  waiting_for_approval: true,
  waiting_for_input: true,
  running: true,
  succeeded: true,
  failed: true,
  cancelled: true,
  timed_out: true,
});
const CALL_SURFACES = values<CallSurface>({ mcpo: true, api: true, mcp: true, app: true });
const CALL_MODES = values<CallMode>({ sync: true, stream: true, async: true });

/** `schema` or null. (`schema.nullable()` would make a named component itself nullable in the document.) */
function orNull<T extends z.ZodType>(schema: T) {
  return z.union([schema, z.null()]);
}

/** An ISO 8601 date-time in UTC, as `Date.toISOString()` writes it. */
const timestamp = () => z.iso.datetime();
/** A JSON object whose keys are not ours (JSON Schema, arguments, structured content). */
const jsonObject = () => z.record(z.string(), z.unknown());
/** A count or an id that is an integer. */
const count = () => z.int().min(0);

// ---------------------------------------------------------------------------------------------
// Path parameters

export const ServerNameParams = z.strictObject({
  name: z.string().meta({ description: "The server's name, as in the config file.", example: 'demo' }),
});

export const ToolPathParams = z.strictObject({
  server: z.string().meta({ description: "The server's name, as in the config file.", example: 'demo' }),
  tool: z.string().meta({ description: "The tool's name, as the MCP server lists it (percent-encoded when needed).", example: 'echo' }),
});

export const CallIdParams = z.strictObject({
  id: z.string().meta({ description: "The call's id (a UUID), as the 202 answer, `GET /api/calls` and the activity log give it." }),
});

export const ActivityIdParams = z.strictObject({
  id: z.string().meta({ description: "The call's id (a UUID): the `id` of a management answer or of `GET /api/calls`." }),
});

export const DocumentServerParams = z.strictObject({
  server: z.string().meta({ description: "The server's name, as in the config file.", example: 'demo' }),
});

// ---------------------------------------------------------------------------------------------
// Query strings. `query parser` is 'simple': each value is a string, or an array when repeated.

/** Query of `GET /api/tools` (read leniently by the route: a repeated parameter is ignored, so is an unknown one). */
export const ToolListQuery = z.object({
  server: z.string().optional().meta({ description: 'Only the tools of this server; 404 when there is no such server.' }),
  q: z.string().optional().meta({
    description: "Words that must all appear, case-insensitively, in the tool's name, title or description.",
    example: 'add numbers',
  }),
});

const isoDateTime = z.iso.datetime({ offset: true });

/** A time bound: epoch milliseconds, or an ISO 8601 date-time with `Z` or an offset. */
const time = z.string().transform((value, ctx) => {
  if (/^\d{1,16}$/.test(value)) return Number(value);
  const ms = isoDateTime.safeParse(value).success ? Date.parse(value) : Number.NaN;
  if (Number.isFinite(ms)) return ms;
  ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 date-time or epoch milliseconds' });
  return z.NEVER;
});

const TIME_FORMATS = 'an ISO 8601 date-time with `Z` or an offset (`2025-01-31T12:00:00Z`) or epoch milliseconds (`1738324800000`)';

/** A page size parameter: an integer from 1 to `max`, `fallback` when not given. */
function pageLimit(max: number, fallback: number, description: string) {
  return (
    z
      .string()
      .regex(/^\d+$/, `expected an integer from 1 to ${max}`)
      .transform(Number)
      .pipe(z.number().int().min(1).max(max))
      .default(fallback)
      // What the document shows: the value as a client sends it, not the string the route parses.
      .meta({ description, type: 'integer', minimum: 1, maximum: max, default: fallback })
  );
}

/** A page cursor parameter, refused (422) unless `decode` takes it. */
function pageCursor(decode: (cursor: string) => unknown, description: string) {
  return z
    .string()
    .refine((cursor) => decode(cursor) !== undefined, 'malformed cursor: pass nextCursor of a previous page')
    .optional()
    .meta({ description });
}

const limit = pageLimit(MAX_ACTIVITY_LIMIT, DEFAULT_ACTIVITY_LIMIT, 'Most entries in the page.');

/** Query of `GET /api/activity`; an unknown or repeated parameter is a 422 `invalid-request`. */
export const ActivityListQuery = z.strictObject({
  server: z.string().optional().meta({ description: 'Only calls to this server.' }),
  tool: z.string().optional().meta({ description: 'Only calls of tools with this name.' }),
  user: z.string().min(1).max(254).optional().meta({
    description:
      'Only calls made for this forwarded user (`user` of the entries): its id or its email (any case); never its display name, which each user chooses.',
    example: 'alice@example.com',
  }),
  outcome: z
    .enum(ACTIVITY_OUTCOMES as readonly [ActivityOutcome, ...ActivityOutcome[]])
    .optional()
    .meta({ description: 'Only calls that ended this way (`running` while they run, `interrupted` when the gateway stopped meanwhile).' }),
  since: time.optional().meta({ description: `Only calls that started at or after this time: ${TIME_FORMATS}.` }),
  until: time.optional().meta({ description: `Only calls that started before this time: ${TIME_FORMATS}.` }),
  limit,
  cursor: pageCursor(decodeCursor, 'Where the page starts: `nextCursor` of the previous page (with the same filters).'),
});

// ---------------------------------------------------------------------------------------------
// Request headers and bodies

/** Headers of `POST /api/tools/{server}/{tool}`, read by the call route itself (hot path, no zod there). */
export const ToolCallHeaders = z.object({
  'X-Timeout-Ms': z
    .int()
    .min(1)
    .optional()
    .meta({
      description:
        'Another timeout for this call, in ms: how long the call may go without progress. From 1 to `gateway.maxTimeoutMs` ' +
        "(default 600000); anything else is a 422 `invalid-request`. Without it the tool's or the server's timeout applies.",
      example: 120000,
    }),
  Prefer: z.string().optional().meta({
    description:
      "`respond-async`: answer 202 at once with the call's snapshot and `Location: /api/calls/{id}`, and run the call in the background.",
    example: 'respond-async',
  }),
});

/** `PATCH /api/servers/{name}`. */
export const PatchServerBody = z
  .strictObject({
    enabled: z.boolean().meta({ description: 'Run the server (true) or stop it and hide its tools (false).' }),
  })
  .meta({
    id: 'ServerPatch',
    description:
      "A run-time override of the server's `enabled`; it is kept across restarts until the config file changes its own `enabled`.",
  });

/** The body of a management tool call: the tool's arguments, checked against its input schema. */
export const ToolArgumentsSchema = jsonObject().meta({
  id: 'ToolArguments',
  description:
    "The tool's arguments, as a JSON object matching the tool's `inputSchema` (see `GET /api/tools/{server}/{tool}`). " +
    'An empty or missing body is `{}`.',
  example: { message: 'hello' },
});

// ---------------------------------------------------------------------------------------------
// Health

export const HealthSchema = answer(() =>
  z
    .strictObject({
      status: z.literal('ok'),
      version: z.string().meta({ description: "The gateway's version." }),
      uptimeMs: count().meta({ description: 'Time since the gateway started, in ms.' }),
    })
    .meta({ id: 'Health', description: 'The gateway is up.' }),
);

export const ProtectedResourceMetadataSchema = answer(() =>
  z
    .object({
      resource: z.string().meta({ description: 'The resource identifier: the audience a token for it names (RFC 8707).' }),
      authorization_servers: z.array(z.string()).meta({ description: 'The issuer whose access tokens the gateway accepts.' }),
      bearer_methods_supported: z.array(z.literal('header')),
      scopes_supported: z.array(z.string()).meta({ description: 'Token scopes that mean something here.' }),
      resource_name: z.string(),
    })
    .meta({ id: 'ProtectedResourceMetadata', description: 'RFC 9728 protected resource metadata.' }),
);

export const ProtectedResourceNameParams = z.object({
  name: z.string().meta({ description: 'A server or group name, as in `/mcp/{name}`.' }),
});

const ActivityLogFailureSchema = answer(() =>
  z
    .strictObject({
      state: z.literal('failing'),
      error: orNull(z.string()).meta({ description: 'Why: one line naming the database file and what to do.' }),
      since: timestamp().meta({ description: 'When writes started failing.' }),
      queued: count().meta({ description: 'Changes waiting in memory to be written.' }),
      dropped: count().meta({ description: 'Changes dropped since the gateway started (the queue was full).' }),
    })
    .meta({ description: 'Present only while the activity log cannot be written; tool calls still work.' }),
);

export const ReadySchema = answer(() =>
  z
    .strictObject({
      status: z.enum(['ready', 'degraded']).meta({ description: '`degraded`: the activity log cannot be written (see `activityLog`).' }),
      servers: count().meta({ description: 'How many servers are enabled (all of them ready).' }),
      activityLog: ActivityLogFailureSchema.optional(),
    })
    .meta({ id: 'Ready', description: 'Every enabled server is ready.' }),
);

export const NotReadyProblemSchema = answer(() =>
  ProblemSchema.extend({
    type: z.literal('not-ready'),
    servers: z
      .array(
        z.strictObject({
          name: z.string(),
          state: z.enum(SERVER_STATES),
          lastError: orNull(z.string()).meta({ description: 'Why it failed last, if it did.' }),
        }),
      )
      .meta({ description: 'The enabled servers that are not ready.' }),
    activityLog: ActivityLogFailureSchema.optional(),
  }).meta({ id: 'NotReadyProblem', description: 'A `not-ready` problem: the enabled servers that are not ready, and why.' }),
);

// ---------------------------------------------------------------------------------------------
// Servers

const ServerInfoSchema = answer(() =>
  z
    .strictObject({
      name: z.string(),
      version: z.string(),
      title: z.string().optional(),
    })
    .meta({ id: 'ServerInfo', description: 'What the MCP server said of itself in `initialize` (`serverInfo`).' }),
);

const lastErrorFields = () => ({
  message: z.string(),
  at: timestamp().meta({ description: 'When it failed.' }),
  exitCode: orNull(z.int()).meta({ description: 'Exit code of a stdio server that exited.' }),
  signal: orNull(z.string()).meta({ description: 'Signal that ended a stdio server.' }),
});

export const LastErrorSchema = answer(() =>
  z.strictObject(lastErrorFields()).meta({ id: 'ServerError', description: 'Why the server failed last.' }),
);

export const LastErrorDetailSchema = answer(() =>
  z
    .strictObject({
      ...lastErrorFields(),
      stderrTail: z.array(z.string()).meta({ description: "The process's last stderr lines when it failed." }),
    })
    .meta({ id: 'ServerErrorDetail', description: 'Why the server failed last, with the stderr lines of that moment.' }),
);

export const ServerConfigDisplaySchema = answer(() =>
  z
    .strictObject({
      command: z.string().optional(),
      args: z.array(z.string()).optional(),
      cwd: z.string().optional(),
      url: z.string().optional(),
      envNames: z.array(z.string()).optional().meta({ description: 'Names of the environment variables set; never their values.' }),
      headerNames: z.array(z.string()).optional().meta({ description: 'Names of the HTTP headers sent; never their values.' }),
    })
    .meta({
      id: 'ServerConfig',
      description: "The server's launch settings as the operator wrote them (before `${…}` expansion), without secrets.",
    }),
);

export const UserOAuthSchema = answer(() =>
  z
    .strictObject({
      user: z.string().meta({ description: "The user's id (Open WebUI's `X-OpenWebUI-User-Id`)." }),
      connected: z.boolean().meta({ description: 'Whether the gateway holds tokens of this user for the server.' }),
      expiresAt: orNull(timestamp()).meta({ description: 'When the access token expires (it is refreshed before), when the server said.' }),
      obtainedAt: orNull(timestamp()).meta({ description: "When the user's tokens held were obtained (their sign-in or a refresh)." }),
      signedInAt: orNull(timestamp()).meta({ description: "When the user's sign-in last finished (a refresh does not move it)." }),
      scopes: z.array(z.string()).meta({ description: 'The scopes granted.' }),
      account: orNull(z.string()).meta({
        description: "Who the user signed in as at the server (the OpenID `id_token`'s email, else subject), when the server said.",
      }),
    })
    .meta({ id: 'UserOAuth', description: "One user's own OAuth connection to a `perUserAuth` server; never a token." }),
);

export const ServerOAuthSchema = answer(() =>
  z
    .strictObject({
      connected: z.boolean().meta({ description: 'Whether the gateway holds tokens for the server.' }),
      expiresAt: orNull(timestamp()).meta({ description: 'When the access token expires (it is refreshed before), when the server said.' }),
      obtainedAt: orNull(timestamp()).meta({ description: 'When the tokens held were obtained (a sign-in or a refresh).' }),
      signedInAt: orNull(timestamp()).meta({ description: "When a person's sign-in last finished (a refresh does not move it)." }),
      scopes: z.array(z.string()).meta({ description: 'The scopes granted.' }),
      users: z.array(UserOAuthSchema).optional().meta({
        description:
          "A `perUserAuth` server's users, each with their own connection (`connected`: whether any user is); shown to admin keys only.",
      }),
    })
    .meta({ id: 'ServerOAuth', description: 'The OAuth connection of a server behind OAuth; never a token.' }),
);

const serverFields = () => ({
  name: z.string(),
  description: orNull(z.string()).meta({ description: "The operator's description from the config file." }),
  transport: z.enum(TRANSPORTS),
  enabled: z.boolean().meta({ description: "Whether the server runs: the config file's value, or a run-time override." }),
  enabledSource: z.enum(['config', 'override']).meta({ description: 'Where `enabled` comes from.' }),
  state: z.enum(SERVER_STATES),
  since: timestamp().meta({ description: 'When `state` last changed.' }),
  pid: orNull(z.int()).meta({ description: 'Process id of a running stdio server.' }),
  restarts: count().meta({ description: 'Automatic and manual restarts since the gateway started.' }),
  consecutiveFailures: count().meta({ description: 'Failures since the server was last ready for a while.' }),
  crashLooping: z.boolean().meta({ description: 'Set when the server fails right after each start.' }),
  nextRetryAt: orNull(timestamp()).meta({ description: 'When the next automatic start is due, in `backoff`.' }),
  lastError: orNull(LastErrorSchema),
  counts: z.strictObject({ tools: count(), resources: count(), prompts: count() }).meta({
    description: 'What the server offers (tools without `disabledTools`).',
  }),
  serverInfo: orNull(ServerInfoSchema),
  protocolVersion: orNull(z.string()).meta({ description: 'The MCP protocol version agreed in `initialize`.' }),
  oauth: orNull(ServerOAuthSchema).meta({
    description: 'For a server behind OAuth (configured with `auth`, or asked for by its 401): its connection; null for others.',
  }),
});

export const ServerStatusSchema = answer(() =>
  z.strictObject(serverFields()).meta({ id: 'ServerStatus', description: 'An upstream MCP server and its state.' }),
);

export const ServerDetailSchema = answer(() =>
  z
    .strictObject({
      ...serverFields(),
      lastError: orNull(LastErrorDetailSchema),
      instructions: orNull(z.string()).meta({ description: "The server's `instructions` from `initialize`." }),
      stderrTail: z.array(z.string()).meta({ description: 'The last lines a stdio server wrote to stderr.' }),
      config: orNull(ServerConfigDisplaySchema),
    })
    .meta({ id: 'ServerDetail', description: 'An upstream MCP server in detail: its state, its stderr and its config as written.' }),
);

export const ServerListSchema = answer(() =>
  z
    .strictObject({ servers: z.array(ServerStatusSchema).meta({ description: 'In the order of the config file.' }) })
    .meta({ id: 'ServerList', description: 'Every configured server.' }),
);

export const OAuthConnectSchema = answer(() =>
  z
    .strictObject({
      authorizationUrl: orNull(z.string()).meta({
        description: "The authorization server's page to open in a browser; null when no person is needed, and for a user's connect link.",
      }),
      connectUrl: z.string().optional().meta({
        description:
          "For `{user}` (a `perUserAuth` server): the link to hand to that user, who opens it to sign in with their own account. Works until `expiresAt` and until the user's sign-in finishes.",
      }),
      expiresAt: timestamp().optional().meta({ description: 'When `connectUrl` stops working.' }),
    })
    .meta({ id: 'OAuthConnect', description: 'A sign-in under way.' }),
);

export const OAuthConnectBody = z
  .strictObject({
    user: z
      .string()
      .min(1, { error: 'must not be empty' })
      .max(128, { error: 'must be at most 128 characters' })
      .optional()
      .meta({ description: "For a `perUserAuth` server: the user's id (Open WebUI's `X-OpenWebUI-User-Id`) to make a connect link for." }),
  })
  .optional()
  .meta({ id: 'OAuthConnectRequest', description: 'Whom the sign-in is for: nobody in particular (the server), or one user.' });

export const ServerUserParams = z.strictObject({
  name: z.string().meta({ description: "The server's name, as in the config file.", example: 'demo' }),
  user: z.string().meta({ description: "The user's id (Open WebUI's `X-OpenWebUI-User-Id`).", example: 'alice' }),
});

export const OAuthDisconnectSchema = answer(() =>
  z
    .strictObject({
      revokeError: orNull(z.string()).meta({
        description: 'Why revoking at the authorization server failed (the tokens are forgotten anyway).',
      }),
      server: ServerDetailSchema,
    })
    .meta({ id: 'OAuthDisconnect', description: 'A server after Disconnect.' }),
);

// ---------------------------------------------------------------------------------------------
// Tools

export const ToolAnnotationsSchema = answer(() =>
  z
    .object({
      title: z.string().optional(),
      readOnlyHint: z.boolean().optional(),
      destructiveHint: z.boolean().optional(),
      idempotentHint: z.boolean().optional(),
      openWorldHint: z.boolean().optional(),
    })
    .meta({ id: 'ToolAnnotations', description: 'The MCP tool annotations (hints) the server gives; `{}` when none.' }),
);

export const ToolSchema = answer(() =>
  z
    .strictObject({
      server: z.string(),
      name: z.string(),
      title: orNull(z.string()),
      description: orNull(z.string()),
      inputSchema: jsonObject().meta({ description: 'JSON Schema of the arguments, as the MCP server gives it.' }),
      outputSchema: orNull(jsonObject()).meta({ description: 'JSON Schema of the structured content, when the tool declares one.' }),
      annotations: ToolAnnotationsSchema,
    })
    .meta({ id: 'Tool', description: 'A tool of an upstream MCP server (tools in `disabledTools` are hidden).' }),
);

export const ToolListSchema = answer(() =>
  z
    .strictObject({
      tools: z.array(ToolSchema),
      total: count().meta({ description: 'How many tools are in `tools`.' }),
    })
    .meta({ id: 'ToolList', description: 'The tools that match, server by server.' }),
);

// ---------------------------------------------------------------------------------------------
// Tool calls

export const ContentItemSchema = answer(() =>
  z
    .object({ type: z.string().meta({ description: '`text`, `image`, `audio`, `resource`, `resource_link` …' }) })
    .catchall(z.unknown())
    .meta({
      id: 'ContentItem',
      description:
        "One item of an MCP tool result's `content`, as the MCP server sent it; a `resource_link` also gets `gatewayUrl`, the " +
        "gateway's path that reads the resource (`/api/servers/{server}/resource?uri=…&raw=1`, under the base path).",
    }),
);

export const ToolCallResultSchema = answer(() =>
  z
    .strictObject({
      id: z.uuid().meta({ description: "The call's id: its entry in `/api/activity/{id}`." }),
      durationMs: z.number().min(0).meta({ description: 'How long the call took in the gateway, in ms.' }),
      content: z.array(ContentItemSchema),
      structuredContent: jsonObject().optional().meta({ description: 'The structured result, when the tool gives one.' }),
      isError: z.boolean().meta({ description: 'Whether the tool reported an error (the answer is still a 200).' }),
    })
    .meta({ id: 'ToolCallResult', description: "The MCP tool result, whole, with the call's id and duration." }),
);

export const CallProgressSchema = answer(() =>
  z
    .object({
      progress: z.number(),
      total: z.number().optional(),
      message: z.string().optional(),
    })
    .meta({ id: 'CallProgress', description: 'The latest MCP progress notification of a call.' }),
);

export const LogMessageSchema = answer(() =>
  z
    .strictObject({
      level: z.string(),
      logger: z.string().optional(),
      data: z.unknown(),
    })
    .meta({ id: 'LogMessage', description: 'An MCP logging message (`notifications/message`) the server sent while the call ran.' }),
);

export const ServerLogSchema = answer(() =>
  z
    .strictObject({
      level: z
        .string()
        .nullable()
        .meta({ description: 'The log level asked for with `logging/setLevel`, or null when none is (the server decides).' }),
      capacity: count().meta({ description: 'Most messages kept (`gateway.serverLogLines`).' }),
      entries: z.array(
        z
          .strictObject({
            at: z.string().meta({ description: 'When the gateway received it (ISO 8601).' }),
            level: z.string(),
            logger: z.string().optional(),
            text: z.string().meta({ description: "The message's data: a string as sent, anything else as JSON; at most 4096 characters." }),
            truncated: z.literal(true).optional().meta({ description: 'Set when `text` was cut.' }),
          })
          .meta({ id: 'ServerLogEntry', description: 'One log message (`notifications/message`) of the server.' }),
      ),
    })
    .meta({
      id: 'ServerLog',
      description:
        "The server's last log messages, oldest first, whether or not a call was running. The text comes from the server: untrusted.",
    }),
);

/** Who a call was made for, as a key with `trustForwardedUser` forwarded it (Open WebUI's `X-OpenWebUI-*` headers). */
export const ForwardedUserSchema = answer(() =>
  z
    .strictObject({
      id: z.string().optional().meta({ description: "The user's id in Open WebUI (`X-OpenWebUI-User-Id`)." }),
      name: z
        .string()
        .optional()
        .meta({ description: 'The display name (`X-OpenWebUI-User-Name`, percent-decoded): the user may change it.' }),
      email: z.string().optional().meta({ description: '`X-OpenWebUI-User-Email`.' }),
      role: z.string().optional().meta({ description: '`X-OpenWebUI-User-Role`: `admin`, `user` or `pending` in Open WebUI.' }),
      chatId: z.string().optional().meta({ description: '`X-OpenWebUI-Chat-Id`.' }),
      messageId: z.string().optional().meta({ description: '`X-OpenWebUI-Message-Id`.' }),
    })
    .meta({
      id: 'ForwardedUser',
      description:
        'Who the call was made for, as the caller forwarded it: only from a key made with `trustForwardedUser` (the headers of ' +
        'any other caller are ignored). Each field only when its header was sent; control characters removed, lengths capped.',
    }),
);

export const CallSnapshotSchema = answer(() =>
  z
    .strictObject({
      id: z.uuid().meta({ description: "The call's id, also its activity entry's." }),
      server: z.string(),
      tool: z.string(),
      surface: z
        .enum(CALL_SURFACES)
        .meta({ description: 'Where the call came in: `POST /{server}/{tool}` (`mcpo`) or the management API (`api`).' }),
      mode: z.enum(CALL_MODES).meta({ description: 'How the caller waits: for the answer, on an event stream, or not at all.' }),
      user: ForwardedUserSchema.optional().meta({ description: 'Who the call is made for, when a trusted key forwarded it.' }),
      state: z.enum(CALL_STATES),
      startedAt: timestamp(),
      endedAt: orNull(timestamp()),
      progress: orNull(CallProgressSchema),
      approval: z
        .strictObject({
          id: z.string(),
          state: z.string().meta({ description: '`pending`, `approved`, `denied`, `expired`, `cancelled`, `void` or `interrupted`.' }),
          url: z.string().meta({ description: 'The approval in the API: `/api/approvals/{id}`.' }),
        })
        .optional()
        .meta({ description: 'When the approval policy held the call for a person: its approval.' }),
      question: z
        .strictObject({
          id: z.string(),
          state: z.string().meta({
            description:
              '`pending` (the call is `waiting_for_input`), then how it ended: `accepted`, `declined`, `cancelled`, `expired`, `withdrawn` or `interrupted`.',
          }),
          url: z.string().meta({ description: 'The question in the API: `/api/questions/{id}`.' }),
        })
        .optional()
        .meta({ description: 'When the server asked a person during the call (elicitation): its latest question.' }),
      task: z
        .strictObject({
          status: z.string().meta({
            description: "The task's status as the server last told it: `working`, `input_required`, `completed`, `failed` or `cancelled`.",
          }),
          statusMessage: z.string().optional().meta({ description: "The server's words on the status (untrusted text)." }),
        })
        .optional()
        .meta({
          description:
            'When the call runs as an MCP task on its server (a tool with `execution.taskSupport` `required`, or `optional` in an ' +
            "async call): the task's status, kept once the call has ended. Absent for other calls.",
        }),
      result: z
        .unknown()
        .optional()
        .meta({
          description:
            'When the call produced a result: the answer of its surface (a `ToolCallResult` for the management API, ' +
            'the unwrapped result for `POST /{server}/{tool}`).',
        }),
      // When the call failed, or the tool reported an error: the problem. (No description here: it
      // would make the document repeat the Problem schema instead of referring to it.)
      error: ProblemSchema.optional(),
    })
    .meta({
      id: 'CallSnapshot',
      description:
        'A call by id: its state, its latest progress and, once it has ended, its `result` or its `error` (the `Problem`; ' +
        'both when the tool reported an error on the management API).',
    }),
);

export const CallListSchema = answer(() =>
  z
    .strictObject({ items: z.array(CallSnapshotSchema).meta({ description: 'Oldest first.' }) })
    .meta({ id: 'CallList', description: 'The calls running now.' }),
);

/** What each event of a call's event stream carries as its `data` (JSON). */
export const CALL_EVENT_DATA = {
  progress: CallProgressSchema,
  log: LogMessageSchema,
  result: ToolCallResultSchema,
  error: ProblemSchema,
} as const;

export const CallEventStreamSchema = answer(() =>
  z.string().meta({
    id: 'CallEventStream',
    description:
      'Server-Sent Events, each with a JSON `data` line: for a call the approval policy holds, first `approval` (an ' +
      '`ApprovalEvent`: `waiting`, then how it was decided); then `progress` (a `CallProgress`), `log` (a `LogMessage`), ' +
      '`question` when the server asks a person (`{status: "waiting"|<how it ended>, id, url, message, expiresAt, answeredBy?}`), then ' +
      'exactly one `result` (the `ToolCallResult`) or `error` (the `Problem`: `timeout`, `upstream-error`, `approval-denied` …), ' +
      'after which the stream ends. A late subscriber first gets the latest progress and the log messages kept so far. ' +
      'A `: heartbeat` comment comes every `gateway.heartbeatMs` (default 15 s) while the call is quiet.',
  }),
);

// ---------------------------------------------------------------------------------------------
// Activity

export const ActivityEntrySchema = answer(() =>
  z
    .strictObject({
      id: z.uuid(),
      startedAt: timestamp(),
      endedAt: orNull(timestamp()).meta({ description: 'Null while the call runs and for interrupted calls.' }),
      server: z.string(),
      tool: z.string(),
      caller: z.string().meta({
        description:
          'Who called: `api-key` (the start-up key), `key:<id>` (a key from `/api/keys`), `ui` or `ui:<key id>` (a UI sign-in), `device:<id>`, or `anonymous` (a gateway without a key).',
      }),
      surface: z.enum(CALL_SURFACES),
      mode: z.enum(CALL_MODES),
      arguments: z.unknown().nonoptional().meta({
        description: 'The arguments with secret-looking values replaced by "[redacted]"; the cut JSON text when `argumentsTruncated`.',
      }),
      argumentsTruncated: z.boolean().meta({ description: 'Whether the stored arguments were cut to 16 KiB.' }),
      outcome: z.enum(ACTIVITY_OUTCOMES as readonly [ActivityOutcome, ...ActivityOutcome[]]),
      status: orNull(z.int()).meta({
        description: 'The HTTP status the call was answered with (or would have been, for a stream or an async call).',
      }),
      durationMs: orNull(z.number().min(0)),
      resultBytes: orNull(count()).meta({ description: 'Size of the result as JSON, in bytes.' }),
      preview: orNull(z.string()).meta({ description: 'The start of the result (up to 2 KiB).' }),
      error: orNull(z.string()).meta({ description: 'What went wrong (up to 2 KiB).' }),
      approvalId: orNull(z.string()).meta({
        description: 'The approval the call waited for (`/api/approvals/{id}`: who decided, when, through what, why), or null.',
      }),
      client: orNull(z.string()).meta({
        description:
          'The MCP client that made the call, as it names itself (name and version), for calls on `/mcp` (surface `mcp`); else null.',
        example: 'Claude Code 2.1.0',
      }),
      questions: orNull(
        z.array(
          z.strictObject({
            id: z.string().meta({ description: 'The question (`/api/questions/{id}` while the gateway keeps it).' }),
            mode: z.enum(['form', 'url']).optional().meta({ description: '`form` or `url` (absent in older entries).' }),
            message: z
              .string()
              .optional()
              .meta({ description: "The server's message (its text, untrusted), up to 1000 characters (absent in older entries)." }),
            state: z.string().meta({ description: '`accepted`, `declined`, `cancelled`, `expired`, `withdrawn` or `interrupted`.' }),
            answeredBy: orNull(z.string()).meta({ description: 'The label of who answered; `gateway` when it ended the question.' }),
            answeredVia: orNull(z.string()).meta({ description: '`ui`, `api` or `gateway`.' }),
            fields: orNull(z.array(z.string())).meta({ description: 'The names of the fields an `accept` answered; never their values.' }),
          }),
        ),
      ).meta({
        description:
          'The questions the server asked a person during the call (elicitation) and how each ended, or null when it asked none.',
      }),
      user: orNull(ForwardedUserSchema).meta({ description: 'Who the call was made for (a trusted key forwarded it), or null.' }),
    })
    .meta({ id: 'ActivityEntry', description: 'One tool call, on any surface, as the activity log recorded it.' }),
);

export const ActivityPageSchema = answer(() =>
  z
    .strictObject({
      items: z.array(ActivityEntrySchema).meta({ description: 'Newest first.' }),
      nextCursor: orNull(z.string()).meta({ description: 'The `cursor` of the next page; null on the last page.' }),
    })
    .meta({ id: 'ActivityPage', description: 'One page of the activity log.' }),
);

// ---------------------------------------------------------------------------------------------
// Documents

export const OpenApiDocumentSchema = answer(() => jsonObject().meta({ id: 'OpenApiDocument', description: 'An OpenAPI 3.1 document.' }));

// ---------------------------------------------------------------------------------------------
// Identities: API keys and paired devices

/** A label a person gives a key or a device: 1–64 characters, no control characters. */
export const LabelSchema = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(64, { error: 'must be at most 64 characters' })
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), { error: 'must not contain control characters' })
  .meta({ description: 'A name for people, 1–64 characters.', example: 'Open WebUI' });

export const ScopeSchema = z.enum(['tools:call', 'tools:read', 'approvals:decide', 'admin']).meta({
  id: 'Scope',
  description:
    '`tools:call`: call tools; `tools:read`: read servers, tools, resources, prompts, documents, activity and metrics; `approvals:decide`: approve or deny held calls; `admin`: everything, including keys, devices and servers.',
});

/** `POST /api/keys`. */
export const CreateKeyBody = z
  .strictObject({
    label: LabelSchema,
    scopes: z
      .array(ScopeSchema)
      .min(1, { error: 'must name at least one scope' })
      .optional()
      .meta({ description: 'Default `["tools:call", "tools:read"]` (what Open WebUI needs).' }),
    trustForwardedUser: z
      .boolean()
      .optional()
      .meta({
        description:
          "Whether the key's calls may say which user they are made for (Open WebUI's `X-OpenWebUI-User-*` and chat headers, " +
          'recorded in the activity log, shown on approvals and matched by `user`/`role` approval rules). Default false: ' +
          'the headers are ignored. Only for a key that the orchestrator alone holds.',
      }),
  })
  .meta({ id: 'KeyCreate', description: 'A new API key.' });

export const DEFAULT_KEY_SCOPES = ['tools:call', 'tools:read'] as const;

/** `PATCH /api/keys/{id}`. */
export const PatchKeyBody = z
  .strictObject({
    trustForwardedUser: z.boolean().meta({ description: "See `KeyCreate`; applies from the key's next request on." }),
  })
  .meta({ id: 'KeyUpdate', description: 'A change to an API key.' });

const keyFields = () => ({
  id: z.string().meta({ example: '3f9a0c1b2d4e' }),
  label: z.string(),
  scopes: z.array(ScopeSchema),
  caller: z.string().meta({ description: "How the activity log and approvals name this key's calls: `key:<id>`." }),
  trustForwardedUser: z.boolean().meta({ description: 'Whether the user its calls forward is believed (see `KeyCreate`).' }),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable().meta({ description: 'To the minute.' }),
  revokedAt: z.iso.datetime().nullable(),
});
export const KeySchema = answer(() => z.strictObject(keyFields()).meta({ id: 'Key', description: 'An API key (never its token).' }));
export const CreatedKeySchema = answer(() =>
  z
    .strictObject({
      ...keyFields(),
      token: z
        .string()
        .meta({ description: 'The key itself, shown this once: send it as `Authorization: Bearer <token>`.', example: 'mgw_…' }),
    })
    .meta({ id: 'CreatedKey', description: 'A key just made, with its token (shown once; only its hash is stored).' }),
);
export const KeyListSchema = answer(() =>
  z.strictObject({ items: z.array(KeySchema) }).meta({ id: 'KeyList', description: 'Every key, newest first, revoked ones included.' }),
);
export const KeyIdParams = z.strictObject({ id: z.string() });

// ---------------------------------------------------------------------------------------------
// Approvals

export const APPROVAL_STATE_VALUES = ['pending', 'approved', 'denied', 'expired', 'cancelled', 'void', 'interrupted'] as const;

export const ApprovalListQuery = z.strictObject({
  state: z.enum(APPROVAL_STATE_VALUES).optional().meta({ description: 'Only approvals in this state.' }),
  limit: z.coerce.number().int().min(1).max(500).optional().meta({ description: 'Most approvals answered, newest first. Default 100.' }),
});

/** `POST /api/approvals/{id}/approve` and `/deny`; the body may be left out. */
export const DecisionBody = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .max(MAX_DECISION_REASON, { error: `must be at most ${MAX_DECISION_REASON} characters` })
      .optional()
      .meta({ description: 'Why (shown to the caller of a denied call and in the audit).' }),
    binding: z.string().optional().meta({
      description:
        'The `binding` of the approval as the decider saw it: when given, the decision applies only if it is still that approval.',
    }),
  })
  .optional()
  .meta({ id: 'Decision', description: 'A decision on a held call.' });

export const ApprovalSchema = answer(() =>
  z
    .strictObject({
      id: z.string().meta({ example: 'apr_3n9xW0bq2mT1Kc8vLa0p' }),
      callId: z.string().meta({ description: 'The held call (`/api/calls/{id}` while it lives, then `/api/activity/{id}`).' }),
      server: z.string(),
      tool: z.string(),
      arguments: z.unknown().meta({ description: 'The arguments as sent, with secret-looking fields redacted like the activity log.' }),
      caller: z.string(),
      callerLabel: z.string(),
      user: orNull(ForwardedUserSchema).meta({ description: 'Who the call was made for (a trusted key forwarded it), or null.' }),
      rule: z
        .string()
        .meta({ description: "What asked: a rule's JSON path (`$.approval.rules[1]`), `default` or `default (readOnlyHint)`." }),
      ruleReason: z.string(),
      binding: z.string().meta({
        description:
          "HMAC-SHA256, keyed with the gateway's own secret, over the approval's id, server, tool, the canonical arguments and the tool's definition: stable for this approval, different for every other one (even of the same call), and no help in guessing a redacted value.",
      }),
      state: z.enum(APPROVAL_STATE_VALUES),
      createdAt: z.iso.datetime(),
      expiresAt: z.iso.datetime(),
      decidedAt: z.iso.datetime().nullable(),
      decidedBy: z.string().nullable().meta({ description: "The decider's caller id, or `gateway` (expiry, cancellation, restart)." }),
      decidedByLabel: z.string().nullable(),
      decidedVia: z.enum(['api', 'ui', 'gateway']).nullable(),
      reason: z.string().nullable(),
    })
    .meta({ id: 'Approval', description: 'A call the approval policy held for a person.' }),
);

export const ApprovalListSchema = answer(() =>
  z.strictObject({ items: z.array(ApprovalSchema), pending: z.int() }).meta({ id: 'ApprovalList' }),
);

export const ApprovalIdParams = z.strictObject({
  id: z.string().meta({
    description: "The approval's id, as `GET /api/approvals`, a held call's snapshot (`approval.id`) or its `approval` event give it.",
    example: 'apr_3n9xW0bq2mT1Kc8vLa0p',
  }),
});

/** The `data` of a call's `approval` event (a held call's event stream). */
export const ApprovalEventSchema = answer(() =>
  z
    .strictObject({
      status: z
        .enum(['waiting', 'approved', 'denied', 'expired', 'cancelled', 'void', 'interrupted'])
        .meta({ description: '`waiting` while the approval is pending, then the state it was decided with.' }),
      id: z.string().meta({ description: "The approval's id." }),
      url: z.string().meta({ description: 'The approval in the API: `/api/approvals/{id}`.' }),
      expiresAt: z.iso.datetime().meta({ description: 'When the call stops waiting, unless someone decides first.' }),
      decidedBy: z.string().optional().meta({ description: 'Once decided: the label of who decided (`gateway` for expiry and the like).' }),
    })
    .meta({ id: 'ApprovalEvent', description: 'The `approval` event of a held call: where to decide, then how it was decided.' }),
);

// ---------------------------------------------------------------------------------------------
// Paired devices

export const DeviceSchema = answer(() =>
  z
    .strictObject({
      id: z.string(),
      label: z.string().meta({ description: 'The name given when it was paired.', example: 'Pixel 8' }),
      pairedAt: z.iso.datetime(),
      pairedBy: z.string().meta({ description: 'The caller id of the admin who paired it (`api-key`, `ui`, `ui:<key id>` …).' }),
      lastSeenAt: z.iso.datetime().nullable().meta({ description: 'To the minute.' }),
      revokedAt: z.iso.datetime().nullable(),
    })
    .meta({
      id: 'Device',
      description:
        'A paired device (a phone): it reads and decides approvals (scopes `approvals:decide` and `tools:read`). Never its token.',
    }),
);
export const DeviceListSchema = answer(() =>
  z
    .strictObject({ items: z.array(DeviceSchema) })
    .meta({ id: 'DeviceList', description: 'Every paired device, newest first, revoked ones included.' }),
);
export const DeviceIdParams = z.strictObject({
  id: z.string().meta({ description: "The device's id, as `GET /api/devices` gives it." }),
});

// ---------------------------------------------------------------------------------------------
// Resources, prompts and completions (`/api/servers/{server}/…`)

/** Page size of the resource and template lists when `limit` is not given. */
export const DEFAULT_RESOURCE_LIMIT = 100;
/** Largest `limit` of the resource and template lists. */
export const MAX_RESOURCE_LIMIT = 1000;

export const ServerPathParams = z.strictObject({
  server: z.string().meta({ description: "The server's name, as in the config file.", example: 'demo' }),
});

export const PromptPathParams = z.strictObject({
  server: z.string().meta({ description: "The server's name, as in the config file.", example: 'demo' }),
  name: z.string().meta({ description: "The prompt's name, as the server lists it.", example: 'args-prompt' }),
});

/** A list cursor: base64url of the index the page starts at (the server's lists are kept in memory, in its order). */
export function decodeListCursor(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,16}$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}

export function encodeListCursor(index: number): string {
  return Buffer.from(String(index), 'utf8').toString('base64url');
}

/** Query of `GET …/resources` and `…/resource-templates`; an unknown or repeated parameter is a 422. */
export const ResourceListQuery = z.strictObject({
  limit: pageLimit(MAX_RESOURCE_LIMIT, DEFAULT_RESOURCE_LIMIT, 'Most items in the page.'),
  cursor: pageCursor(decodeListCursor, 'Where the page starts: `nextCursor` of the previous page.'),
});

/** Query of `GET …/resource` and `…/resource/events`. */
export const ResourceQuery = z.strictObject({
  uri: z.string().min(1).meta({
    description: "The resource's URI, as the server lists it or as its template makes it.",
    example: 'demo://resource/static/document/architecture.md',
  }),
  raw: z.enum(['0', '1', 'true', 'false']).optional().meta({
    description: "`1`: answer the first content item's bytes with its MIME type instead of JSON (as an `Accept` without JSON does).",
  }),
});

/** Query of `GET …/resource/events`. */
export const ResourceEventsQuery = z.strictObject({ uri: ResourceQuery.shape.uri });

const mimeType = () => orNull(z.string()).meta({ description: 'The MIME type, when the server tells.' });

export const ResourceSchema = answer(() =>
  z
    .strictObject({
      uri: z.string(),
      name: z.string(),
      title: orNull(z.string()),
      description: orNull(z.string()),
      mimeType: mimeType(),
      size: orNull(count()).meta({ description: 'Size of the raw content in bytes, when the server tells.' }),
    })
    .meta({ id: 'Resource', description: 'A resource the server lists.' }),
);

export const ResourcePageSchema = answer(() =>
  z
    .strictObject({
      items: z.array(ResourceSchema).meta({ description: 'In the order the server lists them.' }),
      nextCursor: orNull(z.string()).meta({ description: 'The `cursor` of the next page; null on the last page.' }),
    })
    .meta({ id: 'ResourcePage', description: "One page of a server's resources." }),
);

export const ResourceTemplateSchema = answer(() =>
  z
    .strictObject({
      uriTemplate: z.string().meta({ description: 'An RFC 6570 URI template, e.g. `file:///{path}`.' }),
      name: z.string(),
      title: orNull(z.string()),
      description: orNull(z.string()),
      mimeType: mimeType(),
    })
    .meta({
      id: 'ResourceTemplate',
      description: 'A resource template the server lists: read a resource made from it with `…/resource?uri=`.',
    }),
);

export const ResourceTemplatePageSchema = answer(() =>
  z
    .strictObject({
      items: z.array(ResourceTemplateSchema),
      nextCursor: orNull(z.string()).meta({ description: 'The `cursor` of the next page; null on the last page.' }),
    })
    .meta({ id: 'ResourceTemplatePage', description: "One page of a server's resource templates." }),
);

export const ResourceContentsSchema = answer(() =>
  z
    .object({
      uri: z.string(),
      mimeType: z.string().optional(),
      text: z.string().optional().meta({ description: 'A text resource.' }),
      blob: z.string().optional().meta({ description: 'A binary resource, base64.' }),
    })
    .meta({ id: 'ResourceContents', description: 'One item of a resource, as the server sent it: `text` or `blob`.' }),
);

export const ResourceReadSchema = answer(() =>
  z
    .object({ contents: z.array(ResourceContentsSchema) })
    .meta({ id: 'ResourceRead', description: 'The result of `resources/read`, as the server sent it.' }),
);

export const ResourceEventStreamSchema = answer(() =>
  z.string().meta({
    id: 'ResourceEventStream',
    description:
      'Server-Sent Events: `updated` (`{"uri": …}`) each time the server says the resource changed (read it anew), and ' +
      '`: heartbeat` comments every `gateway.heartbeatMs` (default 15 s). The stream ends when the client closes it; a ' +
      'server that reconnects keeps the watch; when the server is disabled or removed, the stream ends with an `error` ' +
      'event (the `Problem`, `server-unavailable`).',
  }),
);

export const PromptArgumentSchema = answer(() =>
  z
    .object({
      name: z.string(),
      title: z.string().optional(),
      description: z.string().optional(),
      required: z.boolean().optional(),
    })
    .meta({ id: 'PromptArgument', description: 'An argument of a prompt, as the server declares it.' }),
);

export const PromptSchema = answer(() =>
  z
    .strictObject({
      name: z.string(),
      title: orNull(z.string()),
      description: orNull(z.string()),
      arguments: z.array(PromptArgumentSchema).meta({ description: '`[]` when it takes none.' }),
    })
    .meta({ id: 'Prompt', description: 'A prompt the server lists.' }),
);

export const PromptListSchema = answer(() =>
  z
    .strictObject({ items: z.array(PromptSchema).meta({ description: 'In the order the server lists them.' }) })
    .meta({ id: 'PromptList', description: "The server's prompts." }),
);

export const GetPromptBody = z
  .strictObject({
    arguments: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: "The prompt's arguments, all strings; every `required` one must be given. Default `{}`." }),
  })
  .meta({ id: 'GetPromptRequest', description: 'What to fill the prompt with.' });

export const PromptResultSchema = answer(() =>
  z
    .object({
      description: z.string().optional(),
      messages: z.array(z.object({ role: z.enum(['user', 'assistant']), content: jsonObject() })),
    })
    .meta({ id: 'PromptResult', description: 'The result of `prompts/get`, as the server sent it: messages with MCP content items.' }),
);

export const CompleteBody = z
  .strictObject({
    ref: z
      .discriminatedUnion('type', [
        z.strictObject({ type: z.literal('ref/prompt'), name: z.string().min(1) }),
        z.strictObject({ type: z.literal('ref/resource'), uri: z.string().min(1) }),
      ])
      .meta({ description: 'What is completed: a prompt (`name`) or a resource template (`uri`: its `uriTemplate`).' }),
    argument: z
      .strictObject({ name: z.string().min(1), value: z.string() })
      .meta({ description: 'The argument (or template variable) and what has been typed so far.' }),
    context: z.record(z.string(), z.string()).optional().meta({ description: 'The values of the other arguments already chosen.' }),
  })
  .meta({ id: 'CompleteRequest', description: 'An argument to complete (`completion/complete`).' });

export const CompletionSchema = answer(() =>
  z
    .strictObject({
      values: z.array(z.string()).meta({ description: 'At most 100 suggestions; `[]` when the server offers no completions.' }),
      total: orNull(count()).meta({ description: 'How many suggestions there are in all, when the server tells.' }),
      hasMore: z.boolean().meta({ description: 'Whether there are more than `values`.' }),
    })
    .meta({ id: 'Completion', description: 'Suggestions for the argument.' }),
);
