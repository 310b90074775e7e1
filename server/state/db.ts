/**
 * The gateway's SQLite database: `<state-dir>/gateway.db`, in WAL mode with a busy timeout.
 * Schema changes are numbered migrations; `PRAGMA user_version` records how many have run.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Append only: never edit a migration that has shipped, add a new one. Each runs once, in a
 * transaction, and moves `user_version` to its position in this list.
 */
const MIGRATIONS: string[] = [
  // 1: run-time enable/disable of servers. `file_enabled` is what the config file said when the
  // override was made: once the file says something else, the file is newer and wins.
  `CREATE TABLE server_overrides (
     name TEXT PRIMARY KEY,
     enabled INTEGER NOT NULL,
     file_enabled INTEGER NOT NULL,
     updated_at TEXT NOT NULL
   ) STRICT`,
  // 2: the activity log, one row per tool call. Times are epoch ms; `ended_at` and the result
  // columns stay null while the call runs (outcome 'running'). `arguments` is redacted JSON, cut
  // to a size limit when `arguments_truncated` is 1. One index, for newest-first paging: rows are
  // written on every call, and each index more costs each write; filters walk the newest-first
  // index (at most `maxRows` rows).
  `CREATE TABLE activity (
     id TEXT PRIMARY KEY,
     started_at INTEGER NOT NULL,
     ended_at INTEGER,
     server TEXT NOT NULL,
     tool TEXT NOT NULL,
     caller TEXT NOT NULL,
     surface TEXT NOT NULL,
     mode TEXT NOT NULL,
     arguments TEXT NOT NULL,
     arguments_truncated INTEGER NOT NULL DEFAULT 0,
     outcome TEXT NOT NULL,
     status INTEGER,
     duration_ms REAL,
     result_bytes INTEGER,
     preview TEXT,
     error TEXT
   ) STRICT;
   CREATE INDEX activity_newest ON activity (started_at DESC, id DESC);`,
  // 3: UI sign-ins. Only the SHA-256 of the session token is kept; `csrf` is the session's CSRF
  // token (not a credential by itself). Times are epoch ms.
  `CREATE TABLE ui_sessions (
     token_hash TEXT PRIMARY KEY,
     csrf TEXT NOT NULL,
     caller TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   ) STRICT`,
  // 4: identities and approvals. API keys keep only the SHA-256 of their token (`token_hash`
  // becomes `revoked:<id>` when revoked; the row stays, so that old activity rows keep a label).
  // A session now carries its label, scopes and subject (the key it signed in with, or the paired
  // device it belongs to): revoking either ends it. `approvals` holds each call that waited for a
  // person; `arguments` is redacted like the activity log's. An activity row points at its approval.
  `CREATE TABLE api_keys (
     id TEXT PRIMARY KEY,
     label TEXT NOT NULL,
     scopes TEXT NOT NULL,
     token_hash TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL,
     last_used_at INTEGER,
     revoked_at INTEGER
   ) STRICT;
   CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     label TEXT NOT NULL,
     paired_at INTEGER NOT NULL,
     paired_by TEXT NOT NULL,
     last_seen_at INTEGER,
     revoked_at INTEGER
   ) STRICT;
   ALTER TABLE ui_sessions ADD COLUMN label TEXT NOT NULL DEFAULT 'start-up key';
   ALTER TABLE ui_sessions ADD COLUMN scopes TEXT NOT NULL DEFAULT 'admin';
   ALTER TABLE ui_sessions ADD COLUMN subject TEXT;
   CREATE TABLE approvals (
     id TEXT PRIMARY KEY,
     call_id TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     server TEXT NOT NULL,
     tool TEXT NOT NULL,
     arguments TEXT NOT NULL,
     caller TEXT NOT NULL,
     caller_label TEXT NOT NULL,
     rule TEXT NOT NULL,
     rule_reason TEXT NOT NULL,
     binding TEXT NOT NULL,
     state TEXT NOT NULL,
     decided_at INTEGER,
     decided_by TEXT,
     decided_by_label TEXT,
     decided_via TEXT,
     reason TEXT
   ) STRICT;
   CREATE INDEX approvals_newest ON approvals (created_at DESC);
   CREATE INDEX approvals_state ON approvals (state, created_at DESC);
   ALTER TABLE activity ADD COLUMN approval_id TEXT;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function openDatabase(stateDir: string): Db {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(stateDir, 'gateway.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `the database has schema version ${current}, newer than this gateway knows (${MIGRATIONS.length}); use a newer gateway or another --state-dir`,
    );
  }
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1]!);
      db.pragma(`user_version = ${version}`);
    })();
  }
}
