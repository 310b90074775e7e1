import { describe, expect, it } from 'vitest';
import { restartDelay } from './backoff.js';

const settings = { initialMs: 1000, maxMs: 60_000 };

describe('restartDelay', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const noJitter = () => 1;
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => restartDelay(n, settings, noJitter))).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000,
    ]);
  });

  it('jitters down by at most 20%', () => {
    expect(restartDelay(1, settings, () => 0)).toBe(800);
    expect(restartDelay(7, settings, () => 0)).toBe(48_000);
    for (let i = 0; i < 100; i++) {
      const delay = restartDelay(3, settings);
      expect(delay).toBeGreaterThanOrEqual(3200);
      expect(delay).toBeLessThanOrEqual(4000);
    }
  });
});
