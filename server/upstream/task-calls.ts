/**
 * Tool calls that run as tasks (MCP 2025-11-25 tasks utility): a tool whose `execution.taskSupport`
 * is `required` (or `optional`, for a caller that does not wait: `preferTask`) is called with
 * `params.task`, the server answers at once with a task, and the gateway follows it to its end so
 * that the caller sees an ordinary tool call:
 *
 * - status: `notifications/tasks/status` when the server sends them, and `tasks/get` every
 *   `pollInterval` (the server's, else `DEFAULT_POLL_MS`; never below `MIN_POLL_MS`) when it does
 *   not; each new status message is the call's progress (`onProgress`), and each new status or
 *   message goes to `onTaskStatus`;
 * - `input_required`: `tasks/result`, which delivers the server's queued requests (elicitation)
 *   and blocks until the task ends;
 * - the end: `completed` or `failed` → `tasks/result` (the tool's result); `cancelled` → a
 *   `cancelled` failure;
 * - time: a task may run long, so the call's `timeoutMs` bounds each request (a server that stops
 *   answering `tasks/get` fails the call) and `maxTotalTimeoutMs` bounds the whole task (it is also
 *   the task's requested `ttl`);
 * - the call's `signal` aborting, or `maxTotalTimeoutMs` passing, sends `tasks/cancel`;
 * - the connection closing ends the call at once as `disconnected` (the task is lost with the session).
 *
 * The gateway declares no client `tasks` capability: that one says the gateway runs tasks that
 * servers ask of it (task-augmented elicitation/sampling), which it does not.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CreateTaskResultSchema, ErrorCode, McpError, TaskStatusNotificationSchema, type Task } from '@modelcontextprotocol/sdk/types.js';
import { CALL_RESULT_SCHEMA, type CallToolResult } from './call-result.js';
import { TASK_TIMED_OUT, UpstreamCallError, type ToolCallOptions } from './types.js';

/** How often `tasks/get` is asked when the server suggests no `pollInterval`, in ms. */
export const DEFAULT_POLL_MS = 1000;
/** The shortest poll the gateway accepts from a server's `pollInterval`, in ms. */
export const MIN_POLL_MS = 100;

type StatusListener = (task: Task) => void;

/** The task calls of one connection, and the status notifications that reach them. */
export class TaskCalls {
  private readonly listeners = new Map<string, StatusListener>();
  /** The stops of the task calls in flight: the connection closing aborts each (one listener per call, none shared). */
  private readonly running = new Set<AbortController>();
  private closed = false;

  /** Routes the client's `notifications/tasks/status` to the calls that follow those tasks. */
  constructor(client: Client) {
    client.setNotificationHandler(TaskStatusNotificationSchema, async (notification) => {
      this.listeners.get(notification.params.taskId)?.(notification.params as Task);
    });
  }

  /** The connection closed: every task call ends as its requests in flight do (`disconnected`). */
  close(): void {
    this.closed = true;
    for (const stop of this.running) stop.abort();
  }

  /** Calls `name` as a task and returns the tool's result; failures as `UpstreamCallError` or the SDK's errors. */
  async call(
    client: Client,
    name: string,
    args: Record<string, unknown>,
    options: ToolCallOptions,
    /** Told the task's id once the server made it (requests the server sends for the task carry it). */
    onTask?: (taskId: string) => void,
  ): Promise<CallToolResult> {
    const run = new TaskRun(options, this.running, this.closed);
    const stop = run.stop;
    const request = () => ({ timeout: options.timeoutMs, signal: stop.signal });
    let taskId: string | undefined;
    try {
      const created = await client.request({ method: 'tools/call', params: { name, arguments: args } }, CreateTaskResultSchema, {
        ...request(),
        task: { ttl: options.maxTotalTimeoutMs },
      });
      taskId = created.task.taskId;
      onTask?.(taskId);
      const task = await this.follow(client, created.task, stop.signal, options);
      if (task.status === 'cancelled') throw new UpstreamCallError('cancelled', statusText('the server cancelled the task', task));
      return await this.result(client, task, stop.signal, options);
    } catch (error) {
      if (this.closed) throw new McpError(ErrorCode.ConnectionClosed, 'Connection closed');
      if (stop.signal.aborted && taskId !== undefined) await cancelTask(client, taskId, options.timeoutMs);
      if (run.timedOut) throw new UpstreamCallError('timeout', `${TASK_TIMED_OUT} ${options.maxTotalTimeoutMs} ms`);
      throw error;
    } finally {
      run.end();
      if (taskId !== undefined) this.listeners.delete(taskId);
    }
  }

