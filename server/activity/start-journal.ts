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
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const record = JSON.parse(line) as JournalRecord;
        if (typeof record.id === 'string' && typeof record.startedAt === 'number') records.push(record);
      } catch {
        // a torn line: its call never went upstream (the write had not returned)
      }
    }
    return records;
  }

  /** Appends the records, one JSON line each, in one write. Throws when the file cannot be written (ENOSPC…). */
  append(records: readonly JournalRecord[]): void {
    let text = '';
    for (const record of records) text += `${JSON.stringify(record)}\n`;
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
