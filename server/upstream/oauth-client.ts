/**
 * The gateway as an OAuth 2.1 client of one remote MCP server: the SDK's `OAuthClientProvider`
 * that its streamable HTTP and SSE transports use (`authProvider`), backed by an `OAuthStore`.
 *
 * The protocol is the SDK's (`auth()` in `@modelcontextprotocol/sdk/client/auth.js`): protected
 * resource metadata (RFC 9728) → authorization server metadata (RFC 8414 / OpenID discovery) →
 * the client's identity (a Client ID Metadata Document where the server supports them and
 * `auth.clientMetadataUrl` is set, else dynamic registration, else the configured `clientId`) →
 * authorization code with PKCE S256 and the `resource` indicator (RFC 8707), or client
 * credentials (with a secret, or `private_key_jwt` with `clientKeyFile`); refresh, and step-up on `insufficient_scope`. This module decides only what is the
 * gateway's: where things are kept, when a person is needed, and what the callback must carry.
 *
 * - **Needs a person.** In the background (a connect, a call) nobody can sign in: where the SDK
 *   would register a client or send a person to the authorization server, `NeedsSignIn` is
 *   thrown instead and the connection waits in `needs-sign-in` without retrying. A person's
 *   sign-in (`beginSignIn`) runs the same flow with the gateway's callback URL and returns the
 *   authorization URL; `completeSignIn` takes the callback's `code`, checks `state` and `iss`
 *   (RFC 9207) and exchanges it.
 *   A refresh that fails for a reason other than a refusal (`invalid_grant`: the authorization
 *   server unreachable or answering 5xx) is a failure to retry, not a reason to sign in again.
 * - **Refresh.** An access token within `REFRESH_MARGIN` of its expiry is refreshed before it is
 *   sent (one refresh at a time; a request waits for a refresh under way); a 401 refreshes once
 *   more (the SDK's transport). A rotated refresh token replaces the old one; a refresh answer
 *   without one keeps the old one. Concurrent refreshes with the same refresh token (parallel
 *   calls that each got a 401) are one request to the authorization server, whose answer they all
 *   share (`fetch`); and a refusal (`invalid_grant`) of a refresh token that is no longer the one
 *   kept never wipes the newer tokens (`invalidateCredentials`).
 * - **A server without `auth`** whose 401 names `resource_metadata` in `WWW-Authenticate` gets
 *   the same treatment; a plain 401 stays a failure as before (the connection's backoff).
 * - **Discovery** (`bounded`): each request of the OAuth flow — metadata fetches, and every request
 *   to the authorization server (registration, token, refresh) — goes through `flowFetch`, which the
 *   SDK's `auth()` is given where we run it (ours, the 2.x transport's `onUnauthorized` through
 *   `bearer()`); what the 1.x transports' own `auth()` sends through the transport's `fetch` is told
 *   from MCP traffic by its shape (`mcpTraffic`) and goes there too: it has
 *   `DISCOVERY_TIMEOUT_MS` and `DISCOVERY_MAX_BYTES`, and follows redirects itself (the configured
 *   headers never cross origins). The server's own requests (its endpoint, a 1.x SSE server's
 *   message URL, a redirect of either) are not bounded so. Authorization server
 *   metadata must name the issuer its URL was made from (SEP-2468). A token the server refuses
 *   makes the next `auth()` discover anew (SEP-2352).
 * - **A server that moved** to another authorization server waits for a person: nothing is
 *   registered there in the background (a URL the server chose), only by a person's sign-in; a
 *   configured client (`clientId`) is pinned to the authorization server that first took it, and
 *   its secret or signed JWT never goes to another one until an operator disconnects the server
 *   (a `perUserAuth` server's pin is the server's own: one user's Disconnect leaves it).
 *   Tokens are revoked (Disconnect) only where they were issued (`issuerDiscovery`).
 * - **Both eras.** The 1.x transports take this class as their `authProvider`; the 2.x transport
 *   of a `protocol: "2026-07-28"` server takes `bearer()`, over the same store and flows.
 *
 * Tokens and the client's secret are never logged and never leave this module but to the server
 * and its authorization server.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createPrivateKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  UnauthorizedError,
  auth,
  extractWWWAuthenticateParams,
  type AddClientAuthentication,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import * as oauth from 'oauth4webapi';
import type { OAuthSettings, RemoteServerConfig } from '../config/types.js';
import type { OAuthRecord, OAuthStore } from './oauth-store.js';

/** A token is refreshed when less than this much of its life is left (or half its life, for short-lived ones). */
export const REFRESH_MARGIN_MS = 60_000;

/** How long a person has to come back from the authorization server. */
export const SIGN_IN_TTL_MS = 10 * 60_000;

/** The defaults of `auth: "oauth"`, for a server without `auth` that asks for OAuth with its 401. */
const DISCOVERED: OAuthSettings = { grant: 'authorization_code', clientName: 'mcp-gateway' };

/** The server can only be used after a person signs in (or signs in again). */
export class NeedsSignIn extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NeedsSignIn';
  }
}

/**
 * Whether a failure means that a person must sign in: the SDK's `UnauthorizedError` included, and
 * the 2.x transport's `InsufficientScopeError` (a 2026-07-28 server's 403 `insufficient_scope`, whose
 * challenge `fetch` noted: the sign-in asks for the wider scopes, as the 1.x transports' step-up does).
 * That one is told by its name: the 2.x SDK is loaded only for such a server (modern-client.ts).
 */
export function needsSignIn(error: unknown): boolean {
  return (
    error instanceof NeedsSignIn ||
    error instanceof UnauthorizedError ||
    (error instanceof Error && error.name === 'InsufficientScopeError')
  );
}

/** The challenge of a server's last 401 or 403 (`WWW-Authenticate: Bearer …`). */
interface Challenge {
  resourceMetadataUrl?: URL;
  scope?: string;
  error?: string;
}

