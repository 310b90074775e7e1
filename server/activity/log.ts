/**
 * The activity log: one row per tool call in the `activity` table, written as the call starts
 * (outcome `running`) and completed as it ends.
 *
 * Writing is on every call's path, so `start` and `finish` only queue: the queue is written
 * `flushDelayMs` (default 100 ms) after the first queued change, or at once when it holds 512
 * entries; reads write the queue first. A call that is refused before it reaches its server
 * (validation, policy, overload) and ends within that time costs a share of one transaction and a
 * single INSERT of the complete row.
 *
 * A call that goes upstream waits for `committed` first: its start row must be written before the
 * tool runs, so that after a crash every call that reached a server has a row (its outcome, or
 * `interrupted`). The calls that reach that point in one turn of the event loop have their starts
 * appended to the start journal (start-journal.ts) in one write, in the next turn (a call that
 * comes when the one journaled alone before it has finished, as at concurrency 1, is written at
 * once: there is nothing to share the write with, and the call saves a turn); the database
 * gets them with its next batch, and `markInterrupted` at the next start takes what it lacks
 * from the journal. Like the database (state/db.ts: WAL, synchronous NORMAL), that survives the
 * gateway being killed, not a power cut.
 *
 * The queue is written in transactions of at most 512 entries. A write that fails (the disk is
 * full, SQLITE_BUSY…) keeps the entries queued for a retry timer (1 s, doubling to 30 s); calls
 * then go upstream without waiting (the gateway keeps working without its log), and reads show
 * what is written. The queue is bounded (10,000 entries or 32 MiB): beyond that, new changes are
 * dropped — the newest, so that the log keeps its oldest unwritten rows and has one gap, and a
 * queued start always takes its finish. `close()` writes what fits, row by row once the disk is
 * full, and counts the rest as dropped. Each change of state (failing, dropping, written again)
 * is one log line naming the file and what to do, not one per retry; `health()` tells /readyz
 * and the metrics.
 */
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import type { ForwardedUser } from '../auth/forwarded-user.js';
import type { ActivityOutcome, CallOutcome } from '../calls/outcome.js';
import type { CallMode, CallSurface } from '../calls/running-call.js';
import type { ActivitySettings } from '../config/types.js';
import type { Logger } from '../logging/logger.js';
import { isSqliteError, stateDatabaseErrorText, type Db } from '../state/db.js';
import { MAX_ARGUMENT_BYTES, redactArguments, truncateUtf8 } from './redact.js';
import { StartJournal, type JournalRecord } from './start-journal.js';
import { ChurnTable } from '../churn-table.js';

/** A call as it starts. `arguments` is redacted and cut to 16 KiB before it is stored. */
export interface ActivityStart {
  id: string;
  /** Epoch ms. */
  startedAt: number;
  server: string;
  tool: string;
  caller: string;
  surface: CallSurface;
  mode: CallMode;
  arguments: unknown;
  /** The MCP client's name and version (`/mcp` calls). Default none. */
  client?: string;
  /** Who the call was made for, as a trusted key forwarded it (auth/forwarded-user.ts: already cleaned and cut). Default none. */
  user?: ForwardedUser;
}

/** How a call ended. `preview` and `error` are cut to 2 KiB. */
export interface ActivityEnd {
  /** Epoch ms. */
  endedAt: number;
  outcome: CallOutcome;
  /** The HTTP status the call was answered with. */
  status: number;
  durationMs: number;
  resultBytes?: number;
  preview?: string;
  error?: string;
  /** The approval the call waited for, if the policy asked for one. */
  approvalId?: string;
  /** The questions the server asked a person during the call, and how each ended (never the values). */
  questions?: ActivityQuestion[];
}

/** A question a server asked during a call, as the activity log keeps it: its words, who answered, how, which fields. */
export interface ActivityQuestion {
  id: string;
  /** `form` or `url` (absent in entries written before it was kept). */
  mode?: 'form' | 'url';
  /** The server's message (untrusted text), cut to `QUESTION_MESSAGE_CHARS` of calls/recording.ts (absent in entries written before it was kept). */
  message?: string;
  state: string;
  /** The label of who answered (`gateway` for expiry and the like), or null. */
  answeredBy: string | null;
  answeredVia: string | null;
  /** The names of the fields an `accept` answered; never their values. */
  fields: string[] | null;
}

/** Bounds of the queue of unwritten changes (for tests; the defaults are the constants above). */
export interface ActivityQueueLimits {
  /** Default MAX_QUEUED. */
  maxQueued?: number;
  /** Default MAX_QUEUED_BYTES. */
  maxQueuedBytes?: number;
  /** Most entries per transaction. Default WRITE_CHUNK. */
  writeChunk?: number;
  /** Size of the start journal beyond which a write that fails part-way rewrites it. Default JOURNAL_COMPACT_BYTES. */
  journalCompactBytes?: number;
}

