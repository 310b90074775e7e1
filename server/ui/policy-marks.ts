/**
 * What the approval policy will do with a tool, said before any call, for the tools list and a
 * tool's page: "asks" (every call waits for a person), "refused" (every call is denied), "may
 * ask" / "may be refused" (only a rule with `when` conditions asks or denies, so it depends on the
 * arguments), or nothing (calls run). Computed with the policy's own `decide()`: first with the
 * rules that hold whatever the arguments, then looking for conditional rules that would win.
 */
import { decide, globMatches, type PolicyServer, type PolicyTool } from '../approvals/policy.js';
import type { ApprovalRule, ApprovalSettings } from '../config/types.js';

export interface PolicyMark {
  kind: 'asks' | 'refused' | 'may-ask' | 'may-be-refused';
  /** The badge: "asks for approval". */
  text: string;
  /** Why, in a sentence: the policy's reason, or the conditional rule that may apply. */
  reason: string;
}

const unconditional = (rules: ApprovalRule[]) => rules.filter((rule) => rule.when.length === 0);

export function policyMark(policy: ApprovalSettings, server: PolicyServer, tool: PolicyTool): PolicyMark | null {
  const always = decide(
    { ...policy, rules: unconditional(policy.rules) },
    { name: server.name, approval: { ...server.approval, rules: unconditional(server.approval.rules) } },
    tool,
    {},
  );
  if (always.action === 'deny') return { kind: 'refused', text: 'refused by policy', reason: always.reason };
  if (always.action === 'ask') return { kind: 'asks', text: 'asks for approval', reason: always.reason };
  const conditional = [
    ...policy.rules.filter((rule) => rule.when.length > 0 && globMatches(rule.server, server.name)),
    ...server.approval.rules.filter((rule) => rule.when.length > 0),
  ].filter((rule) => rule.action !== 'allow' && globMatches(rule.tool, tool.name));
  const asking = conditional.find((rule) => rule.action === 'ask');
  if (asking) return { kind: 'may-ask', text: 'may ask for approval', reason: `rule ${asking.source} asks when its conditions on the arguments hold` };
  const denying = conditional.find((rule) => rule.action === 'deny');
  if (denying) return { kind: 'may-be-refused', text: 'may be refused', reason: `rule ${denying.source} denies when its conditions on the arguments hold` };
  return null;
}
