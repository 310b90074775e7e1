// A server's resources and prompts pages in a real browser (Debian's Chromium through
// playwright-core), on a 390 px phone screen under a path prefix: server-everything's
// `completable-prompt` filled from the completion suggestions and its messages shown; a text
// resource and images (PNG and a scripted SVG) previewed; hostile names shown as text; the
// "changed" notice when the server changes under an open page. Screenshots in test-artifacts/ui/.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBrowser } from './helpers/browser.js';
import { callKit, node } from './helpers/calls.js';
import { EVERYTHING_BIN, fixture, waitForServer } from './helpers/gateway.js';
import { XSS } from './helpers/hostile.js';
import { cspProblems, openSession, overflowX, screenshot, scriptsReady, streamOpen, type UiSession } from './helpers/ui.js';

const browser = useBrowser();

const kit = callKit();
const servers = {
  e: { command: node, args: [EVERYTHING_BIN] },
  h: { command: node, args: [fixture('hostile-resources-server.mjs')], env: { HOSTILE_PAYLOADS: JSON.stringify(XSS) } },
};
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

async function phone(origin: string): Promise<UiSession> {
  const ui = await openSession(browser(), origin, PHONE);
  kit.defer(() => ui.close());
  return ui;
}

async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await scriptsReady(page);
}

/** Waits until a `<datalist>` offers exactly `values` (a suggestion request answers after 250 ms of quiet). */
async function suggested(page: Page, listId: string, values: string[]): Promise<void> {
  await page.waitForFunction(
    ([id, wanted]) => JSON.stringify(Array.from(document.getElementById(id)?.querySelectorAll('option') ?? [], (o) => o.value)) === wanted,
    [listId, JSON.stringify(values)] as const,
  );
}

function expectClean(ui: UiSession, ignore: RegExp[] = []): void {
  expect(ui.problems.filter((problem) => !ignore.some((known) => known.test(problem)))).toEqual([]);
  expect(ui.dialogs).toEqual([]);
  for (const document of ui.documents)
    expect({ url: document.url, problems: cspProblems(document.csp) }).toEqual({ url: document.url, problems: [] });
}

