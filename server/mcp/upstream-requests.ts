/**
 * What resources, prompts and completions on `/mcp` share (resources.ts, prompts.ts): the
 * servers behind the endpoint, the capabilities the endpoint declares for them, the scope check,
 * and how an upstream failure is answered.
 *
 * - Capabilities: `resources` (with `listChanged`, and `subscribe` when a server behind offers
 *   subscriptions), `prompts` (with `listChanged`) and `completions` are declared only when at
 *   least one server behind the endpoint declared them (as of the moment a session opens, or of
 *   each 2026-07-28 request; the endpoint computes them once per change of its servers, endpoint.ts).
 * - Scope: listing and watching (`resources/subscribe`, a `subscriptions/listen` naming resources,
 *   checked in endpoint.ts) need `tools:read` (what lets a key see the tools); reading, getting a
 *   prompt and completing need `tools:call`. These are not tool calls — no policy, no approval, no
 *   activity entry, a debug log line.
 * - Limits: each request has the server's own `timeoutMs`, and a read's or prompt's answer is held
 *   to `gateway.maxResultBytes` as on REST (`withinLimit`).
 * - Failures: the server's own JSON-RPC error passes through with its code and message; a server
 *   that is not up, a timeout, a lost connection or an answer over the limit is an internal error
 *   (-32603) naming the server. A 2026-07-28 server's -32021 (missing client capability) passes
 *   through only to a 2026-07-28 caller whose declaring them would have the request declare them
 *   upstream (a relayed `prompts/get`: `relaysFor`); otherwise nothing the caller declares helps,
 *   and it is an internal error naming the server and what the gateway cannot offer.
 */
import { MissingRequiredClientCapabilityError, ProtocolError } from '@modelcontextprotocol/server';
import { hasScope, type Identity } from '../auth/identity.js';
import type { UpstreamConnection } from '../upstream/connection.js';
import { limitedJson } from '../upstream/feature-requests.js';
import { UpstreamCallError, type InputRelay, type RequestOptions } from '../upstream/types.js';

/** JSON-RPC error codes. */
export const INVALID_REQUEST = -32600;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
/** MCP: the resource a `resources/read` names does not exist. */
export const RESOURCE_NOT_FOUND = -32002;

/** How `call-errors.ts` closes the message of a server's JSON-RPC error answer. */
const SERVER_ERROR_CODE = /^(.*) \(JSON-RPC error (-?\d+)\)$/s;

/** The capabilities an endpoint declares for what its servers offer beyond tools. */
export interface FeatureCapabilities {
  resources?: { subscribe?: boolean; listChanged: boolean };
  prompts?: { listChanged: boolean };
  completions?: Record<string, never>;
}

export function featureCapabilities(connections: readonly UpstreamConnection[]): FeatureCapabilities {
  const offered = connections.map((connection) => connection.features());
  const capabilities: FeatureCapabilities = {};
  if (offered.some((features) => features.resources)) {
    capabilities.resources = { listChanged: true, ...(offered.some((features) => features.resourceSubscribe) ? { subscribe: true } : {}) };
  }
  if (offered.some((features) => features.prompts)) capabilities.prompts = { listChanged: true };
  if (offered.some((features) => features.completions)) capabilities.completions = {};
  return capabilities;
}

/** Refuses a caller without `tools:read`. */
export function requireRead(identity: Identity): void {
  requireScope(identity, 'tools:read');
}

/**
 * What reading a resource's contents, getting a prompt or completing an argument needs: the data a
 * server hands out, as a tool call does (lists need only `tools:read`).
 */
export function requireCall(identity: Identity): void {
  requireScope(identity, 'tools:call');
}

function requireScope(identity: Identity, scope: 'tools:read' | 'tools:call'): void {
  if (!hasScope(identity, scope)) throw new ProtocolError(INVALID_REQUEST, `forbidden: the credentials lack the scope ${scope}`);
}

/**
 * The options of an upstream request: the server's own `timeoutMs` (read at use, as a tool call's
 * and the REST and UI reads'), cancelled with the client's request.
 */
export function requestOptions(connection: UpstreamConnection, signal: AbortSignal | undefined): RequestOptions {
  return { timeoutMs: connection.currentConfig.timeoutMs, ...(signal ? { signal } : {}) };
}

/**
 * `answer`, unless as JSON it is larger than `maxBytes` (`gateway.maxResultBytes`, as REST reads
 * and tool results are held to): then an internal error (-32603) that says so, naming the server.
 */
export function withinLimit<T>(answer: T, maxBytes: number, server: string, what: string): T {
  try {
    limitedJson(answer, maxBytes, what);
  } catch (error) {
    throw new ProtocolError(INTERNAL_ERROR, `server ${server}: ${(error as Error).message}`);
  }
  return answer;
}

/**
 * An upstream failure as the JSON-RPC error the client gets. `relaysFor`: a 2026-07-28 request whose
 * client's declaration reaches the server (a relayed `prompts/get`); none otherwise.
 */
export function upstreamError(error: unknown, server: string, relaysFor?: RelaysFor): ProtocolError {
  if (!(error instanceof UpstreamCallError)) return new ProtocolError(INTERNAL_ERROR, `server ${server}: ${String(error)}`);
  if (error.kind === 'server-error') {
    const match = SERVER_ERROR_CODE.exec(error.message);
    if (match) return new ProtocolError(Number(match[2]), match[1]!);
  }
  if (error.kind === 'invalid-params') return new ProtocolError(INVALID_PARAMS, error.message);
  if (error.kind === 'missing-capability') {
    const required = error.requiredCapabilities ?? {};
    if (relaysFor?.connection.callerWouldSupply(relaysFor.declared, required))
      return missingCapabilityError(required, server, error.message);
  }
  return new ProtocolError(INTERNAL_ERROR, `server ${server}: ${error.message}`);
}

/** A 2026-07-28 request whose client's declaration goes upstream with it: the server's connection and what the client declared. */
export interface RelaysFor {
  connection: UpstreamConnection;
  declared: InputRelay['capabilities'] | undefined;
}

/** The server's -32021 as it gave it (the capabilities it requires, bounded), for a caller that can declare them (HTTP 400). */
export function missingCapabilityError(required: Record<string, unknown>, server: string, message: string): ProtocolError {
  return new MissingRequiredClientCapabilityError({ requiredCapabilities: required as never }, `server ${server}: ${message}`);
}
