/**
 * The activity log: one row per tool call in the `activity` table, written as the call starts
 * (outcome `running`) and completed as it ends.
 *
 * Writing is on every call's path, so `start` and `finish` only queue: the queue is written in
 * one transaction `flushDelayMs` (default 100 ms) after the first queued change, or at once when
 * it holds 512 entries; reads write the queue first. A call that starts and ends within that
 * time costs a share of one transaction and a single INSERT of the complete row. A write
 * that fails (say SQLITE_BUSY) is logged and the entries stay queued for the next attempt, which
 * comes from an explicit `flush()` or from a retry timer (1 s, doubling to 30 s); no row is
 * dropped silently.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import type { ActivityOutcome, CallOutcome } from '../calls/outcome.js';
import type { CallMode, CallSurface } from '../calls/running-call.js';
import type { ActivitySettings } from '../config/types.js';
import type { Logger } from '../logging/logger.js';
import type { Db } from '../state/db.js';
import { MAX_ARGUMENT_BYTES, redactArguments, truncateUtf8 } from './redact.js';

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
}

/** Filters of `list`, combined with AND. */
export interface ActivityQuery {
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
/** Beyond this many queued entries (writes failing for a long time) new calls are dropped, with an error logged. */
export const MAX_QUEUED = 100_000;
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
}

/** A queued start, completed in place by a finish that arrives before it is written. */
interface QueuedRow {
  id: string;
  startedAt: number;
  server: string;
  tool: string;
  caller: string;
  surface: string;
  mode: string;
  arguments: string;
  argumentsTruncated: number;
  end?: QueuedEnd;
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
}

type Statement = Database.Statement<unknown[]>;

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

  /** Starts not written yet, in arrival order. */
  private readonly queuedRows = new Map<string, QueuedRow>();
  /** Finishes of calls whose start was written already (or never queued: then a no-op). */
  private readonly queuedEnds = new Map<string, QueuedEnd>();
  private readonly writeQueue: () => void;

  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = RETRY_FIRST_MS;
  private failing = false;
  private dropped = 0;
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
    /** Argument names redacted on top of the built-in ones (`gateway.redact.keys`), read at each call. Default none. */
    private readonly redactKeys: () => readonly string[] = () => [],
  ) {
    this.insertRow = db.prepare(
      `INSERT INTO activity (id, started_at, ended_at, server, tool, caller, surface, mode, arguments,
         arguments_truncated, outcome, status, duration_ms, result_bytes, preview, error, approval_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO NOTHING`,
    );
    this.finishRow = db.prepare(
      `UPDATE activity SET ended_at = ?, outcome = ?, status = ?, duration_ms = ?, result_bytes = ?,
         preview = ?, error = ?, approval_id = ?
       WHERE id = ? AND outcome = 'running'`,
    );
    this.selectRow = db.prepare('SELECT * FROM activity WHERE id = ?');
    this.interruptRunning = db.prepare("UPDATE activity SET outcome = 'interrupted' WHERE outcome = 'running'");
    this.pruneOlder = db.prepare(
      'DELETE FROM activity WHERE rowid IN (SELECT rowid FROM activity WHERE started_at < ? LIMIT ?)',
    );
    this.nthNewest = db.prepare(
      'SELECT started_at, id FROM activity ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET ?',
    );
    this.pruneUpTo = db.prepare(
      'DELETE FROM activity WHERE rowid IN (SELECT rowid FROM activity WHERE (started_at, id) <= (?, ?) LIMIT ?)',
    );
    this.writeQueue = db.transaction(() => {
      for (const row of this.queuedRows.values()) {
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
        );
      }
      for (const [id, end] of this.queuedEnds) {
        this.finishRow.run(end.endedAt, end.outcome, end.status, end.durationMs, end.resultBytes, end.preview, end.error, end.approvalId, id);
      }
    });
  }

  /**
   * Marks the rows still `running` (the gateway stopped during those calls) as `interrupted`,
   * and returns how many. `ended_at` stays null: when they really ended is not known. Call
   * once at startup, before the first `start`.
   */
  markInterrupted(): number {
    return this.interruptRunning.run().changes;
  }

  /** Queues the row of a call that starts (outcome `running`). Never throws. */
  start(entry: ActivityStart): void {
    try {
      if (this.queuedRows.size + this.queuedEnds.size >= MAX_QUEUED) {
        this.dropped++;
        return;
      }
      const { text, truncated } = redactArguments(entry.arguments, MAX_ARGUMENT_BYTES, this.redactKeys());
      this.queuedRows.set(entry.id, {
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
      });
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
      };
      const row = this.queuedRows.get(id);
      if (row) {
        row.end = queuedEnd;
        return; // the flush is scheduled already
      }
      this.queuedEnds.set(id, queuedEnd);
      this.queued();
    } catch (error) {
      this.logger.error({ err: error, activityId: id }, 'could not queue the end of an activity row');
    }
  }

  /**
   * Writes everything queued, in one transaction, now. Never throws: on failure the error is
   * logged, the entries stay queued and a retry is scheduled. Returns whether the queue is empty.
   */
  flush(): boolean {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.dropped > 0) {
      this.logger.error({ dropped: this.dropped }, 'activity log queue full: rows were dropped');
      this.dropped = 0;
    }
    if (this.queuedRows.size === 0 && this.queuedEnds.size === 0) return true;
    try {
      this.writeQueue();
    } catch (error) {
      this.logger.error(
        { err: error, queued: this.queuedRows.size + this.queuedEnds.size },
        'could not write the activity log; will retry',
      );
      this.scheduleRetry();
      return false;
    }
    this.queuedRows.clear();
    this.queuedEnds.clear();
    this.failing = false;
    this.retryDelayMs = RETRY_FIRST_MS;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    return true;
  }

  /**
   * A page of rows, newest first by (start time, id), matching every given filter. Writes
   * the queue first. Throws a RangeError for a cursor `decodeCursor` does not accept.
   */
  list(query: ActivityQuery): ActivityPage {
    this.flush();
    const conditions: string[] = [];
    const params: (string | number)[] = [];
    let shape = '';
    const add = (flag: string, condition: string, ...values: (string | number)[]) => {
      shape += flag;
      conditions.push(condition);
      params.push(...values);
    };
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

  /** One row by id, or undefined. Writes the queue first. */
  get(id: string): ActivityEntry | undefined {
    this.flush();
    const row = this.selectRow.get(id) as ActivityRow | undefined;
    return row ? toEntry(row) : undefined;
  }

  /**
   * Deletes the rows that started more than `maxAgeDays` before `now`, then all but the newest
   * `maxRows`; returns how many went. Deletes at most 2000 rows per statement, each its own
   * transaction (the background prune yields to the event loop between them).
   */
  prune(now = Date.now()): number {
    this.flush();
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

  /** Stops the background timers and writes the queue. Calls still queued later are written as usual. */
  close(): void {
    this.closed = true;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    if (this.pruneSoon) clearImmediate(this.pruneSoon);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.pruneTimer = undefined;
    this.pruneSoon = undefined;
    this.retryTimer = undefined;
    this.flush();
  }

  /** After a queue change: write at once when the queue is long, else once `flushDelayMs` after the first change. */
  private queued(): void {
    if (this.failing) return; // the retry timer writes; a failing write per call would stall every call
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

  private scheduleRetry(): void {
    this.failing = true;
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
      this.logger.error({ err: error }, 'could not prune the activity log');
    } finally {
      this.pruning = false;
    }
  }
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
  };
}
