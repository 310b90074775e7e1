/**
 * Writes each call down once, when it starts and when it ends: its activity row, its metrics
 * and one log line with the request id, outcome and duration (never argument values). The status
 * and error it records are those of the call's answer on its surface, which the surface decides
 * (`AnsweredProblem`, given by startGateway: http/call-answer.ts).
 */
import { infoLineWriter, type FlatFields, type Logger } from '../logging/logger.js';
import type { ActivityEnd, ActivityLog, ActivityQuestion, ActivityStart } from '../activity/log.js';
import type { ProblemBody } from '../errors.js';
import type { Question } from '../questions/book.js';
import type { CallHooks } from './call-tool.js';
import type { CallOutcome } from './outcome.js';
import type { CallEnd, CallResult, RunningCall } from './running-call.js';

/** Characters of a question's message (the server's words) the activity log keeps. */
export const QUESTION_MESSAGE_CHARS = 1000;

/** A question of the call as the activity log keeps it: its words (cut), how it ended, who answered; never the values. */
export function activityQuestionOf(question: Question): ActivityQuestion {
  return {
    id: question.id,
    mode: question.mode,
    message: question.message.slice(0, QUESTION_MESSAGE_CHARS),
    state: question.state,
    answeredBy: question.answeredByLabel,
    answeredVia: question.answeredVia,
    fields: question.fields,
  };
}

/** What the metrics need of a finished call. */
export interface CallMetrics {
  recordCall(server: string, tool: string, outcome: CallOutcome, durationMs: number): void;
}

/** The problem a call's answer is on its surface, or none (the answer is the result: a 200). */
export type AnsweredProblem = (call: RunningCall, end: CallEnd) => ProblemBody | undefined;

/** The metrics label of a server or tool name that does not exist. */
const UNKNOWN = '(unknown)';

/** First characters of the result kept as the activity preview (the log cuts it to 2 KiB). */
const PREVIEW_CHARS = 2048;

/**
 * The activity preview of a result: of a relayed input_required round (server/mcp/input-relay.ts)
 * only its input requests' keys and methods, never their params or the server's requestState
 * (they may carry earlier answers or secrets).
 */
function previewOf(result: CallResult): string {
  const round = result.result.inputRequired;
  if (!round) return result.json.slice(0, PREVIEW_CHARS);
  const requests = Object.fromEntries(Object.entries(round.inputRequests ?? {}).map(([key, request]) => [key, String(request?.method)]));
  return JSON.stringify({ ...result.result, inputRequired: { inputRequests: requests } }).slice(0, PREVIEW_CHARS);
}

/** The fields of a call's log line, in their order. */
const CALL_LOG_KEYS = ['reqId', 'callId', 'server', 'tool', 'mode', 'outcome', 'status', 'durationMs'] as const;

/** Records calls: each call's activity row, its metrics and its log line. */
export class CallRecorder implements CallHooks {
  /**
   * The call's log line holds only the names, ids and figures below, never a header, argument or
   * environment, so it is written without the logger's redaction paths (which cost as much as
   * the rest of the line), by a writer of this one line (logging/logger.ts `infoLineWriter`).
   */
  private readonly callLog: (fields: FlatFields) => void;

  constructor(
    private readonly activity: ActivityLog,
    private readonly metrics: CallMetrics,
    logger: Logger,
    private readonly answeredProblem: AnsweredProblem,
  ) {
    this.callLog = infoLineWriter(logger, 'tool call', CALL_LOG_KEYS);
  }

  // The optional fields of the entries below are set when present, not spread in (`...(x && {x})`):
  // an object literal with spreads takes V8's slow path and makes a throwaway object for each,
  // about twice the time and garbage, on every call.
  started(call: RunningCall, args: unknown, caller: string): void {
    const entry: ActivityStart = {
      id: call.id,
      startedAt: call.startedAt,
      server: call.server,
      tool: call.tool,
      caller,
      surface: call.surface,
      mode: call.mode,
      arguments: args ?? {},
    };
    if (call.client !== undefined) entry.client = call.client;
    if (call.user !== undefined) entry.user = call.user;
    this.activity.start(entry);
  }

  /** Resolves once the call's activity row is written (see `ActivityLog.committed`). */
  committed(call: RunningCall): Promise<void> {
    return this.activity.committed(call.id);
  }

  finished(call: RunningCall, end: CallEnd): void {
    const endedAt = call.endedAt ?? Date.now();
    const durationMs = end.result?.durationMs ?? call.elapsedMs();
    const problem = this.answeredProblem(call, end);
    const status = problem?.status ?? 200;
    const activityEnd: ActivityEnd = { endedAt, outcome: end.outcome, status, durationMs };
    if (end.result) {
      activityEnd.resultBytes = end.result.bytes;
      activityEnd.preview = previewOf(end.result);
    }
    if (problem) activityEnd.error = problem.detail ?? problem.title;
    if (call.approval) activityEnd.approvalId = call.approval.id;
    // Who answered the server's questions and how; never the values.
    if (call.endedQuestions) activityEnd.questions = call.endedQuestions.map(activityQuestionOf);
    this.activity.finish(call.id, activityEnd);
    // Names that matched nothing (or nothing yet: a server that has not listed its tools) would let
    // any caller mint new series: they are counted as one.
    this.metrics.recordCall(
      end.error?.type === 'server-not-found' ? UNKNOWN : call.server,
      call.toolKnown ? call.tool : UNKNOWN,
      end.outcome,
      durationMs,
    );
    this.callLog({
      reqId: call.requestId,
      callId: call.id,
      server: call.server,
      tool: call.tool,
      mode: call.mode,
      outcome: end.outcome,
      status,
      durationMs,
    });
  }
}
