/**
 * Runs one `UpstreamConnection` per configured server and applies config changes: servers are
 * added, restarted (only when their transport settings changed), updated in place, or removed.
 * The surfaces switch a server on or off (`setEnabled`) and restart it (`restart`) through here.
 * A removed server is gone from lookups at once, before its process has finished stopping.
 * A `perUserAuth` server has its users' own connections besides (per-user-connections.ts).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { GatewayConfig, GatewaySettings, RemoteServerConfig, ServerConfig } from '../config/types.js';
import { ProblemError } from '../errors.js';
import type { ProcessGroupListener } from '../state/process-groups.js';
import { UpstreamConnection, type ConnectionSettings } from './connection.js';
import { clientCapabilities } from './capabilities.js';
import { describeError } from './call-errors.js';
import type { CallbackParams } from './oauth-client.js';
import { MemoryOAuthStore, type OAuthStore } from './oauth-store.js';
import { PerUserConnections } from './per-user-connections.js';
import { DEFAULT_GATEWAY_SETTINGS } from '../config/load.js';
import type { ClientRootsState, ElicitationAnswer, ElicitationRequest, Sampler, ServerStatus, ToolInfo } from './types.js';

/** Where run-time enable/disable decisions are kept (see state/overrides.ts). */
export interface EnabledStore {
  effective(name: string, fileEnabled: boolean): { enabled: boolean; overridden: boolean };
  set(name: string, enabled: boolean, fileEnabled: boolean): void;
  forget(name: string): void;
}

export interface ApplyResult {
  added: string[];
  restarted: string[];
  updated: string[];
  removed: string[];
}

export interface SupervisorEvents {
  change: [ServerStatus];
  lists: [name: string];
  removed: [name: string];
}

/** What a restart did: the server's view once its new connection is under way, or why it did not restart. */
export type RestartResult = { ok: true; server: ServerView } | { ok: false; why: 'not-found' | 'disabled' };

export interface ServerView extends ServerStatus {
  /** `override` when a run-time enable/disable wins over the file. */
  enabledSource: 'config' | 'override';
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private connections = new Map<string, UpstreamConnection>();
  /** The users' own connections of each `perUserAuth` server. */
  private readonly perUser = new Map<string, PerUserConnections>();
  /** The gateway settings last applied (what users' connections read). */
  private gateway: GatewaySettings = DEFAULT_GATEWAY_SETTINGS;
  private settings: ConnectionSettings = connectionSettings(DEFAULT_GATEWAY_SETTINGS);
  private overridden = new Set<string>();
  private stopping = false;
  /** Who answers the servers' sampling requests (server/sampling/); set once the gateway has one. Default: nobody. */
  sampler?: Sampler;
  /** The roots of a server's one `/mcp` client, for servers with `clientRoots` (the `/mcp` endpoint sets it). Default: none. */
  clientRoots?: (server: string) => ClientRootsState | undefined;
  /**
   * Who answers a server's question (elicitation) that belongs to no one call in flight (see
   * `UpstreamConnection.elicit`): startGateway makes it a question card. Default: nobody (`cancel`).
   */
  elicitation?: (server: string, request: ElicitationRequest, signal: AbortSignal) => Promise<ElicitationAnswer>;

  constructor(
    private readonly store: EnabledStore,
    private readonly log: Logger,
    /** Where the process groups of stdio servers are remembered (per server). Default: nowhere. */
    private readonly processGroups?: (server: string) => ProcessGroupListener,
    /** Where remote servers' OAuth tokens and registrations are kept. Default: in memory. */
    private readonly oauthStore: OAuthStore = new MemoryOAuthStore(),
  ) {
    super();
  }

