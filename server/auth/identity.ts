/**
 * Who a request comes from, once authenticated: the gateway's start-up key, an API key made
 * through `/api/keys`, a UI session (signed in with an admin key), a paired device, or nobody
 * (a gateway without a key). Each has the scopes it may use; `scopes.ts` says which scope each
 * route needs.
 */

/** What an identity may do. `admin` holds every other scope. */
export type Scope = 'tools:call' | 'tools:read' | 'approvals:decide' | 'admin';

export const SCOPES: readonly Scope[] = ['tools:call', 'tools:read', 'approvals:decide', 'admin'];

/** The scopes of a paired device: it reads and decides approvals, nothing else. */
export const DEVICE_SCOPES: readonly Scope[] = ['approvals:decide', 'tools:read'];

/** `access-token`: an OAuth access token from `gateway.resourceServer`'s issuer (auth/access-tokens.ts). */
export type IdentityKind = 'startup-key' | 'key' | 'session' | 'device' | 'access-token' | 'anonymous';

export interface Identity {
  kind: IdentityKind;
  /**
   * The caller id the activity log and approvals record: `api-key` (the start-up key),
   * `key:<id>`, `ui` (a UI session of the start-up key), `ui:<key id>`, `device:<id>`, `oauth:<token subject>@<issuer>`
   * or `anonymous`.
   */
  id: string;
  /** For people: the key's or device's label, e.g. `Open WebUI` or `Pixel 8`. */
  label: string;
  scopes: readonly Scope[];
  /**
   * Whether the caller's forwarded user headers (`X-OpenWebUI-User-*`) are believed: only for an
   * API key made with `trustForwardedUser` (see forwarded-user.ts). Default false.
   */
  trustForwardedUser?: boolean;
}

export function hasScope(identity: Pick<Identity, 'scopes'>, scope: Scope): boolean {
  return identity.scopes.includes('admin') || identity.scopes.includes(scope);
}

/** The caller id recorded for requests authenticated with the gateway's start-up key. */
export const API_KEY_CALLER = 'api-key';

/** The caller id of UI sessions signed in with the start-up key. */
export const UI_CALLER = 'ui';

/** The caller id of requests nobody authenticated (no key configured). */
export const ANONYMOUS = 'anonymous';

/** The start-up key (`--api-key-file`): an admin key. */
export const STARTUP_KEY: Identity = Object.freeze({
  kind: 'startup-key',
  id: API_KEY_CALLER,
  label: 'start-up key',
  scopes: ['admin'] as Scope[],
});

/** Anyone, on a gateway without a key: it trusts whoever reaches it (loopback by default). */
export const ANONYMOUS_IDENTITY: Identity = Object.freeze({
  kind: 'anonymous',
  id: ANONYMOUS,
  label: 'anonymous',
  scopes: ['admin'] as Scope[],
});

/** `"tools:call tools:read"` → scopes; unknown words are dropped. */
export function parseScopes(text: string): Scope[] {
  return text.split(/\s+/).filter((word): word is Scope => (SCOPES as readonly string[]).includes(word));
}
