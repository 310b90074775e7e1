// The question book on its own: a flood of questions is capped (the excess answered `cancel` at
// once, without a card), a question the server or caller stops waiting for is `withdrawn`, and
// stopping the gateway ends the open ones as `interrupted`; every end answers the server `cancel`.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import type { ElicitationRequest } from '../upstream/types.js';
import { MAX_OPEN_QUESTIONS, QuestionBook } from './book.js';

const form: ElicitationRequest = {
  mode: 'form',
  message: 'Which city?',
  requestedSchema: { type: 'object', properties: { city: { type: 'string' } } },
  params: {},
};
const ask = (book: QuestionBook, signal = new AbortController().signal) =>
  book.ask({ server: 's', elicitation: form, timeoutMs: 60_000, signal });

describe('the question book', () => {
  it(`keeps at most ${MAX_OPEN_QUESTIONS} questions open, and cancels the rest at once`, async () => {
    const book = new QuestionBook(createLogger('silent'));
    const open = Array.from({ length: MAX_OPEN_QUESTIONS }, () => ask(book));
    expect(book.pendingCount).toBe(MAX_OPEN_QUESTIONS);
    expect(await ask(book)).toEqual({ action: 'cancel' });
    expect(book.pendingCount).toBe(MAX_OPEN_QUESTIONS);
    expect(book.list('cancelled')[0]).toMatchObject({ answeredBy: 'gateway', reason: expect.stringContaining('open already') });
    book.close();
    expect(await Promise.all(open)).toEqual(open.map(() => ({ action: 'cancel' })));
    expect(book.list('interrupted')).toHaveLength(MAX_OPEN_QUESTIONS);
  });

  it('withdraws a question nobody waits for any more', async () => {
    const book = new QuestionBook(createLogger('silent'));
    const controller = new AbortController();
    const answer = ask(book, controller.signal);
    const [question] = book.list('pending');
    controller.abort();
    expect(await answer).toEqual({ action: 'cancel' });
    expect(book.get(question!.id)).toMatchObject({ state: 'withdrawn', answeredBy: 'gateway' });
    expect(book.answer(question!.id, 'accept', { city: 'Oslo' }, { id: 'ui', label: 'me', via: 'ui' })).toMatchObject({
      ok: false,
      why: 'already-answered',
    });
  });
});
