/**
 * Failed authentication attempts per client address (a wrong key, a wrong sign-in, a wrong
 * pairing code): after `max` failures within `windowMs` the address is refused until the window
 * ends. Shared by every way in, so that one cannot be used to guess what another would refuse.
 *
 * The address is the TCP peer's. Behind a reverse proxy on the same machine (`tailscale serve`)
 * every client shares the proxy's address: they are then limited together.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(
    /** Failures allowed per address within the window. Default 10. */
    private readonly max = 10,
    /** The window, in ms, from the first failure. Default 600000 (10 min). */
    private readonly windowMs = 10 * 60_000,
  ) {}

  /** Seconds until `address` may try again, or 0 when it may now. */
  retryAfter(address: string, now = Date.now()): number {
    const entry = this.failures.get(address);
    if (!entry) return 0;
    if (entry.until <= now) {
      this.failures.delete(address);
      return 0;
    }
    return entry.count >= this.max ? Math.ceil((entry.until - now) / 1000) : 0;
  }

  fail(address: string, now = Date.now()): void {
    const entry = this.failures.get(address);
    if (entry && entry.until > now) entry.count++;
    else this.failures.set(address, { count: 1, until: now + this.windowMs });
    // A flood from many addresses must not grow the map without end.
    if (this.failures.size > 10_000) this.prune(now);
  }

  succeed(address: string): void {
    this.failures.delete(address);
  }

  private prune(now: number): void {
    for (const [address, entry] of this.failures) if (entry.until <= now) this.failures.delete(address);
    if (this.failures.size > 10_000) this.failures.clear();
  }
}
