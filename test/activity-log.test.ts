// The activity log over a real SQLite file: queueing and batching, redaction and size limits,
// paging and filters, interrupted calls, pruning, failed writes, and the /api/activity routes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import express, { type ErrorRequestHandler } from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { StartJournal } from '../server/activity/start-journal.js';
import { ActivityLog, decodeCursor, type ActivityEnd, type ActivityQueueLimits, type ActivityStart } from '../server/activity/log.js';
import { ANONYMOUS_IDENTITY } from '../server/auth/identity.js';
import type { ActivitySettings } from '../server/config/types.js';
import { ACTIVITY_ROUTES } from '../server/http/api/activity.js';
import { RouteTable } from '../server/http/route.js';
import { ProblemError } from '../server/errors.js';
import { sendProblem } from '../server/http/problems.js';
import { createLogger } from '../server/logging/logger.js';
import { openDatabase, type Db } from '../server/state/db.js';
import { waitUntil } from './helpers/process.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

interface Setup {
  dir: string;
  db: Db;
  log: ActivityLog;
  settings: ActivitySettings;
  /** Parsed JSON log lines written by the ActivityLog's logger. */
  logLines: { level: number; msg: string; dropped?: number }[];
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-activity-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function setup(
  dir = tempDir(),
  settings: ActivitySettings = { maxRows: 100_000, maxAgeDays: 30 },
  { flushDelayMs, limits }: { flushDelayMs?: number; limits?: ActivityQueueLimits } = {},
): Setup {
  const db = openDatabase(dir);
  const logLines: Setup['logLines'] = [];
  const logger = createLogger('debug', { write: (line: string) => void logLines.push(JSON.parse(line)) });
  const log = new ActivityLog(db, () => settings, logger, flushDelayMs, limits);
  cleanups.push(() => {
    log.close();
    db.close();
  });
  return { dir, db, log, settings, logLines };
}

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

function call(id: string, overrides: Partial<ActivityStart> = {}): ActivityStart {
  return {
    id,
    startedAt: T0,
    server: 'alpha',
    tool: 'echo',
    caller: 'test',
    surface: 'api',
    mode: 'sync',
    arguments: { text: id },
    ...overrides,
  };
}

function ended(overrides: Partial<ActivityEnd> = {}): ActivityEnd {
  return { endedAt: T0 + 12, outcome: 'ok', status: 200, durationMs: 12.5, resultBytes: 42, preview: 'hello', ...overrides };
}

const rowCount = (db: Db) => (db.prepare('SELECT count(*) AS n FROM activity').get() as { n: number }).n;
const rawRow = (db: Db, id: string) => db.prepare('SELECT * FROM activity WHERE id = ?').get(id) as Record<string, unknown> | undefined;
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Counts the INSERTs and UPDATEs on `activity` made through this connection. */
function countWrites(db: Db): () => { inserts: number; updates: number } {
  db.exec(`
    CREATE TEMP TABLE write_counts (kind TEXT PRIMARY KEY, n INTEGER NOT NULL);
    INSERT INTO write_counts VALUES ('insert', 0), ('update', 0);
    CREATE TEMP TRIGGER count_inserts AFTER INSERT ON main.activity BEGIN
      UPDATE write_counts SET n = n + 1 WHERE kind = 'insert';
    END;
    CREATE TEMP TRIGGER count_updates AFTER UPDATE ON main.activity BEGIN
      UPDATE write_counts SET n = n + 1 WHERE kind = 'update';
    END;`);
  const select = db.prepare('SELECT kind, n FROM write_counts');
  return () => {
    const rows = select.all() as { kind: string; n: number }[];
    const get = (kind: string) => rows.find((row) => row.kind === kind)!.n;
    return { inserts: get('insert'), updates: get('update') };
  };
}

describe('writing', () => {
  it('writes a call that starts and ends before the flush as one complete row', async () => {
    const { db, log } = setup();
    const writes = countWrites(db);
    log.start(call('c1', { arguments: { city: 'Paris', units: ['c'] }, surface: 'mcpo', mode: 'stream', caller: 'key:ci' }));
    log.finish('c1', ended({ error: undefined }));
    expect(rowCount(db)).toBe(0); // only queued so far
    await waitUntil(() => rowCount(db) === 1, 5000, 'the row to be written');
    expect(writes()).toEqual({ inserts: 1, updates: 0 });

    expect(log.get('c1')).toEqual({
      id: 'c1',
      startedAt: new Date(T0).toISOString(),
      endedAt: new Date(T0 + 12).toISOString(),
      server: 'alpha',
      tool: 'echo',
      caller: 'key:ci',
      surface: 'mcpo',
      mode: 'stream',
      arguments: { city: 'Paris', units: ['c'] },
      argumentsTruncated: false,
      outcome: 'ok',
      status: 200,
      durationMs: 12.5,
      resultBytes: 42,
      preview: 'hello',
      error: null,
      approvalId: null,
      client: null,
      questions: null,
      user: null,
    });
    expect(rawRow(db, 'c1')).toMatchObject({
      started_at: T0,
      ended_at: T0 + 12,
      arguments: '{"city":"Paris","units":["c"]}',
      arguments_truncated: 0,
    });
  });

  it('writes a running row, then updates it when the call ends after that write', async () => {
    const { db, log } = setup();
    const writes = countWrites(db);
    log.start(call('slow'));
    await waitUntil(() => rowCount(db) === 1, 5000, 'the running row');
    expect(log.get('slow')).toMatchObject({ outcome: 'running', endedAt: null, status: null, durationMs: null, preview: null });

    log.finish('slow', ended({ outcome: 'tool_error', status: 502, error: 'it broke', preview: undefined, resultBytes: undefined }));
    await waitUntil(() => rawRow(db, 'slow')!.outcome !== 'running', 5000, 'the update');
    expect(writes()).toEqual({ inserts: 1, updates: 1 });
    expect(log.get('slow')).toMatchObject({ outcome: 'tool_error', status: 502, error: 'it broke', preview: null, resultBytes: null });
  });

  it('ignores a finish for an id it never saw', () => {
    const { db, log } = setup();
    log.finish('nobody', ended());
    expect(log.flush()).toBe(true);
    expect(rowCount(db)).toBe(0);
    expect(log.get('nobody')).toBeUndefined();
  });

  it('writes the calls queued before a flush together, and list() sees them without a flush', async () => {
    const { db, log } = setup();
    for (let i = 0; i < 5; i++) log.start(call(`a${i}`, { startedAt: T0 + i }));
    expect(rowCount(db)).toBe(0);
    await waitUntil(() => rowCount(db) > 0, 5000, 'the batch');
    expect(rowCount(db)).toBe(5); // all at once, never part of them

    for (let i = 0; i < 3; i++) log.start(call(`b${i}`, { startedAt: T0 + 100 + i }));
    expect(rowCount(db)).toBe(5);
    const page = log.list({ limit: 10 });
    expect(page.items.map((item) => item.id)).toEqual(['b2', 'b1', 'b0', 'a4', 'a3', 'a2', 'a1', 'a0']);
    expect(rowCount(db)).toBe(8);
  });

  it('writes at once when 512 entries are queued', () => {
    const { db, log } = setup();
    for (let i = 0; i < 511; i++) log.start(call(`q${i}`, { startedAt: T0 + i }));
    expect(rowCount(db)).toBe(0);
    log.start(call('q511'));
    expect(rowCount(db)).toBe(512);
  });

  it('stores redacted arguments', () => {
    const { db, log } = setup();
    const args = { query: 'x', apiKey: 'sk-live-123', nested: [{ password: 'hunter2', name: 'n' }], keyword: 'stays' };
    log.start(call('r1', { arguments: args }));
    log.flush();
    const raw = rawRow(db, 'r1')!.arguments as string;
    expect(raw).not.toContain('sk-live-123');
    expect(raw).not.toContain('hunter2');
    expect(JSON.parse(raw)).toEqual({
      query: 'x',
      apiKey: '[redacted]',
      nested: [{ password: '[redacted]', name: 'n' }],
      keyword: 'stays',
    });
    expect(log.get('r1')!.arguments).toEqual(JSON.parse(raw));
  });

  it('cuts arguments to 16 KiB and preview and error to 2 KiB', () => {
    const { db, log } = setup();
    log.start(call('big', { arguments: { text: '€'.repeat(10_000) } }));
    log.finish('big', ended({ preview: 'ü'.repeat(5000), error: '😀'.repeat(1000) }));
    log.flush();
    const raw = rawRow(db, 'big')!;
    expect(raw.arguments_truncated).toBe(1);
    expect(bytes(raw.arguments as string)).toBeLessThanOrEqual(16_384);
    expect(bytes(raw.arguments as string)).toBeGreaterThan(16_384 - 3);
    expect(bytes(raw.preview as string)).toBe(2048);
    expect(bytes(raw.error as string)).toBe(2048);

    const entry = log.get('big')!;
    expect(entry.argumentsTruncated).toBe(true);
    expect(typeof entry.arguments).toBe('string');
    expect((entry.arguments as string).startsWith('{"text":"€€€')).toBe(true);
    expect(entry.preview).toBe('ü'.repeat(1024));
    expect(entry.error).toBe('😀'.repeat(512));
  });
});

describe('reading', () => {
  it('pages newest first with a cursor, each row exactly once, including equal start times', () => {
    const { log } = setup();
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      const id = `id-${String(i).padStart(2, '0')}`;
      ids.push(id);
      log.start(call(id, { startedAt: T0 + Math.floor(i / 4) * 1000 })); // groups of 4 share a start time
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = log.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(8);
    expect(seen).toEqual([...ids].reverse()); // newest first; same start time → larger id first
    expect(log.list({ limit: 23 }).nextCursor).toBeNull();
    expect(log.list({ limit: 22 }).nextCursor).not.toBeNull();
  });

  it('filters by server, tool, outcome and time, combined with AND', () => {
    const { log } = setup();
    log.start(call('1', { server: 'alpha', tool: 'echo', startedAt: T0 }));
    log.finish('1', ended({ outcome: 'ok' }));
    log.start(call('2', { server: 'alpha', tool: 'add', startedAt: T0 + 1000 }));
    log.finish('2', ended({ outcome: 'timeout', status: 504 }));
    log.start(call('3', { server: 'beta', tool: 'echo', startedAt: T0 + 2000 }));
    log.finish('3', ended({ outcome: 'ok' }));
    log.start(call('4', { server: 'beta', tool: 'add', startedAt: T0 + 3000 }));
    const ids = (query: Omit<Parameters<ActivityLog['list']>[0], 'limit'>) =>
      log.list({ limit: 50, ...query }).items.map((item) => item.id);

    expect(ids({})).toEqual(['4', '3', '2', '1']);
    expect(ids({ server: 'alpha' })).toEqual(['2', '1']);
    expect(ids({ tool: 'echo' })).toEqual(['3', '1']);
    expect(ids({ outcome: 'ok' })).toEqual(['3', '1']);
    expect(ids({ outcome: 'running' })).toEqual(['4']);
    expect(ids({ since: T0 + 1000 })).toEqual(['4', '3', '2']); // inclusive
    expect(ids({ until: T0 + 2000 })).toEqual(['2', '1']); // exclusive
    expect(ids({ since: T0 + 1000, until: T0 + 3000 })).toEqual(['3', '2']);
    expect(ids({ server: 'beta', tool: 'echo', outcome: 'ok' })).toEqual(['3']);
    expect(ids({ server: 'beta', outcome: 'timeout' })).toEqual([]);
    expect(ids({ server: 'gamma' })).toEqual([]);

    // a cursor continues within the filter
    const first = log.list({ server: 'beta', limit: 1 });
    expect(first.items.map((item) => item.id)).toEqual(['4']);
    expect(log.list({ server: 'beta', limit: 1, cursor: first.nextCursor! }).items.map((item) => item.id)).toEqual(['3']);
  });

  it('rejects a malformed cursor', () => {
    const { log } = setup();
    expect(decodeCursor('not a cursor!')).toBeUndefined();
    expect(decodeCursor(Buffer.from('abc:def').toString('base64url'))).toBeUndefined();
    expect(() => log.list({ limit: 5, cursor: 'bogus' })).toThrow(RangeError);
  });
});

describe('interrupted calls', () => {
  it('marks calls that were running when the gateway stopped as interrupted', () => {
    const dir = tempDir();
    const first = openDatabase(dir);
    const logger = createLogger('silent');
    const before = new ActivityLog(first, () => ({ maxRows: 100, maxAgeDays: 30 }), logger);
    before.start(call('done'));
    before.finish('done', ended());
    before.start(call('cut-off'));
    before.flush();
    first.close(); // the gateway dies: no finish for cut-off

    const { log } = setup(dir);
    expect(log.markInterrupted()).toBe(1);
    expect(log.get('cut-off')).toMatchObject({ outcome: 'interrupted', endedAt: null, status: null });
    expect(log.get('done')).toMatchObject({ outcome: 'ok' });
    expect(log.markInterrupted()).toBe(0);
  });
});

describe('pruning', () => {
  it('keeps only the newest maxRows rows', () => {
    const { db, log, settings } = setup();
    settings.maxRows = 10;
    for (let i = 0; i < 25; i++) log.start(call(`p${String(i).padStart(2, '0')}`, { startedAt: T0 + Math.floor(i / 2) }));
    expect(log.prune(T0)).toBe(15);
    expect(rowCount(db)).toBe(10);
    expect(log.list({ limit: 50 }).items.map((item) => item.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `p${String(24 - i).padStart(2, '0')}`),
    );
    expect(log.prune(T0)).toBe(0);
  });

  it('deletes rows older than maxAgeDays', () => {
    const { db, log, settings } = setup();
    settings.maxAgeDays = 7;
    const day = 86_400_000;
    const now = T0 + 30 * day;
    log.start(call('old', { startedAt: now - 8 * day }));
    log.start(call('edge', { startedAt: now - 7 * day }));
    log.start(call('new', { startedAt: now - day }));
    expect(log.prune(now)).toBe(1);
    expect(rowCount(db)).toBe(2);
    expect(log.get('old')).toBeUndefined();
    expect(log.get('edge')).toBeDefined();
  });

  it('prunes many rows in chunks, and in the background', async () => {
    const { db, log, settings } = setup();
    for (let i = 0; i < 5000; i++) log.start(call(`m${String(i).padStart(4, '0')}`, { startedAt: T0 + i }));
    log.flush();
    settings.maxRows = 100;
    expect(log.prune(T0)).toBe(4900);
    expect(rowCount(db)).toBe(100);
    expect(log.list({ limit: 1 }).items[0]!.id).toBe('m4999');

    settings.maxRows = 10;
    settings.maxAgeDays = 365_000; // the background prune uses the real clock; T0 must not be too old
    log.startBackground(60_000);
    await waitUntil(() => rowCount(db) === 10, 5000, 'the background prune');
  });
});

describe('failed writes', () => {
  function lockDatabase(dir: string): Database.Database {
    const other = new Database(path.join(dir, 'gateway.db'));
    other.pragma('busy_timeout = 10');
    other.exec('BEGIN IMMEDIATE');
    cleanups.push(() => other.close());
    return other;
  }

  it('keeps the queued rows when a write fails, and writes them on the next flush', () => {
    const { dir, db, log, logLines } = setup();
    db.pragma('busy_timeout = 10');
    const other = lockDatabase(dir);

    log.start(call('kept-1'));
    log.start(call('kept-2'));
    expect(log.flush()).toBe(false);
    expect(rowCount(db)).toBe(0);
    expect(logLines.some((line) => line.level === 50 && /the activity log cannot be written/.test(line.msg))).toBe(true);
    log.finish('kept-1', ended()); // joins the queued start
    expect(log.flush()).toBe(false);

    other.exec('COMMIT');
    expect(log.flush()).toBe(true);
    expect(rowCount(db)).toBe(2);
    expect(log.get('kept-1')).toMatchObject({ outcome: 'ok', status: 200 });
    expect(log.get('kept-2')).toMatchObject({ outcome: 'running' });
  });

  it('retries by itself once the database is free again', async () => {
    const { dir, db, log } = setup();
    db.pragma('busy_timeout = 10');
    const other = lockDatabase(dir);
    log.start(call('retried'));
    await waitUntil(() => !log.flush(), 5000, 'a failed write');
    other.exec('COMMIT');
    await waitUntil(() => rowCount(db) === 1, 5000, 'the retry');
  });
});

describe('durable starts (the start journal)', () => {
  /** A gateway killed now: its connection goes, nothing queued is written, nothing is cleaned up. */
  const kill = ({ db }: Setup) => db.close();

  /** The ids in the start journal now. */
  const journaled = (dir: string): string[] => {
    const file = path.join(dir, 'activity.journal');
    if (!fs.existsSync(file)) return [];
    return new StartJournal(file).read().map((record) => record.id);
  };

  it('committed() journals a lone call at once, and the starts of the calls that come while it runs in one write in the next turn; a gateway killed then still has their rows at the next start', async () => {
    const dir = tempDir();
    const first = setup(dir, undefined, { flushDelayMs: 60_000 });
    const journal = path.join(dir, 'activity.journal');
    first.log.start(call('lone'));
    const lone = first.log.committed('lone');
    expect(journaled(dir)).toEqual(['lone']); // at once: nothing to share the write with
    for (let i = 0; i < 5; i++) first.log.start(call(`g${i}`));
    const waits = [0, 1, 2, 3, 4].map((i) => first.log.committed(`g${i}`));
    expect(journaled(dir)).toEqual(['lone']); // 'lone' still runs: written in the next turn, all together
    await Promise.all([lone, ...waits]);
    expect(journaled(dir)).toEqual(['lone', 'g0', 'g1', 'g2', 'g3', 'g4']);
    expect(fs.statSync(journal).mode & 0o777).toBe(0o600);
    expect(rowCount(first.db)).toBe(0); // the database gets them with its batch, later
    first.log.start(call('late')); // queued, never committed: it never went upstream
    kill(first);

    const second = setup(dir);
    expect(second.log.markInterrupted()).toBe(6);
    expect(rowCount(second.db)).toBe(6);
    expect(second.log.get('g0')).toMatchObject({ outcome: 'interrupted', server: 'alpha', arguments: { text: 'g0' } });
    expect(fs.statSync(journal).size).toBe(0); // the database has them now
  });

  it('journals each start at once when calls come one at a time (concurrency 1): the call does not wait a turn, and its start is written before it goes upstream', async () => {
    const dir = tempDir();
    const first = setup(dir, undefined, { flushDelayMs: 60_000 });
    for (const id of ['s0', 's1', 's2']) {
      first.log.start(call(id));
      const written = first.log.committed(id);
      expect(journaled(dir)).toContain(id); // before the call may go upstream, in this turn
      await written;
      first.log.finish(id, ended());
    }
    // Several at once again: one write in the next turn, as before.
    for (const id of ['m0', 'm1']) first.log.start(call(id));
    const m0 = first.log.committed('m0');
    const m1 = first.log.committed('m1');
    expect(journaled(dir)).toEqual(['s0', 's1', 's2', 'm0']);
    await Promise.all([m0, m1]);
    expect(journaled(dir)).toEqual(['s0', 's1', 's2', 'm0', 'm1']);
    kill(first);
    const second = setup(dir);
    expect(second.log.markInterrupted()).toBe(5);
  });

  it("keeps a call's forwarded user through the journal", async () => {
    const dir = tempDir();
    const first = setup(dir, undefined, { flushDelayMs: 60_000 });
    const user = { id: 'u1', name: 'Alice', email: 'alice@example.com', role: 'user', chatId: 'c1', messageId: 'm1' };
    first.log.start(call('for-alice', { user }));
    first.log.start(call('for-nobody'));
    await Promise.all([first.log.committed('for-alice'), first.log.committed('for-nobody')]);
    kill(first);

    const second = setup(dir);
    expect(second.log.markInterrupted()).toBe(2);
    expect(second.log.get('for-alice')).toMatchObject({ outcome: 'interrupted', user });
    expect(second.log.get('for-nobody')).toMatchObject({ outcome: 'interrupted', user: null });
    expect(second.log.list({ limit: 10, user: 'ALICE@example.com' }).items.map((entry) => entry.id)).toEqual(['for-alice']);
  });

  it('is emptied once the database holds every queued start, and committed() is at once for a start written already', async () => {
    const { dir, db, log } = setup(undefined, undefined, { flushDelayMs: 60_000 });
    const journal = path.join(dir, 'activity.journal');
    log.start(call('a'));
    await log.committed('a');
    expect(fs.statSync(journal).size).toBeGreaterThan(0);
    expect(log.flush()).toBe(true);
    expect(rowCount(db)).toBe(1);
    expect(fs.statSync(journal).size).toBe(0);
    await log.committed('a'); // in the database already: at once, nothing journaled
    await log.committed('never-started');
    expect(fs.statSync(journal).size).toBe(0);
  });

  it('journals the waiting starts when a write to the database fails in the same turn (a reader forces a flush while another program holds the lock)', async () => {
    const dir = tempDir();
    const first = setup(dir, undefined, { flushDelayMs: 60_000 });
    first.db.pragma('busy_timeout = 10');
    const other = new Database(path.join(dir, 'gateway.db'));
    other.exec('BEGIN IMMEDIATE'); // a backup tool or the sqlite3 shell holds the write lock
    try {
      first.log.start(call('ran'));
      const waiting = first.log.committed('ran');
      first.log.list({ limit: 10 }); // the UI's live tail reads: the queue's write fails (SQLITE_BUSY)
      expect(first.log.health().state).toBe('failing');
      await waiting; // the call goes upstream now: its start must be somewhere
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    kill(first);
    const second = setup(dir);
    expect(second.log.markInterrupted()).toBe(1);
    expect(second.log.get('ran')).toMatchObject({ outcome: 'interrupted' });
  });

  it('rewrites a long journal with only the starts still queued when a write fails part-way', async () => {
    const dir = tempDir();
    const first = setup(dir, undefined, { flushDelayMs: 60_000, limits: { writeChunk: 2, journalCompactBytes: 1 } });
    // A real failure of the second transaction: SQLite refuses the third row.
    first.db.exec("CREATE TRIGGER refuse_c2 BEFORE INSERT ON activity WHEN NEW.id = 'c2' BEGIN SELECT RAISE(ABORT, 'refused'); END");
    for (const id of ['c0', 'c1', 'c2', 'c3']) first.log.start(call(id));
    await Promise.all(['c0', 'c1', 'c2', 'c3'].map((id) => first.log.committed(id)));
    const journal = path.join(dir, 'activity.journal');
    const ids = () => new StartJournal(journal).read().map((record) => record.id);
    expect(ids()).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(first.log.flush()).toBe(false); // c0 and c1 written, then the chunk with c2 fails
    expect(rowCount(first.db)).toBe(2);
    expect(ids()).toEqual(['c2', 'c3']);
    first.db.exec('DROP TRIGGER refuse_c2');
    kill(first);
    const second = setup(dir);
    expect(second.log.markInterrupted()).toBe(4);
    expect(rowCount(second.db)).toBe(4);
  });

  it('does not hold calls back when the journal cannot be written, and says so once', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'activity.journal')); // a folder where the file should be: EISDIR
    const { log, logLines } = setup(dir, undefined, { flushDelayMs: 60_000 });
    log.start(call('x1'));
    await log.committed('x1');
    log.start(call('x2'));
    await log.committed('x2');
    const errors = logLines.filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/cannot write the activity log's start journal .*activity\.journal \(EISDIR\): calls go on/);
    // /readyz and the metrics see it as the log failing.
    expect(log.health()).toMatchObject({ state: 'failing', error: expect.stringContaining('start journal') });
    expect(log.flush()).toBe(true); // the database is unharmed
    expect(log.get('x2')).toMatchObject({ outcome: 'running' });
  });
});

