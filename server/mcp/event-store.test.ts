import { describe, expect, it, vi } from 'vitest';
import { EVENT_LIMITS, EventBudget, PRIMING, SessionEvents } from './event-store.js';

describe('SessionEvents', () => {
  it('replays the events of the same stream after an id, without priming events', async () => {
    const events = new SessionEvents();
    const primed = events.add('a', PRIMING);
    const one = events.add('a', '{"n":1}');
    events.add('b', '{"n":"other stream"}');
    events.add('a', '{"n":2}');
    expect(events.after(primed)?.map((event) => event.json)).toEqual(['{"n":1}', '{"n":2}']);
    expect(events.after(one)?.map((event) => event.json)).toEqual(['{"n":2}']);
    const sent: unknown[] = [];
    expect(await events.replayEventsAfter(one, { send: async (_id, message) => void sent.push(message) })).toBe('a');
    expect(sent).toEqual([{ n: 2 }]);
    expect(await events.getStreamIdForEventId('a.999')).toBeUndefined();
    await expect(events.replayEventsAfter('nope', { send: async () => undefined })).rejects.toThrow();
  });

  it('stays within its caps under a flood: the oldest go first, and a dropped id resumes nothing', () => {
    const events = new SessionEvents();
    const first = events.add('s', PRIMING);
    const message = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } });
    for (let index = 0; index < 50_000; index++) events.add('s', message);
    expect(events.size).toBeLessThanOrEqual(EVENT_LIMITS.maxEvents);
    expect(events.keptChars).toBeLessThanOrEqual(EVENT_LIMITS.maxChars);
    expect(events.after(first)).toBeUndefined();

    const big = new SessionEvents({ limits: { maxEvents: 1000, maxChars: 100, keepMs: 60_000 } });
    for (let index = 0; index < 10; index++) big.add('s', 'x'.repeat(30));
    expect(big.keptChars).toBeLessThanOrEqual(100);
    big.add('t', 'z'.repeat(30));
    // An event past the cap alone is not kept, nor its stream's earlier events (a resume would skip it); other streams stay.
    const skipped = big.add('s', 'y'.repeat(500));
    expect(big.streamOf(skipped)).toBeUndefined();
    expect(big.size).toBe(1);
    expect(big.keptChars).toBe(30);
    // The stream's later events are kept again.
    const later = big.add('s', '{"n":1}');
    expect(big.streamOf(later)).toBe('s');
  });

  it('forgets events past their time, and everything when cleared', () => {
    let now = 0;
    const events = new SessionEvents({ limits: { maxEvents: 10, maxChars: 1000, keepMs: 1000 }, now: () => now });
    const old = events.add('s', '{}');
    now = 600;
    const recent = events.add('s', '{"n":1}');
    now = 1200;
    expect(events.streamOf(old)).toBeUndefined();
    expect(events.streamOf(recent)).toBe('s');
    now = 1700;
    expect(events.streamOf(recent)).toBeUndefined();
    expect(events.size).toBe(0);
    events.add('s', '{}');
    events.clear();
    expect(events.size).toBe(0);
    expect(events.keptChars).toBe(0);
    // A session that ended keeps nothing more.
    events.add('s', '{"late":true}');
    expect(events.size).toBe(0);
  });

  it('keeps all sessions within the budget together: the oldest events of all go first', () => {
    let now = 0;
    const budget = new EventBudget(1000);
    const clock = () => ++now;
    const quiet = new SessionEvents({ budget, now: clock });
    const early = quiet.add('q', 'q'.repeat(100));
    const latest = quiet.add('q', 'q'.repeat(100));
    const flood = new SessionEvents({ budget, now: clock });
    for (let index = 0; index < 10_000; index++) flood.add('f', 'f'.repeat(100));
    expect(budget.keptChars).toBeLessThanOrEqual(1000);
    expect(budget.keptChars).toBe(quiet.keptChars + flood.keptChars);
    expect(quiet.streamOf(early)).toBeUndefined();
    expect(quiet.streamOf(latest)).toBeUndefined();
    flood.clear();
    quiet.clear();
    expect(budget.keptChars).toBe(0);
  });

  it("drops an idle session's events past their time on the budget's sweep", () => {
    let now = 0;
    const budget = new EventBudget();
    const idle = new SessionEvents({ budget, limits: { maxEvents: 10, maxChars: 1000, keepMs: 1000 }, now: () => now });
    idle.add('s', '{"n":1}');
    now = 2000;
    budget.sweep();
    expect(idle.size).toBe(0);
    expect(budget.keptChars).toBe(0);
    idle.clear();
  });

  it("holds the budget when each session's only event is large: the newest go too", () => {
    const budget = new EventBudget(1_000_000);
    const sessions = Array.from(
      { length: 50 },
      () => new SessionEvents({ budget, limits: { maxEvents: 1000, maxChars: 1_000_000, keepMs: 300_000 } }),
    );
    for (const session of sessions) session.add('s', 'r'.repeat(600_000));
    expect(budget.keptChars).toBeLessThanOrEqual(1_000_000);
    expect(sessions.reduce((total, session) => total + session.keptChars, 0)).toBe(budget.keptChars);
    // The newest is kept.
    expect(sessions.at(-1)!.size).toBe(1);
    for (const session of sessions) session.clear();
    expect(budget.keptChars).toBe(0);
    // With the default caps per session, such an event is not kept at all.
    const defaults = Array.from({ length: 50 }, () => new SessionEvents({ budget }));
    for (const session of defaults) session.add('s', 'r'.repeat(600_000));
    expect(budget.keptChars).toBe(0);
    for (const session of defaults) session.clear();
  });

  it('joins the budget only once a store keeps an event; closing the budget stops its sweeper', () => {
    vi.useFakeTimers();
    try {
      const budget = new EventBudget();
      const unused = new SessionEvents({ budget });
      unused.clear();
      expect(budget.storeCount).toBe(0);
      expect(budget.sweeping).toBe(false);
      const used = new SessionEvents({ budget });
      used.add('s', '{}');
      expect(budget.storeCount).toBe(1);
      expect(budget.sweeping).toBe(true);
      budget.close();
      expect(budget.storeCount).toBe(0);
      expect(budget.sweeping).toBe(false);
      expect(budget.keptChars).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops for the budget in the order kept across sessions, past events the sessions dropped themselves', () => {
    const budget = new EventBudget(300);
    const limits = { maxEvents: 1000, maxChars: 200, keepMs: 60_000 };
    const a = new SessionEvents({ budget, limits });
    const b = new SessionEvents({ budget, limits });
    const a1 = a.add('x', 'a'.repeat(100));
    const b1 = b.add('y', 'b'.repeat(100));
    const a2 = a.add('z', 'a'.repeat(100));
    a.add('x', 'a'.repeat(500)); // past a's cap: not kept, and a1 (same stream) goes
    expect(a.streamOf(a1)).toBeUndefined();
    const b2 = b.add('y', 'b'.repeat(100));
    expect(budget.keptChars).toBe(300);
    const b3 = b.add('w', 'b'.repeat(100));
    expect(b.streamOf(b1)).toBeUndefined();
    expect([a.streamOf(a2), b.streamOf(b2), b.streamOf(b3)]).toEqual(['z', 'y', 'w']);
    expect(budget.keptChars).toBe(300);
    // Many sessions' worth of dropped events are compacted away and the count stays true.
    for (let index = 0; index < 5000; index++) a.add('f', 'f'.repeat(50));
    expect(budget.keptChars).toBe(a.keptChars + b.keptChars);
    expect(budget.keptChars).toBeLessThanOrEqual(300);
    a.clear();
    b.clear();
    expect(budget.keptChars).toBe(0);
    expect(budget.storeCount).toBe(0);
  });
});
