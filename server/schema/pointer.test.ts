import { describe, expect, it } from 'vitest';
import { pointerToken, pointerTokens } from './pointer.js';

describe('JSON pointers', () => {
  it('splits and unescapes a pointer into its tokens', () => {
    expect(pointerTokens('')).toEqual([]);
    expect(pointerTokens('/')).toEqual(['']);
    expect(pointerTokens('/a~1b/0/~01')).toEqual(['a/b', '0', '~1']);
  });

  it('escapes a property name as a token, the inverse of reading it', () => {
    expect(pointerToken('a/b~c')).toBe('a~1b~0c');
    for (const key of ['', 'a/b', '~1', '~/~0', '__proto__']) expect(pointerTokens(`/${pointerToken(key)}`)).toEqual([key]);
  });
});
