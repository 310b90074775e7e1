/**
 * An upstream server's question (elicitation) or sampling request for a 2026-07-28 client that
 * declared elicitation or sampling: that era has no server-to-client requests, so the client's
 * `tools/call` is answered with an `input_required` result that embeds the requests
 * (`inputRequired.elicit`/`elicitUrl`/`createMessage`, keyed `question-<n>`), the call is parked
 * (parked-calls.ts), and the client sends the call again with its answers in `inputResponses`;
 * each answer goes upstream and the retry waits on. A request that arrives while no request of the
 * client is open is asked at its next retry (`ask` runs once a handler is there).
 *
 * As a question for a person (server/questions/book.ts), one the client does not answer within
 * `gateway.questionTimeoutMs` is withdrawn (a question answered `cancel` upstream, a sampling
 * request refused), and a call has at most `MAX_OPEN_QUESTIONS_PER_SERVER` open at once: beyond,
 * the server's request is answered so at once.
 */
import { inputRequired, type InputRequest } from '@modelcontextprotocol/server';
import type { SurfaceElicitor, SurfaceSampler } from '../calls/call-tool.js';
import type { RunningCall } from '../calls/running-call.js';
import { MAX_OPEN_QUESTIONS_PER_SERVER } from '../questions/book.js';
import type { ElicitationAnswer, ForwardedSamplingResult } from '../upstream/types.js';
import { elicitationModes, type ElicitationCapability } from './elicitation.js';

interface PendingQuestion {
  input: InputRequest;
  sent: boolean;
  /** Takes the client's answer in `inputResponses`. */
  answer: (response: Record<string, unknown>) => void;
}

/** The questions of one call for its 2026-07-28 client. */
export interface ModernQuestions {
  /** The open requests by their key (`question-<n>`), oldest first; at most `MAX_OPEN_QUESTIONS_PER_SERVER`. */
  pending: Map<string, PendingQuestion>;
  /** Set while a request of the client is open: answers it with `input_required` for the pending requests. */
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
  const state: ModernQuestions = { pending: new Map(), count: 0 };
  /**
   * Puts `input` to the client: `answer` gets its response; `withdraw` runs when nobody answers
   * within `timeoutMs`, the server withdraws the request or the call ends.
   */
  const put = (input: InputRequest, signal: AbortSignal, timeoutMs: number, answer: PendingQuestion['answer'], withdraw: () => void) => {
    const key = `question-${++state.count}`;
    const timer = setTimeout(() => settle(withdraw), timeoutMs);
    timer.unref();
    const onAbort = () => settle(withdraw);
    const settle = (then: () => void) => {
      if (!state.pending.delete(key)) return;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      then();
    };
    state.pending.set(key, { input, sent: false, answer: (response) => settle(() => answer(response)) });
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    else state.ask?.();
  };
  const full = () => state.pending.size >= MAX_OPEN_QUESTIONS_PER_SERVER;
  const { form, url } = elicitationModes(capability);
  const elicit: SurfaceElicitor = (request, signal, timeoutMs) => {
    if (request.mode === 'form' ? !form : !url) return undefined;
    if (full()) return Promise.resolve({ action: 'cancel' });
    const input =
      request.mode === 'url'
        ? inputRequired.elicitUrl({ message: request.message, url: request.url })
        : inputRequired.elicit({ message: request.message, requestedSchema: request.requestedSchema as never });
    return new Promise<ElicitationAnswer>((resolve) =>
      put(
        input,
        signal,
        timeoutMs,
        (response) => resolve(elicitationAnswer(response)),
        () => resolve({ action: 'cancel' }),
      ),
    );
  };
  const sample: SurfaceSampler = (request, signal, timeoutMs) => {
    if (full()) return Promise.reject(new Error('too many requests of this call wait for the client'));
    const { _meta: _, ...params } = request;
    return new Promise<ForwardedSamplingResult>((resolve, reject) =>
      put(
        inputRequired.createMessage(params as never),
        signal,
        timeoutMs,
        (response) =>
          'content' in response ? resolve(response) : reject(new Error('the client did not answer the sampling request with a message')),
        () => reject(new Error('the sampling request was cancelled or not answered in time')),
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

/** The pending questions not yet sent, as input requests (marked sent); undefined when there are none. */
export function nextInputRequest(state: ModernQuestions): Record<string, InputRequest> | undefined {
  let requests: Record<string, InputRequest> | undefined;
  for (const [key, pending] of state.pending) {
    if (pending.sent) continue;
    pending.sent = true;
    (requests ??= {})[key] = pending.input;
  }
  return requests;
}

/** Passes the client's answers in a retry's `inputResponses` to the pending questions they name. */
export function applyResponses(state: ModernQuestions, responses: Record<string, unknown> | undefined): void {
  if (!responses) return;
  for (const [key, pending] of [...state.pending]) {
    const response = responses[key];
    if (typeof response !== 'object' || response === null || Array.isArray(response)) continue;
    pending.answer(response as Record<string, unknown>);
  }
}