/** Whether the log is being written, for /readyz and the metrics. */
export interface ActivityHealth {
  /** `failing`: writes fail and changes wait in the queue (or are dropped once it is full). */
  state: 'ok' | 'failing';
  /** Why writes fail: one line naming the file and what to do. */
  error?: string;
  /** Epoch ms of the first failure. */
  since?: number;
  /** Changes waiting to be written. */
  queued: number;
  /** Changes dropped since the gateway started (queue full, or unwritten at shutdown). */
  dropped: number;
  /** Failed write transactions since the gateway started. */
  writeFailures: number;
}

/** A row as the API shows it. */
export interface ActivityEntry {
  id: string;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601; null while running and for interrupted calls. */
  endedAt: string | null;
  server: string;
  tool: string;
  caller: string;
  surface: CallSurface;
  mode: CallMode;
  /** The redacted arguments: parsed JSON, or the cut JSON text when `argumentsTruncated`. */
  arguments: unknown;
  argumentsTruncated: boolean;
  outcome: ActivityOutcome;
  status: number | null;
  durationMs: number | null;
  resultBytes: number | null;
  preview: string | null;
  error: string | null;
  /** The approval the call waited for (`/api/approvals/{id}`), or null. */
  approvalId: string | null;
  /** The MCP client that made the call, as it names itself (name and version), for `/mcp` calls; else null. */
  client: string | null;
  /** The questions the server asked a person during the call (elicitation), or null when it asked none. */
  questions: ActivityQuestion[] | null;
  /** Who the call was made for, as a key with `trustForwardedUser` forwarded it (Open WebUI's user and chat), or null. */
  user: ForwardedUser | null;
}

/** Filters of `list`, combined with AND. */
export interface ActivityQuery {
  /** Only this caller's rows (a reader who may not see everyone's: see activity-api.ts). Default: every caller's. */
  caller?: string;
  /** Only calls made for this forwarded user: its id or email (case-insensitive), never its name. Default: any, forwarded or not. */
  user?: string;
  server?: string;
  tool?: string;
  outcome?: ActivityOutcome;
  /** Epoch ms, inclusive bound on the start time. */
  since?: number;
  /** Epoch ms, exclusive bound on the start time. */
  until?: number;
  /** Most items in the page. */
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** One page of `list`, newest first; `nextCursor` is null on the last page. */
export interface ActivityPage {
  items: ActivityEntry[];
  nextCursor: string | null;
}

/** Where a page continues: after the row with this start time and id (newest-first order). */
export interface ActivityCursor {
  startedAt: number;
  id: string;
}

/** `preview` and `error` are cut to this many UTF-8 bytes. */
export const MAX_TEXT_BYTES = 2048;
/** Queue length at which `start`/`finish` write at once instead of waiting for the flush timer. */
export const FLUSH_AT = 512;
/** Most entries written in one transaction. */
export const WRITE_CHUNK = 512;
/** Beyond this many queued entries (writes failing for a long time) new changes are dropped, counted and logged. */
export const MAX_QUEUED = 10_000;
/** Beyond about this many bytes of queued text, new changes are dropped as well. */
export const MAX_QUEUED_BYTES = 32 * 1024 * 1024;
/** What an entry costs besides its text, roughly, in bytes. */
const ENTRY_OVERHEAD_BYTES = 300;
/** Longest MCP client name kept (a client names itself: it is untrusted, and must not fill the log). */
const MAX_CLIENT_CHARS = 200;
/** Size of the start journal beyond which a write that fails part-way rewrites it (see `compactJournal`). */
export const JOURNAL_COMPACT_BYTES = 8 * 1024 * 1024;
/** Rows deleted per statement by `prune`. */
export const PRUNE_CHUNK = 2000;

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;
const DAY_MS = 86_400_000;

/** The opaque cursor for the row (`startedAt`, `id`): base64url of `<startedAt>:<id>`. */
export function encodeCursor(cursor: ActivityCursor): string {
  return Buffer.from(`${cursor.startedAt}:${cursor.id}`, 'utf8').toString('base64url');
}

/** The row a cursor names, or undefined when it is not one `encodeCursor` made. */
export function decodeCursor(cursor: string): ActivityCursor | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(-?\d{1,16}):(.*)$/s.exec(text);
  if (!match) return undefined;
  const startedAt = Number(match[1]);
  if (!Number.isSafeInteger(startedAt)) return undefined;
  return { startedAt, id: match[2]! };
}

interface ActivityRow {
  id: string;
  started_at: number;
  ended_at: number | null;
  server: string;
  tool: string;
  caller: string;
  surface: string;
  mode: string;
  arguments: string;
  arguments_truncated: number;
  outcome: string;
  status: number | null;
  duration_ms: number | null;
  result_bytes: number | null;
  preview: string | null;
  error: string | null;
  approval_id: string | null;
  client: string | null;
  questions: string | null;
  user_id: string | null;
  user_name: string | null;
  user_email: string | null;
  user_role: string | null;
  chat_id: string | null;
  message_id: string | null;
}