  /** Follows the task until it ends or needs input; each new status message is progress. */
  private async follow(client: Client, first: Task, signal: AbortSignal, options: ToolCallOptions): Promise<Task> {
    let task = first;
    let steps = 0;
    let lastMessage: string | undefined;
    let wake: (() => void) | undefined;
    const seen = (next: Task) => {
      // A `tasks/get` answer read after a newer notification (or the other way round) is old news.
      if (Date.parse(next.lastUpdatedAt) < Date.parse(task.lastUpdatedAt)) return;
      const changed = next.status !== task.status || next.statusMessage !== task.statusMessage;
      task = next;
      if (changed || next === first)
        options.onTaskStatus?.(
          next.statusMessage === undefined ? { status: next.status } : { status: next.status, statusMessage: next.statusMessage },
        );
      if (next.statusMessage !== undefined && next.statusMessage !== lastMessage) {
        lastMessage = next.statusMessage;
        options.onProgress?.({ progress: ++steps, message: next.statusMessage });
      }
      wake?.();
    };
    this.listeners.set(first.taskId, seen);
    seen(first);
    while (isRunning(task)) {
      const pollMs = Math.max(task.pollInterval ?? DEFAULT_POLL_MS, MIN_POLL_MS);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pollMs);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          wake = undefined;
          resolve();
        }
        wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
      signal.throwIfAborted();
      if (!isRunning(task)) break;
      seen(await client.experimental.tasks.getTask(task.taskId, { timeout: options.timeoutMs, signal }));
    }
    return task;
  }

  /** `tasks/result` of an ended task, or of one that needs input (it blocks until the task ends). */
  private async result(client: Client, task: Task, signal: AbortSignal, options: ToolCallOptions): Promise<CallToolResult> {
    // While input is needed a person may take their time: only the task's total time applies.
    const timeout = task.status === 'input_required' ? options.maxTotalTimeoutMs : options.timeoutMs;
    try {
      return (await client.experimental.tasks.getTaskResult(task.taskId, CALL_RESULT_SCHEMA, { timeout, signal })) as CallToolResult;
    } catch (error) {
      // A failed task without a stored result: its status message says why.
      if (task.status === 'failed' && !signal.aborted) throw new UpstreamCallError('server-error', statusText('the task failed', task));
      throw error;
    }
  }
}

/**
 * The stop of one task call (here and modern-tasks.ts): aborted by the caller's `signal`, by the
 * task's whole time (`maxTotalTimeoutMs`: then `timedOut`) and by its connection closing (`running`
 * holds the stops of a connection's task calls in flight). `end()` once the call ended.
 */
export class TaskRun {
  readonly stop = new AbortController();
  timedOut = false;
  private readonly deadline: NodeJS.Timeout;
  private readonly onAbort = () => this.stop.abort();

  constructor(
    private readonly options: ToolCallOptions,
    private readonly running: Set<AbortController>,
    closed: boolean,
  ) {
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    running.add(this.stop);
    // A caller that gave up before the call began, or a connection closed already: no request goes out.
    if (closed || options.signal?.aborted) this.stop.abort();
    this.deadline = setTimeout(() => {
      this.timedOut = true;
      this.stop.abort();
    }, options.maxTotalTimeoutMs);
  }

  end(): void {
    clearTimeout(this.deadline);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.running.delete(this.stop);
  }
}

/** Whether the task works on without the gateway: not ended, and not waiting for input. */
function isRunning(task: Task): boolean {
  return task.status === 'working';
}

function statusText(what: string, task: Task): string {
  return task.statusMessage ? `${what}: ${task.statusMessage}` : what;
}

/** Asks the server to cancel the task; a server that cannot (already ended, gone) is not an error of the call. */
async function cancelTask(client: Client, taskId: string, timeoutMs: number): Promise<void> {
  try {
    await client.experimental.tasks.cancelTask(taskId, { timeout: timeoutMs });
  } catch {
    // The call ends cancelled (or timed out) either way.
  }
}
