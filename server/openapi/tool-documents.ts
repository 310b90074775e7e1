/**
 * The OpenAPI 3.1 documents of the tools, as Open WebUI reads them: one per server (served at
 * `/{server}/openapi.json`, paths relative to the server as mcpo's are) and one for the whole
 * gateway (`/openapi.json`, paths `/{server}/{tool}`), so that one Open WebUI tool server covers
 * every tool. Only tool operations appear: the management API is never offered to a model.
 *
 * Each tool's `inputSchema` becomes its request body and its `outputSchema` (when it has one)
 * its 200 response, through `tool-schema.ts`: every keyword kept, every `$ref` inlined, recursion
 * cut at `maxRefDepth`. The only `$ref`s in a document are the error responses' references to
 * the one problem schema, which Open WebUI never reads. Conversions are cached per tool object,
 * so a document costs little to rebuild and always follows the live tool list.
 */
import type { ToolInfo } from '../upstream/types.js';
import { problemJsonSchema } from './problem-schema.js';
import { safeOperationId, takesNoArguments, toRequestSchema, toResponseSchema } from './tool-schema.js';

/** What a document needs to know of one server. */
export interface DocumentServer {
  name: string;
  /** The operator's description from the config file. */
  description?: string;
  serverInfo?: { name: string; version: string; title?: string };
  instructions?: string;
  /** The tools offered: the last listing without `disabledTools`. */
  tools: ToolInfo[];
}

export interface DocumentOptions {
  /** The gateway's version, for the gateway document's `info.version`. */
  version: string;
  /** How often a recursive `$ref` is expanded inside itself before it is cut (`gateway.openapi.maxRefDepth`). */
  maxRefDepth: number;
  /** Path prefix the gateway is reached under, without a trailing slash; '' for none. */
  basePath: string;
  /** Whether calls need the API key: the documents then declare a bearer scheme. */
  auth: boolean;
}

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, unknown> };

interface ConvertedTool {
  request: Record<string, unknown> | undefined;
  response: Record<string, unknown> | undefined;
  notes: string[];
}

/** Conversions by tool object and depth: a new listing brings new objects, so nothing goes stale. */
const converted = new WeakMap<ToolInfo, Map<number, ConvertedTool>>();

function convert(tool: ToolInfo, maxRefDepth: number): ConvertedTool {
  let byDepth = converted.get(tool);
  if (!byDepth) converted.set(tool, (byDepth = new Map()));
  let result = byDepth.get(maxRefDepth);
  if (!result) {
    const request = toRequestSchema(tool.inputSchema, { maxRefDepth });
    const response = tool.outputSchema === undefined ? undefined : toResponseSchema(tool.outputSchema, { maxRefDepth });
    result = {
      request: takesNoArguments(request.schema) ? undefined : request.schema,
      response: response?.schema,
      notes: [...request.notes, ...(response?.notes ?? [])],
    };
    byDepth.set(maxRefDepth, result);
  }
  return result;
}

/** What the mcpo surface answers when the tool declares no `outputSchema`. */
const UNWRAPPED_RESULT_SCHEMA = {
  description:
    "The tool's result, unwrapped: its structured content when it has one (unless its content holds an image or audio); " +
    'otherwise each content item as a value ' +
    '(text parsed as JSON when it parses, else the text; images and audio as data: URLs; embedded resources as their ' +
    "text or base64 data; resource links as objects with the resource's uri and a gatewayUrl that reads it) — one item " +
    'on its own, several as an array, none as [].',
};

/** The 200 answer's description when the tool declares an `outputSchema`. */
const STRUCTURED_RESULT =
  "The tool's structured result, as this schema describes it; but when the result's content holds an image or audio, " +
  'the content unwrapped instead (one image alone as its data: URL), so that the model can see it.';

/** Error answers of a tool call, by status. */
const CALL_ERRORS: Record<string, string> = {
  '403': 'The approval policy denies this call (`denied-by-policy`), a person denied it (`approval-denied`, with their `reason`), or the user it is for has not connected their own account to the server (`connect-first`).',
  '404': 'No such server or tool (it may have gone since this document was made).',
  '409': "The approval no longer applies (`approval-void`), or the server works in another client's roots (`roots-of-another-client`).",
  '422': "The arguments do not match the tool's input schema; `errors` names each field.",
  '429': 'The caller has too many calls waiting for approval (`too-many-calls`); `Retry-After` says when to try again.',
  '502': 'The tool reported an error (`tool-error`, its text in `detail`), the MCP server failed, or the result was too large.',
  '503': 'The MCP server is disabled, not ready, overloaded, or waits for a person to sign in (`needs-sign-in`); `Retry-After` says when to try again.',
  '504': 'The call timed out (the MCP server was told to cancel it), or nobody approved it in time (`approval-timed-out`).',
};
const BODY_ERRORS: Record<string, string> = {
  '400': 'The request body is not valid JSON.',
  '413': 'The request body is larger than the gateway accepts.',
};
const AUTH_ERRORS: Record<string, string> = {
  '401': 'The API key is missing.',
  '403': 'The API key is wrong, or lacks the scope `tools:call`.',
};

