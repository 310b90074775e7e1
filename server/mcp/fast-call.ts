/**
 * The fast path of the hot message: a `tools/call` in a 2025-era session, served by our own code
 * instead of the SDK's transport and protocol layers (web Request/Response conversion, web
 * streams, zod validation of every message), which cost about three times the whole REST path.
 *
 * It takes only the plain case — one JSON-RPC request object `{"jsonrpc":"2.0","id",
 * "method":"tools/call","params":{name, arguments?, _meta?}}` with well-formed params, the headers
 * the SDK's transport would accept for the session (Accept of JSON and SSE, a JSON Content-Type,
 * no `Mcp-Protocol-Version` or a supported one), from a client that declared neither elicitation
 * (it is sent to the approval card by an `elicitation/create`, and gets the servers' questions,
 * both of which the SDK's server sends) nor sampling (it gets the servers' sampling requests). Everything else — initialize, tools/list, ping, logging/setLevel, other
 * notifications, GET, DELETE, batches, anything unusual — goes through the SDK as before.
 *
 * The call is the same as through the SDK (tool-call.ts): the scope and tool checks with the same
 * JSON-RPC errors, the call of the gateway (surface `mcp`, the client's name from its
 * `initialize`), progress and log messages (at the level the client set), the approval wait.
 * The answer is JSON (`application/json`, one write) when nothing needs to go out before it, and
 * turns into an event stream (`text/event-stream`) at the first notification — or after
 * `KEEP_ALIVE_MS` of silence, to send keep-alive comments as the SDK does on its streams. The
 * streamable HTTP transport lets a server answer a POST either way.
 *
 * A `notifications/cancelled` naming a call of this path cancels it (answered 202, as the SDK
 * does); the call's answer is then not sent (the stream ends without it). Ending the session
 * cancels its calls, as closing the SDK's server does for its own.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SUPPORTED_PROTOCOL_VERSIONS, isJsonContentType, type Server } from '@modelcontextprotocol/server';
import type { ForwardedUser } from '../auth/forwarded-user.js';
import { toMcpResult } from './call-result.js';
import type { ServedContext } from './mcp-server.js';
import { clientName, followToolCall, logPasses, progressParams, startToolCall, toolToCall } from './tool-call.js';

type RequestId = string | number;

/** The time an answer may stay silent before it turns into a stream with keep-alive comments (the SDK's, 15 s). */
const KEEP_ALIVE_MS = 15_000;

/** What the fast path needs of a 2025-era session. */
export interface FastSession {
  id: string;
  /** The session's SDK server: the client's `initialize` (its name and version, its capabilities). */
  server: Server;
  /** What the session serves (its catalog, caller, identity, approval URLs, the client's log level). */
  served: ServedContext;
  /** The calls of this path under way, by JSON-RPC id: each function cancels one. */
  calls: Map<RequestId, () => void>;
}

/** A `tools/call` the fast path takes. */
export interface FastToolCall {
  id: RequestId;
  name: string;
  args: Record<string, unknown> | undefined;
  progressToken: RequestId | undefined;
}

/** A JSON object (not an array, not null). */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRequestId(value: unknown): value is RequestId {
  return typeof value === 'string' || Number.isSafeInteger(value);
}

/** Whether an object has no key but those listed. */
function onlyKeys(value: Record<string, unknown>, allowed: readonly string[]): boolean {
  for (const key in value) if (!allowed.includes(key)) return false;
  return true;
}

const MESSAGE_KEYS = ['jsonrpc', 'id', 'method', 'params'];
const CALL_PARAMS_KEYS = ['name', 'arguments', '_meta'];
const CANCEL_PARAMS_KEYS = ['requestId', 'reason'];
/** `_meta` keys in this namespace are the protocol's (tasks, envelopes …): the SDK handles them. */
const RESERVED_META_PREFIX = 'io.modelcontextprotocol/';

/** Whether the SDK's transport would take a POST of this session as it is (else it answers 4xx itself). */
function plainPost(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const accept = req.headers.accept;
  if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) return false;
  if (!isJsonContentType(req.headers['content-type'] ?? null)) return false;
  const version = req.headers['mcp-protocol-version'];
  return version === undefined || (typeof version === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(version));
}

