/**
 * A server's prompts in the orchestrator:
 * - `/servers/{name}/prompts`: each prompt with a form of its arguments (required ones marked);
 * - `POST /ui/servers/{name}/prompts/{prompt}`: "Get" runs `prompts/get` and answers
 *   `partials/prompt-result` (each message's role and content: text, JSON, images, embedded
 *   resources and resource links as links to their preview), or the form's errors (422);
 * - `POST /ui/servers/{name}/prompts/{prompt}/complete?argument=…&list=…` (the form's `a.{arg}`
 *   fields as the body, so what is typed never goes into a URL): suggestions for one argument
 *   from `completion/complete` (the other arguments' values as context), as a
 *   `<datalist>` (`partials/suggestions`) that replaces the input's own. Only when the server
 *   declares `completions`; a failed completion is an empty list (typing is never held up).
 * Argument fields are named `a.{argument}`. Everything from the server is escaped by the templates.
 */
import { ProblemError } from '../errors.js';
import type { PageRouter } from '../http/route.js';
import type { UpstreamConnection } from '../upstream/connection.js';
import { featureRequest, limitedJson } from '../upstream/feature-requests.js';
import type { ContentItem, PromptInfo, PromptMessage } from '../upstream/types.js';
import { cutText, resultBlocks } from './display.js';
import { pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';
import { connectionOf, failureOf, listsFingerprint, sendSuggestions } from './server-lists.js';

/** Characters of one argument's value the forms take. */
const MAX_VALUE = 10_000;

/** The `a.{argument}` values of a form or query, for the prompt's declared arguments only. */
function argumentValues(prompt: PromptInfo, get: (field: string) => string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const argument of prompt.arguments ?? []) {
    const value = get(`a.${argument.name}`).slice(0, MAX_VALUE);
    if (value !== '') values[argument.name] = value;
  }
  return values;
}

/** One content item of a message as the result partial shows it; resources link to their preview. */
function contentBlock(server: string, item: ContentItem) {
  const previewOf = (uri: string) => `servers/${encodeURIComponent(server)}/resource?${new URLSearchParams({ uri })}`;
  if (item.type === 'resource_link' && typeof item.uri === 'string')
    return { kind: 'resource' as const, uri: item.uri, label: String(item.name ?? item.uri), text: '', href: previewOf(item.uri) };
  if (item.type === 'resource' && typeof item.resource === 'object' && item.resource !== null) {
    const resource = item.resource as Record<string, unknown>;
    const uri = String(resource.uri ?? '');
    const text = typeof resource.text === 'string' ? cutText(resource.text) : '';
    return { kind: 'resource' as const, uri, label: uri, text, href: previewOf(uri) };
  }
  return resultBlocks({ content: [item], isError: false })[0]!;
}

export function promptPages(pages: PageRouter, deps: UiDeps): void {
  const findPrompt = (connection: UpstreamConnection, name: string): PromptInfo => {
    const prompt = connection.prompts().find((candidate) => candidate.name === name);
    if (!prompt) throw new ProblemError('not-found', `server "${connection.name}" has no prompt named "${name}"`);
    return prompt;
  };
  const actionOf = (server: string, prompt: string) => `ui/servers/${encodeURIComponent(server)}/prompts/${encodeURIComponent(prompt)}`;

  pages.get('/servers/{name}/prompts', 'tools:read', (req, res) => {
    const connection = connectionOf(deps, req.params.name);
    const name = connection.name;
    const completes = connection.features().completions;
    sendView(
      res,
      'pages/prompts',
      {
        server: name,
        state: connection.currentState,
        fingerprint: listsFingerprint(connection, 'prompts'),
        offers: connection.features().prompts,
        prompts: connection.prompts().map((prompt, i) => ({
          name: prompt.name,
          title: prompt.title ?? '',
          description: prompt.description ?? '',
          action: actionOf(name, prompt.name),
          id: `prompt-${i}`,
          arguments: (prompt.arguments ?? []).map((argument, j) => ({
            name: argument.name,
            title: argument.title ?? '',
            description: argument.description ?? '',
            required: argument.required === true,
            id: `prompt-${i}-arg-${j}`,
            list: `suggest-${i}-${j}`,
            complete: completes
              ? `${actionOf(name, prompt.name)}/complete?${new URLSearchParams({ argument: argument.name, list: `suggest-${i}-${j}` })}`
              : '',
          })),
        })),
      },
      pageContext(req, 'servers'),
    );
  });

  pages.post('/ui/servers/{name}/prompts/{prompt}', 'tools:call', async (req, res) => {
    const connection = connectionOf(deps, req.params.name);
    const prompt = findPrompt(connection, req.params.prompt);
    const page = pageContext(req, 'servers');
    const form = req.form ?? new URLSearchParams();
    const args = argumentValues(prompt, (field) => form.get(field) ?? '');
    const missing = (prompt.arguments ?? []).filter((argument) => argument.required === true && !(argument.name in args));
    const model = {
      server: connection.name,
      prompt: prompt.name,
      description: '',
      messages: [] as unknown[],
      error: '',
      errors: [] as object[],
    };
    if (missing.length > 0) {
      model.error = 'The form is not complete';
      model.errors = missing.map((argument) => ({ field: argument.name, message: 'is required' }));
      return sendView(res, 'partials/prompt-result', model, page, 422);
    }
    try {
      const what = `getting the prompt ${prompt.name}`;
      const result = await featureRequest(connection, { what, refused: 'prompt-not-found' }, (options) =>
        connection.getPrompt(prompt.name, args, options),
      );
      limitedJson(result, deps.settings().maxResultBytes, what);
      model.description = typeof result.description === 'string' ? result.description : '';
      model.messages = (Array.isArray(result.messages) ? result.messages : []).map((message: PromptMessage) => ({
        role: message.role === 'assistant' ? 'assistant' : 'user',
        block: contentBlock(connection.name, (message.content ?? { type: 'unknown' }) as ContentItem),
      }));
      sendView(res, 'partials/prompt-result', model, page);
    } catch (failure) {
      const { status, text } = failureOf(failure);
      model.error = 'The server could not get the prompt';
      model.errors = [{ field: '(server)', message: text }];
      sendView(res, 'partials/prompt-result', model, page, status);
    }
  });

  pages.post('/ui/servers/{name}/prompts/{prompt}/complete', 'tools:call', async (req, res) => {
    const connection = connectionOf(deps, req.params.name);
    const prompt = findPrompt(connection, req.params.prompt);
    const names = (prompt.arguments ?? []).map((argument) => argument.name);
    await sendSuggestions(req, res, connection, { type: 'ref/prompt', name: prompt.name }, names, (name) =>
      (req.form?.get(`a.${name}`) ?? '').slice(0, MAX_VALUE),
    );
  });
}
