/**
 * The calls the gateway knows by id: every call while it runs (so that its caller can follow or
 * cancel it), and finished async calls for reading, within bounds (`gateway.asyncCalls`, read at
 * use time so that a config reload applies):
 * - all callers together: at most `maxFinished` finished calls and `maxFinishedBytes` bytes of
 *   their results, each for at most `finishedCallTtlMs`; past a bound the oldest-finished go first;
 * - one caller's share: at most `maxPerCaller` async calls running or kept, and a quarter of
 *   `maxFinishedBytes` of kept results. A new async call past the count forgets the caller's own
 *   oldest finished call; while all of its share is still running, it is refused (429
 *   `too-many-calls`). Kept results past the bytes push out the caller's own oldest.
 * A kept call holds one copy of its result (`RunningCall.keepOneCopy`). Finished sync and streamed
 * calls, and forgotten ones, live on in the activity log only.
 *
 * A call belongs to its caller (the identity's caller id): only that caller, or an `admin`, finds
 * it here; to anyone else it does not exist.
 */
import { ProblemError } from '../errors.js';
import type { GatewaySettings } from '../config/types.js';
import type { RunningCall } from './running-call.js';
import { ChurnTable } from '../churn-table.js';

/** Who looks for calls: their caller id, and whether they see every caller's calls (`admin`). */
export interface CallViewer {
  caller: string;
  seesAll: boolean;
}

/** A caller's part of the bounds: its async calls running, and its finished ones kept (oldest first). */
interface Share {
  running: number;
  kept: Map<string, Kept>;
  bytes: number;
}

interface Kept {
  call: RunningCall;
  bytes: number;
  timer: NodeJS.Timeout;
}

/** One caller's share of `maxFinishedBytes`: so that four callers must fill it before one is pushed out by another. */
const BYTES_SHARE = 4;

/** `Retry-After` of `too-many-calls`, in seconds: when one of the caller's calls may have ended. */
const RETRY_AFTER_S = 1;

export class CallRegistry {
  /** Running calls, and finished ones kept, by id (not a Map: a call comes and goes on every request, see churn-table.ts). */
  private readonly calls = new ChurnTable<RunningCall>();
  /** Finished async calls kept, oldest-finished first. */
  private readonly kept = new Map<string, Kept>();
  private keptBytes = 0;
  private readonly shares = new Map<string, Share>();
  /** Async calls counted in their caller's `running`. */
  private readonly admitted = new WeakSet<RunningCall>();

  constructor(private readonly settings: () => Pick<GatewaySettings, 'finishedCallTtlMs' | 'asyncCalls'>) {}

  add(call: RunningCall): void {
    this.calls.set(call.id, call);
  }

  /**
   * Counts an async call in its caller's share before it is accepted: forgets the caller's own
   * oldest finished calls to make room, or throws `too-many-calls` when its whole share is running.
   */
  admit(call: RunningCall): void {
    const limit = this.settings().asyncCalls.maxPerCaller;
    const share = this.shareOf(call.caller);
    if (share.running >= limit) {
      throw new ProblemError(
        'too-many-calls',
        `this caller has ${share.running} async calls running, as many as gateway.asyncCalls.maxPerCaller (${limit}) allows; ` +
          'try again when one has ended',
        { retryAfter: RETRY_AFTER_S },
      );
    }
    // Counted first: then forgetting the caller's last kept call cannot drop the share it counts in.
    share.running++;
    this.admitted.add(call);
    for (const kept of share.kept.values()) {
      if (share.running + share.kept.size <= limit) break;
      this.forget(kept);
    }
  }

  /**
   * The call has ended and was recorded: it is kept for reading (an accepted async call, within
   * the bounds) or forgotten. Returns whether it is kept; the caller then drops its extra copies.
   */
  finished(call: RunningCall): boolean {
    if (this.admitted.has(call)) {
      this.admitted.delete(call);
      this.shareOf(call.caller).running--;
    }
    const { finishedCallTtlMs: ttl, asyncCalls } = this.settings();
    if (call.mode !== 'async' || !call.isAccepted || ttl <= 0 || asyncCalls.maxFinished <= 0) {
      this.calls.delete(call.id);
      this.dropShareIfIdle(call.caller);
      return false;
    }
    const end = call.end!;
    // What the kept call holds: its result, or its error's problem document.
    const bytes = end.result ? end.result.bytes : end.error ? Buffer.byteLength(JSON.stringify(end.error.body())) : 0;
    // Unref'd: a finished call kept for reading never holds the process open.
    const kept: Kept = { call, bytes, timer: setTimeout(() => this.forget(kept), ttl).unref() };
    const share = this.shareOf(call.caller);
    this.kept.set(call.id, kept);
    share.kept.set(call.id, kept);
    this.keptBytes += bytes;
    share.bytes += bytes;

    const shareBytes = Math.floor(asyncCalls.maxFinishedBytes / BYTES_SHARE);
    for (const own of share.kept.values()) {
      if (share.bytes <= shareBytes) break;
      this.forget(own);
    }
    for (const oldest of this.kept.values()) {
      if (this.kept.size <= asyncCalls.maxFinished && this.keptBytes <= asyncCalls.maxFinishedBytes) break;
      this.forget(oldest);
    }
    return this.kept.has(call.id);
  }

  /** A call by id, if `viewer` may see it. */
  get(id: string, viewer: CallViewer): RunningCall | undefined {
    const call = this.calls.get(id);
    return call && (viewer.seesAll || call.caller === viewer.caller) ? call : undefined;
  }

  /** The calls still running that `viewer` may see, oldest first. */
  running(viewer: CallViewer): RunningCall[] {
    return this.calls.values().filter((call) => !call.finished && (viewer.seesAll || call.caller === viewer.caller));
  }

  /** Every call `viewer` may see: running, and finished ones kept for reading; oldest first. */
  all(viewer: CallViewer): RunningCall[] {
    return this.calls.values().filter((call) => viewer.seesAll || call.caller === viewer.caller);
  }

  private forget(kept: Kept): void {
    const { call } = kept;
    if (this.kept.get(call.id) !== kept) return;
    clearTimeout(kept.timer);
    this.kept.delete(call.id);
    this.calls.delete(call.id);
    this.keptBytes -= kept.bytes;
    const share = this.shareOf(call.caller);
    share.kept.delete(call.id);
    share.bytes -= kept.bytes;
    this.dropShareIfIdle(call.caller);
  }

  private shareOf(caller: string): Share {
    let share = this.shares.get(caller);
    if (!share) this.shares.set(caller, (share = { running: 0, kept: new Map(), bytes: 0 }));
    return share;
  }

  private dropShareIfIdle(caller: string): void {
    const share = this.shares.get(caller);
    if (share && share.running === 0 && share.kept.size === 0) this.shares.delete(caller);
  }
}
