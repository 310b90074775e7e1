/** JSON Pointers (RFC 6901): `/a~1b/0` is the property "a/b", then item 0. */

/** The reference tokens of a pointer, unescaped (`~1` → `/`, `~0` → `~`); `''` (the whole document) has none. */
export function pointerTokens(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A property name as a pointer token (`~` → `~0`, `/` → `~1`). */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
