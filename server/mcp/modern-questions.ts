/**
 * An upstream server's question (elicitation) or sampling request for a 2026-07-28 client that
 * declared elicitation or sampling: that era has no server-to-client requests, so the client's
 * `tools/call` is answered with an `input_required` result that embeds the request
 * (`inputRequired.elicit`/`elicitUrl`/`createMessage`, keyed `question-<n>`), the call is parked
 * (parked-calls.ts), and the client sends the call again with its answer in `inputResponses`; the
 * answer goes upstream and the retry waits on. A request that arrives while no request of the
 * client is open is asked at its next retry (`ask` runs once a handler is there).
 */
import { inputRequired, type InputRequest } from '@modelcontextprotocol/server';
import type { SurfaceElicitor, SurfaceSampler } from '../calls/call-tool.js';
import type { RunningCall } from '../calls/running-call.js';
import type { ElicitationAnswer, ForwardedSamplingResult } from '../upstream/types.js';
import type { ElicitationCapability } from './elicitation.js';

interface PendingQuestion {
  key: string;
  input: InputRequest;
  sent: boolean;
  /** Takes the client's answer in `inputResponses`. */
  answer: (response: Record<string, unknown>) => void;
}

/** The questions of one call for its 2026-07-28 client. */
export interface ModernQuestions {
  pending?: PendingQuestion;
  /** Set while a request of the client is open: answers it with `input_required` for the pending question. */
  ask?: () => void;
  count: number;
}

const ofCall = new WeakMap<RunningCall, ModernQuestions>();

/**
 * The elicitor and sampler of a 2026-07-28 client (its capabilities from the request's envelope:
 * each only when declared), and the state they share with the handler.
 */
export function modernQuestions(
  capability: ElicitationCapability | undefined,
  sampling: boolean,
): { state: ModernQuestions; elicit?: SurfaceElicitor; sample?: SurfaceSampler } {
  const state: ModernQuestions = { count: 0 };
  /** Puts `input` to the client; `answer` gets its response, `cancel` runs when the server withdraws the request. */
  const put = (input: InputRequest, signal: AbortSignal, answer: PendingQuestion['answer'], cancel: () => void) => {
    const key = `question-${++state.count}`;
    const done = () => {
      if (state.pending?.key === key) state.pending = undefined;
    };
    state.pending = { key, input, sent: false, answer: (response) => (done(), answer(response)) };
    signal.addEventListener('abort', () => (done(), cancel()), { once: true });
    state.ask?.();
  };
  const form = capability !== undefined && (capability.form !== undefined || Object.keys(capability).length === 0);
  const url = capability?.url !== undefined;
  const elicit: SurfaceElicitor = (request, signal) => {
    if (request.mode === 'form' ? !form : !url) return undefined;
    const input =
      request.mode === 'url'
        ? inputRequired.elicitUrl({ message: request.message, url: request.url })
        : inputRequired.elicit({ message: request.message, requestedSchema: request.requestedSchema as never });
    return new Promise<ElicitationAnswer>((resolve) =>
      put(
        input,
        signal,
        (response) => resolve(elicitationAnswer(response)),
        () => resolve({ action: 'cancel' }),
      ),
    );
  };
  const sample: SurfaceSampler = (request, signal) => {
    const { _meta: _, ...params } = request;
    return new Promise<ForwardedSamplingResult>((resolve, reject) =>
      put(
        inputRequired.createMessage(params as never),
        signal,
        (response) =>
          'content' in response ? resolve(response) : reject(new Error('the client did not answer the sampling request with a message')),
        () => reject(new Error('the sampling request was cancelled')),
      ),
    );
  };
  return { state, ...(capability && { elicit }), ...(sampling && { sample }) };
}

/** A client's answer to a question, as the server gets it (anything else is `cancel`). */
function elicitationAnswer(response: Record<string, unknown>): ElicitationAnswer {
  const { action, content } = response;
  if (action !== 'accept' && action !== 'decline') return { action: 'cancel' };
  const accepted = action === 'accept' && typeof content === 'object' && content !== null;
  return accepted ? { action, content: content as Record<string, unknown> } : { action };
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
  return { [pending.key]: pending.input };
}

/** Passes the client's answer in a retry's `inputResponses` to the pending question. */
export function applyResponses(state: ModernQuestions, responses: Record<string, unknown> | undefined): void {
  const pending = state.pending;
  const response = pending && responses?.[pending.key];
  if (!pending || typeof response !== 'object' || response === null || Array.isArray(response)) return;
  pending.answer(response as Record<string, unknown>);
}
