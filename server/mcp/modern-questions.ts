/**
 * An upstream server's question (elicitation) for a 2026-07-28 client that declared elicitation:
 * that era has no server-to-client requests, so the client's `tools/call` is answered with an
 * `input_required` result that embeds the question (`inputRequired.elicit`/`elicitUrl`, keyed
 * `question-<n>`), the call is parked (parked-calls.ts), and the client sends the call again with
 * its answer in `inputResponses`; the answer goes upstream and the retry waits on. A question that
 * arrives while no request of the client is open is asked at its next retry (`ask` runs once a
 * handler is there).
 */
import { inputRequired, type InputRequest } from '@modelcontextprotocol/server';
import type { SurfaceElicitor } from '../calls/call-tool.js';
import type { RunningCall } from '../calls/running-call.js';
import type { ElicitationAnswer, ElicitationRequest } from '../upstream/types.js';
import { elicitationModes, type ElicitationCapability } from './elicitation.js';

interface PendingQuestion {
  key: string;
  request: ElicitationRequest;
  sent: boolean;
  resolve: (answer: ElicitationAnswer) => void;
}

/** The questions of one call for its 2026-07-28 client. */
export interface ModernQuestions {
  pending?: PendingQuestion;
  /** Set while a request of the client is open: answers it with `input_required` for the pending question. */
  ask?: () => void;
  count: number;
}

const ofCall = new WeakMap<RunningCall, ModernQuestions>();

/** The elicitor of a 2026-07-28 client (its capability from the request's envelope), and the state it shares with the handler. */
export function modernElicitor(capability: ElicitationCapability): { state: ModernQuestions; elicit: SurfaceElicitor } {
  const state: ModernQuestions = { count: 0 };
  const { form, url } = elicitationModes(capability);
  const elicit: SurfaceElicitor = (request, signal) => {
    if (request.mode === 'form' ? !form : !url) return undefined;
    return new Promise<ElicitationAnswer>((resolve) => {
      const key = `question-${++state.count}`;
      const settle = (answer: ElicitationAnswer) => {
        if (state.pending?.key === key) state.pending = undefined;
        resolve(answer);
      };
      state.pending = { key, request, sent: false, resolve: settle };
      signal.addEventListener('abort', () => settle({ action: 'cancel' }), { once: true });
      state.ask?.();
    });
  };
  return { state, elicit };
}

export function rememberQuestions(call: RunningCall, state: ModernQuestions): void {
  ofCall.set(call, state);
}

export function questionsOf(call: RunningCall): ModernQuestions | undefined {
  return ofCall.get(call);
}

/** The pending question not yet sent, as an input request (marked sent). */
export function nextInputRequest(state: ModernQuestions): Record<string, InputRequest> | undefined {
  const pending = state.pending;
  if (!pending || pending.sent) return undefined;
  pending.sent = true;
  const { request } = pending;
  const input =
    request.mode === 'url'
      ? inputRequired.elicitUrl({ message: request.message, url: request.url })
      : inputRequired.elicit({ message: request.message, requestedSchema: request.requestedSchema as never });
  return { [pending.key]: input };
}

/** Passes the client's answer in a retry's `inputResponses` to the pending question. */
export function applyResponses(state: ModernQuestions, responses: Record<string, unknown> | undefined): void {
  const pending = state.pending;
  const response = pending && responses?.[pending.key];
  if (!pending || typeof response !== 'object' || response === null) return;
  const { action, content } = response as { action?: unknown; content?: unknown };
  if (action !== 'accept' && action !== 'decline' && action !== 'cancel') return;
  const accepted = action === 'accept' && typeof content === 'object' && content !== null;
  pending.resolve(accepted ? { action, content: content as Record<string, unknown> } : { action });
}
