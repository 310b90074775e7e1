/**
 * What the resources and prompts pages share about a server's lists beyond tools: finding the
 * server, telling a failed upstream request in words, and keeping an open page honest when the
 * lists change. Each page carries a fingerprint of what it showed (`listsFingerprint`); on the
 * live stream's `server` event for its server (or a poll) the page's script asks for
 * `GET /ui/servers/{name}/lists-status?page=…&since=…` (`partials/lists-status`), which says
 * "changed since this page was loaded" with a reload link, or nothing. The page's forms and
 * results are never replaced under the person's hands.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { PageRouter } from '../http/route.js';
import { ProblemError, type ProblemType } from '../errors.js';
import { featureRequest } from '../upstream/feature-requests.js';
import type { UpstreamConnection } from '../upstream/connection.js';
import type { CompletionRef } from '../upstream/types.js';
import { pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';

/** The two pages that follow a server's lists. */
export type ListsPage = 'resources' | 'prompts';

export function connectionOf(deps: UiDeps, name: string): UpstreamConnection {
  return deps.supervisor.require(name);
}

/** A short fingerprint of what `page` shows of the server: its state and its lists. */
export function listsFingerprint(connection: UpstreamConnection, page: ListsPage): string {
  const lists =
    page === 'resources'
      ? [connection.resources().map((r) => r.definition ?? r), connection.resourceTemplates().map((t) => t.definition ?? t)]
      : [connection.prompts().map((p) => p.definition ?? p), connection.features().completions];
  return createHash('sha256')
    .update(JSON.stringify([connection.currentState, lists]))
    .digest('base64url')
    .slice(0, 16);
}

/** How the pages tell a person why the server did not answer, by the problem's type (else its detail alone). */
const FAILURE_WORDS: Partial<Record<ProblemType, string>> = {
  'server-unavailable': 'the server is not available right now',
  timeout: 'the server did not answer in time',
  'result-too-large': 'the answer is too large to show',
  'upstream-error': 'the server failed to answer',
};

/**
 * A failed resource read, prompt or completion (a problem from `featureRequest`,
 * upstream/feature-requests.ts, the mapping the API answers with too): the status to answer with
 * and what to tell the person.
 */
export function failureOf(error: unknown): { status: number; text: string } {
  const problem = failureProblem(error);
  const words = FAILURE_WORDS[problem.type];
  const detail = problem.detail ?? problem.message;
  return { status: problem.status, text: words ? `${words}: ${detail}` : detail };
}

/** The same failure as a problem, for routes that answer something other than a page (the raw bytes). */
export function failureProblem(error: unknown): ProblemError {
  return error instanceof ProblemError ? error : new ProblemError('upstream-error', error instanceof Error ? error.message : String(error));
}

/** The id of an input's `<datalist>` (`suggest-…`), as a suggestion request names it. */
const LIST_ID = /^suggest-\d{1,4}-\d{1,4}$/;

/**
 * Answers a suggestion request with `partials/suggestions`: a `<datalist id="{list}">` of what
 * `completion/complete` suggests for `argument` (`list` and `argument` from the query; `values`
 * reads every field's value from the posted form; the others
 * go as context). Empty when the server does not complete or the completion fails: typing is
 * never held up. `names` are the arguments (or template variables) the form has.
 */
export async function sendSuggestions(
  req: Request,
  res: Response,
  connection: UpstreamConnection,
  ref: CompletionRef,
  names: string[],
  values: (name: string) => string,
): Promise<void> {
  const list = typeof req.query.list === 'string' ? req.query.list : '';
  const argument = typeof req.query.argument === 'string' ? req.query.argument : '';
  if (!LIST_ID.test(list) || !names.includes(argument))
    throw new ProblemError('invalid-request', "argument must name one of the form's fields, and list its suggestion list", {
      errors: [{ field: LIST_ID.test(list) ? 'argument' : 'list', message: 'is not valid' }],
    });
  const context: Record<string, string> = {};
  for (const name of names) if (name !== argument && values(name) !== '') context[name] = values(name);
  let suggestions: string[] = [];
  if (connection.features().completions) {
    try {
      const result = await featureRequest(connection, { what: `completing ${argument}` }, (options) =>
        connection.complete(
          ref,
          { name: argument, value: values(argument) },
          Object.keys(context).length > 0 ? context : undefined,
          options,
        ),
      );
      suggestions = (Array.isArray(result.values) ? result.values : []).filter((v): v is string => typeof v === 'string').slice(0, 100);
    } catch (failure) {
      req.log.debug({ reason: failureOf(failure).text }, 'completion failed');
    }
  }
  sendView(res, 'partials/suggestions', { list, values: suggestions }, pageContext(req, 'servers'));
}

/** The model of `partials/lists-status`. */
export function listsStatusModel(connection: UpstreamConnection, page: ListsPage, since: string, self: string) {
  const now = listsFingerprint(connection, page);
  return { server: connection.name, page, since, changed: since !== '' && since !== now, state: connection.currentState, self };
}

export function listsStatusPages(pages: PageRouter, deps: UiDeps): void {
  pages.get('/ui/servers/{name}/lists-status', 'tools:read', (req, res) => {
    const connection = connectionOf(deps, req.params.name);
    const page: ListsPage = req.query.page === 'prompts' ? 'prompts' : 'resources';
    const since = typeof req.query.since === 'string' ? req.query.since.slice(0, 64) : '';
    const self = `servers/${encodeURIComponent(connection.name)}/${page}`;
    sendView(res, 'partials/lists-status', listsStatusModel(connection, page, since, self), pageContext(req, 'servers'));
  });
}
