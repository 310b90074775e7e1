// The tables of calls in flight: a Map or Set in their place kept every finished call alive
// through the young generation's collections (see churn-table.ts), which cost 15–20 µs of GC per call.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ChurnList, ChurnTable } from './churn-table.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
const oldSpaceUsed = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')!.space_used_size;

/**
 * Old-generation growth while 20,000 entries (about 6 MB) come and go, 16 at a time, with a
 * young-generation collection after every 1,000: what finished entries the table keeps alive.
 */
function promotedWhileChurning(add: (key: string, entry: object) => void, remove: (key: string, entry: object) => void): number {
  const live: [string, object][] = [];
  for (let i = 0; i < 16; i++) {
    const entry = { i };
    add(`g:${i}`, entry);
    live.push([`g:${i}`, entry]);
  }
  gc(); // what the table holds now is in the old generation, as after any full collection
  const before = oldSpaceUsed();
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 1000; i++) {
      const entry = { i, payload: new Array(32).fill(i) };
      add(`g:${round}-${i}`, entry);
      live.push([`g:${round}-${i}`, entry]);
      remove(...live.shift()!);
    }
    gc({ type: 'minor' });
  }
  return oldSpaceUsed() - before;
}

describe('ChurnTable', () => {
  it('gets, sets and deletes by key, counts its entries and gives them in the order they were set', () => {
    const table = new ChurnTable<number>();
    table.set('b', 1);
    table.set('a', 2);
    table.set('b', 3);
    expect(table.size).toBe(2);
    expect(table.get('b')).toBe(3);
    expect(table.has('a')).toBe(true);
    expect(table.get('toString')).toBeUndefined(); // no prototype
    expect(table.delete('a')).toBe(true);
    expect(table.delete('a')).toBe(false);
    table.set('c', 4);
    expect(table.values()).toEqual([3, 4]);
    expect(table.entries()).toEqual([
      ['b', 3],
      ['c', 4],
    ]);
    expect(table.size).toBe(2);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.values()).toEqual([]);
  });

  it('keeps no finished entry alive through young-generation collections', () => {
    const table = new ChurnTable<object>();
    const promoted = promotedWhileChurning(
      (key, entry) => table.set(key, entry),
      (key) => table.delete(key),
    );
    // A Map here grows the old generation by about 8 MB; the table by well under one.
    expect(promoted).toBeLessThan(2 * 1024 * 1024);
  });
});

describe('ChurnList', () => {
  it('adds and removes items, and gives a copy of them', () => {
    const list = new ChurnList<string>();
    list.add('a');
    list.add('b');
    list.add('c');
    expect(list.delete('a')).toBe(true);
    expect(list.delete('x')).toBe(false);
    expect(list.size).toBe(2);
    const copy = list.values();
    list.delete('b');
    expect(copy.sort()).toEqual(['b', 'c']);
    expect(list.values()).toEqual(['c']);
  });

  it('keeps no finished item alive through young-generation collections', () => {
    const list = new ChurnList<object>();
    const promoted = promotedWhileChurning(
      (_key, entry) => list.add(entry),
      (_key, entry) => list.delete(entry),
    );
    expect(promoted).toBeLessThan(2 * 1024 * 1024);
  });
});
