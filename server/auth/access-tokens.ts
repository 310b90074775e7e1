/**
 * The gateway as an OAuth 2.1 resource server (`gateway.resourceServer`): who an access token from
 * the configured authorization server is, and what it may do.
 *
 * - A JWT is verified locally with `jose`: its signature against the issuer's JWKS (`jwks_uri` of
 *   its metadata, or `jwksUri`), an algorithm from the allow-list (asymmetric only), `iss`, `aud`
 *   (one of the audiences the request accepts), `exp` (required) and `nbf` (30 s of clock skew
 *   allowed), and that it is an access token (`typ` `at+jwt`, `JWT` or none; no ID-token claims).
 * - With `introspection`, every token is asked about instead (RFC 7662, HTTP Basic with the
 *   gateway's client id and the secret read from its file): it must be `active`, of the issuer
 *   when the answer names one, and for one of the audiences. Answers are kept `cacheMs` per token
 *   (by its SHA-256, never past its `exp`), refusals too; the same token asked about at once is
 *   asked once, and a caller held by the failure limit asks nothing (`TooManyAttempts`).
 * - The token's scopes become gateway scopes through the default mapping (each gateway scope
 *   grants itself) and `scopeMap`; a token without one of `requiredScopes` is refused with
 *   `insufficient_scope`.
 *
 * The identity is `oauth:<sub>@<issuer>` (`oauth-client:<client id>@<issuer>` when there is no
 * `sub`; see `callerId`), labelled with the subject: the activity log records it as the caller. The token itself is never kept, logged or
 * passed on. `jose` is loaded on the first token, so a gateway without a resource server never
 * loads it. The issuer's metadata is fetched once per issuer (again after a failure).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JWTPayload } from 'jose';
import type { ResourceServerSettings } from '../config/types.js';
import { SCOPES, type Identity, type Scope } from './identity.js';

/** Why a token was refused: `invalid_token` (401) or `insufficient_scope` (403), as RFC 6750 names them. */
export class AccessTokenError extends Error {
  constructor(
    readonly error: 'invalid_token' | 'insufficient_scope',
    message: string,
    /** For `insufficient_scope`: the token scopes that would do. */
    readonly scope?: string,
    /**
     * Whether the refusal counts as a failed attempt (the failure limit). Not for a token the
     * issuer signed that has only expired: a client refreshes on its 401, it guessed nothing.
     */
    readonly counts = true,
  ) {
    super(message);
  }
}

/** Thrown instead of asking the authorization server about a token while its caller waits out the failure limit. */
export class TooManyAttempts extends Error {
  constructor(readonly retryAfter: number) {
    super('too many failed attempts');
  }
}

/** How long a fetch of the issuer's metadata or an introspection may take, in ms. */
const FETCH_TIMEOUT_MS = 10_000;

/** How far the clocks of the gateway and the authorization server may differ for `exp` and `nbf`, in seconds. */
const CLOCK_TOLERANCE_S = 30;

/** The `typ` headers of access-token JWTs: RFC 9068's `at+jwt`, and the plain `JWT` (or none) many servers still write. */
const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt', 'jwt']);

/**
 * Whether a verified JWT is an access token, not an ID token of the same issuer (which a client
 * holds too): `typ` one of `ACCESS_TOKEN_TYPES` or none, and no claim only ID tokens carry
 * (`nonce`, `at_hash`, `c_hash`, Keycloak's `typ: "ID"`).
 */
function isAccessTokenJwt(typ: string | undefined, payload: JWTPayload): boolean {
  if (typ !== undefined && !ACCESS_TOKEN_TYPES.has(typ.toLowerCase())) return false;
  return payload.nonce === undefined && payload.at_hash === undefined && payload.c_hash === undefined && payload.typ !== 'ID';
}

/** Most introspection answers kept at once; the oldest go first. */
const MAX_CACHED = 1000;

interface Metadata {
  jwks_uri?: string;
  introspection_endpoint?: string;
}

/** An introspection answer kept: the token's claims, or why it is refused. */
interface Cached {
  until: number;
  claims?: JWTPayload;
  error?: AccessTokenError;
}

/** What `AccessTokens` needs per request: the audiences a token for this request may name. */
export type Audiences = readonly string[];

const jose = () => import('jose');

export class AccessTokens {
  private metadata = new Map<string, Promise<Metadata>>();
  private keySets = new Map<string, ReturnType<Awaited<ReturnType<typeof jose>>['createRemoteJWKSet']>>();
  private cache = new Map<string, Cached>();
  /** Introspections under way, by the cache key: the same token asked about at once is asked once. */
  private asking = new Map<string, Promise<Cached>>();

  /** `settings`: `gateway.resourceServer` in force, read at each use (a reload applies it). */
  constructor(readonly settings: () => ResourceServerSettings | undefined) {}

