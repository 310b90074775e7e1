/**
 * The one path every tool call takes, whichever surface and mode it came in by:
 * lookup → validate → policy (allow, deny, or wait for a person's approval) → admission
 * (concurrency limit) → upstream call (questions the server asks go to the surface's client, or to a
 * person: server/questions/) → result (serialized once, size-checked) → record.
 * A call ends with its result (an `isError` result too) or with a `ProblemError` from the one
 * error catalog (server/errors.ts); each surface decides how to answer that (http/call-answer.ts).
 * Every call, failed or not, is recorded once (activity log, metrics, one log line) through the
 * `CallHooks` (calls/recording.ts).
 */
import { decide, timeoutFor, type PolicyDecision } from '../approvals/policy.js';
import type { ApprovalBook } from '../approvals/book.js';
import type { ForwardedUser } from '../auth/forwarded-user.js';
import type { ApprovalSettings, GatewaySettings, ServerConfig } from '../config/types.js';
import { ProblemError, UPSTREAM_ANSWERED_TITLE } from '../errors.js';
import { isWebUrl, type QuestionBook } from '../questions/book.js';
import type { Supervisor } from '../upstream/supervisor.js';
import { missingCapabilityProblem } from '../upstream/feature-requests.js';
import type { UpstreamConnection } from '../upstream/connection.js';
import { connectFirst, userKeyOf } from '../upstream/per-user-connections.js';
import {
  TASK_TIMED_OUT,
  UpstreamCallError,
  type CallProgress,
  type CallSampler,
  type ElicitationAnswer,
  type ElicitationRequest,
  type Elicitor,
  type ForwardedSamplingResult,
  type InputRelay,
  type LogMessage,
  type SamplingRequest,
  type ToolCallOptions,
  type ToolCallResult,
  type ToolInfo,
  type UpstreamTaskStatus,
} from '../upstream/types.js';
import { checkArguments } from './arguments.js';
import { callFeatureTool, featureTool } from './feature-tools.js';
import { newCallId } from './call-id.js';
import { ConcurrencyLimiter } from './limiter.js';
import { outcomeOf } from './outcome.js';
import { CallRegistry } from './registry.js';
import { RunningCall, type CallEnd, type CallMode, type CallResult, type CallSurface } from './running-call.js';

export interface CallRequest {
  server: string;
  tool: string;
  /** The parsed request body; `undefined` or `{}` for a tool without arguments. */
  args: unknown;
  surface: CallSurface;
  mode: CallMode;
  /** Who calls: the identity's caller id (`key:…`, `api-key`, `ui`, `anonymous`…). */
  caller: string;
  /** The caller's label, for people deciding an approval. Default: the caller id. */
  callerLabel?: string;
  /** The MCP client's name and version, as it gave them (`/mcp` only). Default none. */
  client?: string;
  /**
   * Who the call is made for, when the caller's key is trusted to say so (`forwardedUserOf`):
   * recorded with the call, shown on its approval and questions, matched by `user`/`role` rules. Default none.
   */
  user?: ForwardedUser;
  /** The request's id, for the call's log line. */
  requestId: string;
  /** What the caller asked for (`X-Timeout-Ms`), already checked against `maxTimeoutMs`. */
  timeoutMs?: number;
  /**
   * Who answers the server's questions (elicitation) during this call: an `/mcp` client that
   * declared elicitation. A question it cannot take (it returns undefined), or with none, goes to
   * a person, through the question book.
   */
  elicit?: SurfaceElicitor;
  /**
   * Who answers the server's sampling requests during this call: an `/mcp` client that declared
   * sampling (its own model). Default: the gateway's `sampling` endpoint, if any.
   */
  sample?: SurfaceSampler;
  /**
   * The caller, an `/mcp` client of the 2026-07-28 era, relays a 2026-07-28 server's
   * `input_required` rounds itself (`ToolCallOptions.relay`): the call then ends with the round
   * (`result.inputRequired`). Default: none (the gateway answers them).
   */
  relay?: InputRelay;
  /**
   * A person approved this very call in an earlier round of it (a relayed retry whose sealed
   * `requestState` says so: server/mcp/input-relay.ts): the policy's `ask` is satisfied without a
   * second approval; its `deny` still denies. The approval's id (recorded on the call's activity
   * row). Default: none.
   */
  approvedBefore?: string;
}

