/** Browser helpers for the orchestrator UI tests: a page that records everything that could go wrong. */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';

/** Where screenshots go (ignored by git). */
export const ARTIFACTS_DIR = path.resolve(import.meta.dirname, '..', '..', 'test-artifacts', 'ui');

export interface RecordedRequest {
  method: string;
  url: string;
  /** The path (with the query) for requests to the gateway's origin. */
  path: string;
  /** Request headers (lower-case names). */
  headers: Record<string, string>;
  resourceType: string;
}

export interface UiSession {
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors and requests that leave the gateway's origin. */
  problems: string[];
  /** Messages of dialogs (alert, confirm, prompt) that opened; each is dismissed. */
  dialogs: string[];
  /** Every request the page made, in order. */
  requests: RecordedRequest[];
  /** Each document (page) the browser loaded, with its `Content-Security-Policy` header; redirects left out. */
  documents: { url: string; status: number; csp: string | undefined }[];
  /** Marks the current document; `stillSameDocument()` then tells whether no full load happened since. */
  markDocument(): Promise<void>;
  stillSameDocument(): Promise<boolean>;
  close(): Promise<void>;
}

/** A fresh context (own cookies) and page on `origin`, recording problems, dialogs and requests. */
export async function openSession(browser: Browser, origin: string, options: BrowserContextOptions = {}): Promise<UiSession> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const problems: string[] = [];
  const dialogs: string[] = [];
  const requests: RecordedRequest[] = [];
  const documents: UiSession['documents'] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
  page.on('request', (request) => {
    const url = request.url();
    const local = url.startsWith(`${origin}/`);
    if (!local && !url.startsWith('data:')) problems.push(`left the gateway: ${url}`);
    const parsed = local ? new URL(url) : undefined;
    requests.push({
      method: request.method(),
      url,
      path: parsed ? parsed.pathname + parsed.search : url,
      headers: request.headers(),
      resourceType: request.resourceType(),
    });
  });
  page.on('response', (response) => {
    // Redirects (a 303 to the sign-in page) are not pages: only documents that render count.
    if (response.request().resourceType() === 'document' && (response.status() < 300 || response.status() >= 400)) {
      documents.push({ url: response.url(), status: response.status(), csp: response.headers()['content-security-policy'] });
    }
  });
  return {
    context,
    page,
    problems,
    dialogs,
    requests,
    documents,
    async markDocument() {
      await page.evaluate(() => {
        (window as unknown as { __uiTestMark: boolean }).__uiTestMark = true;
      });
    },
    stillSameDocument() {
      return page.evaluate(() => (window as unknown as { __uiTestMark?: boolean }).__uiTestMark === true);
    },
    close: () => context.close(),
  };
}

/** Waits until htmx and the page script ran (the script marks `<html class="js">`, htmx defines `window.htmx`). */
export async function scriptsReady(page: Page): Promise<void> {
  await page.waitForFunction(() => document.documentElement.classList.contains('js') && 'htmx' in window);
}

/** Waits until the page's live stream is open (static/ui.js sets `data-live="stream"`). */
export async function streamOpen(page: Page): Promise<void> {
  await page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'stream');
}

/** Saves a full-page screenshot as `test-artifacts/ui/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** How much wider than the viewport the document is (0 when it fits). */
export function overflowX(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** Asserts the strict UI Content-Security-Policy: scripts from the gateway only, nothing inline, no eval. */
export function cspProblems(csp: string | undefined): string[] {
  if (!csp) return ['no Content-Security-Policy header'];
  const problems: string[] = [];
  const directives = new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map((words) => [words[0]!.toLowerCase(), words.slice(1)] as const),
  );
  const scriptSrc = directives.get('script-src') ?? directives.get('default-src');
  if (!scriptSrc) problems.push('no script-src');
  else if (scriptSrc.join(' ') !== "'self'") problems.push(`script-src is "${scriptSrc.join(' ')}", not 'self'`);
  if (/unsafe-inline/.test(csp)) problems.push("'unsafe-inline' present");
  if (/unsafe-eval/.test(csp)) problems.push("'unsafe-eval' present");
  if (!directives.has('default-src')) problems.push('no default-src');
  return problems;
}
