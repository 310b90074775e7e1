/**
 * What every `tools/call` on `/mcp` does, however it came in (the SDK's server, mcp-server.ts, or
 * the fast path of a 2025-era session, fast-call.ts): the scope and tool checks, the start of an
 * ordinary call of the gateway (surface `mcp`), and what the client is told while it runs — the
 * call's progress (when the client sent a `progressToken`), the server's log messages (at or above
 * the level the client set), and, while a person must decide, a progress notification and a log
 * message saying "waiting for approval" with the approval card's URL; likewise, while a server's
 * question waits for a person (a client that did not declare elicitation, or not the mode asked),
 * "waiting for an answer on the orchestrator" with the approvals page's URL (where its card is).
 */
import type { Approval } from '../approvals/book.js';
import type { ForwardedUser } from '../auth/forwarded-user.js';
import { hasScope, type Identity } from '../auth/identity.js';
import type { SurfaceElicitor, SurfaceSampler, ToolCaller } from '../calls/call-tool.js';
import type { RunningCall } from '../calls/running-call.js';
import type { Question } from '../questions/book.js';
import type { InputRelay } from '../upstream/types.js';
import type { Catalog, CatalogEntry } from './catalog.js';

/** The logger name of the gateway's own log messages to MCP clients. */
export const LOGGER = 'mcp-gateway';

/** The MCP log levels, least severe first (`logging/setLevel`). */
const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** Whether a message at `level` reaches a client that set `threshold` (none set, or a level unknown: it does, as in the SDK). */
export function logPasses(level: string, threshold: LogLevel | undefined): boolean {
  if (threshold === undefined) return true;
  const severity = LOG_LEVELS.indexOf(level as LogLevel);
  return severity < 0 || severity >= LOG_LEVELS.indexOf(threshold);
}

/** JSON-RPC error codes the checks answer with. */
const INVALID_REQUEST = -32600;
const INVALID_PARAMS = -32602;

/** A call the checks refused: the JSON-RPC error to answer with. */
export interface CallRefusal {
  code: number;
  message: string;
}

/** The tool a `tools/call` names on this endpoint, or why it may not be called. */
export function toolToCall(identity: Identity, catalog: Catalog, name: string): CatalogEntry | CallRefusal {
  if (!hasScope(identity, 'tools:call')) return { code: INVALID_REQUEST, message: 'forbidden: the credentials lack the scope tools:call' };
  return catalog.byName.get(name) ?? { code: INVALID_PARAMS, message: `Unknown tool: ${name}` };
}

/** The client's name and version as one string (`name version`), from its `clientInfo`. */
export function clientName(info: { name?: unknown; version?: unknown } | undefined): string | undefined {
  if (!info || typeof info.name !== 'string') return undefined;
  return typeof info.version === 'string' ? `${info.name} ${info.version}` : info.name;
}

/** Starts a `tools/call` as an ordinary call of the gateway (surface `mcp`): streamed, or async for a task (tasks.ts). */
export function startToolCall(
  caller: ToolCaller,
  identity: Identity,
  entry: CatalogEntry,
  args: Record<string, unknown> | undefined,
  client: string | undefined,
  requestId: string,
  options: {
    /** The client's answerer of the servers' questions, when it declared elicitation (elicitation.ts). Default: a person answers. */
    elicit?: SurfaceElicitor;
    /** The client's own model for the servers' sampling requests, when it declared sampling (sampling.ts). Default: the gateway's endpoint. */
    sample?: SurfaceSampler;
    /** `async` for a task (tasks.ts). Default: `stream`. */
    mode?: 'stream' | 'async';
    /** A 2026-07-28 client's relay of its server's own input_required rounds (input-relay.ts). Default: none. */
    relay?: InputRelay | undefined;
    /** The approval a person gave this call in an earlier relayed round (input-relay.ts). Default: none. */
    approvedBefore?: string;
    /** Who the call is made for, when the identity is trusted to say so (ServedContext `userOf`). Default none. */
    user?: ForwardedUser | undefined;
  } = {},
): RunningCall {
  const { elicit, sample, mode = 'stream', relay, approvedBefore, user } = options;
  return caller.start({
    server: entry.server,
    tool: entry.tool,
    args: args ?? {},
    surface: 'mcp',
    mode,
    caller: identity.id,
    callerLabel: client ? `${identity.label} (${client})` : identity.label,
    ...(client === undefined ? {} : { client }),
    ...(user && { user }),
    requestId,
    ...(elicit && { elicit }),
    ...(sample && { sample }),
    ...(relay && { relay }),
    ...(approvedBefore && { approvedBefore }),
  });
}

export function approvalMessage(server: string, tool: string): string {
  return `A person must approve ${server}/${tool} before it runs. Open the approval to decide.`;
}

/** Where a call's notifications go. */
export interface CallNotices {
  /** A progress notification (the sink sends it only when the client gave a `progressToken`). */
  progress(progress: number, total: number | undefined, message: string | undefined): void;
  /** A log message (the sink applies the client's level). */
  log(level: string, data: unknown, logger: string | undefined): void;
  /**
   * The call waits for a person (`approval.state` pending), or its approval was decided. Default:
   * while it waits, `tellWaiting`.
   */
  approval?(approval: Approval, url: string): void;
}

/** The notification params of a progress for `token`. */
export function progressParams(
  token: string | number,
  progress: number,
  total: number | undefined,
  message: string | undefined,
): Record<string, unknown> {
  return { progressToken: token, progress, ...(total === undefined ? {} : { total }), ...(message ? { message } : {}) };
}

/**
 * Tells a client its call waits for a person to answer the server's question: a progress and a log
 * message with the URL of the approvals page, where the question card is (next to the approval cards).
 */
export function tellAsked(notices: CallNotices, question: Question, approvalUrl: (id: string) => string): void {
  const url = new URL('.', approvalUrl(question.id)).href.replace(/\/$/, '');
  const message = `waiting for an answer on the orchestrator: ${url}`;
  notices.progress(0, undefined, message);
  notices.log('info', { message, question: question.id, url }, LOGGER);
}

/** Tells a client its call waits for a person: a progress and a log message with the approval card's URL. */
export function tellWaiting(notices: CallNotices, approval: Approval, url: string): void {
  const message = `waiting for approval: ${url}`;
  notices.progress(0, undefined, message);
  notices.log('info', { message, approval: approval.id, url }, LOGGER);
}

/**
 * Passes a running call's progress, log messages and approval waits to `notices` until the call
 * ends; returns the function that stops that.
 */
export function followToolCall(call: RunningCall, approvalUrl: (id: string) => string, notices: CallNotices): () => void {
  const approval = (decision: Approval): void => {
    const url = approvalUrl(decision.id);
    if (notices.approval) notices.approval(decision, url);
    else if (decision.state === 'pending') tellWaiting(notices, decision, url);
  };
  const unfollow = call.follow({
    approval,
    question(question) {
      if (question.state === 'pending') tellAsked(notices, question, approvalUrl);
    },
    progress(progress) {
      notices.progress(progress.progress, progress.total, progress.message);
    },
    log(message) {
      notices.log(message.level, message.data, message.logger);
    },
    end() {},
  });
  // The policy may have held the call before `start` returned.
  if (call.approval && !call.end) approval(call.approval);
  else if (call.question?.state === 'pending' && !call.end) tellAsked(notices, call.question, approvalUrl);
  return unfollow;
}
