/**
 * Why a tool call on an upstream server failed: the SDK's errors sorted into the gateway's
 * failure kinds (`UpstreamCallError`), and errors described in one line for logs and statuses.
 */
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { isPlainObject } from '../schema/json.js';
import { isOversizedAnswer } from './oversized-message.js';
import { SERVER_WENT_AWAY, UpstreamCallError } from './types.js';

/** The SDK client's own messages for a result that does not fit the tool's outputSchema. */
const OUTPUT_SCHEMA_MISMATCH = /Structured content does not match the tool's output schema|Failed to validate structured content/;

/**
 * `why` is the reason the gateway ended the connection, when it did so during the call (a failed
 * ping, a crash it noticed): the caller learns why its call was abandoned. `modern`: the server is
 * spoken to in the 2026-07-28 era, where -32021 means a missing client capability; a 2025-era
 * server's -32021 is its own (the server-defined range), an error answer like any other.
 */
export function classifyCallError(
  error: unknown,
  signal: AbortSignal | undefined,
  why: string | undefined,
  modern = false,
): UpstreamCallError {
  if (signal?.aborted) return new UpstreamCallError('cancelled', 'the call was cancelled');
  // Already sorted (a task call's own timeout or end: task-calls.ts).
  if (error instanceof UpstreamCallError) return error;
  const message = describeError(error);
  const missing = modern ? missingCapabilities(error) : undefined;
  if (missing) return new UpstreamCallError('missing-capability', missingCapabilityText(missing, error as Error), missing);
  if (error instanceof McpError) {
    // The transport's answer to a message over the limit; a server's own -32099 is an error answer like any other.
    if (isOversizedAnswer(error.code, error.data)) return new UpstreamCallError('too-large', serverText(error));
    switch (error.code) {
      case ErrorCode.RequestTimeout:
        return new UpstreamCallError('timeout', message);
      case ErrorCode.ConnectionClosed:
        return new UpstreamCallError('disconnected', `${SERVER_WENT_AWAY} (${why ?? message})`);
      case ErrorCode.InvalidParams:
        // The SDK client checks a result against the tool's outputSchema itself and reports a
        // mismatch as "invalid params": that is the server's fault, not the caller's arguments'.
        if (OUTPUT_SCHEMA_MISMATCH.test(error.message)) {
          return new UpstreamCallError('protocol', `the server's result does not match the tool's own outputSchema (${serverText(error)})`);
        }
        return new UpstreamCallError('invalid-params', serverText(error));
      default:
        // A JSON-RPC error answer: -32601 from a tool the server lists (e.g. it asked the gateway
        // for sampling, which the gateway does not offer), -32603 …
        return new UpstreamCallError('server-error', `${serverText(error)} (JSON-RPC error ${error.code})`);
    }
  }
  return new UpstreamCallError('protocol', message);
}

/** The JSON-RPC error code of MissingRequiredClientCapabilityError (2026-07-28, SEP-2575). */
export const MISSING_REQUIRED_CLIENT_CAPABILITY = -32021;

/**
 * The capabilities a -32021 answer requires (`data.requiredCapabilities`, a ClientCapabilities
 * object), from either SDK's error (the 1.x McpError, the 2.x ProtocolError and its
 * MissingRequiredClientCapabilityError); undefined for any other error. A -32021 without them
 * requires something unnamed: `{}`. Bounded (`boundedCapabilities`): they go into problem bodies,
 * JSON-RPC errors, logs and kept async calls.
 */
export function missingCapabilities(error: unknown): Record<string, unknown> | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== MISSING_REQUIRED_CLIENT_CAPABILITY) return undefined;
  return boundedCapabilities(((error as { data?: unknown }).data as { requiredCapabilities?: unknown } | undefined)?.requiredCapabilities);
}

/** The client capabilities a -32021 may name (2026-07-28 ClientCapabilities); any other key is dropped. */
const KNOWN_CAPABILITIES = ['sampling', 'elicitation', 'roots', 'tasks'] as const;
/** At most this many `extensions` are kept, of names at most `MAX_EXTENSION_NAME` characters. */
const MAX_EXTENSIONS = 16;
const MAX_EXTENSION_NAME = 64;
/** A capability's settings are kept up to this size as JSON and this nesting (`{}` is 1); larger ones become `{}`. */
const MAX_SETTINGS_BYTES = 1024;
const MAX_SETTINGS_DEPTH = 4;

