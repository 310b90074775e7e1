/**
 * The management API's OpenAPI 3.1 document (`GET /api/openapi.json`, committed as
 * `openapi/gateway.json` by `npm run openapi`), generated from the zod schemas in
 * `../http/api-schemas.ts` with `@asteasolutions/zod-to-openapi`.
 *
 * Every management route is here with every answer it can give, problems included; the
 * mcpo-compatible `POST /{server}/{tool}` is not (it lives in the tool documents). The output
 * depends on `version` only, so the committed file can be checked for drift.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { requiredScope } from '../auth/scopes.js';
import {
  ActivityEntrySchema,
  ActivityIdParams,
  ActivityListQuery,
  ActivityPageSchema,
  ApprovalIdParams,
  ApprovalListQuery,
  ApprovalListSchema,
  ApprovalSchema,
  CallEventStreamSchema,
  CallIdParams,
  CallListSchema,
  CallSnapshotSchema,
  CreateKeyBody,
  CreatedKeySchema,
  DecisionBody,
  DeviceIdParams,
  DeviceListSchema,
  DeviceSchema,
  DocumentServerParams,
  HealthSchema,
  KeyIdParams,
  KeyListSchema,
  KeySchema,
  NotReadyProblemSchema,
  OpenApiDocumentSchema,
  PatchServerBody,
  ReadySchema,
  ServerDetailSchema,
  ServerListSchema,
  ServerNameParams,
  ToolArgumentsSchema,
  ToolCallHeaders,
  ToolCallResultSchema,
  ToolListQuery,
  ToolListSchema,
  ToolPathParams,
  ToolSchema,
} from '../http/api-schemas.js';
import { ProblemSchema } from './problem-schema.js';

type Tag = 'health' | 'servers' | 'tools' | 'calls' | 'approvals' | 'activity' | 'keys' | 'devices' | 'documents';

const TAGS: { name: Tag; description: string }[] = [
  { name: 'health', description: 'Liveness and readiness probes, and Prometheus metrics.' },
  { name: 'servers', description: 'The upstream MCP servers: their state, enabling and disabling them, restarts.' },
  { name: 'tools', description: 'The tools of every server, and calling them with the full MCP result.' },
  { name: 'calls', description: 'Calls by id while they run (and async calls for a while after): state, progress, events, cancellation.' },
  { name: 'approvals', description: 'Calls the approval policy held for a person: listing them, approving and denying them.' },
  { name: 'activity', description: 'The activity log: one entry per tool call on either surface, newest first.' },
  { name: 'keys', description: 'API keys and their scopes: making, listing and revoking them.' },
  { name: 'devices', description: 'Paired devices (phones that decide approvals): listing and revoking them.' },
  { name: 'documents', description: 'The OpenAPI documents of the tools and of this API, and their docs pages.' },
];

const DESCRIPTION = `The management API of mcp-gateway: the upstream MCP servers and their state, their tools (searchable, and callable with the full MCP result), calls in flight, the calls held for approval, the activity log, API keys and paired devices, health and metrics, and the OpenAPI documents.

**Authentication.** When the gateway has a start-up key (\`MCP_GATEWAY_API_KEY\` or \`--api-key-file\`), every route but \`/healthz\` needs credentials: \`Authorization: Bearer <key>\` with the start-up key or a key made with \`POST /api/keys\` (the UI and paired devices use a session cookie instead). Without credentials the answer is a 401 \`unauthorized\`; with a key that is not valid (wrong or revoked) a 403 \`invalid-credentials\`. After 10 failed attempts from one address, or with one wrong key, within 10 minutes (wrong keys, sign-ins and pairing codes alike), a key from that address (or that key from anywhere) that is not valid is a 429 \`too-many-attempts\` until the 10 minutes are over (\`Retry-After\` says how long); a valid key always passes. Without a start-up key the gateway needs no credentials and every request may do everything (the 401, 403 \`invalid-credentials\` and 429 answers do not occur), but a valid key from \`POST /api/keys\` is still held to its scopes. The OpenAPI documents and docs pages are readable without credentials when \`gateway.publicSpecs\` is on. A state-changing request from a browser page must come from the gateway's own origin (the scheme, host and port of \`Host\`, or a proxy's \`X-Forwarded-Host\`/\`X-Forwarded-Proto\`) or from one of \`gateway.cors.origins\`, with or without a key: another \`Origin\`, or \`Sec-Fetch-Site: cross-site\`/\`same-site\`, is a 403 \`csrf-failed\` (clients that send neither, such as scripts, are not affected). One authenticated by the UI's session cookie must also send its CSRF token (\`X-CSRF-Token\`), else it is a 403 \`csrf-failed\`.

**Request paths and bodies.** A path with malformed percent-encoding is a 400 \`invalid-path\`. Routes that take a body take JSON only (\`Content-Type: application/json\`): another media type is a 415 \`unsupported-media-type\`; arrays and objects nested deeper than \`gateway.maxJsonDepth\` (default 64) are a 400 \`json-too-deep\`.

**Keys and scopes.** Every key has scopes, and every route needs one; credentials without it get a 403 \`forbidden\` whose \`scope\` names what was needed. \`admin\` holds every other scope.

| scope | routes |
|---|---|
| \`tools:call\` | \`POST /api/tools/{server}/{tool}\` (and the mcpo-compatible \`POST /{server}/{tool}\`), \`/api/calls…\` |
| \`tools:read\` | the \`GET\`s of \`/readyz\`, \`/metrics\`, servers, tools, activity (its own calls only, unless it also has \`approvals:decide\`), the documents and docs pages |
| \`approvals:decide\` | \`/api/approvals…\`; \`GET /api/approvals/{id}\` also takes \`tools:call\`, and then answers only about the approval that holds the caller's own call |
| \`admin\` | \`/api/keys…\`, \`/api/devices…\`, every other change (\`PATCH /api/servers/{name}\`, restarts), and any route or spelling not listed here |

The start-up key is \`admin\`. A key made with \`POST /api/keys\` has the scopes it was given (by default \`tools:call\` and \`tools:read\`, what Open WebUI needs); a paired device has \`approvals:decide\` and \`tools:read\`; a UI sign-in (with an admin key) is \`admin\`. Each operation's \`security\` requirement names the scope it needs.

**Approvals.** The approval policy (the config file's \`approval\`) may deny a tool call at once (403 \`denied-by-policy\`) or hold it for a person: the call then waits (state \`waiting_for_approval\`) until someone with \`approvals:decide\` approves it (it then runs, once), denies it (403 \`approval-denied\`), or \`approval.timeoutMs\` (default 2 min) passes (504 \`approval-timed-out\`). Each held call has an approval in \`/api/approvals\`; the first decision wins, and every activity entry names the approval its call waited for (\`approvalId\`).

**Host and Origin.** Requests whose \`Host\` (or \`Origin\`) is not a loopback name, a name in \`gateway.allowedHosts\` or an origin in \`gateway.cors.origins\` are refused with a 403 \`host-not-allowed\` (\`origin-not-allowed\`), against DNS rebinding.

**Errors** are RFC 9457 problem details (\`application/problem+json\`, the \`Problem\` schema) whose \`type\` is a stable slug. An unknown route is a 404 \`not-found\`.

**Request ids.** Every answer carries \`X-Request-Id\`: the request's own when it sent a valid one, else a new UUID.

Tools are also served the way Open WebUI and mcpo clients call them, as \`POST /{server}/{tool}\` with the unwrapped result: that surface is described by the tool documents (\`/openapi.json\`, \`/{server}/openapi.json\`), not here.`;

// ---------------------------------------------------------------------------------------------
// Answers shared by many operations

function problem(description: string, schema: z.ZodType = ProblemSchema, headers?: z.ZodObject): ResponseConfig {
  return { description, ...(headers ? { headers } : {}), content: { 'application/problem+json': { schema } } };
}

const WwwAuthenticate = z.object({
  'WWW-Authenticate': z.string().meta({ description: 'The scheme to use: `Bearer realm="mcp-gateway"`.' }),
});
const RetryAfter = z.object({
  'Retry-After': z.int().min(1).optional().meta({ description: 'Seconds after which a retry may succeed, when the gateway can tell.' }),
});
const TooManyRetryAfter = z.object({
  'Retry-After': z.int().min(1).meta({ description: 'Seconds until the address may try again.' }),
});
const AsyncAccepted = z.object({
  Location: z.string().meta({ description: 'Where the call can be followed: `/api/calls/{id}`.', example: '/api/calls/0196f1c2-7a5e-7c3b-9d1e-2f4a6b8c0d1e' }),
  'Preference-Applied': z.literal('respond-async'),
});

type Responses = Record<string, ResponseConfig>;

const HOST_REFUSED = '`host-not-allowed` / `origin-not-allowed`: the `Host` or `Origin` header is not accepted (DNS-rebinding protection)';
const CROSS_SITE =
  '`csrf-failed`: a browser page of another origin sent it (`Origin` is not the gateway\'s own nor in `gateway.cors.origins`, ' +
  'or `Sec-Fetch-Site` is `cross-site`/`same-site`), or it came with the UI\'s session cookie and without its CSRF token';

/** A scope as `requiredScope` gives it, in words: `` `admin` ``, or `` `approvals:decide` or `tools:call` ``. */
function scopeText(scopes: readonly string[]): string {
  return scopes.map((scope) => `\`${scope}\``).join(' or ');
}

