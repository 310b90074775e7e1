/**
 * The `/mcp` client's own roots, passed to the server it uses (issue 18 item 5), for a server with
 * `clientRoots: true` and no configured `roots` (those win). "Used by one client only" means: on
 * `/mcp/{server}`, exactly one open 2025-era session whose client declared `roots` and listens on
 * its GET stream (where the gateway's requests to it go; asked before, it would never hear). While there is
 * one, the server's `roots/list` is answered with that client's roots, asked from it at each request
 * (`listRoots` on its session); with none, or with several (whose roots would be mixed), the answer
 * is no roots. When that changes — the one client arrives or leaves, a second one arrives — and when
 * the one client sends `notifications/roots/list_changed`, the server is told
 * (`roots/list_changed`, `UpstreamConnection.clientRootsChanged`). Sessions on `/mcp` and on groups,
 * and 2026-07-28 clients (no sessions), do not pass their roots on.
 */
import type { Root } from '../config/types.js';
import type { ClientRoots } from '../upstream/types.js';

/** Asks a session's client for its roots. */
export type AskRoots = (signal: AbortSignal) => Promise<Root[]>;

export class ClientRootsBook {
  /** Per server: its `/mcp/{server}` sessions whose client declared roots, by session id. */
  private readonly clients = new Map<string, Map<string, AskRoots>>();

  constructor(
    /** Tells the server that its client's roots changed. */
    private readonly changed: (server: string) => void,
  ) {}

  /** A session on `/mcp/{server}` whose client declared roots listens (its GET stream is open: it can be asked). */
  opened(server: string, session: string, ask: AskRoots): void {
    let sessions = this.clients.get(server);
    if (!sessions) this.clients.set(server, (sessions = new Map()));
    sessions.set(session, ask);
    // One client now (it was none), or two (the one's roots no longer apply).
    if (sessions.size <= 2) this.changed(server);
  }

  /** That session ended. */
  closed(server: string, session: string): void {
    const sessions = this.clients.get(server);
    if (!sessions?.delete(session)) return;
    if (sessions.size === 0) this.clients.delete(server);
    // None now (there was one), or one again (its roots apply).
    if (sessions.size <= 1) this.changed(server);
  }

  /** The session's client said its roots changed: passed on when it is the server's one client. */
  listChanged(server: string, session: string): void {
    const sessions = this.clients.get(server);
    if (sessions?.size === 1 && sessions.has(session)) this.changed(server);
  }

  /** The roots of the server's one client, while it has exactly one. */
  rootsOf(server: string): ClientRoots | undefined {
    const sessions = this.clients.get(server);
    if (sessions?.size !== 1) return undefined;
    const [ask] = sessions.values();
    return ask;
  }
}

/** A client's `roots/list` answer as the gateway's roots (`uri`, and `name` when it gave one). */
export function rootsOfAnswer(answer: { roots: { uri: string; name?: string }[] }): Root[] {
  return answer.roots.map((root) => ({ uri: root.uri, ...(root.name !== undefined && { name: root.name }) }));
}
