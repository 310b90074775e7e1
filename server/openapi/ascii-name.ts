/**
 * Names from MCP servers spelled in ASCII, for identifiers a model sees (operationIds, the
 * method names of the generated Open WebUI Tool). Scripts a small table covers are
 * transliterated by `@sindresorhus/transliterate` (Latin letters such as `ß` and `Ø`, Greek,
 * Cyrillic, Arabic…: `поиск` → `poisk`, `Straße` → `Strasse`); compatibility forms are folded
 * first (NFKD: `ﬁ` → `fi`, `①` → `1`). Scripts that would need a large dictionary (Chinese, Japanese,
 * Korean) and symbols such as emoji are left as they are: callers replace what is still not ASCII.
 */
import transliterate from '@sindresorhus/transliterate';

/**
 * `text` with every letter spelled in ASCII where a small table can; the rest unchanged. Latin
 * letters just lose their marks (`Ångström` → `Angstrom`, as operationIds always had it).
 */
export function asciiSpelling(text: string): string {
  const latinWithoutMarks = text.normalize('NFKD').replace(/(\p{Script=Latin})\p{M}+/gu, '$1').normalize('NFC');
  return transliterate(latinWithoutMarks).normalize('NFKD').replace(/\p{M}+/gu, '');
}

/** Whether `text` has letters or digits that {@link asciiSpelling} cannot spell in ASCII (CJK, …). */
export function hasUnspelledLetters(text: string): boolean {
  return /[^\x00-\x7f]/.test(asciiSpelling(text).replace(/[^\p{L}\p{N}]/gu, ''));
}
