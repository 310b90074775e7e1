/**
 * One tool call while it runs and, for async calls, for a while after: its state, its latest
 * progress, the log messages it saw, and how it ended. Streams (`text/event-stream` callers and
 * `GET /api/calls/{id}/events`) subscribe to its events; `DELETE /api/calls/{id}` cancels it.
 */
import { EventEmitter } from 'node:events';
import type { CallProgress, LogMessage, ToolCallResult } from '../upstream/types.js';
import type { ProblemBody } from '../http/problems.js';
import type { Approval } from '../approvals/pending.js';
import type { CallOutcome } from './outcome.js';

export type CallState = 'waiting_for_approval' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';

/** Where the call came in: the mcpo-compatible route or the management API. */
export type CallSurface = 'mcpo' | 'api';

/** How the caller waits: for the answer, on an event stream, or not at all (`Prefer: respond-async`). */
export type CallMode = 'sync' | 'stream' | 'async';

/** A call that produced a result (`isError` results included). */
export interface CallSuccess {
  result: ToolCallResult;
  durationMs: number;
  /** The result as JSON, serialized once: for its size, the activity preview and the management answer. */
  json: string;
  /** UTF-8 bytes of `json`. */
  bytes: number;
  /**
   * The answer's body as JSON text, as the call's surface answers it: the full result with `id`
   * and `durationMs` on the management API, the unwrapped result on the mcpo route.
   */
  answer: string;
}

export interface CallEnd {
  outcome: CallOutcome;
  /** The HTTP status the call's answer has (for a stream or an async call: would have had). */
  status: number;
  success?: CallSuccess;
  problem?: ProblemBody;
}

/** Log messages kept per call for late subscribers. */
const KEPT_LOGS = 50;

interface RunningCallEvents {
  /** The call waits for a person (`pending`), or the wait ended (`approved`, …). */
  approval: [Approval];
  progress: [CallProgress];
  log: [LogMessage];
  end: [CallEnd];
}

export class RunningCall extends EventEmitter<RunningCallEvents> {
  readonly startedAt = Date.now();
  private readonly startedTick = performance.now();
  endedAt: number | undefined;
  progress: CallProgress | undefined;
  readonly logs: LogMessage[] = [];
  end: CallEnd | undefined;
  /** The approval the call waited for, if the policy asked for one. */
  approval: Approval | undefined;
  private readonly controller = new AbortController();

  constructor(
    readonly id: string,
    /** The id of the HTTP request that made the call. */
    readonly requestId: string,
    readonly server: string,
    readonly tool: string,
    readonly surface: CallSurface,
    readonly mode: CallMode,
  ) {
    super();
  }

  /** Aborts when the caller goes away or the call is cancelled. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get state(): CallState {
    if (!this.end) return this.approval?.state === 'pending' ? 'waiting_for_approval' : 'running';
    switch (this.end.outcome) {
      case 'ok':
        return 'succeeded';
      case 'cancelled':
        return 'cancelled';
      case 'timeout':
        return 'timed_out';
      default:
        return 'failed';
    }
  }

  /** Milliseconds since the call reached the gateway, to 0.1 ms. */
  elapsedMs(): number {
    return Math.round((performance.now() - this.startedTick) * 10) / 10;
  }

  get finished(): boolean {
    return this.end !== undefined;
  }

  /** Cancels the call (MCP cancellation upstream); nothing happens once it has ended. */
  readonly cancel = (): void => {
    if (!this.end) this.controller.abort();
  };

  /** The call's approval was created or left `pending`. */
  reportApproval(approval: Approval): void {
    this.approval = approval;
    this.emit('approval', approval);
  }

  reportProgress(progress: CallProgress): void {
    this.progress = progress;
    this.emit('progress', progress);
  }

  reportLog(message: LogMessage): void {
    if (this.logs.length >= KEPT_LOGS) this.logs.shift();
    this.logs.push(message);
    this.emit('log', message);
  }

  finish(end: CallEnd): void {
    if (this.end) return;
    this.end = end;
    this.endedAt = Date.now();
    this.emit('end', end);
  }
}
