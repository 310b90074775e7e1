/**
 * `/api/approvals` (scope `approvals:decide`): the calls the policy held for a person.
 * - `GET /api/approvals?state=&limit=`: newest first, with the number pending now.
 * - `GET /api/approvals/{id}`: one approval; also readable by the caller whose call it holds.
 * - `POST /api/approvals/{id}/approve`, `POST /api/approvals/{id}/deny` (`{ reason?, binding? }`):
 *   the first decision wins (200); any later one is a 409 `approval-decided` naming the winner.
 *   Approving a call whose tool changed since it asked answers 409 `approval-void`.
 * Who may read and decide, and the decision, are approvals/decisions.ts; this module says a
 * refused decision as a problem (`decisionProblem`).
 */
import { Router } from 'express';
import type { Approval, ApprovalBook } from '../approvals/book.js';
import { applyDecision, deciderOf, mayDecide, mayRead, type DecisionRefusal } from '../approvals/decisions.js';
import { ApprovalListQuery, DecisionBody } from './api-schemas.js';
import { ProblemError } from '../errors.js';
import { parseBody } from './validation.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function approvalJson(approval: Approval) {
  return {
    ...approval,
    createdAt: iso(approval.createdAt)!,
    expiresAt: iso(approval.expiresAt)!,
    decidedAt: iso(approval.decidedAt),
  };
}

/** The problem that says why a decision did not apply. */
function decisionProblem(id: string, refusal: DecisionRefusal): ProblemError {
  switch (refusal.why) {
    case 'not-found':
      return new ProblemError('approval-not-found', `no approval with id "${id}"`);
    case 'reason-too-long':
      return new ProblemError('invalid-request', `the reason must be at most ${refusal.limit} characters`, {
        errors: [{ field: 'reason', message: `must be at most ${refusal.limit} characters` }],
      });
    case 'binding-mismatch':
      return new ProblemError('approval-void', 'the approval is not the one you saw (its binding differs); reload it', {
        state: refusal.approval.state,
      });
    case 'void':
      return new ProblemError('approval-void', "the tool's definition changed after the call asked; the call will not run", {
        state: 'void',
      });
    case 'already-decided':
    case 'not-waiting': {
      const { approval } = refusal;
      return new ProblemError(
        'approval-decided',
        `the approval was already ${approval.state}${approval.decidedByLabel ? ` by ${approval.decidedByLabel}` : ''}`,
        { state: approval.state, decidedBy: approval.decidedByLabel, decidedAt: iso(approval.decidedAt) },
      );
    }
  }
}

export function approvalRoutes(approvals: ApprovalBook): Router {
  const router = Router();

  router.get('/api/approvals', (req, res) => {
    const query = parseBody(ApprovalListQuery, req.query);
    res.json({ items: approvals.list(query.state, query.limit ?? 100).map(approvalJson), pending: approvals.pendingCount });
  });

  router.get('/api/approvals/:id', (req, res) => {
    const approval = approvals.get(req.params.id);
    if (!approval || !mayRead(req.identity!, approval))
      throw new ProblemError('approval-not-found', `no approval with id "${req.params.id}"`);
    res.json(approvalJson(approval));
  });

  for (const [action, approve] of [
    ['approve', true],
    ['deny', false],
  ] as const) {
    router.post(`/api/approvals/:id/${action}`, (req, res) => {
      if (!mayDecide(req.identity!)) {
        throw new ProblemError(
          'forbidden',
          `deciding needs the scope "approvals:decide"; "${req.identity!.label}" has ${req.identity!.scopes.join(', ')}`,
          { scope: 'approvals:decide' },
        );
      }
      const body = parseBody(DecisionBody, req.body) ?? {};
      const decided = applyDecision(approvals, req.params.id, approve, deciderOf(req.identity!, 'api', req.tailscaleUser), body);
      if (!decided.ok) throw decisionProblem(req.params.id, decided);
      res.json(approvalJson(decided.approval));
    });
  }

  return router;
}
