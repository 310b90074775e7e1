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
import type { Approval } from '../../approvals/book.js';
import { applyDecision, deciderOf, mayDecide, mayRead, type DecisionRefusal } from '../../approvals/decisions.js';
import { ProblemError } from '../../errors.js';
import { BODY, json, problem } from '../../openapi/responses.js';
import { ApprovalIdParams, ApprovalListQuery, ApprovalListSchema, ApprovalSchema, DecisionBody } from '../api-schemas.js';
import type { RouteServices } from '../app.js';
import { defineRoute } from '../route.js';

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

type Services = Pick<RouteServices, 'approvals'>;

/** `POST /api/approvals/{id}/approve` and `/deny`. */
function decisionRoute(action: 'approve' | 'deny') {
  const approve = action === 'approve';
  return defineRoute({
    method: 'post',
    path: `/api/approvals/{id}/${action}`,
    scope: 'approvals:decide',
    operationId: approve ? 'approveCall' : 'denyCall',
    summary: approve ? 'Approve a held call' : 'Deny a held call',
    description:
      (approve
        ? 'Approves a pending approval: the held call runs (once) and its caller gets its answer. '
        : 'Denies a pending approval: the held call does not run, and its caller gets a 403 `approval-denied` with the `reason`. ') +
      'The first decision wins; any later one is a 409 naming it. Send the `binding` you were shown so that the decision ' +
      'applies only to that very call (same arguments, same tool definition). The body may be left out.',
    tag: 'approvals',
    request: {
      params: ApprovalIdParams,
      body: { description: 'An optional reason, and the binding seen.', required: false, schema: DecisionBody },
    },
    responses: {
      ...BODY,
      '200': json(`The approval, now \`${approve ? 'approved' : 'denied'}\`.`, ApprovalSchema),
      '404': problem('`approval-not-found`: no approval has this id.'),
      '409': problem(
        '`approval-decided`: the approval was already decided or ended (`state`, and `decidedBy` and `decidedAt` of the ' +
          "winner); `approval-void`: the `binding` sent is not the approval's, or the tool's definition changed since the " +
          'call asked (`state`).',
      ),
      '422': problem(
        '`invalid-request`: the body is not `{"reason"?: <string of at most 500>, "binding"?: <string>}`; `errors` names each field.',
      ),
    },
    handler: (req, res, input, { approvals }: Services) => {
      if (!mayDecide(req.identity!)) {
        throw new ProblemError(
          'forbidden',
          `deciding needs the scope "approvals:decide"; "${req.identity!.label}" has ${req.identity!.scopes.join(', ')}`,
          { scope: 'approvals:decide' },
        );
      }
      const body = input.body() ?? {};
      const decided = applyDecision(approvals, req.params.id, approve, deciderOf(req.identity!, 'api', req.tailscaleUser), body);
      if (!decided.ok) throw decisionProblem(req.params.id, decided);
      res.json(approvalJson(decided.approval));
    },
  });
}

export const APPROVAL_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/api/approvals',
    scope: 'approvals:decide',
    operationId: 'listApprovals',
    summary: 'List approvals',
    description:
      'The calls the approval policy held for a person, newest first: pending ones and decided ones (who decided, when, ' +
      'through what, why), with the number pending now.',
    tag: 'approvals',
    request: { query: ApprovalListQuery },
    responses: {
      '200': json('The approvals.', ApprovalListSchema),
      '422': problem(
        '`invalid-request`: `state` is not a state, `limit` is not an integer from 1 to 500, or a parameter is unknown (`errors` names each one).',
      ),
    },
    handler: (_req, res, input, { approvals }: Services) => {
      const query = input.query();
      res.json({ items: approvals.list(query.state, query.limit ?? 100).map(approvalJson), pending: approvals.pendingCount });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/approvals/{id}',
    // Besides deciders, the caller whose call it holds (the handler checks which approval).
    scope: ['approvals:decide', 'tools:call'],
    operationId: 'getApproval',
    summary: 'Show an approval',
    description:
      'One approval: the held call (server, tool, redacted arguments, caller), the rule that asked, its `binding`, and how ' +
      'it was decided. Besides deciders (`approvals:decide`), the caller whose call it holds may read it (`tools:call`), ' +
      "e.g. at the `url` of its call's `approval`.",
    tag: 'approvals',
    request: { params: ApprovalIdParams },
    responses: {
      '200': json('The approval.', ApprovalSchema),
      '404': problem("`approval-not-found`: no approval has this id, or it holds another caller's call and the credentials cannot decide."),
    },
    handler: (req, res, _input, { approvals }: Services) => {
      const approval = approvals.get(req.params.id);
      if (!approval || !mayRead(req.identity!, approval))
        throw new ProblemError('approval-not-found', `no approval with id "${req.params.id}"`);
      res.json(approvalJson(approval));
    },
  }),
  decisionRoute('approve'),
  decisionRoute('deny'),
];
