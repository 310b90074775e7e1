/**
 * Tasks on `/mcp` (MCP 2025-11-25 tasks utility) for 2025-era sessions: a client that calls a tool
 * with `params.task` gets a `CreateTaskResult` at once, and `tasks/get`, `tasks/result`,
 * `tasks/list` and `tasks/cancel` answer for its tasks.
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
 * The 2026-07-28 revision moves tasks to an extension of another shape: not served here.
 */
import { ProtocolError, type Server } from '@modelcontextprotocol/server';
import * as z from 'zod';
import type { RunningCall } from '../calls/running-call.js';
import type { CatalogEntry } from './catalog.js';
import { failureText, toMcpResult } from './call-result.js';
import type { ServedContext } from './mcp-server.js';
import { clientName, startToolCall } from './tool-call.js';

/** The `tasks` server capability a 2025-era session is declared: tool calls as tasks, listed and cancelled. */
export const TASKS_CAPABILITY = { list: {}, cancel: {}, requests: { tools: { call: {} } } };

/** The `pollInterval` suggested to clients, in ms. */
const POLL_INTERVAL_MS = 1000;
/** How long `tasks/cancel` waits for the call to settle before answering with its status then, in ms. */
const CANCEL_WAIT_MS = 5000;
/** The `_meta` key naming the task a message belongs to. */
const RELATED_TASK = 'io.modelcontextprotocol/related-task';

const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;
const INTERNAL_ERROR = -32603;
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

/**
 * A `tools/call` with `params.task`: starts the call as the caller's async call and answers its
 * task once the call is accepted; a call refused before that (arguments, policy, limits) is a
 * JSON-RPC error with the words a plain call's result would have had.
 */
export async function createTask(server: Server, context: ServedContext, entry: CatalogEntry, args: unknown, requestId: string) {
  if (!['required', 'optional'].includes(taskSupportOf(entry)))
    throw new ProtocolError(
      METHOD_NOT_FOUND,
      `the tool ${entry.name} does not run as a task (its server lists no execution.taskSupport "required" or "optional")`,
    );
  const call = startToolCall(
    context.caller,
    context.identity,
    entry,
    args as Record<string, unknown> | undefined,
    clientName(server.getClientVersion()),
    requestId,
    undefined,
    undefined,
    'async',
  );
  if (!(await call.accepted)) {
    const error = call.end!.error!;
    throw new ProtocolError(error.type === 'invalid-arguments' ? INVALID_PARAMS : INTERNAL_ERROR, failureText(error));
  }
  tellChanges(server, call, context.finishedCallTtlMs);
  return { task: taskOf(call, context.finishedCallTtlMs()) };
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

/** Serves `tasks/get`, `tasks/result`, `tasks/list` and `tasks/cancel` for the session's caller. */
export function serveTasks(server: Server, context: ServedContext): void {
  const ttl = () => context.finishedCallTtlMs();
  const viewer = () => ({ caller: context.identity.id, seesAll: false });
  const find = (taskId: string): RunningCall => {
    const call = context.caller.calls.get(taskId, viewer());
    if (!call || !isTask(call))
      throw new ProtocolError(INVALID_PARAMS, `no task with id "${taskId}" (it ended too long ago, or is not yours)`);
    return call;
  };
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

  server.setRequestHandler('tasks/list', { params: ListParams }, async () => ({
    tasks: context.caller.calls
      .all(viewer())
      .filter(isTask)
      .map((call) => taskOf(call, ttl())),
  }));

  server.setRequestHandler('tasks/cancel', { params: TaskIdParams }, async ({ taskId }) => {
    const call = find(taskId);
    if (call.finished) throw new ProtocolError(INVALID_PARAMS, `the task has already ended (${taskOf(call, ttl()).status})`);
    call.cancel();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([call.done, new Promise((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)))]);
    clearTimeout(timer);
    return { ...taskOf(call, ttl()) };
  });
}