/** A queued start, completed in place by a finish that arrives before it is written. */
interface QueuedRow extends JournalRecord {
  end?: QueuedEnd;
  /** Whether its start is in the start journal (its call went upstream before the database had it). */
  journaled?: boolean;
  /** Roughly, the memory it holds (see `MAX_QUEUED_BYTES`). */
  bytes: number;
}

interface QueuedEnd {
  endedAt: number;
  outcome: CallOutcome;
  status: number | null;
  durationMs: number | null;
  resultBytes: number | null;
  preview: string | null;
  error: string | null;
  approvalId: string | null;
  /** JSON of `ActivityEnd.questions`. */
  questions: string | null;
}

type Statement = Database.Statement<unknown[]>;

/** A promise and its resolver: the calls waiting for one group commit. */
interface CommitWaiters {
  promise: Promise<void>;
  resolve: () => void;
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Records tool calls in the `activity` table and reads them back. `settings` is read at each
 * prune, so retention changes with a config reload.
 */
export class ActivityLog {
  private readonly insertRow: Statement;
  private readonly finishRow: Statement;
  private readonly selectRow: Statement;
  private readonly interruptRunning: Statement;
  private readonly pruneOlder: Statement;
  private readonly nthNewest: Statement;
  private readonly pruneUpTo: Statement;
  /** `list` statements, one per combination of filters, prepared when first needed. */
  private readonly listStatements = new Map<string, Statement>();

  /** Starts not written yet, in arrival order (not Maps, these two: see churn-table.ts). */
  private readonly queuedRows = new ChurnTable<QueuedRow>();
  /** Finishes of calls whose start was written already (or never queued: then a no-op). */
  private readonly queuedEnds = new ChurnTable<QueuedEnd>();
  /** Roughly, the bytes the queue holds. */
  private queuedBytes = 0;
  private readonly maxQueued: number;
  private readonly maxQueuedBytes: number;
  private readonly writeChunk: (rows: QueuedRow[], ends: [string, QueuedEnd][]) => void;

  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = RETRY_FIRST_MS;
  /** Calls waiting for their start row to be written, and the turn that writes it. */
  private commitWaiters: CommitWaiters | undefined;
  private commitSoon: NodeJS.Immediate | undefined;
  /** Where those starts are written; none for a database in memory (the database is written instead). */
  private readonly journal: StartJournal | undefined;
  /** The ids of the calls waiting for the next journal write. */
  private toJournal: string[] = [];
  /**
   * The call whose start the last journal write held alone, until it finishes. While it runs (or
   * the last write held several starts), a start waits for the next turn's write with the others
   * of this turn; once it has finished — calls come one at a time, as at concurrency 1 — the next
   * start is written at once, saving the call a turn of the event loop.
   */
  private aloneInJournal: string | undefined;
  /** Whether the last journal write held one start (so the next may be written at once). */
  private journaledAlone = true;
  /** Set while the journal cannot be written: why (one line). Calls then go on without it. */
  private journalFailure: { error: string; since: number } | undefined;
  /** Set while writes fail: why (one line), and since when. */
  private failure: { error: string; since: number } | undefined;
  /** Whether changes are being dropped now (the queue is full); logged once per episode. */
  private dropping = false;
  private droppedTotal = 0;
  /** Dropped since the last log line that said how many. */
  private droppedUnreported = 0;
  private writeFailures = 0;
  /** The code of the last failed write (`SQLITE_FULL`…), or "". */
  private lastErrorCode = '';
  private pruneTimer: NodeJS.Timeout | undefined;
  private pruneSoon: NodeJS.Immediate | undefined;
  private pruning = false;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly settings: () => ActivitySettings,
    private readonly logger: Logger,
    /** How long queued changes wait to be written together, in ms. Default 100. */
    private readonly flushDelayMs = 100,
    private readonly limits: ActivityQueueLimits = {},
    /** Argument names redacted on top of the built-in ones (`gateway.redact.keys`), read at each call. Default none. */
    private readonly redactKeys: () => readonly string[] = () => [],
  ) {
    this.maxQueued = limits.maxQueued ?? MAX_QUEUED;
    this.maxQueuedBytes = limits.maxQueuedBytes ?? MAX_QUEUED_BYTES;
    this.journal = db.memory ? undefined : new StartJournal(path.join(path.dirname(db.name), 'activity.journal'));
    this.insertRow = db.prepare(
      `INSERT INTO activity (id, started_at, ended_at, server, tool, caller, surface, mode, arguments,
         arguments_truncated, outcome, status, duration_ms, result_bytes, preview, error, approval_id, client, questions,
         user_id, user_name, user_email, user_role, chat_id, message_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO NOTHING`,
    );
    this.finishRow = db.prepare(
      `UPDATE activity SET ended_at = ?, outcome = ?, status = ?, duration_ms = ?, result_bytes = ?,
         preview = ?, error = ?, approval_id = ?, questions = ?
       WHERE id = ? AND outcome = 'running'`,
    );
    this.selectRow = db.prepare('SELECT * FROM activity WHERE id = ?');
    this.interruptRunning = db.prepare("UPDATE activity SET outcome = 'interrupted' WHERE outcome = 'running'");
    this.pruneOlder = db.prepare('DELETE FROM activity WHERE rowid IN (SELECT rowid FROM activity WHERE started_at < ? LIMIT ?)');
    this.nthNewest = db.prepare('SELECT started_at, id FROM activity ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET ?');
    this.pruneUpTo = db.prepare(
      'DELETE FROM activity WHERE rowid IN (SELECT rowid FROM activity WHERE (started_at, id) <= (?, ?) LIMIT ?)',
    );
    this.writeChunk = db.transaction((rows: QueuedRow[], ends: [string, QueuedEnd][]) => {
      for (const row of rows) {
        const end = row.end;
        this.insertRow.run(
          row.id,
          row.startedAt,
          end ? end.endedAt : null,
          row.server,
          row.tool,
          row.caller,
          row.surface,
          row.mode,
          row.arguments,
          row.argumentsTruncated,
          end ? end.outcome : 'running',
          end ? end.status : null,
          end ? end.durationMs : null,
          end ? end.resultBytes : null,
          end ? end.preview : null,
          end ? end.error : null,
          end ? end.approvalId : null,
          row.client ?? null,
          end ? end.questions : null,
          row.user?.id ?? null,
          row.user?.name ?? null,
          row.user?.email ?? null,
          row.user?.role ?? null,
          row.user?.chatId ?? null,
          row.user?.messageId ?? null,
        );
      }
      for (const [id, end] of ends) {
        this.finishRow.run(
          end.endedAt,
          end.outcome,
          end.status,
          end.durationMs,
          end.resultBytes,
          end.preview,
          end.error,
          end.approvalId,
          end.questions,
          id,
        );
      }
    });
  }

