// The admission queue of a server's calls: a call cancelled before it would queue does not take a place.
import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter } from './limiter.js';

describe('ConcurrencyLimiter', () => {
  it('refuses at once a call already cancelled when it would queue, and keeps its place free', async () => {
    const limiter = new ConcurrencyLimiter();
    const release = await limiter.acquire(1, 4);
    const cancelled = { isCancelled: true, onCancel: () => () => {} };
    await expect(limiter.acquire(1, 4, cancelled)).rejects.toThrow('cancelled while queued');
    expect(limiter.queued).toBe(0);
    release();
    expect(limiter.inFlight).toBe(0);
  });

  it('hands a free slot over at once (tryAcquire), and none when all are taken: the call then queues and gets the next one', async () => {
    const limiter = new ConcurrencyLimiter();
    const first = limiter.tryAcquire(1)!;
    expect(limiter.inFlight).toBe(1);
    expect(limiter.tryAcquire(1)).toBeUndefined();
    const queued = limiter.acquire(1, 4);
    expect(limiter.queued).toBe(1);
    first();
    first(); // a second release changes nothing
    const second = await queued;
    expect(limiter.inFlight).toBe(1);
    second();
    expect(limiter.inFlight).toBe(0);
    expect(limiter.tryAcquire(2)).toBeTypeOf('function');
  });
});
