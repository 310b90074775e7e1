/**
 * `tools/call` to a stdio server without the MCP SDK client's request path.
 *
 * The SDK's `Protocol.request` costs a good share of a call's CPU in the gateway (closures and maps
 * per request, a zod check of every incoming message, an AbortSignal plumbing it never unhooks; see
 * the README's performance section). A stdio connection sends its tool calls through here instead:
 * the request goes out on the same transport, with ids of their own (`"g:<n>"`, strings, so they
 * never clash with the SDK's numeric ids), and `take()` — called for every incoming message before
 * the SDK sees it — routes the answers and `notifications/progress` for those ids to the waiting
 * call. Everything else (initialize, lists, pings, other notifications, the server's own requests)
 * stays with the SDK client.
 *
 * It keeps what the SDK did for a call: the timeout, reset by progress up to the maximum total
 * time; `notifications/cancelled` upstream on a timeout or an aborted signal; the result checked
 * with `CALL_RESULT_SCHEMA` (call-result.ts); a JSON-RPC error answer as an `McpError`; and every
 * call in flight failing with `ConnectionClosed` when the connection ends. The failures are the
 * SDK's errors, so `classifyCallError` sorts them as before. A transport knows bytes; this module
 * knows the messages of a call; the connection decides which calls come here.
 */
import { ErrorCode, McpError, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ChurnTable } from '../churn-table.js';
import { CALL_RESULT_SCHEMA, type CallToolResult } from './call-result.js';
import type { CallProgress, Cancellation } from './types.js';

/** The prefix of our ids and progress tokens; the SDK's ids are numbers. */
const ID_PREFIX = 'g:';

export interface DirectCallOptions {
  /** Time without progress after which the call fails, in ms. */
  timeoutMs: number;
  /** Time after which the call fails even while progress arrives, in ms. */
  maxTotalTimeoutMs: number;
  /** Aborting it cancels the call upstream. */
  signal?: AbortSignal;
  /** Cancels the call upstream too; when given, `signal` is not read (it may be a getter that makes it). Default none. */
  cancellation?: Cancellation;
  onProgress?: (progress: CallProgress) => void;
}

interface PendingCall {
  id: string;
  resolve: (result: CallToolResult) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
  /** Fails the call as timed out (the timer's callback). */
  onTimeout: () => void;
  /** The timer is stopped while a person answers the server's question (`pauseTimeout`). */
  paused: boolean;
  startedAt: number;
  options: DirectCallOptions;
  onAbort?: () => void;
  /** Removes the listener on `options.cancellation`. */
  stopListening?: () => void;
}

