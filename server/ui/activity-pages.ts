/**
 * The activity pages: `/activity` (newest first, filters, "load more" by cursor, a live tail)
 * and `/activity/{id}` (one call, with "open in test form" and the questions its server asked). They read the same `ActivityLog`
 * as `GET /api/activity`, and show the same rows: every caller's to an admin or a decider, else
 * the reader's own (`activityReaderOf`). The live tail refreshes rows with
 * `/activity?rows=1&id=a&id=b…` (at most `MAX_REFRESHED_ROWS` ids).
 */
import type { Request } from 'express';
import type { PageRouter } from '../http/route.js';
import type { ActivityEntry, ActivityQuery } from '../activity/log.js';
import { ACTIVITY_OUTCOMES, type ActivityOutcome } from '../calls/outcome.js';
import type { CallRegistry, CallViewer } from '../calls/registry.js';
import { activityQuestionOf } from '../calls/recording.js';
import type { RunningCall } from '../calls/running-call.js';
import { activityReaderOf, callerFilter } from '../http/api/activity.js';
import { ProblemError } from '../errors.js';
import { activityDecision } from './approvals-pages.js';
import { callerLabels, forwardedUserModel, type CallerLabel } from './caller-labels.js';
import { durationText, prettyJson, sizeText, taskText, timeText } from './display.js';
import { activityQuestionModel } from './question-cards.js';
import { canRun, isSwap, pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';

const PAGE_SIZE = 50;
/** Most rows one refresh of the live tail asks for (`?id=a&id=b…`); more ids are ignored. */
const MAX_REFRESHED_ROWS = 200;

/** The time filter's choices: how far back, in ms. */
const WINDOWS: Record<string, { label: string; ms: number }> = {
  '15m': { label: 'Last 15 minutes', ms: 15 * 60_000 },
  '1h': { label: 'Last hour', ms: 3_600_000 },
  '24h': { label: 'Last 24 hours', ms: 86_400_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000 },
};

const first = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The ids of `?id=a&id=b…`: each once, at most `MAX_REFRESHED_ROWS`. */
function idsOf(value: unknown): string[] {
  const all = Array.isArray(value) ? value : [value];
  const ids = new Set<string>();
  for (const id of all) if (typeof id === 'string' && id !== '' && ids.size < MAX_REFRESHED_ROWS) ids.add(id);
  return [...ids];
}

interface Filters {
  server: string;
  tool: string;
  /** A forwarded user's id or email (`ActivityQuery.user`). */
  user: string;
  outcome: string;
  window: string;
}

function filtersOf(req: Request): Filters {
  const outcome = first(req.query.outcome);
  const window = first(req.query.window);
  return {
    server: first(req.query.server).slice(0, 200),
    tool: first(req.query.tool).slice(0, 200),
    user: first(req.query.user).trim().slice(0, 254),
    outcome: (ACTIVITY_OUTCOMES as readonly string[]).includes(outcome) ? outcome : '',
    window: Object.hasOwn(WINDOWS, window) ? window : '',
  };
}

function queryOf(filters: Filters, extra: Partial<ActivityQuery> = {}, now = Date.now()): ActivityQuery {
  return {
    limit: PAGE_SIZE,
    ...(filters.server && { server: filters.server }),
    ...(filters.tool && { tool: filters.tool }),
    ...(filters.user && { user: filters.user }),
    ...(filters.outcome && { outcome: filters.outcome as ActivityOutcome }),
    ...(filters.window && { since: now - WINDOWS[filters.window]!.ms }),
    ...extra,
  };
}

function filterQuery(filters: Filters, extra: Record<string, string> = {}): string {
  const entries = Object.entries({ ...filters, ...extra }).filter(([, value]) => value !== '');
  return new URLSearchParams(entries).toString();
}

/** What a row needs besides its entry: decisions of approvals, callers' labels, the calls still running, who reads. */
interface RowContext {
  approvals: UiDeps['approvals'];
  label: (caller: string) => CallerLabel;
  calls: CallRegistry;
  /** Who reads the page: they see the live state of the calls whose rows they may read. */
  reader: CallViewer;
}

/** One row of the list: a call still waiting for a person shows "waiting for approval" and its approval. */
function rowModel(entry: ActivityEntry, context: RowContext) {
  // Only whether the call waits, and for which approval: what the activity log itself shows once
  // the call ends, to whoever may read its row.
  const live = entry.outcome === 'running' ? context.calls.get(entry.id, context.reader) : undefined;
  const waiting = live?.state === 'waiting_for_approval' ? live.approval! : undefined;
  const asking = live?.state === 'waiting_for_input';
  return {
    id: entry.id,
    startedAt: entry.startedAt,
    time: timeText(entry.startedAt),
    server: entry.server,
    tool: entry.tool,
    outcome: waiting || asking ? 'waiting' : entry.outcome,
    outcomeText: waiting ? 'waiting for approval' : asking ? 'waiting for input' : entry.outcome,
    /** The approval a running call waits for (its card's link). */
    waitingFor: waiting ? waiting.id : '',
    /** Whether a running call waits for a person's answer to its server's question (its card is on the approvals page). */
    asking,
    status: entry.status ?? '',
    /** While the call runs as a task upstream: the task's status (and message). */
    task: live && !live.finished ? taskText(live.task) : '',
    duration: durationText(entry.durationMs),
    caller: context.label(entry.caller),
    /** Who the call was made for, when a trusted key forwarded it. */
    user: forwardedUserModel(entry.user, context.label(entry.caller).label),
    decision: waiting ? null : activityDecision(context.approvals, entry.approvalId),
  };
}

/** The questions of a call: as its activity entry recorded them once it ended; while it runs, the live ones. */
function questionsOf(entry: ActivityEntry, live: RunningCall | undefined) {
  if (entry.outcome !== 'running' || !live) return (entry.questions ?? []).map(activityQuestionModel);
  const asked = [...(live.endedQuestions ?? []), ...(live.question?.state === 'pending' ? [live.question] : [])];
  return asked.map((question) => activityQuestionModel(activityQuestionOf(question)));
}

export function activityPages(pages: PageRouter, deps: UiDeps): void {
  const { activity, supervisor } = deps;
  const rowContext = (reader: CallViewer): RowContext => ({
    approvals: deps.approvals,
    label: callerLabels(deps),
    calls: deps.caller.calls,
    reader,
  });

  pages.get('/activity', 'tools:read', (req, res) => {
    const filters = filtersOf(req);
    const reader = activityReaderOf(req);
    const caller = callerFilter(reader);
    // The live tail's refresh of rows it shows (calls that were running or waiting), all in one request.
    const ids = idsOf(req.query.id);
    if (ids.length > 0) {
      const context = rowContext(reader);
      const rows = activity.getMany(ids, caller).map((entry) => rowModel(entry, context));
      sendView(res, 'partials/activity-rows', { rows, more: '' }, pageContext(req, 'activity'));
      return;
    }
    const cursor = first(req.query.cursor);
    const since = Number(first(req.query.after));
    let page;
    try {
      page = activity.list(
        queryOf(filters, { ...(caller !== undefined && { caller }), ...(cursor && { cursor }), ...(since > 0 && { since }) }),
      );
    } catch (error) {
      if (error instanceof RangeError)
        throw new ProblemError('invalid-request', 'the cursor is not valid', { errors: [{ field: 'cursor', message: 'is not valid' }] });
      throw error;
    }
    const rows = rowContext(reader);
    const model = {
      filters,
      servers: supervisor.list().map((view) => view.name),
      outcomes: ACTIVITY_OUTCOMES,
      windows: Object.entries(WINDOWS).map(([value, { label }]) => ({ value, label })),
      rows: page.items.map((item) => rowModel(item, rows)),
      more: page.nextCursor ? filterQuery(filters, { cursor: page.nextCursor }) : '',
      filterQuery: filterQuery(filters),
    };
    const context = pageContext(req, 'activity');
    // "Load more" and the live tail fetch rows only.
    if (isSwap(req, 'activity-more') || first(req.query.rows) === '1') return sendView(res, 'partials/activity-rows', model, context);
    if (isSwap(req, 'activity-list')) return sendView(res, 'partials/activity-list', model, context);
    sendView(res, 'pages/activity', model, context);
  });

  pages.get('/activity/{id}', 'tools:read', (req, res) => {
    const reader = activityReaderOf(req);
    const entry = activity.get(req.params.id!, callerFilter(reader));
    if (!entry) throw new ProblemError('activity-not-found', `no activity entry with id "${req.params.id}"`);
    sendView(
      res,
      'pages/activity-entry',
      {
        entry: {
          ...rowModel(entry, rowContext(reader)),
          endedAt: entry.endedAt ?? '',
          endedText: entry.endedAt ? timeText(entry.endedAt) : '—',
          surface: entry.surface,
          mode: entry.mode,
          client: entry.client ?? '',
          arguments: entry.argumentsTruncated ? String(entry.arguments) : prettyJson(entry.arguments),
          argumentsTruncated: entry.argumentsTruncated,
          resultSize: sizeText(entry.resultBytes),
          preview: entry.preview ?? '',
          questions: questionsOf(entry, deps.caller.calls.get(entry.id, reader)),
          error: entry.error ?? '',
          testForm:
            canRun(req) && supervisor.get(entry.server)?.tool(entry.tool)
              ? `tools/${encodeURIComponent(entry.server)}/${encodeURIComponent(entry.tool)}?from=${encodeURIComponent(entry.id)}`
              : '',
        },
      },
      pageContext(req, 'activity'),
    );
  });
}
