/**
 * Per-server admission: at most `maxConcurrent` calls in flight and `maxQueue` waiting; beyond
 * that a call is refused at once. Limits are read per call, so a config reload applies live.
 */
import type { Cancellation } from '../upstream/types.js';

export class Overloaded extends Error {}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (error: Error) => void;
}

export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** True when `acquire` with these limits would be refused with `Overloaded`. */
  isFull(maxConcurrent: number, maxQueue: number): boolean {
    return this.active >= maxConcurrent && this.waiting.length >= maxQueue;
  }

  /**
   * The release function of a slot taken at once, or undefined when every slot is taken (then
   * `acquire` queues): a call that need not wait does not wait for a promise either.
   */
  tryAcquire(maxConcurrent: number): (() => void) | undefined {
    if (this.active >= maxConcurrent) return undefined;
    this.active++;
    return this.releaser();
  }

  /** Resolves with a release function once the call may run; rejects with `Overloaded`, or if the call is cancelled while queued. */
  acquire(maxConcurrent: number, maxQueue: number, cancellation?: Cancellation): Promise<() => void> {
    const release = this.tryAcquire(maxConcurrent);
    if (release) return Promise.resolve(release);
    if (this.waiting.length >= maxQueue) {
      return Promise.reject(new Overloaded(`${this.active} calls running and ${this.waiting.length} queued`));
    }
    if (cancellation?.isCancelled) return Promise.reject(new Error('cancelled while queued'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      this.waiting.push(waiter);
      cancellation?.onCancel(() => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) {
          this.waiting.splice(index, 1);
          reject(new Error('cancelled while queued'));
        }
      });
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.resolve(this.releaser());
      else this.active--;
    };
  }
}
