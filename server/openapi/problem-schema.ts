/**
 * The one problem document every error answers with (RFC 9457, `application/problem+json`), as a
 * zod schema for the management API spec and as plain JSON Schema for the tool documents.
 */
import { z } from 'zod';
import { PROBLEMS, type ProblemType } from '../errors.js';

const problemTypes = Object.keys(PROBLEMS) as [ProblemType, ...ProblemType[]];

export const ProblemSchema = z
  .object({
    type: z.enum(problemTypes).describe('Stable identifier of the kind of problem; scripts may rely on it.'),
    title: z.string().describe('Short summary of the kind of problem.'),
    status: z.int().describe('The HTTP status code.'),
    detail: z.string().optional().describe('What went wrong in this case, readable by a person or a model.'),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe('For invalid-arguments and invalid-request: each failing field and why.'),
    retryAfter: z.int().optional().describe('Seconds after which a retry may succeed (also in Retry-After).'),
    state: z.string().optional().describe("For server-unavailable: the server's state."),
    limit: z.int().optional().describe('For payload-too-large: the largest accepted body, in bytes; for json-too-deep: the deepest nesting accepted.'),
    size: z.int().optional().describe('For payload-too-large and result-too-large: the size seen, in bytes.'),
    requiredCapabilities: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('For missing-client-capability: the client capabilities the server requires, as it named them (e.g. {"sampling": {}}).'),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem', description: 'An error, as RFC 9457 problem details.' });

/**
 * `ProblemSchema` as JSON Schema 2020-12, for `components.schemas.Problem` of the tool documents.
 * Made on first use (the first tool document), not at start-up.
 */
let problemJson: Record<string, unknown> | undefined;
export function problemJsonSchema(): Record<string, unknown> {
  if (problemJson) return problemJson;
  // zod puts a schema with an id under $defs and refers to it; the tool documents want it inline.
  const json = z.toJSONSchema(ProblemSchema, { target: 'draft-2020-12' }) as { $ref?: string; $defs?: Record<string, Record<string, unknown>> };
  const { id: _id, ...schema } = json.$ref && json.$defs ? json.$defs[json.$ref.split('/').pop()!]! : (json as Record<string, unknown>);
  delete schema.$schema;
  return (problemJson = schema);
}
