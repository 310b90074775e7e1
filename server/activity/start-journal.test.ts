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

  it('writes a plain start as a tab line and anything a tab line cannot hold as JSON, and reads both back', () => {
    const file = path.join(tempDir(), 'activity.journal');
    const journal = new StartJournal(file);
    const plain = record('p', 'tab\there, newline\nthere, "quotes" and \\'); // escaped inside the arguments' JSON
    const odd: JournalRecord[] = [
      { ...record('t', 'x'), tool: 'a\ttool' },
      { ...record('n', 'x'), server: 'line\nbreak' },
      { ...record('c', 'x'), caller: 'key:\t1' },
      { ...record('k', 'x'), client: 'Claude Code 2.1.0' },
      { ...record('u', 'x'), user: { id: 'u1', name: 'Ann' } },
      { ...record('r', 'x'), arguments: '{"raw":"\t"}' },
      { ...record('s', 'x'), tool: 'lone \ud800 surrogate' },
    ];
    journal.append([plain, ...odd]);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toBe(`\tp\t1700000000000\techo\techo\tanonymous\tmcpo\tsync\t0\t${plain.arguments}\t`);
    for (const line of lines.slice(1, -1)) expect(JSON.parse(line)).toHaveProperty('id');
    expect(lines.at(-1)).toBe('');
    expect(new StartJournal(file).read()).toEqual([plain, ...odd]);
    journal.close();
  });

  it('skips a line a crash tore at the end, and lines that do not read as records; reads the JSON lines of an earlier version', () => {
    const file = path.join(tempDir(), 'activity.journal');
    const earlier = record('old', 'from an earlier version');
    const whole = `\tw\t1700000000001\techo\techo\tanonymous\tmcpo\tsync\t1\t{"message":"cut"\t`;
    // A write cut short whose truncation failed too, and a JSON line (no tabs) appended after it: one line of 10 fields.
    const cutThenJson = `\tx\t1700000000003\techo\techo\tanonymous\tmcpo\tsync\t0\t{"q":"hel${JSON.stringify({ ...record('y', ''), client: 'c' })}`;
    fs.writeFileSync(
      file,
      [
        JSON.stringify(earlier),
        whole,
        cutThenJson,
        '\tshort\t1\techo',
        '\tbad-time\tsoon\techo\techo\tanonymous\tmcpo\tsync\t0\t{}\t',
        '\tbad-flag\t1\techo\techo\tanonymous\tmcpo\tsync\t2\t{}\t',
        '\tno-end\t1\techo\techo\tanonymous\tmcpo\tsync\t0\t{}',
        'not json',
        '\ttorn\t1700000000002\techo\techo\tanonymous\tmcpo\tsync\t0\t{"message":"he',
      ].join('\n'),
    );
    expect(new StartJournal(file).read()).toEqual([
      earlier,
      { ...record('w', ''), startedAt: 1_700_000_000_001, arguments: '{"message":"cut"', argumentsTruncated: 1 },
    ]);
  });
});