  /**
   * The identity of `token`, or an `AccessTokenError` (thrown) saying why it is refused.
   * `retryAfter`: how long the caller must wait out the failure limit (seconds, 0 for not at all),
   * asked before the authorization server would be (an introspection not cached nor under way):
   * `TooManyAttempts` then, and nothing is asked.
   */
  async verify(token: string, audiences: Audiences, retryAfter: () => number = () => 0): Promise<Identity> {
    const settings = this.settings();
    if (!settings) throw new AccessTokenError('invalid_token', 'the gateway takes no access tokens');
    const claims = settings.introspection
      ? await this.introspect(token, audiences, settings, retryAfter)
      : await this.verifyJwt(token, audiences, settings);
    return identityOf(claims, settings);
  }

  private async verifyJwt(token: string, audiences: Audiences, settings: ResourceServerSettings): Promise<JWTPayload> {
    const { createRemoteJWKSet, jwtVerify, errors } = await jose();
    const jwksUri = settings.jwksUri ?? (await this.issuerMetadata(settings.issuer)).jwks_uri;
    if (!jwksUri) throw new AccessTokenError('invalid_token', `the issuer's metadata names no jwks_uri`);
    let keys = this.keySets.get(jwksUri);
    if (!keys) this.keySets.set(jwksUri, (keys = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: FETCH_TIMEOUT_MS })));
    try {
      const { payload, protectedHeader } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        audience: [...audiences],
        algorithms: settings.algorithms,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      if (!isAccessTokenJwt(protectedHeader.typ, payload))
        throw new AccessTokenError('invalid_token', 'the token is not an access token (an ID token, or its typ is not at+jwt nor JWT)');
      return payload;
    } catch (error) {
      // The keys cannot be had (timeout, not a key set, an error status or not JSON: jose's
      // generic error): nothing is known about the token (503, not 401).
      if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || isGeneric(error))
        throw new Error(`the keys at ${jwksUri}: ${(error as Error).message}`);
      // jose checks the claims once the signature verifies: the issuer made this token.
      if (error instanceof errors.JWTExpired) throw new AccessTokenError('invalid_token', 'the access token has expired', undefined, false);
      if (error instanceof errors.JWTClaimValidationFailed) {
        const claim = error.claim === 'aud' ? 'audience (aud)' : error.claim === 'iss' ? 'issuer (iss)' : `"${error.claim}" claim`;
        throw new AccessTokenError('invalid_token', `the access token's ${claim} is not accepted here`);
      }
      if (error instanceof errors.JOSEError)
        throw new AccessTokenError('invalid_token', `the access token does not verify (${error.code})`);
      throw error;
    }
  }

  private async introspect(
    token: string,
    audiences: Audiences,
    settings: ResourceServerSettings,
    retryAfter: () => number,
  ): Promise<JWTPayload> {
    // Per token (its hash), issuer and audiences: a reload that changes them asks again.
    const key = `${createHash('sha256').update(token).digest('base64url')} ${settings.issuer} ${audiences.join(' ')}`;
    const cached = this.cache.get(key);
    let result: Cached;
    if (cached && cached.until > Date.now()) result = cached;
    else {
      let asking = this.asking.get(key);
      if (!asking) {
        const wait = retryAfter();
        if (wait > 0) throw new TooManyAttempts(wait);
        asking = this.ask(token, key, audiences, settings).finally(() => this.asking.delete(key));
        this.asking.set(key, asking);
      }
      result = await asking;
    }
    if (result.error) throw result.error;
    return result.claims!;
  }

  /** Asks the authorization server about `token` (RFC 7662), and keeps the answer under `key`. */
  private async ask(token: string, key: string, audiences: Audiences, settings: ResourceServerSettings): Promise<Cached> {
    const introspection = settings.introspection!;
    const now = Date.now();
    const endpoint = introspection.endpoint ?? (await this.issuerMetadata(settings.issuer)).introspection_endpoint;
    if (!endpoint) throw new AccessTokenError('invalid_token', `the issuer's metadata names no introspection_endpoint`);
    const secret = readFileSync(introspection.clientSecretFile, 'utf8').trim();
    const basic = Buffer.from(`${encodeURIComponent(introspection.clientId)}:${encodeURIComponent(secret)}`).toString('base64');
    const answer = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!answer.ok) throw new Error(`introspection at ${endpoint} answered ${answer.status}`);
    const claims = (await answer.json()) as JWTPayload & { active?: unknown };
    let result: Cached;
    const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
    if (claims.active !== true) result = { until: 0, error: new AccessTokenError('invalid_token', 'the access token is not active') };
    else if (claims.iss !== undefined && claims.iss !== settings.issuer)
      result = { until: 0, error: new AccessTokenError('invalid_token', "the access token's issuer (iss) is not accepted here") };
    else if (!aud.some((value) => audiences.includes(value)))
      result = { until: 0, error: new AccessTokenError('invalid_token', "the access token's audience (aud) is not accepted here") };
    else result = { until: 0, claims };
    const expires = typeof claims.exp === 'number' ? claims.exp * 1000 : Number.POSITIVE_INFINITY;
    result.until = Math.min(now + introspection.cacheMs, expires);
    if (introspection.cacheMs > 0) {
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, result);
    }
    return result;
  }

  /** RFC 8414 metadata (`/.well-known/oauth-authorization-server`), else OpenID discovery. */
  private issuerMetadata(issuer: string): Promise<Metadata> {
    let found = this.metadata.get(issuer);
    if (!found) {
      found = fetchMetadata(issuer);
      this.metadata.set(issuer, found);
      found.catch(() => this.metadata.delete(issuer));
    }
    return found;
  }
}

