/**
 * Failed authentication attempts (a wrong key, a wrong sign-in, a wrong pairing code), counted
 * per client address and per presented credential: after `max` failures within `windowMs`, a
 * credential that does not verify is refused (429) until the window ends — whether it comes from
 * that address or is that same wrong credential from anywhere. Shared by every way in, so that
 * one cannot be used to guess what another would refuse.
 *
 * A credential that verifies is never refused: callers check it first and ask the limiter only
 * about one that failed. So eleven bad keys from 127.0.0.1 do not lock out the right key, nor the
 * other users of a reverse proxy on the same machine (`tailscale serve`), who all share its address.
 * The trade-off: the limit slows guessing (a locked address gets 429 for every wrong key), but a
 * right guess still passes, so a key must be too long to guess in the first place. Keys the
 * gateway makes are (`mgw_` + 43 characters); the start-up key is refused at start when it is
 * shorter than 16 characters or holds whitespace (main.ts).
 * Credentials are kept only as SHA-256 digests.
 */
import { createHash } from 'node:crypto';

/** The most entries kept; beyond it, expired ones are dropped (and if that is not enough, all). */
const MAX_ENTRIES = 10_000;

export class FailureLimiter {
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(
    /** Failures allowed per address, and per credential, within the window. Default 10. */
    private readonly max = 10,
    /** The window, in ms, from the first failure. Default 600000 (10 min). */
    private readonly windowMs = 10 * 60_000,
  ) {}

  /**
   * Seconds until a credential that failed to verify (`credential`, from `address`) may be tried
   * again, or 0 when it may now.
   */
  retryAfter(address: string, credential: string, now = Date.now()): number {
    return Math.max(this.wait(addressKey(address), now), this.wait(credentialKey(credential), now));
  }

  /** Counts a failure of `credential` from `address`. */
  fail(address: string, credential: string, now = Date.now()): void {
    this.count(addressKey(address), now);
    this.count(credentialKey(credential), now);
    // A flood from many addresses must not grow the map without end.
    if (this.failures.size > MAX_ENTRIES) this.prune(now);
  }

  private wait(key: string, now: number): number {
    const entry = this.failures.get(key);
    if (!entry) return 0;
    if (entry.until <= now) {
      this.failures.delete(key);
      return 0;
    }
    return entry.count >= this.max ? Math.ceil((entry.until - now) / 1000) : 0;
  }

  private count(key: string, now: number): void {
    const entry = this.failures.get(key);
    if (entry && entry.until > now) entry.count++;
    else this.failures.set(key, { count: 1, until: now + this.windowMs });
  }

  private prune(now: number): void {
    for (const [key, entry] of this.failures) if (entry.until <= now) this.failures.delete(key);
    if (this.failures.size > MAX_ENTRIES) this.failures.clear();
  }
}

const addressKey = (address: string) => `address ${address}`;
const credentialKey = (credential: string) => `credential ${createHash('sha256').update(credential, 'utf8').digest('base64url')}`;
