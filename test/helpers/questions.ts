/** Answering the question cards that servers' elicitations make, as a person does over REST. */
import request from 'supertest';
import type { Question } from '../../server/questions/book.js';
import type { TestGateway } from './gateway.js';
import { waitUntil } from './process.js';

/**
 * Waits for the first pending question card, accepts it with `content` through `POST /api/questions/{id}` (as `auth`,
 * expecting 200), and resolves with the card as it was asked.
 */
export async function answerQuestion(
  { app, gateway }: Pick<TestGateway, 'app' | 'gateway'>,
  auth: Record<string, string>,
  content: Record<string, unknown>,
  what = 'the question card',
): Promise<Question> {
  const question = await waitUntil(() => gateway.questions.list('pending')[0], 15_000, what);
  await request(app).post(`/api/questions/${question.id}`).set(auth).send({ action: 'accept', content }).expect(200);
  return question;
}
