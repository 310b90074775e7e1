import { describe, expect, it } from 'vitest';
import { isMarkedNullable, isNullSchema } from './nullable.js';

describe('nullable forms', () => {
  it('knows the branches that allow only null', () => {
    for (const branch of [{ type: 'null' }, { type: ['null'] }, { const: null }, { enum: [null] }, { type: 'null', title: 'None' }]) {
      expect(isNullSchema(branch)).toBe(true);
    }
    for (const branch of [
      {},
      { type: ['string', 'null'] },
      { enum: [] },
      { enum: [null, 'a'] },
      { const: 0 },
      null,
      'null',
      [{ type: 'null' }],
    ]) {
      expect(isNullSchema(branch)).toBe(false);
    }
    expect(isMarkedNullable({ nullable: true })).toBe(true);
    expect(isMarkedNullable({ nullable: 'yes' })).toBe(false);
    expect(isMarkedNullable(JSON.parse('{}') as Record<string, unknown>)).toBe(false);
  });
});