describe('resources and prompts pages in a browser', () => {
  it('prompts: completable-prompt filled from the suggestions (the first argument as context), its messages shown; 390 px wide', async () => {
    const { app } = await kit.gateway(servers, { basePath: '/mcp' });
    const base = `${await kit.listen(app)}/mcp`;
    const ui = await phone(new URL(base).origin);
    const { page } = ui;
    await visit(page, `${base}/`);
    await page.locator('[data-server="e"]').getByRole('link', { name: /^\d+$/ }).last().click();
    await page.waitForURL(`${base}/servers/e/prompts`);
    await scriptsReady(page);
    const prompt = page.locator('section.prompt', { hasText: 'completable-prompt' });
    const department = prompt.getByLabel(/department/);
    const name = prompt.getByLabel(/^name/);
    const departmentList = (await department.getAttribute('list'))!;
    const nameList = (await name.getAttribute('list'))!;
    await department.focus();
    await suggested(page, departmentList, ['Engineering', 'Sales', 'Marketing', 'Support']);
    await department.pressSequentially('E');
    await suggested(page, departmentList, ['Engineering']);
    await department.fill('Engineering');
    // The name's suggestions depend on the department chosen.
    await name.focus();
    await suggested(page, nameList, ['Alice', 'Bob', 'Charlie']);
    await name.pressSequentially('B');
    await suggested(page, nameList, ['Bob']);
    await name.fill('Bob');
    // What was typed went in the requests' bodies, never in a URL.
    const asked = ui.requests.filter((r) => r.path.includes('/complete?'));
    expect(asked.length).toBeGreaterThan(3);
    for (const r of asked)
      expect({ method: r.method, path: r.path }).toEqual({
        method: 'POST',
        path: expect.not.stringMatching(/Engineering|a\.department|=E\b|=B\b/),
      });
    await prompt.getByRole('button', { name: 'Get' }).click();
    await expect
      .poll(() => prompt.locator('.prompt-messages').textContent())
      .toContain('Please promote Bob to the head of the Engineering team.');
    expect(await overflowX(page)).toBe(0);
    await prompt.scrollIntoViewIfNeeded();
    await screenshot(page, 'prompts-390');
    // A missing required argument is shown in the form.
    await name.fill('');
    await prompt.getByRole('button', { name: 'Get' }).click();
    await expect.poll(() => prompt.locator('.prompt-messages').textContent()).toContain('is required');
    expect(await overflowX(page)).toBe(0);
    // The form's 422 (the missing argument) is the only failed request.
    expectClean(ui, [/status of 422/]);
  }, 60_000);

  it('resources: a text resource, a PNG and a scripted SVG previewed, hostile names as text, the raw bytes sandboxed; 390 px wide', async () => {
    const { app } = await kit.gateway(servers, { basePath: '/mcp' });
    const base = `${await kit.listen(app)}/mcp`;
    const ui = await phone(new URL(base).origin);
    const { page } = ui;
    await visit(page, `${base}/servers/e/resources`);
    expect(await overflowX(page)).toBe(0);
    await screenshot(page, 'resources-390');
    const textLink = page.locator('li.resource', { hasText: 'features.md' }).getByRole('link');
    await textLink.click();
    await page.waitForURL(/\/mcp\/servers\/e\/resource\?uri=/);
    await expect.poll(() => page.locator('pre.result').first().textContent()).not.toBe('');
    // A template filled in.
    await visit(page, `${base}/servers/e/resources`);
    const template = page.locator('form.resource-template', { hasText: '/text/{resourceId}' });
    const resourceId = template.getByLabel('resourceId');
    await resourceId.pressSequentially('7');
    await suggested(page, (await resourceId.getAttribute('list'))!, ['7']);
    await template.getByRole('button', { name: 'Read' }).click();
    await page.waitForURL(/template=/);
    expect(await page.locator('.resource-uri code').first().textContent()).toBe('demo://resource/dynamic/text/7');
    expect(await page.locator('pre.result').count()).toBe(1);

    await visit(page, `${base}/servers/h/resources`);
    expect(await page.locator('li.resource', { hasText: 'javascript:alert(1)' }).locator('h3').textContent()).toBe(XSS.img);
    for (const file of ['pixel.png', 'image.svg']) {
      await visit(page, `${base}/servers/h/resource?uri=${encodeURIComponent(`hostile://${file}`)}`);
      const image = page.locator('img.result-image');
      await page.waitForFunction(() => {
        const img = document.querySelector('img.result-image') as HTMLImageElement | null;
        return img?.complete && img.naturalWidth > 0;
      });
      expect(await image.getAttribute('src')).toContain('ui/servers/h/resource/raw?uri=');
      if (file === 'pixel.png') await screenshot(page, 'resource-image-390');
    }
    // The page's own HTML never carries the SVG; opened on its own it runs nothing.
    expect(await page.content()).not.toContain('<svg');
    expect(await overflowX(page)).toBe(0);
    expectClean(ui);
    expect(ui.dialogs).toEqual([]);
  }, 60_000);

  it('an open resources page tells when its server changes, over the live stream', async () => {
    const { app, supervisor } = await kit.gateway(servers);
    const base = await kit.listen(app);
    const ui = await phone(new URL(base).origin);
    const { page } = ui;
    await visit(page, `${base}/servers/h/resources`);
    await streamOpen(page);
    expect(await page.locator('#lists-status .note').count()).toBe(0);
    await supervisor.setEnabled('h', false);
    await waitForServer(supervisor, 'h', 'disabled');
    await page.locator('#lists-status .note').waitFor();
    expect(await page.locator('#lists-status .note').textContent()).toContain('it is disabled now');
    // The list itself stays as it was.
    expect(await page.locator('li.resource').count()).toBe(9);
    expectClean(ui);
  }, 60_000);
});