/**
 * 401, 403 and 429 of a route behind the key, for credentials without `scopes` (any one will do);
 * `publicSpecs` for the documents and docs pages.
 */
function auth(scopes: readonly string[], publicSpecs = false, changes = false): Responses {
  const unless = publicSpecs ? ', unless `gateway.publicSpecs` is on' : '';
  const csrf = changes ? `; ${CROSS_SITE}` : '';
  return {
    '401': problem(
      `\`unauthorized\`: the gateway has a start-up key and the request sent no credentials (\`Authorization: Bearer <key>\`)${unless}.`,
      ProblemSchema,
      WwwAuthenticate,
    ),
    '403': problem(
      '`invalid-credentials`: the key is wrong or revoked (only when the gateway has a start-up key); ' +
        `\`forbidden\`: the credentials lack the scope ${scopeText(scopes)} (\`scope\` names it${unless}); ${HOST_REFUSED}${csrf}.`,
    ),
    '429': problem(
      '`too-many-attempts`: this address, or this key, failed to authenticate 10 times within 10 minutes; until those 10 ' +
        'minutes are over, a key from it (or this key) that is not valid gets this instead of a 403. A valid key always ' +
        'passes. Only when the gateway has a start-up key.',
      ProblemSchema,
      TooManyRetryAfter,
    ),
  };
}

