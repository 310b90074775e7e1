/**
 * `/api/questions` (scope `approvals:decide`, like deciding approvals: paired devices answer
 * too): what servers ask a person during calls (elicitation, server/questions/book.ts).
 * - `GET /api/questions?state=`: the open questions, then the recent ended ones, with the number open.
 * - `GET /api/questions/{id}`: one question; also readable by the caller whose call it belongs to.
 * - `POST /api/questions/{id}` (`{action, content?}`): the first answer wins (200); a later one is
 *   a 409 `question-answered`; content that does not fit the form is a 422 naming each field.
 */
import { deciderOf, mayDecide } from '../../approvals/decisions.js';
import { ProblemError } from '../../errors.js';
import type { Question } from '../../questions/book.js';
import { BODY, json, problem } from '../../openapi/responses.js';
import type { RouteServices } from '../app.js';
import { AnswerBody, QuestionIdParams, QuestionListQuery, QuestionListSchema, QuestionSchema } from '../question-schemas.js';
import { defineRoute } from '../route.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function questionJson(question: Question) {
  return { ...question, createdAt: iso(question.createdAt)!, expiresAt: iso(question.expiresAt)!, answeredAt: iso(question.answeredAt) };
}

type Services = Pick<RouteServices, 'questions'>;

export const QUESTION_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/api/questions',
    scope: 'approvals:decide',
    operationId: 'listQuestions',
    summary: 'List questions',
    description:
      'What servers asked a person during calls (elicitation) and no MCP client could answer: the open questions, oldest ' +
      'first, then the last 100 ended ones, newest first (who answered, how, when; never the values), with the number open.',
    tag: 'questions',
    request: { query: QuestionListQuery },
    responses: {
      '200': json('The questions.', QuestionListSchema),
      '422': problem('`invalid-request`: `state` is not a state, or a parameter is unknown (`errors` names each one).'),
    },
    handler: (_req, res, input, { questions }: Services) => {
      const { state } = input.query();
      res.json({ items: questions.list(state).map(questionJson), pending: questions.pendingCount });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/questions/{id}',
    // Besides deciders, the caller whose call it belongs to (the handler checks which question).
    scope: ['approvals:decide', 'tools:call'],
    operationId: 'getQuestion',
    summary: 'Show a question',
    description:
      "One question: the server's message, the form's schema or the URL, and how it ended. Besides deciders " +
      "(`approvals:decide`), the caller whose call it belongs to may read it (`tools:call`), e.g. at the `url` of its call's `question`.",
    tag: 'questions',
    request: { params: QuestionIdParams },
    responses: {
      '200': json('The question.', QuestionSchema),
      '404': problem("`question-not-found`: no question has this id (or it ended long ago), or it belongs to another caller's call."),
    },
    handler: (req, res, _input, { questions }: Services) => {
      const question = questions.get(req.params.id);
      if (!question || !(mayDecide(req.identity!) || question.caller === req.identity!.id))
        throw new ProblemError('question-not-found', `no question with id "${req.params.id}"`);
      res.json(questionJson(question));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/questions/{id}',
    scope: 'approvals:decide',
    operationId: 'answerQuestion',
    summary: 'Answer a question',
    description:
      "Answers an open question: `accept` with the form's `content` (checked against its `requestedSchema`; the defaults of " +
      'left-out required fields are filled in) or, for a URL, once done; `decline`; or `cancel`. The answer goes to the server ' +
      'at once, and the call it belongs to goes on. The first answer wins.',
    tag: 'questions',
    request: { params: QuestionIdParams, body: { description: 'The answer.', required: true, schema: AnswerBody } },
    responses: {
      ...BODY,
      '200': json('The question, now `accepted`, `declined` or `cancelled`.', QuestionSchema),
      '404': problem('`question-not-found`: no question has this id.'),
      '409': problem('`question-answered`: the question was already answered or ended (`state`, `answeredBy`).'),
      '422': problem(
        '`invalid-request`: the body is not `{"action": "accept"|"decline"|"cancel", "content"?: {...}}`, or `content` does not fit ' +
          'the form (`errors` names each field, e.g. `content.name`).',
      ),
    },
    handler: (req, res, input, { questions }: Services) => {
      const body = input.body();
      const answered = questions.answer(req.params.id, body.action, body.content, deciderOf(req.identity!, 'api', req.tailscaleUser));
      if (answered.ok) return void res.json(questionJson(answered.question));
      switch (answered.why) {
        case 'not-found':
          throw new ProblemError('question-not-found', `no question with id "${req.params.id}"`);
        case 'already-answered': {
          const { question } = answered;
          throw new ProblemError(
            'question-answered',
            `the question was already ${question.state}${question.answeredByLabel ? ` by ${question.answeredByLabel}` : ''}`,
            { state: question.state, answeredBy: question.answeredByLabel },
          );
        }
        case 'invalid-content':
          throw new ProblemError('invalid-request', answered.errors.map((error) => `${error.field}: ${error.message}`).join('; '), {
            errors: answered.errors,
          });
      }
    },
  }),
];