/** The database may not grow any more: SQLite answers SQLITE_FULL, as on a full disk. */
function fillUp(db: Db, extraPages = 0): void {
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages + extraPages}`);
}

describe('a full disk', () => {
  const big = (id: string) => call(id, { arguments: { text: `${id} ${'x'.repeat(2000)}` } });
  const errors = (lines: Setup['logLines']) => lines.filter((line) => line.level >= 50);

  it('keeps the queue bounded, dropping the newest with a count, and logs each change of state once, not each retry', () => {
    const { db, log, logLines } = setup(undefined, undefined, { limits: { maxQueued: 100 } });
    fillUp(db);
    for (let i = 0; i < 150; i++) log.start(big(`d${String(i).padStart(3, '0')}`));
    for (let i = 0; i < 5; i++) expect(log.flush()).toBe(false); // retries fail the same way
    expect(log.health()).toMatchObject({ state: 'failing', queued: 100, dropped: 50, error: expect.stringContaining('gateway.db') });
    expect(log.health().error).toContain('full');
    // Two lines: the queue is full, and writes fail (naming the file and what to do).
    const messages = errors(logLines).map((line) => line.msg);
    expect(messages).toHaveLength(2);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/activity log cannot be written: cannot write .*gateway\.db: the disk .* is full; free some space/),
        expect.stringContaining('queue is full'),
      ]),
    );
    // A queued start still takes its finish.
    log.finish('d000', ended());

    db.pragma('max_page_count = 1000000');
    expect(log.flush()).toBe(true);
    expect(rowCount(db)).toBe(100);
    expect(log.get('d000')).toMatchObject({ outcome: 'ok' });
    expect(log.get('d099')).toBeDefined();
    expect(log.get('d100')).toBeUndefined(); // the newest were dropped
    expect(logLines.at(-1)).toMatchObject({ level: 40, dropped: 50, msg: expect.stringContaining('written again') });
    expect(log.health()).toMatchObject({ state: 'ok', queued: 0, dropped: 50 });
  });

  it('writes what fits at shutdown and counts the rest as lost', () => {
    const { db, log, logLines } = setup();
    fillUp(db);
    for (let i = 0; i < 600; i++) log.start(big(`s${String(i).padStart(3, '0')}`)); // two chunks
    expect(log.flush()).toBe(false);
    expect(rowCount(db)).toBe(0);
    fillUp(db, 40); // room for some of them
    log.close();
    const written = rowCount(db);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(600);
    expect(logLines.at(-1)).toMatchObject({
      level: 50,
      dropped: 600 - written,
      msg: expect.stringContaining('could not be written at shutdown'),
    });
    expect(log.health()).toMatchObject({ queued: 0, dropped: 600 - written });
  });

  it('writes a long backlog in transactions of at most 512 entries', () => {
    const { db, log } = setup();
    fillUp(db);
    for (let i = 0; i < 1500; i++) log.start(call(`c${i}`));
    expect(log.flush()).toBe(false);
    fillUp(db, 20); // 512 such rows take 13 pages: room for one chunk, not for all
    expect(log.flush()).toBe(false);
    const written = rowCount(db);
    expect(written % 512).toBe(0);
    expect(written).toBeGreaterThan(0);
    expect(log.health().queued).toBe(1500 - written);
  });
});

describe('/api/activity', () => {
  function app(log: ActivityLog): express.Express {
    const server = express();
    // Who reads: the anonymous admin, as `authenticate` makes every request on a gateway without a key.
    server.use((req, _res, next) => {
      req.identity = ANONYMOUS_IDENTITY;
      next();
    });
    new RouteTable().mount(server, ACTIVITY_ROUTES, { activity: log });
    const onError: ErrorRequestHandler = (error, _req, res, next) => {
      if (error instanceof ProblemError) sendProblem(res, error.type, error.detail, error.extra);
      else next(error);
    };
    server.use(onError);
    return server;
  }

  function expectProblem(res: request.Response, status: number, type: string): void {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type, status });
  }

  function fields(res: request.Response): string[] {
    return (res.body.errors as { field: string }[]).map((error) => error.field);
  }

  it('pages through entries and shows one', async () => {
    const { log } = setup();
    for (let i = 0; i < 5; i++) log.start(call(`h${i}`, { startedAt: T0 + i * 1000, server: i % 2 ? 'beta' : 'alpha' }));
    log.finish('h4', ended({ outcome: 'timeout', status: 504 }));
    const api = app(log);

    const first = await request(api).get('/api/activity?limit=2').expect(200);
    expect(first.body.items.map((item: { id: string }) => item.id)).toEqual(['h4', 'h3']);
    expect(first.body.items[0]).toMatchObject({
      startedAt: new Date(T0 + 4000).toISOString(),
      outcome: 'timeout',
      arguments: { text: 'h4' },
    });
    const second = await request(api).get('/api/activity').query({ limit: 2, cursor: first.body.nextCursor }).expect(200);
    expect(second.body.items.map((item: { id: string }) => item.id)).toEqual(['h2', 'h1']);
    const last = await request(api).get('/api/activity').query({ limit: 2, cursor: second.body.nextCursor }).expect(200);
    expect(last.body).toMatchObject({ items: [{ id: 'h0' }], nextCursor: null });

    const all = await request(api).get('/api/activity').expect(200);
    expect(all.body.items).toHaveLength(5); // default limit 50

    const filtered = await request(api)
      .get('/api/activity')
      .query({ server: 'alpha', outcome: 'running', since: new Date(T0 + 1000).toISOString(), until: String(T0 + 4000) })
      .expect(200);
    expect(filtered.body.items.map((item: { id: string }) => item.id)).toEqual(['h2']);

    const one = await request(api).get('/api/activity/h4').expect(200);
    expect(one.body).toMatchObject({ id: 'h4', outcome: 'timeout', status: 504, server: 'alpha' });
  });

  it('answers 404 for an unknown id', async () => {
    const { log } = setup();
    const res = await request(app(log)).get('/api/activity/nope');
    expectProblem(res, 404, 'activity-not-found');
  });

  it('answers 422 naming each bad query parameter', async () => {
    const { log } = setup();
    const api = app(log);
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=1.5', 'limit'],
      ['outcome=great', 'outcome'],
      ['since=yesterday', 'since'],
      ['until=2026-01-01', 'until'],
      ['cursor=bogus', 'cursor'],
      ['server=a&server=b', 'server'],
      ['colour=red', 'colour'],
    ] as const) {
      const res = await request(api).get(`/api/activity?${query}`);
      expectProblem(res, 422, 'invalid-request');
      expect(fields(res), query).toEqual([field]);
    }
    const both = await request(api).get('/api/activity?limit=1000&outcome=nope');
    expectProblem(both, 422, 'invalid-request');
    expect(fields(both).sort()).toEqual(['limit', 'outcome']);
  });
});