/** What the caller tells about each call as it goes (the gateway records it: calls/recording.ts). None of them throws. */
export interface CallHooks {
  started(call: RunningCall, args: unknown, caller: string): void;
  /** Resolves once the start is durably recorded: the call goes upstream only then. Never rejects. */
  committed?(call: RunningCall): Promise<void>;
  finished(call: RunningCall, end: CallEnd): void;
}

/** The approval policy and the calls it holds; without it every call runs. */
export interface CallApprovals {
  /** The top-level `approval` section in force. */
  policy: () => ApprovalSettings;
  pending: ApprovalBook;
}

/**
 * A surface's own answerer of a server's questions: a promise of the answer, or undefined when it
 * cannot take this one (the question then goes to a person). `timeoutMs` is `gateway.questionTimeoutMs`.
 */
export type SurfaceElicitor = (
  request: ElicitationRequest,
  signal: AbortSignal,
  timeoutMs: number,
) => Promise<ElicitationAnswer> | undefined;

/** A surface's own model for a server's sampling requests; `timeoutMs` is `gateway.questionTimeoutMs`. */
export type SurfaceSampler = (request: SamplingRequest, signal: AbortSignal, timeoutMs: number) => Promise<ForwardedSamplingResult>;

/**
 * The options of one call upstream (`ToolCaller.callOptions`), made by `upstreamCallOptions`.
 * Their `signal` getter is on a shared prototype, made once: a getter in a literal is an accessor
 * pair that V8 makes in the old generation, holding the getter's closure and through it the whole
 * call; an old object is not collected by a scavenge, so every call's objects (its `RunningCall`,
 * result, request) outlived the next scavenge and were moved to the old generation, to be freed by
 * a full collection (README, "Performance", tenth round). Not instances of a class either: made
 * by `new`, they still promoted ~250 bytes a call at concurrency 1, as an object literal ~35
 * (eleventh round).
 */
export interface UpstreamCallOptions extends ToolCallOptions {
  readonly cancellation: RunningCall;
  readonly onProgress: (progress: CallProgress) => void;
  readonly onLog: (message: LogMessage) => void;
  /** A caller that does not wait has an optional-task tool run as a task, as its server intends for long jobs. */
  readonly preferTask: boolean;
  readonly onTaskStatus: (task: UpstreamTaskStatus) => void;
  onSample: CallSampler | undefined;
  relay: InputRelay | undefined;
}

/** The prototype of every call's options: `signal`, made only if read (the direct path of a stdio call listens on `cancellation`). */
const UPSTREAM_CALL_OPTIONS = {
  get signal(): AbortSignal {
    return (this as unknown as UpstreamCallOptions).cancellation.signal;
  },
};

/** The options of `call` upstream (see `UpstreamCallOptions`). */
export function upstreamCallOptions(
  call: RunningCall,
  timeoutMs: number,
  maxTotalTimeoutMs: number,
  onElicit: Elicitor | undefined,
): UpstreamCallOptions {
  return {
    __proto__: UPSTREAM_CALL_OPTIONS,
    timeoutMs,
    maxTotalTimeoutMs,
    onElicit,
    cancellation: call,
    onProgress: (progress: CallProgress) => call.reportProgress(progress),
    onLog: (message: LogMessage) => call.reportLog(message),
    preferTask: call.mode === 'async',
    onTaskStatus: (task: UpstreamTaskStatus) => call.reportTask(task),
    onSample: undefined,
    relay: undefined,
  } as unknown as UpstreamCallOptions;
}

