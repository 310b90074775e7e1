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
import {
  ActivityEntrySchema,
  ActivityIdParams,
  ActivityListQuery,
  ActivityPageSchema,
  CallEventStreamSchema,
  CallIdParams,
  CallListSchema,
  CallSnapshotSchema,
  DocumentServerParams,
  HealthSchema,
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

type Tag = 'health' | 'servers' | 'tools' | 'calls' | 'activity' | 'documents';

const TAGS: { name: Tag; description: string }[] = [
  { name: 'health', description: 'Liveness and readiness probes, and Prometheus metrics.' },
  { name: 'servers', description: 'The upstream MCP servers: their state, enabling and disabling them, restarts.' },
  { name: 'tools', description: 'The tools of every server, and calling them with the full MCP result.' },
  { name: 'calls', description: 'Calls by id while they run (and async calls for a while after): state, progress, events, cancellation.' },
  { name: 'activity', description: 'The activity log: one entry per tool call on either surface, newest first.' },
  { name: 'documents', description: 'The OpenAPI documents of the tools and of this API, and their docs pages.' },
];

const DESCRIPTION = `The management API of mcp-gateway: the upstream MCP servers and their state, their tools (searchable, and callable with the full MCP result), calls in flight, the activity log, health and metrics, and the OpenAPI documents.

**Authentication.** When the gateway has an API key (\`MCP_GATEWAY_API_KEY\` or \`--api-key-file\`), every route but \`/healthz\` needs \`Authorization: Bearer <key>\`: without it the answer is a 401 \`unauthorized\`, with a wrong key a 403 \`invalid-credentials\`. Without a key the gateway checks none, and the 401 and 403 answers for the key do not occur. The OpenAPI documents and docs pages are readable without the key when \`gateway.publicSpecs\` is on.

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
const AsyncAccepted = z.object({
  Location: z.string().meta({ description: 'Where the call can be followed: `/api/calls/{id}`.', example: '/api/calls/0196f1c2-7a5e-7c3b-9d1e-2f4a6b8c0d1e' }),
  'Preference-Applied': z.literal('respond-async'),
});

type Responses = Record<string, ResponseConfig>;

const HOST_REFUSED = '`host-not-allowed` / `origin-not-allowed`: the `Host` or `Origin` header is not accepted (DNS-rebinding protection)';

/** 401 and 403 of a route behind the key; `publicSpecs` for the documents and docs pages. */
function auth(publicSpecs = false): Responses {
  const unless = publicSpecs ? ', unless `gateway.publicSpecs` is on' : '';
  return {
    '401': problem(
      `\`unauthorized\`: the gateway has an API key and the request did not send it as \`Authorization: Bearer <key>\`${unless}.`,
      ProblemSchema,
      WwwAuthenticate,
    ),
    '403': problem(`\`invalid-credentials\`: the API key is wrong (only when the gateway has one${unless}); ${HOST_REFUSED}.`),
  };
}

const INTERNAL: Responses = {
  '500': problem('`internal-error`: something went wrong in the gateway; the gateway log has the request id.'),
};

/** Answers of the JSON body reader, for the routes that take a body. */
const BODY: Responses = {
  '400': problem('`invalid-json`: the request body is not valid JSON.'),
  '413': problem('`payload-too-large`: the request body is larger than `gateway.maxBodyBytes` (default 1 MiB); `limit` and `size` say by how much.'),
};

function json(description: string, schema: z.ZodType, headers?: z.ZodObject): ResponseConfig {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } } };
}

/** Responses in status order. */
function responses(...parts: Responses[]): Responses {
  const all: Responses = Object.assign({}, ...parts);
  return Object.fromEntries(Object.keys(all).sort().map((status) => [status, all[status]!]));
}

/** The usual answers of a management route behind the key, besides its own. */
function managed(own: Responses, publicSpecs = false): Responses {
  return responses(auth(publicSpecs), INTERNAL, own);
}

const SERVER_NOT_FOUND = problem('`server-not-found`: no server has this name.');

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

