/**
 * Tool calls that run as tasks on a server spoken to in the 2026-07-28 era (the tasks extension
 * `io.modelcontextprotocol/tasks`, SEP-2663). That revision lists no `execution.taskSupport`:
 * the server decides, for a request that declared the extension in its envelope, whether a
 * `tools/call` answers at once with a task (`resultType: "task"`, a flat `CreateTaskResult`) or
 * with its result. So the gateway declares the extension only on a call it will follow as a task:
 *
 * - a call whose caller does not wait (`preferTask`: an async call, an `/mcp` client's task) to a
 *   server that offers the extension (`capabilities.extensions`);
 * - a call of a tool the server answered -32021 for, naming the extension (a task-only tool): the
 *   call is sent again as a task, and later calls of that tool are sent as tasks at once.
 *
 * Such a call is followed as on a 2025 server (task-calls.ts): `tasks/get` every `pollIntervalMs`
 * the server suggests (`DEFAULT_POLL_MS` without one, never below `MIN_POLL_MS` nor above
 * `MAX_POLL_MS`), each new status message the call's progress and task status; `completed` → the
 * result `tasks/get` inlines, `failed` → a `server-error` with the inlined JSON-RPC error,
 * `cancelled` → `cancelled`; `input_required` → the task's `inputRequests`, answered by the gateway
 * (a person, the sampler, the roots: modern-client.ts `answerLocally`) and sent with `tasks/update`,
 * then a pause before the next `tasks/get`; at most `MAX_LOCAL_ROUNDS` rounds, then a `protocol`
 * failure. A task-run call's rounds are always the gateway's to answer: a relaying 2026-07-28 `/mcp`
 * caller (input-relay.ts) relays only its plain calls' rounds, not a task's. Everything the server
 * sends is checked: the task (`TASK_SCHEMA`, its status message cut at `MAX_STATUS_MESSAGE`) and
 * the tool result (`CALL_RESULT_SCHEMA`); a malformed one is a `protocol` failure.
 * The call's `timeoutMs` bounds each request, `maxTotalTimeoutMs` the whole task. A task the
 * gateway gives up on while the server runs it (the caller cancelling, the time running out, the
 * session closing, the server misbehaving) is sent `tasks/cancel`, waiting at most `CANCEL_WAIT_MS`.
 *
 * The 2.x client SDK refuses a `resultType: "task"` answer before any result schema applies, and
 * `tasks/get`/`tasks/cancel` on that revision (see README "Servers in the 2026-07-28 era"), so these
 * requests go on a transport of the call's own — the same `StreamableHTTPClientTransport`, built
 * with the session's options (modern-client.ts `transportOptions`): the SDK does the HTTP and SSE
 * and sends what those options carry (the connection's `fetch`, which adds the configured headers on
 * the server's own origin, and the OAuth client's bearer tokens, as on the session's requests); this
 * module only matches the answers to its requests (a request of the server's is refused, -32601).
 */
