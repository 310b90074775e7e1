/**
 * The gateway's SQLite database: `<state-dir>/gateway.db`, in WAL mode with a busy timeout.
 * Schema changes are numbered migrations; `PRAGMA user_version` records how many have run.
 *
 * Durability: WAL with `synchronous = NORMAL`. A commit is in the WAL file (the operating system's
 * cache) when it returns, so it survives the gateway being killed (`kill -9`, a crash); it may be
 * lost in a power cut or kernel crash, which never corrupts the database but can drop the last
 * commits. `FULL` would survive those too, at one fsync per commit, which costs milliseconds on
 * every tool call on an SD card or a spinning disk.
 *
 * A database that cannot be opened or used is described in one line naming the file and what to
 * do (`StateDatabaseError`, `stateDatabaseErrorText`).
 */
import fs from 'node:fs';
import os from 'node:os';
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
  // 5: the process group of each running stdio server (see state/process-groups.ts), so that the
  // next start ends what a killed gateway left behind. `start_time` is the leader's, in clock ticks
  // after boot (/proc/<pid>/stat); with `boot_id` and `pid_namespace` it tells a reused pid apart.
  `CREATE TABLE process_groups (
     pgid INTEGER PRIMARY KEY,
     server TEXT NOT NULL,
     start_time INTEGER NOT NULL,
     boot_id TEXT NOT NULL,
     pid_namespace TEXT NOT NULL,
     recorded_at INTEGER NOT NULL
   ) STRICT`,
  // 6: the random token each stdio server's processes carry in their environment
  // (MCP_GATEWAY_GROUP): a member of a group whose leader is gone is ended only when it carries
  // it. NULL in rows of an older gateway: such a group is then ended only while its leader lives.
  `ALTER TABLE process_groups ADD COLUMN token TEXT`,
  // 7: the MCP client that made a call on /mcp, as it names itself (name and version); NULL for
  // the REST surfaces and rows of an older gateway.
  `ALTER TABLE activity ADD COLUMN client TEXT`,
  // 8: the questions the server asked a person during the call (elicitation) and how each ended:
  // JSON `[{id, state, answeredBy, answeredVia, fields}]` (field names only, never values); NULL
  // when it asked none.
  `ALTER TABLE activity ADD COLUMN questions TEXT`,
  // 9: who a call was made for, as a key trusted to say so forwarded it (auth/forwarded-user.ts):
  // the key's flag (0 for older keys), the user and chat on the activity row (NULL when none was
  // forwarded, and in older rows), and on the approval as JSON `{id, name, email, role, chatId, messageId}`.
  `ALTER TABLE api_keys ADD COLUMN trust_forwarded_user INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE activity ADD COLUMN user_id TEXT;
   ALTER TABLE activity ADD COLUMN user_name TEXT;
   ALTER TABLE activity ADD COLUMN user_email TEXT;
   ALTER TABLE activity ADD COLUMN user_role TEXT;
   ALTER TABLE activity ADD COLUMN chat_id TEXT;
   ALTER TABLE activity ADD COLUMN message_id TEXT;
   ALTER TABLE approvals ADD COLUMN forwarded_user TEXT;`,
  // 10: remote servers' OAuth records (state/oauth-records.ts): `data` is AES-256-GCM (12-byte IV,
  // 16-byte tag, then the ciphertext) of the record's JSON, under a key that is not in this file.
  `CREATE TABLE oauth_records (
     server TEXT PRIMARY KEY,
     data BLOB NOT NULL,
     updated_at INTEGER NOT NULL
   ) STRICT`,
  // 11: the OAuth records of `perUserAuth` servers, one per (server, user id): encrypted like
  // oauth_records, with both names as the cipher's additional data.
  `CREATE TABLE oauth_user_records (
     server TEXT NOT NULL,
     user TEXT NOT NULL,
     data BLOB NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (server, user)
   ) STRICT`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The state database cannot be opened or used; the message is one line for the operator. */