/** The open questions servers ask a person; without it a server's question is answered `cancel`. */
export interface CallQuestions {
  book: QuestionBook;
  /** `gateway.questionTimeoutMs` in force. */
  timeoutMs: () => number;
}

export class ToolCaller {
  private readonly limiters = new Map<string, ConcurrencyLimiter>();
  readonly calls: CallRegistry;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly settings: () => GatewaySettings,
    private readonly hooks?: CallHooks,
    private readonly approvals?: CallApprovals,
    private readonly questions?: CallQuestions,
  ) {
    this.calls = new CallRegistry(this.settings);
  }

  /**
   * Starts one call and returns it at once: the surface cancels it when its caller goes away, waits
   * for it to be `accepted` (an async or streamed answer starts then) and `done` (its result, or
   * the error it failed with). However it ends, it is recorded.
   */
  start(request: CallRequest): RunningCall {
    const call = new RunningCall(
      newCallId(),
      request.requestId,
      request.server,
      request.tool,
      request.surface,
      request.mode,
      request.caller,
      request.client,
      request.user,
    );
    this.calls.add(call);
    this.hooks?.started(call, request.args, request.caller);
    this.run(call, request).then(
      (result) => this.finish(call, { outcome: result.result.isError ? 'tool_error' : 'ok', result }),
      (error: unknown) => {
        const problem = error instanceof ProblemError ? error : new ProblemError('upstream-error', describe(error));
        this.finish(call, { outcome: outcomeOf(problem.type), error: problem });
      },
    );
    return call;
  }

  /**
   * Ends the call, then records it: the surface's answer (waiting on `done`, or following the
   * call) goes out first, and the record follows in the same turn of the event loop, before any
   * other request is read, so no reader sees an answered call unrecorded, and the answer does not
   * wait for the activity row, the metrics and the log line.
   */
  private finish(call: RunningCall, end: CallEnd): void {
    call.finish(end);
    queueMicrotask(() => {
      this.hooks?.finished(call, end);
      if (this.calls.finished(call)) call.keepOneCopy();
    });
  }

  /** In-flight and queued calls of a server (for metrics and the UI). */
  load(server: string): { inFlight: number; queued: number } {
    const limiter = this.limiters.get(server);
    return { inFlight: limiter?.inFlight ?? 0, queued: limiter?.queued ?? 0 };
  }

  private async run(call: RunningCall, request: CallRequest): Promise<CallResult> {
    const connection = this.supervisor.require(request.server);
    if (!connection.isEnabled) {
      throw new ProblemError('server-unavailable', `server "${request.server}" is disabled`, { state: connection.currentState });
    }
    // The last known tool list stays while a server reconnects, so a call in that window gets a 503, not a 404;
    // so does any call to a server that has not listed its tools yet (the tool may well be one of them).
    // A server's own tool, else a feature tool its config offers (`exposeAsTools`: feature-tools.ts).
    const ownTool = connection.tool(request.tool);
    const tool = ownTool ?? featureTool(connection, request.tool);
    const state = connection.currentState;
    if (!tool && (state === 'ready' || connection.hasListed)) {
      throw new ProblemError('tool-not-found', `server "${request.server}" has no tool named "${request.tool}"`);
    }
    call.toolKnown = tool !== undefined;
    // A perUserAuth server is called with the user's own account only: without one, nothing else matters.
    const users = this.supervisor.userConnections(request.server);
    users?.check(request.user);
    if (state === 'needs-sign-in') {
      throw new ProblemError(
        'needs-sign-in',
        `server "${request.server}" needs a person to sign in (Connect on its page, or mcp-gateway oauth login ${request.server})`,
        { server: request.server, state },
      );
    }
    if (state !== 'ready' || !tool) {
      const retryAt = connection.retryAt;
      const retryAfter = retryAt
        ? Math.max(1, Math.ceil((retryAt - Date.now()) / 1000) + 1)
        : state === 'starting' || state === 'error'
          ? 2
          : undefined;
      const why = connection.lastErrorMessage;
      const unlisted = tool ? '' : ` (it has not listed its tools yet, so "${request.tool}" may be one of them)`;
      throw new ProblemError('server-unavailable', `server "${request.server}" is ${state}${why ? `: ${why}` : ''}${unlisted}`, {
        state,
        ...(retryAfter ? { retryAfter } : {}),
      });
    }

    const body = request.args ?? {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ProblemError('invalid-arguments', "the body must be a JSON object of the tool's arguments", {
        errors: [{ field: '(arguments)', message: 'must be an object' }],
      });
    }
    // `args` has the defaults of left-out required properties filled in.
    const { errors, args } = checkArguments(tool.inputSchema, body as Record<string, unknown>);
    if (errors.length > 0) {
      throw new ProblemError('invalid-arguments', errors.map((error) => `${error.field}: ${error.message}`).join('; '), { errors });
    }

    // A server working in one /mcp client's roots (`clientRoots`) is that client's alone meanwhile: another key must not work in them.
    if (!connection.rootsAllow(request.caller)) {
      throw new ProblemError(
        'roots-of-another-client',
        `server "${request.server}" works in the roots of another client's /mcp/${request.server} session (clientRoots) until that session ends`,
      );
    }

    if (call.mode === 'async') this.calls.admit(call);

    const config = connection.currentConfig;
    // Awaited only when the policy holds the call for a person: an allowed call goes on in this turn.
    const held = this.approvals && this.checkPolicy(call, request, config, tool, args as Record<string, unknown>);
    if (held) await held;

    const settings = this.settings();
    let limiter = this.limiters.get(request.server);
    if (!limiter) this.limiters.set(request.server, (limiter = new ConcurrencyLimiter()));
    if (limiter.isFull(config.maxConcurrent, config.maxQueue)) {
      throw new ProblemError(
        'overloaded',
        `server "${request.server}" is at its limit (${limiter.inFlight} calls running and ${limiter.queued} queued); try again shortly`,
        { retryAfter: 1 },
      );
    }
    call.accept();
    let release = limiter.tryAcquire(config.maxConcurrent);
    if (!release) {
      try {
        release = await limiter.acquire(config.maxConcurrent, config.maxQueue, call);
      } catch {
        throw new ProblemError('cancelled', 'the call was cancelled while it waited for a slot');
      }
    }

    const timeoutMs =
      request.timeoutMs ?? (Object.hasOwn(config.toolTimeouts, tool.name) ? config.toolTimeouts[tool.name]! : config.timeoutMs);
    let result: ToolCallResult;
    let own: { connection: UpstreamConnection; release: () => void } | undefined;
    try {
      await this.hooks?.committed?.(call);
      // The user's own connection (perUserAuth), else the server's one.
      if (users) own = await users.forCall(request.user, config.initTimeoutMs);
      const upstream = own?.connection ?? connection;
      result = ownTool
        ? await upstream.callTool(tool.name, args as Record<string, unknown>, this.callOptions(call, request, timeoutMs, settings))
        : await callFeatureTool(upstream, tool.name, args as Record<string, unknown>, { timeoutMs, signal: call.signal });
    } catch (error) {
      if (error instanceof ProblemError) throw error;
      // The user's sign-in was lost (their refresh token refused): they connect again.
      if (own && error instanceof UpstreamCallError && error.kind === 'needs-sign-in')
        throw connectFirst(request.server, userKeyOf(request.user));
      throw toProblem(error, request, timeoutMs);
    } finally {
      own?.release();
      release();
    }
    return mapResult(call, result, settings.maxResultBytes, call.elapsedMs());
  }

  /** How `call` goes upstream: its timeouts, its cancellation, and where its progress, logs and the server's requests go. */
  private callOptions(call: RunningCall, request: CallRequest, timeoutMs: number, settings: GatewaySettings): ToolCallOptions {
    const options = upstreamCallOptions(call, timeoutMs, Math.max(timeoutMs, settings.maxTotalTimeoutMs), this.elicitorOf(call, request));
    // Set when present: most calls have neither.
    if (request.sample) options.onSample = this.samplerOf(call, request.sample);
    if (request.relay) options.relay = request.relay;
    return options;
  }

  /** Who answers the questions the server asks during `call`: the surface's client, else a person. */
  private elicitorOf(call: RunningCall, request: CallRequest): Elicitor | undefined {
    const questions = this.questions;
    if (!questions) return undefined;
    return (elicitation, signal) => {
      // A URL that is not http(s) never reaches a client: the book declines it, and records why.
      const surface = elicitation.mode === 'url' && !isWebUrl(elicitation.url) ? undefined : request.elicit;
      // The surface's wait ends with the call too, not only when the server withdraws the question.
      return (
        surface?.(elicitation, AbortSignal.any([signal, call.signal]), questions.timeoutMs()) ??
        this.ask(call, request, elicitation, signal)
      );
    };
  }

  /** The surface's own model for the sampling requests of `call`: its wait ends with the call too. */
  private samplerOf(call: RunningCall, sample: SurfaceSampler): CallSampler {
    return (sampling, signal) => sample(sampling, AbortSignal.any([signal, call.signal]), this.settings().questionTimeoutMs);
  }

  /** Asks a person the server's question about `call`; the call is `waiting_for_input` meanwhile. */
  private async ask(call: RunningCall, request: CallRequest, elicitation: ElicitationRequest, signal: AbortSignal) {
    const { book, timeoutMs } = this.questions!;
    let id: string | undefined;
    const answer = await book.ask(
      {
        server: request.server,
        elicitation,
        call: {
          id: call.id,
          tool: call.tool,
          caller: request.caller,
          callerLabel: request.callerLabel ?? request.caller,
          ...(request.user && { user: request.user }),
        },
        timeoutMs: timeoutMs(),
        signal: AbortSignal.any([signal, call.signal]),
      },
      (created) => {
        id = created.id;
        call.reportQuestion(created);
      },
    );
    const ended = id === undefined ? undefined : book.get(id);
    if (ended) call.reportQuestion(ended);
    return answer;
  }

  /**
   * Applies the approval policy: returns undefined when the call may run; throws
   * `denied-by-policy` at once; for an `ask`, returns the wait for a person, which resolves when
   * they approve and rejects when they deny or nobody decides in time.
   */
  private checkPolicy(
    call: RunningCall,
    request: CallRequest,
    config: ServerConfig,
    tool: ToolInfo,
    args: Record<string, unknown>,
  ): Promise<void> | undefined {
    const approval = this.approvals!.policy();
    const decision = decide(approval, config, tool, args, request.user);
    if (decision.action === 'allow') return undefined;
    const name = `${request.server}/${tool.name}`;
    if (decision.action === 'deny')
      throw new ProblemError('denied-by-policy', `${name} is denied: ${decision.reason}`, { rule: decision.rule });
    if (request.approvedBefore !== undefined) {
      // The retry's activity row names the approval of the earlier round.
      const original = this.approvals!.pending.get(request.approvedBefore);
      if (original) call.reportApproval(original);
      return undefined;
    }
    return this.holdForApproval(call, request, tool, args, decision, name, timeoutFor(approval, config));
  }

  /** Holds the call until a person approves it (resolves), denies it or nobody decides in time (rejects). */
  private async holdForApproval(
    call: RunningCall,
    request: CallRequest,
    tool: ToolInfo,
    args: Record<string, unknown>,
    decision: PolicyDecision,
    name: string,
    timeoutMs: number,
  ): Promise<void> {
    const { pending } = this.approvals!;
    const settled = await pending.wait(
      {
        callId: call.id,
        server: request.server,
        tool,
        args,
        caller: request.caller,
        callerLabel: request.callerLabel ?? request.caller,
        ...(request.user && { user: request.user }),
        rule: decision.rule,
        ruleReason: decision.reason,
        timeoutMs,
        signal: call.signal,
      },
      (created) => {
        call.reportApproval(created);
        call.accept();
      },
    );
    call.reportApproval(settled);
    const about = { approval: settled.id };
    switch (settled.state) {
      case 'approved':
        return;
      case 'denied': {
        const reason = settled.reason ? `: ${settled.reason}` : ' (no reason given)';
        throw new ProblemError('approval-denied', `${settled.decidedByLabel ?? 'someone'} denied ${name}${reason}`, {
          ...about,
          reason: settled.reason,
          decidedBy: settled.decidedByLabel,
          decidedAt: new Date(settled.decidedAt ?? Date.now()).toISOString(),
        });
      }
      case 'expired':
        throw new ProblemError('approval-timed-out', `nobody approved ${name} within ${timeoutMs} ms (approval.timeoutMs)`, about);
      case 'cancelled':
        throw new ProblemError('cancelled', 'the caller went away while the call waited for approval', about);
      case 'void':
        throw new ProblemError('approval-void', `the definition of ${name} changed while the call waited; call again to ask anew`, about);
      default:
        throw new ProblemError('approval-interrupted', 'the gateway stopped while the call waited for approval; it will not run', about);
    }
  }
}

