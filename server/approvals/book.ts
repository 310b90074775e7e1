/**
 * The approval book: every approval, both the calls held now for a person's decision and the
 * decided ones (kept in the database until the activity log's retention prunes them). An `ask`
 * call creates an approval — server, tool, the arguments as sent (redacted in the database like
 * the activity log), caller, the rule that asked, and a `binding` (binding.ts): an HMAC of this
 * approval's id, exactly those arguments and that tool definition — then waits until it is
 * approved, denied, expires (`approval.timeoutMs`) or the caller goes away. Who may decide, and
 * what a refused decision means, is decisions.ts.
 *
 * The binding is keyed with the gateway's secret (server/state/secret.ts), so that it cannot be
 * used to guess a redacted value: an unkeyed hash of the arguments could be checked against every
 * candidate value offline (a 4-digit PIN in 10,000 guesses). It covers the approval's id, so that
 * it is stable for one approval (a decider sends back the one it saw) but differs between two
 * approvals of the same call: otherwise a key that may both call and decide could hold calls
 * with guessed values and compare their bindings with a victim's approval.
 *
 * Caps (read at each call, so that a reload applies them): a caller with
 * `approval.maxPendingPerCaller` calls waiting, or a gateway with `approval.maxPending`, gets 429
 * `too-many-calls` at once, with `Retry-After` set to when the first of the calls counted against
 * it expires at the latest; the refused call creates no approval and never runs.
 *
 * States: `pending` → `approved` (the call then runs) | `denied` | `expired` | `cancelled` (the
 * caller went away) | `void` (the tool's definition changed before the decision) |
 * `interrupted` (the gateway stopped while it waited; it never runs later). A state is left at
 * most once: the first decision wins, every later one is refused naming the winner, so the tool
 * runs at most once per approval.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { MAX_ARGUMENT_BYTES, redactArguments } from '../activity/redact.js';
import type { ApprovalSettings } from '../config/types.js';
import { ProblemError } from '../errors.js';
import type { ForwardedUser } from '../auth/forwarded-user.js';
import type { Db } from '../state/db.js';
import type { ToolInfo } from '../upstream/types.js';
import { bindingOf, toolDefinitionHash } from './binding.js';

export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled' | 'void' | 'interrupted';

export const APPROVAL_STATES: readonly ApprovalState[] = ['pending', 'approved', 'denied', 'expired', 'cancelled', 'void', 'interrupted'];

/** Through what a decision came. */
export type DecisionChannel = 'api' | 'ui';

export interface Approval {
  id: string;
  /** The activity id of the call that waits. */
  callId: string;
  server: string;
  tool: string;
  /** The arguments, redacted like the activity log's (secret-looking fields hidden). */
  arguments: unknown;
  /** The caller's id (`key:…`, `api-key`, `ui`, `anonymous`…) and label. */
  caller: string;
  callerLabel: string;
  /** Who the call is made for, as a key trusted to say so forwarded it (auth/forwarded-user.ts), or null. */
  user: ForwardedUser | null;
  /** The rule that asked (`$.approval.rules[1]`, `default`) and why, in words. */
  rule: string;
  ruleReason: string;
  /** HMAC-SHA256, keyed with the gateway's secret, over server, tool, the canonical arguments and the tool definition. */
  binding: string;
  state: ApprovalState;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  /** Who decided (a caller id) and their label; `gateway` for expiry, cancellation and restarts. */
  decidedBy: string | null;
  decidedByLabel: string | null;
  decidedVia: DecisionChannel | 'gateway' | null;
  /** The decider's reason (a denial's), or why the gateway ended it. */
  reason: string | null;
}

/** Who decides. */
export interface Decider {
  id: string;
  label: string;
  via: DecisionChannel;
}

/**
 * Why the book did not apply a decision: no such approval; it was decided already (`approval`
 * names the winner); it is pending but no call of this gateway waits for it (another process
 * on the same state created it); the decider saw another binding; or approving found the
 * tool's definition changed, which voided it (`approval` is then the voided one).
 */
export type BookRefusal =
  { why: 'not-found' } | { why: 'already-decided' | 'not-waiting' | 'binding-mismatch' | 'void'; approval: Approval };

