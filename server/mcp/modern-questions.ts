/**
 * An upstream server's question (elicitation) for a 2026-07-28 client that declared elicitation:
 * that era has no server-to-client requests, so the client's `tools/call` is answered with an
 * `input_required` result that embeds the question (`inputRequired.elicit`/`elicitUrl`, keyed
 * `question-<n>`), the call is parked (parked-calls.ts), and the client sends the call again with
 * its answer in `inputResponses`; the answer goes upstream and the retry waits on. A question that
 * arrives while no request of the client is open is asked at its next retry (`ask` runs once a
 * handler is there).
 *
 * As a question for a person (server/questions/book.ts), one the client does not answer within
 * `gateway.questionTimeoutMs` is answered `cancel` upstream, and a call has at most
 * `MAX_OPEN_QUESTIONS_PER_SERVER` open at once: beyond, the server's question is answered `cancel`
 * at once.
 */
import { inputRequired, type InputRequest } from '@modelcontextprotocol/server';
import type { SurfaceElicitor } from '../calls/call-tool.js';
import type { RunningCall } from '../calls/running-call.js';
import { MAX_OPEN_QUESTIONS_PER_SERVER } from '../questions/book.js';
import type { ElicitationAnswer, ElicitationRequest } from '../upstream/types.js';
import type { ElicitationCapability } from './elicitation.js';

interface PendingQuestion {
  request: ElicitationRequest;
  sent: boolean;
  resolve: (answer: ElicitationAnswer) => void;
}

/** The questions of one call for its 2026-07-28 client. */
export interface ModernQuestions {
  /** The open questions by their key (`question-<n>`), oldest first; at most `MAX_OPEN_QUESTIONS_PER_SERVER`. */
  pending: Map<string, PendingQuestion>;
  /** Set while a request of the client is open: answers it with `input_required` for the pending questions. */
  ask?: () => void;
  count: number;
}

const ofCall = new WeakMap<RunningCall, ModernQuestions>();

/** The elicitor of a 2026-07-28 client (its capability from the request's envelope), and the state it shares with the handler. */
export function modernElicitor(capability: ElicitationCapability): { state: ModernQuestions; elicit: SurfaceElicitor } {
  const state: ModernQuestions = { pending: new Map(), count: 0 };
  const form = capability.form !== undefined || Object.keys(capability).length === 0;
  const url = capability.url !== undefined;
  const elicit: SurfaceElicitor = (request, signal, timeoutMs) => {
    if (request.mode === 'form' ? !form : !url) return undefined;
    if (state.pending.size >= MAX_OPEN_QUESTIONS_PER_SERVER) return Promise.resolve({ action: 'cancel' });
    return new Promise<ElicitationAnswer>((resolve) => {
      const key = `question-${++state.count}`;
      // Nobody answering in time, the server withdrawing it, the call ending: the server hears `cancel`.
      const timer = setTimeout(() => settle({ action: 'cancel' }), timeoutMs);
      timer.unref();
      const onAbort = () => settle({ action: 'cancel' });
      const settle = (answer: ElicitationAnswer) => {
        if (!state.pending.delete(key)) return;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(answer);
      };
      state.pending.set(key, { request, sent: false, resolve: settle });
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      else state.ask?.();
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

/** The pending questions not yet sent, as input requests (marked sent); undefined when there are none. */
export function nextInputRequest(state: ModernQuestions): Record<string, InputRequest> | undefined {
  let requests: Record<string, InputRequest> | undefined;
  for (const [key, pending] of state.pending) {
    if (pending.sent) continue;
    pending.sent = true;
    const { request } = pending;
    (requests ??= {})[key] =
      request.mode === 'url'
        ? inputRequired.elicitUrl({ message: request.message, url: request.url })
        : inputRequired.elicit({ message: request.message, requestedSchema: request.requestedSchema as never });
  }
  return requests;
}

/** Passes the client's answers in a retry's `inputResponses` to the pending questions they name. */
export function applyResponses(state: ModernQuestions, responses: Record<string, unknown> | undefined): void {
  if (!responses) return;
  for (const [key, pending] of [...state.pending]) {
    const response = responses[key];
    if (typeof response !== 'object' || response === null) continue;
    const { action, content } = response as { action?: unknown; content?: unknown };
    if (action !== 'accept' && action !== 'decline' && action !== 'cancel') continue;
    const accepted = action === 'accept' && typeof content === 'object' && content !== null;
    pending.resolve(accepted ? { action, content: content as Record<string, unknown> } : { action });
  }
}