  /** Makes the running servers match `config`. Resolves when removed and changed servers have stopped. */
  async apply(config: GatewayConfig): Promise<ApplyResult> {
    const settings = connectionSettings(config.gateway);
    this.gateway = config.gateway;
    this.settings = settings;
    const result: ApplyResult = { added: [], restarted: [], updated: [], removed: [] };
    const waits: Promise<void>[] = [];
    const next = new Map<string, UpstreamConnection>();
    const wanted = new Set(config.servers.map((server) => server.name));

    for (const [name, connection] of this.connections) {
      if (wanted.has(name)) continue;
      result.removed.push(name);
      this.store.forget(name);
      this.oauthStore.forget(name); // its tokens and registration too: a server added back signs in anew
      this.overridden.delete(name);
      connection.removeAllListeners();
      waits.push(connection.stop());
      waits.push(this.closeUsers(name));
      this.emit('removed', name);
    }

    for (const server of config.servers) {
      const { enabled, overridden } = this.store.effective(server.name, server.enabled);
      this.setOverridden(server.name, overridden);
      let existing = this.connections.get(server.name);
      // Turning perUserAuth on or off makes another connection (its tokens are kept elsewhere).
      if (existing && perUserAuthOf(existing.currentConfig) !== perUserAuthOf(server)) {
        existing.removeAllListeners();
        waits.push(existing.stop(), this.closeUsers(server.name));
        existing = undefined;
      }
      if (!existing) {
        const connection = this.create(server, settings, enabled);
        next.set(server.name, connection);
        result.added.push(server.name);
        continue;
      }
      next.set(server.name, existing);
      const before = existing.currentConfig;
      const reconnect = connectionKey(before) !== connectionKey(server);
      existing.update(server, settings);
      const users = this.perUser.get(server.name);
      if (users && reconnect) waits.push(users.closeAll());
      else users?.update(server, settings);
      if (existing.status().enabled !== enabled) {
        waits.push(existing.setEnabled(enabled));
        if (!enabled && users) waits.push(users.closeAll());
        result.updated.push(server.name);
      } else if (reconnect && enabled) {
        waits.push(existing.restart());
        result.restarted.push(server.name);
      } else if (reconnect || JSON.stringify(before) !== JSON.stringify(server)) {
        result.updated.push(server.name);
      }
    }

    this.connections = next;
    for (const name of result.added) this.connections.get(name)!.start();
    const changed = result.added.length + result.restarted.length + result.updated.length + result.removed.length;
    if (changed) this.log.info(result, 'configuration applied');
    await Promise.all(waits);
    return result;
  }

  get(name: string): UpstreamConnection | undefined {
    return this.connections.get(name);
  }

  /** The server named `name`, or the catalog's 404 `server-not-found` (every surface's answer to an unknown name). */
  require(name: string): UpstreamConnection {
    const connection = this.connections.get(name);
    if (!connection) throw new ProblemError('server-not-found', `no server named "${name}"`);
    return connection;
  }

  /** Every connection, in config order. */
  all(): UpstreamConnection[] {
    return [...this.connections.values()];
  }

  list(): ServerView[] {
    return [...this.connections.values()].map((connection) => this.view(connection));
  }

  status(name: string): ServerView | undefined {
    const connection = this.connections.get(name);
    return connection && this.view(connection);
  }

  /** Every listed tool, server by server in config order. */
  tools(): { server: string; tool: ToolInfo }[] {
    const all: { server: string; tool: ToolInfo }[] = [];
    for (const connection of this.connections.values()) {
      for (const tool of connection.tools()) all.push({ server: connection.name, tool });
    }
    return all;
  }

  /** Switches a server on or off and remembers the decision across gateway restarts. */
  async setEnabled(name: string, enabled: boolean): Promise<ServerView | undefined> {
    const connection = this.connections.get(name);
    if (!connection) return undefined;
    const fileEnabled = connection.currentConfig.enabled;
    this.store.set(name, enabled, fileEnabled);
    this.setOverridden(name, enabled !== fileEnabled);
    // A disabled server's users' connections close too (they open again at the next call once it is enabled).
    await Promise.all([connection.setEnabled(enabled), enabled ? undefined : this.perUser.get(name)?.closeAll()]);
    return this.view(connection);
  }

  /**
   * Ends a server's connection (and its process) and connects anew, counting a restart. A server
   * that is not there, or is disabled, is left alone and the result says which.
   */
  async restart(name: string): Promise<RestartResult> {
    const connection = this.connections.get(name);
    if (!connection) return { ok: false, why: 'not-found' };
    if (!connection.isEnabled) return { ok: false, why: 'disabled' };
    await connection.restart();
    return { ok: true, server: this.view(connection) };
  }

  /**
   * Starts a person's sign-in to a remote server behind OAuth, coming back to `redirectUrl` (see
   * `UpstreamConnection.beginSignIn`): the authorization URL, or `undefined` when no person was
   * needed. Fails with the catalog's problem: 404, 409 for a stdio or disabled server, 502 when the
   * server or its authorization server failed.
   */
  async beginSignIn(name: string, redirectUrl: string, binding?: string): Promise<URL | undefined> {
    const connection = this.oauthCapable(name);
    if (this.perUser.has(name))
      throw new ProblemError(
        'invalid-request',
        `server "${name}" has perUserAuth: each user connects their own account with a connect link (POST /api/servers/${name}/oauth/connect {"user": …})`,
      );
    if (!connection.isEnabled) throw new ProblemError('server-disabled', `server "${name}" is disabled; enable it first`);
    try {
      return await connection.beginSignIn(redirectUrl, binding);
    } catch (error) {
      throw new ProblemError('upstream-error', `signing in to server "${name}" failed: ${describeError(error)}`);
    }
  }

