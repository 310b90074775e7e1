/**
 * What the gateway keeps of a remote server's OAuth connection between starts: the client
 * registration, the tokens, the discovery results. `OAuthStore` is where it is kept; a store in
 * memory serves quick mode and the tests of the client alone, the state database's encrypted one
 * (server/state/oauth-records.ts) every gateway with a state folder.
 *
 * A record belongs to one server name AND its URL: a server whose `url` changed starts afresh
 * (its tokens were for another resource). A server with `perUserAuth` has one record per user
 * (`loadFor`…, keyed by server and user id) besides; `forget(server)` forgets those too. The pin
 * of a configured client (`clientId`) to its authorization server is the server's, not a user's:
 * it is kept in the server's own record (`shared`), which a user's Disconnect leaves.
 */
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

export interface OAuthRecord {
  /** The server's URL when the record was made. */
  url: string;
  /** The client as registered (dynamic registration), or the Client ID Metadata Document's URL; stamped with its `issuer`. */
  client?: OAuthClientInformationMixed;
  /** The last tokens, as the SDK gave them (with `issuer`). */
  tokens?: OAuthTokens;
  /** When the access token expires (epoch ms), when the server said (`expires_in`). */
  expiresAt?: number;
  /** When the tokens were obtained (epoch ms). */
  obtainedAt?: number;
  /** When a person's sign-in last finished (epoch ms): set by the callback only, never by a refresh. */
  signedInAt?: number;
  /** Protected resource and authorization server metadata, as discovered. */
  discovery?: OAuthDiscoveryState;
  /**
   * The discovery of the authorization server that issued `tokens`, kept when the server names
   * another one now (it moved: SEP-2352) until new tokens replace them, so that Disconnect revokes
   * them where they were issued and nowhere else.
   */
  issuerDiscovery?: OAuthDiscoveryState;
}

export interface OAuthStore {
  load(server: string): OAuthRecord | undefined;
  save(server: string, record: OAuthRecord): void;
  /** Forgets the server's record and every user's record of it. */
  forget(server: string): void;
  /** One user's record of a `perUserAuth` server. */
  loadFor(server: string, user: string): OAuthRecord | undefined;
  saveFor(server: string, user: string, record: OAuthRecord): void;
  forgetFor(server: string, user: string): void;
  /** The users that have a record of the server, sorted. */
  usersOf(server: string): string[];
  /** For one user's records (`userOAuthStore`): the store of the server's own record, where a configured client's pin is kept. None: this one. */
  readonly shared?: OAuthStore;
}

/** The store of one user's records, as an `OAuthStore` of one server name (what an `OAuthClient` takes). */
export function userOAuthStore(store: OAuthStore, user: string): OAuthStore {
  return {
    load: (server) => store.loadFor(server, user),
    save: (server, record) => store.saveFor(server, user, record),
    forget: (server) => store.forgetFor(server, user),
    loadFor: (server, other) => store.loadFor(server, other),
    saveFor: (server, other, record) => store.saveFor(server, other, record),
    forgetFor: (server, other) => store.forgetFor(server, other),
    usersOf: (server) => store.usersOf(server),
    shared: store,
  };
}

/** Records in memory: gone when the gateway stops (quick mode without a state folder, tests). */
export class MemoryOAuthStore implements OAuthStore {
  private readonly records = new Map<string, string>();
  /** Per server, its users' records (JSON). */
  private readonly userRecords = new Map<string, Map<string, string>>();

  load(server: string): OAuthRecord | undefined {
    return parsed(this.records.get(server));
  }

  save(server: string, record: OAuthRecord): void {
    this.records.set(server, JSON.stringify(record));
  }

  forget(server: string): void {
    this.records.delete(server);
    this.userRecords.delete(server);
  }

  loadFor(server: string, user: string): OAuthRecord | undefined {
    return parsed(this.userRecords.get(server)?.get(user));
  }

  saveFor(server: string, user: string, record: OAuthRecord): void {
    let users = this.userRecords.get(server);
    if (!users) this.userRecords.set(server, (users = new Map()));
    users.set(user, JSON.stringify(record));
  }

  forgetFor(server: string, user: string): void {
    this.userRecords.get(server)?.delete(user);
  }

  usersOf(server: string): string[] {
    return [...(this.userRecords.get(server)?.keys() ?? [])].sort();
  }
}

function parsed(text: string | undefined): OAuthRecord | undefined {
  return text === undefined ? undefined : (JSON.parse(text) as OAuthRecord);
}