/** The reason a cancellation without a signal gives: what an AbortSignal's `abort()` gives. */
const abortReason = () => new DOMException('This operation was aborted', 'AbortError');

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export class DirectCalls {
  private nextId = 0;
  /** The calls in flight, by id (not a Map: see churn-table.ts). */
  private readonly pending = new ChurnTable<PendingCall>();
  private closed = false;

  constructor(
    /** Writes one message to the server (the transport's `send`). */
    private readonly send: (message: JSONRPCMessage) => Promise<void>,
    /** Told about messages of ours that were ignored, and cancellations that could not be sent. */
    private readonly report: (error: Error) => void,
  ) {}

  /** Calls in flight. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Sends `tools/call` and resolves with its checked result; fails with the SDK's errors
   * (`McpError` with `RequestTimeout` or `ConnectionClosed`, a JSON-RPC error answer, the
   * result schema's error, the transport's send error, or the signal's reason).
   */
  call(name: string, args: Record<string, unknown>, options: DirectCallOptions): Promise<CallToolResult> {
    return new Promise<CallToolResult>((resolve, reject) => {
      if (this.closed) {
        reject(McpError.fromError(ErrorCode.ConnectionClosed, 'Connection closed'));
        return;
      }
      const { cancellation } = options;
      if (cancellation) {
        if (cancellation.isCancelled) throw abortReason();
      } else options.signal?.throwIfAborted();
      const id = `${ID_PREFIX}${++this.nextId}`;
      const onTimeout = () =>
        this.cancel(call, McpError.fromError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: options.timeoutMs }));
      const call: PendingCall = {
        id,
        resolve,
        reject,
        startedAt: Date.now(),
        options,
        onTimeout,
        paused: false,
        timer: setTimeout(onTimeout, options.timeoutMs),
      };
      this.pending.set(id, call);
      const signal = cancellation ? undefined : options.signal;
      if (cancellation) call.stopListening = cancellation.onCancel(() => this.cancel(call, abortReason()));
      else if (signal) {
        call.onAbort = () => this.cancel(call, signal.reason);
        signal.addEventListener('abort', call.onAbort, { once: true });
      }
      // Progress is always asked for: it is what keeps a long call within its timeout.
      this.send({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name, arguments: args, _meta: { progressToken: id } },
      }).catch((error: Error) => {
        if (this.settle(call)) reject(error);
      });
    });
  }

  /**
   * Takes an incoming message if it is for one of our calls (an answer to one of our ids, or
   * progress with one of our tokens); returns false for every other message, which then goes to
   * the SDK client. An answer or progress for a call that has ended is dropped.
   */
  take(message: JSONRPCMessage): boolean {
    const id = (message as { id?: unknown }).id;
    if (typeof id === 'string') {
      if (!id.startsWith(ID_PREFIX) || 'method' in message) return false;
      this.answer(id, message as Record<string, unknown>);
      return true;
    }
    if (id === undefined && (message as { method?: unknown }).method === 'notifications/progress') {
      const params = (message as { params?: unknown }).params;
      const token = isRecord(params) ? params.progressToken : undefined;
      if (typeof token !== 'string' || !token.startsWith(ID_PREFIX)) return false;
      this.progress(token, params as Record<string, unknown>);
      return true;
    }
    return false;
  }

  /** The id the next `call` will get, so that a caller can refer to the call before `call` returns. */
  nextCallId(): string {
    return `${ID_PREFIX}${this.nextId + 1}`;
  }

  /**
   * Stops the timeout of call `id` while a person answers the server's question (progress does not
   * restart it meanwhile); false when the call has ended.
   */
  pauseTimeout(id: string): boolean {
    const call = this.pending.get(id);
    if (!call) return false;
    clearTimeout(call.timer);
    call.paused = true;
    return true;
  }

  /** Starts the timeout of call `id` again from the full time, or fails the call past its maximum total time. */
  resumeTimeout(id: string): void {
    const call = this.pending.get(id);
    if (!call?.paused) return;
    call.paused = false;
    if (this.pastMaxTotal(call)) return;
    call.timer = setTimeout(call.onTimeout, call.options.timeoutMs);
  }

  /** The connection ended: every call in flight fails now, and later calls at once. */
  close(): void {
    this.closed = true;
    if (this.pending.size === 0) return;
    const error = McpError.fromError(ErrorCode.ConnectionClosed, 'Connection closed');
    for (const call of this.pending.values()) {
      if (this.settle(call)) call.reject(error);
    }
  }

  private answer(id: string, message: Record<string, unknown>): void {
    const call = this.pending.get(id);
    if (!call) {
      this.report(new Error(`ignored an answer to a call that has ended or was never made (id ${JSON.stringify(id)})`));
      return;
    }
    this.settle(call);
    const { error } = message;
    if ('result' in message) {
      const parsed = CALL_RESULT_SCHEMA.safeParse(message.result);
      if (parsed.success) call.resolve(parsed.data);
      else call.reject(parsed.error);
    } else if (isRecord(error) && typeof error.code === 'number' && typeof error.message === 'string') {
      call.reject(McpError.fromError(error.code, error.message, error.data));
    } else {
      call.reject(
        new Error(`the server answered a tool call with neither a result nor a valid error: ${JSON.stringify(message).slice(0, 200)}`),
      );
    }
  }

  private progress(token: string, params: Record<string, unknown>): void {
    const call = this.pending.get(token);
    if (!call) return; // the call has ended: late progress means nothing any more
    const { progress, total, message } = params;
    if (
      typeof progress !== 'number' ||
      (total !== undefined && typeof total !== 'number') ||
      (message !== undefined && typeof message !== 'string')
    ) {
      this.report(new Error(`ignored a malformed progress notification: ${JSON.stringify(params).slice(0, 200)}`));
      return;
    }
    if (this.pastMaxTotal(call)) return;
    if (!call.paused) call.timer.refresh();
    const { progressToken: _token, ...rest } = params;
    call.options.onProgress?.(rest as unknown as CallProgress);
  }

  /** Fails the call as timed out when its maximum total time has passed; whether it did. */
  private pastMaxTotal(call: PendingCall): boolean {
    const totalElapsed = Date.now() - call.startedAt;
    const { maxTotalTimeoutMs } = call.options;
    if (!maxTotalTimeoutMs || totalElapsed < maxTotalTimeoutMs) return false;
    this.cancel(
      call,
      McpError.fromError(ErrorCode.RequestTimeout, 'Maximum total timeout exceeded', { maxTotalTimeout: maxTotalTimeoutMs, totalElapsed }),
    );
    return true;
  }

  /** Gives up on a call: tells the server (`notifications/cancelled`) and fails it with `reason`. */
  private cancel(call: PendingCall, reason: unknown): void {
    if (!this.settle(call)) return;
    this.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: call.id, reason: String(reason) } }).catch(
      (error: unknown) => this.report(new Error(`Failed to send cancellation: ${String(error)}`)),
    );
    call.reject(reason instanceof McpError ? reason : new McpError(ErrorCode.RequestTimeout, String(reason)));
  }

  /** Ends a call's bookkeeping; false if it had already ended. */
  private settle(call: PendingCall): boolean {
    if (this.pending.get(call.id) !== call) return false;
    this.pending.delete(call.id);
    clearTimeout(call.timer);
    if (call.stopListening) call.stopListening();
    else if (call.onAbort) call.options.signal?.removeEventListener('abort', call.onAbort);
    return true;
  }
}