  /**
   * Disconnects a remote server behind OAuth (`UpstreamConnection.signOut`): what revoking failed
   * at, if anything. Every user of a `perUserAuth` server.
   */
  async signOut(name: string): Promise<string | undefined> {
    const connection = this.oauthCapable(name);
    const users = this.perUser.get(name);
    if (!users) return connection.signOut();
    const failures: string[] = [];
    for (const { user } of users.users()) {
      const failure = await users.signOut(user);
      if (failure) failures.push(`${user}: ${failure}`);
    }
    // The operator's act: the server's own record goes too (a configured client's pin to its authorization server).
    this.oauthStore.forget(name);
    if (connection.isEnabled) await connection.restart();
    return failures.length > 0 ? failures.join('; ') : undefined;
  }

  /** The users' connections of a `perUserAuth` server: 404 for an unknown server, 409 `feature-not-offered` for another. */
  users(name: string): PerUserConnections {
    this.require(name);
    const users = this.perUser.get(name);
    if (!users) throw new ProblemError('feature-not-offered', `server "${name}" does not have perUserAuth`);
    return users;
  }

  /**
   * The users' own connections of a `perUserAuth` server, which its tool calls go by
   * (per-user-connections.ts); `undefined` for every other server (its one connection serves all).
   */
  userConnections(name: string): PerUserConnections | undefined {
    return this.perUser.get(name);
  }

  /** Disconnects one user of a `perUserAuth` server (revokes, forgets): what revoking failed at, if anything. */
  async signOutUser(name: string, user: string): Promise<string | undefined> {
    const users = this.users(name);
    const connection = this.connections.get(name);
    // The server lists with another user's tokens from now on (or waits for one): its session with this
    // user's ends first, while their token still works to end it.
    const relist = users.listingUser === user && connection?.isEnabled === true;
    if (relist) await connection!.stop();
    const failure = await users.signOut(user);
    if (relist) connection!.start();
    return failure;
  }

  /**
   * Starts the sign-in of the user a connect link is for (`PerUserConnections.createLink`): the
   * server, the user, and the authorization URL (`undefined` when no person was needed).
   */
  async beginUserSignIn(
    token: string,
    redirectUrl: string,
    binding: string,
    browser: string,
  ): Promise<{ server: string; user: string; url: URL | undefined }> {
    for (const [server, users] of this.perUser) {
      const user = users.claimLink(token, browser);
      if (user === undefined) continue;
      let url: URL | undefined;
      try {
        url = await users.beginSignIn(user, redirectUrl, binding);
      } catch (error) {
        throw new ProblemError('upstream-error', `signing in to server "${server}" failed: ${describeError(error)}`);
      }
      // Still connected (their tokens work or were refreshed): the link is spent as by a sign-in.
      if (!url) users.signedIn(user);
      return { server, user, url };
    }
    throw unknownLink();
  }

  /** The server and user of a valid connect link, and whether a browser other than `browser` holds it; changes nothing. */
  connectLink(token: string, browser: string): { server: string; user: string; heldElsewhere: boolean } {
    for (const [server, users] of this.perUser) {
      const user = users.linkUser(token);
      if (user !== undefined) return { server, user, heldElsewhere: users.heldElsewhere(token, browser) };
    }
    throw unknownLink();
  }

  private oauthCapable(name: string): UpstreamConnection {
    const connection = this.require(name);
    if (!connection.remote)
      throw new ProblemError('feature-not-offered', `server "${name}" is a stdio server; OAuth is for remote servers`);
    return connection;
  }

  /**
   * Finishes the sign-in whose `state` the callback carries, on whichever server (or user of a
   * `perUserAuth` server) started it; resolves with that server's name, and the user's. Fails when
   * no sign-in under way has that state.
   */
  async completeSignIn(params: CallbackParams): Promise<{ server: string; user?: string }> {
    const state = params.state;
    for (const [server, users] of this.perUser) {
      const signIn = state ? users.signInOf(state, params.binding) : undefined;
      if (!signIn) continue;
      await signIn.connection.completeSignIn(params);
      users.signedIn(signIn.user);
      // The first user to connect lets the server list its tools.
      const connection = this.connections.get(server);
      if (connection?.isEnabled && connection.currentState === 'needs-sign-in') await connection.restart();
      return { server, user: signIn.user };
    }
    const connection = params.state ? this.all().find((candidate) => candidate.ownsSignIn(params.state!, params.binding)) : undefined;
    if (!connection)
      throw new ProblemError(
        'invalid-request',
        'no sign-in under way has this state (it expired, or was started elsewhere); start it again',
      );
    await connection.completeSignIn(params);
    return { server: connection.name };
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all([
      ...[...this.connections.values()].map((connection) => connection.stop()),
      ...[...this.perUser.keys()].map((name) => this.closeUsers(name)),
    ]);
  }