/** jose's `ERR_JOSE_GENERIC`: what it throws when the JWKS endpoint answers an error status or no JSON. */
function isGeneric(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_JOSE_GENERIC';
}

async function fetchMetadata(issuer: string): Promise<Metadata> {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname;
  const candidates = [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
  for (const candidate of candidates) {
    const answer = await fetch(candidate, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!answer.ok) continue;
    const metadata = (await answer.json()) as Metadata & { issuer?: string };
    if (metadata.issuer !== issuer)
      throw new Error(`the metadata at ${candidate} is of issuer ${JSON.stringify(metadata.issuer)}, not ${issuer}`);
    return metadata;
  }
  throw new Error(`no authorization server metadata for ${issuer}`);
}

/** The token scopes of `claims` (`scope`, space-separated, or `scp`: a list, or space-separated too as Entra writes it). */
function tokenScopes(claims: JWTPayload): string[] {
  const listed = typeof claims.scope === 'string' ? claims.scope : claims.scp;
  if (typeof listed === 'string') return listed.split(' ').filter(Boolean);
  if (Array.isArray(listed)) return listed.filter((scope): scope is string => typeof scope === 'string');
  return [];
}

/** What each token scope grants: the default mapping (each gateway scope itself) plus `scopeMap`. */
function grants(settings: ResourceServerSettings, tokenScope: string): readonly Scope[] {
  // Own keys only: a token scope such as `constructor` names nothing of Object.prototype.
  if (Object.hasOwn(settings.scopeMap, tokenScope)) return settings.scopeMap[tokenScope]!;
  return (SCOPES as readonly string[]).includes(tokenScope) ? [tokenScope as Scope] : [];
}

/** The token scopes that grant one of `needed` (for the `scope` of an `insufficient_scope` challenge). */
export function tokenScopesFor(settings: ResourceServerSettings, needed: readonly Scope[]): string[] {
  const names = new Set([...SCOPES, ...Object.keys(settings.scopeMap)]);
  const granting = [...names].filter((name) => grants(settings, name).some((scope) => needed.includes(scope)));
  return [...new Set([...settings.requiredScopes, ...granting])];
}

function identityOf(claims: JWTPayload, settings: ResourceServerSettings): Identity {
  const scopes = tokenScopes(claims);
  const missing = settings.requiredScopes.filter((scope) => !scopes.includes(scope));
  if (missing.length > 0) {
    throw new AccessTokenError(
      'insufficient_scope',
      `the access token lacks the scope ${missing.join(', ')}`,
      settings.requiredScopes.join(' '),
    );
  }
  const sub = typeof claims.sub === 'string' && claims.sub ? claims.sub : undefined;
  const clientId = typeof claims.client_id === 'string' && claims.client_id ? claims.client_id : undefined;
  const subject = sub ?? clientId;
  if (!subject) throw new AccessTokenError('invalid_token', 'the access token names no subject (sub) nor client (client_id)');
  const label = subject.replace(/[^\x20-\x7e]/g, '').slice(0, 128) || '?';
  return {
    kind: 'access-token',
    id: callerId(sub ? 'oauth' : 'oauth-client', subject, settings.issuer),
    label,
    scopes: [...new Set(scopes.flatMap((scope) => grants(settings, scope)))],
  };
}

/** Longest caller id spelled out; a longer one is its hash. */
const MAX_ID = 128;

/**
 * The caller id of a token's subject (`namespace` `oauth`) or, without one, its client
 * (`oauth-client`): `oauth:<sub>@<issuer>`, the subject percent-encoded (so that no two subjects
 * share an id: `José` and `Josè` differ, `@` cannot be forged) and the issuer without its scheme.
 * The id owns MCP sessions, tasks, async calls and approvals; one that would be longer than 128
 * characters is `oauth:sha256:<hash of issuer and subject>`.
 */
function callerId(namespace: 'oauth' | 'oauth-client', subject: string, issuer: string): string {
  const id = `${namespace}:${encodeURIComponent(subject)}@${issuer.replace(/^https?:\/\//, '')}`;
  if (id.length <= MAX_ID) return id;
  return `${namespace}:sha256:${createHash('sha256').update(`${issuer}\n${subject}`).digest('base64url')}`;
}
