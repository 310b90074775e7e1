/**
 * Renders the orchestrator's pages with Eta templates from `views/`: `layout.eta`, `pages/`,
 * and `partials/`, where one partial serves both the full page and the htmx swap of its part.
 *
 * Everything from an MCP server is untrusted: every `<%= %>` goes through `escapeHtml`
 * (visible-text.ts: characters that hide or reorder text written out as escapes, then & < > " '),
 * templates never print such values raw (`<%~ %>` only takes other rendered templates), and
 * attributes are always quoted. Two marks for `<%= %>`: `lines(x)` keeps the line breaks of text
 * of several lines, `asIs(x)` leaves a form field's value as it is (HTML-escaped only). Pages go
 * out under a strict Content-Security-Policy: scripts and styles from the gateway itself only, no
 * inline script or style, no eval.
 */
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Eta } from 'eta';
import { PACKAGE_ROOT } from '../package-info.js';
import { hasScope } from '../auth/identity.js';
import { prefixOf, publicOrigin } from '../http/base-path.js';
import { asIs, escapeHtml, lines } from './visible-text.js';
import '../http/request-context.js';

export const VIEWS_DIR = path.join(PACKAGE_ROOT, 'views');

/** Eta, with the marks templates use (`functionHeader` makes them plain names in every template). */
class Views extends Eta {
  readonly marks = { lines, asIs };
}

const eta = new Views({
  views: VIEWS_DIR,
  cache: true,
  autoEscape: true,
  escapeFunction: escapeHtml,
  functionHeader: 'const { lines, asIs } = this.marks;',
  autoTrim: [false, 'nl'],
});

/**
 * The UI's Content-Security-Policy. `data:` images: tools return images as data URLs. Frames: the
 * gateway's own only (an MCP App's sandboxed document, apps-pages.ts).
 */
export const UI_CSP = [
  "default-src 'none'",
  "frame-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "form-action 'self'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * htmx's settings, read from `<meta name="htmx-config">`: no eval (so no `hx-on`, no filters),
 * no script tags from swapped HTML, requests to this origin only, no inline indicator style
 * (the CSP would refuse it), and no page snapshots in local storage (history is re-requested).
 */
const HTMX_CONFIG = JSON.stringify({
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  includeIndicatorStyles: false,
  historyCacheSize: 0,
  refreshOnHistoryMiss: true,
  scrollIntoViewOnBoost: false,
});

export type Section = 'servers' | 'tools' | 'activity' | 'approvals' | 'connect' | 'sign-in' | 'access' | 'pair';

/** What every page's layout needs. */
export interface PageContext {
  /** `<base href>`: the gateway's root as the browser sees it, e.g. `/mcp/`. Every link is relative to it. */
  base: string;
  /** This page's own URL as the browser sees it (for in-page links, which `<base>` would send elsewhere). */
  self: string;
  /** The origin the request came in by (`http://127.0.0.1:8085`): absolute URLs to copy start with it and `base`. */
  origin: string;
  csrf: string;
  /** JSON for `hx-headers`: every htmx request carries the CSRF token. */
  csrfHeaders: string;
  htmxConfig: string;
  section: Section;
  /** Whether a sign-in (rather than no key at all) got the person here: then there is a sign-out. */
  canSignOut: boolean;
  /** Whether the person may manage keys, devices and servers (the Access page, the servers' switches). */
  isAdmin: boolean;
  /** Whether the person may run tools (`tools:call`): else no page shows a Run button. */
  canRun: boolean;
  /** The versions of what the page shows live, which the live stream compares (live-events.ts). */
  liveVersions: string;
  /** The pending approvals for the nav's badge, or null when this identity may not decide (approvals). */
  pendingApprovals: number | null;
}

/** Whether the request's identity may run tools (`tools:call`). */
export function canRun(req: IncomingMessage): boolean {
  return Boolean(req.identity && hasScope(req.identity, 'tools:call'));
}

export function pageContext(req: IncomingMessage, section: Section, csrf = req.session?.csrf ?? ''): PageContext {
  return {
    base: `${prefixOf(req)}/`,
    self: `${prefixOf(req)}${req.url ?? '/'}`,
    origin: publicOrigin(req),
    csrf,
    csrfHeaders: JSON.stringify({ 'X-CSRF-Token': csrf }),
    htmxConfig: HTMX_CONFIG,
    section,
    canSignOut: Boolean(req.session && req.session.caller !== 'anonymous'),
    isAdmin: Boolean(req.identity && hasScope(req.identity, 'admin')),
    canRun: canRun(req),
    liveVersions: req.liveVersions ? req.liveVersions() : '',
    pendingApprovals: req.pendingApprovals ? req.pendingApprovals() : null,
  };
}

/** An htmx request that swaps a part of the page (not a history restore, which needs the whole page). */
export function isSwap(req: IncomingMessage, target?: string): boolean {
  if (!req.headers['hx-request'] || req.headers['hx-history-restore-request']) return false;
  return target === undefined || req.headers['hx-target'] === target;
}

function send(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(html));
  // A page may set a stricter Referrer-Policy, or its own policy (the connect link's, oauth-pages.ts).
  if (!res.hasHeader('Content-Security-Policy')) res.setHeader('Content-Security-Policy', UI_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (!res.hasHeader('Referrer-Policy')) res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
  // Swaps depend on these request headers: caches must not mix a page with its fragment.
  res.setHeader('Vary', 'HX-Request, HX-Target');
  res.end(html);
}

/** Renders `template` (e.g. `pages/servers`) with `data` and the page context as `it.page`. */
export function renderView(template: string, data: Record<string, unknown>, page: PageContext): string {
  return eta.render(template, { ...data, page });
}

/** Sends the rendered view; `Server-Timing: render` says how long the rendering took (the UI benchmark reads it). */
export function sendView(res: ServerResponse, template: string, data: Record<string, unknown>, page: PageContext, status = 200): void {
  const started = performance.now();
  const html = renderView(template, data, page);
  res.setHeader('Server-Timing', `render;dur=${(performance.now() - started).toFixed(2)}`);
  send(res, status, html);
}
