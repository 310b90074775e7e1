/**
 * One tool call while it runs and, for async calls, for a while after: who made it, its state,
 * its latest progress, the log messages it saw, and how it ended. Streams (`text/event-stream`
 * callers and `GET /api/calls/{id}/events`) follow it (`follow`: one entry in a set per stream,
 * however many there are, instead of emitter listeners); `DELETE /api/calls/{id}` cancels it and
 * waits for its end (`ended`: one promise, however many wait).
 */
import type { CallProgress, LogMessage, ToolCallResult } from '../upstream/types.js';
import type { ProblemBody } from '../errors.js';
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

/** What follows a call's events (a stream): called in order, `end` last and once. */
export interface CallFollower {
  approval(approval: Approval): void;
  progress(progress: CallProgress): void;
  log(message: LogMessage): void;
  end(end: CallEnd): void;
}

export class RunningCall {
  readonly startedAt = Date.now();
  private readonly startedTick = performance.now();
  endedAt: number | undefined;
  progress: CallProgress | undefined;
  readonly logs: LogMessage[] = [];
  end: CallEnd | undefined;
  /** The approval the call waited for, if the policy asked for one. */
  approval: Approval | undefined;
  /**
   * Whether `tool` was found in its server's tool list: until then it is only the name the
   * caller asked for (which the metrics must not take as a label).
   */
  toolKnown = false;
  /** Whether the caller was told that the call runs (see `CallRequest.onAccepted`): only then is it followed by id. */
  accepted = false;
  private readonly controller = new AbortController();
  /** Made on the first `follow`: most calls have no follower. */
  private followers: Set<CallFollower> | undefined;
  /** Made on the first `ended()` before the end: most calls are not waited for that way. */
  private endWaiters: { promise: Promise<CallEnd>; resolve: (end: CallEnd) => void } | undefined;

  constructor(
    readonly id: string,
    /** The id of the HTTP request that made the call. */
    readonly requestId: string,
    readonly server: string,
    readonly tool: string,
    readonly surface: CallSurface,
    readonly mode: CallMode,
    /** Who made the call: the identity's caller id (`key:…`, `api-key`, `ui`, `anonymous`…); the call is theirs. */
    readonly caller: string,
  ) {}

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

  /**
   * Passes the call's further events to `follower` until the call ends; returns the function that
   * stops that. A call that has ended has no further events.
   */
  follow(follower: CallFollower): () => void {
    if (this.end) return () => undefined;
    const followers = (this.followers ??= new Set());
    followers.add(follower);
    return () => followers.delete(follower);
  }

  /** Resolves with how the call ended, at once if it has: the same promise for every caller. */
  ended(): Promise<CallEnd> {
    if (this.end) return Promise.resolve(this.end);
    if (!this.endWaiters) {
      let resolve!: (end: CallEnd) => void;
      const promise = new Promise<CallEnd>((done) => (resolve = done));
      this.endWaiters = { promise, resolve };
    }
    return this.endWaiters.promise;
  }

  /** The call's approval was created or left `pending`. */
  reportApproval(approval: Approval): void {
    this.approval = approval;
    if (this.followers) for (const follower of this.followers) follower.approval(approval);
  }

  reportProgress(progress: CallProgress): void {
    this.progress = progress;
    if (this.followers) for (const follower of this.followers) follower.progress(progress);
  }

  reportLog(message: LogMessage): void {
    if (this.logs.length >= KEPT_LOGS) this.logs.shift();
    this.logs.push(message);
    if (this.followers) for (const follower of this.followers) follower.log(message);
  }

  finish(end: CallEnd): void {
    if (this.end) return;
    this.end = end;
    this.endedAt = Date.now();
    const followers = this.followers;
    this.followers = undefined;
    if (followers) for (const follower of followers) follower.end(end);
    this.endWaiters?.resolve(end);
    this.endWaiters = undefined;
  }

  /**
   * Keeps one copy of the result, for a finished call kept for reading: the result itself. Its
   * serialized forms (`json`, `answer`) are dropped and rebuilt (`answerOf`) when read; a call
   * that ended with a problem keeps the problem only (it carries the text a reader gets).
   */
  keepOneCopy(answerOf: (result: ToolCallResult, durationMs: number) => string): void {
    const end = this.end;
    if (!end?.success) return;
    if (end.problem) {
      this.end = { outcome: end.outcome, status: end.status, problem: end.problem };
      return;
    }
    const { result, durationMs, bytes } = end.success;
    this.end = {
      ...end,
      success: {
        result,
        durationMs,
        bytes,
        get json() {
          return JSON.stringify(result);
        },
        get answer() {
          return answerOf(result, durationMs);
        },
      },
    };
  }
}