const INTERNAL: Responses = {
  '500': problem('`internal-error`: something went wrong in the gateway; the gateway log has the request id.'),
};

/** Answers of the JSON body reader, for the routes that take a body. */
const BODY: Responses = {
  '400': problem(
    '`invalid-json`: the request body is not valid JSON; `json-too-deep`: it nests arrays and objects deeper than ' +
      '`gateway.maxJsonDepth` (default 64; `limit`).',
  ),
  '413': problem('`payload-too-large`: the request body is larger than `gateway.maxBodyBytes` (default 1 MiB); `limit` and `size` say by how much.'),
  '415': problem('`unsupported-media-type`: the body is not sent as JSON (`Content-Type: application/json`).'),
};

/** The answer to a path parameter that is not valid percent-encoding. */
const PATH: Responses = {
  '400': problem('`invalid-path`: the path is not valid percent-encoding (e.g. `%E0%A4%A`).'),
};

function json(description: string, schema: z.ZodType, headers?: z.ZodObject): ResponseConfig {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } } };
}

/** Two problem answers of one status as one: both descriptions, the first one's schema, both headers. */
function merge(status: string, first: ResponseConfig, second: ResponseConfig): ResponseConfig {
  const schemaOf = (response: ResponseConfig) => (response.content as Record<string, { schema?: unknown }> | undefined)?.['application/problem+json']?.schema;
  if (!schemaOf(first) || schemaOf(first) !== schemaOf(second)) throw new Error(`two different answers for ${status}`);
  const headers = [first.headers, second.headers].filter((value): value is z.ZodObject => value instanceof z.ZodObject);
  const merged = headers.length === 0 ? undefined : headers.length === 1 ? headers[0] : headers[0]!.extend(headers[1]!.shape);
  return { ...first, description: `${first.description} ${second.description}`, ...(merged ? { headers: merged } : {}) };
}

/** Responses in status order; the problems of one status in several parts are described together, in order. */
function responses(...parts: Responses[]): Responses {
  const all: Responses = {};
  for (const part of parts) {
    for (const [status, response] of Object.entries(part)) all[status] = all[status] ? merge(status, all[status]!, response) : response;
  }
  return Object.fromEntries(Object.keys(all).sort().map((status) => [status, all[status]!]));
}

/** A management route behind the key: its own answers, plus the usual ones. */
type ManagedRoute = Omit<RouteConfig, 'responses' | 'security'> & { responses: Responses; publicSpecs?: boolean };

/**
 * A route behind the key: the scope it needs comes from the one table (`requiredScope`), as its
 * `security` requirement (any one of several scopes will do) and in its 403 answer.
 */
function managed({ publicSpecs = false, responses: own, ...route }: ManagedRoute): RouteConfig {
  const needed = requiredScope(route.method.toUpperCase(), route.path);
  const scopes = typeof needed === 'string' ? [needed] : [...needed];
  return {
    ...route,
    security: scopes.map((scope) => ({ bearer: [scope] })),
    responses: responses(own, route.path.includes('{') ? PATH : {}, auth(scopes, publicSpecs, route.method !== 'get'), INTERNAL),
  };
}

const SERVER_NOT_FOUND = problem('`server-not-found`: no server has this name.');
const KEY_NOT_FOUND = problem('`key-not-found`: no key made with `POST /api/keys` has this id.');

const KeyPathParams = KeyIdParams.extend({
  id: KeyIdParams.shape.id.meta({ description: 'The key\'s id, as `GET /api/keys` gives it (not its token).', example: '3f9a0c1b2d4e' }),
});
const KeyCreatedHeaders = z.object({
  Location: z.string().meta({ description: 'The key: `/api/keys/{id}`.', example: '/api/keys/3f9a0c1b2d4e' }),
  'Cache-Control': z.literal('no-store').meta({ description: 'The answer holds the token: no cache keeps it.' }),
});

// ---------------------------------------------------------------------------------------------
// The tool call route

const SSE_EXAMPLE = [
  'event: progress',
  'data: {"progress":1,"total":3,"message":"step 1 of 3"}',
  '',
  'event: log',
  'data: {"level":"info","logger":"demo","data":"step 1 done"}',
  '',
  ': heartbeat',
  '',
  'event: result',
  'data: {"id":"0196f1c2-7a5e-7c3b-9d1e-2f4a6b8c0d1e","durationMs":3012.5,"content":[{"type":"text","text":"done"}],"isError":false}',
  '',
  '',
].join('\n');