export type DecisionResult = { ok: true; approval: Approval } | ({ ok: false } & BookRefusal);

interface ApprovalRow {
  id: string;
  call_id: string;
  created_at: number;
  expires_at: number;
  server: string;
  tool: string;
  arguments: string;
  caller: string;
  caller_label: string;
  rule: string;
  rule_reason: string;
  binding: string;
  state: string;
  decided_at: number | null;
  decided_by: string | null;
  decided_by_label: string | null;
  decided_via: string | null;
  reason: string | null;
  forwarded_user: string | null;
}

function toApproval(row: ApprovalRow): Approval {
  let args: unknown = row.arguments;
  try {
    args = JSON.parse(row.arguments);
  } catch {
    // cut to a size limit: shown as the text it is
  }
  return {
    id: row.id,
    callId: row.call_id,
    server: row.server,
    tool: row.tool,
    arguments: args,
    caller: row.caller,
    callerLabel: row.caller_label,
    user: row.forwarded_user === null ? null : (JSON.parse(row.forwarded_user) as ForwardedUser),
    rule: row.rule,
    ruleReason: row.rule_reason,
    binding: row.binding,
    state: row.state as ApprovalState,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
    decidedBy: row.decided_by,
    decidedByLabel: row.decided_by_label,
    decidedVia: row.decided_via as Approval['decidedVia'],
    reason: row.reason,
  };
}

export interface ApprovalRequest {
  callId: string;
  server: string;
  tool: ToolInfo;
  /** The arguments as sent: what the call will run with once approved. */
  args: Record<string, unknown>;
  caller: string;
  callerLabel: string;
  /** Who the call is made for (forwarded by a trusted key). Default none. */
  user?: ForwardedUser;
  rule: string;
  ruleReason: string;
  timeoutMs: number;
  /** Aborts when the caller goes away: the approval is then `cancelled`. */
  signal: AbortSignal;
}

interface Waiter {
  /** Whose calls it counts against (`approval.maxPendingPerCaller`): the caller id, and the forwarded user's id when there is one. */
  caller: string;
  expiresAt: number;
  toolHash: string;
  settle: (approval: Approval) => void;
  timer: NodeJS.Timeout;
}

export interface ApprovalBookOptions {
  /** The key of the `binding` HMAC: the gateway secret's `approval-binding` key. */
  bindingKey: Buffer;
  /** The `approval` settings in force (for the caps), read at each call. */
  settings: () => Pick<ApprovalSettings, 'maxPending' | 'maxPendingPerCaller'>;
  /** Argument names redacted on top of the built-in ones (`gateway.redact.keys`), read at each call. Default none. */
  redactKeys?: () => readonly string[];
}

/** The gateway's own "decider", for the ends nobody chose. */
const GATEWAY: Decider = { id: 'gateway', label: 'gateway', via: 'api' };

export class ApprovalBook extends EventEmitter<{ change: [Approval] }> {
  private readonly waiters = new Map<string, Waiter>();
  /** Pending approvals per caller id (only callers with some). */
  private readonly perCaller = new Map<string, number>();
  private readonly insert;
  private readonly settleRow;
  private readonly selectOne;
  private readonly selectList;
  private readonly selectState;
  private readonly interruptAll;
  private readonly pruneOlder;

  constructor(
    db: Db,
    private readonly logger: Logger,
    /** The current definition hash of a tool, or undefined when it is gone: a change voids pending approvals. */
    private readonly currentToolHash: (server: string, tool: string) => string | undefined,
    private readonly options: ApprovalBookOptions,
  ) {
    super();
    this.insert = db.prepare(
      `INSERT INTO approvals (id, call_id, created_at, expires_at, server, tool, arguments, caller, caller_label, forwarded_user, rule, rule_reason, binding, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')`,
    );
    this.settleRow = db.prepare(
      `UPDATE approvals SET state = ?, decided_at = ?, decided_by = ?, decided_by_label = ?, decided_via = ?, reason = ?
       WHERE id = ? AND state = 'pending'`,
    );
    this.selectOne = db.prepare('SELECT * FROM approvals WHERE id = ?');
    this.selectList = db.prepare('SELECT * FROM approvals ORDER BY created_at DESC, id DESC LIMIT ?');
    this.selectState = db.prepare('SELECT * FROM approvals WHERE state = ? ORDER BY created_at DESC, id DESC LIMIT ?');
    this.pruneOlder = db.prepare("DELETE FROM approvals WHERE created_at < ? AND state != 'pending'");
    this.interruptAll = db.prepare(
      `UPDATE approvals SET state = 'interrupted', decided_at = ?, decided_by = 'gateway', decided_by_label = 'gateway',
         decided_via = 'gateway', reason = 'the gateway stopped while the call waited' WHERE state = 'pending'`,
    );
  }

