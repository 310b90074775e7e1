/** Request bodies are checked with zod; a mismatch is a 422 problem naming each field. */
import type { z } from 'zod';
import { ProblemError, type FieldError } from '../errors.js';

export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? undefined);
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues
    .map((issue) => {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
      return keys.map((key) => ({
        field: [...issue.path, ...(key === undefined ? [] : [key])].map(String).join('.') || '(body)',
        message: issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message,
      }));
    })
    .flat();
  const detail = errors.map((error) => `${error.field}: ${error.message}`).join('; ');
  throw new ProblemError('invalid-request', detail, { errors });
}
