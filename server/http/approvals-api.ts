/**
 * `/api/approvals` (scope `approvals:decide`): the calls the policy held for a person.
 * - `GET /api/approvals?state=&limit=`: newest first, with the number pending now.
 * - `GET /api/approvals/{id}`: one approval; also readable by the caller whose call it holds.
 * - `POST /api/approvals/{id}/approve`, `POST /api/approvals/{id}/deny` (`{ reason?, binding? }`):
 *   the first decision wins (200); any later one is a 409 `approval-decided` naming the winner.
 *   Approving a call whose tool changed since it asked answers 409 `approval-void`.
 */
import type { IncomingMessage } from 'node:http';
import { Router } from 'express';
import type { Approval, Decider, DecisionChannel, PendingApprovals } from '../approvals/pending.js';
import { hasScope } from '../auth/identity.js';
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

/** Who decides, as the audit names them: the identity's label, with the Tailscale login when trusted. */
export function deciderOf(req: IncomingMessage, via: DecisionChannel): Decider {
  const identity = req.identity!;
  const label = req.tailscaleUser ? `${identity.label} (${req.tailscaleUser})` : identity.label;
  return { id: identity.id, label, via };
}

/** Applies a decision, or throws the problem that says why it did not apply. */
export function applyDecision(
  approvals: PendingApprovals,
  id: string,
  approve: boolean,
  by: Decider,
  options: { reason?: string; binding?: string },
): Approval {
  const result = approvals.decide(id, approve, by, options);
  if (result.ok) return result.approval;
  const approval = result.approval;
  switch (result.why) {
    case 'not-found':
      throw new ProblemError('approval-not-found', `no approval with id "${id}"`);
    case 'binding-mismatch':
      throw new ProblemError('approval-void', 'the approval is not the one you saw (its binding differs); reload it', { state: approval!.state });
    case 'void':
      throw new ProblemError('approval-void', 'the tool\'s definition changed after the call asked; the call will not run', { state: 'void' });
    default:
      throw new ProblemError(
        'approval-decided',
        `the approval was already ${approval!.state}${approval!.decidedByLabel ? ` by ${approval!.decidedByLabel}` : ''}`,
        { state: approval!.state, decidedBy: approval!.decidedByLabel, decidedAt: iso(approval!.decidedAt) },
      );
  }
}

export function approvalRoutes(approvals: PendingApprovals): Router {
  const router = Router();

  router.get('/api/approvals', (req, res) => {
    const query = parseBody(ApprovalListQuery, req.query);
    res.json({ items: approvals.list(query.state, query.limit ?? 100).map(approvalJson), pending: approvals.pendingCount });
  });

  router.get('/api/approvals/:id', (req, res) => {
    const approval = approvals.get(req.params.id);
    const mayRead = approval && (hasScope(req.identity!, 'approvals:decide') || approval.caller === req.identity!.id);
    if (!approval || !mayRead) throw new ProblemError('approval-not-found', `no approval with id "${req.params.id}"`);
    res.json(approvalJson(approval));
  });

  for (const [action, approve] of [['approve', true], ['deny', false]] as const) {
    router.post(`/api/approvals/:id/${action}`, (req, res) => {
      if (!hasScope(req.identity!, 'approvals:decide')) {
        throw new ProblemError('forbidden', `deciding needs the scope "approvals:decide"; "${req.identity!.label}" has ${req.identity!.scopes.join(', ')}`, { scope: 'approvals:decide' });
      }
      const body = parseBody(DecisionBody, req.body) ?? {};
      const approval = applyDecision(approvals, req.params.id, approve, deciderOf(req, 'api'), body);
      res.json(approvalJson(approval));
    });
  }

  return router;
}