/** Serializes the result once and enforces `maxResultBytes`. */
function mapResult(call: RunningCall, result: ToolCallResult, maxBytes: number, durationMs: number): CallResult {
  const json = JSON.stringify(result);
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) {
    throw new ProblemError(
      'result-too-large',
      `the result of ${call.server}/${call.tool} is ${bytes} bytes, more than gateway.maxResultBytes (${maxBytes})`,
      {
        size: bytes,
        limit: maxBytes,
      },
    );
  }
  return { result, durationMs, json, bytes };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toProblem(error: unknown, request: CallRequest, timeoutMs: number): ProblemError {
  if (!(error instanceof UpstreamCallError)) return new ProblemError('upstream-error', describe(error));
  switch (error.kind) {
    case 'timeout':
      // A task's whole time ran out (gateway.maxTotalTimeoutMs), not its time without progress.
      if (error.message.startsWith(TASK_TIMED_OUT)) {
        return new ProblemError('timeout', `${request.server}/${request.tool}: ${error.message}; the task was cancelled`);
      }
      return new ProblemError(
        'timeout',
        `${request.server}/${request.tool} did not finish within ${timeoutMs} ms without progress; it was cancelled`,
      );
    case 'cancelled':
      return new ProblemError('cancelled', 'the call was cancelled upstream (the caller went away or cancelled it)');
    case 'invalid-params':
      return new ProblemError('invalid-arguments', error.message, { errors: [{ field: '(arguments)', message: error.message }] });
    case 'server-error':
      // The tool was listed, so even -32601 is the server's failure, not "no such tool".
      return new ProblemError('upstream-error', error.message, { title: UPSTREAM_ANSWERED_TITLE });
    case 'not-ready':
      return new ProblemError('server-unavailable', error.message, { retryAfter: 2 });
    case 'needs-sign-in':
      return new ProblemError('needs-sign-in', error.message, { server: request.server });
    case 'connect-first':
      return new ProblemError('connect-first', error.message, { server: request.server });
    case 'too-large':
      return new ProblemError('result-too-large', `the answer of ${request.server}/${request.tool} was dropped: ${error.message}`);
    case 'missing-capability':
      return missingCapabilityProblem(error);
    default:
      return new ProblemError('upstream-error', error.message);
  }
}
