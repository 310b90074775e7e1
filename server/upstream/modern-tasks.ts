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
 * (a person, the sampler, the roots: modern-client.ts `answerLocally`) and sent with `tasks/update`.
 * The call's `timeoutMs` bounds each request, `maxTotalTimeoutMs` the whole task; the caller
 * cancelling, or the time running out, sends `tasks/cancel`.
 *
 * The 2.x client SDK refuses a `resultType: "task"` answer before any result schema applies, and
 * `tasks/get`/`tasks/cancel` on that revision (see README "Servers in the 2026-07-28 era"), so these
 * requests go on a transport of the call's own — the same `StreamableHTTPClientTransport`, built
 * with the session's options (modern-client.ts `transportOptions`): the SDK still does the HTTP,
 * SSE, headers and authorization; this module only matches its answers to its requests.
 */
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult } from './call-result.js';
import { missingCapabilities } from './call-errors.js';
import { CLIENT_CAPABILITIES_META_KEY, MAX_LOCAL_ROUNDS, isInputRequired } from './input-relay.js';
import { DEFAULT_POLL_MS, MIN_POLL_MS, TaskRun } from './task-calls.js';
import { TASK_TIMED_OUT, UpstreamCallError, type RelayedInputRequired, type ToolCallOptions } from './types.js';

/** The extension a 2026-07-28 request declares to take part in tasks. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
/** The longest poll the gateway accepts from a server's `pollIntervalMs`, in ms (a task's end is seen at most this late). */
export const MAX_POLL_MS = 5000;

const PROTOCOL_VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';
const CLIENT_INFO_META_KEY = 'io.modelcontextprotocol/clientInfo';

/** A task as `tasks/get` (and the `CreateTaskResult`) tells it. */
interface ModernTask {
  taskId: string;
  status: string;
  statusMessage?: string;
  pollIntervalMs?: number;
  /** `completed`: the tool's result. */
  result?: CallToolResult;
  /** `failed`: the JSON-RPC error. */
  error?: { code?: number; message?: string; data?: unknown };
  /** `input_required`: what the server asks. */
  inputRequests?: RelayedInputRequired['inputRequests'];
}

/** What a task call needs of its session (modern-client.ts). */
export interface ModernTaskSession {
  /** A new transport to the server, with the session's URL, headers and authorization. */
  transport(): StreamableHTTPClientTransport;
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
    let taskId: string | undefined;
    try {
      await channel.start();
      const request = (method: string, params: Record<string, unknown>) => channel.request(method, params, options.timeoutMs, stop.signal);
      let params: Record<string, unknown> = { name, arguments: args };
      for (let round = 1; ; round++) {
        const answer = await request('tools/call', params);
        if (answer.resultType === 'task') {
          const task = answer as unknown as ModernTask;
          taskId = task.taskId;
          return await this.follow(task, request, stop.signal, options);
        }
        if (!isInputRequired(answer)) return answer as CallToolResult;
        if (round > MAX_LOCAL_ROUNDS) throw new Error(`${name} still required input after ${MAX_LOCAL_ROUNDS} rounds`);
        const inputResponses = await this.session.answer(answer, stop.signal);
        params = { name, arguments: args, inputResponses, ...(answer.requestState !== undefined && { requestState: answer.requestState }) };
      }
    } catch (error) {
      if (this.closed) throw new McpError(ErrorCode.ConnectionClosed, 'Connection closed');
      if (stop.signal.aborted && taskId !== undefined)
        await channel.request('tasks/cancel', { taskId }, options.timeoutMs).catch(() => undefined);
      if (run.timedOut) throw new UpstreamCallError('timeout', `${TASK_TIMED_OUT} ${options.maxTotalTimeoutMs} ms`);
      throw error;
    } finally {
      run.end();
      await channel.close();
    }
  }

  /** Follows the task to its end (`tasks/get`, `tasks/update` for its questions); its result. */
  private async follow(
    first: ModernTask,
    request: (method: string, params: Record<string, unknown>) => Promise<Record<string, unknown>>,
    signal: AbortSignal,
    options: ToolCallOptions,
  ): Promise<CallToolResult> {
    let task = first;
    let last: { status?: string; statusMessage?: string } = {};
    let steps = 0;
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
          if (task.result) return task.result;
          throw new UpstreamCallError('protocol', 'the server ended the task completed without its result');
        case 'failed':
          throw new UpstreamCallError('server-error', failedText(task));
        case 'cancelled':
          throw new UpstreamCallError(
            'cancelled',
            task.statusMessage ? `the server cancelled the task: ${task.statusMessage}` : 'the server cancelled the task',
          );
        case 'input_required': {
          const asked = Object.entries(task.inputRequests ?? {}).filter(([key]) => !answered.has(key));
          if (asked.length > 0) {
            const inputResponses = await this.session.answer({ inputRequests: Object.fromEntries(asked) }, signal);
            for (const [key] of asked) answered.add(key);
            await ownTask(request('tasks/update', { taskId: task.taskId, inputResponses }));
            break;
          }
        }
        // Nothing asked (yet): wait as for a working task.
        // falls through
        default:
          await pause(pollInterval(task), signal);
      }
      signal.throwIfAborted();
      task = { ...(await ownTask(request('tasks/get', { taskId: task.taskId }))), taskId: task.taskId } as ModernTask;
    }
  }
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
  const why = task.error?.message ?? task.statusMessage;
  const code = typeof task.error?.code === 'number' ? ` (JSON-RPC error ${task.error.code})` : '';
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
    private readonly transport: StreamableHTTPClientTransport,
    private readonly envelope: Record<string, unknown>,
  ) {
    transport.onmessage = (message) => {
      const answer = message as {
        id?: unknown;
        result?: Record<string, unknown>;
        error?: { code: number; message: string; data?: unknown };
      };
      if (typeof answer.id !== 'number') return;
      const waiting = this.pending.get(answer.id);
      if (!waiting) return;
      this.pending.delete(answer.id);
      if (answer.error) waiting.reject(new McpError(answer.error.code, answer.error.message, answer.error.data));
      else waiting.resolve(answer.result ?? {});
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
