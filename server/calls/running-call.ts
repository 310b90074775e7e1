/**
 * One tool call while it runs and, for async calls, for a while after: who made it, its state,
 * its latest progress, the log messages it saw, and how it ended (`CallEnd`: an outcome, and the
 * result or the error; each surface decides how to answer it, see http/call-answer.ts). Streams
 * (`text/event-stream` callers and `GET /api/calls/{id}/events`) follow it (`follow`: one entry
 * in a set per stream, however many there are, instead of emitter listeners); a surface waits
 * for it to be `accepted` and `done` (one promise each, made only when someone waits).
 */
import type { CallProgress, LogMessage, ToolCallResult, UpstreamTaskStatus } from '../upstream/types.js';
import type { ProblemError } from '../errors.js';
import type { ForwardedUser } from '../auth/forwarded-user.js';
import type { Approval } from '../approvals/book.js';
import type { Question } from '../questions/book.js';
import type { CallOutcome } from './outcome.js';

/** How many of a call's ended questions its activity entry keeps (the first ones). */
export const MAX_RECORDED_QUESTIONS = 50;

export type CallState = 'waiting_for_approval' | 'waiting_for_input' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';

/** Where the call came in: the mcpo-compatible route, the management API, the gateway's MCP endpoint, or an MCP App in the orchestrator (ui/apps-pages.ts). */
export type CallSurface = 'mcpo' | 'api' | 'mcp' | 'app';

/** How the caller waits: for the answer, on an event stream, or not at all (`Prefer: respond-async`). */
export type CallMode = 'sync' | 'stream' | 'async';

/** The result a call produced (`isError` results included). */
export interface CallResult {
  result: ToolCallResult;
  durationMs: number;
  /** The result as JSON, serialized once: for its size, the activity preview and the management answer. */
  json: string;
  /** UTF-8 bytes of `json`. */
  bytes: number;
}

/** How a call ended: with a result (outcome `ok`, or `tool_error` for an `isError` result), or with an error. */
export interface CallEnd {
  outcome: CallOutcome;
  result?: CallResult;
  /** Why the call produced no result (lookup, validation, policy, admission, upstream). */
  error?: ProblemError;
}

/** Log messages kept per call for late subscribers. */
const KEPT_LOGS = 50;

