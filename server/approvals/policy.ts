/**
 * The approval policy's evaluator: what a tool call gets (allow, ask, deny) from the configured
 * rules, the defaults and the tool's annotations. Pure and synchronous; it runs on every call.
 *
 * - The rules that match are the top-level rules whose `server` and `tool` globs match, and the
 *   server's own rules whose `tool` glob matches, each with all of its `when` conditions holding:
 *   on the arguments, and on the user a trusted key forwarded (`user`: its id or email; `role`),
 *   which a call without one (any other caller's) never meets.
 * - Among them deny beats ask beats allow; the first matching rule of the winning action is
 *   reported, top-level rules before the server's own, each in file order.
 * - With no matching rule the default decides: the server's `approval.default`, else the top-level
 *   one. An `ask` default allows a tool annotated `readOnlyHint: true` unless it is also annotated
 *   `destructiveHint: true`. Annotations never relax a matching rule, nor a `deny` default.
 */
import { isForwardedUser, type ForwardedUser } from '../auth/forwarded-user.js';
import type { ApprovalAction, ApprovalRule, ApprovalSettings, RuleCondition, ServerApproval } from '../config/types.js';

export interface PolicyDecision {
  action: ApprovalAction;
  /** Which rule decided, as its `source` (`$.approval.rules[1]`), or `default` (the default applied), or `default (readOnlyHint)`. */
  rule: string;
  /** One sentence for people, e.g. `rule $.approval.rules[1] says ask` / `no rule matched; the default is ask` / `no rule matched; the tool is annotated readOnlyHint, so the "ask" default allows it`. */
  reason: string;
}

export interface PolicyServer {
  name: string;
  approval: ServerApproval;
}

export interface PolicyTool {
  name: string;
  /** MCP tool annotations; only `readOnlyHint` and `destructiveHint` matter here. Untrusted hints from the server. */
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean };
}

export const DEFAULT_RULE = 'default';
export const READ_ONLY_DEFAULT_RULE = 'default (readOnlyHint)';

const RANK: Record<ApprovalAction, number> = { allow: 0, ask: 1, deny: 2 };

export function decide(
  approval: ApprovalSettings,
  server: PolicyServer,
  tool: PolicyTool,
  args: Record<string, unknown>,
  /** Who the call is made for, when a trusted key forwarded it (auth/forwarded-user.ts). Default none. */
  user?: ForwardedUser,
): PolicyDecision {
  let winner: ApprovalRule | undefined;
  const consider = (rule: ApprovalRule, checkServer: boolean): boolean => {
    if (winner && RANK[rule.action] <= RANK[winner.action]) return false;
    if (checkServer && !globMatches(rule.server, server.name)) return false;
    if (!globMatches(rule.tool, tool.name)) return false;
    if (!rule.when.every((condition) => conditionHolds(condition, args, user))) return false;
    winner = rule;
    return rule.action === 'deny';
  };
  search: {
    for (const rule of approval.rules) if (consider(rule, true)) break search;
    for (const rule of server.approval.rules) if (consider(rule, false)) break search;
  }
  if (winner) return { action: winner.action, rule: winner.source, reason: `rule ${winner.source} says ${winner.action}` };

  const fromServer = server.approval.default !== undefined;
  const fallback = server.approval.default ?? approval.default;
  if (fallback === 'ask' && tool.annotations?.readOnlyHint === true && tool.annotations.destructiveHint !== true) {
    return {
      action: 'allow',
      rule: READ_ONLY_DEFAULT_RULE,
      reason: `no rule matched; the tool is annotated readOnlyHint, so the "ask" default ${fromServer ? `of server ${server.name} ` : ''}allows it`,
    };
  }
  return {
    action: fallback,
    rule: DEFAULT_RULE,
    reason: fromServer
      ? `no rule matched; the default of server ${server.name} is ${fallback}`
      : `no rule matched; the default is ${fallback}`,
  };
}

