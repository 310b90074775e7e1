/**
 * Tasks on `/mcp` (MCP 2025-11-25 tasks utility) for 2025-era sessions: a client that calls a tool
 * with `params.task` gets a `CreateTaskResult` at once, and `tasks/get`, `tasks/result`,
 * `tasks/list` (paged: `TASKS_PAGE_SIZE`) and `tasks/cancel` answer for its tasks.
 *
 * A task is the gateway's own async call (`ToolCaller.start`, surface `mcp`, mode `async`): the
 * policy, approvals, limits (`gateway.asyncCalls`), activity and `/api/calls/{id}` apply as to an
 * async REST call, and its id is the call's id. Underneath, a tool the server runs as a task runs
 * as one upstream (upstream/task-calls.ts), whose id never reaches the client. A task belongs to
 * the caller that made it (its key): only that caller finds it, on any of its sessions and
 * endpoints; to anyone else it does not exist. It is kept as an async call is: while it runs and
 * `gateway.finishedCallTtlMs` after it ends (the `ttl` the task reports).
 *
 * Status: `working` while the call waits for a person (approval, a server's question: the status
 * message says so) or runs (the latest progress message, or the upstream task's own), then
 * `completed` (a result), `failed` (an `isError` result, or a failure of the call: the status message
 * says why) or `cancelled`. Each change is a `notifications/tasks/status` on the session's stream
 * (the GET stream; none when the client has not opened it). `tasks/result` waits for the end and
 * answers what the plain `tools/call` would have, with the task named in its `_meta`.
 *
 * Only tools whose server lists `execution.taskSupport` `required` or `optional` are called as tasks
 * (else -32601, as the spec says); the questions a server asks during a task go to a person.
 *
 * 2026-07-28 requests get the tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) instead,
 * on requests that declare it in their envelope: the server decides, so a `tools/call` of a tool
 * that runs as a task (`required` or `optional`) answers a flat `CreateTaskResult`
 * (`resultType: "task"`, `ttlMs`, `pollIntervalMs`) at once, backed by the same async call (that
 * revision lists no `execution.taskSupport` on tools: the server decides). `tasks/get` inlines the end (`completed` with the result
 * a plain call would answer, an `isError` one too; `failed` with a JSON-RPC `error` only when the
 * server failed the call, `upstream-error`); `tasks/update` acknowledges (the gateway never puts a
 * task in `input_required`: questions go to a person); `tasks/cancel` cancels and acknowledges, an
 * ended task too. A request without the extension gets -32021 from those methods and plain tool
 * calls, as before; `tasks/result` and `tasks/list` are gone on that revision (-32601).
 */
import { ProtocolError, type Server } from '@modelcontextprotocol/server';
import * as z from 'zod';
import type { ForwardedUser } from '../auth/forwarded-user.js';
import type { RunningCall } from '../calls/running-call.js';
import type { CatalogEntry } from './catalog.js';
import { failureText, toMcpResult } from './call-result.js';
import type { ServedContext } from './mcp-server.js';
import { clientName, startToolCall } from './tool-call.js';

/** The `tasks` server capability a 2025-era session is declared: tool calls as tasks, listed and cancelled. */
export const TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } };

/** The extension a 2026-07-28 request declares to take part in tasks. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** The `pollInterval` suggested to clients, in ms. */
const POLL_INTERVAL_MS = 1000;
/** How long `tasks/cancel` waits for the call to settle before answering with its status then, in ms. */
const CANCEL_WAIT_MS = 5000;
/** The `_meta` key naming the task a message belongs to. */
const RELATED_TASK = 'io.modelcontextprotocol/related-task';

const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;
const INTERNAL_ERROR = -32603;
/** A request lacks a client capability (here the tasks extension) the method needs (2026-07-28). */
const MISSING_REQUIRED_CLIENT_CAPABILITY = -32021;
/** The SDK's code for a request its client cancelled (never sent: the answer is dropped). */
const REQUEST_CANCELLED = -32800;