/** A person's sign-in under way: between `beginSignIn` and the callback. Never stored. */
interface PendingSignIn {
  state: string;
  /**
   * The browser that started it (a nonce its `mcpgw_oauth` cookie carries: server/ui/oauth-pages.ts);
   * none for a sign-in started through the API, which only its `state` binds.
   */
  binding?: string;
  redirectUrl: string;
  expiresAt: number;
  codeVerifier?: string;
  authorizationUrl?: URL;
  /** A registration made for this sign-in's callback URL: kept only once its code is exchanged. */
  client?: OAuthClientInformationMixed;
}

/** What the authorization server sent back to the callback. */
export interface CallbackParams {
  /** The nonce of the browser that brings the callback (its `mcpgw_oauth` cookie), if any. */
  binding?: string;
  code?: string;
  state?: string;
  iss?: string;
  error?: string;
  errorDescription?: string;
}

/** The public view of a server's OAuth connection (never a token). */
export interface OAuthView {
  connected: boolean;
  /** Epoch ms, when the server said when the access token expires. */
  expiresAt?: number;
  /** Epoch ms: when the tokens held were obtained (a sign-in, a refresh). */
  obtainedAt?: number;
  /** Epoch ms: when a person's sign-in last finished (never moved by a refresh). */
  signedInAt?: number;
  scopes: string[];
}

/**
 * How long a request of the OAuth flow may take, body included, in ms: discovery (protected
 * resource and authorization server metadata), registration, token, refresh and revocation.
 * Default 10 s.
 */
export const DISCOVERY_TIMEOUT_MS = 10_000;

/** The largest answer read from such a request (a metadata document, a token answer), in bytes. Default 256 KiB. */
export const DISCOVERY_MAX_BYTES = 256 * 1024;

/** The most redirects a metadata fetch follows. */
const MAX_REDIRECTS = 5;

/** The statuses of a redirect. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Limits of the requests to metadata URLs and the authorization server (tests make them short). */
export interface DiscoveryLimits {
  /** Default `DISCOVERY_TIMEOUT_MS`. */
  timeoutMs: number;
  /** Default `DISCOVERY_MAX_BYTES`. */
  maxBytes: number;
}

export class OAuthClient implements OAuthClientProvider {
  /** What is known in memory of the server at one URL: its last challenge and the sign-in under way (a new URL starts afresh). */
  private memory?: { url: string; challenge?: Challenge; signIn?: PendingSignIn };
  private refreshing?: Promise<unknown>;
  /** The sign-in whose `auth()` runs (beginSignIn, completeSignIn); none in the background. */
  private readonly inSignIn = new AsyncLocalStorage<PendingSignIn>();
  /** Set inside the gateway's own refresh, whose `auth()` reads the tokens without waiting for itself. */
  private readonly inRefresh = new AsyncLocalStorage<true>();
  /** The refresh-token grant under way or last made: its refresh token and the answer (shared by concurrent refreshes). */
  private refreshGrant?: { refreshToken: string; answer: Promise<SharedAnswer>; pending: boolean };
  /**
   * The recovery under way from a 401 for an access token (the SDK's `auth()` after it, which reads
   * the metadata again: SEP-2352): the requests refused for the same token meanwhile wait for it
   * (at most `limits.timeoutMs`) and are sent again with the token it gets, rather than each
   * starting a recovery of its own (a second refresh, with the refresh token the first one rotated).
   */
  private recovery?: { token: string; settled: Promise<void>; settle: () => void };
  /**
   * The access token (as sent: `Bearer …`) saved while a recovery was open: the SDK sends its
   * request once more with it and, refused again, gives up without another `auth()` (1.x
   * `_hasCompletedAuthFlow`, 2.x `isAuthRetry`), so its refusal starts no recovery (none would
   * run it, and the next call with it would wait out `limits.timeoutMs`).
   */
  private recoveredToken?: string;
  /** The last refresh token the authorization server refused (`invalid_grant`). */
  private refusedRefreshToken?: string;
  /** The refresh token whose last refresh failed otherwise (unreachable, 5xx): it may well work again. */
  private unrefreshedToken?: string;

  constructor(
    private readonly config: () => RemoteServerConfig,
    private readonly store: OAuthStore,
    private readonly now: () => number = Date.now,
    private readonly limits: DiscoveryLimits = { timeoutMs: DISCOVERY_TIMEOUT_MS, maxBytes: DISCOVERY_MAX_BYTES },
  ) {}

  /** The memory of the server at its current URL: a challenge or a sign-in of the URL it had before is forgotten. */
  private get current(): { url: string; challenge?: Challenge; signIn?: PendingSignIn } {
    const url = this.config().url;
    if (this.memory?.url !== url) this.memory = { url };
    return this.memory;
  }

  private get challenge(): Challenge | undefined {
    return this.current.challenge;
  }

  private set challenge(challenge: Challenge | undefined) {
    this.current.challenge = challenge;
  }

  private get signIn(): PendingSignIn | undefined {
    return this.current.signIn;
  }

  private set signIn(signIn: PendingSignIn | undefined) {
    this.current.signIn = signIn;
  }

  private get server(): string {
    return this.config().name;
  }

  /** The server's OAuth settings: configured, or the defaults once its 401 asked for OAuth. */
  private get settings(): OAuthSettings {
    return this.config().auth ?? DISCOVERED;
  }

  /** Whether OAuth is configured, or the server asked for it (a 401 naming its resource metadata, or an earlier sign-in). */
  get engaged(): boolean {
    return this.config().auth !== undefined || this.challenge?.resourceMetadataUrl !== undefined || this.record() !== undefined;
  }

  private record(): OAuthRecord | undefined {
    const record = this.store.load(this.server);
    return record && record.url === this.config().url ? record : undefined;
  }

  private update(change: (record: OAuthRecord) => OAuthRecord): void {
    const record = this.record() ?? { url: this.config().url };
    this.store.save(this.server, change(record));
  }

