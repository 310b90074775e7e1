/**
 * MCP Apps (SEP-1865) in the orchestrator: a tool whose `_meta.ui.resourceUri` names a `ui://`
 * HTML resource gets "Open app" on its tool page (views/pages/tool.eta), and static/app-host.js is
 * the host side of the app's postMessage bridge. The routes it uses:
 * - `GET /ui/apps/{server}/{tool}/frame`: the app's HTML, read anew from the server
 *   (`resources/read`), as a document in an opaque origin: `Content-Security-Policy: sandbox
 *   allow-scripts allow-forms` (never `allow-same-origin`: it cannot read the gateway's cookies, DOM or
 *   storage, nor call its API as the person signed in), its inline scripts allowed but nothing loaded or
 *   fetched except from the `https:` origins the resource's `_meta.ui.csp` declares
 *   (`resourceDomains`, `connectDomains`, `frameDomains`, `baseUriDomains`), `nosniff`, framed by the
 *   gateway's own pages only;
 * - `POST /ui/apps/{server}/call` (`{name, arguments}`): a tool call the app makes (not of a tool whose
 *   `_meta.ui.visibility` leaves apps out), through the same
 *   `ToolCaller` as every other surface (policy, approvals, limits, the activity log) with surface
 *   `app`; the answer is the tool's result as the server sent it, or a problem;
 * - `POST /ui/apps/{server}/read` (`{uri}`): a resource the app reads from its server.
 * Both take JSON with the session's CSRF token, as every UI action does: the sandboxed document cannot
 * send them itself, only ask the host page through postMessage.
 */
import type { Request, Response } from 'express';
import { toolUi } from '../apps/tool-ui.js';
import { sendError, sendJson } from '../http/problems.js';
import type { PageRouter } from '../http/route.js';
import { callerOf } from '../http/security.js';
import { ProblemError } from '../errors.js';
import type { ResourceContents } from '../upstream/types.js';
import type { UiDeps } from './routes.js';
import { connectionOf, failureProblem } from './server-lists.js';
import { readWithin } from './resources-pages.js';

/** The MIME type of an app's HTML (`text/html;profile=mcp-app`); plain `text/html` is taken too. */
const HTML_TYPE = /^text\/html\s*(;|$)/i;
/** An origin an app may declare in `_meta.ui.csp`: `https:` or `wss:`, a host name (`*.` allowed in front), a port. */
const DECLARED_ORIGIN = /^(https|wss):\/\/(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/i;
/** The policy of the text that says why an app cannot be shown, in its frame. */
const ERROR_CSP = "sandbox; default-src 'none'; frame-ancestors 'self'";
/** Origins per list of `_meta.ui.csp` taken (the rest are left out). */
const MAX_ORIGINS = 20;

/** The origins of one list of `_meta.ui.csp` that pass `DECLARED_ORIGIN`; everything else is dropped. */
function originsOf(csp: Record<string, unknown>, key: string): string[] {
  const list = csp[key];
  if (!Array.isArray(list)) return [];
  return list
    .filter((origin): origin is string => typeof origin === 'string' && DECLARED_ORIGIN.test(origin))
    .slice(0, MAX_ORIGINS)
    .map((origin) => origin.toLowerCase());
}

/** The `_meta.ui.csp` of the HTML item, else of the resource as listed. */
function declaredCsp(item: ResourceContents, listed?: Readonly<Record<string, unknown>>): Record<string, unknown> {
  for (const meta of [item._meta, listed?._meta]) {
    const csp = (meta as { ui?: { csp?: unknown } } | undefined)?.ui?.csp;
    if (csp && typeof csp === 'object') return csp as Record<string, unknown>;
  }
  return {};
}

/**
 * The app document's Content-Security-Policy: an opaque origin (`sandbox` without
 * `allow-same-origin`), its own inline scripts and styles, and nothing from the network but what it
 * declared: `resourceDomains` for scripts, styles, images, fonts and media, `connectDomains` for fetch
 * and WebSockets, `frameDomains` for frames in it (sandboxed as it is), `baseUriDomains` for its
 * `<base href>` (those two `https:` only). Default: no network, no frames, no `<base>`.
 */
export function appFrameCsp(csp: Record<string, unknown>): string {
  const resources = originsOf(csp, 'resourceDomains').join(' ');
  const connect = originsOf(csp, 'connectDomains').join(' ');
  const https = (key: string) =>
    originsOf(csp, key)
      .filter((origin) => origin.startsWith('https:'))
      .join(' ');
  const frames = https('frameDomains');
  const bases = https('baseUriDomains');
  const from = (...sources: string[]) => sources.filter(Boolean).join(' ');
  return [
    'sandbox allow-scripts allow-forms',
    "default-src 'none'",
    `script-src ${from("'unsafe-inline'", resources)}`,
    `style-src ${from("'unsafe-inline'", resources)}`,
    `img-src ${from('data:', resources)}`,
    `font-src ${from('data:', resources)}`,
    `media-src ${from('data:', resources)}`,
    `connect-src ${connect || "'none'"}`,
    `frame-src ${frames || "'none'"}`,
    "form-action 'none'",
    `base-uri ${bases || "'none'"}`,
    "frame-ancestors 'self'",
  ].join('; ');
}

const textField = (body: unknown, field: string): string => {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof value !== 'string' || value === '')
    throw new ProblemError('invalid-request', `the body's ${field} must be a non-empty string`, {
      errors: [{ field, message: 'must be a non-empty string' }],
    });
  return value;
};

