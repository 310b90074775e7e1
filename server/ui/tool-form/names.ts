/**
 * The HTML names of a tool form's inputs ("field names").
 *
 * A name is a path of segments joined by `/`, starting with the prefix `a` (the root object):
 *  - a property segment is the property name with `~` → `~0`, `/` → `~1`, CR → `~2`, LF → `~3`
 *    (CR and LF because browsers rewrite line breaks in submitted names);
 *  - `~i` is "the current item" of the array at the path before it;
 *  - `~r` (only last) is the row-start marker of that array.
 * Escaping only ever produces `~0`…`~3`, so `~i` and `~r` can never be read as a property: any
 * property name (empty, unicode, `__proto__`, `.`, `[`, `-`, quotes…) is unambiguous. Examples:
 * `a/city`, `a/a~1b` (property "a/b"), `a/` (property ""), `a/tags/~r` and `a/tags/~i` (the
 * marker and the value of each row of `tags: string[]`), `a/items/~i/name` (the `name` of the
 * current row of `items`), `a/m/~i/~r` (a row of an array inside the current row of `m`).
 *
 * Names hold no indexes: rows are cloned in the browser from a `<template>` without renaming, and
 * the form body is decoded in document order. Each `…/~r` entry starts a new item of that array
 * (inside the latest item of every enclosing array); the entries that follow fill the latest item.
 * A checkbox is a hidden input `false` followed by the checkbox `true` under the same name: the
 * last value for a name within the current item wins.
 */

/** The HTML name of the root object; every name starts with it. */
export const FORM_PREFIX = 'a';
/** The last segment of an array's row-start marker. */
export const ROW_MARKER = '~r';
/** The segment for "the current item" of an array. */
export const ITEM = '~i';

/** A property name as a name segment: `~` → `~0`, `/` → `~1`, CR → `~2`, LF → `~3`. */
export function escapeSegment(key: string): string {
  return key.replace(/[~/\r\n]/g, (char) => (char === '~' ? '~0' : char === '/' ? '~1' : char === '\r' ? '~2' : '~3'));
}

/** The property name of a segment, or undefined when it is not one (`~i`, `~r`, a stray `~`). */
export function unescapeSegment(segment: string): string | undefined {
  if (!segment.includes('~')) return segment;
  if (/~(?![0-3])/.test(segment)) return undefined;
  return segment.replace(/~[0-3]/g, (escape) => (escape === '~0' ? '~' : escape === '~1' ? '/' : escape === '~2' ? '\r' : '\n'));
}