  /**
   * Marks the rows still `running` (the gateway stopped during those calls) as `interrupted`,
   * and returns how many; the start journal's rows that the database lacks (the gateway was
   * killed before it wrote them) are added first, and so are among them. `ended_at` stays null:
   * when they really ended is not known. Call once at startup, before the first `start`.
   */
  markInterrupted(): number {
    const records = this.journal?.read() ?? [];
    if (records.length > 0)
      this.writeChunk(
        records.map((record) => ({ ...record, bytes: 0 })),
        [],
      );
    const count = this.interruptRunning.run().changes;
    this.journal?.clear();
    return count;
  }

  /** Queues the row of a call that starts (outcome `running`). Never throws. */
  start(entry: ActivityStart): void {
    try {
      const { text, truncated } = redactArguments(entry.arguments, MAX_ARGUMENT_BYTES, this.redactKeys());
      const bytes = ENTRY_OVERHEAD_BYTES + text.length;
      if (this.isFull(bytes)) return;
      const row: QueuedRow = {
        id: entry.id,
        startedAt: integerOr(entry.startedAt, Date.now()),
        // String(): a non-string from an untyped caller must not make the whole batch fail.
        server: String(entry.server),
        tool: String(entry.tool),
        caller: String(entry.caller),
        surface: String(entry.surface),
        mode: String(entry.mode),
        arguments: text,
        argumentsTruncated: truncated ? 1 : 0,
        bytes,
      };
      // Set when present, not spread in (V8's slow path and a throwaway object each, on every call).
      if (entry.client !== undefined) row.client = String(entry.client).slice(0, MAX_CLIENT_CHARS);
      if (entry.user !== undefined) row.user = entry.user;
      this.queuedRows.set(entry.id, row);
      this.queuedBytes += bytes;
      this.queued();
    } catch (error) {
      this.logger.error({ err: error, activityId: entry?.id }, 'could not queue an activity row');
    }
  }

  /**
   * Queues the end of a call: completes its row if the start is still queued, else updates
   * the written row. A finish for an id never started is ignored. Never throws.
   */
  finish(id: string, end: ActivityEnd): void {
    if (id === this.aloneInJournal) this.aloneInJournal = undefined;
    try {
      const queuedEnd: QueuedEnd = {
        endedAt: integerOr(end.endedAt, Date.now()),
        outcome: String(end.outcome) as CallOutcome,
        status: integerOr(end.status, null),
        durationMs: Number.isFinite(end.durationMs) ? end.durationMs : null,
        resultBytes: integerOr(end.resultBytes, null),
        preview: typeof end.preview === 'string' ? truncateUtf8(end.preview, MAX_TEXT_BYTES).text : null,
        error: typeof end.error === 'string' ? truncateUtf8(end.error, MAX_TEXT_BYTES).text : null,
        approvalId: typeof end.approvalId === 'string' ? end.approvalId : null,
        questions: Array.isArray(end.questions) && end.questions.length > 0 ? JSON.stringify(end.questions) : null,
      };
      const bytes = endBytes(queuedEnd);
      const row = this.queuedRows.get(id);
      if (row) {
        // Taken even when the queue is full: a queued start always gets its end.
        row.end = queuedEnd;
        row.bytes += bytes;
        this.queuedBytes += bytes;
        return; // the flush is scheduled already
      }
      if (this.isFull(ENTRY_OVERHEAD_BYTES + bytes)) return;
      this.queuedEnds.set(id, queuedEnd);
      this.queuedBytes += ENTRY_OVERHEAD_BYTES + bytes;
      this.queued();
    } catch (error) {
      this.logger.error({ err: error, activityId: id }, 'could not queue the end of an activity row');
    }
  }

