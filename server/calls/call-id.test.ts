import { describe, expect, it } from 'vitest';
import { garbagePerCall } from '../../test/helpers/garbage.js';
import { newCallId, newRequestId } from './call-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newCallId', () => {
  it('makes distinct UUIDv7 ids that sort by the millisecond they were made in', async () => {
    const first = Array.from({ length: 600 }, newCallId); // more than one pool of random bits
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = newCallId();
    for (const id of first) expect(id).toMatch(UUID_V7);
    expect(new Set(first).size).toBe(first.length);
    expect(first.every((id) => id < later)).toBe(true);
  });

  it('holds the time it was made in its first 48 bits', () => {
    const before = Date.now();
    const id = newCallId();
    const after = Date.now();
    const ms = Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });
});

describe('the ids of a call', () => {
  it('make little garbage: two strings, not byte arrays, Buffers and joined pieces (about 1.6 KB per call before)', () => {
    newCallId();
    newRequestId();
    // Each id is one 36-character string (about 56 bytes); the old ones cost 1,026 (call) and 587 (request) bytes.
    expect(garbagePerCall(newCallId, 500)).toBeLessThan(200);
    expect(garbagePerCall(newRequestId, 500)).toBeLessThan(200);
  });
});

describe('newRequestId', () => {
  it('makes distinct random UUIDv4 ids, their variant digit each of 8, 9, a and b', () => {
    const ids = Array.from({ length: 2000 }, newRequestId);
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
    const variants = new Set(ids.map((id) => id[19]));
    expect([...variants].sort()).toEqual(['8', '9', 'a', 'b']);
  });

  it('uses every hex digit in its random positions', () => {
    const digits = new Set(Array.from({ length: 200 }, newRequestId).join('').replaceAll('-', ''));
    expect(digits.size).toBe(16);
  });
});