type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** A task as the client sees it (the spec's `Task`). */
export interface McpTask {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  ttl: number;
  pollInterval: number;
}

/** When each task's status last changed (its status and message then): kept with the call. */
const updates = new WeakMap<RunningCall, { at: number; key: string }>();

/** A call's status and message as a task's. */
function statusOf(call: RunningCall): { status: TaskStatus; statusMessage?: string } {
  const end = call.end;
  if (!end) {
    const state = call.state;
    if (state === 'waiting_for_approval') return { status: 'working', statusMessage: 'waiting for a person to approve the call' };
    if (state === 'waiting_for_input') return { status: 'working', statusMessage: "waiting for a person to answer the server's question" };
    const message = call.task?.statusMessage ?? call.progress?.message;
    return message === undefined ? { status: 'working' } : { status: 'working', statusMessage: message };
  }
  if (end.outcome === 'ok') return { status: 'completed' };
  if (end.outcome === 'cancelled') return { status: 'cancelled', ...(end.error ? { statusMessage: failureText(end.error) } : {}) };
  return { status: 'failed', statusMessage: end.error ? failureText(end.error) : 'the tool answered with an error' };
}

/** The task a call is, as of now. */
export function taskOf(call: RunningCall, ttlMs: number): McpTask {
  const now = statusOf(call);
  const key = `${now.status}\n${now.statusMessage ?? ''}`;
  let update = updates.get(call);
  if (!update || update.key !== key) updates.set(call, (update = { at: call.endedAt ?? Date.now(), key }));
  return {
    taskId: call.id,
    ...now,
    createdAt: new Date(call.startedAt).toISOString(),
    lastUpdatedAt: new Date(update.at).toISOString(),
    ttl: ttlMs,
    pollInterval: POLL_INTERVAL_MS,
  };
}

/** Whether a call is a task of `/mcp` (only those are started async on that surface). */
function isTask(call: RunningCall): boolean {
  return call.surface === 'mcp' && call.mode === 'async';
}

/** The tool's `execution.taskSupport` as its server listed it (`forbidden` when it says none). */
function taskSupportOf(entry: CatalogEntry): string {
  const execution = entry.info.definition?.execution as { taskSupport?: unknown } | undefined;
  return typeof execution?.taskSupport === 'string' ? execution.taskSupport : 'forbidden';
}

/** Whether a `tools/call` asks to run as a task (`params.task`). */
export function asksForTask(params: unknown): boolean {
  return typeof params === 'object' && params !== null && (params as { task?: unknown }).task !== undefined;
}

/** Whether a tool runs as a task when asked (its server lists `execution.taskSupport` `required` or `optional`). */
export function runsAsTask(entry: CatalogEntry): boolean {
  return ['required', 'optional'].includes(taskSupportOf(entry));
}

/**
 * Starts a tool call as the caller's async call (a task) and resolves with it once it is accepted;
 * a call refused before that (arguments, policy, limits) is a JSON-RPC error with the words a plain
 * call's result would have had. Both eras' tasks begin here.
 */
async function startTask(
  context: ServedContext,
  entry: CatalogEntry,
  args: unknown,
  client: string | undefined,
  requestId: string,
  user: ForwardedUser | undefined,
) {
  if (!runsAsTask(entry))
    throw new ProtocolError(
      METHOD_NOT_FOUND,
      `the tool ${entry.name} does not run as a task (its server lists no execution.taskSupport "required" or "optional")`,
    );
  const call = startToolCall(context.caller, context.identity, entry, args as Record<string, unknown> | undefined, client, requestId, {
    mode: 'async',
    user,
  });
  if (!(await call.accepted)) {
    const error = call.end!.error!;
    throw new ProtocolError(error.type === 'invalid-arguments' ? INVALID_PARAMS : INTERNAL_ERROR, failureText(error));
  }
  return call;
}

/** A 2025-era `tools/call` with `params.task`: its task at once, and status notifications on the session's stream. */
export async function createTask(
  server: Server,
  context: ServedContext,
  entry: CatalogEntry,
  args: unknown,
  requestId: string,
  user?: ForwardedUser,
) {
  const call = await startTask(context, entry, args, clientName(server.getClientVersion()), requestId, user);
  tellChanges(server, call, context.finishedCallTtlMs);
  return { task: taskOf(call, context.finishedCallTtlMs()) };
}

/** A 2026-07-28 `tools/call` of a task tool by a request that declared the extension: its `CreateTaskResult` at once. */
export async function createModernTask(
  context: ServedContext,
  entry: CatalogEntry,
  args: unknown,
  client: string | undefined,
  requestId: string,
  user?: ForwardedUser,
) {
  const call = await startTask(context, entry, args, client, requestId, user);
  return { resultType: 'task', ...modernTaskOf(call, context.finishedCallTtlMs()) };
}

/** Whether a 2026-07-28 request's envelope declares the tasks extension. */
export function declaresTasks(envelope: Record<string, unknown> | undefined): boolean {
  const capabilities = envelope?.['io.modelcontextprotocol/clientCapabilities'] as { extensions?: Record<string, unknown> } | undefined;
  return capabilities?.extensions?.[TASKS_EXTENSION] !== undefined;
}

/** Sends `notifications/tasks/status` on the session's stream whenever the task's status or message changes. */
function tellChanges(server: Server, call: RunningCall, ttlMs: () => number): void {
  let last = taskOf(call, ttlMs());
  const check = (): void => {
    const task = taskOf(call, ttlMs());
    if (task.status === last.status && task.statusMessage === last.statusMessage) return;
    last = task;
    // Not tied to a request: it goes on the session's GET stream, if the client opened one (else nowhere).
    Promise.resolve()
      .then(() => server.transport?.send({ jsonrpc: '2.0', method: 'notifications/tasks/status', params: { ...task } }))
      .catch(() => undefined);
  };
  call.follow({ approval: check, question: check, progress: check, log() {}, end: check });
}

const TaskIdParams = z.object({ taskId: z.string() });
const ListParams = z.object({ cursor: z.string().optional() });

/** The tasks `tasks/list` answers at most at once; `nextCursor` names the next page. */
export const TASKS_PAGE_SIZE = 20;

/**
 * One page of `tasks/list`: the tasks oldest first (by start, then id), after `cursor` (the start
 * and id of the last task of the previous page, so tasks that end meanwhile shift nothing), at
 * most `TASKS_PAGE_SIZE`; an unreadable cursor is -32602.
 */
export function taskPage(calls: RunningCall[], cursor: string | undefined): { page: RunningCall[]; nextCursor?: string } {
  const byStart = (a: RunningCall, b: RunningCall) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  let after: [number, string] | undefined;
  if (cursor !== undefined) {
    try {
      after = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [number, string];
    } catch {
      after = undefined;
    }
    if (!Array.isArray(after) || typeof after[0] !== 'number' || typeof after[1] !== 'string')
      throw new ProtocolError(INVALID_PARAMS, 'invalid cursor');
  }
  const [at, id] = after ?? [-Infinity, ''];
  const rest = calls.filter((call) => call.startedAt > at || (call.startedAt === at && call.id > id)).sort(byStart);
  const page = rest.slice(0, TASKS_PAGE_SIZE);
  const last = page.at(-1);
  if (rest.length <= TASKS_PAGE_SIZE || !last) return { page };
  return { page, nextCursor: Buffer.from(JSON.stringify([last.startedAt, last.id])).toString('base64url') };
}

/** Cancels a running task, and waits a while for it to settle (so the next look sees it cancelled). */
async function cancelTask(call: RunningCall): Promise<void> {
  call.cancel();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([call.done, new Promise((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)))]);
  clearTimeout(timer);
}