  /**
   * Resolves once the start row of call `id` is written: to the start journal, with the other
   * calls that got here in this turn of the event loop, in one write in the next turn (to the
   * database instead when there is no journal). At once when it is written already, when it was
   * never queued, or when the journal cannot be written (the call must not wait for a disk that
   * does not take it). Never rejects.
   */
  committed(id: string): Promise<void> {
    if (!this.queuedRows.has(id) || this.closed) return RESOLVED;
    if (!this.journal && this.failure) return RESOLVED;
    this.toJournal.push(id);
    if (this.journal && !this.commitWaiters && this.journaledAlone && this.aloneInJournal === undefined) {
      // One call at a time: its start is written now (the same one write as in the next turn).
      this.writeJournal(this.journal);
      return RESOLVED;
    }
    if (!this.commitWaiters) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.commitWaiters = { promise, resolve };
      this.commitSoon = setImmediate(() => {
        this.commitSoon = undefined;
        if (this.journal) this.writeJournal(this.journal);
        else this.flush();
      });
    }
    return this.commitWaiters.promise;
  }

  /**
   * Writes everything queued now, in transactions of at most `writeChunk` entries. Never
   * throws: on failure the error is logged (once, when writes start failing), the entries not
   * written stay queued and a retry is scheduled. Returns whether the queue is empty.
   */
  flush(): boolean {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    let written = true;
    try {
      if (this.queuedRows.size === 0 && this.queuedEnds.size === 0) return true;
      const error = this.writeQueue();
      if (error !== undefined) {
        written = false;
        this.failed(error);
        this.compactJournal();
        return false;
      }
      this.written();
      this.clearJournal();
      return true;
    } finally {
      // Calls waiting for their starts: the database has them now, or else the journal must first.
      if (written || !this.journal) this.releaseCommitWaiters();
      else if (this.commitWaiters) this.writeJournal(this.journal);
    }
  }

  /** Whether writes succeed, how much waits and how much was dropped (for /readyz and the metrics). */
  health(): ActivityHealth {
    // Writes to the database fail, or (what matters as much after a crash) to the start journal.
    const failure = this.failure ?? this.journalFailure;
    return {
      state: failure ? 'failing' : 'ok',
      ...(failure && { error: failure.error, since: failure.since }),
      queued: this.queuedRows.size + this.queuedEnds.size,
      dropped: this.droppedTotal,
      writeFailures: this.writeFailures,
    };
  }

  /**
   * A page of rows, newest first by (start time, id), matching every given filter. Writes
   * the queue first (unless writes are failing). Throws a RangeError for a cursor
   * `decodeCursor` does not accept.
   */
  list(query: ActivityQuery): ActivityPage {
    if (!this.failure) this.flush();
    const conditions: string[] = [];
    const params: (string | number)[] = [];
    let shape = '';
    const add = (flag: string, condition: string, ...values: (string | number)[]) => {
      shape += flag;
      conditions.push(condition);
      params.push(...values);
    };
    if (query.caller !== undefined) add('u', 'caller = ?', query.caller);
    if (query.user !== undefined)
      // Never the display name: Open WebUI lets each user choose theirs (auth/forwarded-user.ts `isForwardedUser`).
      add('w', '(user_id = ? OR user_email = ? COLLATE NOCASE)', query.user, query.user);
    if (query.server !== undefined) add('s', 'server = ?', query.server);
    if (query.tool !== undefined) add('t', 'tool = ?', query.tool);
    if (query.outcome !== undefined) add('o', 'outcome = ?', query.outcome);
    if (query.since !== undefined) add('a', 'started_at >= ?', Math.ceil(query.since));
    if (query.until !== undefined) add('b', 'started_at < ?', Math.ceil(query.until));
    if (query.cursor !== undefined) {
      const after = decodeCursor(query.cursor);
      if (!after) throw new RangeError('malformed activity cursor');
      add('c', '(started_at, id) < (?, ?)', after.startedAt, after.id);
    }
    const limit = Math.max(1, Math.floor(query.limit));
    let statement = this.listStatements.get(shape);
    if (!statement) {
      const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
      statement = this.db.prepare(`SELECT * FROM activity ${where} ORDER BY started_at DESC, id DESC LIMIT ?`);
      this.listStatements.set(shape, statement);
    }
    const rows = statement.all(...params, limit + 1) as ActivityRow[];
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return {
      items: rows.map(toEntry),
      nextCursor: more && last ? encodeCursor({ startedAt: last.started_at, id: last.id }) : null,
    };
  }

  /**
   * One row by id, or undefined; with `caller`, only a row of that caller (another's is as if it
   * did not exist). Writes the queue first (unless writes are failing).
   */
  get(id: string, caller?: string): ActivityEntry | undefined {
    if (!this.failure) this.flush();
    return this.readRow(id, caller);
  }

  /**
   * The rows of these ids that exist (with `caller`, that are that caller's), in the order
   * given, after one write of the queue: the live tail's refresh of many rows in one request.
   */
  getMany(ids: readonly string[], caller?: string): ActivityEntry[] {
    if (!this.failure) this.flush();
    const entries: ActivityEntry[] = [];
    for (const id of ids) {
      const entry = this.readRow(id, caller);
      if (entry) entries.push(entry);
    }
    return entries;
  }

  private readRow(id: string, caller: string | undefined): ActivityEntry | undefined {
    const row = this.selectRow.get(id) as ActivityRow | undefined;
    return row && (caller === undefined || row.caller === caller) ? toEntry(row) : undefined;
  }

  /**
   * Deletes the rows that started more than `maxAgeDays` before `now`, then all but the newest
   * `maxRows`; returns how many went. Deletes at most 2000 rows per statement, each its own
   * transaction (the background prune yields to the event loop between them).
   */
  prune(now = Date.now()): number {
    if (!this.failure) this.flush();
    let deleted = 0;
    for (;;) {
      const count = this.pruneStep(now);
      deleted += count;
      if (count < PRUNE_CHUNK) return deleted;
    }
  }

  /**
   * Prunes once soon and then every `pruneEveryMs` (default one minute), in the background.
   * Its timers do not keep the process alive.
   */
  startBackground(pruneEveryMs = 60_000): void {
    if (this.pruneTimer || this.closed) return;
    this.pruneSoon = setImmediate(() => {
      this.pruneSoon = undefined;
      void this.pruneInBackground();
    });
    this.pruneSoon.unref();
    this.pruneTimer = setInterval(() => void this.pruneInBackground(), pruneEveryMs);
    this.pruneTimer.unref();
  }

  /**
   * Stops the background timers and writes the queue: all of it, or once the disk is full what
   * still fits, row by row; what cannot be written is counted as dropped and logged. Calls
   * queued later are written as usual.
   */
  close(): void {
    this.closed = true;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    if (this.pruneSoon) clearImmediate(this.pruneSoon);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.pruneTimer = undefined;
    this.pruneSoon = undefined;
    this.retryTimer = undefined;
    const written = this.flush();
    this.journal?.close();
    if (written) return;
    if (this.lastErrorCode === 'SQLITE_FULL') this.writeWhatFits();
    const lost = this.queuedRows.size + this.queuedEnds.size;
    if (lost === 0) return;
    this.droppedTotal += lost;
    this.queuedRows.clear();
    this.queuedEnds.clear();
    this.queuedBytes = 0;
    this.logger.error(
      { dropped: lost },
      `${lost} activity log changes could not be written at shutdown and are lost: ${this.failure?.error ?? 'the write failed'}`,
    );
  }

  /** After a queue change: write at once when the queue is long, else once `flushDelayMs` after the first change. */
  private queued(): void {
    if (this.failure) return; // the retry timer writes; a failing write per call would stall every call
    if (this.queuedRows.size + this.queuedEnds.size >= FLUSH_AT) {
      this.flush();
      return;
    }
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, this.flushDelayMs);
    // A pending write never keeps the process alive; `close()` writes what is left.
    this.flushTimer.unref();
  }

  /** Whether a change of `bytes` must be dropped because the queue is full; counts and logs it. */
  private isFull(bytes: number): boolean {
    const entries = this.queuedRows.size + this.queuedEnds.size;
    if (entries < this.maxQueued && this.queuedBytes + bytes <= this.maxQueuedBytes) return false;
    this.droppedTotal++;
    this.droppedUnreported++;
    if (!this.dropping) {
      this.dropping = true;
      this.logger.error(
        { queued: entries, queuedBytes: this.queuedBytes },
        `the activity log's queue is full (${entries} changes wait to be written): new calls are not recorded until writes succeed again`,
      );
    }
    return true;
  }

  /** Writes the queue in chunks, oldest first; returns the error of the first chunk that failed. */
  private writeQueue(): unknown {
    while (this.queuedRows.size > 0 || this.queuedEnds.size > 0) {
      const chunk = this.limits.writeChunk ?? WRITE_CHUNK;
      const rows = firstOf(this.queuedRows.values(), chunk);
      const ends = rows.length < chunk ? firstOf(this.queuedEnds.entries(), chunk - rows.length) : [];
      try {
        this.writeChunk(rows, ends);
      } catch (error) {
        this.writeFailures++;
        this.lastErrorCode = String((error as { code?: unknown } | undefined)?.code ?? '');
        return error ?? new Error('the write failed');
      }
      this.forget(rows, ends);
    }
    return undefined;
  }

  /** At shutdown on a full disk: each change in its own transaction, so that those that fit are kept. */
  private writeWhatFits(): void {
    for (const row of this.queuedRows.values()) {
      try {
        this.writeChunk([row], []);
        this.forget([row], []);
      } catch {
        this.writeFailures++;
      }
    }
    for (const entry of this.queuedEnds.entries()) {
      try {
        this.writeChunk([], [entry]);
        this.forget([], [entry]);
      } catch {
        this.writeFailures++;
      }
    }
  }

  private forget(rows: QueuedRow[], ends: [string, QueuedEnd][]): void {
    for (const row of rows) {
      this.queuedRows.delete(row.id);
      this.queuedBytes -= row.bytes;
    }
    for (const [id, end] of ends) {
      this.queuedEnds.delete(id);
      this.queuedBytes -= ENTRY_OVERHEAD_BYTES + endBytes(end);
    }
  }

  /** A write failed: log it if that is news, and retry later. */
  private failed(error: unknown): void {
    if (!this.failure) {
      const text = stateDatabaseErrorText(error, this.db.name);
      this.failure = { error: text, since: Date.now() };
      this.logger.error(
        { code: this.lastErrorCode || undefined, queued: this.queuedRows.size + this.queuedEnds.size },
        `the activity log cannot be written: ${text}. Calls go on; their rows wait in memory (at most ${this.maxQueued}) and are written once this is fixed`,
      );
    }
    this.scheduleRetry();
  }

  /** The whole queue was written: if writes had failed, say that they work again, and what was lost. */
  private written(): void {
    if (this.failure || this.droppedUnreported > 0) {
      const dropped = this.droppedUnreported;
      const failingMs = this.failure ? Date.now() - this.failure.since : 0;
      this.logger.warn(
        { dropped, failingMs },
        dropped > 0
          ? `the activity log is written again; ${dropped} changes were dropped meanwhile because the queue was full`
          : 'the activity log is written again; nothing was lost',
      );
    }
    this.failure = undefined;
    this.dropping = false;
    this.droppedUnreported = 0;
    this.lastErrorCode = '';
    this.retryDelayMs = RETRY_FIRST_MS;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
  }

  /**
   * Appends the starts of the calls waiting in `toJournal` (those the database does not have yet)
   * in one write, then lets the calls go. A failure is logged once, and the calls go all the same.
   */
  private writeJournal(journal: StartJournal): void {
    const records: JournalRecord[] = [];
    const rows: QueuedRow[] = [];
    for (const id of this.toJournal) {
      const row = this.queuedRows.get(id);
      if (!row || row.journaled) continue;
      records.push(journalRecord(row));
      rows.push(row);
    }
    this.journaledAlone = records.length === 1;
    this.aloneInJournal = records.length === 1 ? records[0]!.id : undefined;
    try {
      if (records.length > 0) journal.append(records);
      for (const row of rows) row.journaled = true;
      if (this.journalFailure) {
        this.logger.warn({ file: journal.file }, "the activity log's start journal is written again");
        this.journalFailure = undefined;
      }
    } catch (error) {
      if (!this.journalFailure) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        const text = `cannot write the activity log's start journal ${journal.file} (${code}): calls go on, but a crash now may leave calls that ran without a row; free some space or fix the folder's permissions`;
        this.journalFailure = { error: text, since: Date.now() };
        this.logger.error({ file: journal.file, code }, text);
      }
    }
    this.releaseCommitWaiters();
  }

  /**
   * After a write that failed part-way: the rows written since the journal was last emptied are in
   * the database now, so once the journal holds more than `JOURNAL_COMPACT_BYTES` it is written
   * anew with only the journaled starts still queued. The journal thus stays within about the
   * queue's own bound, however long writes keep failing part-way.
   */
  private compactJournal(): void {
    const journal = this.journal;
    if (!journal || journal.bytes <= (this.limits.journalCompactBytes ?? JOURNAL_COMPACT_BYTES)) return;
    const records: JournalRecord[] = [];
    for (const row of this.queuedRows.values()) if (row.journaled) records.push(journalRecord(row));
    try {
      journal.clear();
      if (records.length > 0) journal.append(records);
    } catch (error) {
      this.logger.debug({ err: error }, "could not compact the activity log's start journal");
    }
  }

  /** The database holds every queued start now: the journal is not needed for them any more. */
  private clearJournal(): void {
    if (!this.journal) return;
    try {
      this.journal.clear();
    } catch (error) {
      // Harmless: its rows are in the database, and reading them back at the next start changes nothing.
      this.logger.debug({ err: error }, "could not empty the activity log's start journal");
    }
  }

  private releaseCommitWaiters(): void {
    const waiters = this.commitWaiters;
    this.commitWaiters = undefined;
    this.toJournal = [];
    if (this.commitSoon) {
      clearImmediate(this.commitSoon);
      this.commitSoon = undefined;
    }
    waiters?.resolve();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.flush();
    }, delay);
    this.retryTimer.unref();
  }

  /** Deletes at most one chunk: too old rows first, then rows beyond `maxRows`. */
  private pruneStep(now: number): number {
    const { maxRows, maxAgeDays } = this.settings();
    if (Number.isFinite(maxAgeDays) && maxAgeDays > 0) {
      const count = this.pruneOlder.run(now - maxAgeDays * DAY_MS, PRUNE_CHUNK).changes;
      if (count > 0) return count;
    }
    if (Number.isFinite(maxRows) && maxRows >= 0) {
      const firstGone = this.nthNewest.get(Math.floor(maxRows)) as { started_at: number; id: string } | undefined;
      if (firstGone) return this.pruneUpTo.run(firstGone.started_at, firstGone.id, PRUNE_CHUNK).changes;
    }
    return 0;
  }

  private async pruneInBackground(): Promise<void> {
    if (this.pruning) return;
    this.pruning = true;
    try {
      const now = Date.now();
      let deleted = 0;
      for (;;) {
        if (this.closed) break;
        const count = this.pruneStep(now);
        deleted += count;
        if (count < PRUNE_CHUNK) break;
        await nextTurn();
      }
      if (deleted > 0) this.logger.debug({ deleted }, 'pruned the activity log');
    } catch (error) {
      if (isSqliteError(error))
        this.logger.error({ code: error.code }, `could not prune the activity log: ${stateDatabaseErrorText(error, this.db.name)}`);
      else this.logger.error({ err: error }, 'could not prune the activity log');
    } finally {
      this.pruning = false;
    }
  }
}

