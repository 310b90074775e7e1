/**
 * Answer schemas built on first use. The management API's answer schemas (api-schemas.ts,
 * question-schemas.ts) describe what the gateway sends: only the management document
 * (server/openapi/management.ts, on the first `GET /api/openapi.json`) and the tests use them, never
 * a request. Building them all as their modules load cost start-up about 20 ms of CPU (zod makes
 * every schema object with its methods), so each is a `z.lazy` that builds its schema once, the
 * first time it parses or the document is generated: it validates exactly as the schema it wraps,
 * and the document gets the same components (zod-to-openapi reads through `z.lazy`).
 */
import { z } from 'zod';

/** The schema `build` makes, built at its first use and then kept. */
export function answer<T extends z.ZodType>(build: () => T): z.ZodLazy<T> {
  let schema: T | undefined;
  return z.lazy(() => (schema ??= build()));
}
