/**
 * The question book: what upstream servers asked a person (`elicitation/create`) and nobody else
 * could answer — a REST caller's call, an `/mcp` client that did not declare elicitation, or a
 * request that belongs to no one call (see `UpstreamConnection.elicit`). Each question is a card
 * next to the approvals (orchestrator and paired phones) until someone answers it (`accept` with
 * the form's values, `decline`, `cancel`), it expires (`gateway.questionTimeoutMs`, answered
 * `cancel` upstream), or the server or caller no longer waits (`withdrawn`).
 *
 * Questions live in memory: the open ones and the last `KEPT_ANSWERED` answered ones (a question
 * cannot outlive the request that waits for it, so a restart has nothing to resume). The values
 * a person answers are passed upstream and never kept or logged: the book records who answered,
 * how, when and which fields (names only).
 *
 * States: `pending` → `accepted` | `declined` | `cancelled` (by a person) | `expired` |
 * `withdrawn` (the server cancelled the request, or the call ended) | `interrupted` (the gateway
 * stopped). The first answer wins; a later one is refused naming the winner.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { ForwardedUser } from '../auth/forwarded-user.js';
import type { Decider } from '../approvals/book.js';
import type { FieldError } from '../errors.js';
import type { ElicitationAnswer, ElicitationRequest } from '../upstream/types.js';
import { checkAnswer } from './answer-check.js';

export type QuestionState = 'pending' | 'accepted' | 'declined' | 'cancelled' | 'expired' | 'withdrawn' | 'interrupted';

export const QUESTION_STATES: readonly QuestionState[] = [
  'pending',
  'accepted',
  'declined',
  'cancelled',
  'expired',
  'withdrawn',
  'interrupted',
];

export type QuestionAction = ElicitationAnswer['action'];

/** Answered questions kept for reading (`GET /api/questions`), newest first. */
export const KEPT_ANSWERED = 100;

/**
 * Questions of one server open at once at most; the server asking beyond it is answered `cancel` at
 * once (a flood never piles up), while other servers' questions still get cards.
 */
export const MAX_OPEN_QUESTIONS_PER_SERVER = 100;

export interface Question {
  id: string;
  server: string;
  /** The call the question belongs to (its activity id, tool and caller), or null for a question about the server. */
  callId: string | null;
  tool: string | null;
  caller: string | null;
  callerLabel: string | null;
  /** Who the call is made for, as a key trusted to say so forwarded it (auth/forwarded-user.ts), or null. */
  user: ForwardedUser | null;
  mode: 'form' | 'url';
  /** The server's words: untrusted, shown escaped. */
  message: string;
  /** Form mode: the flat object schema of the fields asked for. */
  requestedSchema: Record<string, unknown> | null;
  /** URL mode: the http(s) URL to open, and the server's id of the interaction. */
  url: string | null;
  elicitationId: string | null;
  state: QuestionState;
  createdAt: number;
  expiresAt: number;
  answeredAt: number | null;
  /** Who answered (a caller id) and their label, and through what; `gateway` for the ends nobody chose. */
  answeredBy: string | null;
  answeredByLabel: string | null;
  answeredVia: Decider['via'] | 'gateway' | null;
  /** The names of the fields an `accept` answered (never their values). */
  fields: string[] | null;
  /** Why the gateway ended it. */
  reason: string | null;
}

export interface QuestionRequest {
  server: string;
  elicitation: ElicitationRequest;
  /** The call it belongs to; none for a question about the server. */
  call?: { id: string; tool: string; caller: string; callerLabel: string; user?: ForwardedUser };
  timeoutMs: number;
  /** Aborts when the server cancels the request or the call ends: the question is `withdrawn`. */
  signal: AbortSignal;
}

/** Why an answer did not apply: no such question; it was answered or ended (`question` says how); the content does not fit. */
export type AnswerRefusal =
  { why: 'not-found' } | { why: 'already-answered'; question: Question } | { why: 'invalid-content'; errors: FieldError[] };

