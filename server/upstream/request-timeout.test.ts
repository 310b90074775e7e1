import { afterEach, describe, expect, it, vi } from 'vitest';
import { DirectCalls } from './direct-calls.js';
import { directCallHold } from './request-timeout.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('holding a call’s timeout while people answer its questions', () => {
  it('stops the timer with the first question and starts it again only when the last one is answered', async () => {
    vi.useFakeTimers();
    const direct = new DirectCalls(
      async () => undefined,
      () => undefined,
    );
    const hold = directCallHold(direct, direct.nextCallId());
    const outcome = direct.call('slow', {}, { timeoutMs: 1000, maxTotalTimeoutMs: 60_000 }).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    expect(hold.pause()).toBe(true);
    expect(hold.pause()).toBe(true); // a second question of the same call
    await vi.advanceTimersByTimeAsync(5000);
    hold.resume(); // one answered, one still open
    await vi.advanceTimersByTimeAsync(5000);
    expect(direct.size).toBe(1);
    hold.resume(); // the last one answered: the full timeout again
    await vi.advanceTimersByTimeAsync(999);
    expect(direct.size).toBe(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(await outcome).toMatch(/timed out/i);
    expect(hold.pause()).toBe(false); // the call has ended
  });
});