/** The journal's copy of a queued start. */
function journalRecord(row: QueuedRow): JournalRecord {
  const { id, startedAt, server, tool, caller, surface, mode, arguments: args, argumentsTruncated, client, user } = row;
  const record: JournalRecord = { id, startedAt, server, tool, caller, surface, mode, arguments: args, argumentsTruncated };
  // In this order, as the journal's lines always had them.
  if (client !== undefined) record.client = client;
  if (user !== undefined) record.user = user;
  return record;
}

/** The first `count` items of `items`. */
function firstOf<T>(items: Iterable<T>, count: number): T[] {
  const taken: T[] = [];
  for (const item of items) {
    if (taken.length >= count) break;
    taken.push(item);
  }
  return taken;
}

/** The text an end holds, in UTF-16 units (close enough to bytes for a memory bound). */
function endBytes(end: QueuedEnd): number {
  return (end.preview?.length ?? 0) + (end.error?.length ?? 0) + (end.questions?.length ?? 0);
}

/** Largest epoch ms a Date can hold. */
const MAX_TIME = 8.64e15;

/** `value` rounded to an integer when it is a usable number (within Date's range), else `fallback`. */
function integerOr<T>(value: number | undefined, fallback: T): number | T {
  return typeof value === 'number' && Math.abs(value) <= MAX_TIME ? Math.round(value) : fallback;
}

