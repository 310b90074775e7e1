/**
 * The pieces of the management document that route declarations (server/http/api/*.ts) write their
 * answers with: JSON and problem answers, the body reader's answers, the event stream. Plain zod
 * schemas and data: the generator (zod-to-openapi) is loaded by management.ts only.
 */
import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { CallEventStreamSchema } from '../http/api-schemas.js';
import { ProblemSchema } from './problem-schema.js';

export type Responses = Record<string, ResponseConfig>;

/** A problem answer (`application/problem+json`). */
export function problem(description: string, schema: z.ZodType = ProblemSchema, headers?: z.ZodObject): ResponseConfig {
  return { description, ...(headers ? { headers } : {}), content: { 'application/problem+json': { schema } } };
}

/** A JSON answer. */
export function json(description: string, schema: z.ZodType, headers?: z.ZodObject): ResponseConfig {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } } };
}

export const RetryAfter = z.object({
  'Retry-After': z.int().min(1).optional().meta({ description: 'Seconds after which a retry may succeed, when the gateway can tell.' }),
});

export const HOST_REFUSED =
  '`host-not-allowed` / `origin-not-allowed`: the `Host` or `Origin` header is not accepted (DNS-rebinding protection)';

/** Answers of the JSON body reader, for the routes that take a body. */
export const BODY: Responses = {
  '400': problem(
    '`invalid-json`: the request body is not valid JSON; `json-too-deep`: it nests arrays and objects deeper than ' +
      '`gateway.maxJsonDepth` (default 64; `limit`).',
  ),
  '413': problem(
    '`payload-too-large`: the request body is larger than `gateway.maxBodyBytes` (default 1 MiB); `limit` and `size` say by how much.',
  ),
  '415': problem('`unsupported-media-type`: the body is not sent as JSON (`Content-Type: application/json`).'),
};

export const SERVER_NOT_FOUND = problem('`server-not-found`: no server has this name.');

const SSE_EXAMPLE = [
  'event: progress',
  'data: {"progress":1,"total":3,"message":"step 1 of 3"}',
  '',
  'event: log',
  'data: {"level":"info","logger":"demo","data":"step 1 done"}',
  '',
  ': heartbeat',
  '',
  'event: result',
  'data: {"id":"0196f1c2-7a5e-7c3b-9d1e-2f4a6b8c0d1e","durationMs":3012.5,"content":[{"type":"text","text":"done"}],"isError":false}',
  '',
  '',
].join('\n');

/** A call's Server-Sent Events, as content. */
export const eventStream = { 'text/event-stream': { schema: CallEventStreamSchema, example: SSE_EXAMPLE } };

const HTML = { 'text/html': { schema: z.string().meta({ description: 'An HTML page.' }) } };

/** A docs page answer. */
export function docsPage(description: string): ResponseConfig {
  return { description, content: HTML };
}
