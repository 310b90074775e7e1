/**
 * Deciding an approval, the same for every surface (`/api/approvals/{id}/approve|deny`, the
 * approvals pages): who may read and decide what, who a decider is in the audit, and the
 * decision itself, which either applies or comes back refused with a reason (`DecisionRefusal`).
 * Each surface says a refusal its own way: the API as a problem (approvals-api.ts), the UI in
 * a sentence on the approval's card (ui/approvals-pages.ts).
 */
import { hasScope, type Identity } from '../auth/identity.js';
import type { Approval, ApprovalBook, BookRefusal, Decider, DecisionChannel } from './book.js';

/** The longest reason a decider may give, in characters (after trimming). */
export const MAX_DECISION_REASON = 500;

/** Why a decision did not apply: the book's reasons, or a reason text longer than `MAX_DECISION_REASON`. */
export type DecisionRefusal = BookRefusal | { why: 'reason-too-long'; limit: number };

export type DecisionOutcome = { ok: true; approval: Approval } | ({ ok: false } & DecisionRefusal);

/** Whether an identity may decide approvals (and read every one). */
export function mayDecide(identity: Pick<Identity, 'scopes'>): boolean {
  return hasScope(identity, 'approvals:decide');
}

/** Whether an identity may read an approval: a decider reads all; a caller the one that holds its own call. */
export function mayRead(identity: Pick<Identity, 'id' | 'scopes'>, approval: Approval): boolean {
  return mayDecide(identity) || approval.caller === identity.id;
}

/**
 * Who decides, as the audit names them: the identity's label, with the Tailscale login when the
 * gateway trusts that header (`tailscaleUser`).
 */
export function deciderOf(identity: Pick<Identity, 'id' | 'label'>, via: DecisionChannel, tailscaleUser?: string): Decider {
  const label = tailscaleUser ? `${identity.label} (${tailscaleUser})` : identity.label;
  return { id: identity.id, label, via };
}

/**
 * Approves or denies approval `id`: the first decision wins; `binding`, when given, must be the
 * one the decider saw. The reason is trimmed and may be at most `MAX_DECISION_REASON` characters.
 */
export function applyDecision(
  book: ApprovalBook,
  id: string,
  approve: boolean,
  by: Decider,
  options: { reason?: string; binding?: string } = {},
): DecisionOutcome {
  const reason = options.reason?.trim();
  if (reason !== undefined && reason.length > MAX_DECISION_REASON) return { ok: false, why: 'reason-too-long', limit: MAX_DECISION_REASON };
  return book.decide(id, approve, by, { ...options, reason });
}
