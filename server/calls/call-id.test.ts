import { describe, expect, it } from 'vitest';
import { newCallId } from './call-id.js';

describe('newCallId', () => {
  it('makes distinct UUIDv7 ids that sort by the millisecond they were made in', async () => {
    const first = Array.from({ length: 600 }, newCallId); // more than one pool of random bits
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = newCallId();
    for (const id of first) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(first).size).toBe(first.length);
    expect(first.every((id) => id < later)).toBe(true);
  });
});
