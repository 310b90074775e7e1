import { describe, expect, it } from 'vitest';
import { ServerLog } from './server-log.js';

const texts = (log: ServerLog) => log.entries().map((entry) => entry.text);

describe('server log ring', () => {
  it('keeps the newest messages in order when the capacity grows after the ring has wrapped (a reload)', () => {
    const log = new ServerLog();
    for (const n of [1, 2, 3, 4, 5]) log.add({ level: 'info', data: `m${n}` }, 3);
    expect(texts(log)).toEqual(['m3', 'm4', 'm5']);
    for (const n of [6, 7, 8]) log.add({ level: 'info', data: `m${n}` }, 5);
    expect(texts(log)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8']);
    log.add({ level: 'info', data: 'm9' }, 2);
    expect(texts(log)).toEqual(['m8', 'm9']);
  });
});