/** Finds the caller's own task by id; anyone else's, or none, is -32602. */
function taskFinder(context: ServedContext): (taskId: string) => RunningCall {
  return (taskId) => {
    const call = context.caller.calls.get(taskId, { caller: context.identity.id, seesAll: false });
    if (!call || !isTask(call))
      throw new ProtocolError(INVALID_PARAMS, `no task with id "${taskId}" (it ended too long ago, or is not yours)`);
    return call;
  };
}

/** Serves the tasks of the served era: the 2025 utility's methods for a session, the extension's for a 2026-07-28 request. */
export function serveTasks(server: Server, context: ServedContext): void {
  if (context.tasks === 'modern') serveModernTasks(server, context);
  else if (context.tasks === 'legacy') serveLegacyTasks(server, context);
}

/** Serves `tasks/get`, `tasks/result`, `tasks/list` and `tasks/cancel` for the session's caller. */
function serveLegacyTasks(server: Server, context: ServedContext): void {
  const ttl = () => context.finishedCallTtlMs();
  const viewer = () => ({ caller: context.identity.id, seesAll: false });
  const find = taskFinder(context);
  const aggregate = context.target.kind !== 'server';

  server.setRequestHandler('tasks/get', { params: TaskIdParams }, async ({ taskId }) => ({ ...taskOf(find(taskId), ttl()) }));

  server.setRequestHandler('tasks/result', { params: TaskIdParams }, async ({ taskId }, ctx) => {
    const call = find(taskId);
    const gone = new Promise<never>((_, reject) =>
      ctx.mcpReq.signal.addEventListener('abort', () => reject(new ProtocolError(REQUEST_CANCELLED, 'request cancelled')), { once: true }),
    );
    const end = await Promise.race([call.done, gone]);
    const result = toMcpResult(end, aggregate ? call.server : undefined);
    return { ...result, _meta: { [RELATED_TASK]: { taskId } } };
  });

  server.setRequestHandler('tasks/list', { params: ListParams }, async ({ cursor }) => {
    const { page, nextCursor } = taskPage(context.caller.calls.all(viewer()).filter(isTask), cursor);
    return { tasks: page.map((call) => taskOf(call, ttl())), ...(nextCursor && { nextCursor }) };
  });

  server.setRequestHandler('tasks/cancel', { params: TaskIdParams }, async ({ taskId }) => {
    const call = find(taskId);
    if (call.finished) throw new ProtocolError(INVALID_PARAMS, `the task has already ended (${taskOf(call, ttl()).status})`);
    await cancelTask(call);
    return { ...taskOf(call, ttl()) };
  });
}

