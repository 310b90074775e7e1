/**
 * UI sign-ins and paired devices: a person signs in once with an admin key (or pairs a phone)
 * and then holds a session token in an
 * HttpOnly, SameSite=Strict cookie (never in a URL or in local storage). The database keeps
 * only the token's SHA-256 and the session's CSRF token, so that sign-ins survive a restart;
 * a copy of each live session sits in memory, so a page view costs no query.
 *
 * Every state-changing request that a session authenticates must carry the session's CSRF
 * token (`X-CSRF-Token` header, or a `_csrf` form field): see `authenticate` and `csrfGuard` in http/security.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { Db } from '../state/db.js';
import { parseScopes, type Identity, type Scope } from './identity.js';

/** The session cookie's name. */
export const SESSION_COOKIE = 'mcpgw_session';

export interface Session {
  /** SHA-256 (hex) of the token: the session's id in the database, never shown. */
  tokenHash: string;
  csrf: string;
  /** Who signed in, as the activity log names callers (`ui`, `ui:<key id>`, `device:<id>`, `anonymous`). */
  caller: string;
  /** For people: `UI (start-up key)`, the device's label… */
  label: string;
  scopes: Scope[];
  /** What the session belongs to, ended with it: `key:<id>` (the key it signed in with) or `device:<id>`. */
  subject: string | null;
  createdAt: number;
  expiresAt: number;
}

interface SessionRow {
  token_hash: string;
  csrf: string;
  caller: string;
  label: string;
  scopes: string;
  subject: string | null;
  created_at: number;
  expires_at: number;
}

/** Who a new session is for. */
export type SessionOwner = Pick<Session, 'caller' | 'label' | 'scopes' | 'subject'>;

/** The identity a session gives the requests it authenticates. */
export function sessionIdentity(session: Session): Identity {
  return {
    kind: session.subject?.startsWith('device:') ? 'device' : 'session',
    id: session.caller,
    label: session.label,
    scopes: session.scopes,
  };
}

/** SHA-256 (hex) of a token: what sessions, keys and devices store instead of the token. */
export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const newSecret = () => randomBytes(32).toString('base64url');
/** Sessions kept in memory only (see `create`); the oldest goes first. */
const MAX_EPHEMERAL = 1000;
/** A token as `newSecret` makes them: anything else is not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export class SessionStore extends EventEmitter<{ ended: [tokenHash: string] }> {
  private readonly live = new Map<string, Session>();
  /** Hashes of the sessions kept in memory only, oldest first. */
  private readonly ephemeral = new Set<string>();
  private readonly insert;
  private readonly remove;
  private readonly select;
  private readonly removeExpired;
  private readonly ofSubject;

  constructor(
    db: Db,
    /** Lifetime of a new session, in ms, read at each sign-in (`gateway.sessionTtlMs`). */
    private readonly ttlMs: () => number,
  ) {
    super();
    this.insert = db.prepare(
      'INSERT INTO ui_sessions (token_hash, csrf, caller, label, scopes, subject, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.ofSubject = db.prepare('SELECT token_hash FROM ui_sessions WHERE subject = ?');
    this.remove = db.prepare('DELETE FROM ui_sessions WHERE token_hash = ?');
    this.select = db.prepare('SELECT * FROM ui_sessions WHERE token_hash = ?');
    this.removeExpired = db.prepare('DELETE FROM ui_sessions WHERE expires_at <= ?');
    this.removeExpired.run(Date.now());
  }

  /**
   * Starts a session; returns the token, to be set as the cookie and then forgotten. A session of
   * nobody in particular (`persist: false`: the CSRF carrier of a gateway without a key) lives in
   * memory only, at most `MAX_EPHEMERAL` of them, so page views cannot grow the database.
   */
  create(owner: SessionOwner, options: { persist?: boolean; ttlMs?: number } = {}, now = Date.now()): { token: string; session: Session } {
    const token = newSecret();
    const session: Session = {
      tokenHash: hashToken(token),
      csrf: newSecret(),
      ...owner,
      scopes: [...owner.scopes],
      createdAt: now,
      expiresAt: now + (options.ttlMs ?? this.ttlMs()),
    };
    if (options.persist === false) {
      this.ephemeral.add(session.tokenHash);
      if (this.ephemeral.size > MAX_EPHEMERAL) {
        const oldest = this.ephemeral.values().next().value!;
        this.ephemeral.delete(oldest);
        this.live.delete(oldest);
      }
    } else {
      const { tokenHash, csrf, caller, label, scopes, subject, createdAt, expiresAt } = session;
      this.insert.run(tokenHash, csrf, caller, label, scopes.join(' '), subject, createdAt, expiresAt);
    }
    this.live.set(session.tokenHash, session);
    return { token, session };
  }

  /** The live session of a token, or undefined (unknown, malformed or expired). */
  find(token: string | undefined, now = Date.now()): Session | undefined {
    if (!token || !TOKEN_SHAPE.test(token)) return undefined;
    const tokenHash = hashToken(token);
    let session = this.live.get(tokenHash);
    if (!session) {
      const row = this.select.get(tokenHash) as SessionRow | undefined;
      if (!row) return undefined;
      session = {
        tokenHash,
        csrf: row.csrf,
        caller: row.caller,
        label: row.label,
        scopes: parseScopes(row.scopes),
        subject: row.subject,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      };
      this.live.set(tokenHash, session);
    }
    if (session.expiresAt <= now) {
      this.end(session);
      return undefined;
    }
    return session;
  }

  /** Ends a session; its live streams close (they listen for `ended`). */
  end(session: Session): void {
    this.live.delete(session.tokenHash);
    this.ephemeral.delete(session.tokenHash);
    this.remove.run(session.tokenHash);
    this.emit('ended', session.tokenHash);
  }

  /** Ends every session of a key or device (`key:<id>`, `device:<id>`), at once: their live streams close. */
  endSubject(subject: string): number {
    const hashes = new Set((this.ofSubject.all(subject) as { token_hash: string }[]).map((row) => row.token_hash));
    for (const session of this.live.values()) if (session.subject === subject) hashes.add(session.tokenHash);
    for (const tokenHash of hashes) {
      const session = this.live.get(tokenHash);
      if (session) this.end(session);
      else {
        this.remove.run(tokenHash);
        this.emit('ended', tokenHash);
      }
    }
    return hashes.size;
  }

  /** Forgets expired sessions (run now and then). */
  prune(now = Date.now()): void {
    for (const session of this.live.values()) {
      if (session.expiresAt > now) continue;
      this.live.delete(session.tokenHash);
      this.ephemeral.delete(session.tokenHash);
    }
    this.removeExpired.run(now);
  }
}

/** The session token from the request's cookie, if any. */
export function sessionToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header || !header.includes(SESSION_COOKIE)) return undefined;
  return parseCookies(header)[SESSION_COOKIE];
}

/** Whether the client reached us over HTTPS (directly or through a proxy that says so). */
function isHttps(req: IncomingMessage): boolean {
  return Boolean((req.socket as { encrypted?: boolean }).encrypted) || req.headers['x-forwarded-proto'] === 'https';
}

/** The `Set-Cookie` value that stores `token` for `maxAgeMs`, scoped to the gateway's path. */
export function sessionCookie(req: IncomingMessage, token: string, maxAgeMs: number, path: string): string {
  return serializeCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: isHttps(req),
    path: path || '/',
    maxAge: Math.max(0, Math.floor(maxAgeMs / 1000)),
  });
}

/** The `Set-Cookie` value that removes the session cookie. */
export function clearedSessionCookie(req: IncomingMessage, path: string): string {
  return sessionCookie(req, '', 0, path);
}
