/** `/api/activity`: the activity log, one entry per tool call, newest first. */
import { Router } from 'express';
import { z } from 'zod';
import { decodeCursor, type ActivityLog } from '../activity/log.js';
import { ACTIVITY_OUTCOMES, type ActivityOutcome } from '../calls/outcome.js';
import { ProblemError } from './problems.js';
import { parseBody } from './validation.js';

/** Page size when `limit` is not given. */
export const DEFAULT_ACTIVITY_LIMIT = 50;
/** Largest `limit` accepted. */
export const MAX_ACTIVITY_LIMIT = 500;

const isoDateTime = z.iso.datetime({ offset: true });

/** A time bound: epoch milliseconds, or an ISO 8601 date-time with `Z` or an offset. */
const time = z.string().transform((value, ctx) => {
  if (/^\d{1,16}$/.test(value)) return Number(value);
  const ms = isoDateTime.safeParse(value).success ? Date.parse(value) : Number.NaN;
  if (Number.isFinite(ms)) return ms;
  ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 date-time or epoch milliseconds' });
  return z.NEVER;
});

const limit = z
  .string()
  .regex(/^\d+$/, `expected an integer from 1 to ${MAX_ACTIVITY_LIMIT}`)
  .transform(Number)
  .pipe(z.number().int().min(1).max(MAX_ACTIVITY_LIMIT))
  .default(DEFAULT_ACTIVITY_LIMIT);

/** Query of `GET /api/activity`; `query parser` is 'simple', so each value is a string (or an array when repeated). */
const ActivityListQuery = z.strictObject({
  server: z.string().optional(),
  tool: z.string().optional(),
  outcome: z.enum(ACTIVITY_OUTCOMES as readonly [ActivityOutcome, ...ActivityOutcome[]]).optional(),
  since: time.optional(),
  until: time.optional(),
  limit,
  cursor: z
    .string()
    .refine((cursor) => decodeCursor(cursor) !== undefined, 'malformed cursor: pass nextCursor of a previous page')
    .optional(),
});

export function activityRoutes(activity: ActivityLog): Router {
  const router = Router();

  router.get('/api/activity', (req, res) => {
    const query = parseBody(ActivityListQuery, req.query);
    res.json(activity.list(query));
  });

  router.get('/api/activity/:id', (req, res) => {
    const entry = activity.get(req.params.id);
    if (!entry) throw new ProblemError('activity-not-found', `no activity entry with id "${req.params.id}"`);
    res.json(entry);
  });

  return router;
}
