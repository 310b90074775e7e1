/**
 * What the gateway keeps of a remote server's OAuth connection between starts: the client
 * registration, the tokens, the discovery results. `OAuthStore` is where it is kept; a store in
 * memory serves quick mode and the tests of the client alone, the state database's encrypted one
 * (server/state/oauth-records.ts) every gateway with a state folder.
 *
 * A record belongs to one server name AND its URL: a server whose `url` changed starts afresh
 * (its tokens were for another resource).
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
  forget(server: string): void;
}

/** Records in memory: gone when the gateway stops (quick mode without a state folder, tests). */
export class MemoryOAuthStore implements OAuthStore {
  private readonly records = new Map<string, string>();

  load(server: string): OAuthRecord | undefined {
    const text = this.records.get(server);
    return text === undefined ? undefined : (JSON.parse(text) as OAuthRecord);
  }

  save(server: string, record: OAuthRecord): void {
    this.records.set(server, JSON.stringify(record));
  }

  forget(server: string): void {
    this.records.delete(server);
  }
}