function toEntry(row: ActivityRow): ActivityEntry {
  const truncated = row.arguments_truncated !== 0;
  let args: unknown = row.arguments;
  if (!truncated) {
    try {
      args = JSON.parse(row.arguments);
    } catch {
      // stored text that is not JSON: show it as it is
    }
  }
  return {
    id: row.id,
    startedAt: new Date(row.started_at).toISOString(),
    endedAt: row.ended_at === null ? null : new Date(row.ended_at).toISOString(),
    server: row.server,
    tool: row.tool,
    caller: row.caller,
    surface: row.surface as ActivityEntry['surface'],
    mode: row.mode as ActivityEntry['mode'],
    arguments: args,
    argumentsTruncated: truncated,
    outcome: row.outcome as ActivityOutcome,
    status: row.status,
    durationMs: row.duration_ms,
    resultBytes: row.result_bytes,
    preview: row.preview,
    error: row.error,
    approvalId: row.approval_id,
    client: row.client,
    questions: row.questions === null || row.questions === undefined ? null : (JSON.parse(row.questions) as ActivityQuestion[]),
    user: userOf(row),
  };
}

/** The forwarded user and chat of a row (the fields forwarded), or null when none was. */
function userOf(row: ActivityRow): ForwardedUser | null {
  let user: ForwardedUser | null = null;
  const set = (field: keyof ForwardedUser, value: string | null) => {
    if (value !== null) (user ??= {})[field] = value;
  };
  set('id', row.user_id);
  set('name', row.user_name);
  set('email', row.user_email);
  set('role', row.user_role);
  set('chatId', row.chat_id);
  set('messageId', row.message_id);
  return user;
}
