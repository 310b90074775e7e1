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
 *
 * A server holds one set of roots for everyone who uses it (server-filesystem makes them its allowed
 * folders), so while they are a client's, only that client's identity may call the server's tools
 * (call-tool.ts refuses others with `roots-of-another-client`): another key must not work in them.
 */
import type { Root } from '../config/types.js';
import type { ClientRoots, ClientRootsState } from '../upstream/types.js';

/** A session's client that declared roots: who it is, and how to ask it for them. */
interface RootsClient extends ClientRoots {
  /** The GET stream that made it one (a refused second GET of the session must not end it). */
  stream: object;
}

export class ClientRootsBook {
  /** Per server: its `/mcp/{server}` sessions whose client declared roots, by session id. */
  private readonly clients = new Map<string, Map<string, RootsClient>>();

  constructor(
    /** Tells the server that its client's roots changed. */
    private readonly changed: (server: string) => void,
  ) {}

  /** A session on `/mcp/{server}` whose client declared roots listens on `stream` (its GET stream is open: it can be asked). */
  opened(server: string, session: string, client: RootsClient): void {
    let sessions = this.clients.get(server);
    if (!sessions) this.clients.set(server, (sessions = new Map()));
    sessions.set(session, client);
    // One client now (it was none), or two (the one's roots no longer apply).
    if (sessions.size <= 2) this.changed(server);
  }

  /**
   * That session ended, or its GET stream `stream` did (another stream of the session, e.g. a second
   * GET the SDK refuses, changes nothing).
   */
  closed(server: string, session: string, stream?: object): void {
    const sessions = this.clients.get(server);
    const client = sessions?.get(session);
    if (!sessions || !client || (stream !== undefined && client.stream !== stream)) return;
    sessions.delete(session);
    if (sessions.size === 0) this.clients.delete(server);
    // None now (there was one), or one again (its roots apply).
    if (sessions.size <= 1) this.changed(server);
  }

  /** The session's client said its roots changed: passed on when it is the server's one client. */
  listChanged(server: string, session: string): void {
    const sessions = this.clients.get(server);
    if (sessions?.size === 1 && sessions.has(session)) this.changed(server);
  }

  /** The server's clients that declared roots: their identities, and the one whose roots apply while there is exactly one. */
  rootsOf(server: string): ClientRootsState | undefined {
    const sessions = this.clients.get(server);
    if (!sessions) return undefined;
    const clients = [...sessions.values()];
    const owners = clients.map((client) => client.owner);
    if (clients.length !== 1) return { owners };
    const [{ owner, list }] = clients as [RootsClient];
    return { owners, one: { owner, list } };
  }
}

/** A client's `roots/list` answer as the gateway's roots (`uri`, and `name` when it gave one). */
export function rootsOfAnswer(answer: { roots: { uri: string; name?: string }[] }): Root[] {
  return answer.roots.map((root) => ({ uri: root.uri, ...(root.name !== undefined && { name: root.name }) }));
}