/** The `tools/call` of a request, when the fast path may serve it; undefined for anything else. */
export function fastToolCall(req: IncomingMessage, body: unknown, session: FastSession): FastToolCall | undefined {
  if (!isObject(body) || body.method !== 'tools/call' || body.jsonrpc !== '2.0' || !isRequestId(body.id)) return undefined;
  if (!onlyKeys(body, MESSAGE_KEYS) || !plainPost(req)) return undefined;
  const params = body.params;
  if (!isObject(params) || typeof params.name !== 'string' || !onlyKeys(params, CALL_PARAMS_KEYS)) return undefined;
  if (params.arguments !== undefined && !isObject(params.arguments)) return undefined;
  let progressToken: RequestId | undefined;
  if (params._meta !== undefined) {
    if (!isObject(params._meta)) return undefined;
    for (const key in params._meta) if (key.startsWith(RESERVED_META_PREFIX)) return undefined;
    progressToken = params._meta.progressToken as RequestId | undefined;
    if (progressToken !== undefined && !isRequestId(progressToken)) return undefined;
  }
  // A client that declared elicitation gets `elicitation/create`s from the SDK's server: the
  // approval card's URL, and the upstream servers' questions (elicitation.ts).
  // Likewise one that declared sampling gets the servers' `sampling/createMessage`s (sampling.ts).
  const capabilities = session.server.getClientCapabilities();
  if (capabilities?.elicitation !== undefined || capabilities?.sampling !== undefined) return undefined;
  return { id: body.id, name: params.name, args: params.arguments as Record<string, unknown> | undefined, progressToken };
}

/**
 * When a request is a `notifications/cancelled` for a call of the fast path: cancels it and
 * answers 202 (true). False, having done nothing, for anything else.
 */
export function cancelFastCall(req: IncomingMessage, res: ServerResponse, body: unknown, session: FastSession): boolean {
  if (session.calls.size === 0 || !isObject(body) || body.method !== 'notifications/cancelled' || body.jsonrpc !== '2.0') return false;
  if (!onlyKeys(body, ['jsonrpc', 'method', 'params']) || !isObject(body.params) || !onlyKeys(body.params, CANCEL_PARAMS_KEYS))
    return false;
  const cancel = session.calls.get(body.params.requestId as RequestId);
  if (!cancel || !plainPost(req)) return false;
  cancel();
  res.statusCode = 202;
  res.end();
  return true;
}

/** One POST's answer: JSON in one write, or an event stream once something must go out first. */
export class FastAnswer {
  private streaming = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly sessionId: string,
  ) {}

  private get gone(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  private stream(): void {
    if (this.streaming) return;
    this.streaming = true;
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'mcp-session-id': this.sessionId,
    });
  }

  notify(method: string, params: Record<string, unknown>): void {
    if (this.gone) return;
    this.stream();
    this.res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method, params })}\n\n`);
  }

  keepAlive(): void {
    if (this.gone) return;
    this.stream();
    this.res.write(': keepalive\n\n');
  }

  /** Sends the JSON-RPC response and ends. */
  finish(message: Record<string, unknown>): void {
    if (this.gone) return;
    const json = JSON.stringify(message);
    if (this.streaming) {
      this.res.end(`event: message\ndata: ${json}\n\n`);
      return;
    }
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'mcp-session-id': this.sessionId });
    this.res.end(json);
  }

  /** Ends without a response (the call was cancelled): an event stream that closes. */
  abandon(): void {
    if (this.gone) return;
    this.stream();
    this.res.end();
  }
}

/** Serves a `tools/call` the fast path took (`fastToolCall`). */
export async function serveFastCall(
  session: FastSession,
  message: FastToolCall,
  res: ServerResponse,
  requestId: string,
  user?: ForwardedUser,
): Promise<void> {
  const { served } = session;
  const answer = new FastAnswer(res, session.id);
  const entry = toolToCall(served.identity, served.catalog(), message.name);
  if ('code' in entry) {
    answer.finish({ jsonrpc: '2.0', id: message.id, error: { code: entry.code, message: entry.message } });
    return;
  }
  const client = clientName(session.server.getClientVersion());
  const call = startToolCall(served.caller, served.identity, entry, message.args, client, requestId, { user });
  let cancelled = false;
  const cancel = (): void => {
    cancelled = true;
    call.cancel();
  };
  session.calls.set(message.id, cancel);
  const token = message.progressToken;
  const unfollow = followToolCall(call, served.approvalUrl, {
    progress(progress, total, text) {
      if (token !== undefined) answer.notify('notifications/progress', progressParams(token, progress, total, text));
    },
    log(level, data, logger) {
      if (logPasses(level, served.logLevel))
        answer.notify('notifications/message', { level, data, ...(logger === undefined ? {} : { logger }) });
    },
  });
  let keepAlive: NodeJS.Timeout | undefined = setTimeout(function beat() {
    answer.keepAlive();
    keepAlive = setTimeout(beat, KEEP_ALIVE_MS);
  }, KEEP_ALIVE_MS);
  try {
    const end = await call.done;
    if (cancelled) answer.abandon();
    else
      answer.finish({
        jsonrpc: '2.0',
        id: message.id,
        result: toMcpResult(end, served.target.kind === 'server' ? undefined : entry.server),
      });
  } finally {
    clearTimeout(keepAlive);
    unfollow();
    if (session.calls.get(message.id) === cancel) session.calls.delete(message.id);
  }
}

/** Cancels every call of the fast path of a session that ends. */
export function cancelFastCalls(session: FastSession): void {
  for (const cancel of session.calls.values()) cancel();
  session.calls.clear();
}
