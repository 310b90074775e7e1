/**
 * The calls the gateway knows by id: every call while it runs (so any of them can be looked up
 * or cancelled), and async calls for `finishedCallTtlMs` after they end. Finished sync and
 * streamed calls live on in the activity log only.
 */
import type { RunningCall } from './running-call.js';

export class CallRegistry {
  private readonly calls = new Map<string, RunningCall>();

  constructor(private readonly finishedTtlMs: () => number) {}

  add(call: RunningCall): void {
    this.calls.set(call.id, call);
    call.once('end', () => {
      const ttl = call.mode === 'async' ? this.finishedTtlMs() : 0;
      if (ttl <= 0) {
        this.calls.delete(call.id);
        return;
      }
      // Unref'd: a finished call kept for reading never holds the process open.
      setTimeout(() => this.calls.delete(call.id), ttl).unref();
    });
  }

  get(id: string): RunningCall | undefined {
    return this.calls.get(id);
  }

  /** Calls still running, oldest first. */
  running(): RunningCall[] {
    return [...this.calls.values()].filter((call) => !call.finished);
  }
}
