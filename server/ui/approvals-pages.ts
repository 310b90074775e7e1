/**
 * The approvals pages: `/approvals` (the calls that wait for a decision, oldest first so that the
 * one expiring soonest is on top, then the recent decisions) and `/approvals/{id}` (one approval,
 * the deep link of webhooks). Each approval is one card (`partials/approval-card`); Approve and
 * Deny post to `/ui/approvals/{id}/approve|deny` and get the card back, showing the decision or,
 * when someone else was first, who won. `/ui/approvals/badge` is the nav's pending count.
 *
 * Decisions run the very same code as `POST /api/approvals/{id}/approve|deny` (`applyDecision`,
 * approvals/decisions.ts), recorded as made through the UI; a refused one is said in words on the
 * card (`refusalMessage`). The form carries the approval's `binding`: a decision applies
 * only to the arguments and tool definition the person saw. Arguments, labels and reasons come
 * from callers and MCP servers: the templates print them escaped.
 *
 * The servers' open questions (question-cards.ts) are cards in the same list, after the held
 * calls, and the badge counts both.
 */
import type { Request, Response } from 'express';
import type { PageRouter } from '../http/route.js';
import { type Approval, type ApprovalBook, type ApprovalState } from '../approvals/book.js';
import { applyDecision, deciderOf, type DecisionRefusal } from '../approvals/decisions.js';
import { prefixOf } from '../http/base-path.js';
import { ProblemError } from '../errors.js';
import { forwardedUserModel } from './caller-labels.js';
import { prettyJson, timeText } from './display.js';
import { openQuestions, questionCards } from './question-cards.js';
import { isSwap, pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';

/** The most pending calls the page lists (the badge still counts them all). */
const MAX_PENDING = 100;
/** How many decisions "Recent decisions" shows at most … */
const RECENT = 20;
/** … and how old they may be, in ms: 24 hours (older ones are in the activity log and `/api/approvals`). */
const RECENT_MS = 24 * 3_600_000;

const VIA: Record<string, string> = { ui: 'the UI', api: 'the API', gateway: 'the gateway' };

const iso = (ms: number) => new Date(ms).toISOString();

/** How a decision is shown: on a card, in "Recent decisions", in the activity log. */
export function decisionModel(approval: Approval) {
  if (approval.state === 'pending') return null;
  const by = approval.decidedByLabel ?? '';
  const byPerson = by !== '' && approval.decidedVia !== 'gateway';
  return {
    id: approval.id,
    state: approval.state,
    by,
    /** "approved by Pixel 8"; "expired" when the gateway ended it. */
    summary: byPerson ? `${approval.state} by ${by}` : approval.state,
    at: approval.decidedAt === null ? '' : iso(approval.decidedAt),
    atText: approval.decidedAt === null ? '—' : timeText(approval.decidedAt),
    via: approval.decidedVia ?? '',
    viaText: VIA[approval.decidedVia ?? ''] ?? '—',
    reason: approval.reason ?? '',
  };
}

/** What `partials/approval-card` shows of an approval. */
export function approvalModel(approval: Approval, now = Date.now()) {
  // The arguments are parsed JSON, or (cut to the size limit) the beginning of their JSON text.
  const truncated = typeof approval.arguments === 'string';
  return {
    id: approval.id,
    server: approval.server,
    tool: approval.tool,
    arguments: truncated ? String(approval.arguments) : prettyJson(approval.arguments),
    argumentsTruncated: truncated,
    caller: approval.callerLabel,
    callerId: approval.caller,
    /** Who the call is made for, when a trusted key forwarded it: "asked by …". */
    user: forwardedUserModel(approval.user, approval.callerLabel),
    callId: approval.callId,
    rule: approval.rule,
    ruleReason: approval.ruleReason,
    binding: approval.binding,
    state: approval.state,
    pending: approval.state === 'pending',
    createdAt: iso(approval.createdAt),
    createdText: timeText(approval.createdAt),
    expiresAt: iso(approval.expiresAt),
    /** The static fallback of the countdown (static/ui.js counts down from `leftMs`). */
    expiresText: `expires ${timeText(approval.expiresAt)}`,
    leftMs: Math.max(0, approval.expiresAt - now),
    decision: decisionModel(approval),
  };
}

/** What a refused decision says: who won, or why it no longer applies. */
function refusalMessage(id: string, refusal: DecisionRefusal): string {
  switch (refusal.why) {
    case 'not-found':
      return `no approval with id "${id}"`;
    case 'reason-too-long':
      return `the reason must be at most ${refusal.limit} characters`;
    case 'not-waiting':
      // Pending in the database but waited for by no call of this gateway (another process on the same state).
      return 'No call of this gateway waits for this approval; it will not run.';
    case 'already-decided': {
      const { approval } = refusal;
      const decision = decisionModel(approval);
      if (decision && decision.by && decision.via !== 'gateway') return `Already ${approval.state} by ${decision.by}.`;
      return `Already ${approval.state}${approval.reason ? `: ${approval.reason}` : ''}.`;
    }
    case 'binding-mismatch':
      return 'This is not the call you saw: its arguments or tool differ. Check it again below.';
    case 'void':
      return "Not run: the tool's definition changed after the call asked.";
  }
}

/** The newest decisions of the last `RECENT_MS` (any state but pending), most recently decided first, at most `RECENT`. */
function recentDecisions(approvals: ApprovalBook, pendingRows: number, now: number): Approval[] {
  // Newest first by creation: among the newest RECENT + (pending rows) every non-pending one counts.
  const rows = approvals
    .list(undefined, RECENT + pendingRows)
    .filter((approval) => approval.state !== 'pending' && (approval.decidedAt ?? approval.createdAt) >= now - RECENT_MS);
  return rows.slice(0, RECENT).sort((a, b) => (b.decidedAt ?? b.createdAt) - (a.decidedAt ?? a.createdAt) || (a.id < b.id ? 1 : -1));
}

export function approvalPages(pages: PageRouter, deps: UiDeps): void {
  const { approvals, questions } = deps;
  /** The nav's badge: held calls and open questions. */
  const badge = () => approvals.pendingCount + questions.pendingCount;
  questionCards(pages, deps, badge);

  const listModel = () => {
    const now = Date.now();
    // Oldest first: the one that expires soonest is on top.
    const pending = approvals.pendingCount > 0 ? approvals.list('pending', MAX_PENDING).reverse() : [];
    return {
      pending: pending.map((approval) => approvalModel(approval, now)),
      more: pending.length >= MAX_PENDING ? approvals.pendingCount - pending.length : 0,
      questions: openQuestions(questions, now),
      recent: recentDecisions(approvals, pending.length, now).map((approval) => ({
        ...approvalModel(approval, now),
        decision: decisionModel(approval)!,
      })),
    };
  };

  const approvalOf = (id: string): Approval => {
    const approval = approvals.get(id);
    if (!approval) throw new ProblemError('approval-not-found', `no approval with id "${id}"`);
    return approval;
  };

  /** One card (or, for an approval that is not there, a card saying so), with the nav's badge out of band. */
  const sendCard = (req: Request, res: Response, id: string, approval: Approval | undefined, message = '') => {
    const model = { id, approval: approval ? approvalModel(approval) : null, message, badge: badge() };
    sendView(res, 'partials/approval-card', model, pageContext(req, 'approvals'));
  };

  pages.get('/approvals', 'approvals:decide', (req, res) => {
    const page = pageContext(req, 'approvals');
    if (isSwap(req, 'approvals-list')) return sendView(res, 'partials/approval-list', listModel(), page);
    sendView(res, 'pages/approvals', listModel(), page);
  });

  pages.get('/approvals/{id}', 'approvals:decide', (req, res) => {
    const approval = approvalOf(req.params.id!);
    // The live refresh of the card (static/ui.js) asks for the card alone.
    if (isSwap(req, `approval-${approval.id}`)) return sendCard(req, res, approval.id, approval);
    sendView(
      res,
      'pages/approval',
      { id: approval.id, approval: approvalModel(approval), message: '', badge: null },
      pageContext(req, 'approvals'),
    );
  });

  pages.get('/ui/approvals/badge', 'approvals:decide', (req, res) => {
    sendView(res, 'partials/approvals-badge', { count: badge() }, pageContext(req, 'approvals'));
  });

  for (const [action, approve] of [
    ['approve', true],
    ['deny', false],
  ] as const) {
    pages.post(`/ui/approvals/{id}/${action}`, 'approvals:decide', (req, res) => {
      const id = req.params.id!;
      const reason = (req.form?.get('reason') ?? '').trim();
      const binding = req.form?.get('binding') || undefined;
      const htmx = Boolean(req.headers['hx-request']);
      const decided = applyDecision(approvals, id, approve, deciderOf(req.identity!, 'ui', req.tailscaleUser), { reason, binding });
      if (!decided.ok) {
        const current = approvals.get(id);
        // A plain form post: the approval's page says what it is now and who decided.
        if (!htmx) return res.redirect(303, `${prefixOf(req)}/approvals${current ? `/${encodeURIComponent(id)}` : ''}`);
        // 200, so that htmx swaps the card, which shows the message.
        return sendCard(req, res, id, current, refusalMessage(id, decided));
      }
      req.log.info({ approvalId: id, state: decided.approval.state }, 'decided in the UI');
      if (!htmx) return res.redirect(303, `${prefixOf(req)}/approvals`);
      sendCard(req, res, id, decided.approval);
    });
  }
}

/** The decision of the approval an activity entry waited for, for the activity pages. */
export function activityDecision(approvals: ApprovalBook, approvalId: string | null | undefined) {
  if (!approvalId) return null;
  const approval = approvals.get(approvalId);
  if (!approval) return undecided(approvalId, 'unknown', 'approval not found');
  return decisionModel(approval) ?? undecided(approvalId, 'pending', 'waiting for approval');
}

/** The decision part of a call that has none (yet, or whose approval is gone). */
function undecided(id: string, state: ApprovalState | 'unknown', summary: string) {
  return { id, state, summary, by: '', at: '', atText: '—', via: '', viaText: '—', reason: '' };
}
