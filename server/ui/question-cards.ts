/**
 * Question cards: what servers ask a person during calls (elicitation, server/questions/book.ts),
 * shown on `/approvals` next to the held calls, in the same live list (a card's `data-approval`
 * is the question's id, so static/ui.js merges both) and counted in the nav's badge.
 *
 * A form question gets a form generated from its `requestedSchema` with the try-it form's
 * builder (`tool-form/`): Accept posts it to `/ui/questions/{id}/accept`, where it is decoded and
 * checked against the schema exactly as `POST /api/questions/{id}` checks it (a field that does
 * not fit comes back on the card, prefilled). A URL question shows its http(s) link with a
 * warning, and Done / Decline. Decline and Cancel need no values. The server's message, its
 * field titles and the URL are untrusted: the templates print them escaped.
 */
import type { Request, Response } from 'express';
import type { ActivityQuestion } from '../activity/log.js';
import { deciderOf } from '../approvals/decisions.js';
import { prefixOf } from '../http/base-path.js';
import type { PageRouter } from '../http/route.js';
import type { Question, QuestionAction, QuestionBook } from '../questions/book.js';
import { forwardedUserModel } from './caller-labels.js';
import { timeText } from './display.js';
import { pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';
import { buildForm, decodeForm } from './tool-form/index.js';

const iso = (ms: number) => new Date(ms).toISOString();

const VIA: Record<string, string> = { ui: 'the UI', api: 'the API', gateway: 'the gateway' };

/** How an answer's channel (`answeredVia`) is shown: "the UI", "the API", "the gateway"; else "—". */
export const viaText = (via: string | null | undefined): string => VIA[via ?? ''] ?? '—';

/**
 * What the activity page of a call shows of a question the server asked during it: its words
 * (untrusted, printed escaped), the outcome, who answered and through what, and the names of the
 * fields an answer filled in. The values answered are never kept, so never shown.
 */
export function activityQuestionModel(question: ActivityQuestion) {
  const byGateway = question.answeredVia === 'gateway';
  return {
    id: question.id,
    message: question.message ?? '',
    url: question.mode === 'url',
    state: question.state,
    by: byGateway ? 'the gateway' : (question.answeredBy ?? '—'),
    viaText: viaText(question.answeredVia),
    fields: question.fields?.join(', ') ?? '',
  };
}

/** What `partials/question-card` shows of a question; `values` prefill its form (after a refused answer). */
export function questionModel(question: Question, now = Date.now(), values?: unknown) {
  const pending = question.state === 'pending';
  const ended = !pending && question.answeredAt !== null;
  return {
    id: question.id,
    server: question.server,
    tool: question.tool,
    callId: question.callId,
    caller: question.callerLabel,
    /** Who the call is made for, when a trusted key forwarded it: "asked by …". */
    user: forwardedUserModel(question.user, question.callerLabel ?? ''),
    mode: question.mode,
    message: question.message,
    url: question.url,
    state: question.state,
    pending,
    createdAt: iso(question.createdAt),
    createdText: timeText(question.createdAt),
    expiresAt: iso(question.expiresAt),
    expiresText: `expires ${timeText(question.expiresAt)}`,
    leftMs: Math.max(0, question.expiresAt - now),
    form: pending && question.mode === 'form' ? buildForm(question.requestedSchema, values).root : null,
    answer: ended
      ? {
          by: question.answeredVia === 'gateway' ? 'the gateway' : (question.answeredByLabel ?? ''),
          at: iso(question.answeredAt!),
          atText: timeText(question.answeredAt!),
          viaText: viaText(question.answeredVia),
          reason: question.reason ?? '',
        }
      : null,
  };
}

/** The open questions, oldest first (the one that expires soonest on top). */
export function openQuestions(questions: QuestionBook, now = Date.now()) {
  return questions.list('pending').map((question) => questionModel(question, now));
}

const ACTIONS: QuestionAction[] = ['accept', 'decline', 'cancel'];

export function questionCards(pages: PageRouter, deps: UiDeps, badge: () => number): void {
  const { questions } = deps;

  const sendCard = (req: Request, res: Response, question: Question | undefined, id: string, message = '', values?: unknown) => {
    const model = { id, question: question ? questionModel(question, Date.now(), values) : null, message, badge: badge() };
    sendView(res, 'partials/question-card', model, pageContext(req, 'approvals'));
  };

  for (const action of ACTIONS) {
    pages.post(`/ui/questions/{id}/${action}`, 'approvals:decide', (req, res) => {
      const id = req.params.id!;
      const htmx = Boolean(req.headers['hx-request']);
      const current = questions.get(id);
      let content: Record<string, unknown> | undefined;
      if (action === 'accept' && current?.mode === 'form' && current.state === 'pending') {
        const entries = [...(req.form ?? new URLSearchParams()).entries()].filter(([name]) => name !== '_csrf');
        const decoded = decodeForm(current.requestedSchema, entries);
        if (decoded.errors.length > 0) {
          const text = decoded.errors.map((error) => `${error.field || 'form'}: ${error.message}`).join('; ');
          return htmx ? sendCard(req, res, current, id, text, decoded.args) : res.redirect(303, `${prefixOf(req)}/approvals`);
        }
        content = decoded.args;
      }
      const answered = questions.answer(id, action, content, deciderOf(req.identity!, 'ui', req.tailscaleUser));
      if (!htmx) return res.redirect(303, `${prefixOf(req)}/approvals`);
      if (answered.ok) {
        req.log.info({ questionId: id, state: answered.question.state }, 'answered in the UI');
        return sendCard(req, res, answered.question, id);
      }
      switch (answered.why) {
        case 'not-found':
          return sendCard(req, res, undefined, id, 'There is no such question (any more).');
        case 'already-answered': {
          const { question } = answered;
          const by = question.answeredVia === 'gateway' ? '' : ` by ${question.answeredByLabel}`;
          return sendCard(req, res, question, id, `Already ${question.state}${by}.`);
        }
        case 'invalid-content': {
          const text = answered.errors.map((error) => `${error.field.replace(/^content\.?/, '') || 'form'}: ${error.message}`).join('; ');
          return sendCard(req, res, current, id, text, content);
        }
      }
    });
  }
}
