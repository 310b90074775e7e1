/**
 * The management API's OpenAPI 3.1 document (`GET /api/openapi.json`, committed as
 * `openapi/gateway.json` by `npm run openapi`), generated with `@asteasolutions/zod-to-openapi`
 * from the declared routes (`MANAGEMENT_ROUTES`, server/http/api/*.ts: each route's summary,
 * description, zod schemas from `../http/api-schemas.ts`, own answers and scope). This module adds
 * what every route behind the key answers (401, 403 naming the declared scope, 429, 500, a 400 for
 * a malformed path parameter) and the document's introduction.
 *
 * Every management route is here with every answer it can give, problems included; the
 * mcpo-compatible `POST /{server}/{tool}` is not (it lives in the tool documents). The output
 * depends on `version` only, so the committed file can be checked for drift. Only this module
 * loads the generator, on the first request for the document.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { MANAGEMENT_ROUTES } from '../http/api/index.js';
import type { DeclaredRoute, ManagementTag } from '../http/route.js';
import { ProblemSchema } from './problem-schema.js';
import { HOST_REFUSED, problem, type Responses } from './responses.js';

const TAGS: { name: ManagementTag; description: string }[] = [
  { name: 'health', description: 'Liveness and readiness probes, and Prometheus metrics.' },
  { name: 'servers', description: 'The upstream MCP servers: their state, enabling and disabling them, restarts.' },
  { name: 'tools', description: 'The tools of every server, and calling them with the full MCP result.' },
  { name: 'resources', description: "A server's resources and resource templates: listing, reading (JSON or the raw bytes) and watching them." },
  { name: 'prompts', description: "A server's prompts: listing them and filling them in; argument suggestions (completions) for prompts and resource templates." },
  { name: 'calls', description: 'Calls by id while they run (and async calls for a while after): state, progress, events, cancellation.' },
  { name: 'approvals', description: 'Calls the approval policy held for a person: listing them, approving and denying them.' },
  { name: 'questions', description: 'What servers ask a person during calls (elicitation): listing the questions and answering them.' },
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

**Questions.** An MCP server may ask its user something during a call (elicitation: a form, or a URL to open). Unless the call came over \`/mcp\` from a client that declared elicitation (it then gets the question itself), a person answers it: the call waits (state \`waiting_for_input\`, its \`question\` in the snapshot, a \`question\` event on its stream) until someone with \`approvals:decide\` answers it in \`/api/questions\` (\`accept\` with the form's \`content\`, \`decline\`, \`cancel\`) or \`gateway.questionTimeoutMs\` (default 10 min) passes (the server hears \`cancel\`).

**Host and Origin.** Requests whose \`Host\` (or \`Origin\`) is not a loopback name, a name in \`gateway.allowedHosts\` or an origin in \`gateway.cors.origins\` are refused with a 403 \`host-not-allowed\` (\`origin-not-allowed\`), against DNS rebinding.

**Errors** are RFC 9457 problem details (\`application/problem+json\`, the \`Problem\` schema) whose \`type\` is a stable slug. An unknown route is a 404 \`not-found\`.

**Request ids.** Every answer carries \`X-Request-Id\`: the request's own when it sent a valid one, else a new UUID.

Tools are also served the way Open WebUI and mcpo clients call them, as \`POST /{server}/{tool}\` with the unwrapped result: that surface is described by the tool documents (\`/openapi.json\`, \`/{server}/openapi.json\`), not here.`;

// ---------------------------------------------------------------------------------------------
// Answers shared by many operations

const WwwAuthenticate = z.object({
  'WWW-Authenticate': z.string().meta({
    description:
      'The scheme to use: `Bearer realm="mcp-gateway"`; with `gateway.resourceServer` also `resource_metadata="…"` (RFC 9728) ' +
      'and, for a refused token, `error="invalid_token"` and `error_description`.',
  }),
});
const TooManyRetryAfter = z.object({
  'Retry-After': z.int().min(1).meta({ description: 'Seconds until the address may try again.' }),
});
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
      `\`unauthorized\`: the gateway has a start-up key (or takes OAuth access tokens: \`gateway.resourceServer\`) and the request sent no credentials (\`Authorization: Bearer <key>\`)${unless}; ` +
        '`invalid-token`: the access token is not valid here (expired, another audience or issuer, a bad signature, revoked); ' +
        '`WWW-Authenticate` then names the protected resource metadata (`resource_metadata`) and the error.',
      ProblemSchema,
      WwwAuthenticate,
    ),
    '403': problem(
      '`invalid-credentials`: the key is wrong or revoked (only when the gateway has a start-up key); ' +
        `\`forbidden\`: the credentials lack the scope ${scopeText(scopes)} (\`scope\` names it${unless}), or an access token lacks a required scope (\`WWW-Authenticate: Bearer error="insufficient_scope"\`); ${HOST_REFUSED}${csrf}.`,
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

/** With `gateway.resourceServer`: an access token that cannot be checked now. */
const TOKEN_CHECK: Responses = {
  '503': problem('`authorization-server-unavailable`: an access token cannot be checked now (its keys or the introspection endpoint cannot be reached).'),
};

const INTERNAL: Responses = {
  '500': problem('`internal-error`: something went wrong in the gateway; the gateway log has the request id.'),
};

/** The answer to a path parameter that is not valid percent-encoding. */
const PATH: Responses = {
  '400': problem('`invalid-path`: the path is not valid percent-encoding (e.g. `%E0%A4%A`).'),
};

/** The problem schema of an answer, if it is a problem. */
const schemaOf = (response: ResponseConfig | undefined) =>
  (response?.content as Record<string, { schema?: unknown }> | undefined)?.['application/problem+json']?.schema;

/** Two problem answers of one status as one: both descriptions, the first one's schema, both headers. */
function merge(status: string, first: ResponseConfig, second: ResponseConfig): ResponseConfig {
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

/**
 * A declared route's entry: the scope it is declared with as its `security` requirement (any one
 * of several scopes will do) and in its 403 answer, and the answers every route behind the key has.
 */
function entryOf(route: DeclaredRoute<never>): RouteConfig {
  const { method, path, operationId, summary, description, tag, request, publicSpecs = false } = route;
  const body = request?.body;
  const entry: RouteConfig = {
    method,
    path,
    operationId,
    summary,
    description,
    tags: [tag],
    ...(request && {
      request: {
        ...(request.params && { params: request.params }),
        ...(request.query && { query: request.query }),
        ...(request.headers && { headers: request.headers }),
        ...(body && { body: { description: body.description, required: body.required, content: { 'application/json': { schema: body.schema! } } } }),
      },
    }),
    responses: {},
  };
  if (route.open) return { ...entry, security: [], responses: responses(route.responses) };
  const scopes = typeof route.scope === 'string' ? [route.scope] : [...route.scope];
  return {
    ...entry,
    security: scopes.map((scope) => ({ bearer: [scope] })),
    responses: responses(
      route.responses,
      path.includes('{') ? PATH : {},
      auth(scopes, publicSpecs, method !== 'get'),
      // A route whose own 503 has a body of its own (`/readyz`) keeps it alone.
      (schemaOf(route.responses['503']) ?? ProblemSchema) === ProblemSchema ? TOKEN_CHECK : {},
      INTERNAL,
    ),
  };
}

function generate(version: string): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key: the start-up key, or one made with `POST /api/keys`. Checked only when the gateway has a start-up key; then ' +
      'every route but `/healthz` needs one. The scopes in an operation\'s requirement are the key scopes it needs (`admin` holds them all).',
  });
  for (const route of MANAGEMENT_ROUTES) registry.registerPath(entryOf(route));
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