import { ErrorCode, McpError, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { CALL_RESULT_SCHEMA, isRecord, type CallToolResult } from './call-result.js';
import { missingCapabilities } from './call-errors.js';
import { CLIENT_CAPABILITIES_META_KEY, MAX_LOCAL_ROUNDS, isInputRequired } from './input-relay.js';
import { DEFAULT_POLL_MS, MIN_POLL_MS, TaskRun } from './task-calls.js';
import { TASK_TIMED_OUT, UpstreamCallError, type RelayedInputRequired, type ToolCallOptions } from './types.js';

/** The extension a 2026-07-28 request declares to take part in tasks. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
/** The longest poll the gateway accepts from a server's `pollIntervalMs`, in ms (a task's end is seen at most this late). */
export const MAX_POLL_MS = 5000;
/** The longest the gateway waits for the server's answer to `tasks/cancel` of a task it gives up on, in ms (at most the call's `timeoutMs`). */
export const CANCEL_WAIT_MS = 2000;

const PROTOCOL_VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';
const CLIENT_INFO_META_KEY = 'io.modelcontextprotocol/clientInfo';

/** The longest task status message the gateway keeps (progress, task status, errors), in characters; longer ones are cut. */
export const MAX_STATUS_MESSAGE = 500;

/**
 * A task as `tasks/get` (and the `CreateTaskResult`) tells it, checked: the server is untrusted.
 * `result` (`completed`) is checked as a tool result when the task ends; `error` (`failed`) is
 * read field by field (`failedText`).
 */
const TASK_SCHEMA = z.object({
  taskId: z.string(),
  status: z.string(),
  statusMessage: z
    .string()
    .optional()
    .transform((text) => (text !== undefined && text.length > MAX_STATUS_MESSAGE ? `${text.slice(0, MAX_STATUS_MESSAGE)}…` : text)),
  pollIntervalMs: z.unknown().optional(),
  result: z.unknown().optional(),
  error: z.unknown().optional(),
  inputRequests: z
    .record(z.string(), z.object({ method: z.string(), params: z.record(z.string(), z.unknown()).optional() }).loose())
    .optional(),
});
type ModernTask = z.infer<typeof TASK_SCHEMA>;

/**
 * What a task call needs of its transport: the part of the 2.x SDK's `StreamableHTTPClientTransport`
 * it uses (that SDK's client is imported by modern-client.ts alone).
 */
export interface TaskTransport {
  start(): Promise<void>;
  close(): Promise<void>;
  send(message: JSONRPCMessage): Promise<void>;
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
}

/** What a task call needs of its session (modern-client.ts). */
export interface ModernTaskSession {
  /** A new transport to the server, with the session's URL, headers and authorization. */
  transport(): TaskTransport;
  clientInfo: { name: string; version: string };
  /** Whether the server offers the tasks extension (read at use). */
  offersTasks(): boolean;
  /** The gateway's answers to a round of input requests, by their keys. */
  answer(round: RelayedInputRequired, signal: AbortSignal): Promise<Record<string, unknown>>;
}

/** The task calls of one 2026-07-28 session. */
export class ModernTasks {
  /** The tools the server answered -32021 for the extension: called as tasks at once from then on. */
  private readonly taskOnly = new Set<string>();
  /** The stops of the task calls in flight: the session closing aborts each. */
  private readonly running = new Set<AbortController>();
  private closed = false;

  constructor(private readonly session: ModernTaskSession) {}

  /** Whether a call of `name` is sent as a task at once. */
  wants(name: string, preferTask: boolean | undefined): boolean {
    return this.taskOnly.has(name) || (preferTask === true && this.session.offersTasks());
  }

  /** Whether `error` is the server's -32021 for the tasks extension; if so, `name` is called as a task from now on. */
  learn(name: string, error: unknown): boolean {
    const extensions = missingCapabilities(error)?.extensions as Record<string, unknown> | undefined;
    if (extensions?.[TASKS_EXTENSION] === undefined) return false;
    this.taskOnly.add(name);
    return true;
  }

  /** The session closed: every task call ends as its requests in flight do (`disconnected`). */
  close(): void {
    this.closed = true;
    for (const stop of this.running) stop.abort();
  }

  /**
   * Calls `name` declaring the tasks extension (with `capabilities`, what the call declares
   * besides) and follows the task the server may make of it; returns the tool's result.
   */
  async call(
    name: string,
    args: Record<string, unknown>,
    capabilities: Record<string, unknown>,
    options: ToolCallOptions,
  ): Promise<CallToolResult> {
    const run = new TaskRun(options, this.running, this.closed);
    const stop = run.stop;
    const declared = { ...capabilities, extensions: { ...(capabilities.extensions as object), [TASKS_EXTENSION]: {} } };
    const channel = new RpcChannel(this.session.transport(), {
      [PROTOCOL_VERSION_META_KEY]: '2026-07-28',
      [CLIENT_INFO_META_KEY]: this.session.clientInfo,
      [CLIENT_CAPABILITIES_META_KEY]: declared,
    });
    const followed: Followed = { ended: false };
    try {
      await channel.start();
      const request = (method: string, params: Record<string, unknown>) => channel.request(method, params, options.timeoutMs, stop.signal);
      let params: Record<string, unknown> = { name, arguments: args };
      for (let round = 1; ; round++) {
        const answer = await request('tools/call', params);
        if (answer.resultType === 'task') {
          const task = readTask(answer);
          followed.taskId = task.taskId;
          return await this.follow(task, request, stop.signal, options, followed);
        }
        if (!isInputRequired(answer)) return toolResult(answer);
        if (round > MAX_LOCAL_ROUNDS)
          throw new UpstreamCallError('protocol', `${name} still required input after ${MAX_LOCAL_ROUNDS} rounds`);
        const inputResponses = await this.session.answer(answer, stop.signal);
        params = { name, arguments: args, inputResponses, ...(answer.requestState !== undefined && { requestState: answer.requestState }) };
      }
    } catch (error) {
      // The gateway gives up on a task the server still runs (the caller, the time or the session
      // ended it, or the server misbehaved): it is cancelled, as far as the server answers in time.
      if (followed.taskId !== undefined && !followed.ended)
        await channel
          .request('tasks/cancel', { taskId: followed.taskId }, Math.min(options.timeoutMs, CANCEL_WAIT_MS))
          .catch(() => undefined);
      if (this.closed) throw new McpError(ErrorCode.ConnectionClosed, 'Connection closed');
      if (run.timedOut) throw new UpstreamCallError('timeout', `${TASK_TIMED_OUT} ${options.maxTotalTimeoutMs} ms`);
      throw error;
    } finally {
      run.end();
      await channel.close();
    }
  }

  /**
   * Follows the task to its end (`tasks/get` after each pause, `tasks/update` for its questions, at
   * most `MAX_LOCAL_ROUNDS` rounds of them); its result. `followed.ended` once the server ended it.
   */
  private async follow(
    first: ModernTask,
    request: (method: string, params: Record<string, unknown>) => Promise<Record<string, unknown>>,
    signal: AbortSignal,
    options: ToolCallOptions,
    followed: Followed,
  ): Promise<CallToolResult> {
    let task = first;
    let last: { status?: string; statusMessage?: string } = {};
    let steps = 0;
    let rounds = 0;
    /** The keys of the input requests answered already (a `tasks/get` before the server took the answers shows them again). */
    const answered = new Set<string>();
    for (;;) {
      if (task.status !== last.status || task.statusMessage !== last.statusMessage) {
        const { status, statusMessage } = task;
        options.onTaskStatus?.(statusMessage === undefined ? { status } : { status, statusMessage });
        if (statusMessage !== undefined && statusMessage !== last.statusMessage)
          options.onProgress?.({ progress: ++steps, message: statusMessage });
        last = { status, statusMessage };
      }
      switch (task.status) {
        case 'completed':
          followed.ended = true;
          if (task.result !== undefined) return toolResult(task.result);
          throw new UpstreamCallError('protocol', 'the server ended the task completed without its result');
        case 'failed':
          followed.ended = true;
          throw new UpstreamCallError('server-error', failedText(task));
        case 'cancelled':
          followed.ended = true;
          throw new UpstreamCallError(
            'cancelled',
            task.statusMessage ? `the server cancelled the task: ${task.statusMessage}` : 'the server cancelled the task',
          );
        case 'input_required': {
          const asked = Object.entries(task.inputRequests ?? {}).filter(([key]) => !answered.has(key));
          if (asked.length > 0) {
            // Each round may cost a person's time or a model's tokens: a server that never stops asking is given up on.
            if (++rounds > MAX_LOCAL_ROUNDS)
              throw new UpstreamCallError('protocol', `the task still required input after ${MAX_LOCAL_ROUNDS} rounds of answers`);
            const inputResponses = await this.session.answer({ inputRequests: Object.fromEntries(asked) }, signal);
            for (const [key] of asked) answered.add(key);
            await ownTask(request('tasks/update', { taskId: task.taskId, inputResponses }));
          }
        }
        // Then (or with nothing new asked) wait as for a working task: never a tasks/get without a pause.
        // falls through
        default:
          await pause(pollInterval(task), signal);
      }
      signal.throwIfAborted();
      task = readTask({ ...(await ownTask(request('tasks/get', { taskId: task.taskId }))), taskId: task.taskId });
    }
  }
}

/** What the gateway knows of the task it follows: its id once the server made it, and whether the server ended it. */
interface Followed {
  taskId?: string;
  ended: boolean;
}

/** A task the server sent, checked (`TASK_SCHEMA`); a malformed one is a `protocol` failure. */
function readTask(answer: unknown): ModernTask {
  const parsed = TASK_SCHEMA.safeParse(answer);
  if (parsed.success) return parsed.data;
  throw new UpstreamCallError('protocol', `the server sent a malformed task (${issuesText(parsed.error.issues)})`);
}

/** A tool result the server sent, checked as every tool result is (`CALL_RESULT_SCHEMA`); a malformed one is a `protocol` failure. */
function toolResult(answer: unknown): CallToolResult {
  const parsed = CALL_RESULT_SCHEMA.safeParse(answer);
  if (parsed.success) return parsed.data;
  throw new UpstreamCallError('protocol', `the server sent a malformed tool result (${issuesText(parsed.error.issues)})`);
}

/** The first of a parse's issues, as "path: message". */
function issuesText(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const [first] = issues;
  if (!first) return 'invalid';
  const where = first.path.map(String).join('.');
  return `${where ? `${where}: ` : ''}${first.message}${issues.length > 1 ? ` and ${issues.length - 1} more` : ''}`;
}

/** A request about the call's own task: the server refusing its params (an unknown task) is its fault, not the caller's arguments'. */
async function ownTask<T>(answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (error) {
    if (error instanceof McpError && error.code === ErrorCode.InvalidParams)
      throw new UpstreamCallError('server-error', `the server refused a request about its own task: ${error.message}`);
    throw error;
  }
}

/** The server's poll interval for the task, within the gateway's bounds. */
function pollInterval(task: ModernTask): number {
  const suggested = typeof task.pollIntervalMs === 'number' && Number.isFinite(task.pollIntervalMs) ? task.pollIntervalMs : DEFAULT_POLL_MS;
  return Math.min(Math.max(suggested, MIN_POLL_MS), MAX_POLL_MS);
}

function failedText(task: ModernTask): string {
  const error = (typeof task.error === 'object' && task.error !== null ? task.error : {}) as { code?: unknown; message?: unknown };
  const message = typeof error.message === 'string' ? error.message.slice(0, MAX_STATUS_MESSAGE) : undefined;
  const why = message || task.statusMessage;
  const code = typeof error.code === 'number' ? ` (JSON-RPC error ${error.code})` : '';
  return why ? `the task failed: ${why}${code}` : `the task failed${code}`;
}

/** Waits `ms`, or until `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * JSON-RPC requests on one transport of the SDK's: each request carries the envelope, its answer is
 * matched by id; an error answer rejects as the 1.x SDK's `McpError` (call-errors.ts sorts it).
 */
class RpcChannel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void }>();

  constructor(
    private readonly transport: TaskTransport,
    private readonly envelope: Record<string, unknown>,
  ) {
    transport.onmessage = (message) => {
      const answer = message as { id?: unknown; method?: unknown; result?: unknown; error?: unknown };
      if (answer.method !== undefined) {
        // A request of the server's (the 2026-07-28 era asks by input_required, not by requests): refused; a notification: ignored.
        if (answer.id !== undefined)
          transport
            .send({ jsonrpc: '2.0', id: answer.id as number, error: { code: ErrorCode.MethodNotFound, message: 'Method not found' } })
            .catch(() => undefined);
        return;
      }
      if (typeof answer.id !== 'number') return;
      const waiting = this.pending.get(answer.id);
      if (!waiting) return;
      const { result, error } = answer;
      if (isRecord(result)) waiting.resolve(result);
      else if (isRecord(error) && typeof error.code === 'number' && typeof error.message === 'string')
        waiting.reject(new McpError(error.code, error.message, error.data));
      else waiting.reject(new UpstreamCallError('protocol', 'the server answered with neither a result nor a valid error'));
    };
    transport.onclose = () => {
      for (const waiting of this.pending.values()) waiting.reject(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'));
      this.pending.clear();
    };
    // Failures of a request reach it through `send`; others (a dropped stream) end it by `onclose` or its timeout.
    transport.onerror = () => undefined;
  }

  start(): Promise<void> {
    return this.transport.start();
  }

  close(): Promise<void> {
    return this.transport.close().catch(() => undefined);
  }

  /** Sends `method`; its result, or a timeout (`timeoutMs`) or the abort of `signal`. */
  request(method: string, params: Record<string, unknown>, timeoutMs: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      const onAbort = () => {
        settle();
        reject(signal!.reason as Error);
      };
      const timer = setTimeout(() => {
        settle();
        reject(new McpError(ErrorCode.RequestTimeout, `the server did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (result) => (settle(), resolve(result)),
        reject: (error) => (settle(), reject(error)),
      });
      this.transport
        .send({ jsonrpc: '2.0', id, method, params: { ...params, _meta: this.envelope } })
        .catch((error: unknown) => this.pending.get(id)?.reject(error as Error));
    });
  }
}
