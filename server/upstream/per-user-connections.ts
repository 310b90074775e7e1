/**
 * The users' own connections to one `perUserAuth` server (issue 19 item 5): each user of the
 * orchestrator (Open WebUI's user id, trusted from a key with `trustForwardedUser`) signs in to the
 * server once with their own account, and that user's calls go with their own tokens — never with
 * another user's, and never with a shared one.
 *
 * - **Storage.** Each user's OAuth record is kept by the store under (server, user id)
 *   (`OAuthStore.loadFor`…: encrypted like the shared ones, state/oauth-records.ts); the user's
 *   `OAuthClient` (one per user, `clientOf`) sees it through `userOAuthStore`, so it is the OAuth
 *   client of any server. Every connection made with a user's tokens shares that client, so that
 *   they are refreshed once (a rotated refresh token works once).
 * - **Connections.** One `UpstreamConnection` per (server, user), opened on demand (a call, a
 *   sign-in), closed after `gateway.userConnectionIdleMs` without a call; at most
 *   `gateway.maxUserConnections` at once (a new one closes the least recently used idle one).
 * - **The server's own connection** (the supervisor's) lists the tools, resources and prompts with
 *   any connected user's tokens (`listingClient`: the first user in order, kept while they stay
 *   connected), so the server is `ready` once one user has connected. It never serves a request for
 *   a caller (connection.ts `perUserListing`).
 * - **Connecting.** The operator makes a connect link for a user (`createLink`: random, kept only as
 *   its SHA-256, valid `CONNECT_LINK_TTL_MS`) and hands it to them; opening it shows a page asking
 *   the user to confirm, and only confirming starts the user's sign-in in their browser
 *   (server/ui/oauth-pages.ts), so a link preview or prefetch starts nothing. The first browser to
 *   confirm holds the link (`claimLink`); another is refused. The sign-in's callback (or finding
 *   the user still connected) spends every link of that user, and so does disconnecting them.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ForwardedUser } from '../auth/forwarded-user.js';
import type { GatewaySettings, RemoteServerConfig, ServerConfig } from '../config/types.js';
import { ProblemError } from '../errors.js';
import type { UpstreamConnection } from './connection.js';
import { MemoryOAuthStore, userOAuthStore, type OAuthStore } from './oauth-store.js';
import { OAuthClient, SIGN_IN_TTL_MS } from './oauth-client.js';
import type { ServerState } from './types.js';

/** How long a connect link can be used to sign in: 1 hour. */
export const CONNECT_LINK_TTL_MS = 60 * 60_000;

/** One user's connection to the server, as the management API shows it (never a token). */
export interface UserOAuthView {
  user: string;
  connected: boolean;
  /** Epoch ms, when the server said when the access token expires. */
  expiresAt?: number;
  /** Epoch ms: when the tokens held were obtained (the user's sign-in, a refresh). */
  obtainedAt?: number;
  /** Epoch ms: when the user's sign-in last finished (never moved by a refresh). */
  signedInAt?: number;
  scopes: string[];
  /** Who the user signed in as upstream (the `id_token`'s `email`, else `sub`), when the token response said. */
  account?: string;
}

interface Pooled {
  connection: UpstreamConnection;
  /** Epoch ms of the last use; a sign-in under way counts as a use until it expires. */
  lastUsed: number;
  /** Calls running on it now (never closed meanwhile). */
  busy: number;
}

/** The user id a call is made for, if its key is trusted to say so (`ForwardedUser.id`). */
export function userKeyOf(user: ForwardedUser | undefined): string | undefined {
  return user?.id;
}

export class PerUserConnections {
  private readonly pool = new Map<string, Pooled>();
  /** Connect links by the SHA-256 (hex) of their token. */
  private readonly links = new Map<string, { user: string; expiresAt: number; browser?: string }>();
  private sweeper?: NodeJS.Timeout;
  /** The user whose tokens the server's own connection lists with (see `listingClient`). */
  private lister?: string;
  /** Users whose disconnection is under way (`signOut`): no longer connected for a call. */
  private readonly disconnecting = new Set<string>();
  /** Each user's OAuth client (see `clientOf`). */
  private readonly clients = new Map<string, OAuthClient>();
  /** The OAuth client of the server's own connection while no user is connected: it holds nothing. */
  private nobody?: OAuthClient;

