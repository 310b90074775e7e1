// The start journal's own bookkeeping: the bytes it counts (which a failed write truncates back to) are
// the file's, for text of any script, and what it appends reads back.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/temp.js';
import { StartJournal, type JournalRecord } from './start-journal.js';

const record = (id: string, message: string): JournalRecord => ({
  id,
  startedAt: 1_700_000_000_000,
  server: 'echo',
  tool: 'echo',
  caller: 'anonymous',
  surface: 'mcpo',
  mode: 'sync',
  arguments: JSON.stringify({ message }),
  argumentsTruncated: 0,
});

describe('StartJournal', () => {
  it('counts the UTF-8 bytes it appends, reads them back and empties the file', () => {
    const file = path.join(tempDir(), 'activity.journal');
    const journal = new StartJournal(file);
    const records = [record('a', 'hello'), record('b', 'héllo ✓ 日本語 🙂'), record('c', '')];
    journal.append(records.slice(0, 2));
    journal.append(records.slice(2));
    expect(journal.bytes).toBe(fs.statSync(file).size);
    expect(new StartJournal(file).read()).toEqual(records);
    journal.clear();
    expect(fs.statSync(file).size).toBe(0);
    journal.close();
  });
});