/** What follows a call's events (a stream): called in order, `end` last and once. */
export interface CallFollower {
  approval(approval: Approval): void;
  /** A question the server asked a person during the call was created or ended. */
  question(question: Question): void;
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
  /** The last question the server asked a person during the call (server/questions/), if any. */
  question: Question | undefined;
  /**
   * The status of the task the call runs as upstream (a tool the server runs as a task:
   * upstream/task-calls.ts), as the server last told it; undefined for other calls.
   */
  task: UpstreamTaskStatus | undefined;
  /** The questions of the call that have ended (for its activity row); made on the first. */
  endedQuestions: Question[] | undefined;
  /**
   * Whether `tool` was found in its server's tool list: until then it is only the name the
   * caller asked for (which the metrics must not take as a label).
   */
  toolKnown = false;
  /**
   * Whether the call passed lookup, validation and the policy, and now waits for a person or a
   * slot, or runs (see `accepted`): only then is its caller told about it, and may follow it by id.
   */
  isAccepted = false;
  /**
   * Made on the first `signal`: Node 20 makes an AbortSignal slowly (a few µs, a share of a call's
   * CPU), and a call that is not queued, held or asked about cancels through `onCancel` instead.
   */
  private controller: AbortController | undefined;
  /** Whether `cancel` was called before the end. */
  private cancelled = false;
  /** What `onCancel` was given, in order; made on the first (an array: a Set per call cost more). */
  private cancelListeners: (() => void)[] | undefined;
  /** Made on the first `follow`: most calls have no follower. */
  private followers: Set<CallFollower> | undefined;
  /** Made on the first `done` before the end. */
  private endWaiter: Deferred<CallEnd> | undefined;
  /** Made on the first `accepted` before the acceptance or the end: only an async or streamed call's surface waits for it. */
  private acceptWaiter: Deferred<boolean> | undefined;

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
    /** The MCP client that made it, as it names itself (`Claude Code 2.1.0`): on `/mcp` only. */
    readonly client?: string,
    /** Who the call is made for, as a key trusted to say so forwarded it (auth/forwarded-user.ts). */
    readonly user?: ForwardedUser,
  ) {}

  /** Aborts when the caller goes away or the call is cancelled (already aborted when it was). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort();
    }
    return this.controller.signal;
  }

  /** Whether the call was cancelled (see `cancel`). */
  get isCancelled(): boolean {
    return this.cancelled;
  }

  /**
   * Calls `listener` once when the call is cancelled, like an abort listener on `signal` but
   * without making the signal; returns the function that removes it. A call cancelled already
   * calls no listener: check `isCancelled` first.
   */
  onCancel(listener: () => void): () => void {
    // Made with its first listener (`[listener]` holds one element; a Set, or `[]` grown by a push, was bigger).
    const existing = this.cancelListeners;
    const listeners = existing ?? [listener];
    if (existing) existing.push(listener);
    else this.cancelListeners = listeners;
    return () => {
      const index = listeners.indexOf(listener);
      if (index !== -1) listeners.splice(index, 1);
    };
  }

  get state(): CallState {
    if (!this.end) {
      if (this.approval?.state === 'pending') return 'waiting_for_approval';
      return this.question?.state === 'pending' ? 'waiting_for_input' : 'running';
    }
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
    if (this.end || this.cancelled) return;
    this.cancelled = true;
    this.controller?.abort();
    const listeners = this.cancelListeners;
    this.cancelListeners = undefined;
    // Each is taken off before it runs: one that removes another that has not run yet (or itself) is as with a Set.
    if (listeners) while (listeners.length > 0) listeners.shift()!();
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

  /** Resolves with how the call ended (at once if it has); never rejects. */
  get done(): Promise<CallEnd> {
    if (this.end) return Promise.resolve(this.end);
    return (this.endWaiter ??= deferred<CallEnd>()).promise;
  }

  /**
   * Resolves with true once the call is accepted (it passed lookup, validation and the policy; it
   * now waits for a person or a slot, or runs), or with false when it ended before that (refused:
   * `end.error` says why). Never rejects.
   */
  get accepted(): Promise<boolean> {
    if (this.isAccepted) return Promise.resolve(true);
    if (this.end) return Promise.resolve(false);
    return (this.acceptWaiter ??= deferred<boolean>()).promise;
  }

  /** The call is accepted (see `accepted`); once. */
  accept(): void {
    if (this.isAccepted || this.end) return;
    this.isAccepted = true;
    this.acceptWaiter?.resolve(true);
    this.acceptWaiter = undefined;
  }

  /** The call's approval was created or left `pending`. */
  reportApproval(approval: Approval): void {
    this.approval = approval;
    if (this.followers) for (const follower of this.followers) follower.approval(approval);
  }

  /** A question of the call was created or ended. */
  reportQuestion(question: Question): void {
    this.question = question;
    // The activity entry keeps the first MAX_RECORDED_QUESTIONS a call's server asked (a server may ask on and on).
    if (question.state !== 'pending' && (this.endedQuestions ??= []).length < MAX_RECORDED_QUESTIONS) this.endedQuestions.push(question);
    if (this.followers) for (const follower of this.followers) follower.question(question);
  }

  /** The upstream task's status or message changed. */
  reportTask(task: UpstreamTaskStatus): void {
    this.task = task;
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
    this.cancelListeners = undefined;
    const followers = this.followers;
    this.followers = undefined;
    if (followers) for (const follower of followers) follower.end(end);
    this.acceptWaiter?.resolve(false);
    this.acceptWaiter = undefined;
    this.endWaiter?.resolve(end);
    this.endWaiter = undefined;
  }

  /**
   * Keeps one copy of the result, for a finished call kept for reading: the result itself. Its
   * serialized form (`json`) is dropped and rebuilt when read, by the getter of `KEPT_RESULT`.
   */
  keepOneCopy(): void {
    const end = this.end;
    if (!end?.result) return;
    const { result, durationMs, bytes } = end.result;
    const kept = { __proto__: KEPT_RESULT, result, durationMs, bytes } as unknown as CallResult;
    this.end = { outcome: end.outcome, result: kept };
  }
}

/**
 * The prototype of a kept call's result (`keepOneCopy`), made once: its `json` is serialized from
 * `result` when read. Not a getter in the result's literal: V8 makes a literal's accessor pair in
 * the old generation, holding the getter's closure and through it the result, as
 * `upstreamCallOptions` (call-tool.ts) explains.
 */
const KEPT_RESULT = {
  get json(): string {
    return JSON.stringify((this as unknown as CallResult).result);
  },
};

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}