export type AnswerResult = { ok: true; question: Question } | ({ ok: false } & AnswerRefusal);

interface Waiter {
  question: Question;
  timer: NodeJS.Timeout;
  settle: (answer: ElicitationAnswer) => void;
}

const GATEWAY = { id: 'gateway', label: 'gateway' } as const;

const ANSWER_STATE: Record<QuestionAction, QuestionState> = { accept: 'accepted', decline: 'declined', cancel: 'cancelled' };

export class QuestionBook extends EventEmitter<{ change: [Question] }> {
  private readonly open = new Map<string, Waiter>();
  /** Ended questions, oldest first, at most `KEPT_ANSWERED`. */
  private readonly ended: Question[] = [];

  constructor(private readonly logger: Logger) {
    super();
  }

  /**
   * Asks a person: creates the question (`onCreated` gets it at once) and resolves with the
   * answer to send upstream once it is answered, expires (`cancel`) or is withdrawn (`cancel`).
   * A URL that is not http(s) is declined at once, and so is every question of a server that has
   * `MAX_OPEN_QUESTIONS_PER_SERVER` open already (`cancel`), without a card.
   */
  ask(request: QuestionRequest, onCreated?: (question: Question) => void): Promise<ElicitationAnswer> {
    const now = Date.now();
    const { elicitation, call } = request;
    const question: Question = {
      id: `q_${randomBytes(12).toString('base64url')}`,
      server: request.server,
      callId: call?.id ?? null,
      tool: call?.tool ?? null,
      caller: call?.caller ?? null,
      callerLabel: call?.callerLabel ?? null,
      user: call?.user ?? null,
      mode: elicitation.mode,
      message: elicitation.message,
      requestedSchema: elicitation.mode === 'form' ? elicitation.requestedSchema : null,
      url: elicitation.mode === 'url' ? elicitation.url : null,
      elicitationId: elicitation.mode === 'url' ? elicitation.elicitationId : null,
      state: 'pending',
      createdAt: now,
      expiresAt: now + request.timeoutMs,
      answeredAt: null,
      answeredBy: null,
      answeredByLabel: null,
      answeredVia: null,
      fields: null,
      reason: null,
    };
    const refused = this.refusal(question, request.signal);
    if (refused) {
      this.logger.warn({ questionId: question.id, server: question.server, reason: refused.reason }, 'question refused');
      this.remember({ ...question, state: refused.state, answeredAt: now, ...gatewayEnd(refused.reason) });
      return Promise.resolve({ action: refused.state === 'declined' ? 'decline' : 'cancel' });
    }
    return new Promise<ElicitationAnswer>((resolve) => {
      const onAbort = () => this.end(question.id, 'withdrawn', 'the server or the caller no longer waits for the answer');
      const timer = setTimeout(
        () => this.end(question.id, 'expired', `nobody answered within ${request.timeoutMs} ms (gateway.questionTimeoutMs)`),
        request.timeoutMs,
      );
      timer.unref();
      this.open.set(question.id, {
        question,
        timer,
        settle: (answer) => {
          request.signal.removeEventListener('abort', onAbort);
          resolve(answer);
        },
      });
      request.signal.addEventListener('abort', onAbort, { once: true });
      this.logger.info(
        { questionId: question.id, server: question.server, callId: question.callId, mode: question.mode },
        'a server asks a question',
      );
      this.emit('change', question);
      onCreated?.(question);
    });
  }

