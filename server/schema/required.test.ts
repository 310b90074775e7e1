import { describe, expect, it } from 'vitest';
import { requiredNames } from './required.js';

describe('requiredNames', () => {
  it('reads the string names of `required`', () => {
    expect([...requiredNames({ required: ['a', 1, 'b', 'a'] })]).toEqual(['a', 'b']);
    expect(requiredNames({ required: 'a' }).size).toBe(0);
    expect(requiredNames({}).size).toBe(0);
  });
});