/**
 * Whether the policy denies every call of `tool` of `server`, whatever its arguments and user: a
 * deny rule without conditions matches it, or no rule with conditions (`when`) matches it and the
 * decision is deny (without such rules the decision does not depend on the arguments).
 */
export function deniesAlways(approval: ApprovalSettings, server: PolicyServer, tool: PolicyTool): boolean {
  const matching = [...approval.rules.filter((rule) => globMatches(rule.server, server.name)), ...server.approval.rules].filter((rule) =>
    globMatches(rule.tool, tool.name),
  );
  if (matching.some((rule) => rule.action === 'deny' && rule.when.length === 0)) return true;
  if (matching.some((rule) => rule.when.length > 0)) return false;
  return decide(approval, server, tool, {}).action === 'deny';
}

/** How long an `ask` call of this server waits for a decision, in ms. */
export function timeoutFor(approval: ApprovalSettings, server: { approval: ServerApproval }): number {
  return server.approval.timeoutMs ?? approval.timeoutMs;
}

// ---------------------------------------------------------------------------------------------
// Globs

type Matcher = (name: string) => boolean;

/** Compiled globs by pattern; patterns come from the config file, so the cache stays small. */
const globs = new Map<string, Matcher>();

/** `*` any run of characters, `?` one character, everything else literal; whole name, case-sensitive. */
export function globMatches(pattern: string, name: string): boolean {
  let matcher = globs.get(pattern);
  if (!matcher) {
    matcher = compileGlob(pattern);
    globs.set(pattern, matcher);
  }
  return matcher(name);
}

function compileGlob(pattern: string): Matcher {
  if (pattern === '*') return () => true;
  if (!/[*?]/.test(pattern)) return (name) => name === pattern;
  let source = '';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  const regex = new RegExp(`^(?:${source})$`, 'su');
  return (name) => regex.test(name);
}

// ---------------------------------------------------------------------------------------------
// Conditions

const MISSING = Symbol('missing');

function conditionHolds(condition: RuleCondition, args: Record<string, unknown>, user: ForwardedUser | undefined): boolean {
  if (!('pointer' in condition)) {
    if (condition.user) return condition.user.some((named) => isForwardedUser(user, named));
    return condition.role !== undefined && user?.role !== undefined && condition.role.includes(user.role);
  }
  const target = resolvePointer(args, condition.pointer);
  if (target === MISSING) return false;
  if (condition.matches !== undefined) return typeof target === 'string' && condition.matches.test(target);
  if (condition.in !== undefined) return condition.in.some((value) => jsonEqual(target, value));
  if (Object.hasOwn(condition, 'equals')) return jsonEqual(target, condition.equals);
  return false;
}

/** Parsed pointers by pointer text. */
const pointers = new Map<string, string[]>();

function pointerTokens(pointer: string): string[] {
  let tokens = pointers.get(pointer);
  if (!tokens) {
    tokens =
      pointer === ''
        ? []
        : pointer
            .slice(1)
            .split('/')
            .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    pointers.set(pointer, tokens);
  }
  return tokens;
}

const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

/** RFC 6901: the value `pointer` refers to in `root`, or MISSING. Only own properties count. */
function resolvePointer(root: unknown, pointer: string): unknown {
  let current: unknown = root;
  for (const token of pointerTokens(pointer)) {
    if (Array.isArray(current)) {
      if (!ARRAY_INDEX.test(token)) return MISSING;
      const index = Number(token);
      if (index >= current.length) return MISSING;
      current = current[index];
    } else if (typeof current === 'object' && current !== null) {
      if (!Object.hasOwn(current, token)) return MISSING;
      current = (current as Record<string, unknown>)[token];
    } else {
      return MISSING;
    }
  }
  return current === undefined ? MISSING : current;
}

/** Deep equality of JSON values: objects by their own keys regardless of order, arrays in order. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((key) => Object.hasOwn(b, key) && jsonEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