const eventStream = { 'text/event-stream': { schema: CallEventStreamSchema, example: SSE_EXAMPLE } };

const callTool = managed({
  method: 'post',
  path: '/api/tools/{server}/{tool}',
  operationId: 'callTool',
  summary: 'Call a tool',
  description:
    'Calls the tool with the body as its arguments, checked against its input schema first, and answers the whole MCP result ' +
    'with the call\'s `id` (its activity entry) and `durationMs`. A result with `isError: true` is still a 200 here (the ' +
    'mcpo-compatible `POST /{server}/{tool}` answers it as a 502 `tool-error`).\n\n' +
    'Three ways to wait for the answer:\n' +
    '- plain JSON (default): the answer comes when the call ends; a client that goes away cancels the call upstream;\n' +
    '- `Accept: text/event-stream`: a 200 event stream at once, with `progress` and `log` events and then one `result` or ' +
    '`error` event; closing the stream cancels the call;\n' +
    '- `Prefer: respond-async`: a 202 at once with the call\'s snapshot and `Location: /api/calls/{id}`; the call runs on, ' +
    'and stays readable there, by its caller only, for `gateway.finishedCallTtlMs` (default 15 min) after it ends, within ' +
    '`gateway.asyncCalls`: past `maxFinished` calls or `maxFinishedBytes` of results the oldest-finished are forgotten first. ' +
    'A caller has at most `maxPerCaller` (default 32) async calls running or kept: past that its own oldest finished call is ' +
    'forgotten, and while all of them are still running a new one is a 429 `too-many-calls`.\n\n' +
    'When the approval policy holds the call for a person, it waits first (state `waiting_for_approval`, an approval in ' +
    '`/api/approvals`) until someone approves it, denies it, or `approval.timeoutMs` (default 2 min) passes: a plain call ' +
    'answers only after that; a stream starts at once with an `approval` event (`waiting`, with the approval\'s `url` and ' +
    '`expiresAt`) and gets another when it is decided; an async call is answered 202 at once, its snapshot in ' +
    '`waiting_for_approval` with its `approval`.\n\n' +
    'Lookup, validation and policy (`denied-by-policy`) failures are answered before any of that, as a problem with its ' +
    'status; so is an overload, unless the call was held for approval first. Failures after that point (a denial or ' +
    'timeout of the approval included) are the answer in plain mode, the `error` event in a stream, and the snapshot\'s ' +
    '`error` for an async call.',
  tags: ['tools'],
  request: {
    params: ToolPathParams,
    headers: ToolCallHeaders,
    body: {
      description: 'The tool\'s arguments.',
      required: false,
      content: { 'application/json': { schema: ToolArgumentsSchema } },
    },
  },
  responses: {
    ...BODY,
    '200': {
      description:
        'The call ended with a result: the `ToolCallResult` as JSON; with `Accept: text/event-stream`, the event stream ' +
        'of the call (whatever its outcome).',
      content: { 'application/json': { schema: ToolCallResultSchema }, ...eventStream },
    },
    '202': json(
      'With `Prefer: respond-async`: the call was accepted and runs in the background; its snapshot (`state: running`, or ' +
        '`waiting_for_approval` with its `approval` when the policy held it).',
      CallSnapshotSchema,
      AsyncAccepted,
    ),
    '403': problem(
      '`denied-by-policy`: the approval policy denies this call (`rule` names the rule, e.g. `$.approval.rules[0]`); ' +
        '`approval-denied`: a person denied the held call (`approval`, their `reason`, `decidedBy`, `decidedAt`).',
    ),
    '404': problem('`server-not-found` / `tool-not-found`: no such server, or it has no such tool (or hides it with `disabledTools`).'),
    '409': problem(
      '`approval-void`: the tool\'s definition changed while the call waited for approval (`approval`); it did not run. ' +
        'Call again to ask anew.',
    ),
    '422': problem(
      '`invalid-arguments`: the body is not a JSON object or does not match the tool\'s input schema (`errors` names each ' +
        'field); `invalid-request`: `X-Timeout-Ms` is not an integer from 1 to `gateway.maxTimeoutMs`.',
    ),
    '429': problem(
      '`too-many-calls`: the caller is over one of its shares. With `Prefer: respond-async`: it already has ' +
        '`gateway.asyncCalls.maxPerCaller` (default 32) async calls running. For a call that waits for approval: the caller ' +
        'already has `approval.maxPendingPerCaller` (default 20) calls waiting, or the gateway `approval.maxPending` (default 200); ' +
        '`limit` names the cap, and the call made no approval and did not run. `Retry-After` says when to try again.',
      ProblemSchema,
      RetryAfter,
    ),
    '499': problem('`cancelled`: the call was cancelled meanwhile (`DELETE /api/calls/{id}`), or its caller went away while it waited for approval.'),
    '502': problem(
      '`upstream-error`: the MCP server failed to answer (it crashed, hung, or broke the protocol), or it answered the call ' +
        'with a JSON-RPC error (titled "The MCP server answered with an error"; `detail` has its message and code, e.g. ' +
        '-32601 when the tool asked the gateway for something it does not offer); `result-too-large`: the result is larger ' +
        'than `gateway.maxResultBytes` (default 4 MiB), or a stdio server\'s answer larger than `gateway.maxMessageBytes` ' +
        '(default 64 MiB).',
    ),
    '503': problem(
      '`server-unavailable`: the server is disabled, starting or failing (`state` says which); a tool name is only a 404 once ' +
        'the server has listed its tools; `overloaded`: the server has ' +
        '`maxConcurrent` calls running and `maxQueue` waiting. `Retry-After` says when to try again, when the gateway can tell. ' +
        '`approval-interrupted`: the gateway stopped while the call waited for approval; it will not run.',
      ProblemSchema,
      RetryAfter,
    ),
    '504': problem(
      '`timeout`: the call went longer than its timeout without progress; it was cancelled upstream. `approval-timed-out`: ' +
        'nobody decided within `approval.timeoutMs` (`approval`); the call did not run.',
    ),
  },
});

