/** `/api/activity`: the activity log, one entry per tool call, newest first. */
import { Router } from 'express';
import type { ActivityLog } from '../activity/log.js';
import { ActivityListQuery } from './api-schemas.js';
import { ProblemError } from './problems.js';
import { parseBody } from './validation.js';

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
