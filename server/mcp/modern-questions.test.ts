// The questions of one call for a 2026-07-28 client (input_required): several open at once are all
// asked and each gets its own answer; at most MAX_OPEN_QUESTIONS_PER_SERVER are open (the rest are
// answered `cancel` at once); one nobody answers in time is answered `cancel`.
import { describe, expect, it } from 'vitest';
import { MAX_OPEN_QUESTIONS_PER_SERVER } from '../questions/book.js';
import type { ElicitationRequest } from '../upstream/types.js';
import { applyResponses, modernQuestions, nextInputRequest } from './modern-questions.js';

const form = (message: string): ElicitationRequest => ({
  mode: 'form',
  message,
  requestedSchema: { type: 'object', properties: { city: { type: 'string' } } },
  params: {},
});

describe('2026-07-28 questions of a call', () => {
  it('asks every open question, and passes each answer to its own question', async () => {
    const { state, elicit: asks } = modernQuestions({ form: {} }, false);
    const elicit = asks!;
    const signal = new AbortController().signal;
    const first = elicit(form('first?'), signal, 60_000)!;
    const second = elicit(form('second?'), signal, 60_000)!;
    const asked = nextInputRequest(state)!;
    expect(Object.keys(asked)).toEqual(['question-1', 'question-2']);
    expect(nextInputRequest(state)).toBeUndefined();
    applyResponses(state, { 'question-2': { action: 'decline' }, 'question-1': { action: 'accept', content: { city: 'Oslo' } } });
    expect(await first).toEqual({ action: 'accept', content: { city: 'Oslo' } });
    expect(await second).toEqual({ action: 'decline' });
    expect(state.pending.size).toBe(0);
  });

  it(`keeps at most ${MAX_OPEN_QUESTIONS_PER_SERVER} open, and answers one nobody answers in time with cancel`, async () => {
    const { state, elicit: asks } = modernQuestions({ form: {} }, false);
    const elicit = asks!;
    const controller = new AbortController();
    const open = Array.from({ length: MAX_OPEN_QUESTIONS_PER_SERVER }, () => elicit(form('?'), controller.signal, 60_000)!);
    expect(await elicit(form('one too many'), controller.signal, 60_000)).toEqual({ action: 'cancel' });
    expect(state.pending.size).toBe(MAX_OPEN_QUESTIONS_PER_SERVER);
    controller.abort();
    expect(await Promise.all(open)).toEqual(open.map(() => ({ action: 'cancel' })));
    expect(await elicit(form('quick?'), new AbortController().signal, 20)).toEqual({ action: 'cancel' });
    expect(state.pending.size).toBe(0);
  });
});
