/**
 * A server's resources in the orchestrator:
 * - `/servers/{name}/resources`: what the server lists (name or title, URI, MIME type, size,
 *   description; 100 a page), each with a link to its preview, and its resource templates, each with a form
 *   for its variables (RFC 6570, expanded by the `url-template` package);
 * - `/servers/{name}/resource?uri=…` (or `?template=…&var.{name}=…`): one resource read anew
 *   (`resources/read`): text as text, JSON pretty-printed, raster images as `<img>` from the raw
 *   route, SVG as an image only, other bytes as a download link;
 * - `POST /ui/servers/{name}/resource-template/complete?template=…&argument=…&list=…` (the
 *   `var.{name}` fields as the body):
 *   suggestions for one variable (`completion/complete`), as on the prompts page (server-lists.ts);
 * - `/ui/servers/{name}/resource/raw?uri=…&index=…`: the bytes of one item of the read, sent as the
 *   API's raw read sends them (`sendResourceBytes`, http/resource-bytes.ts: sandboxed, `nosniff`, an
 *   attachment unless it is a raster image or plain text; HTML or SVG never runs in the gateway's origin).
 * Everything the server sent is untrusted: the templates escape it, and a read larger than
 * `gateway.maxResultBytes` is refused as a tool result would be.
 */