  /**
   * Answers question `id`: the first answer wins. An `accept` of a form must fit its
   * `requestedSchema` (defaults of left-out required fields are filled in); its values go upstream only.
   */
  answer(id: string, action: QuestionAction, content: unknown, by: Decider): AnswerResult {
    const waiter = this.open.get(id);
    if (!waiter) {
      const question = this.get(id);
      return question ? { ok: false, why: 'already-answered', question } : { ok: false, why: 'not-found' };
    }
    let answer: ElicitationAnswer = { action };
    let fields: string[] | null = null;
    const { question } = waiter;
    if (action === 'accept' && question.mode === 'form') {
      const checked = checkAnswer(question.requestedSchema!, content);
      if (!checked.ok) return { ok: false, why: 'invalid-content', errors: checked.errors };
      answer = { action, content: checked.content };
      fields = Object.keys(checked.content);
    }
    const settled = this.settle(waiter, ANSWER_STATE[action], answer, {
      answeredBy: by.id,
      answeredByLabel: by.label,
      answeredVia: by.via,
      fields,
      reason: null,
    });
    return { ok: true, question: settled };
  }

  get(id: string): Question | undefined {
    return this.open.get(id)?.question ?? this.ended.find((question) => question.id === id);
  }

  /** The open questions (oldest first), then the answered ones (newest first); `state` filters. */
  list(state?: QuestionState): Question[] {
    const all = [...[...this.open.values()].map((waiter) => waiter.question), ...[...this.ended].reverse()];
    return state ? all.filter((question) => question.state === state) : all;
  }

  /** The open questions of call `callId`. */
  ofCall(callId: string): Question[] {
    return [...this.open.values()].map((waiter) => waiter.question).filter((question) => question.callId === callId);
  }

  /** How many questions wait for an answer now. */
  get pendingCount(): number {
    return this.open.size;
  }

  /** Ends every open question (at shutdown): `interrupted`, answered `cancel` upstream. */
  close(): void {
    for (const id of [...this.open.keys()]) this.end(id, 'interrupted', 'the gateway stopped while the question was open');
  }

  /** How many questions of `server` are open. */
  private openOf(server: string): number {
    let count = 0;
    for (const { question } of this.open.values()) if (question.server === server) count++;
    return count;
  }

  private refusal(question: Question, signal: AbortSignal): { state: QuestionState; reason: string } | undefined {
    if (signal.aborted) return { state: 'withdrawn', reason: 'the server or the caller no longer waits for the answer' };
    if (question.mode === 'url' && !isWebUrl(question.url!)) {
      return { state: 'declined', reason: 'the URL is not an http or https URL; the gateway declines to show it' };
    }
    if (this.openOf(question.server) >= MAX_OPEN_QUESTIONS_PER_SERVER) {
      return {
        state: 'cancelled',
        reason: `${MAX_OPEN_QUESTIONS_PER_SERVER} questions of server ${question.server} are open already; the gateway cancels this one`,
      };
    }
    return undefined;
  }

  /** The gateway ends an open question; the server gets `cancel`. */
  private end(id: string, state: 'expired' | 'withdrawn' | 'interrupted', reason: string): void {
    const waiter = this.open.get(id);
    if (waiter) this.settle(waiter, state, { action: 'cancel' }, { ...gatewayEnd(reason), fields: null });
  }

  private settle(waiter: Waiter, state: QuestionState, answer: ElicitationAnswer, how: Partial<Question>): Question {
    const { question } = waiter;
    this.open.delete(question.id);
    clearTimeout(waiter.timer);
    const settled: Question = { ...question, ...how, state, answeredAt: Date.now() };
    this.remember(settled);
    this.logger.info(
      { questionId: settled.id, state, by: settled.answeredBy, via: settled.answeredVia, fields: settled.fields },
      `question ${state}`,
    );
    waiter.settle(answer);
    return settled;
  }

  private remember(question: Question): void {
    this.ended.push(question);
    if (this.ended.length > KEPT_ANSWERED) this.ended.shift();
    this.emit('change', question);
  }
}

function gatewayEnd(reason: string): Pick<Question, 'answeredBy' | 'answeredByLabel' | 'answeredVia' | 'reason'> {
  return { answeredBy: GATEWAY.id, answeredByLabel: GATEWAY.label, answeredVia: 'gateway', reason };
}

/** Whether `url` is an absolute http or https URL (the only ones a person is shown). */
export function isWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
