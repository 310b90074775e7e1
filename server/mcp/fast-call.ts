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
 *
 * Its streams are resumable as the SDK's are (event-store.ts, SEP-1699): for a client of 2025-11-25
 * or later a stream starts with a priming event (an id and the `retry` hint) and every message has
 * an id kept in the session's store; a client whose connection dropped GETs with `Last-Event-ID`
 * and gets what it missed, then the rest of the call on that GET (`resumeFastStream`; once the call
 * has ended, the SDK's transport replays from the same store).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SUPPORTED_PROTOCOL_VERSIONS, isJsonContentType, type Server } from '@modelcontextprotocol/server';
import type { ForwardedUser } from '../auth/forwarded-user.js';
import { toMcpResult } from './call-result.js';
import { RETRY_MS, PRIMING, type SessionEvents } from './event-store.js';
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
  /** The session's event store (event-store.ts). */
  events: SessionEvents;
  /** The event streams of this path's calls under way, by stream id: a client may resume one. */
  streams: Map<string, FastAnswer>;
}

/** A `tools/call` the fast path takes. */
export interface FastToolCall {
  id: RequestId;
  name: string;
  args: Record<string, unknown> | undefined;
  progressToken: RequestId | undefined;
  /** Whether its answer, when it turns into a stream, is resumable (a client of 2025-11-25 or later). */
  resumable: boolean;
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
  return {
    id: body.id,
    name: params.name,
    args: params.arguments as Record<string, unknown> | undefined,
    progressToken,
    resumable: takesPriming(req),
  };
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

/** The headers of an event stream of a session. */
function streamHeaders(sessionId: string): Record<string, string> {
  return {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
    'mcp-session-id': sessionId,
  };
}

/** Whether a client of this protocol revision takes a priming event (empty data): 2025-11-25 and later, as the SDK's transport decides. */
function takesPriming(req: IncomingMessage): boolean {
  const version = req.headers['mcp-protocol-version'];
  return typeof version === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(version) && version >= '2025-11-25';
}

/** One POST's answer: JSON in one write, or an event stream once something must go out first. */
export class FastAnswer {
  private streaming = false;
  private ended = false;
  /** The stream's id in the session's event store, once it is a resumable stream. */
  private streamId: string | undefined;

  constructor(
    private res: ServerResponse,
    private readonly session: Pick<FastSession, 'id' | 'events' | 'streams'>,
    /** Whether its stream is resumable (`takesPriming`). */
    private readonly resumable = false,
  ) {}

  private get gone(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  private stream(): void {
    if (this.streaming) return;
    this.streaming = true;
    this.res.writeHead(200, streamHeaders(this.session.id));
    if (!this.resumable) return;
    this.streamId = randomUUID();
    this.session.streams.set(this.streamId, this);
    this.res.write(`id: ${this.session.events.add(this.streamId, PRIMING)}\nretry: ${RETRY_MS}\ndata: \n\n`);
  }

  /** A message's event: with an id kept in the session's store when the stream is resumable. */
  private event(json: string): string {
    if (this.streamId === undefined) return `event: message\ndata: ${json}\n\n`;
    return `event: message\nid: ${this.session.events.add(this.streamId, json)}\ndata: ${json}\n\n`;
  }

  notify(method: string, params: Record<string, unknown>): void {
    // A resumable stream keeps its messages while its client is away.
    if (this.ended || (this.gone && this.streamId === undefined)) return;
    this.stream();
    const event = this.event(JSON.stringify({ jsonrpc: '2.0', method, params }));
    if (!this.gone) this.res.write(event);
  }

  keepAlive(): void {
    if (this.gone || this.ended) return;
    this.stream();
    this.res.write(': keepalive\n\n');
  }

  /** Sends the JSON-RPC response and ends. */
  finish(message: Record<string, unknown>): void {
    if (this.ended || (this.gone && this.streamId === undefined)) return;
    this.ended = true;
    const json = JSON.stringify(message);
    if (this.streaming) {
      const event = this.event(json);
      this.release();
      if (!this.gone) this.res.end(event);
      return;
    }
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'mcp-session-id': this.session.id });
    this.res.end(json);
  }

  /** Ends without a response (the call was cancelled): an event stream that closes. */
  abandon(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    if (this.gone) return;
    this.stream();
    this.res.end();
  }

  /**
   * A client resumes the stream on a new response (`resumeFastStream`): the events after its
   * `Last-Event-ID` (`missed`), then the rest of the call there. A response still open is ended.
   */
  resume(res: ServerResponse, missed: { id: string; json: string }[]): void {
    if (!this.gone) this.res.end();
    this.res = res;
    res.writeHead(200, streamHeaders(this.session.id));
    for (const event of missed) res.write(`event: message\nid: ${event.id}\ndata: ${event.json}\n\n`);
  }

  /** The stream can no longer be resumed live (the SDK's transport replays what was kept). */
  private release(): void {
    if (this.streamId !== undefined) this.session.streams.delete(this.streamId);
  }
}

/**
 * A GET with `Last-Event-ID` naming an event of a stream of this path whose call is under way:
 * resumes it on `res` (true). False, having done nothing, for anything else — another stream,
 * one that ended, an id the session does not keep — which the SDK's transport then serves.
 */
export function resumeFastStream(req: IncomingMessage, res: ServerResponse, session: FastSession): boolean {
  const lastEventId = req.headers['last-event-id'];
  if (session.streams.size === 0 || req.method !== 'GET' || typeof lastEventId !== 'string') return false;
  if (!req.headers.accept?.includes('text/event-stream')) return false;
  const stream = session.events.streamOf(lastEventId);
  const answer = stream === undefined ? undefined : session.streams.get(stream);
  const missed = session.events.after(lastEventId);
  if (!answer || !missed) return false;
  answer.resume(res, missed);
  return true;
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
  const answer = new FastAnswer(res, session, message.resumable);
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