export function appPages(pages: PageRouter, deps: UiDeps): void {
  /** The app's document, or why there is none. */
  const appDocument = async (serverName: string, toolName: string): Promise<{ html: Buffer; csp: string }> => {
    const connection = connectionOf(deps, serverName);
    const tool = connection.tool(toolName);
    if (!tool) throw new ProblemError('tool-not-found', `server "${connection.name}" has no tool named "${toolName}"`);
    const uri = toolUi(tool).resourceUri;
    if (!uri) throw new ProblemError('not-found', `the tool "${tool.name}" has no app (_meta.ui.resourceUri)`);
    let item: ResourceContents | undefined;
    try {
      const result = await readWithin(connection, uri, deps.settings().maxResultBytes);
      // The HTML as text, or base64 in `blob` (the spec allows both).
      item = result.contents.find(
        (candidate) =>
          (typeof candidate.text === 'string' || typeof candidate.blob === 'string') && HTML_TYPE.test(String(candidate.mimeType ?? '')),
      );
    } catch (failure) {
      throw failure instanceof ProblemError ? failure : failureProblem(failure);
    }
    if (!item) throw new ProblemError('not-found', `the read of ${uri} has no HTML (text/html;profile=mcp-app)`);
    const listed = connection.resources().find((resource) => resource.uri === uri)?.definition;
    const html = typeof item.text === 'string' ? Buffer.from(item.text, 'utf8') : Buffer.from(item.blob!, 'base64');
    return { html, csp: appFrameCsp(declaredCsp(item, listed)) };
  };

  pages.get('/ui/apps/{server}/{tool}/frame', 'tools:read', async (req, res: Response) => {
    let answer: { status: number; type: string; body: Buffer; csp: string };
    try {
      const { html, csp } = await appDocument(req.params.server, req.params.tool);
      answer = { status: 200, type: 'text/html', body: html, csp };
    } catch (failure) {
      // Shown in the app's frame (a gateway page may not be framed): the reason as plain text, sandboxed too.
      const problem = failure instanceof ProblemError ? failure.body() : failureProblem(failure).body();
      const text = `The app cannot be shown: ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`;
      answer = { status: problem.status, type: 'text/plain', body: Buffer.from(text, 'utf8'), csp: ERROR_CSP };
    }
    res.statusCode = answer.status;
    res.setHeader('Content-Type', `${answer.type}; charset=utf-8`);
    res.setHeader('Content-Length', answer.body.length);
    res.setHeader('Content-Security-Policy', answer.csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.end(answer.body);
  });

  pages.post('/ui/apps/{server}/call', 'tools:call', async (req: Request, res: Response) => {
    const connection = connectionOf(deps, String(req.params.server));
    const name = textField(req.body, 'name');
    const args: unknown = (req.body as Record<string, unknown>).arguments ?? {};
    // A tool for the model only (`_meta.ui.visibility: ["model"]`) is not there for apps.
    const tool = connection.tool(name);
    if (tool && !toolUi(tool).forApps)
      throw new ProblemError(
        'tool-not-found',
        `server "${connection.name}" has no tool named "${name}" for apps (its visibility is ["model"])`,
      );
    const call = deps.caller.start({
      server: connection.name,
      tool: name,
      args,
      surface: 'app',
      mode: 'sync',
      caller: callerOf(req),
      callerLabel: req.identity?.label,
      requestId: req.id,
    });
    // The app's page went away: the call is cancelled, as a sync call's is when its client leaves.
    const leave = () => call.cancel();
    res.on('close', leave);
    const end = await call.done;
    res.off('close', leave);
    if (end.error) return sendError(req, res, end.error);
    // The result as the server sent it (an `isError` result included): the app reads MCP results.
    sendJson(res, 200, end.result!.json);
  });

  pages.post('/ui/apps/{server}/read', 'tools:read', async (req: Request, res: Response) => {
    const connection = connectionOf(deps, String(req.params.server));
    const uri = textField(req.body, 'uri');
    try {
      const result = await readWithin(connection, uri, deps.settings().maxResultBytes);
      sendJson(res, 200, JSON.stringify(result));
    } catch (failure) {
      throw failure instanceof ProblemError ? failure : failureProblem(failure);
    }
  });
}