  /** The public view: whether tokens are held, when they expire, their scopes. */
  view(): OAuthView {
    const record = this.record();
    const tokens = record?.tokens;
    return {
      connected: tokens !== undefined,
      ...(record?.expiresAt !== undefined && { expiresAt: record.expiresAt }),
      ...(tokens && record?.obtainedAt !== undefined && { obtainedAt: record.obtainedAt }),
      ...(tokens && record?.signedInAt !== undefined && { signedInAt: record.signedInAt }),
      scopes: tokens?.scope?.split(' ').filter(Boolean) ?? [],
    };
  }

  /**
   * `fetch` for the server's transport, its requests to the server (not bounded as the OAuth
   * flow's are): notes the challenge of a 401 or 403 (what `auth()` will be asked for, and whether
   * a server without `auth` asked for OAuth at all). A request to the server made while a refresh
   * is under way waits for it and goes with the new access token; one that got a 401 for an
   * access token that has been replaced since is sent again with the new one (the SDK's transport
   * would take that 401, coming just after another request's refresh, for a failed authorization).
   * A request of the OAuth flow that comes this way (the 1.x transports run `auth()` with this fetch,
   * on a 401, in `finishAuth` and in the step-up after a 403 `insufficient_scope`: metadata,
   * registration, token) is the flow's: only the shapes of MCP traffic (`mcpTraffic`) go to the
   * server unbounded.
   */
  fetch(next: FetchLike): FetchLike {
    const flow = this.flowFetch(next);
    return async (input, init) => {
      if (!mcpTraffic(init)) return flow(input, init);
      if (this.refreshGrant?.pending) init = await this.withCurrentToken(init);
      let response = await next(input, init);
      if (response.status === 401) {
        const recovery = this.recovery;
        if (recovery && recovery.token === bearerOf(init)) await withinTime(recovery.settled, this.limits.timeoutMs);
        const again = await this.withCurrentToken(init);
        if (again !== init) {
          await response.body?.cancel();
          init = again;
          response = await next(input, again);
        }
      }
      if (response.status === 401 || response.status === 403) {
        const challenge = extractWWWAuthenticateParams(response);
        if (response.status === 401 || challenge.error === 'insufficient_scope') this.challenge = { ...this.challenge, ...challenge };
        if (response.status === 403 && (await this.steppedUpByClientCredentials(next))) {
          const again = await this.withCurrentToken(init);
          if (again !== init) {
            await response.body?.cancel();
            init = again;
            response = await next(input, again);
          }
        }
      }
      // A token refused: what was discovered may be out of date too (SEP-2352: the server may have
      // moved to another authorization server, where a person signs in anew). Read it again.
      const refused = response.status === 401 ? bearerOf(init) : undefined;
      if (refused !== undefined && this.recovery?.token !== refused) {
        if (refused !== this.recoveredToken) this.recover(refused);
        this.forgetDiscovery();
      }
      return response;
    };
  }

  /**
   * `fetch` for the requests of the OAuth flow (protected resource and authorization server
   * metadata, registration, token, refresh), given to every `auth()` we run and taking what the
   * transport's `fetch` tells from MCP traffic: each is `bounded`, and refresh-token grants go
   * through `refreshOnce`.
   */
  flowFetch(next: FetchLike): FetchLike {
    return (input, init) => {
      const refreshToken = refreshGrantToken(init);
      if (refreshToken !== undefined) return this.refreshOnce(refreshToken, () => this.bounded(next, input, init));
      return this.bounded(next, input, init);
    };
  }

  /**
   * Step-up with no person: a client-credentials server whose 403 `insufficient_scope` asked for
   * scopes its tokens lack gets tokens for the wider scopes at once (whether the 1.x or the 2.x
   * transport got the 403: the 2.x one, given a `BearerAuth`, would only throw). Whether it did.
   */
  private async steppedUpByClientCredentials(next: FetchLike): Promise<boolean> {
    const tokens = this.record()?.tokens;
    if (this.settings.grant !== 'client_credentials' || !tokens || !this.stepUp(tokens)) return false;
    const result = await auth(this, {
      serverUrl: this.config().url,
      scope: this.wantedScope(),
      resourceMetadataUrl: this.challenge?.resourceMetadataUrl,
      fetchFn: this.flowFetch(next),
    }).catch(() => undefined);
    return result === 'AUTHORIZED';
  }

  /** Notes that the refusal of `token` is being recovered from (`recovery`): settled by new tokens, a sign-in needed, or dropped credentials. */
  private recover(token: string): void {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const recovery = {
      token,
      settled,
      settle: () => {
        if (this.recovery === recovery) this.recovery = undefined;
        settle();
      },
    };
    this.recovery?.settle();
    this.recovery = recovery;
    // One that ends otherwise (the metadata unreachable, say) stops holding requests back in time.
    setTimeout(recovery.settle, this.limits.timeoutMs).unref();
  }

  /** The error of a sign-in needed; the requests waiting for a recovery stop waiting. */
  private needsSignIn(message: string): NeedsSignIn {
    this.recovery?.settle();
    return new NeedsSignIn(message);
  }

  /**
   * Forgets the discovered metadata (kept to spare the fetches), keeping the client and the tokens,
   * and the metadata of the authorization server that issued the tokens (`issuerDiscovery`) until
   * new tokens replace them.
   */
  private forgetDiscovery(): void {
    if (this.record()?.discovery === undefined) return;
    this.update((record) => {
      const { discovery: _discovery, issuerDiscovery: _issuerDiscovery, ...rest } = record;
      return { ...rest, ...(record.tokens && issuerKept(record, true)) };
    });
  }

