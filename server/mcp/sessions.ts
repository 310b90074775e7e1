/**
 * The MCP sessions of 2025-era clients (`initialize`, `Mcp-Session-Id`): a bounded table.
 * Open WebUI opens a session per chat request and many clients never end theirs, so a session
 * ends when it has been idle for `gateway.mcp.sessionIdleMs`, and when a new one would pass
 * `gateway.mcp.maxSessions` the session idle the longest is ended to make room (one with a
 * request under way is never chosen; when every one is busy the new session is refused).
 * A session belongs to the identity that opened it, on the endpoint it opened: another
 * identity, or another endpoint, does not find it.
 *
 * This table holds plain records; what a session is (an SDK transport and server) is the
 * endpoint's business (endpoint.ts): `close` ends one.
 */

export interface SessionRecord {
  id: string;
  /** The identity (caller id) that opened it. */
  owner: string;
  /** The endpoint it belongs to (`''` for `/mcp`, else the server's or group's name). */
  endpoint: string;
  /** Requests under way in it (its GET stream counts while open). */
  busy: number;
  lastSeen: number;
  /** Ends the session (closes its transport); the record is removed first. */
  close(): Promise<void>;
}

export interface SessionLimits {
  /** Most sessions at once. */
  maxSessions: () => number;
  /** Idle time after which a session ends, in ms. */
  idleMs: () => number;
}

export class McpSessions<Session extends SessionRecord = SessionRecord> {
  private readonly sessions = new Map<string, Session>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: SessionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** The session `id` of `owner` on `endpoint`, or undefined. */
  find(id: string, owner: string, endpoint: string): Session | undefined {
    const session = this.sessions.get(id);
    return session && session.owner === owner && session.endpoint === endpoint ? session : undefined;
  }

  /**
   * Whether a new session may open: when the table is full, the session idle the longest is
   * ended first; false when every session is busy.
   */
  makeRoom(): boolean {
    if (this.sessions.size < this.limits.maxSessions()) return true;
    let oldest: Session | undefined;
    for (const session of this.sessions.values()) {
      if (session.busy === 0 && (!oldest || session.lastSeen < oldest.lastSeen)) oldest = session;
    }
    if (!oldest) return false;
    void this.end(oldest.id);
    return true;
  }

  add(session: Session): void {
    this.sessions.set(session.id, session);
    this.sweeper ??= setInterval(() => this.sweep(), Math.max(1000, Math.min(60_000, this.limits.idleMs() / 4))).unref();
  }

  /** A request of the session begins; call the function returned when it ends. */
  enter(session: SessionRecord): () => void {
    session.busy++;
    session.lastSeen = this.now();
    let left = false;
    return () => {
      if (left) return;
      left = true;
      session.busy--;
      session.lastSeen = this.now();
    };
  }

  /** The session `id`, whoever owns it. */
  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** Forgets a session that ended on its own (the client's DELETE, its transport closed). */
  forget(id: string): void {
    this.sessions.delete(id);
    if (this.sessions.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Ends a session. */
  async end(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.forget(id);
    await session.close().catch(() => undefined);
  }

  /** Ends every session of an endpoint (`undefined`: every session). */
  async endAll(endpoint?: string): Promise<void> {
    const ids = [...this.sessions.values()].filter((s) => endpoint === undefined || s.endpoint === endpoint).map((s) => s.id);
    await Promise.all(ids.map((id) => this.end(id)));
  }

  /** Every session of the endpoints `affects` picks. */
  *matching(affects: (endpoint: string) => boolean): Iterable<Session> {
    for (const session of this.sessions.values()) if (affects(session.endpoint)) yield session;
  }

  /** Ends the sessions idle past the limit. */
  sweep(): void {
    const limit = this.now() - this.limits.idleMs();
    for (const session of [...this.sessions.values()]) {
      if (session.busy === 0 && session.lastSeen <= limit) void this.end(session.id);
    }
  }
}
