/**
 * API keys for callers (Open WebUI, scripts), made through `/api/keys` or the UI. A key is shown
 * once, when it is made; the database keeps only the SHA-256 of its token. A copy of every live
 * key sits in memory, so authenticating a call costs no query.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Db } from '../state/db.js';
import { parseScopes, type Identity, type Scope } from './identity.js';
import { hashToken } from './sessions.js';

/** What a key looks like: `mgw_` and 43 base64url characters (32 random bytes). */
const TOKEN_SHAPE = /^mgw_[A-Za-z0-9_-]{43}$/;
/** `last_used_at` is written at most this often per key, in ms. */
const LAST_USED_EVERY_MS = 60_000;

export interface ApiKey {
  id: string;
  label: string;
  scopes: Scope[];
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /**
   * Whether calls with this key may say which user they are made for (Open WebUI's
   * `X-OpenWebUI-User-*` headers, auth/forwarded-user.ts); those of other keys are ignored. Default false.
   */
  trustForwardedUser: boolean;
}

/** What a new key may be given besides its label and scopes. */
export interface KeyOptions {
  /** See `ApiKey.trustForwardedUser`. Default false. */
  trustForwardedUser?: boolean;
}

interface KeyRow {
  id: string;
  label: string;
  scopes: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  trust_forwarded_user: number;
}

const toKey = (row: KeyRow): ApiKey => ({
  id: row.id,
  label: row.label,
  scopes: parseScopes(row.scopes),
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
  trustForwardedUser: row.trust_forwarded_user === 1,
});

/** The identity a key gives its bearer. */
export function keyIdentity(key: ApiKey): Identity {
  const identity: Identity = { kind: 'key', id: `key:${key.id}`, label: key.label, scopes: key.scopes };
  if (key.trustForwardedUser) identity.trustForwardedUser = true;
  return identity;
}

export class KeyStore extends EventEmitter<{ revoked: [ApiKey] }> {
  /** Live keys by token hash. */
  private readonly live = new Map<string, ApiKey>();
  private readonly insert;
  private readonly revokeRow;
  private readonly touch;
  private readonly trust;
  private readonly all;
  private readonly one;

  constructor(db: Db) {
    super();
    this.insert = db.prepare(
      'INSERT INTO api_keys (id, label, scopes, token_hash, created_at, trust_forwarded_user) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.revokeRow = db.prepare("UPDATE api_keys SET revoked_at = ?, token_hash = 'revoked:' || id WHERE id = ? AND revoked_at IS NULL");
    this.touch = db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?');
    this.trust = db.prepare('UPDATE api_keys SET trust_forwarded_user = ? WHERE id = ?');
    this.all = db.prepare('SELECT * FROM api_keys ORDER BY created_at DESC, id');
    this.one = db.prepare('SELECT * FROM api_keys WHERE id = ?');
    for (const row of this.all.all() as KeyRow[]) {
      if (row.revoked_at === null) this.live.set(row.token_hash, toKey(row));
    }
  }

  /** Makes a key; the token is returned this once and never stored. */
  create(label: string, scopes: Scope[], options: KeyOptions = {}, now = Date.now()): { key: ApiKey; token: string } {
    const token = `mgw_${randomBytes(32).toString('base64url')}`;
    const key: ApiKey = {
      id: randomBytes(6).toString('hex'),
      label,
      scopes: [...new Set(scopes)],
      createdAt: now,
      lastUsedAt: null,
      revokedAt: null,
      trustForwardedUser: options.trustForwardedUser === true,
    };
    const tokenHash = hashToken(token);
    this.insert.run(key.id, key.label, key.scopes.join(' '), tokenHash, now, key.trustForwardedUser ? 1 : 0);
    this.live.set(tokenHash, key);
    return { key, token };
  }

  /** Every key, newest first, revoked ones included. */
  list(): ApiKey[] {
    return (this.all.all() as KeyRow[]).map(toKey);
  }

  get(id: string): ApiKey | undefined {
    const row = this.one.get(id) as KeyRow | undefined;
    return row && toKey(row);
  }

  /** Sets whether the key's forwarded users are believed (`ApiKey.trustForwardedUser`), from its next request on. */
  setTrustForwardedUser(id: string, trust: boolean): ApiKey | undefined {
    if (this.trust.run(trust ? 1 : 0, id).changes === 0) return undefined;
    for (const key of this.live.values()) if (key.id === id) key.trustForwardedUser = trust;
    return this.get(id);
  }

  /** Revokes a key: its next request fails and the UI sessions it signed in end. */
  revoke(id: string, now = Date.now()): ApiKey | undefined {
    if (this.revokeRow.run(now, id).changes === 0) return undefined;
    for (const [hash, key] of this.live) {
      if (key.id === id) this.live.delete(hash);
    }
    const key = this.get(id)!;
    this.emit('revoked', key);
    return key;
  }

  /** The live key of a token, or undefined. Lookup by hash; the hash of a guess reveals nothing. */
  find(token: string, now = Date.now()): ApiKey | undefined {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    const key = this.live.get(hashToken(token));
    if (key && (key.lastUsedAt === null || now - key.lastUsedAt >= LAST_USED_EVERY_MS)) {
      key.lastUsedAt = now;
      this.touch.run(now, key.id);
    }
    return key;
  }
}