import type { Response } from 'express';
import { parseTemplate } from 'url-template';
import { ProblemError } from '../errors.js';
import { sendResourceBytes } from '../http/resource-bytes.js';
import type { PageRouter } from '../http/route.js';
import type { UpstreamConnection } from '../upstream/connection.js';
import { featureRequest, limitedJson } from '../upstream/feature-requests.js';
import type { ResourceContents, ResourceReadResult } from '../upstream/types.js';
import { cutText, prettyJson, sizeText } from './display.js';
import { pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';
import { connectionOf, failureOf, listsFingerprint, sendSuggestions } from './server-lists.js';

/** Raster images shown inline (as on the tools pages); SVG is shown too, but only through `<img>`. */
const INLINE_IMAGE = /^image\/(png|jpeg|gif|webp|avif|bmp)$/;
const SVG = 'image/svg+xml';
/** Types whose bytes are shown as text in the preview. */
const TEXT_TYPE = /^(text\/[\w.+-]+|application\/([\w.-]+\+)?(json|xml|yaml|x-yaml|javascript|toml))$/;
const JSON_TYPE = /^application\/([\w.-]+\+)?json$/;
/** Characters of a template variable's value, and variables per template, the form takes. */
const MAX_VALUE = 2000;
const MAX_VARIABLES = 20;
/** Resources per page of the list (a server may list thousands). */
const PAGE_SIZE = 100;

const first = (value: unknown): string =>
  typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '';

const mimeOf = (item: ResourceContents): string => (typeof item.mimeType === 'string' ? item.mimeType.toLowerCase().trim() : '');

/** The variables of an RFC 6570 template, in order, each once (`{a,b}`, `{+path}`, `{?q*}`, `{x:3}`). */
export function templateVariables(template: string): string[] {
  const names: string[] = [];
  for (const [, expression] of template.matchAll(/\{([^}]*)\}/g)) {
    for (const spec of expression!.replace(/^[+#./;?&]/, '').split(',')) {
      const name = spec.replace(/(\*|:\d+)$/, '').trim();
      if (name && !names.includes(name)) names.push(name);
    }
  }
  return names.slice(0, MAX_VARIABLES);
}

/** The bytes of one item of a read: its text in UTF-8, or its base64 blob decoded. */
function bytesOf(item: ResourceContents): Buffer {
  if (typeof item.text === 'string') return Buffer.from(item.text, 'utf8');
  return typeof item.blob === 'string' ? Buffer.from(item.blob, 'base64') : Buffer.alloc(0);
}

/** The model of one item of a read, as `partials/resource-item` shows it. */
function itemModel(item: ResourceContents, index: number, rawHref: string) {
  const mimeType = mimeOf(item);
  const bytes = bytesOf(item);
  const base = { index, uri: String(item.uri ?? ''), mimeType: mimeType || 'unknown type', size: sizeText(bytes.length) };
  const href = `${rawHref}&index=${index}`;
  const isText = typeof item.text === 'string' || TEXT_TYPE.test(mimeType);
  if (INLINE_IMAGE.test(mimeType) || mimeType === SVG) return { ...base, kind: 'image' as const, href };
  if (isText) {
    const text = bytes.toString('utf8');
    if (JSON_TYPE.test(mimeType) || /^\s*[[{]/.test(text)) {
      try {
        return { ...base, kind: 'json' as const, text: prettyJson(JSON.parse(text)), href };
      } catch {
        // not JSON after all
      }
    }
    return { ...base, kind: 'text' as const, text: cutText(text), href };
  }
  return { ...base, kind: 'download' as const, href };
}

/**
 * Reads `uri` within the server's timeout (cancelled by `signal`); a failure is the problem the API
 * answers too, and a read larger than `limit` (`gateway.maxResultBytes`, as JSON) is refused.
 */
export async function readWithin(
  connection: UpstreamConnection,
  uri: string,
  limit: number,
  signal?: AbortSignal,
): Promise<ResourceReadResult> {
  const what = `reading ${uri}`;
  const result = await featureRequest(connection, { what, refused: 'resource-not-found', ...(signal ? { signal } : {}) }, (options) =>
    connection.readResource(uri, options),
  );
  const contents = Array.isArray(result.contents) ? result.contents : [];
  limitedJson({ contents }, limit, what);
  return { ...result, contents };
}

export function resourcePages(pages: PageRouter, deps: UiDeps): void {
  pages.get('/servers/{name}/resources', 'tools:read', (req, res) => {
    const connection = connectionOf(deps, req.params.name);
    const name = connection.name;
    const previewOf = (uri: string) => `servers/${encodeURIComponent(name)}/resource?${new URLSearchParams({ uri })}`;
    const completes = connection.features().completions;
    const all = connection.resources();
    const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
    const page = Math.min(pages, Math.max(1, Math.floor(Number(first(req.query.page)) || 1)));
    sendView(
      res,
      'pages/resources',
      {
        server: name,
        state: connection.currentState,
        fingerprint: listsFingerprint(connection, 'resources'),
        offers: connection.features().resources,
        total: all.length,
        pager: { page, pages, href: (n: number) => `servers/${encodeURIComponent(name)}/resources${n > 1 ? `?page=${n}` : ''}` },
        resources: all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map((resource) => ({
          name: resource.name,
          title: resource.title ?? '',
          uri: resource.uri,
          mimeType: resource.mimeType ?? '',
          size: typeof resource.size === 'number' ? sizeText(resource.size) : '',
          description: resource.description ?? '',
          href: previewOf(resource.uri),
        })),
        templates: connection.resourceTemplates().map((template, i) => ({
          name: template.name,
          title: template.title ?? '',
          uriTemplate: template.uriTemplate,
          mimeType: template.mimeType ?? '',
          description: template.description ?? '',
          variables: templateVariables(template.uriTemplate).map((variable, j) => ({
            name: variable,
            id: `template-${i}-var-${j}`,
            list: `suggest-${i}-${j}`,
            complete: completes
              ? `ui/servers/${encodeURIComponent(name)}/resource-template/complete?${new URLSearchParams({ template: template.uriTemplate, argument: variable, list: `suggest-${i}-${j}` })}`
              : '',
          })),
        })),
      },
      pageContext(req, 'servers'),
    );
  });

  /** The URI a preview or raw request names: `uri`, or `template` expanded with the `var.*` values. */
  const uriOf = (query: Record<string, unknown>): { uri: string; error?: string } => {
    const uri = first(query.uri);
    if (uri) return { uri };
    const template = first(query.template);
    if (!template) return { uri: '', error: 'Give the resource to read: uri, or template with its variables.' };
    const values: Record<string, string> = {};
    for (const variable of templateVariables(template)) {
      const value = first(query[`var.${variable}`]).slice(0, MAX_VALUE);
      if (value === '') return { uri: '', error: `Fill in the variable "${variable}".` };
      values[variable] = value;
    }
    try {
      return { uri: parseTemplate(template).expand(values) };
    } catch (error) {
      return { uri: '', error: `The template cannot be expanded: ${(error as Error).message}` };
    }
  };

  /** Reads `uri`, cancelled when the person's request goes away. */
  const read = (res: Response, connection: UpstreamConnection, uri: string) => {
    const aborter = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) aborter.abort();
    });
    return readWithin(connection, uri, deps.settings().maxResultBytes, aborter.signal);
  };

  pages.get('/servers/{name}/resource', 'tools:call', async (req, res) => {
    const connection = connectionOf(deps, req.params.name);
    const name = connection.name;
    const page = pageContext(req, 'servers');
    const { uri, error } = uriOf(req.query);
    const model = { server: name, uri, items: [] as ReturnType<typeof itemModel>[], error: error ?? '' };
    if (error) return sendView(res, 'pages/resource', model, page, 422);
    try {
      const result = await read(res, connection, uri);
      const rawHref = `ui/servers/${encodeURIComponent(name)}/resource/raw?${new URLSearchParams({ uri })}`;
      model.items = result.contents.map((item, index) => itemModel(item, index, rawHref));
      sendView(res, 'pages/resource', model, page);
    } catch (failure) {
      const { status, text } = failureOf(failure);
      model.error = text;
      sendView(res, 'pages/resource', model, page, status);
    }
  });

  /** Suggestions for one variable of a template (`completion/complete` with `ref/resource`), the others as context. */
  pages.post('/ui/servers/{name}/resource-template/complete', 'tools:call', async (req, res) => {
    const connection = connectionOf(deps, req.params.name);
    const template = connection.resourceTemplates().find((candidate) => candidate.uriTemplate === first(req.query.template));
    if (!template) throw new ProblemError('not-found', `server "${connection.name}" has no resource template ${first(req.query.template)}`);
    await sendSuggestions(
      req,
      res,
      connection,
      { type: 'ref/resource', uri: template.uriTemplate },
      templateVariables(template.uriTemplate),
      (name) => (req.form?.get(`var.${name}`) ?? '').slice(0, MAX_VALUE),
    );
  });

  pages.get('/ui/servers/{name}/resource/raw', 'tools:call', async (req, res: Response) => {
    const connection = connectionOf(deps, req.params.name);
    const { uri, error } = uriOf(req.query);
    if (error) throw new ProblemError('invalid-request', error, { errors: [{ field: 'uri', message: 'is required' }] });
    const result = await read(res, connection, uri);
    const index = Number(first(req.query.index) || '0');
    const item = Number.isInteger(index) ? result.contents[index] : undefined;
    if (!item) throw new ProblemError('not-found', `the read of ${uri} has no item ${first(req.query.index) || '0'}`);
    sendResourceBytes(res, item, uri);
  });
}
