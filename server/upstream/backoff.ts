/** Restart delays after failures: exponential with jitter, capped. */

export interface BackoffSettings {
  /** Delay after the first failure, in ms. */
  initialMs: number;
  /** Upper bound of any delay, in ms. */
  maxMs: number;
}

/** Failures in a row (each within `STABLE_AFTER_MS` of a start) after which a server counts as crash-looping. */
export const CRASH_LOOP_THRESHOLD = 5;

/** A server that stays ready this long is healthy again: its failure count starts from zero. */
export const STABLE_AFTER_MS = 30_000;

/**
 * The delay before restart number `failures` (1 for the first failure): `initialMs` doubling per
 * failure up to `maxMs`, then scaled by a random factor in [0.8, 1.0] so that servers that failed
 * together do not restart together. `random` is injectable for tests.
 */
export function restartDelay(failures: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(failures - 1, 30));
  const base = Math.min(settings.maxMs, settings.initialMs * 2 ** exponent);
  return Math.round(base * (0.8 + 0.2 * random()));
}
