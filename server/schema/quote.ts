/** Values from a schema (names, references, patterns) quoted in text for people: notes, hints. */

/** `text`, cut to `max` characters followed by `…` when longer. */
export function clipText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** `text` cut as by {@link clipText}, in double quotes (JSON string syntax). */
export function quoteText(text: string, max: number): string {
  return JSON.stringify(clipText(text, max));
}