  /** Forgets decided approvals older than `maxAgeMs` (with the activity log's retention). */
  prune(maxAgeMs: number, now = Date.now()): number {
    return this.pruneOlder.run(now - maxAgeMs).changes;
  }

  /**
   * Marks the approvals still pending (the gateway stopped while their calls waited) as
   * `interrupted`, and returns how many: those calls are gone and never run. Call once at start.
   */
  markInterrupted(now = Date.now()): number {
    return this.interruptAll.run(now).changes;
  }

  /**
   * Holds a call: creates its approval and resolves with it once it is no longer pending. Only an
   * `approved` approval lets the call run; `onCreated` gets the new approval at once. Throws
   * `too-many-calls` (429) at once, creating nothing, when a cap is reached.
   */
  wait(request: ApprovalRequest, onCreated: (approval: Approval) => void): Promise<Approval> {
    const now = Date.now();
    // Each user a trusting key forwards counts as a caller of its own: one Open WebUI user's held
    // calls must not use up the slots of all the others.
    const capped = request.user?.id === undefined ? request.caller : `${request.caller} user:${request.user.id}`;
    this.checkCaps(capped, now);
    const toolHash = toolDefinitionHash(request.tool);
    const { text, truncated } = redactArguments(request.args, MAX_ARGUMENT_BYTES, this.options.redactKeys?.() ?? []);
    const id = `apr_${randomBytes(12).toString('base64url')}`;
    const approval: Approval = {
      id,
      callId: request.callId,
      server: request.server,
      tool: request.tool.name,
      arguments: truncated ? text : (JSON.parse(text) as unknown),
      caller: request.caller,
      callerLabel: request.callerLabel,
      user: request.user ?? null,
      rule: request.rule,
      ruleReason: request.ruleReason,
      binding: bindingOf(this.options.bindingKey, id, request.server, request.tool.name, request.args, toolHash),
      state: 'pending',
      createdAt: now,
      expiresAt: now + request.timeoutMs,
      decidedAt: null,
      decidedBy: null,
      decidedByLabel: null,
      decidedVia: null,
      reason: null,
    };
    if (request.signal.aborted) return Promise.resolve({ ...approval, state: 'cancelled' });
    const a = approval;
    this.insert.run(
      a.id,
      a.callId,
      a.createdAt,
      a.expiresAt,
      a.server,
      a.tool,
      text,
      a.caller,
      a.callerLabel,
      a.user === null ? null : JSON.stringify(a.user),
      a.rule,
      a.ruleReason,
      a.binding,
    );
    return new Promise<Approval>((resolve) => {
      const onAbort = () => this.settle(a.id, 'cancelled', GATEWAY, 'the caller went away');
      const timer = setTimeout(
        () => this.settle(a.id, 'expired', GATEWAY, `nobody decided within ${request.timeoutMs} ms`),
        request.timeoutMs,
      );
      timer.unref();
      this.waiters.set(a.id, {
        caller: capped,
        expiresAt: a.expiresAt,
        toolHash,
        timer,
        settle: (settled) => {
          request.signal.removeEventListener('abort', onAbort);
          resolve(settled);
        },
      });
      this.perCaller.set(capped, (this.perCaller.get(capped) ?? 0) + 1);
      request.signal.addEventListener('abort', onAbort, { once: true });
      this.logger.info(
        { approvalId: a.id, callId: a.callId, server: a.server, tool: a.tool, caller: a.caller, rule: a.rule },
        'tool call waits for approval',
      );
      this.emit('change', approval);
      onCreated(approval);
    });
  }