  constructor(
    private readonly server: string,
    private readonly store: OAuthStore,
    /** The server's config now. */
    private readonly config: () => RemoteServerConfig,
    /** A new connection of `user` (enabled or not), whose `sharedOAuth` is `clientOf(user)`. */
    private readonly make: (user: string, enabled: boolean) => UpstreamConnection,
    private readonly settings: () => Pick<GatewaySettings, 'userConnectionIdleMs' | 'maxUserConnections'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether `user` holds tokens for the server (and is not being disconnected). */
  connected(user: string): boolean {
    return !this.disconnecting.has(user) && this.store.loadFor(this.server, user)?.tokens !== undefined;
  }

  /** Every user with a record, and whether they are connected (as `OAuthClient.view()` shows the server's own). */
  users(): UserOAuthView[] {
    return this.store.usersOf(this.server).map((user) => {
      const record = this.store.loadFor(this.server, user);
      const tokens = record?.tokens;
      const account = accountOf(tokens?.id_token);
      return {
        user,
        connected: tokens !== undefined,
        ...(record?.expiresAt !== undefined && { expiresAt: record.expiresAt }),
        ...(tokens && record?.obtainedAt !== undefined && { obtainedAt: record.obtainedAt }),
        ...(tokens && record?.signedInAt !== undefined && { signedInAt: record.signedInAt }),
        scopes: tokens?.scope?.split(' ').filter(Boolean) ?? [],
        ...(account !== undefined && { account }),
      };
    });
  }

  /**
   * The connection of the user a call is made for, ready: the catalog's 403 `connect-first` when
   * the call carries no trusted user or the user has not connected (or has lost their sign-in),
   * 503 `server-unavailable` when their connection does not come up within `timeoutMs`.
   * `release` ends the call's use of it.
   */
  async forCall(user: ForwardedUser | undefined, timeoutMs: number): Promise<{ connection: UpstreamConnection; release: () => void }> {
    const key = this.check(user);
    const pooled = this.open(key);
    pooled.busy++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      pooled.busy--;
      pooled.lastUsed = this.now();
    };
    try {
      // Waiting for a sign-in, yet the user holds tokens (another connection of theirs refreshed them meanwhile): try again.
      if (pooled.connection.currentState === 'needs-sign-in') await pooled.connection.restart();
      const state = await whenSettled(pooled.connection, timeoutMs);
      if (state === 'needs-sign-in') throw connectFirst(this.server, key);
      if (state !== 'ready') {
        const why = pooled.connection.lastErrorMessage;
        throw new ProblemError('server-unavailable', `server "${this.server}" is ${state} for user "${key}"${why ? `: ${why}` : ''}`, {
          state,
          retryAfter: 2,
        });
      }
      return { connection: pooled.connection, release };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** The id of the user a call is made for, when they have connected; else the catalog's 403 `connect-first`. */
  check(user: ForwardedUser | undefined): string {
    const key = userKeyOf(user);
    if (key === undefined) throw connectFirst(this.server, undefined);
    if (!this.connected(key)) throw connectFirst(this.server, key);
    return key;
  }

  /** Starts `user`'s sign-in (see `UpstreamConnection.beginSignIn`); their connection stays open while it is under way. */
  async beginSignIn(user: string, redirectUrl: string, binding?: string): Promise<URL | undefined> {
    const pooled = this.open(user, false);
    pooled.lastUsed = this.now() + SIGN_IN_TTL_MS;
    return pooled.connection.beginSignIn(redirectUrl, binding);
  }

  /** The user whose sign-in under way has `state` (brought by the browser that started it), with their connection. */
  signInOf(state: string, binding: string | undefined): { user: string; connection: UpstreamConnection } | undefined {
    for (const [user, client] of this.clients)
      if (client.owns(state, binding)) return { user, connection: this.open(user, false).connection };
    return undefined;
  }

  /** The OAuth client of `user`, shared by every connection made with their tokens. */
  clientOf(user: string): OAuthClient {
    let client = this.clients.get(user);
    if (!client) this.clients.set(user, (client = new OAuthClient(this.config, userOAuthStore(this.store, user), this.now)));
    return client;
  }

  /**
   * The OAuth client the server's own connection lists with: the one of a connected user (the first
   * in order, kept while they stay connected); one that holds nothing while nobody is connected.
   */
  listingClient(): OAuthClient {
    if (this.lister === undefined || !this.connected(this.lister))
      this.lister = this.store.usersOf(this.server).find((user) => this.connected(user));
    if (this.lister !== undefined) return this.clientOf(this.lister);
    return (this.nobody ??= new OAuthClient(this.config, new MemoryOAuthStore(), this.now));
  }

  /** A user's sign-in finished (or was not needed): their links are spent. */
  signedIn(user: string): void {
    this.spendLinks(user);
    const pooled = this.pool.get(user);
    if (pooled) pooled.lastUsed = this.now();
  }

  /**
   * Disconnects `user`: revokes their tokens where the authorization server offers it, forgets them
   * and their links, closes their connection (ending its session while their token still works).
   * From the start they count as not connected: a call meanwhile is `connect-first`, never a new
   * connection with the tokens on their way out.
   */
  async signOut(user: string): Promise<string | undefined> {
    this.disconnecting.add(user);
    this.spendLinks(user);
    if (this.lister === user) this.lister = undefined;
    try {
      const pooled = this.pool.get(user);
      this.pool.delete(user);
      const connection = pooled?.connection ?? this.make(user, false);
      await connection.setEnabled(false);
      const failure = await connection.signOut();
      this.store.forgetFor(this.server, user);
      this.clients.delete(user);
      return failure;
    } finally {
      this.disconnecting.delete(user);
    }
  }

  /** Forgets every connect link of `user`. */
  private spendLinks(user: string): void {
    for (const [hash, link] of this.links) if (link.user === user) this.links.delete(hash);
  }

  /** A one-use link for `user` to connect with (see the module comment): the token to put in its URL, and when it ends. */
  createLink(user: string): { token: string; expiresAt: number } {
    const now = this.now();
    for (const [hash, link] of this.links) if (link.expiresAt <= now) this.links.delete(hash);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + CONNECT_LINK_TTL_MS;
    this.links.set(hashOf(token), { user, expiresAt });
    return { token, expiresAt };
  }

  /** The user a connect link is for, while it is valid (nothing changes). */
  linkUser(token: string): string | undefined {
    return this.validLink(token)?.user;
  }

  /** Whether a browser other than `browser` (its `mcpgw_connect` nonce) has confirmed the link. */
  heldElsewhere(token: string, browser: string): boolean {
    const held = this.validLink(token)?.browser;
    return held !== undefined && held !== hashOf(browser);
  }

  /**
   * The user a connect link is for, the link now held by `browser` (the first to confirm it); the
   * catalog's 403 `forbidden` when another browser holds it, undefined when it is not valid.
   */
  claimLink(token: string, browser: string): string | undefined {
    const link = this.validLink(token);
    if (!link) return undefined;
    if (this.heldElsewhere(token, browser))
      throw new ProblemError('forbidden', 'this connect link was opened in another browser; ask for a new one');
    link.browser = hashOf(browser);
    return link.user;
  }

  private validLink(token: string): { user: string; expiresAt: number; browser?: string } | undefined {
    const link = this.links.get(hashOf(token));
    return link && link.expiresAt > this.now() ? link : undefined;
  }

  /** The user the server's own connection lists with now, if any. */
  get listingUser(): string | undefined {
    return this.lister;
  }

  /** Takes settings that need no new connection (see `UpstreamConnection.update`). */
  update(config: ServerConfig, settings: Parameters<UpstreamConnection['update']>[1]): void {
    for (const { connection } of this.pool.values()) connection.update(config, settings);
  }

  /** Closes every user's connection (they open again on demand). */
  async closeAll(): Promise<void> {
    const all = [...this.pool.values()];
    this.pool.clear();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    await Promise.all(all.map(({ connection }) => connection.stop()));
  }

  /** The user's connection, made (and, with `start`, started) if there is none; makes room under the cap. */
  private open(user: string, start = true): Pooled {
    let pooled = this.pool.get(user);
    if (!pooled) {
      const { maxUserConnections } = this.settings();
      if (this.pool.size >= maxUserConnections) this.closeLeastRecentlyUsed();
      pooled = { connection: this.make(user, true), lastUsed: this.now(), busy: 0 };
      this.pool.set(user, pooled);
      this.sweep();
    }
    pooled.lastUsed = Math.max(pooled.lastUsed, this.now());
    if (start) pooled.connection.start();
    return pooled;
  }

  private closeLeastRecentlyUsed(): void {
    let oldest: [string, Pooled] | undefined;
    for (const entry of this.pool) if (entry[1].busy === 0 && (!oldest || entry[1].lastUsed < oldest[1].lastUsed)) oldest = entry;
    if (!oldest)
      throw new ProblemError(
        'overloaded',
        `server "${this.server}" has ${this.pool.size} users' connections busy (gateway.maxUserConnections); try again shortly`,
        { retryAfter: 1 },
      );
    this.pool.delete(oldest[0]);
    void oldest[1].connection.stop();
  }

  /**
   * Checks now and then for connections idle longer than `gateway.userConnectionIdleMs`, while there
   * are any. One still starting (a sign-in's, which no call waits for) is closed once it is up: the
   * session the server opened on its `initialize` is then known, and ended.
   */
  private sweep(): void {
    if (this.sweeper) return;
    const idleMs = this.settings().userConnectionIdleMs;
    this.sweeper = setInterval(
      () => {
        const limit = this.now() - this.settings().userConnectionIdleMs;
        for (const [user, pooled] of this.pool) {
          if (pooled.busy > 0 || pooled.lastUsed > limit || pooled.connection.currentState === 'starting') continue;
          this.pool.delete(user);
          void pooled.connection.stop();
        }
        if (this.pool.size === 0) {
          clearInterval(this.sweeper);
          this.sweeper = undefined;
        }
      },
      Math.max(50, Math.min(idleMs / 2, 60_000)),
    );
    this.sweeper.unref();
  }
}

/** The catalog's 403 `connect-first` for a call to `server` made for `user` (none: no trusted user). */
export function connectFirst(server: string, user: string | undefined): ProblemError {
  const how = `the operator makes a connect link for the user (POST /api/servers/${server}/oauth/connect {"user": …}) and the user opens it`;
  return user === undefined
    ? new ProblemError(
        'connect-first',
        `server "${server}" is called with each user's own account (perUserAuth): the call must come for a user ` +
          '(X-OpenWebUI-User-Id, from a key with trustForwardedUser) who has connected; ' +
          how,
        { server },
      )
    : new ProblemError('connect-first', `user "${user}" has not connected their account to server "${server}" (perUserAuth): ${how}`, {
        server,
        user,
      });
}

/**
 * Who an OpenID `id_token` names (`email`, else `sub`), to show which upstream account a user
 * connected: read without checking its signature, so it is only ever shown, never trusted.
 */
export function accountOf(idToken: string | undefined): string | undefined {
  if (!idToken) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const named = typeof claims.email === 'string' ? claims.email : claims.sub;
    return typeof named === 'string' && named.length > 0 ? named.slice(0, 256) : undefined;
  } catch {
    return undefined;
  }
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The state a connection settles in after starting (`ready`, or a failure), waiting at most `timeoutMs`. */
function whenSettled(connection: UpstreamConnection, timeoutMs: number): Promise<ServerState> {
  const settled = (state: ServerState) => state !== 'starting' && state !== 'stopped';
  if (settled(connection.currentState)) return Promise.resolve(connection.currentState);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      connection.off('change', onChange);
      resolve(connection.currentState);
    };
    const onChange = () => {
      if (settled(connection.currentState)) done();
    };
    const timer = setTimeout(done, timeoutMs);
    connection.on('change', onChange);
  });
}
