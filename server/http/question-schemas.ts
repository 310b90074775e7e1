/** The zod schemas of `/api/questions` (http/api/questions.ts): what servers ask a person. */
import { z } from 'zod';
import { QUESTION_STATES, type QuestionState } from '../questions/book.js';
import { answer } from './answer-schema.js';
import { ForwardedUserSchema } from './api-schemas.js';

const STATES = QUESTION_STATES as [QuestionState, ...QuestionState[]];

export const QuestionSchema = answer(() =>
  z
    .strictObject({
      id: z.string().meta({ example: 'q_3n9xW0bq2mT1Kc8vLa0p' }),
      server: z.string(),
      callId: z
        .string()
        .nullable()
        .meta({ description: 'The call the server asked during (`/api/calls/{id}`), or null for a question about the server.' }),
      tool: z.string().nullable(),
      caller: z.string().nullable(),
      callerLabel: z.string().nullable(),
      user: ForwardedUserSchema.nullable().meta({ description: 'Who the call was made for (a trusted key forwarded it), or null.' }),
      mode: z
        .enum(['form', 'url'])
        .meta({ description: '`form`: answer the fields of `requestedSchema`; `url`: open `url`, then say done (`accept`) or decline.' }),
      message: z.string().meta({ description: "The server's words (untrusted)." }),
      requestedSchema: z
        .record(z.string(), z.unknown())
        .nullable()
        .meta({ description: 'Form mode: the flat JSON Schema object of the fields asked for.' }),
      url: z.string().nullable().meta({ description: 'URL mode: the http(s) URL to open.' }),
      elicitationId: z.string().nullable(),
      state: z.enum(STATES),
      createdAt: z.iso.datetime(),
      expiresAt: z.iso
        .datetime()
        .meta({ description: 'When the gateway answers `cancel` unless someone answers first (`gateway.questionTimeoutMs`).' }),
      answeredAt: z.iso.datetime().nullable(),
      answeredBy: z.string().nullable().meta({ description: 'Who answered (a caller id), or `gateway` (expiry, withdrawal, restart).' }),
      answeredByLabel: z.string().nullable(),
      answeredVia: z.enum(['api', 'ui', 'gateway']).nullable(),
      fields: z
        .array(z.string())
        .nullable()
        .meta({ description: 'The names of the fields an `accept` answered; their values are never kept.' }),
      reason: z.string().nullable().meta({ description: 'Why the gateway ended it.' }),
    })
    .meta({ id: 'Question', description: 'A question a server asked a person (`elicitation/create`).' }),
);

export const QuestionListSchema = answer(() =>
  z
    .strictObject({ items: z.array(QuestionSchema), pending: z.int() })
    .meta({ id: 'QuestionList', description: 'The open questions (oldest first), then the last 100 ended ones (newest first).' }),
);

export const QuestionListQuery = z.strictObject({
  state: z.enum(STATES).optional().meta({ description: 'Only questions in this state.' }),
});

export const QuestionIdParams = z.strictObject({
  id: z.string().meta({
    description: "The question's id, as `GET /api/questions` or a call's `question` gives it.",
    example: 'q_3n9xW0bq2mT1Kc8vLa0p',
  }),
});

export const AnswerBody = z
  .strictObject({
    action: z
      .enum(['accept', 'decline', 'cancel'])
      .meta({ description: '`accept` (with `content` for a form; "done" for a URL), `decline`, or `cancel`.' }),
    content: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: "With `accept` of a form: the fields' values, checked against `requestedSchema`." }),
  })
  .meta({ id: 'Answer', description: "A person's answer to a question." });
