/**
 * The activity log's start journal: `activity.journal` beside `gateway.db`, an append-only file
 * of the start rows of calls that went upstream before the database had them. A call may reach
 * its server only once its start is here or in the database, so a gateway that is killed (kill
 * -9, OOM) loses no call that ran: at the next start the rows the database lacks are taken from
 * here (as `interrupted`), and the file is emptied.
 *
 * Why a file of its own: one `write` of a few hundred bytes per turn of the event loop costs a few
 * microseconds, where a SQLite transaction per turn (WAL frames of whole pages) cost the gateway a
 * fifth of its calls per second. The database still gets its rows in batches (see log.ts); once a
 * batch has written every queued row, the journal is emptied.
 *
 * Like the database (WAL, synchronous NORMAL), a written line survives the process being killed,
 * not a power cut: the journal is not fsynced.
 *
 * A line is a record's fields after a tab, separated by tabs, the arguments (JSON) last and a tab
 * after them: a call's start is written on every call, and `JSON.stringify` of the record, escaping
 * every quote of its arguments' JSON, took about 2 µs a record against under 1 µs (README,
 * "Performance"). A record with a field holding a tab, a newline or a lone surrogate (which UTF-8
 * cannot carry), or with a client or forwarded user, is a JSON line instead; the journal of an
 * earlier version (JSON lines) reads as before (an earlier version skips the tab lines). Only whole
 * lines (ended by a newline) are read: the last one may be torn by a crash. The closing tab tells a
 * whole tab line from a torn one that a later line was appended to (a failed write whose
 * truncation failed too).
 */
import fs from 'node:fs';
import type { ForwardedUser } from '../auth/forwarded-user.js';

/** A start row as the journal holds it: what the `activity` table needs for a `running` row. */
export interface JournalRecord {
  id: string;
  startedAt: number;
  server: string;
  tool: string;
  caller: string;
  surface: string;
  mode: string;
  /** Redacted JSON, as stored in the table. */
  arguments: string;
  argumentsTruncated: number;
  /** The MCP client (`/mcp` calls only). */
  client?: string;
  /** Who the call was made for, as a trusted key forwarded it. */
  user?: ForwardedUser;
}

export class StartJournal {
  private fd: number | undefined;
  /** Bytes in the file since it was last emptied (0: nothing to empty). */
  private size = 0;

  constructor(readonly file: string) {}

  /**
   * The records left by a gateway that stopped without emptying the file (none when it is
   * missing). A line that does not parse (the last one, torn by a crash) is skipped.
   */
  read(): JournalRecord[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    this.size = Buffer.byteLength(text);
    const records: JournalRecord[] = [];
    const lines = text.split('\n');
    // The last piece is what follows the last newline: empty, or a line a crash tore.
    lines.pop();
    for (const line of lines) {
      const record = recordOf(line);
      if (record) records.push(record);
    }
    return records;
  }

  /** Appends the records, one line each, in one write. Throws when the file cannot be written (ENOSPC…). */
  append(records: readonly JournalRecord[]): void {
    let text = '';
    for (const record of records) text += `${lineOf(record)}\n`;
    this.fd ??= fs.openSync(this.file, 'a', 0o600);
    // The text is written as it is (no Buffer made of it per write, which is on every call's path);
    // only a write cut short (the disk filling up meanwhile) goes on from a Buffer.
    const length = Buffer.byteLength(text, 'utf8');
    let written = 0;
    try {
      written = fs.writeSync(this.fd, text, null, 'utf8');
      if (written < length) {
        const bytes = Buffer.from(text, 'utf8');
        while (written < length) written += fs.writeSync(this.fd, bytes, written);
      }
    } catch (error) {
      // A part of a line (the disk filled up meanwhile) would spoil the next line appended to it.
      if (written > 0) fs.ftruncateSync(this.fd, this.size);
      throw error;
    }
    this.size += length;
  }

  /** Bytes in the file since it was last emptied. */
  get bytes(): number {
    return this.size;
  }

  /** Empties the file: the database holds every record in it now. */
  clear(): void {
    if (this.size === 0) return;
    if (this.fd === undefined) fs.truncateSync(this.file, 0);
    else fs.ftruncateSync(this.fd, 0);
    this.size = 0;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Fields of a tab line, the empty ones before its first tab and after its last included. */
const TAB_FIELDS = 11;

/** Whether `text` cannot be a field of a tab line: it holds a tab or a newline, or a lone surrogate (written as U+FFFD in UTF-8). */
const breaksLine = (text: string) => text.includes('\t') || text.includes('\n') || !isWellFormed(text);

/** `String.prototype.isWellFormed` (ES2024: in every Node this runs on, not in the ES2022 lib the code is checked against). */
const isWellFormed = (text: string) => (text as string & { isWellFormed(): boolean }).isWellFormed();

/** The journal line of `record`, without its newline. */
function lineOf(record: JournalRecord): string {
  const { id, server, tool, caller, surface, mode, arguments: args } = record;
  if (
    record.client !== undefined ||
    record.user !== undefined ||
    breaksLine(id) ||
    breaksLine(server) ||
    breaksLine(tool) ||
    breaksLine(caller) ||
    breaksLine(surface) ||
    breaksLine(mode) ||
    breaksLine(args)
  ) {
    return JSON.stringify(record);
  }
  return `\t${id}\t${record.startedAt}\t${server}\t${tool}\t${caller}\t${surface}\t${mode}\t${record.argumentsTruncated}\t${args}\t`;
}

/** The record a whole line holds (a tab line, or a JSON line), or undefined for one that does not read as one. */
function recordOf(line: string): JournalRecord | undefined {
  if (line.startsWith('\t')) {
    const fields = line.split('\t');
    if (fields.length !== TAB_FIELDS) return undefined;
    const [, id, startedAt, server, tool, caller, surface, mode, truncated, args, end] = fields as [string, ...string[]];
    const started = Number(startedAt);
    if (end !== '' || !id || !/^-?\d+$/.test(startedAt!) || !Number.isSafeInteger(started) || (truncated !== '0' && truncated !== '1')) {
      return undefined;
    }
    return {
      id,
      startedAt: started,
      server: server!,
      tool: tool!,
      caller: caller!,
      surface: surface!,
      mode: mode!,
      arguments: args!,
      argumentsTruncated: Number(truncated),
    };
  }
  try {
    const record = JSON.parse(line) as JournalRecord;
    return typeof record?.id === 'string' && typeof record.startedAt === 'number' ? record : undefined;
  } catch {
    return undefined; // not a record (a line of something else)
  }
}