/**
 * What an upstream says it requires, as a fresh plain object the gateway can pass on: only the known
 * capabilities and at most `MAX_EXTENSIONS` extensions, each one's settings kept only when small
 * (`smallSettings`). A server's answer is untrusted: one nested 200 000 levels parses, but no
 * JSON.stringify can write it, and one of megabytes would be reflected to every caller.
 */
export function boundedCapabilities(required: unknown): Record<string, unknown> {
  if (!isPlainObject(required)) return {};
  const kept: [string, unknown][] = [];
  for (const name of KNOWN_CAPABILITIES) {
    if (Object.hasOwn(required, name)) kept.push([name, smallSettings(required[name])]);
  }
  const extensions = required.extensions;
  if (isPlainObject(extensions)) {
    const names = Object.keys(extensions)
      .filter((name) => name.length <= MAX_EXTENSION_NAME)
      .slice(0, MAX_EXTENSIONS);
    // fromEntries defines own properties: an extension named "__proto__" stays a name.
    kept.push(['extensions', Object.fromEntries(names.map((name) => [name, smallSettings(extensions[name])]))]);
  }
  return Object.fromEntries(kept);
}

/** A capability's settings, copied when an object within the bounds; `{}` otherwise. */
function smallSettings(value: unknown): Record<string, unknown> {
  if (!isPlainObject(value) || !withinBounds(value, 1, { budget: MAX_SETTINGS_BYTES })) return {};
  const text = JSON.stringify(value);
  return text.length <= MAX_SETTINGS_BYTES ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * Whether `value` nests at most `MAX_SETTINGS_DEPTH` objects/arrays deep (`depth`: its own level),
 * spending `budget` per key, string character and value so that a wide one stops early.
 */
function withinBounds(value: unknown, depth: number, spend: { budget: number }): boolean {
  if (typeof value === 'string') spend.budget -= value.length;
  spend.budget--;
  if (spend.budget < 0) return false;
  if (typeof value !== 'object' || value === null) return true;
  if (depth > MAX_SETTINGS_DEPTH) return false;
  // for…in: a wide one stops at the first keys over the budget (JSON values have no inherited keys).
  for (const key in value) {
    spend.budget -= key.length;
    if (!withinBounds((value as Record<string, unknown>)[key], depth + 1, spend)) return false;
  }
  return true;
}

/** What the gateway's configuration needs for it to offer a capability a -32021 names. */
const CONFIGURE: Readonly<Record<string, string>> = {
  sampling:
    'sampling: a `sampling` section that lists the server and an approval policy that does not deny sampling/createMessage, or an /mcp client that declares sampling',
  elicitation: "elicitation: the server's `elicitation` not false",
  roots: 'roots: `roots` or `clientRoots` for the server',
};

/** A -32021 failure in words: the capabilities by name, what to configure for them, and the server's own message. */
function missingCapabilityText(required: Record<string, unknown>, error: Error): string {
  const names = Object.keys(required);
  const what = names.length ? `the client capabilities ${names.join(', ')}` : 'a client capability';
  const configure = names.flatMap((name) => CONFIGURE[name] ?? []);
  const hint = configure.length ? ` (configure ${configure.join('; ')})` : '';
  return `the server requires ${what}, which the gateway cannot offer for this call${hint} (JSON-RPC error ${MISSING_REQUIRED_CLIENT_CAPABILITY}: ${serverText(error)})`;
}

/** An MCP error's message without the SDK's `MCP error <code>: ` prefixes (one per hop it passed). */
function serverText(error: Error): string {
  return error.message.replace(/^(MCP error -?\d+: )+/, '');
}

/** An error in one line: an HTTP status or a cause it carries is told too. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    // An OAuth error answer (the SDK's OAuthError): its `error` code says what, its description may be empty.
    const oauthCode = (error as { errorCode?: unknown }).errorCode;
    if (typeof oauthCode === 'string') return `OAuth ${oauthCode}${error.message ? `: ${error.message}` : ''}`;
    // HTTP transport errors carry the status in `code` (JSON-RPC errors use negative codes).
    const code = (error as { code?: unknown }).code;
    const status = typeof code === 'number' && code >= 100 && code < 600 && !error.message.includes(String(code)) ? `HTTP ${code}: ` : '';
    if (status) return `${status}${error.message}`;
    const cause = (error as { cause?: unknown }).cause;
    const causeText = cause instanceof Error && cause.message && !error.message.includes(cause.message) ? ` (${cause.message})` : '';
    return `${error.message}${causeText}`;
  }
  return String(error);
}