  /**
   * A request of the OAuth flow (protected resource metadata, from the URL a 401 named too;
   * authorization server metadata; registration, token and refresh POSTs): it
   * must answer within `timeoutMs`, body included, and its body may not pass `maxBytes`. A hostile
   * URL neither hangs nor floods the gateway (nor a refresh that every request waits for).
   * Authorization server metadata must name the issuer its URL was made from (`checkIssuer`).
   */
  private async bounded(next: FetchLike, input: string | URL, init: RequestInit | undefined): Promise<Response> {
    const { timeoutMs, maxBytes } = this.limits;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const url = String(input);
    try {
      const response = await this.followed(next, url, { ...init, signal });
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of response.body ?? []) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          await response.body?.cancel().catch(() => undefined);
          throw new Error(`${url} answered more than ${maxBytes} bytes`);
        }
        chunks.push(chunk);
      }
      const body = response.status === 204 || response.status === 304 ? null : Buffer.concat(chunks);
      const method = init?.method ?? 'GET';
      if (response.ok && body && method === 'GET') checkIssuer(new URL(url), body);
      // A token or registration POST refused, or a 5xx, ends the auth() under way: the requests
      // waiting for its recovery go on (a metadata GET's 4xx does not: the SDK tries the next URL).
      if ((!response.ok && method !== 'GET') || response.status >= 500) this.recovery?.settle();
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      // Unreachable, too slow, too large, or the wrong issuer: the auth() under way fails.
      this.recovery?.settle();
      if (timeout.aborted && !init?.signal?.aborted) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
      throw error;
    }
  }

  /**
   * `next` with redirects followed here, each hop a request of its own through `next` (whose
   * configured headers go to the server's own origin only, not to where a redirect leads: fetch
   * would keep them on a cross-origin hop). Only GETs are followed, at most `MAX_REDIRECTS` hops;
   * a POST's redirect is answered as it is (a form with a secret is never sent on).
   */
  private async followed(next: FetchLike, url: string, init: RequestInit): Promise<Response> {
    let target = url;
    for (let hop = 0; ; hop++) {
      const response = await next(target, { ...init, redirect: 'manual' });
      const location = response.headers.get('location');
      if (!REDIRECTS.has(response.status) || location === null || (init.method ?? 'GET') !== 'GET') return response;
      await response.body?.cancel().catch(() => undefined);
      if (hop === MAX_REDIRECTS) throw new Error(`${url} redirected more than ${MAX_REDIRECTS} times`);
      target = new URL(location, target).href;
    }
  }

  /**
   * `init` with the access token kept now, after the refresh under way (if any): `init` itself when
   * it carries no bearer token or already the current one.
   */
  private async withCurrentToken(init: RequestInit | undefined): Promise<RequestInit | undefined> {
    const grant = this.refreshGrant;
    // The answer's own token: the SDK saves it only a moment later.
    const refreshed = grant?.pending ? accessToken(await grant.answer.catch(() => undefined)) : undefined;
    const headers = new Headers(init?.headers);
    const sent = headers.get('authorization');
    const current = refreshed ?? this.record()?.tokens?.access_token;
    if (!sent?.startsWith('Bearer ') || current === undefined || sent === `Bearer ${current}`) return init;
    headers.set('authorization', `Bearer ${current}`);
    return { ...init, headers };
  }

  /**
   * A refresh-token grant: one request per refresh token (rotation makes a second one with the
   * same token fail with `invalid_grant`); concurrent refreshes with it share its answer.
   */
  private async refreshOnce(refreshToken: string, send: () => Promise<Response>): Promise<Response> {
    let grant = this.refreshGrant;
    if (grant?.refreshToken !== refreshToken) {
      const answer = send().then(async (response) => ({
        status: response.status,
        statusText: response.statusText,
        headers: [...response.headers],
        body: await response.text(),
      }));
      const started = { refreshToken, answer, pending: true };
      this.refreshGrant = grant = started;
      // Only a success is kept for late-comers; after a failure the next refresh asks again.
      const forget = () => {
        started.pending = false;
        if (this.refreshGrant === started) this.refreshGrant = undefined;
        // A refresh that failed ends the wait of the requests refused meanwhile (a success does, once saved).
        this.recovery?.settle();
      };
      answer.then((settled) => (settled.status === 200 ? (started.pending = false) : forget()), forget);
    }
    let answer: SharedAnswer;
    try {
      answer = await grant.answer;
    } catch (error) {
      this.unrefreshedToken = refreshToken;
      throw error;
    }
    const refused = answer.status === 400 && /"error"\s*:\s*"invalid_grant"/.test(answer.body);
    if (refused) this.refusedRefreshToken = refreshToken;
    this.unrefreshedToken = answer.status === 200 || refused ? undefined : refreshToken;
    return new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers: answer.headers });
  }

  /**
   * The bearer tokens of a server spoken to in the 2026-07-28 era, for the 2.x client SDK's
   * transport (its `AuthProvider`: modern-client.ts): the access token `tokens()` holds (refreshed
   * before it expires), and on a 401 what the 1.x transports do with this provider — `auth()`,
   * with the challenge `fetch` noted — so both eras share one store, one refresh and one sign-in.
   * Its `auth()` goes through `flowFetch(next)`, not the transport's fetch it is handed.
   */
  bearer(next: FetchLike): BearerAuth {
    const fetchFn = this.flowFetch(next);
    return {
      token: async () => (await this.tokens())?.access_token,
      onUnauthorized: async () => {
        const result = await auth(this, {
          serverUrl: this.config().url,
          resourceMetadataUrl: this.challenge?.resourceMetadataUrl,
          scope: this.challenge?.scope,
          fetchFn,
        });
        if (result !== 'AUTHORIZED') throw this.needsSignIn(`server ${this.server} needs a person to sign in (Connect)`);
      },
    };
  }

  // --- OAuthClientProvider --------------------------------------------------------------------

  get redirectUrl(): string | undefined {
    if (this.settings.grant === 'client_credentials') return undefined;
    // In the background no one is redirected anywhere (redirectToAuthorization refuses); the URL
    // only has to be there for the SDK to take the interactive branch.
    return this.inSignIn.getStore()?.redirectUrl ?? registeredRedirect(this.record()?.client) ?? 'http://127.0.0.1/ui/oauth/callback';
  }

  get clientMetadataUrl(): string | undefined {
    return this.settings.clientMetadataUrl;
  }

  /**
   * What the gateway registers (RFC 7591). `application_type` (SEP-837, which the SDK's type does
   * not know yet; it sends the object as it is): `web` for a callback on an https origin, `native`
   * for one on http (a loopback or LAN address, which web clients may not register).
   */
  get clientMetadata(): OAuthClientMetadata & { application_type?: 'web' | 'native' } {
    const settings = this.settings;
    const secret = settings.clientSecretFile !== undefined;
    const key = settings.clientKeyFile !== undefined;
    const redirect = this.redirectUrl;
    // Client credentials ask for what the server challenged too (there is no person to ask).
    const scope = settings.grant === 'client_credentials' ? this.wantedScope() : settings.scopes?.join(' ');
    return {
      client_name: settings.clientName,
      redirect_uris: redirect ? [redirect] : [],
      ...(redirect && { application_type: redirect.startsWith('https:') ? 'web' : 'native' }),
      grant_types: settings.grant === 'client_credentials' ? ['client_credentials'] : ['authorization_code', 'refresh_token'],
      response_types: settings.grant === 'client_credentials' ? [] : ['code'],
      token_endpoint_auth_method: key ? 'private_key_jwt' : secret ? 'client_secret_basic' : 'none',
      ...(scope && { scope }),
    };
  }

  state(): string {
    // The SDK goes on to a new authorization when a refresh fails for any reason but a refusal; a
    // refresh token that only met an outage is still good: a retryable failure, not a sign-in.
    const refreshToken = this.record()?.tokens?.refresh_token;
    const signIn = this.inSignIn.getStore();
    if (!signIn && refreshToken !== undefined && refreshToken === this.unrefreshedToken)
      throw new Error(`server ${this.server}: its authorization server could not refresh the access token (will try again)`);
    // Only a sign-in's own auth() starts an authorization (a background one would replace its verifier).
    if (!signIn) throw this.needsSignIn(`server ${this.server} needs a person to sign in`);
    return signIn.state;
  }

  /**
   * The client: the configured one (`clientId`), pinned to the authorization server it was first
   * used with (its `issuer` stamp, so a server that moves never gets its secret or signed JWT shown
   * to another one); or the one registered, which in the background is never registered anew at
   * another authorization server (only a person's sign-in does that).
   */
  clientInformation(): OAuthClientInformationMixed | undefined {
    const settings = this.settings;
    const record = this.record();
    const current = record?.discovery?.authorizationServerUrl;
    if (settings.clientId !== undefined) {
      const pinned = this.pinnedIssuer(settings.clientId, record);
      if (pinned !== undefined && current !== undefined && !sameIssuer(pinned, current))
        throw this.needsSignIn(
          `server ${this.server} moved to the authorization server ${current}; its configured client ${JSON.stringify(settings.clientId)} is for ${pinned} and is not shown to another one: check the move, then Disconnect the server to use the client there`,
        );
      return { ...this.configuredClient(settings.clientId), ...(pinned !== undefined && { issuer: pinned }) };
    }
    const pending = this.inSignIn.getStore();
    if (pending?.client) return pending.client;
    const client = record?.client;
    // The server moved (SEP-2352): registering at the authorization server it names now is a person's call.
    if (!pending && typeof client?.issuer === 'string' && current !== undefined && !sameIssuer(client.issuer, current))
      throw this.needsSignIn(`server ${this.server} moved to the authorization server ${current}: a person must sign in there (Connect)`);
    // A registration for another callback URL (another origin, a new basePath) is made anew.
    const redirect = pending?.redirectUrl;
    if (client && redirect && 'redirect_uris' in client && Array.isArray(client.redirect_uris) && !client.redirect_uris.includes(redirect))
      return undefined;
    if (client) return client;
    // Registering needs the callback URL a person's browser will come back to.
    if (!pending && settings.grant === 'authorization_code')
      throw this.needsSignIn(`server ${this.server} needs a person to sign in (Connect)`);
    return undefined;
  }

  /** The configured client, with its secret (read at each use) if it has one. */
  private configuredClient(clientId: string): OAuthClientInformationMixed {
    const file = this.settings.clientSecretFile;
    const secret = file ? readFileSync(file, 'utf8').trim() : undefined;
    return { client_id: clientId, ...(secret && { client_secret: secret }) };
  }

  /**
   * The authorization server a configured client is pinned to: the first that took it, as the
   * server's own record keeps it (one pin for all the users of a `perUserAuth` server, which one
   * user's Disconnect leaves); else a user's record's pin or its tokens' issuer (records kept before).
   */
  private pinnedIssuer(clientId: string, record: OAuthRecord | undefined): string | undefined {
    for (const kept of [this.pinRecord(), record]) {
      const pin = kept?.client?.client_id === clientId ? kept.client.issuer : undefined;
      if (typeof pin === 'string') return pin;
    }
    return record?.tokens?.issuer;
  }

  /** The server's own record (of its current URL), where a configured client's pin is kept. */
  private pinRecord(): OAuthRecord | undefined {
    const record = (this.store.shared ?? this.store).load(this.server);
    return record && record.url === this.config().url ? record : undefined;
  }

  saveClientInformation(client: OAuthClientInformationMixed): void {
    // A configured client is not ours to keep (never its secret): only the pin to the authorization server that took it.
    if (this.settings.clientId !== undefined) {
      const { client_id, issuer } = client;
      if (client_id === this.settings.clientId && typeof issuer === 'string')
        (this.store.shared ?? this.store).save(this.server, {
          ...(this.pinRecord() ?? { url: this.config().url }),
          client: { client_id, issuer },
        });
      return;
    }
    // A sign-in's registration replaces the one kept only when its code is exchanged (completeSignIn):
    // a sign-in never finished must not break the refresh of the tokens held.
    const pending = this.inSignIn.getStore();
    if (pending) pending.client = client;
    else this.update((record) => ({ ...record, client }));
  }

  tokens(): OAuthTokens | undefined | Promise<OAuthTokens | undefined> {
    const record = this.record();
    const tokens = record?.tokens;
    // Step-up: a refresh keeps the scopes, so the SDK must ask anew (a person, or client credentials).
    // Step-up, or a sign-in with a registration of its own (the refresh token is another client's).
    if (tokens && (this.stepUp(tokens) || this.inSignIn.getStore()?.client)) return { ...tokens, refresh_token: undefined };
    if (this.inRefresh.getStore()) return tokens;
    // A request made while a refresh runs waits for its tokens rather than sending the old ones.
    if (this.refreshing) return this.refreshing.then(() => this.record()?.tokens);
    if (!tokens || !this.expiring(record)) return tokens;
    return this.refresh().then(() => this.record()?.tokens);
  }

  /** Whether the server's last 403 asked for scopes (`insufficient_scope`) that `tokens` were not granted. */
  private stepUp(tokens: OAuthTokens): boolean {
    const challenge = this.challenge;
    if (challenge?.error !== 'insufficient_scope' || !challenge.scope) return false;
    const granted = new Set(tokens.scope?.split(' ') ?? []);
    return challenge.scope.split(' ').some((scope) => scope !== '' && !granted.has(scope));
  }

  saveTokens(tokens: OAuthTokens): void {
    const now = this.now();
    this.update(({ issuerDiscovery: _issuerDiscovery, ...record }) => ({
      ...record,
      tokens,
      obtainedAt: now,
      expiresAt: typeof tokens.expires_in === 'number' ? now + tokens.expires_in * 1000 : undefined,
    }));
    this.challenge = undefined;
    this.recoveredToken = this.recovery ? `Bearer ${tokens.access_token}` : undefined;
    this.recovery?.settle();
  }

  redirectToAuthorization(authorizationUrl: URL): void {
    const signIn = this.inSignIn.getStore();
    if (!signIn) throw this.needsSignIn(`server ${this.server} needs a person to sign in (Connect)`);
    signIn.authorizationUrl = authorizationUrl;
  }

  saveCodeVerifier(codeVerifier: string): void {
    const signIn = this.inSignIn.getStore();
    if (signIn) signIn.codeVerifier = codeVerifier;
  }

  codeVerifier(): string {
    const verifier = this.inSignIn.getStore()?.codeVerifier;
    if (!verifier) throw this.needsSignIn(`server ${this.server}: no sign-in under way`);
    return verifier;
  }

  /**
   * With `clientKeyFile`: the client authenticates at the token endpoint with a JWT signed by its
   * key (`private_key_jwt`, RFC 7523: oauth4webapi's `PrivateKeyJwt`, the audience the
   * authorization server's issuer). Otherwise none: the SDK's own (a secret, or none).
   */
  get addClientAuthentication(): AddClientAuthentication | undefined {
    const file = this.settings.clientKeyFile;
    const clientId = this.settings.clientId;
    if (file === undefined || clientId === undefined) return undefined;
    return async (headers, params, url, metadata) => {
      const issuer = metadata?.issuer ?? new URL(url).origin;
      const authenticate = await privateKeyJwt(file);
      await authenticate({ ...metadata, issuer } as oauth.AuthorizationServer, { client_id: clientId }, params, headers);
    };
  }

  prepareTokenRequest(scope?: string): URLSearchParams | undefined {
    if (this.settings.grant !== 'client_credentials') return undefined;
    return new URLSearchParams({ grant_type: 'client_credentials', ...(scope && { scope }) });
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope !== 'verifier' && scope !== 'discovery') this.recovery?.settle();
    if (scope === 'verifier') {
      const signIn = this.inSignIn.getStore();
      if (signIn) signIn.codeVerifier = undefined;
      return;
    }
    // The SDK drops the tokens when a refresh gets invalid_grant; not when the refused refresh
    // token is an older one than the tokens kept now (a concurrent refresh already rotated it).
    const kept = this.record()?.tokens?.refresh_token;
    if (scope === 'tokens' && kept !== undefined && kept !== this.refusedRefreshToken) return;
    this.update((record) => ({
      url: record.url,
      // A configured client's pin stays (the configuration, not the authorization server, says which client it is).
      ...((this.settings.clientId !== undefined || (scope !== 'all' && scope !== 'client')) && record.client && { client: record.client }),
      ...(scope !== 'all' &&
        scope !== 'tokens' &&
        record.tokens && { tokens: record.tokens, expiresAt: record.expiresAt, signedInAt: record.signedInAt }),
      ...(scope !== 'all' && scope !== 'discovery' && record.discovery && { discovery: record.discovery }),
      // The tokens kept keep the metadata of their issuer (revoke), as forgetDiscovery does.
      ...(scope !== 'all' && scope !== 'tokens' && record.tokens && issuerKept(record, scope === 'discovery')),
    }));
  }

  saveDiscoveryState(discovery: OAuthDiscoveryState): void {
    this.update((record) => ({ ...record, discovery }));
  }

  discoveryState(): OAuthDiscoveryState | undefined {
    const discovery = this.record()?.discovery;
    if (!discovery && !this.engaged) {
      throw new Error('HTTP 401 without OAuth protected resource metadata (no "resource_metadata" in WWW-Authenticate)');
    }
    return discovery;
  }

  // --- the gateway's side ---------------------------------------------------------------------

  /** Whether the access token is near its end: within REFRESH_MARGIN_MS, or past half its life when it lives shorter than twice that. */
  private expiring(record: OAuthRecord): boolean {
    if (record.expiresAt === undefined) return false;
    const life = record.expiresAt - (record.obtainedAt ?? record.expiresAt);
    const margin = Math.min(REFRESH_MARGIN_MS, life / 2);
    return record.expiresAt - this.now() <= margin;
  }

  /** Refreshes the tokens (or gets new ones by client credentials), one refresh at a time; a failure leaves the 401 path to decide. */
  private refresh(): Promise<unknown> {
    this.refreshing ??= this.inRefresh
      .run(true, () => auth(this, { serverUrl: this.config().url, fetchFn: this.flowFetch(fetch) }))
      .catch(() => undefined)
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** The scopes to ask a person for: what was granted before, what the server's last challenge asked for, and the configured ones. */
  private wantedScope(): string | undefined {
    const scopes = new Set([
      ...(this.record()?.tokens?.scope?.split(' ') ?? []),
      ...(this.challenge?.scope?.split(' ') ?? []),
      ...(this.settings.scopes ?? []),
    ]);
    scopes.delete('');
    return scopes.size > 0 ? [...scopes].join(' ') : undefined;
  }

  /**
   * Starts a person's sign-in that comes back to `redirectUrl` (the gateway's callback): resolves
   * with the authorization server's URL to send the person to, or `undefined` when no person was
   * needed after all (a refresh or client credentials worked).
   */
  async beginSignIn(redirectUrl: string, binding?: string): Promise<URL | undefined> {
    const signIn: PendingSignIn = {
      ...(binding !== undefined && { binding }),
      state: randomBytes(24).toString('base64url'),
      redirectUrl,
      expiresAt: this.now() + SIGN_IN_TTL_MS,
    };
    this.signIn = signIn;
    try {
      const result = await this.inSignIn.run(signIn, () =>
        auth(this, {
          serverUrl: this.config().url,
          scope: this.wantedScope(),
          resourceMetadataUrl: this.challenge?.resourceMetadataUrl,
          fetchFn: this.flowFetch(fetch),
        }),
      );
      if (result === 'AUTHORIZED') {
        this.signIn = undefined;
        return undefined;
      }
      if (!signIn.authorizationUrl) throw new Error('the authorization server gave no authorization URL');
      return signIn.authorizationUrl;
    } catch (error) {
      if (this.signIn === signIn) this.signIn = undefined;
      throw error;
    }
  }

  /** Whether `state` is the one of this server's sign-in under way, brought by the browser that started it (compared in constant time). */
  owns(state: string, binding: string | undefined): boolean {
    const signIn = this.signIn;
    if (!signIn || signIn.expiresAt < this.now()) return false;
    if (signIn.binding !== undefined && (binding === undefined || !sameText(signIn.binding, binding))) return false;
    return sameText(signIn.state, state);
  }

  /**
   * Finishes the sign-in with what the authorization server sent to the callback: the `state`
   * must be this sign-in's, `iss` the authorization server's issuer (RFC 9207: required when its
   * metadata says it sends one), and the code is exchanged for tokens.
   */
  async completeSignIn(params: CallbackParams): Promise<void> {
    if (!params.state || !this.owns(params.state, params.binding))
      throw new Error('this sign-in is unknown or has expired; start it again');
    const signIn = this.signIn!;
    try {
      if (params.error)
        throw new Error(
          `the authorization server refused: ${params.error}${params.errorDescription ? ` (${params.errorDescription})` : ''}`,
        );
      if (!params.code) throw new Error('the authorization server sent no code');
      const metadata = this.record()?.discovery?.authorizationServerMetadata as
        { issuer?: string; authorization_response_iss_parameter_supported?: boolean } | undefined;
      if (params.iss !== undefined || metadata?.authorization_response_iss_parameter_supported === true) {
        if (params.iss === undefined) throw new Error('the authorization server sent no "iss" though its metadata says it does (RFC 9207)');
        if (!metadata?.issuer || params.iss !== metadata.issuer)
          throw new Error(
            `the answer came from issuer ${JSON.stringify(params.iss)}, not from ${JSON.stringify(metadata?.issuer)} (RFC 9207)`,
          );
      }
      const result = await this.inSignIn.run(signIn, () =>
        auth(this, {
          serverUrl: this.config().url,
          authorizationCode: params.code,
          resourceMetadataUrl: this.challenge?.resourceMetadataUrl,
          fetchFn: this.flowFetch(fetch),
        }),
      );
      if (result !== 'AUTHORIZED') throw new Error('the authorization server did not issue tokens');
      const client = signIn.client;
      const signedInAt = this.now();
      this.update((record) => ({ ...record, ...(client && { client }), signedInAt }));
    } finally {
      if (this.signIn === signIn) this.signIn = undefined;
    }
  }

  /**
   * Disconnect: revokes the tokens where the authorization server offers revocation (RFC 7009,
   * oauth4webapi; a failure is reported, not thrown) and forgets tokens and registration.
   * Resolves with what could not be revoked, if anything.
   */
  async revoke(): Promise<string | undefined> {
    const record = this.record();
    const tokens = record?.tokens;
    const issuer = tokens && issuerOf(record);
    const metadata = issuer?.authorizationServerMetadata as oauth.AuthorizationServer | undefined;
    let failure: string | undefined;
    if (tokens && !issuer)
      // Another authorization server's tokens (the server moved since): never shown to this one.
      failure = `the tokens were issued by ${tokens.issuer ?? 'another authorization server'}, which the server no longer names: forgotten here, not revoked there`;
    if (tokens && metadata?.revocation_endpoint) {
      try {
        // The configured client goes only where its tokens were issued (issuerOf): its pin's authorization server.
        const clientId = this.settings.clientId;
        const client = clientId !== undefined ? this.configuredClient(clientId) : record?.client;
        if (!client) throw new Error('no client registration');
        const key = this.settings.clientKeyFile;
        const authentication = key
          ? await privateKeyJwt(key)
          : client.client_secret
            ? oauth.ClientSecretBasic(client.client_secret)
            : oauth.None();
        const options = {
          [oauth.allowInsecureRequests]: new URL(metadata.revocation_endpoint).protocol === 'http:',
          signal: () => AbortSignal.timeout(this.limits.timeoutMs),
        };
        // The refresh token first: revoking it ends the grant (and, at most servers, its access tokens).
        for (const token of [tokens.refresh_token, tokens.access_token]) {
          if (!token) continue;
          const response = await oauth.revocationRequest(metadata, { client_id: client.client_id }, authentication, token, options);
          await oauth.processRevocationResponse(response);
        }
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
    }
    this.signIn = undefined;
    this.challenge = undefined;
    this.store.forget(this.server);
    return failure;
  }
}

/**
 * The discovery of the authorization server that issued the record's tokens (their `issuer`
 * stamp): the current one, or the one kept from before the server moved; none when neither is
 * theirs. Tokens without a stamp (kept by an older version) belong to the one before a move.
 */
function issuerOf(record: OAuthRecord): OAuthDiscoveryState | undefined {
  const stamp = record.tokens?.issuer;
  const candidates = [record.issuerDiscovery, record.discovery].filter((discovery) => discovery !== undefined);
  if (typeof stamp !== 'string') return candidates[0];
  return candidates.find((discovery) => sameIssuer(discovery.authorizationServerUrl, stamp));
}

/** The `issuerDiscovery` a record keeps: its own, else (its discovery forgotten) the discovery it had. */
function issuerKept(record: OAuthRecord, forgetting: boolean): Pick<OAuthRecord, 'issuerDiscovery'> {
  const kept = record.issuerDiscovery ?? (forgetting ? record.discovery : undefined);
  return kept ? { issuerDiscovery: kept } : {};
}

/** Two authorization server identifiers, as the SDK compares them (a single trailing `/` aside). */
function sameIssuer(a: string, b: string): boolean {
  const href = (text: string) => {
    try {
      return new URL(text).href.replace(/\/$/, '');
    } catch {
      return text.replace(/\/$/, '');
    }
  };
  return href(a) === href(b);
}

/** The JWS algorithm of a private key: ES256/384/512 by its curve, RS256 for RSA, EdDSA for Ed25519. */
function keyAlgorithm(pem: string): string {
  const key = createPrivateKey(pem);
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === 'ec' && curve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'ec' && curve === 'secp384r1') return 'ES384';
  if (key.asymmetricKeyType === 'ec' && curve === 'secp521r1') return 'ES512';
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  throw new Error(`the client key is a ${key.asymmetricKeyType ?? 'unknown'} key, which private_key_jwt here does not sign with`);
}