  private create(server: ServerConfig, settings: ConnectionSettings, enabled: boolean): UpstreamConnection {
    const users = perUserAuthOf(server)
      ? new PerUserConnections(
          server.name,
          this.oauthStore,
          () => this.connections.get(server.name)!.currentConfig as RemoteServerConfig,
          (user, on) => this.userConnectionOf(server.name, user, on),
          () => this.gateway,
        )
      : undefined;
    const connection = new UpstreamConnection(
      server,
      settings,
      enabled,
      this.log.child({ server: server.name }),
      this.processGroups?.(server.name),
      () => this.sampler,
      () => this.clientRoots?.(server.name),
      this.oauthStore,
    );
    if (users) {
      connection.perUserListing = true;
      connection.sharedOAuth = () => users.listingClient();
      // The user it listed with lost their sign-in: it lists with another connected user's tokens, if any
      // (once per user: one whose tokens need a sign-in too is not tried again and again).
      let tried: string | undefined;
      connection.on('change', (status) => {
        if (status.state === 'ready') tried = users.listingUser;
        if (status.state !== 'needs-sign-in' || !connection.isEnabled || this.stopping) return;
        users.listingClient();
        const next = users.listingUser;
        if (next === undefined || next === tried) return;
        tried = next;
        void connection.restart();
      });
      this.perUser.set(server.name, users);
    }
    connection.on('change', (status) => {
      if (!this.stopping) this.emit('change', status);
    });
    connection.on('lists', (name) => this.emit('lists', name));
    connection.fallbackElicitor = (request, signal) =>
      this.elicitation ? this.elicitation(server.name, request, signal) : Promise.resolve({ action: 'cancel' });
    return connection;
  }

  /** A new connection of one user to a `perUserAuth` server, with that user's OAuth records. */
  private userConnectionOf(name: string, user: string, enabled: boolean): UpstreamConnection {
    const config = this.connections.get(name)?.currentConfig;
    if (!config) throw new ProblemError('server-not-found', `no server named "${name}"`);
    const connection = new UpstreamConnection(
      config,
      this.settings,
      enabled,
      this.log.child({ server: name, user }),
      undefined,
      () => this.sampler,
      () => this.clientRoots?.(name),
    );
    const users = this.perUser.get(name);
    connection.sharedOAuth = () => users!.clientOf(user);
    connection.fallbackElicitor = (request, signal) =>
      this.elicitation ? this.elicitation(name, request, signal) : Promise.resolve({ action: 'cancel' });
    return connection;
  }

  /** Closes and forgets the users' connections of a server (removed, or perUserAuth turned off). */
  private closeUsers(name: string): Promise<void> {
    const users = this.perUser.get(name);
    this.perUser.delete(name);
    return users ? users.closeAll() : Promise.resolve();
  }

  private setOverridden(name: string, overridden: boolean): void {
    if (overridden) this.overridden.add(name);
    else this.overridden.delete(name);
  }

  private view(connection: UpstreamConnection): ServerView {
    const status = connection.status();
    const users = this.perUser.get(connection.name)?.users();
    // A perUserAuth server's connection is its users': the one it lists with is one of them.
    if (users) status.oauth = { connected: users.some((user) => user.connected), scopes: [], users };
    return { ...status, enabledSource: this.overridden.has(connection.name) ? 'override' : 'config' };
  }
}

function connectionSettings(gateway: GatewaySettings): ConnectionSettings {
  const { pingIntervalMs, pingTimeoutMs, backoffInitialMs, backoffMaxMs, stopGraceMs, maxMessageBytes, serverLogLines } = gateway;
  return { pingIntervalMs, pingTimeoutMs, backoffInitialMs, backoffMaxMs, stopGraceMs, maxMessageBytes, serverLogLines };
}

/**
 * The settings that need a new connection when they change; everything else applies in place.
 * What the gateway declares to the server (capabilities.ts) is among them: it is only sent in
 * `initialize`. Roots that change while roots stay declared do not reconnect (roots/list_changed).
 */
function connectionKey(server: ServerConfig): string {
  const capabilities = clientCapabilities(server);
  return server.transport === 'stdio'
    ? JSON.stringify([server.transport, server.command, server.args, server.env, server.cwd ?? null, capabilities])
    : JSON.stringify([server.transport, server.url, server.headers, server.protocol, server.auth ?? null, capabilities]);
}

/** Whether each user of the server has their own OAuth connection to it. */
function perUserAuthOf(server: ServerConfig): boolean {
  return server.transport !== 'stdio' && server.perUserAuth === true;
}

/** The 422 for a connect link that is not (or no longer) valid. */
function unknownLink(): ProblemError {
  return new ProblemError('invalid-request', 'this connect link is unknown, used or expired; ask for a new one');
}
