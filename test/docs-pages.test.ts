// The docs pages in a real browser (Debian's Chromium): Swagger UI renders the documents from the
// gateway's own files under the strict Content-Security-Policy, and "Try it out" calls a tool.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBrowser } from './helpers/browser.js';
import { callKit, node } from './helpers/calls.js';
import { fixture } from './helpers/gateway.js';

const browser = useBrowser();

/** Opens a page that records CSP violations, script errors and requests that leave the gateway. */
async function open(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser().newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  const origin = new URL(url).origin;
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) problems.push(`left the gateway: ${request.url()}`);
  });
  await page.goto(url);
  return { page, problems };
}

describe('docs pages in a browser', () => {
  const kit = callKit();

  it("render a server's tools and call one with Try it out, with no CSP violation", async () => {
    const { app } = await kit.gateway({
      fx: { command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: 'echo,slow' } },
    });
    const base = await kit.listen(app);
    const { page, problems } = await open(`${base}/fx/docs`);

    const echo = page.locator('.opblock', { hasText: '/echo' });
    await echo.locator('.opblock-summary').click();
    await echo.getByRole('button', { name: 'Try it out' }).click();
    await echo.locator('textarea.body-param__text').fill('{"message": "from the docs page"}');
    await echo.getByRole('button', { name: 'Execute' }).click();
    const status = echo.locator('.live-responses-table .response .response-col_status').first();
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toContain('200');
    expect(await echo.locator('.live-responses-table').textContent()).toContain('from the docs page');
    expect(await page.locator('.opblock').count()).toBe(2);
    expect(problems).toEqual([]);
  }, 30_000);

  it('render the aggregated and the management documents', async () => {
    const { app } = await kit.gateway({ fx: { command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: 'echo' } } });
    const base = await kit.listen(app);
    const tools = await open(`${base}/docs`);
    await tools.page.locator('.opblock', { hasText: '/fx/echo' }).waitFor();
    expect(tools.problems).toEqual([]);
    const management = await open(`${base}/api/docs`);
    await management.page.locator('.opblock', { hasText: '/api/servers/{name}/restart' }).waitFor();
    expect(await management.page.locator('.opblock').count()).toBeGreaterThan(20);
    expect(management.problems).toEqual([]);
  }, 30_000);
});
