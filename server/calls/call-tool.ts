/**
 * The one path every tool call takes, whichever surface it came from:
 * lookup → validate → admission (concurrency limit) → upstream call. Mapping the result for the
 * caller is the surface's job. Failures are `ProblemError`s from the one error catalog.
 */
import type { GatewaySettings } from '../config/types.js';
import { ProblemError } from '../http/problems.js';
import type { Supervisor } from '../upstream/supervisor.js';
import { UpstreamCallError, type CallProgress, type ToolCallResult } from '../upstream/types.js';
import { checkArguments } from './arguments.js';
import { ConcurrencyLimiter, Overloaded } from './limiter.js';

export interface CallRequest {
  server: string;
  tool: string;
  /** The parsed request body; `undefined` or `{}` for a tool without arguments. */
  args: unknown;
  /** What the caller asked for (`X-Timeout-Ms`), already checked against `maxTimeoutMs`. */
  timeoutMs?: number;
  /** Aborted when the caller goes away: the call is cancelled upstream. */
  signal?: AbortSignal;
  onProgress?: (progress: CallProgress) => void;
}

export interface CallOutcome {
  result: ToolCallResult;
  durationMs: number;
}

export class ToolCaller {
  private readonly limiters = new Map<string, ConcurrencyLimiter>();

  constructor(
    private readonly supervisor: Supervisor,
    private readonly settings: () => GatewaySettings,
  ) {}

  async call(request: CallRequest): Promise<CallOutcome> {
    const connection = this.supervisor.get(request.server);
    if (!connection) throw new ProblemError('server-not-found', `no server named "${request.server}"`);
    if (!connection.isEnabled) {
      throw new ProblemError('server-unavailable', `server "${request.server}" is disabled`, { state: connection.currentState });
    }
    // The last known tool list stays while a server reconnects, so a call in that window gets a 503, not a 404.
    const tool = connection.tool(request.tool);
    if (!tool) throw new ProblemError('tool-not-found', `server "${request.server}" has no tool named "${request.tool}"`);
    const state = connection.currentState;
    if (state !== 'ready') {
      const retryAt = connection.retryAt;
      const retryAfter = retryAt ? Math.max(1, Math.ceil((retryAt - Date.now()) / 1000) + 1)
        : state === 'starting' || state === 'error' ? 2 : undefined;
      const why = connection.lastErrorMessage;
      throw new ProblemError('server-unavailable', `server "${request.server}" is ${state}${why ? `: ${why}` : ''}`, {
        state,
        ...(retryAfter ? { retryAfter } : {}),
      });
    }

    const args = request.args ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      throw new ProblemError('invalid-arguments', 'the body must be a JSON object of the tool\'s arguments', {
        errors: [{ field: '(arguments)', message: 'must be an object' }],
      });
    }
    const errors = checkArguments(tool.inputSchema, args as Record<string, unknown>);
    if (errors.length > 0) {
      throw new ProblemError('invalid-arguments', errors.map((error) => `${error.field}: ${error.message}`).join('; '), { errors });
    }

    const config = connection.currentConfig;
    const settings = this.settings();
    let limiter = this.limiters.get(request.server);
    if (!limiter) this.limiters.set(request.server, (limiter = new ConcurrencyLimiter()));
    let release: () => void;
    try {
      release = await limiter.acquire(config.maxConcurrent, config.maxQueue, request.signal);
    } catch (error) {
      if (error instanceof Overloaded) {
        throw new ProblemError('overloaded', `server "${request.server}" is at its limit (${error.message}); try again shortly`, { retryAfter: 1 });
      }
      throw new ProblemError('cancelled', 'the caller went away while the call was queued');
    }

    const started = performance.now();
    try {
      const timeoutMs = request.timeoutMs ?? config.timeoutMs;
      const result = await connection.callTool(tool.name, args as Record<string, unknown>, {
        timeoutMs,
        maxTotalTimeoutMs: Math.max(timeoutMs, settings.maxTotalTimeoutMs),
        signal: request.signal,
        onProgress: request.onProgress,
      });
      return { result, durationMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      throw toProblem(error, request, request.timeoutMs ?? config.timeoutMs);
    } finally {
      release();
    }
  }

  /** In-flight and queued calls of a server (for metrics and the UI). */
  load(server: string): { inFlight: number; queued: number } {
    const limiter = this.limiters.get(server);
    return { inFlight: limiter?.inFlight ?? 0, queued: limiter?.queued ?? 0 };
  }
}

function toProblem(error: unknown, request: CallRequest, timeoutMs: number): ProblemError {
  if (!(error instanceof UpstreamCallError)) {
    return new ProblemError('upstream-error', error instanceof Error ? error.message : String(error));
  }
  switch (error.kind) {
    case 'timeout':
      return new ProblemError('timeout', `${request.server}/${request.tool} did not finish within ${timeoutMs} ms without progress; it was cancelled`);
    case 'cancelled':
      return new ProblemError('cancelled', 'the caller went away; the call was cancelled upstream');
    case 'invalid-params':
      return new ProblemError('invalid-arguments', error.message, { errors: [{ field: '(arguments)', message: error.message }] });
    case 'method-not-found':
      return new ProblemError('tool-not-found', error.message);
    case 'not-ready':
      return new ProblemError('server-unavailable', error.message, { retryAfter: 2 });
    default:
      return new ProblemError('upstream-error', error.message);
  }
}
