/**
 * Remote servers' OAuth records (server/upstream/oauth-store.ts: client registration, tokens,
 * discovery) in the state database, ENCRYPTED at rest: each row is AES-256-GCM (node:crypto) of the
 * record's JSON, under a key derived (HKDF, purpose `oauth-records`) from the secrets key, with the
 * server's name as additional data so that a row cannot be moved to another server.
 *
 * The secrets key is 32 bytes written as 64 hex digits: `gateway.secretsKeyFile`, else the systemd
 * credential `secrets-key` (`$CREDENTIALS_DIRECTORY/secrets-key`, passed in by main.ts), else
 * `<state-dir>/secrets.key`, made on the first start (mode 0600). It lives apart from the database,
 * so that a copy of `gateway.db` alone holds no usable token. A row that does not decrypt (the key
 * changed, the row was tampered with) reads as absent — the server asks for a sign-in again — and is
 * logged once, without its content.
 *
 * Rows are read once and kept decrypted in memory (the transport asks for the token on every
 * request); writes go to both.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from './db.js';
import type { OAuthRecord, OAuthStore } from '../upstream/oauth-store.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class OAuthRecords implements OAuthStore {
  private readonly cache = new Map<string, OAuthRecord | undefined>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly db: Db,
    /** The 32-byte key of the rows (GatewaySecret.key('oauth-records') of the secrets key). */
    private readonly key: Buffer,
    private readonly log: Logger,
  ) {}

  load(server: string): OAuthRecord | undefined {
    if (this.cache.has(server)) return this.cache.get(server);
    const row = this.db.prepare('SELECT data FROM oauth_records WHERE server = ?').get(server) as { data: Buffer } | undefined;
    const record = row ? this.open(server, row.data) : undefined;
    this.cache.set(server, record);
    return record;
  }

  save(server: string, record: OAuthRecord): void {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(server));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(record), 'utf8'), cipher.final()]);
    const data = Buffer.concat([iv, cipher.getAuthTag(), sealed]);
    this.db
      .prepare(
        `INSERT INTO oauth_records (server, data, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (server) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
      )
      .run(server, data, Date.now());
    this.cache.set(server, structuredClone(record));
  }

  forget(server: string): void {
    this.db.prepare('DELETE FROM oauth_records WHERE server = ?').run(server);
    this.cache.set(server, undefined);
  }

  /** Forgets what was read, so that the next load reads the row anew (another process wrote it: `mcp-gateway oauth login`). */
  reread(server: string): void {
    this.cache.delete(server);
  }

  private open(server: string, data: Buffer): OAuthRecord | undefined {
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(server));
      decipher.setAuthTag(data.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const text = Buffer.concat([decipher.update(data.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      return JSON.parse(text) as OAuthRecord;
    } catch {
      if (!this.warned.has(server)) {
        this.warned.add(server);
        this.log.warn(
          { server },
          `the stored OAuth tokens of server ${server} cannot be decrypted (the secrets key changed?); it needs a new sign-in`,
        );
      }
      return undefined;
    }
  }
}
