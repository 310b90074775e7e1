/**
 * What the approval policy will do with a tool, said before any call, for the tools list and a
 * tool's page: "asks" (every call waits for a person), "refused" (every call is denied), "may
 * ask" / "may be refused" (it depends on the arguments or the forwarded user: a rule with `when` conditions decides
 * otherwise when they hold), or nothing (calls run). Computed with the policy's own `decide()`:
 * first with the rules that hold whatever the arguments, then looking for conditional rules that
 * would win. Among matching rules deny beats ask beats allow, and the default applies only when no
 * rule matches: so a conditional rule of any action, allow included, can change what a default
 * decides, while over an unconditional rule only a stronger conditional one wins.
 */
import { DEFAULT_RULE, decide, globMatches, type PolicyServer, type PolicyTool } from '../approvals/policy.js';
import type { ApprovalAction, ApprovalRule, ApprovalSettings } from '../config/types.js';

export interface PolicyMark {
  kind: 'asks' | 'refused' | 'may-ask' | 'may-be-refused';
  /** The badge: "asks for approval". */
  text: string;
  /** Why, in a sentence: the policy's reason, or the conditional rule that may apply. */
  reason: string;
}

const unconditional = (rules: ApprovalRule[]) => rules.filter((rule) => rule.when.length === 0);

const VERB: Record<ApprovalAction, string> = { allow: 'allows', ask: 'asks', deny: 'denies' };

/** What a rule's conditions are on: `the arguments`, `the forwarded user`, or both. */
function conditionsOn(rule: ApprovalRule): string {
  const onArguments = rule.when.some((condition) => 'pointer' in condition);
  const onUser = rule.when.some((condition) => !('pointer' in condition));
  return onArguments && onUser ? 'the arguments and the forwarded user' : onUser ? 'the forwarded user' : 'the arguments';
}

/** `rule … asks when its conditions on the arguments hold` */
const conditionally = (rule: ApprovalRule) => `rule ${rule.source} ${VERB[rule.action]} when its conditions on ${conditionsOn(rule)} hold`;

export function policyMark(policy: ApprovalSettings, server: PolicyServer, tool: PolicyTool): PolicyMark | null {
  const always = decide(
    { ...policy, rules: unconditional(policy.rules) },
    { name: server.name, approval: { ...server.approval, rules: unconditional(server.approval.rules) } },
    tool,
    {},
  );
  const conditional = [
    ...policy.rules.filter((rule) => rule.when.length > 0 && globMatches(rule.server, server.name)),
    ...server.approval.rules.filter((rule) => rule.when.length > 0),
  ].filter((rule) => globMatches(rule.tool, tool.name));
  if (always.action !== 'allow') {
    // Over the default, a conditional rule of another action wins when its conditions hold; an
    // unconditional deny or ask rule no conditional rule can lower.
    const other = always.rule === DEFAULT_RULE ? conditional.find((rule) => rule.action !== always.action) : undefined;
    if (always.action === 'deny') {
      return other
        ? { kind: 'may-be-refused', text: 'may be refused', reason: `${always.reason}, but ${conditionally(other)}` }
        : { kind: 'refused', text: 'refused by policy', reason: always.reason };
    }
    return other
      ? { kind: 'may-ask', text: 'may ask for approval', reason: `${always.reason}, but ${conditionally(other)}` }
      : { kind: 'asks', text: 'asks for approval', reason: always.reason };
  }
  const asking = conditional.find((rule) => rule.action === 'ask');
  if (asking) return { kind: 'may-ask', text: 'may ask for approval', reason: conditionally(asking) };
  const denying = conditional.find((rule) => rule.action === 'deny');
  if (denying) return { kind: 'may-be-refused', text: 'may be refused', reason: conditionally(denying) };
  return null;
}