export class StateDatabaseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StateDatabaseError';
  }
}

/** The last state database opened: errors that surface far from it (a failed query in a request) name it. */
let lastOpenedFile: string | undefined;

/** Opens (creating it if needed) and migrates `<stateDir>/gateway.db`; throws a `StateDatabaseError`. */
export function openDatabase(stateDir: string): Db {
  const file = path.join(stateDir, 'gateway.db');
  try {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new StateDatabaseError(
      `cannot create the state folder ${stateDir} (${code}): choose a folder the gateway's user may write with --state-dir`,
      { cause: error },
    );
  }
  let db: Db | undefined;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, file);
  } catch (error) {
    db?.close();
    if (error instanceof StateDatabaseError) throw error;
    throw new StateDatabaseError(stateDatabaseErrorText(error, file), { cause: error });
  }
  lastOpenedFile = file;
  return db;
}

/** Whether `error` is one of SQLite's (`SQLITE_…` code). */
export function isSqliteError(error: unknown): error is Error & { code: string } {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

/**
 * One line for the operator about a failed use of the state database: what is wrong with `file`
 * (default: the last one opened) and what to do.
 */
export function stateDatabaseErrorText(error: unknown, file = lastOpenedFile ?? 'gateway.db'): string {
  const code = isSqliteError(error) ? error.code : ((error as NodeJS.ErrnoException | undefined)?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  const aside = `move it aside (with any ${path.basename(file)}-wal and -shm next to it) to start with an empty state (no activity log, API keys, sign-ins or overrides)`;
  if (code === 'SQLITE_NOTADB')
    return `${file} is not a SQLite database (damaged, or another kind of file): restore it from a backup, or ${aside}`;
  if (code.startsWith('SQLITE_CORRUPT')) return `${file} is damaged (${message}): restore it from a backup, or ${aside}`;
  if (code.startsWith('SQLITE_CANTOPEN')) return cannotOpenText(file);
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return `cannot write ${file} (${message}): give the gateway's user write access to it and its folder, or choose another --state-dir`;
  }
  if (code === 'SQLITE_FULL') return `cannot write ${file}: the disk (or the database's size limit) is full; free some space`;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `${file} is locked by another program (${message}); is another gateway using the same --state-dir?`;
  }
  if (code.startsWith('SQLITE_IOERR')) return `input/output error on ${file} (${code}: ${message}); check the disk`;
  return `the state database ${file} failed (${code ? `${code}: ` : ''}${message})`;
}

/** Why SQLite could not open `file`: a folder in its place, or missing permissions. */
function cannotOpenText(file: string): string {
  const other = 'or choose another --state-dir';
  try {
    if (fs.statSync(file).isDirectory())
      return `${file} is a folder, but the state database must be a file: remove or rename the folder, ${other}`;
  } catch {
    // missing: then the folder must let us create it
  }
  const user = userName();
  const target = fs.existsSync(file) ? file : path.dirname(file);
  try {
    fs.accessSync(target, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return `cannot open ${file}: permission denied for ${user}, who must be able to read and write ${target === file ? 'it and its folder' : 'its folder'}; change the permissions, ${other}`;
  }
  return `cannot open ${file}: it must be a file that ${user} may read and write, in a folder ${user} may write; ${other}`;
}

function userName(): string {
  try {
    return `user ${os.userInfo().username}`;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

function migrate(db: Db, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new StateDatabaseError(
      `${file} has schema version ${current}, newer than this gateway knows (${MIGRATIONS.length}); use a newer gateway or another --state-dir`,
    );
  }
  if (current === MIGRATIONS.length) return;
  // One transaction for every step: a new database is written once (each commit writes its pages
  // again), and a failed upgrade leaves the database as it was.
  db.transaction(() => {
    for (let version = current + 1; version <= MIGRATIONS.length; version++) db.exec(MIGRATIONS[version - 1]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}
