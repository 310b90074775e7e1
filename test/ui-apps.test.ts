// MCP Apps (SEP-1865) in a real browser (Debian's Chromium through playwright-core): the fixture
// app (test/fixtures/app-server.mjs) opened from its tool page renders in a sandboxed iframe, cannot
// reach the gateway's page or cookies, calls its app-only tool through the gateway (the activity log
// says surface `app`), has a javascript: link refused and an https link put to the person first, and
// shows the input and result of a run of the test form. And the MCP Apps example built on
// @modelcontextprotocol/ext-apps (`@modelcontextprotocol/server-basic-vanillajs`, a devDependency) works with our host.
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useBrowser } from './helpers/browser.js';
import { callKit, node } from './helpers/calls.js';
import { fixture } from './helpers/gateway.js';
import { cspProblems, openSession, scriptsReady } from './helpers/ui.js';

const browser = useBrowser();

const kit = callKit();

describe('MCP Apps in a browser', () => {
  it('runs the app sandboxed: no access to the page or its cookies; its calls go through the gateway as surface app', async () => {
    const { app } = await kit.gateway({ apps: { command: node, args: [fixture('app-server.mjs')] } });
    const base = await kit.listen(app);
    const ui = await openSession(browser(), base);
    kit.defer(() => ui.close());
    const { page } = ui;
    await page.goto(`${base}/tools/apps/show`);
    await scriptsReady(page);
    const cookies = await ui.context.cookies();
    expect(cookies.length).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Open app' }).click();
    const frame = page.locator('iframe.app-frame');
    expect(await frame.getAttribute('sandbox')).toBe('allow-scripts allow-forms');
    const app_ = page.frameLocator('iframe.app-frame');
    await expect.poll(() => app_.locator('h1').textContent()).toBe('Demo app');
    // The app's own probes, written into its document.
    expect(await app_.locator('#parent-document').textContent()).toMatch(/^blocked: SecurityError/);
    const cookieProbe = (await app_.locator('#cookie').textContent())!;
    expect(cookieProbe).toMatch(/^blocked: SecurityError|^read: \[\]$/);
    for (const cookie of cookies) expect(cookieProbe).not.toContain(cookie.value);
    // Its call of the app-only tool went through the gateway, and the activity log says so.
    await expect.poll(() => app_.locator('#add').textContent()).toBe('5');
    const items = (await request(app).get('/api/activity').expect(200)).body.items as { tool: string; surface: string }[];
    expect(items.find((item) => item.tool === 'add')?.surface).toBe('app');
    // A javascript: link is refused without asking; an https one is put to the person (declined here).
    await expect.poll(() => app_.locator('#link-https').textContent()).toBe('declined');
    expect(await app_.locator('#link-script').textContent()).toBe('error: only http and https links are opened');
    expect(ui.dialogs).toEqual(['confirm: The app asks to open this link:\n\nhttps://example.com/docs\n\nOpen it?']);

    // A message from any window but the app's frame is ignored (here the page's own, before the run below).
    await page.evaluate(() =>
      window.postMessage({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 1 } } }, '*'),
    );

    // A run of the test form: the app is sent its input and result.
    await page.locator('#tool-form').getByLabel(/text/).fill('hello <b>app</b>');
    await page.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => app_.locator('#result').textContent()).toBe('shown: hello <b>app</b>');
    expect(await app_.locator('#input').textContent()).toBe(JSON.stringify({ text: 'hello <b>app</b>' }));

    expect(ui.requests.filter((r) => r.path === '/ui/apps/apps/call')).toHaveLength(1);
    expect(ui.problems).toEqual([]);
    // The gateway's pages keep the strict policy; the app's document has its own, sandboxed one.
    const [toolPage, ...frames] = ui.documents;
    expect(cspProblems(toolPage!.csp)).toEqual([]);
    expect(frames.map((document) => new URL(document.url).pathname)).toEqual(['/ui/apps/apps/show/frame']);
    expect(frames[0]!.csp).toMatch(/^sandbox allow-scripts allow-forms; default-src 'none'/);
  });

  it('hosts the MCP Apps example app built on @modelcontextprotocol/ext-apps (server-basic-vanillajs)', async () => {
    const example = path.resolve(
      import.meta.dirname,
      '..',
      'node_modules',
      '@modelcontextprotocol',
      'server-basic-vanillajs',
      'dist',
      'index.js',
    );
    const { app } = await kit.gateway({ basic: { command: node, args: [example, '--stdio'] } });
    const base = await kit.listen(app);
    const ui = await openSession(browser(), base);
    kit.defer(() => ui.close());
    const { page } = ui;
    await page.goto(`${base}/tools/basic/get-time`);
    await scriptsReady(page);
    await page.getByRole('button', { name: 'Run' }).click();
    const app_ = page.frameLocator('iframe.app-frame');
    // The app renders the result of the run it was sent (an ISO time), then asks for a new one itself.
    await expect.poll(() => app_.locator('#server-time').textContent()).toMatch(/\d{4}-\d\d-\d\dT/);
    await app_.locator('#get-time-btn').click();
    await expect
      .poll(async () => ((await request(app).get('/api/activity').expect(200)).body.items as { surface: string }[]).map((i) => i.surface))
      .toContain('app');
    expect(ui.problems).toEqual([]);
  });
});
