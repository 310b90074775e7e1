/**
 * How a tool call ended, as the activity log, the metrics and the call log name it. Every
 * problem type a call can end with maps to exactly one outcome.
 */
import type { ProblemType } from '../errors.js';

export type CallOutcome =
  | 'ok'
  | 'tool_error'
  | 'invalid_arguments'
  | 'timeout'
  | 'cancelled'
  | 'upstream_error'
  | 'rejected'
  | 'unavailable'
  | 'denied'
  | 'approval_timeout';

/** An activity row's outcome: a finished call's, `running` while it runs, `interrupted` if the gateway died meanwhile. */
export type ActivityOutcome = CallOutcome | 'running' | 'interrupted';

export const CALL_OUTCOMES: readonly CallOutcome[] = [
  'ok',
  'tool_error',
  'invalid_arguments',
  'timeout',
  'cancelled',
  'upstream_error',
  'rejected',
  'unavailable',
  'denied',
  'approval_timeout',
];

export const ACTIVITY_OUTCOMES: readonly ActivityOutcome[] = [...CALL_OUTCOMES, 'running', 'interrupted'];

export function outcomeOf(problem: ProblemType): CallOutcome {
  switch (problem) {
    case 'tool-error':
      return 'tool_error';
    case 'invalid-arguments':
    case 'invalid-json':
    case 'invalid-request':
      return 'invalid_arguments';
    case 'timeout':
      return 'timeout';
    case 'cancelled':
    case 'approval-interrupted':
      return 'cancelled';
    case 'denied-by-policy':
    case 'approval-denied':
      return 'denied';
    case 'approval-timed-out':
      return 'approval_timeout';
    case 'approval-void':
    case 'overloaded':
    case 'too-many-calls':
    case 'payload-too-large':
      return 'rejected';
    case 'server-not-found':
    case 'tool-not-found':
    case 'server-unavailable':
    case 'needs-sign-in':
    case 'connect-first':
    case 'not-found':
      return 'unavailable';
    default:
      return 'upstream_error';
  }
}
