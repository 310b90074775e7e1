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
import type { ActivityLog } from '../../activity/log.js';
import { hasScope } from '../../auth/identity.js';
import type { CallViewer } from '../../calls/registry.js';
import { ProblemError } from '../../errors.js';
import { json, problem } from '../../openapi/responses.js';
import { ActivityEntrySchema, ActivityIdParams, ActivityListQuery, ActivityPageSchema } from '../api-schemas.js';
import { defineRoute } from '../route.js';
import { callerOf } from '../security.js';

/** Whose activity rows a request may read: every caller's (`admin`, `approvals:decide`), or its own. */
export function activityReaderOf(req: IncomingMessage): CallViewer {
  return { caller: callerOf(req), seesAll: req.identity !== undefined && hasScope(req.identity, 'approvals:decide') };
}

/** The `caller` filter of ActivityLog reads for `reader`: none when it sees every row. */
export function callerFilter(reader: CallViewer): string | undefined {
  return reader.seesAll ? undefined : reader.caller;
}

/** What the activity routes need (a test mounts them with a log of its own). */
export interface ActivityServices {
  activity: ActivityLog;
}

export const ACTIVITY_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/api/activity',
    scope: 'tools:read',
    operationId: 'listActivity',
    summary: 'List the activity log',
    description:
      'Tool calls, newest first, one page at a time; the filters combine with AND. Pass `nextCursor` as `cursor` for the ' +
      'next page. Entries older than `gateway.activity.maxAgeDays` or beyond `gateway.activity.maxRows` are pruned. ' +
      "An `admin` and an identity with `approvals:decide` (a paired device, a decider key) see every caller's calls; anyone " +
      'else sees the calls of its own caller id only.',
    tag: 'activity',
    request: { query: ActivityListQuery },
    responses: {
      '200': json('One page of entries.', ActivityPageSchema),
      '422': problem(
        '`invalid-request`: a parameter is malformed, repeated or unknown (`errors` names each one), e.g. a `limit` out of ' +
          'range or a `cursor` that is not a `nextCursor`.',
      ),
    },
    handler: (req, res, input, { activity }: ActivityServices) => {
      const query = input.query();
      res.json(activity.list({ ...query, caller: callerFilter(activityReaderOf(req)) }));
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/activity/{id}',
    scope: 'tools:read',
    operationId: 'getActivityEntry',
    summary: 'Show an activity entry',
    description:
      "One call from the activity log, by its id: a call of the caller's own, or any call for an `admin` or an identity with " +
      '`approvals:decide`.',
    tag: 'activity',
    request: { params: ActivityIdParams },
    responses: {
      '200': json('The entry.', ActivityEntrySchema),
      '404': problem(
        "`activity-not-found`: no entry of this caller has this id (it may have been pruned; another caller's entry is not found either).",
      ),
    },
    handler: (req, res, _input, { activity }: ActivityServices) => {
      const entry = activity.get(req.params.id, callerFilter(activityReaderOf(req)));
      if (!entry) throw new ProblemError('activity-not-found', `no activity entry with id "${req.params.id}"`);
      res.json(entry);
    },
  }),
];