function problemResponse(description: string) {
  return { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
}

function operation(tool: ToolInfo, operationId: string, options: DocumentOptions, tags?: string[]) {
  const { request, response, notes } = convert(tool, options.maxRefDepth);
  const errors: Record<string, string> = {};
  for (const part of [request ? BODY_ERRORS : {}, options.auth ? AUTH_ERRORS : {}, CALL_ERRORS]) {
    for (const [status, text] of Object.entries(part)) errors[status] = errors[status] ? `${errors[status]} ${text}` : text;
  }
  return {
    operationId,
    summary: oneLine(tool.title ?? tool.annotations?.title ?? tool.name),
    ...(tool.description ? { description: tool.description } : {}),
    ...(tags ? { tags } : {}),
    ...(request
      ? { requestBody: { required: Array.isArray(request.required) && request.required.length > 0, content: { 'application/json': { schema: request } } } }
      : {}),
    responses: {
      '200': { description: response ? STRUCTURED_RESULT : "The tool's result.", content: { 'application/json': { schema: response ?? UNWRAPPED_RESULT_SCHEMA } } },
      ...Object.fromEntries(Object.keys(errors).sort().map((status) => [status, problemResponse(errors[status]!)])),
    },
    ...(notes.length > 0 ? { 'x-schema-notes': notes } : {}),
  };
}

/** A path segment for a name: percent-encoded, as the call routes decode it. */
function segment(name: string): string {
  return encodeURIComponent(name);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim() || 'tool';
}

function components(options: DocumentOptions) {
  return {
    schemas: { Problem: problemJsonSchema() },
    ...(options.auth ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: "The gateway's API key." } } } : {}),
  };
}

/** Without a key every operation is open; an empty requirement says so explicitly. */
function security(options: DocumentOptions) {
  return options.auth ? [{ bearer: [] }] : [{}];
}

/** The document of one server: `POST /{tool}` per tool, relative to `{basePath}/{server}`. */
export function serverDocument(server: DocumentServer, options: DocumentOptions): OpenApiDocument {
  const taken = new Set<string>();
  const paths: Record<string, unknown> = {};
  for (const tool of server.tools) {
    paths[`/${segment(tool.name)}`] = { post: operation(tool, safeOperationId(tool.name, taken), options) };
  }
  const info = server.serverInfo;
  return {
    openapi: '3.1.0',
    info: {
      title: oneLine(info?.title ?? info?.name ?? server.name),
      version: info?.version || 'unknown',
      description: server.instructions || server.description || `The tools of the MCP server "${server.name}", through mcp-gateway.`,
    },
    servers: [{ url: `${options.basePath}/${segment(server.name)}`, description: `mcp-gateway: server "${server.name}"` }],
    security: security(options),
    paths,
    components: components(options),
  };
}

/** The document of the whole gateway: `POST /{server}/{tool}` for every tool of every server given. */
export function gatewayDocument(servers: DocumentServer[], options: DocumentOptions): OpenApiDocument {
  const taken = new Set<string>();
  const paths: Record<string, unknown> = {};
  for (const server of servers) {
    for (const tool of server.tools) {
      const operationId = safeOperationId(`${server.name}_${tool.name}`, taken);
      paths[`/${segment(server.name)}/${segment(tool.name)}`] = { post: operation(tool, operationId, options, [server.name]) };
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'mcp-gateway tools',
      version: options.version,
      description: `Every tool of every enabled MCP server of this gateway (${servers.map((s) => s.name).join(', ') || 'none yet'}).`,
    },
    servers: [{ url: options.basePath || '/', description: 'mcp-gateway' }],
    security: security(options),
    tags: servers.map((server) => ({ name: server.name, description: oneLine(server.description || server.serverInfo?.title || server.serverInfo?.name || server.name) })),
    paths,
    components: components(options),
  };
}
