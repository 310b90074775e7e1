/**
 * Calls a 2026-07-28 client left while they wait for a person: the gateway answered their first
 * `tools/call` with an `input_required` result (a URL elicitation of the approval card) and the
 * client will send the call again, with the `requestState` that names it, to get the result. The
 * call runs on meanwhile (a person may approve it), so it is kept here for that retry: taken by the
 * same identity once, for the same server, tool and arguments (a retry of another one is refused,
 * -32602: the call's approval, and the relay of its rounds, are of its own tool and arguments), or
 * dropped after `ttlMs` (its end, if it ended, goes with it). At most
 * `MAX_PARKED` are kept; past that the oldest goes first (and is cancelled if it still runs).
 */
import { ProtocolError } from '@modelcontextprotocol/server';
import type { RunningCall } from '../calls/running-call.js';
import { argsDigest, type RelayTarget } from './input-relay.js';
import { INVALID_PARAMS } from './upstream-requests.js';

const MAX_PARKED = 1000;

/** A parked call, with what it was made for: its server, method and tool, and arguments. */
export interface Parked {
  call: RunningCall;
  owner: string;
  target: RelayTarget;
  args: Record<string, unknown> | undefined;
  /** `argsDigest(args)`. */
  digest: string;
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

  put(call: RunningCall, owner: string, target: RelayTarget, args: Record<string, unknown> | undefined): void {
    this.sweep();
    if (this.parked.size >= MAX_PARKED) {
      const [oldest] = this.parked.keys();
      this.drop(oldest!);
    }
    this.parked.set(call.id, { call, owner, target, args, digest: argsDigest(args), until: this.now() + this.ttlMs() });
  }

  /**
   * The parked call `id` of `owner`, taken out; undefined when there is none (or it is someone
   * else's). A retry of another server, tool or arguments is refused (-32602), the call left parked.
   */
  take(id: string, owner: string, target: RelayTarget, args: Record<string, unknown> | undefined): Parked | undefined {
    this.sweep();
    const found = this.parked.get(id);
    if (!found || found.owner !== owner) return undefined;
    if (found.target.server !== target.server || found.target.target !== target.target || found.digest !== argsDigest(args))
      throw new ProtocolError(INVALID_PARAMS, 'requestState does not belong to this request (another tool or arguments)');
    this.parked.delete(id);
    return found;
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