/** `private_key_jwt` client authentication with the key in `file` (read at each use, never logged). */
async function privateKeyJwt(file: string): Promise<oauth.ClientAuth> {
  // PKCS #8 whatever the file's PEM form (an `EC PRIVATE KEY` or `RSA PRIVATE KEY` too).
  const pem = createPrivateKey(readFileSync(file, 'utf8')).export({ type: 'pkcs8', format: 'pem' }).toString();
  const { importPKCS8 } = await import('jose');
  return oauth.PrivateKeyJwt(await importPKCS8(pem, keyAlgorithm(pem)));
}

/** What the 2.x client SDK's transports ask of an `AuthProvider` (the bearer token, and a chance to fix a 401). */
export interface BearerAuth {
  token(): Promise<string | undefined>;
  onUnauthorized(context: { fetchFn: FetchLike }): Promise<void>;
}

/** An authorization server's answer, read once and handed to every refresh that shares it. */
interface SharedAnswer {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
}

/** The access token of a successful token answer, if any. */
function accessToken(answer: SharedAnswer | undefined): string | undefined {
  if (answer?.status !== 200) return undefined;
  try {
    const token: unknown = (JSON.parse(answer.body) as { access_token?: unknown }).access_token;
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

/** The bearer token a request carries (its whole `Authorization` value), if any. */
function bearerOf(init: RequestInit | undefined): string | undefined {
  const authorization = new Headers(init?.headers).get('authorization');
  return authorization?.startsWith('Bearer ') ? authorization : undefined;
}

/** `promise`, or nothing after `ms`: a wait that ends either way. */
async function withinTime(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * Whether `init` is a request of the MCP transports (not of the OAuth flow): a POST of JSON-RPC
 * (the SDK sends `JSON.stringify` of its messages, which always holds `"jsonrpc":"2.0"`), a GET
 * of an event stream, or the DELETE that ends a session. Metadata GETs, registration and token
 * POSTs are none of these.
 */
function mcpTraffic(init: RequestInit | undefined): boolean {
  switch (init?.method?.toUpperCase()) {
    case 'POST':
      return typeof init.body === 'string' && init.body.includes('"jsonrpc":"2.0"');
    case 'DELETE':
      return true;
    case 'GET':
    case undefined:
      return init !== undefined && (new Headers(init.headers).get('accept') ?? '').includes('text/event-stream');
    default:
      return false;
  }
}

/** The refresh token of a refresh-token grant request (the SDK posts `URLSearchParams`), else `undefined`. */
function refreshGrantToken(init: RequestInit | undefined): string | undefined {
  const body = init?.body;
  if (init?.method !== 'POST' || !(body instanceof URLSearchParams) || body.get('grant_type') !== 'refresh_token') return undefined;
  return body.get('refresh_token') ?? undefined;
}

/**
 * SEP-2468 (RFC 8414 §3.3): authorization server metadata must name as its `issuer` the issuer
 * its well-known URL was made from — `/.well-known/oauth-authorization-server{path}`,
 * `/.well-known/openid-configuration{path}` or `{path}/.well-known/openid-configuration` —
 * (a single trailing `/` aside), else none of its endpoints is used. Other documents pass.
 */
function checkIssuer(url: URL, body: Buffer): void {
  const path = url.pathname;
  const match =
    /^\/\.well-known\/(?:oauth-authorization-server|openid-configuration)(\/.*)?$/.exec(path) ??
    /^(\/.*?)?\/\.well-known\/openid-configuration$/.exec(path);
  if (!match) return;
  let issuer: unknown;
  try {
    issuer = (JSON.parse(body.toString('utf8')) as { issuer?: unknown }).issuer;
  } catch {
    return; // not JSON: the SDK says so
  }
  const expected = `${url.origin}${match[1] ?? ''}`;
  const trimmed = (text: string) => text.replace(/\/$/, '');
  if (typeof issuer !== 'string' || trimmed(issuer) !== trimmed(expected))
    throw new Error(
      `the authorization server metadata at ${url.origin}${path} names the issuer ${JSON.stringify(issuer)}, not ${expected} (RFC 8414, SEP-2468)`,
    );
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The one redirect URI a dynamically registered client was registered with, if any. */
function registeredRedirect(client: OAuthClientInformationMixed | undefined): string | undefined {
  const uris = client && 'redirect_uris' in client ? client.redirect_uris : undefined;
  return Array.isArray(uris) && typeof uris[0] === 'string' ? uris[0] : undefined;
}
