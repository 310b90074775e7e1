// The question book on its own: a flood of one server's questions is capped (the excess answered
// `cancel` at once, without a card; other servers still ask), a question the server or caller stops waiting for is `withdrawn`, and
// stopping the gateway ends the open ones as `interrupted`; every end answers the server `cancel`.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import type { ElicitationRequest } from '../upstream/types.js';
import { MAX_OPEN_QUESTIONS_PER_SERVER, QuestionBook } from './book.js';

const form: ElicitationRequest = {
  mode: 'form',
  message: 'Which city?',
  requestedSchema: { type: 'object', properties: { city: { type: 'string' } } },
  params: {},
};
const ask = (book: QuestionBook, signal = new AbortController().signal, server = 's') =>
  book.ask({ server, elicitation: form, timeoutMs: 60_000, signal });

describe('the question book', () => {
  it(`keeps at most ${MAX_OPEN_QUESTIONS_PER_SERVER} questions of a server open, and cancels its rest at once; other servers still ask`, async () => {
    const book = new QuestionBook(createLogger('silent'));
    const open = Array.from({ length: MAX_OPEN_QUESTIONS_PER_SERVER }, () => ask(book));
    expect(book.pendingCount).toBe(MAX_OPEN_QUESTIONS_PER_SERVER);
    expect(await ask(book)).toEqual({ action: 'cancel' });
    expect(book.pendingCount).toBe(MAX_OPEN_QUESTIONS_PER_SERVER);
    expect(book.list('cancelled')[0]).toMatchObject({
      server: 's',
      answeredBy: 'gateway',
      reason: expect.stringContaining('questions of server s are open already'),
    });
    // One server's flood does not silence another.
    const other = ask(book, undefined, 't');
    expect(book.pendingCount).toBe(MAX_OPEN_QUESTIONS_PER_SERVER + 1);
    expect(book.list('pending').filter((question) => question.server === 't')).toHaveLength(1);
    book.close();
    expect(await Promise.all([...open, other])).toEqual([...open, other].map(() => ({ action: 'cancel' })));
    expect(book.list('interrupted').length).toBeGreaterThan(0);
    expect(book.pendingCount).toBe(0);
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
