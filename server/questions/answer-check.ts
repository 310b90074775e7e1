/**
 * Checks a person's answer to a form question against the server's `requestedSchema` (a flat
 * object of string, number, integer, boolean and enum fields, as MCP allows), with the same
 * validator as tool arguments (calls/arguments.ts): the defaults of left-out required fields are
 * filled in, and every failing field is named.
 */
import { checkArguments } from '../calls/arguments.js';
import type { FieldError } from '../errors.js';

export type CheckedAnswer = { ok: true; content: Record<string, unknown> } | { ok: false; errors: FieldError[] };

export function checkAnswer(schema: Record<string, unknown>, content: unknown): CheckedAnswer {
  if (content === undefined || content === null) content = {};
  if (typeof content !== 'object' || Array.isArray(content)) {
    return { ok: false, errors: [{ field: 'content', message: 'must be an object of the fields asked for' }] };
  }
  const { errors, args } = checkArguments(schema, content as Record<string, unknown>);
  if (errors.length > 0) {
    return {
      ok: false,
      errors: errors.map((error) => ({ ...error, field: error.field === '(arguments)' ? 'content' : `content.${error.field}` })),
    };
  }
  return { ok: true, content: args };
}
