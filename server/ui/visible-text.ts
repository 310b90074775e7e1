/**
 * Untrusted text as the UI shows it: every character that displays as nothing, or that changes
 * how the text around it displays, is written out as an escape a person can see — `\u202E`,
 * `\u200B`, `\u0000`, `\n` — so that `rm\u202Efdp.exe` cannot pass for `rmexe.pdf`, and a
 * zero-width space cannot make two names look alike. The escapes are those of JSON: in JSON text
 * (pretty arguments, results) they keep its meaning.
 *
 * Made visible: control characters (C0, DEL, C1), format characters (bidirectional overrides,
 * embeddings, isolates and marks, zero-width spaces and joiners, the word joiner, invisible
 * operators, the byte-order mark, soft hyphens, Unicode tag characters), line and paragraph
 * separators, lone surrogates, and the Hangul fillers. A zero-width joiner between two emoji
 * (👩‍💻) is part of the emoji and stays.
 *
 * `escapeHtml` is the templates' escape function (render.ts): every `<%= %>` goes through it, so
 * no page, attribute or title shows such a character raw. Text of several lines (`lines()`)
 * keeps its line breaks and tabs; the names and values of form fields (`asIs()`) are only
 * HTML-escaped, so that what a form sends back is what it was given (a property name with a tab
 * in it still names its property).
 */

/** The characters made visible. */
const HIDDEN = '[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}\\u115F\\u1160\\u3164\\uFFA0]';
/** Just after a zero-width joiner that joins two emoji (the first perhaps with its variation selector or skin tone). */
const IN_EMOJI = '(?<=\\p{Extended_Pictographic}[\\uFE0F\\u{1F3FB}-\\u{1F3FF}]?\\u200D)(?=\\p{Extended_Pictographic})';
/** A zero-width joiner outside an emoji (tested only at a joiner: the common case costs one class test). */
const LONE_JOINER = `\\u200D(?!${IN_EMOJI})`;
/** On one line: line breaks and tabs are written out too. */
const HIDDEN_ALL = new RegExp(`(?!\\u200D)${HIDDEN}|${LONE_JOINER}`, 'gu');
/** Text of several lines: line feeds, tabs and CR LF stay as they are. */
const HIDDEN_BUT_LINES = new RegExp(`(?![\\u200D\\n\\t]|\\r\\n)${HIDDEN}|${LONE_JOINER}`, 'gu');

/** Whether there is anything to make visible at all (most text has nothing: one quick scan). */
const ANY_HIDDEN = new RegExp(HIDDEN, 'u');

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `\u202E`; a character outside the BMP as its two UTF-16 escapes, as JSON writes it. */
function escapeOf(character: string): string {
  const short = SHORT[character];
  if (short) return short;
  let out = '';
  for (let i = 0; i < character.length; i++) out += `\\u${character.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}`;
  return out;
}

/** `text` for one line: every hidden character (line breaks and tabs too) written as its escape. */
export function visible(text: string): string {
  return ANY_HIDDEN.test(text) ? text.replace(HIDDEN_ALL, escapeOf) : text;
}

/** `text` of several lines: as `visible`, but line feeds, tabs and CR LF stay. */
export function visibleLines(text: string): string {
  return ANY_HIDDEN.test(text) ? text.replace(HIDDEN_BUT_LINES, escapeOf) : text;
}

/** A value a template marks: text of several lines, or a form field's value. */
class Marked {
  constructor(
    readonly text: string,
    readonly how: 'lines' | 'as-is',
  ) {}
}

/** For templates: `<%= lines(description) %>` keeps the line breaks. */
export function lines(value: unknown): Marked {
  return new Marked(String(value ?? ''), 'lines');
}

/** For templates: `value="<%= asIs(value) %>"` — a form field's name or value, sent back as it came (HTML-escaped only). */
export function asIs(value: unknown): Marked {
  return new Marked(String(value ?? ''), 'as-is');
}

const HTML_SPECIAL = /[&<>"']/g;
const ANY_HTML_SPECIAL = /[&<>"']/;
const HTML_ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The templates' escape function: visible (see above), then HTML-escaped for text and quoted attributes alike. */
export function escapeHtml(value: unknown): string {
  let text: string;
  if (value instanceof Marked) text = value.how === 'lines' ? visibleLines(value.text) : value.text;
  else text = visible(String(value));
  return ANY_HTML_SPECIAL.test(text) ? text.replace(HTML_SPECIAL, (character) => HTML_ENTITY[character]!) : text;
}
