import { describe, expect, it } from 'vitest';
import { clipText, quoteText } from './quote.js';

describe('quoted values', () => {
  it('cuts and quotes values for people', () => {
    expect(clipText('abcdef', 3)).toBe('abc…');
    expect(clipText('abc', 3)).toBe('abc');
    expect(quoteText('a"bcd', 3)).toBe('"a\\"b…"');
  });
});
