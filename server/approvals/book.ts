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
 * `too-many-calls` at once. Each user a trusting key forwards counts as a caller of its own (one
 * user's held calls do not use up the others' slots), and the key in all — its users and its calls
 * without one — may have `KEY_CAP_FACTOR` × `approval.maxPendingPerCaller` (one key sending many
 * user ids does not use up the gateway's slots). The 429 has `Retry-After` set to when the first
 * of the calls counted against the cap expires at the latest; the refused call creates no approval
 * and never runs.
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

/**
 * How many times `approval.maxPendingPerCaller` one caller may have waiting over all the users it
 * forwards (and its own calls without one).
 */
export const KEY_CAP_FACTOR = 5;

/** The tallies a held call counts in: its caller's (or forwarded user's) own, and its caller's in all. */
interface Tallies {
  /** The caller id, with the forwarded user's id when there is one (`approval.maxPendingPerCaller`). */
  own: string;
  /** The caller id (`KEY_CAP_FACTOR` × `approval.maxPendingPerCaller`). */
  all: string;
}

interface Waiter {
  /** The tallies it counts in. */
  tallies: Tallies;
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
  /** Pending approvals per tally (`Tallies`; only tallies with some). */
  private readonly tallies = new Map<string, number>();
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
    // calls must not use up the slots of all the others. And the key counts in all: many user ids
    // sent by one key must not use up everyone's.
    const tallies: Tallies = {
      own: request.user?.id === undefined ? `${request.caller} no user` : `${request.caller} user:${request.user.id}`,
      all: request.caller,
    };
    this.checkCaps(tallies, now);
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
        tallies,
        expiresAt: a.expiresAt,
        toolHash,
        timer,
        settle: (settled) => {
          request.signal.removeEventListener('abort', onAbort);
          resolve(settled);
        },
      });
      for (const tally of [tallies.own, tallies.all]) this.tallies.set(tally, (this.tallies.get(tally) ?? 0) + 1);
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

  /** Refuses a call when its caller (or forwarded user), its key in all, or the gateway has as many calls waiting as allowed. */
  private checkCaps(tallies: Tallies, now: number): void {
    const { maxPending, maxPendingPerCaller } = this.options.settings();
    const keyCap = KEY_CAP_FACTOR * maxPendingPerCaller;
    const own = this.tallies.get(tallies.own) ?? 0;
    const all = this.tallies.get(tallies.all) ?? 0;
    const total = this.waiters.size;
    if (own < maxPendingPerCaller && all < keyCap && total < maxPending) return;
    // The cap reached, and whether a waiting call counts against it.
    const [limit, counted, detail] =
      own >= maxPendingPerCaller
        ? [
            maxPendingPerCaller,
            (waiter: Waiter) => waiter.tallies.own === tallies.own,
            `this caller already has ${own} calls waiting for approval (approval.maxPendingPerCaller is ${maxPendingPerCaller})`,
          ]
        : all >= keyCap
          ? [
              keyCap,
              (waiter: Waiter) => waiter.tallies.all === tallies.all,
              `this key already has ${all} calls waiting for approval over the users it forwards (${KEY_CAP_FACTOR} × approval.maxPendingPerCaller)`,
            ]
          : [maxPending, () => true, `${total} calls already wait for approval (approval.maxPending is ${maxPending})`];
    // A slot frees when one of the counted approvals is decided, or at the latest when it expires.
    let soonest = Infinity;
    for (const waiter of this.waiters.values()) if (counted(waiter)) soonest = Math.min(soonest, waiter.expiresAt);
    const retryAfter = Math.max(1, Math.ceil((soonest - now) / 1000));
    throw new ProblemError('too-many-calls', `${detail}; try again once one is decided`, { limit, retryAfter });
  }

  /** Ends every wait (at shutdown): the approvals become `interrupted`, their calls fail. */
  close(): void {
    for (const id of [...this.waiters.keys()]) this.settle(id, 'interrupted', GATEWAY, 'the gateway stopped while the call waited');
  }

  private settle(id: string, state: Exclude<ApprovalState, 'pending'>, by: Decider, reason: string | null): Approval | undefined {
    const waiter = this.waiters.get(id);
    if (!waiter) return undefined;
    this.waiters.delete(id);
    for (const tally of [waiter.tallies.own, waiter.tallies.all]) {
      const left = (this.tallies.get(tally) ?? 1) - 1;
      if (left > 0) this.tallies.set(tally, left);
      else this.tallies.delete(tally);
    }
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
