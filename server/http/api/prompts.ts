/**
 * `/api/servers/{server}/prompts` and `…/complete`: a server's prompts, listed and filled in
 * (`prompts/get`: arguments → messages), and argument suggestions (`completion/complete`) for a
 * prompt or a resource template. Getting a prompt and completing an argument have no side effects
 * by protocol, so, like reading a resource, they need `tools:read` (not `tools:call`), and they
 * are not tool calls: no approval policy, no activity entry.
 */
import { ProblemError } from '../../errors.js';
import { BODY, RetryAfter, SERVER_NOT_FOUND, json, problem } from '../../openapi/responses.js';
import { ProblemSchema } from '../../openapi/problem-schema.js';
import type { PromptInfo } from '../../upstream/types.js';
import {
  CompleteBody,
  CompletionSchema,
  GetPromptBody,
  PromptListSchema,
  PromptPathParams,
  PromptResultSchema,
  ServerPathParams,
} from '../api-schemas.js';
import type { RouteServices } from '../app.js';
import { defineRoute } from '../route.js';
import { limitedJson } from '../../upstream/feature-requests.js';
import { upstreamRequest } from './upstream-request.js';

type Services = Pick<RouteServices, 'supervisor' | 'settings'>;

const promptJson = (prompt: PromptInfo) => ({
  name: prompt.name,
  title: prompt.title ?? null,
  description: prompt.description ?? null,
  arguments: (prompt.arguments ?? []).map((argument) => ({ ...argument })),
});

const UNAVAILABLE = problem('`server-unavailable`: the server is disabled, starting or failing.', ProblemSchema, RetryAfter);
const TIMEOUT = problem('`timeout`: the server did not answer within its `timeoutMs`; the request was cancelled.');

export const PROMPT_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/api/servers/{server}/prompts',
    scope: 'tools:read',
    operationId: 'listPrompts',
    summary: "List a server's prompts",
    description:
      "The prompts the server lists, with their arguments (the gateway's copy, kept up to date by the server's `list_changed` notices).",
    tag: 'prompts',
    request: { params: ServerPathParams },
    responses: { '200': json('The prompts.', PromptListSchema), '404': SERVER_NOT_FOUND },
    handler: (req, res, _input, { supervisor }: Services) => {
      const connection = supervisor.require(req.params.server);
      res.json({ items: (connection.isEnabled ? connection.prompts() : []).map(promptJson) });
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/servers/{server}/prompts/{name}',
    scope: 'tools:call',
    operationId: 'getPrompt',
    summary: 'Get a prompt',
    description:
      'Fills the prompt in with `arguments` (`prompts/get`) and answers its messages as the server sent them. Every argument the ' +
      'prompt declares `required` must be given, and no undeclared one: that is checked before the request goes to the server. ' +
      'The answer is held to `gateway.maxResultBytes` like a tool result.',
    tag: 'prompts',
    request: {
      params: PromptPathParams,
      body: { description: "The prompt's arguments.", required: false, schema: GetPromptBody },
    },
    responses: {
      ...BODY,
      '200': json('The messages.', PromptResultSchema),
      '404': problem('`server-not-found`: no server has this name; `prompt-not-found`: the server lists no prompt of this name.'),
      '422': problem(
        '`invalid-request`: the body is malformed, a required argument is missing or an argument is not declared (`errors` names each one).',
      ),
      '502': problem(
        '`upstream-error`: the server failed to answer (it crashed, went away or broke the protocol during the request, or ' +
          'answered with an error); `result-too-large`: the answer is larger than `gateway.maxResultBytes`; ' +
          '`missing-client-capability`: a 2026-07-28 server requires a client capability nobody answers for the request (`requiredCapabilities`).',
      ),
      '503': UNAVAILABLE,
      '504': TIMEOUT,
    },
    handler: async (req, res, input, { supervisor, settings }: Services) => {
      const connection = supervisor.require(req.params.server);
      const name = req.params.name;
      const prompt = connection.isEnabled ? connection.prompts().find((found) => found.name === name) : undefined;
      if (!prompt) {
        // A server that has not listed its prompts yet may well have this one: a 503, as for tools.
        if (connection.currentState !== 'ready') {
          throw new ProblemError('server-unavailable', `server "${connection.name}" is ${connection.currentState}`, { retryAfter: 2 });
        }
        throw new ProblemError('prompt-not-found', `server "${connection.name}" has no prompt named "${name}"`);
      }
      const args = (req.body === undefined ? {} : input.body().arguments) ?? {};
      checkPromptArguments(prompt, args);
      const what = `getting the prompt ${name}`;
      const result = await upstreamRequest(
        res,
        connection,
        what,
        (options) => connection.getPrompt(name, args, options),
        'prompt-not-found',
      );
      res.type('application/json').send(limitedJson(result, settings().maxResultBytes, what));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/servers/{server}/complete',
    scope: 'tools:call',
    operationId: 'completeArgument',
    summary: 'Suggest values for an argument',
    description:
      'Forwards `completion/complete`: suggestions for an argument of a prompt (`ref/prompt`) or a variable of a resource ' +
      'template (`ref/resource`, its `uriTemplate`), given what was typed so far and the other arguments already chosen. ' +
      'A server that offers no completions answers no values.',
    tag: 'prompts',
    request: { params: ServerPathParams, body: { description: 'What to complete.', required: true, schema: CompleteBody } },
    responses: {
      ...BODY,
      '200': json('The suggestions.', CompletionSchema),
      '404': SERVER_NOT_FOUND,
      '422': problem('`invalid-request`: the body is malformed (`errors` names each field).'),
      '502': problem('`upstream-error`: the server failed to answer.'),
      '503': UNAVAILABLE,
      '504': TIMEOUT,
    },
    handler: async (req, res, input, { supervisor }: Services) => {
      const connection = supervisor.require(req.params.server);
      const { ref, argument, context } = input.body();
      if (connection.currentState === 'ready' && !connection.features().completions) {
        res.json({ values: [], total: 0, hasMore: false });
        return;
      }
      const what = `completing ${argument.name}`;
      const completion = await upstreamRequest(res, connection, what, (options) => connection.complete(ref, argument, context, options));
      const values = Array.isArray(completion.values) ? completion.values.filter((value) => typeof value === 'string').slice(0, 100) : [];
      res.json({ values, total: typeof completion.total === 'number' ? completion.total : null, hasMore: completion.hasMore === true });
    },
  }),
];

/** A 422 naming each required argument left out and each argument the prompt does not declare. */
function checkPromptArguments(prompt: PromptInfo, args: Record<string, string>): void {
  const declared = prompt.arguments ?? [];
  const errors = [
    ...declared
      .filter((argument) => argument.required && !Object.hasOwn(args, argument.name))
      .map((argument) => ({ field: `arguments.${argument.name}`, message: 'required by the prompt' })),
    ...Object.keys(args)
      .filter((name) => !declared.some((argument) => argument.name === name))
      .map((name) => ({ field: `arguments.${name}`, message: 'not an argument of the prompt' })),
  ];
  if (errors.length > 0) {
    throw new ProblemError('invalid-request', errors.map((error) => `${error.field}: ${error.message}`).join('; '), { errors });
  }
}