  /**
   * Approves or denies. The first decision wins; `binding`, when given, must be the one the
   * decider saw. Approving a call whose tool changed since voids it instead.
   */
  decide(id: string, approve: boolean, by: Decider, options: { reason?: string; binding?: string } = {}): DecisionResult {
    const current = this.get(id);
    if (!current) return { ok: false, why: 'not-found' };
    if (current.state !== 'pending') return { ok: false, why: 'already-decided', approval: current };
    if (!this.waiters.has(id)) return { ok: false, why: 'not-waiting', approval: current };
    if (options.binding !== undefined && options.binding !== current.binding)
      return { ok: false, why: 'binding-mismatch', approval: current };
    if (approve && this.currentToolHash(current.server, current.tool) !== this.waiters.get(id)!.toolHash) {
      const voided = this.settle(id, 'void', GATEWAY, "the tool's definition changed after the call asked");
      return { ok: false, why: 'void', approval: voided! };
    }
    const settled = this.settle(id, approve ? 'approved' : 'denied', by, options.reason?.trim() || null);
    return { ok: true, approval: settled! };
  }

  get(id: string): Approval | undefined {
    const row = this.selectOne.get(id) as ApprovalRow | undefined;
    return row && toApproval(row);
  }

  /** Newest first; `state` filters. */
  list(state: ApprovalState | undefined, limit: number): Approval[] {
    const rows = (state ? this.selectState.all(state, limit) : this.selectList.all(limit)) as ApprovalRow[];
    return rows.map(toApproval);
  }

  /** How many calls wait for a decision now. */
  get pendingCount(): number {
    return this.waiters.size;
  }

  /** Refuses a call when its caller, or the gateway, has as many calls waiting as allowed. */
  private checkCaps(caller: string, now: number): void {
    const { maxPending, maxPendingPerCaller } = this.options.settings();
    const mine = this.perCaller.get(caller) ?? 0;
    const total = this.waiters.size;
    if (mine < maxPendingPerCaller && total < maxPending) return;
    const perCaller = mine >= maxPendingPerCaller;
    // A slot frees when one of the counted approvals is decided, or at the latest when it expires.
    let soonest = Infinity;
    for (const waiter of this.waiters.values()) {
      if (!perCaller || waiter.caller === caller) soonest = Math.min(soonest, waiter.expiresAt);
    }
    const retryAfter = Math.max(1, Math.ceil((soonest - now) / 1000));
    const detail = perCaller
      ? `this caller already has ${mine} calls waiting for approval (approval.maxPendingPerCaller is ${maxPendingPerCaller}); try again once one is decided`
      : `${total} calls already wait for approval (approval.maxPending is ${maxPending}); try again once one is decided`;
    throw new ProblemError('too-many-calls', detail, { limit: perCaller ? maxPendingPerCaller : maxPending, retryAfter });
  }

  /** Ends every wait (at shutdown): the approvals become `interrupted`, their calls fail. */
  close(): void {
    for (const id of [...this.waiters.keys()]) this.settle(id, 'interrupted', GATEWAY, 'the gateway stopped while the call waited');
  }

  private settle(id: string, state: Exclude<ApprovalState, 'pending'>, by: Decider, reason: string | null): Approval | undefined {
    const waiter = this.waiters.get(id);
    if (!waiter) return undefined;
    this.waiters.delete(id);
    const mine = (this.perCaller.get(waiter.caller) ?? 1) - 1;
    if (mine > 0) this.perCaller.set(waiter.caller, mine);
    else this.perCaller.delete(waiter.caller);
    clearTimeout(waiter.timer);
    const now = Date.now();
    const gateway = by === GATEWAY;
    this.settleRow.run(state, now, by.id, by.label, gateway ? 'gateway' : by.via, reason, id);
    const settled = this.get(id)!;
    this.logger.info({ approvalId: id, state, by: by.id, via: settled.decidedVia }, `approval ${state}`);
    waiter.settle(settled);
    this.emit('change', settled);
    return settled;
  }
}