const callTool: RouteConfig = {
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
    'and stays readable there for `gateway.finishedCallTtlMs` (default 15 min) after it ends.\n\n' +
    'Lookup, validation and overload failures are answered before any of that, as a problem with its status. Failures after ' +
    'that point are the answer in plain mode, the `error` event in a stream, and the snapshot\'s `error` for an async call.',
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
  responses: managed({
    ...BODY,
    '200': {
      description:
        'The call ended with a result: the `ToolCallResult` as JSON; with `Accept: text/event-stream`, the event stream ' +
        'of the call (whatever its outcome).',
      content: { 'application/json': { schema: ToolCallResultSchema }, ...eventStream },
    },
    '202': json(
      'With `Prefer: respond-async`: the call was accepted and runs in the background; its snapshot (`state: running`).',
      CallSnapshotSchema,
      AsyncAccepted,
    ),
    '404': problem('`server-not-found` / `tool-not-found`: no such server, or it has no such tool (or hides it with `disabledTools`).'),
    '422': problem(
      '`invalid-arguments`: the body is not a JSON object or does not match the tool\'s input schema (`errors` names each ' +
        'field); `invalid-request`: `X-Timeout-Ms` is not an integer from 1 to `gateway.maxTimeoutMs`, or a name in the path is ' +
        'not valid percent-encoding.',
    ),
    '499': problem('`cancelled`: the call was cancelled meanwhile (`DELETE /api/calls/{id}`).'),
    '502': problem(
      '`upstream-error`: the MCP server failed to answer (it crashed, or answered with an error); `result-too-large`: the ' +
        'result is larger than `gateway.maxResultBytes` (default 4 MiB).',
    ),
    '503': problem(
      '`server-unavailable`: the server is disabled, starting or failing (`state` says which); `overloaded`: the server has ' +
        '`maxConcurrent` calls running and `maxQueue` waiting. `Retry-After` says when to try again, when the gateway can tell.',
      ProblemSchema,
      RetryAfter,
    ),
    '504': problem('`timeout`: the call went longer than its timeout without progress; it was cancelled upstream.'),
  }),
};

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
  {
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    summary: 'Readiness probe',
    description: 'Answers 200 when every enabled server is ready (disabled servers do not count), else 503 listing the others.',
    tags: ['health'],
    responses: managed({
      '200': json('Every enabled server is ready.', ReadySchema),
      '503': problem('`not-ready`: some enabled servers are not ready; `servers` lists them with their state and last error.', NotReadyProblemSchema),
    }),
  },
  {
    method: 'get',
    path: '/api/servers',
    operationId: 'listServers',
    summary: 'List servers',
    description: 'Every configured server with its state, in the order of the config file.',
    tags: ['servers'],
    responses: managed({ '200': json('The servers.', ServerListSchema) }),
  },
  {
    method: 'get',
    path: '/api/servers/{name}',
    operationId: 'getServer',
    summary: 'Show a server',
    description: 'One server in detail: its state, last error and stderr tail, instructions, and its config as written (no secrets).',
    tags: ['servers'],
    request: { params: ServerNameParams },
    responses: managed({ '200': json('The server.', ServerDetailSchema), '404': SERVER_NOT_FOUND }),
  },
  {
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
    responses: managed({
      ...BODY,
      '200': json('The server, after the change.', ServerDetailSchema),
      '404': SERVER_NOT_FOUND,
      '422': problem('`invalid-request`: the body is not `{"enabled": <boolean>}`; `errors` names each field (an unknown one is "unknown field").'),
    }),
  },
  {
    method: 'post',
    path: '/api/servers/{name}/restart',
    operationId: 'restartServer',
    summary: 'Restart a server',
    description: 'Stops the server and starts it again at once, forgetting earlier failures. Answers once the new start has begun.',
    tags: ['servers'],
    request: { params: ServerNameParams },
    responses: managed({
      '202': json('The restart has begun; the server, now `starting`.', ServerDetailSchema),
      '404': SERVER_NOT_FOUND,
      '409': problem('`server-disabled`: the server is disabled; enable it with `PATCH {"enabled": true}`.'),
    }),
  },
  {
    method: 'get',
    path: '/api/tools',
    operationId: 'listTools',
    summary: 'List and search tools',
    description: 'The tools of every server (without `disabledTools`), optionally of one server and matching words.',
    tags: ['tools'],
    request: { query: ToolListQuery },
    responses: managed({
      '200': json('The matching tools.', ToolListSchema),
      '404': problem('`server-not-found`: `server` names no server.'),
    }),
  },
  {
    method: 'get',
    path: '/api/tools/{server}/{tool}',
    operationId: 'getTool',
    summary: 'Show a tool',
    description: 'One tool with its input and output schemas and annotations.',
    tags: ['tools'],
    request: { params: ToolPathParams },
    responses: managed({
      '200': json('The tool.', ToolSchema),
      '404': problem('`server-not-found` / `tool-not-found`: no such server, or it has no such tool (or hides it with `disabledTools`).'),
    }),
  },
  callTool,
  {
    method: 'get',
    path: '/api/calls',
    operationId: 'listCalls',
    summary: 'List running calls',
    description: 'The calls running now, on either surface and in any mode, oldest first.',
    tags: ['calls'],
    responses: managed({ '200': json('The running calls.', CallListSchema) }),
  },
  {
    method: 'get',
    path: '/api/calls/{id}',
    operationId: 'getCall',
    summary: 'Show a call',
    description:
      'A running call, or an async call up to `gateway.finishedCallTtlMs` after it ended: its state, latest progress and, ' +
      'once it has ended, its result or problem. Older calls are in `/api/activity/{id}`.',
    tags: ['calls'],
    request: { params: CallIdParams },
    responses: managed({
      '200': json('The call.', CallSnapshotSchema),
      '404': problem('`call-not-found`: no running or recent async call has this id.'),
    }),
  },
  {
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
    responses: managed({
      '200': { description: 'The event stream.', content: eventStream },
      '404': problem('`call-not-found`: no running or recent async call has this id.'),
    }),
  },
  {
    method: 'delete',
    path: '/api/calls/{id}',
    operationId: 'cancelCall',
    summary: 'Cancel a call',
    description:
      'Cancels a running call (MCP cancellation upstream), whoever made it, and answers its snapshot once it has settled ' +
      '(`cancelled`), or after 5 s with its state then. The caller of a plain call gets a 499 `cancelled`.',
    tags: ['calls'],
    request: { params: CallIdParams },
    responses: managed({
      '200': json('The call, after the cancellation.', CallSnapshotSchema),
      '404': problem('`call-not-found`: no running or recent async call has this id.'),
      '409': problem('`call-finished`: the call has already ended; `state` says how.'),
    }),
  },
  {
    method: 'get',
    path: '/api/activity',
    operationId: 'listActivity',
    summary: 'List the activity log',
    description:
      'Tool calls, newest first, one page at a time; the filters combine with AND. Pass `nextCursor` as `cursor` for the ' +
      'next page. Entries older than `gateway.activity.maxAgeDays` or beyond `gateway.activity.maxRows` are pruned.',
    tags: ['activity'],
    request: { query: ActivityListQuery },
    responses: managed({
      '200': json('One page of entries.', ActivityPageSchema),
      '422': problem(
        '`invalid-request`: a parameter is malformed, repeated or unknown (`errors` names each one), e.g. a `limit` out of ' +
          'range or a `cursor` that is not a `nextCursor`.',
      ),
    }),
  },
  {
    method: 'get',
    path: '/api/activity/{id}',
    operationId: 'getActivityEntry',
    summary: 'Show an activity entry',
    description: 'One call from the activity log, by its id.',
    tags: ['activity'],
    request: { params: ActivityIdParams },
    responses: managed({
      '200': json('The entry.', ActivityEntrySchema),
      '404': problem('`activity-not-found`: no entry has this id (it may have been pruned).'),
    }),
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description:
      'The gateway\'s metrics in the Prometheus text format: tool calls by outcome, call durations, calls in flight and ' +
      'queued, server states and restarts, plus process and Node.js metrics, all prefixed `mcp_gateway_`.',
    tags: ['health'],
    responses: managed({
      '200': {
        description: 'The metrics.',
        content: { 'text/plain': { schema: z.string().meta({ description: 'Prometheus text exposition format 0.0.4.' }) } },
      },
    }),
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getToolsDocument',
    summary: 'Tools document of the gateway',
    description:
      'The OpenAPI document of every tool of every enabled server, as `POST /{server}/{tool}` (one Open WebUI tool server ' +
      'for the whole gateway). It follows the live tool list and is never cached.',
    tags: ['documents'],
    responses: managed({ '200': json('The document.', OpenApiDocumentSchema) }, true),
  },
  {
    method: 'get',
    path: '/{server}/openapi.json',
    operationId: 'getServerToolsDocument',
    summary: 'Tools document of a server',
    description: 'The OpenAPI document of one server\'s tools, with paths relative to `/{server}` as mcpo serves them.',
    tags: ['documents'],
    request: { params: DocumentServerParams },
    responses: managed({ '200': json('The document.', OpenApiDocumentSchema), '404': SERVER_NOT_FOUND }, true),
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    operationId: 'getManagementDocument',
    summary: 'This document',
    description: 'The OpenAPI document of the management API: this one.',
    tags: ['documents'],
    responses: managed({ '200': json('The document.', OpenApiDocumentSchema) }, true),
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'getToolsDocs',
    summary: 'Docs page of the gateway\'s tools',
    description: 'Swagger UI over `/openapi.json`, served by the gateway itself.',
    tags: ['documents'],
    responses: managed({ '200': docsPage('The docs page.') }, true),
  },
  {
    method: 'get',
    path: '/{server}/docs',
    operationId: 'getServerToolsDocs',
    summary: 'Docs page of a server\'s tools',
    description: 'Swagger UI over `/{server}/openapi.json`, served by the gateway itself.',
    tags: ['documents'],
    request: { params: DocumentServerParams },
    responses: managed({ '200': docsPage('The docs page.'), '404': SERVER_NOT_FOUND }, true),
  },
  {
    method: 'get',
    path: '/api/docs',
    operationId: 'getManagementDocs',
    summary: 'Docs page of this API',
    description: 'Swagger UI over `/api/openapi.json`, served by the gateway itself.',
    tags: ['documents'],
    responses: managed({ '200': docsPage('The docs page.') }, true),
  },
  {
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
    responses: managed({
      '200': { description: 'The Python source.', content: { 'text/plain': { schema: z.string() } } },
      '404': SERVER_NOT_FOUND,
    }),
  },
];

function generate(version: string): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'The gateway\'s API key. Checked only when the gateway has one; then every route but `/healthz` needs it.',
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
