/**
 * Calls a 2026-07-28 client left while they wait for a person: the gateway answered their first
 * `tools/call` with an `input_required` result (a URL elicitation of the approval card) and the
 * client will send the call again, with the `requestState` that names it, to get the result. The
 * call runs on meanwhile (a person may approve it), so it is kept here for that retry: taken by the
 * same identity once, or dropped after `ttlMs` (its end, if it ended, goes with it). At most
 * `MAX_PARKED` are kept; past that the oldest goes first (and is cancelled if it still runs).
 */
import type { RunningCall } from '../calls/running-call.js';

const MAX_PARKED = 1000;

interface Parked {
  call: RunningCall;
  owner: string;
  until: number;
}

export class ParkedCalls {
  private readonly parked = new Map<string, Parked>();

  constructor(
    private readonly ttlMs: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.parked.size;
  }

  put(call: RunningCall, owner: string): void {
    this.sweep();
    if (this.parked.size >= MAX_PARKED) {
      const [oldest] = this.parked.keys();
      this.drop(oldest!);
    }
    this.parked.set(call.id, { call, owner, until: this.now() + this.ttlMs() });
  }

  /** The parked call `id` of `owner`, taken out; undefined when there is none (or it is someone else's). */
  take(id: string, owner: string): RunningCall | undefined {
    this.sweep();
    const found = this.parked.get(id);
    if (!found || found.owner !== owner) return undefined;
    this.parked.delete(id);
    return found.call;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, parked] of this.parked) if (parked.until <= now) this.drop(id);
  }

  private drop(id: string): void {
    const parked = this.parked.get(id);
    this.parked.delete(id);
    // Nobody will come for its result: a call still waiting or running is cancelled.
    if (parked && !parked.call.end) parked.call.cancel();
  }
}