/** A task as a 2026-07-28 client sees it (the extension's `Task`: `ttlMs` and `pollIntervalMs`). */
export interface ModernTask {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  ttlMs: number;
  pollIntervalMs: number;
}

/**
 * A call's task on the 2026-07-28 revision: `failed` is only for a JSON-RPC error, so a call that
 * ended with an `isError` result or a failure the gateway answers as one (denied, timed out, …)
 * is `completed`; a server that failed the call (`upstream-error`) is `failed`.
 */
function modernTaskOf(call: RunningCall, ttlMs: number): ModernTask {
  const { ttl, pollInterval, ...task } = taskOf(call, ttlMs);
  const failed = call.end?.error?.type === 'upstream-error';
  if (task.status === 'failed' && !failed) {
    task.status = 'completed';
    delete task.statusMessage;
  }
  return { ...task, ttlMs: ttl, pollIntervalMs: pollInterval };
}

const UpdateParams = z.object({ taskId: z.string(), inputResponses: z.record(z.string(), z.unknown()).optional() });

/**
 * Serves the tasks extension's `tasks/get`, `tasks/update` and `tasks/cancel` to a 2026-07-28
 * request that declared it (-32021 to one that did not), for the caller's own tasks.
 */
function serveModernTasks(server: Server, context: ServedContext): void {
  const ttl = () => context.finishedCallTtlMs();
  const find = taskFinder(context);
  const aggregate = context.target.kind !== 'server';
  const declared = (envelope: unknown): void => {
    if (!declaresTasks(envelope as Record<string, unknown> | undefined))
      throw new ProtocolError(
        MISSING_REQUIRED_CLIENT_CAPABILITY,
        `this method needs the client capability extensions["${TASKS_EXTENSION}"]`,
        {
          requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } },
        },
      );
  };

  server.setRequestHandler('tasks/get', { params: TaskIdParams }, async ({ taskId }, ctx) => {
    declared(ctx.mcpReq.envelope);
    const call = find(taskId);
    const task = modernTaskOf(call, ttl());
    const end = call.end;
    if (!end || task.status === 'cancelled') return { ...task };
    if (task.status === 'failed') return { ...task, error: { code: INTERNAL_ERROR, message: task.statusMessage ?? 'the server failed' } };
    return { ...task, result: toMcpResult(end, aggregate ? call.server : undefined) };
  });

  // The gateway never asks a client for input on a task (a person answers): there is nothing to take.
  server.setRequestHandler('tasks/update', { params: UpdateParams }, async ({ taskId }, ctx) => {
    declared(ctx.mcpReq.envelope);
    find(taskId);
    return {};
  });

  server.setRequestHandler('tasks/cancel', { params: TaskIdParams }, async ({ taskId }, ctx) => {
    declared(ctx.mcpReq.envelope);
    const call = find(taskId);
    if (!call.finished) await cancelTask(call);
    return {};
  });
}