// ---------------------------------------------------------------------------------------------
// Every route

const HTML = { 'text/html': { schema: z.string().meta({ description: 'An HTML page.' }) } };

function docsPage(description: string): ResponseConfig {
  return { description, content: HTML };
}

const routes: RouteConfig[] = [
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Liveness probe',
    description: 'Answers 200 while the gateway runs, whatever its servers do. Never needs the API key.',
    tags: ['health'],
    security: [],
    responses: responses({
      '200': json('The gateway is up.', HealthSchema),
      '403': problem(`${HOST_REFUSED}.`),
    }),
  },
  managed({
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    summary: 'Readiness probe',
    description:
      'Answers 200 when every enabled server is ready (disabled servers do not count), else 503 listing the others. ' +
      'While the activity log cannot be written (a full disk, a damaged database) the 200 says `degraded` and both answers carry `activityLog`.',
    tags: ['health'],
    responses: {
      '200': json('Every enabled server is ready (`degraded`: but the activity log cannot be written).', ReadySchema),
      '503': problem('`not-ready`: some enabled servers are not ready; `servers` lists them with their state and last error.', NotReadyProblemSchema),
    },
  }),
  managed({
    method: 'get',
    path: '/api/servers',
    operationId: 'listServers',
    summary: 'List servers',
    description: 'Every configured server with its state, in the order of the config file.',
    tags: ['servers'],
    responses: { '200': json('The servers.', ServerListSchema) },
  }),
  managed({
    method: 'get',
    path: '/api/servers/{name}',
    operationId: 'getServer',
    summary: 'Show a server',
    description: 'One server in detail: its state, last error and stderr tail, instructions, and its config as written (no secrets).',
    tags: ['servers'],
    request: { params: ServerNameParams },
    responses: { '200': json('The server.', ServerDetailSchema), '404': SERVER_NOT_FOUND },
  }),
  managed({
    method: 'patch',
    path: '/api/servers/{name}',
    operationId: 'updateServer',
    summary: 'Enable or disable a server',
    description:
      'Starts (`enabled: true`) or stops (`enabled: false`) the server and answers its new state. The choice is a run-time ' +
      'override, kept in the state directory across gateway restarts until the config file changes its own `enabled`.',
    tags: ['servers'],
    request: {
      params: ServerNameParams,
      body: { description: 'The new `enabled`.', required: true, content: { 'application/json': { schema: PatchServerBody } } },
    },
    responses: {
      ...BODY,
      '200': json('The server, after the change.', ServerDetailSchema),
      '404': SERVER_NOT_FOUND,
      '422': problem('`invalid-request`: the body is not `{"enabled": <boolean>}`; `errors` names each field (an unknown one is "unknown field").'),
    },
  }),
  managed({
    method: 'post',
    path: '/api/servers/{name}/restart',
    operationId: 'restartServer',
    summary: 'Restart a server',
    description: 'Stops the server and starts it again at once, forgetting earlier failures. Answers once the new start has begun.',
    tags: ['servers'],
    request: { params: ServerNameParams },
    responses: {
      '202': json('The restart has begun; the server, now `starting`.', ServerDetailSchema),
      '404': SERVER_NOT_FOUND,
      '409': problem('`server-disabled`: the server is disabled; enable it with `PATCH {"enabled": true}`.'),
    },
  }),
  managed({
    method: 'get',
    path: '/api/tools',
    operationId: 'listTools',
    summary: 'List and search tools',
    description: 'The tools of every server (without `disabledTools`), optionally of one server and matching words.',
    tags: ['tools'],
    request: { query: ToolListQuery },
    responses: {
      '200': json('The matching tools.', ToolListSchema),
      '404': problem('`server-not-found`: `server` names no server.'),
    },
  }),
  managed({
    method: 'get',
    path: '/api/tools/{server}/{tool}',
    operationId: 'getTool',
    summary: 'Show a tool',
    description: 'One tool with its input and output schemas and annotations.',
    tags: ['tools'],
    request: { params: ToolPathParams },
    responses: {
      '200': json('The tool.', ToolSchema),
      '404': problem('`server-not-found` / `tool-not-found`: no such server, or it has no such tool (or hides it with `disabledTools`).'),
    },
  }),
  callTool,
  managed({
    method: 'get',
    path: '/api/calls',
    operationId: 'listCalls',
    summary: 'List running calls',
    description:
      'The caller\'s calls running now (or waiting for approval), on either surface and in any mode, oldest first; for an ' +
      '`admin`, every caller\'s. A call belongs to the caller that made it: the same key (a UI session: the key it signed in ' +
      'with).',
    tags: ['calls'],
    responses: { '200': json('The running calls.', CallListSchema) },
  }),
  managed({
    method: 'get',
    path: '/api/calls/{id}',
    operationId: 'getCall',
    summary: 'Show a call',
    description:
      'A running call, or an async call up to `gateway.finishedCallTtlMs` after it ended (within `gateway.asyncCalls`): its ' +
      'state, latest progress and, once it has ended, its result or problem. Older calls are in `/api/activity/{id}`. Only ' +
      'the caller that made the call, or an `admin`, finds it.',
    tags: ['calls'],
    request: { params: CallIdParams },
    responses: {
      '200': json('The call.', CallSnapshotSchema),
      '404': problem('`call-not-found`: no running or recent async call of this caller has this id (another caller\'s call is not found either).'),
    },
  }),
  managed({
    method: 'get',
    path: '/api/calls/{id}/events',
    operationId: 'getCallEvents',
    summary: 'Follow a call\'s events',
    description:
      'The call\'s Server-Sent Events, as `Accept: text/event-stream` gives them: its latest progress and kept log messages ' +
      'first, then live events, then one `result` or `error` event. For a call that has ended, only its final event. ' +
      'Closing this stream does not cancel the call.',
    tags: ['calls'],
    request: { params: CallIdParams },
    responses: {
      '200': { description: 'The event stream.', content: eventStream },
      '404': problem('`call-not-found`: no running or recent async call of this caller has this id (another caller\'s call is not found either).'),
    },
  }),
  managed({
    method: 'delete',
    path: '/api/calls/{id}',
    operationId: 'cancelCall',
    summary: 'Cancel a call',
    description:
      'Cancels a running call of the caller (an `admin`: of anyone; MCP cancellation upstream) and answers its snapshot once it has settled ' +
      '(`cancelled`), or after 5 s with its state then. The caller of a plain call gets a 499 `cancelled`. A call waiting for ' +
      'approval never runs: its approval ends `cancelled`.',
    tags: ['calls'],
    request: { params: CallIdParams },
    responses: {
      '200': json('The call, after the cancellation.', CallSnapshotSchema),
      '404': problem('`call-not-found`: no running or recent async call of this caller has this id (another caller\'s call is not found either).'),
      '409': problem('`call-finished`: the call has already ended; `state` says how.'),
    },
  }),
  managed({
    method: 'get',
    path: '/api/approvals',
    operationId: 'listApprovals',
    summary: 'List approvals',
    description:
      'The calls the approval policy held for a person, newest first: pending ones and decided ones (who decided, when, ' +
      'through what, why), with the number pending now.',
    tags: ['approvals'],
    request: { query: ApprovalListQuery },
    responses: {
      '200': json('The approvals.', ApprovalListSchema),
      '422': problem('`invalid-request`: `state` is not a state, `limit` is not an integer from 1 to 500, or a parameter is unknown (`errors` names each one).'),
    },
  }),
  managed({
    method: 'get',
    path: '/api/approvals/{id}',
    operationId: 'getApproval',
    summary: 'Show an approval',
    description:
      'One approval: the held call (server, tool, redacted arguments, caller), the rule that asked, its `binding`, and how ' +
      'it was decided. Besides deciders (`approvals:decide`), the caller whose call it holds may read it (`tools:call`), ' +
      'e.g. at the `url` of its call\'s `approval`.',
    tags: ['approvals'],
    request: { params: ApprovalIdParams },
    responses: {
      '200': json('The approval.', ApprovalSchema),
      '404': problem('`approval-not-found`: no approval has this id, or it holds another caller\'s call and the credentials cannot decide.'),
    },
  }),
  ...(['approve', 'deny'] as const).map((action) =>
    managed({
      method: 'post',
      path: `/api/approvals/{id}/${action}`,
      operationId: action === 'approve' ? 'approveCall' : 'denyCall',
      summary: action === 'approve' ? 'Approve a held call' : 'Deny a held call',
      description:
        (action === 'approve'
          ? 'Approves a pending approval: the held call runs (once) and its caller gets its answer. '
          : 'Denies a pending approval: the held call does not run, and its caller gets a 403 `approval-denied` with the `reason`. ') +
        'The first decision wins; any later one is a 409 naming it. Send the `binding` you were shown so that the decision ' +
        'applies only to that very call (same arguments, same tool definition). The body may be left out.',
      tags: ['approvals'],
      request: {
        params: ApprovalIdParams,
        body: { description: 'An optional reason, and the binding seen.', required: false, content: { 'application/json': { schema: DecisionBody } } },
      },
      responses: {
        ...BODY,
        '200': json(`The approval, now \`${action === 'approve' ? 'approved' : 'denied'}\`.`, ApprovalSchema),
        '404': problem('`approval-not-found`: no approval has this id.'),
        '409': problem(
          '`approval-decided`: the approval was already decided or ended (`state`, and `decidedBy` and `decidedAt` of the ' +
            'winner); `approval-void`: the `binding` sent is not the approval\'s, or the tool\'s definition changed since the ' +
            'call asked (`state`).',
        ),
        '422': problem('`invalid-request`: the body is not `{"reason"?: <string of at most 500>, "binding"?: <string>}`; `errors` names each field.'),
      },
    }),
  ),
  managed({
    method: 'get',
    path: '/api/activity',
    operationId: 'listActivity',
    summary: 'List the activity log',
    description:
      'Tool calls, newest first, one page at a time; the filters combine with AND. Pass `nextCursor` as `cursor` for the ' +
      'next page. Entries older than `gateway.activity.maxAgeDays` or beyond `gateway.activity.maxRows` are pruned. ' +
      'An `admin` and an identity with `approvals:decide` (a paired device, a decider key) see every caller\'s calls; anyone ' +
      'else sees the calls of its own caller id only.',
    tags: ['activity'],
    request: { query: ActivityListQuery },
    responses: {
      '200': json('One page of entries.', ActivityPageSchema),
      '422': problem(
        '`invalid-request`: a parameter is malformed, repeated or unknown (`errors` names each one), e.g. a `limit` out of ' +
          'range or a `cursor` that is not a `nextCursor`.',
      ),
    },
  }),
  managed({
    method: 'get',
    path: '/api/activity/{id}',
    operationId: 'getActivityEntry',
    summary: 'Show an activity entry',
    description:
      'One call from the activity log, by its id: a call of the caller\'s own, or any call for an `admin` or an identity with ' +
      '`approvals:decide`.',
    tags: ['activity'],
    request: { params: ActivityIdParams },
    responses: {
      '200': json('The entry.', ActivityEntrySchema),
      '404': problem('`activity-not-found`: no entry of this caller has this id (it may have been pruned; another caller\'s entry is not found either).'),
    },
  }),
  managed({
    method: 'get',
    path: '/api/keys',
    operationId: 'listKeys',
    summary: 'List API keys',
    description: 'Every key made with `POST /api/keys`, newest first, revoked ones included; never a token. (The start-up key is not listed.)',
    tags: ['keys'],
    responses: { '200': json('The keys.', KeyListSchema) },
  }),
  managed({
    method: 'post',
    path: '/api/keys',
    operationId: 'createKey',
    summary: 'Make an API key',
    description:
      'Makes a key with a label and scopes (default `tools:call` and `tools:read`, what Open WebUI needs) and answers it ' +
      'with its `token`, shown this once: the gateway keeps only its hash.',
    tags: ['keys'],
    request: { body: { description: 'The key\'s label and scopes.', required: true, content: { 'application/json': { schema: CreateKeyBody } } } },
    responses: {
      ...BODY,
      '201': json('The key, with its token.', CreatedKeySchema, KeyCreatedHeaders),
      '422': problem('`invalid-request`: the label is empty, longer than 64 characters or has control characters, a scope is unknown, or a field is unknown; `errors` names each one.'),
    },
  }),
  managed({
    method: 'get',
    path: '/api/keys/{id}',
    operationId: 'getKey',
    summary: 'Show an API key',
    description: 'One key, revoked or not; never its token.',
    tags: ['keys'],
    request: { params: KeyPathParams },
    responses: { '200': json('The key.', KeySchema), '404': KEY_NOT_FOUND },
  }),
  managed({
    method: 'delete',
    path: '/api/keys/{id}',
    operationId: 'revokeKey',
    summary: 'Revoke an API key',
    description:
      'Revokes the key at once: its token no longer authenticates (a 403 `invalid-credentials` on a gateway with a start-up ' +
      'key), and the UI sessions signed in with it end. Revoking a revoked key changes nothing.',
    tags: ['keys'],
    request: { params: KeyPathParams },
    responses: { '200': json('The key, revoked (`revokedAt`).', KeySchema), '404': KEY_NOT_FOUND },
  }),
  managed({
    method: 'get',
    path: '/api/devices',
    operationId: 'listDevices',
    summary: 'List paired devices',
    description: 'Every device paired with the gateway (phones that read and decide approvals), newest first, revoked ones included. ' +
      'Pairing itself happens in the UI (`/access`), with a person at each end.',
    tags: ['devices'],
    responses: { '200': json('The devices.', DeviceListSchema) },
  }),
  managed({
    method: 'delete',
    path: '/api/devices/{id}',
    operationId: 'revokeDevice',
    summary: 'Revoke a paired device',
    description: 'Revokes the device at once: its next request fails and its live streams close. Revoking a revoked device changes nothing.',
    tags: ['devices'],
    request: { params: DeviceIdParams },
    responses: {
      '200': json('The device, revoked (`revokedAt`).', DeviceSchema),
      '404': problem('`device-not-found`: no paired device has this id.'),
    },
  }),
  managed({
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      'The gateway\'s metrics in the Prometheus text format: tool calls by outcome, call durations, calls in flight and ' +
      'queued, server states and restarts, plus process and Node.js metrics, all prefixed `mcp_gateway_`.',
    tags: ['health'],
    responses: {
      '200': {
        description: 'The metrics.',
        content: { 'text/plain': { schema: z.string().meta({ description: 'Prometheus text exposition format 0.0.4.' }) } },
      },
    },
  }),
  managed({
    method: 'get',
    path: '/openapi.json',
    operationId: 'getToolsDocument',
    summary: 'Tools document of the gateway',
    description:
      'The OpenAPI document of every tool of every enabled server, as `POST /{server}/{tool}` (one Open WebUI tool server ' +
      'for the whole gateway). It follows the live tool list and is never cached.',
    tags: ['documents'],
    publicSpecs: true,
    responses: { '200': json('The document.', OpenApiDocumentSchema) },
  }),
  managed({
    method: 'get',
    path: '/{server}/openapi.json',
    operationId: 'getServerToolsDocument',
    summary: 'Tools document of a server',
    description: 'The OpenAPI document of one server\'s tools, with paths relative to `/{server}` as mcpo serves them.',
    tags: ['documents'],
    request: { params: DocumentServerParams },
    publicSpecs: true,
    responses: { '200': json('The document.', OpenApiDocumentSchema), '404': SERVER_NOT_FOUND },
  }),
  managed({
    method: 'get',
    path: '/api/openapi.json',
    operationId: 'getManagementDocument',
    summary: 'This document',
    description: 'The OpenAPI document of the management API: this one.',
    tags: ['documents'],
    publicSpecs: true,
    responses: { '200': json('The document.', OpenApiDocumentSchema) },
  }),
  managed({
    method: 'get',
    path: '/docs',
    operationId: 'getToolsDocs',
    summary: 'Docs page of the gateway\'s tools',
    description: 'Swagger UI over `/openapi.json`, served by the gateway itself.',
    tags: ['documents'],
    publicSpecs: true,
    responses: { '200': docsPage('The docs page.') },
  }),
  managed({
    method: 'get',
    path: '/{server}/docs',
    operationId: 'getServerToolsDocs',
    summary: 'Docs page of a server\'s tools',
    description: 'Swagger UI over `/{server}/openapi.json`, served by the gateway itself.',
    tags: ['documents'],
    request: { params: DocumentServerParams },
    publicSpecs: true,
    responses: { '200': docsPage('The docs page.'), '404': SERVER_NOT_FOUND },
  }),
  managed({
    method: 'get',
    path: '/api/docs',
    operationId: 'getManagementDocs',
    summary: 'Docs page of this API',
    description: 'Swagger UI over `/api/openapi.json`, served by the gateway itself.',
    tags: ['documents'],
    publicSpecs: true,
    responses: { '200': docsPage('The docs page.') },
  }),
  managed({
    method: 'get',
    path: '/api/openwebui/tools.py',
    operationId: 'getOpenWebUiTool',
    summary: 'Open WebUI tool code',
    description:
      'A ready-to-paste Open WebUI *Tool* (Python): one async method per tool, with typed parameters and `:param:` ' +
      'descriptions from the tool schemas, and valves for the gateway URL (this request\'s), the API key and a timeout. ' +
      'The tools of one server, or of every enabled server without `server`.',
    tags: ['documents'],
    request: { query: z.object({ server: z.string().optional().meta({ description: 'A server name; every enabled server when absent.' }) }) },
    responses: {
      '200': { description: 'The Python source.', content: { 'text/plain': { schema: z.string() } } },
      '404': SERVER_NOT_FOUND,
    },
  }),
];

