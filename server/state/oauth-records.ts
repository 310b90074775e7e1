/**
 * Remote servers' OAuth records (server/upstream/oauth-store.ts: client registration, tokens,
 * discovery) in the state database, ENCRYPTED at rest: each row is AES-256-GCM (node:crypto) of the
 * record's JSON, under a key derived (HKDF, purpose `oauth-records`) from the secrets key, with the
 * server's name as additional data so that a row cannot be moved to another server. The records of
 * a `perUserAuth` server's users (`oauth_user_records`, one per server and user id) are sealed the
 * same way, with the JSON of `[server, user]` as additional data (a row cannot be moved to another
 * user either).
 *
 * The secrets key is 32 bytes written as 64 hex digits: `gateway.secretsKeyFile`, else the systemd
 * credential `secrets-key` (`$CREDENTIALS_DIRECTORY/secrets-key`, passed in by main.ts), else
 * `<state-dir>/secrets.key`, made on the first start (mode 0600). It lives apart from the database,
 * so that a copy of `gateway.db` alone holds no usable token. A row that does not decrypt (the key
 * changed, the row was tampered with) reads as absent — the server asks for a sign-in again — and is
 * logged once, without its content.
 *
 * Rows are read once and kept decrypted in memory (the transport asks for the token on every
 * request); writes go to both. A user's row that is not there is not remembered as missing (any
 * caller may name any user id), so memory holds the users who have records only.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from './db.js';
import type { OAuthRecord, OAuthStore } from '../upstream/oauth-store.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class OAuthRecords implements OAuthStore {
  /** Decrypted records by row key (`aad`): the server's name, or the JSON of `[server, user]`. */
  private readonly cache = new Map<string, OAuthRecord | undefined>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly db: Db,
    /** The 32-byte key of the rows (GatewaySecret.key('oauth-records') of the secrets key). */
    private readonly key: Buffer,
    private readonly log: Logger,
  ) {}

  load(server: string): OAuthRecord | undefined {
    return this.read(server, server, () => this.db.prepare('SELECT data FROM oauth_records WHERE server = ?').get(server));
  }

  save(server: string, record: OAuthRecord): void {
    this.db
      .prepare(
        `INSERT INTO oauth_records (server, data, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (server) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
      )
      .run(server, this.seal(server, record), Date.now());
    this.cache.set(server, structuredClone(record));
  }

  forget(server: string): void {
    this.db.prepare('DELETE FROM oauth_records WHERE server = ?').run(server);
    this.cache.set(server, undefined);
    for (const user of this.usersOf(server)) this.forgetFor(server, user);
  }

  loadFor(server: string, user: string): OAuthRecord | undefined {
    // A miss is not kept: a caller may name any user id, and each one would stay in memory for good.
    return this.read(
      server,
      userRow(server, user),
      () => this.db.prepare('SELECT data FROM oauth_user_records WHERE server = ? AND user = ?').get(server, user),
      false,
    );
  }

  saveFor(server: string, user: string, record: OAuthRecord): void {
    const row = userRow(server, user);
    this.db
      .prepare(
        `INSERT INTO oauth_user_records (server, user, data, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (server, user) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
      )
      .run(server, user, this.seal(row, record), Date.now());
    this.cache.set(row, structuredClone(record));
  }

  forgetFor(server: string, user: string): void {
    this.db.prepare('DELETE FROM oauth_user_records WHERE server = ? AND user = ?').run(server, user);
    this.cache.delete(userRow(server, user));
  }

  usersOf(server: string): string[] {
    const rows = this.db.prepare('SELECT user FROM oauth_user_records WHERE server = ? ORDER BY user').all(server) as { user: string }[];
    return rows.map((row) => row.user);
  }

  /** Forgets what was read, so that the next load reads the row anew (another process wrote it: `mcp-gateway oauth login`). */
  reread(server: string): void {
    this.cache.delete(server);
  }

  /** The row's record, from memory or read (and kept); a missing row is kept as absent only with `keepMiss`. */
  private read(server: string, row: string, select: () => unknown, keepMiss = true): OAuthRecord | undefined {
    if (this.cache.has(row)) return this.cache.get(row);
    const found = select() as { data: Buffer } | undefined;
    const record = found ? this.open(server, row, found.data) : undefined;
    if (found || keepMiss) this.cache.set(row, record);
    return record;
  }

  /** The row's bytes: IV, tag, then the AES-256-GCM ciphertext of the record's JSON, bound to `aad`. */
  private seal(aad: string, record: OAuthRecord): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(record), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]);
  }

  private open(server: string, aad: string, data: Buffer): OAuthRecord | undefined {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(data.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const text = Buffer.concat([decipher.update(data.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      return JSON.parse(text) as OAuthRecord;
    } catch {
      if (!this.warned.has(aad)) {
        this.warned.add(aad);
        this.log.warn(
          { server },
          `the stored OAuth tokens of server ${server} cannot be decrypted (the secrets key changed?); it needs a new sign-in`,
        );
      }
      return undefined;
    }
  }
}

/** The row key (and additional data) of one user's record: cannot be mistaken for a server's name alone. */
function userRow(server: string, user: string): string {
  return JSON.stringify([server, user]);
}
