/**
 * The calls the gateway knows by id: every call while it runs (so any of them can be looked up
 * or cancelled), and async calls for `finishedCallTtlMs` after they end. Finished sync and
 * streamed calls live on in the activity log only.
 */
import type { RunningCall } from './running-call.js';

export class CallRegistry {
  private readonly calls = new Map<string, RunningCall>();
  private readonly expiries = new Set<NodeJS.Timeout>();

  constructor(private readonly finishedTtlMs: () => number) {}

  add(call: RunningCall): void {
    this.calls.set(call.id, call);
    call.once('end', () => {
      const ttl = call.mode === 'async' ? this.finishedTtlMs() : 0;
      if (ttl <= 0) {
        this.calls.delete(call.id);
        return;
      }
      const timer = setTimeout(() => {
        this.expiries.delete(timer);
        this.calls.delete(call.id);
      }, ttl);
      timer.unref();
      this.expiries.add(timer);
    });
  }

  get(id: string): RunningCall | undefined {
    return this.calls.get(id);
  }

  /** Calls still running, oldest first. */
  running(): RunningCall[] {
    return [...this.calls.values()].filter((call) => !call.finished);
  }

  /** Cancels every running call (gateway shutdown) and forgets finished ones. */
  close(): void {
    for (const timer of this.expiries) clearTimeout(timer);
    this.expiries.clear();
    for (const call of this.calls.values()) call.cancel();
  }
}