function generate(version: string): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key: the start-up key, or one made with `POST /api/keys`. Checked only when the gateway has a start-up key; then ' +
      'every route but `/healthz` needs one. The scopes in an operation\'s requirement are the key scopes it needs (`admin` holds them all).',
  });
  for (const route of routes) registry.registerPath(route);
  const document = new OpenApiGeneratorV31(registry.definitions, { sortComponents: 'alphabetically' }).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'mcp-gateway management API',
      version,
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: TAGS,
  });
  // Plain JSON (no undefined values), without the empty sections the generator always writes.
  const plain = JSON.parse(JSON.stringify(document)) as Record<string, unknown> & { components: Record<string, unknown> };
  for (const [key, value] of Object.entries(plain.components)) {
    if (value && typeof value === 'object' && Object.keys(value).length === 0) delete plain.components[key];
  }
  if (plain.webhooks && Object.keys(plain.webhooks).length === 0) delete plain.webhooks;
  return plain;
}

const generated = new Map<string, string>();

/** The management API's OpenAPI 3.1 document; the same for the same `version`. Each call returns a fresh object. */
export function managementDocument(version: string): Record<string, unknown> {
  let text = generated.get(version);
  if (text === undefined) generated.set(version, (text = JSON.stringify(generate(version))));
  return JSON.parse(text) as Record<string, unknown>;
}
