// The log line's `time` field: formatted once per second, it must stay what pino's own isoTime writes.
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoTime } from './logger.js';

describe('isoTime', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("writes what pino's isoTime writes, across milliseconds, seconds, days and years", () => {
    const instants = [
      Date.UTC(2026, 0, 2, 3, 4, 5, 0),
      Date.UTC(2026, 0, 2, 3, 4, 5, 7),
      Date.UTC(2026, 0, 2, 3, 4, 5, 42),
      Date.UTC(2026, 0, 2, 3, 4, 5, 999),
      Date.UTC(2026, 0, 2, 3, 4, 6, 0),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1, 0, 0, 0, 1),
      // back in time (the clock was set back): the cached second must not be reused
      Date.UTC(2026, 0, 2, 3, 4, 5, 300),
      0,
    ];
    const now = vi.spyOn(Date, 'now');
    for (const instant of instants) {
      now.mockReturnValue(instant);
      expect(isoTime()).toBe(pino.stdTimeFunctions.isoTime());
    }
  });
});
