/**
 * `/api/activity`: the activity log, one entry per tool call, newest first.
 *
 * Who reads which rows (`activityReaderOf`, shared with the UI's activity pages and live events):
 * an `admin` reads every row, and so does an identity with `approvals:decide` (a paired phone, a
 * decider key: they oversee other people's calls, and see their arguments on approval cards
 * already); anyone else (a key with `tools:call`/`tools:read` only) reads the rows of its own
 * caller id. Another caller's row is a 404 `activity-not-found`, as if it did not exist: calls
 * belong to their caller, and their ids do not leak.
 */
import type { IncomingMessage } from 'node:http';
import { Router } from 'express';
import type { ActivityLog } from '../activity/log.js';
import { hasScope } from '../auth/identity.js';
import type { CallViewer } from '../calls/registry.js';
import { ActivityListQuery } from './api-schemas.js';
import { ProblemError } from '../errors.js';
import { callerOf } from './security.js';
import { parseBody } from './validation.js';

/** Whose activity rows a request may read: every caller's (`admin`, `approvals:decide`), or its own. */
export function activityReaderOf(req: IncomingMessage): CallViewer {
  return { caller: callerOf(req), seesAll: req.identity !== undefined && hasScope(req.identity, 'approvals:decide') };
}

/** The `caller` filter of ActivityLog reads for `reader`: none when it sees every row. */
export function callerFilter(reader: CallViewer): string | undefined {
  return reader.seesAll ? undefined : reader.caller;
}

export function activityRoutes(activity: ActivityLog): Router {
  const router = Router();

  router.get('/api/activity', (req, res) => {
    const query = parseBody(ActivityListQuery, req.query);
    res.json(activity.list({ ...query, caller: callerFilter(activityReaderOf(req)) }));
  });

  router.get('/api/activity/:id', (req, res) => {
    const entry = activity.get(req.params.id, callerFilter(activityReaderOf(req)));
    if (!entry) throw new ProblemError('activity-not-found', `no activity entry with id "${req.params.id}"`);
    res.json(entry);
  });

  return router;
}
