// MCP Apps (SEP-1865) in a real browser (Debian's Chromium through playwright-core): the fixture
// app (test/fixtures/app-server.mjs) opened from its tool page renders in a sandboxed iframe, cannot
// reach the gateway's page or cookies, calls its app-only tool through the gateway (the activity log
// says surface `app`), has a javascript: link refused and an https link put to the person first, and
// shows the input and result of a run of the test form. And the MCP Apps example built on
// @modelcontextprotocol/ext-apps (`@modelcontextprotocol/server-basic-vanillajs`, a devDependency) works with our host.
// The rest of the bridge on a phone-sized screen: the host context of ui/initialize and its changes,
// ui/message and ui/update-model-context shown as text next to the frame, the app's log, size-changed
// (bounded), display modes, tool-cancelled, and ui/resource-teardown before the view closes.
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useBrowser } from './helpers/browser.js';
import { callKit, node } from './helpers/calls.js';
import { fixture } from './helpers/gateway.js';
import { cspProblems, openSession, overflowX, scriptsReady } from './helpers/ui.js';
import { VERSION } from '../server/package-info.js';

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

  /** The fixture app opened from its tool page on a phone-sized screen (dark, German, Berlin time), once it initialized. */
  async function openApp(env: Record<string, string> = {}) {
    const { app } = await kit.gateway({ apps: { command: node, args: [fixture('app-server.mjs')], env } });
    const base = await kit.listen(app);
    const ui = await openSession(browser(), base, {
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
      locale: 'de-DE',
      timezoneId: 'Europe/Berlin',
    });
    kit.defer(() => ui.close());
    const { page } = ui;
    await page.goto(`${base}/tools/apps/show`);
    await scriptsReady(page);
    await page.getByRole('button', { name: 'Open app' }).click();
    const app_ = page.frameLocator('iframe.app-frame');
    const text = (selector: string) => app_.locator(selector).textContent();
    // Its own start (a call, two links) is over.
    await expect.poll(() => text('#link-https')).toBe('declined');
    return { ui, page, app_, text, frame: page.locator('iframe.app-frame'), notes: page.locator('[data-app-note-list] li') };
  }

  it("answers ui/initialize with the gateway's name and version, exactly the capabilities it has, and the page's context", async () => {
    // An app that declares only the inline display mode (and its HTML sent base64, as `blob`).
    const { ui, text, app_ } = await openApp({ APP_CAPABILITIES: '{"availableDisplayModes":["inline"]}', APP_HTML_BLOB: '1' });
    expect(await text('#host')).toBe(`mcp-gateway ${VERSION}`);
    expect(await text('#theme')).toBe('dark');
    // The page's colours as style variables (static/ui.css, dark).
    expect(await text('#text-colour')).toBe('#e6edf1');
    expect(await text('#modes')).toBe('inline of inline,fullscreen');
    expect(await text('#tool-name')).toBe('show');
    expect(await text('#locale')).toBe('de-DE Europe/Berlin web');
    const container = JSON.parse((await text('#container'))!) as { width: number; maxHeight: number };
    expect(container.maxHeight).toBe(4000);
    expect(container.width).toBeGreaterThan(200);
    expect(container.width).toBeLessThanOrEqual(390);
    expect(JSON.parse((await text('#caps'))!)).toEqual({
      openLinks: {},
      downloadFile: {},
      serverTools: {},
      serverResources: {},
      logging: {},
      message: { text: {} },
      updateModelContext: { text: {}, structuredContent: {} },
    });
    // It is never switched to a mode it did not declare: the answer is the mode it stays in.
    await app_.locator('#fullscreen').click();
    await expect.poll(() => text('#mode')).toBe('inline');
    expect(await text('#answer')).toBe('{"mode":"inline"}');
    expect(ui.problems).toEqual([]);
  });

  it("shows the app's ui/message, ui/update-model-context and log next to the frame, as text", async () => {
    const { ui, page, app_, text, notes } = await openApp();
    // ui/message: listed as text (markup and a bidi override made visible), answered {}.
    await app_.locator('#send-message').click();
    await expect.poll(() => text('#answer')).toBe('{}');
    await expect.poll(() => notes.count()).toBe(1);
    expect(await notes.first().locator('.badge').textContent()).toBe('message');
    expect(await notes.first().locator('pre').textContent()).toBe('Hello <b>host</b> \\u202Egnp.exe');
    expect(await page.locator('.app-notes b').count()).toBe(0);
    // One block alone (as in the spec's example) is taken too.
    await app_.locator('#send-one').click();
    await expect.poll(() => notes.count()).toBe(2);
    expect(await notes.first().locator('pre').textContent()).toBe('one block');
    // A block of a kind the host did not declare is refused with a clear error, and nothing is shown.
    await app_.locator('#send-image').click();
    await expect.poll(() => text('#answer')).toBe('error: the gateway shows text content only; content[0] is of type "image"');
    expect(await notes.count()).toBe(2);
    // ui/update-model-context: the latest context, its text and its structured content.
    await app_.locator('#set-context').click();
    await expect.poll(() => page.locator('[data-app-context-text]').textContent()).toBe('Selected: <i>row 3</i>\n\n{\n  "row": 3\n}');
    expect(await text('#answer')).toBe('{}');
    // The app's log (notifications/message), with its level and logger.
    await app_.locator('#log').click();
    await expect.poll(() => notes.first().locator('.badge').textContent()).toBe('log warning');
    expect(await notes.first().locator('pre').textContent()).toBe('demo: {"note":"log <entry>"}');
    expect(ui.problems).toEqual([]);
  });

  it('downloads the files an app offers (embedded, or read from its server) only after the person confirms', async () => {
    const { ui, page, app_, text } = await openApp();
    // Declined (the session dismisses every dialog): nothing is saved, the app is told.
    await app_.locator('#download').click();
    await expect.poll(() => text('#answer')).toBe('{"isError":true}');
    expect(ui.dialogs.at(-1)).toBe('confirm: The app asks to download:\n\nreport.csv (7 bytes)\n\nDownload?');
    // Confirmed: the embedded file as it was sent; the link read from the app's server.
    await page.evaluate(() => {
      window.confirm = () => true;
      // The types of the blobs saved: never what the app says (an HTML blob: URL would have the gateway's origin).
      const create = URL.createObjectURL.bind(URL);
      const types: string[] = [];
      (window as unknown as { savedTypes: string[] }).savedTypes = types;
      URL.createObjectURL = (blob: Blob) => {
        types.push(blob.type);
        return create(blob);
      };
    });
    const contentOf = async (button: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), app_.locator(button).click()]);
      const chunks: Buffer[] = [];
      for await (const chunk of (await download.createReadStream())!) chunks.push(chunk as Buffer);
      return { name: download.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
    };
    expect(await contentOf('#download')).toEqual({ name: 'report.csv', text: 'a,b\n1,2' });
    await expect.poll(() => text('#answer')).toBe('{}');
    const linked = await contentOf('#download-link');
    expect(linked.name).toBe('app.html');
    expect(linked.text).toContain('<h1>Demo app</h1>');
    expect(await page.evaluate(() => (window as unknown as { savedTypes: string[] }).savedTypes)).toEqual([
      'application/octet-stream',
      'application/octet-stream',
    ]);
    expect(ui.problems).toEqual([]);
  });

  it('resizes within bounds at 390 px, tells the app of context changes, goes full screen, cancels and tears down', async () => {
    const { ui, page, app_, text, frame, notes } = await openApp();
    // size-changed: the height as asked, within bounds; the width stays the container's (no overflow at 390 px).
    await app_.locator('#size-480').click();
    await expect.poll(() => frame.evaluate((element) => element.getBoundingClientRect().height)).toBe(480);
    await app_.locator('#size-huge').click();
    await expect.poll(() => frame.evaluate((element: HTMLElement) => element.style.height)).toBe('4000px');
    expect(await overflowX(page)).toBe(0);
    expect((await frame.boundingBox())!.width).toBeLessThanOrEqual(390);

    // The page's theme changes: host-context-changed says so.
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(() => text('#changes')).toContain('{"theme":"light","styles":{"variables":{');
    expect(await text('#changes')).toContain('"--color-text-primary":"#14212b"');
    // Full screen: the frame fills the window; pip is not offered (the answer keeps the mode); back inline.
    await app_.locator('#fullscreen').click();
    await expect.poll(() => text('#mode')).toBe('fullscreen');
    await expect.poll(() => text('#changes')).toContain('"displayMode":"fullscreen"');
    const box = (await frame.boundingBox())!;
    expect(box.height).toBeGreaterThan(700);
    expect(box.width).toBeLessThanOrEqual(390);
    await app_.locator('#pip').click();
    await expect.poll(() => text('#answer')).toBe('{"mode":"fullscreen"}');
    await page.getByRole('button', { name: 'Exit full screen' }).click();
    await expect.poll(() => text('#changes')).toContain('"displayMode":"inline"');
    await expect.poll(async () => (await frame.boundingBox())!.height).toBe(4000);
    // Escape on the page goes back too.
    await app_.locator('#fullscreen').click();
    await expect.poll(async () => (await frame.boundingBox())!.height).toBeLessThan(844);
    await page.getByRole('button', { name: 'Exit full screen' }).focus();
    await page.keyboard.press('Escape');
    await expect.poll(async () => (await frame.boundingBox())!.height).toBe(4000);
    expect(await page.getByRole('button', { name: 'Exit full screen' }).isHidden()).toBe(true);

    // A run that ends without a result: the app is sent its input, then tool-cancelled with the reason.
    await page.locator('#tool-form').getByLabel(/text/).fill('wait');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => text('#result')).toMatch(/^cancelled: \S/);
    expect(await text('#input')).toBe('{"text":"wait"}');

    // The app asks to be closed: it is sent ui/resource-teardown (it logs, then answers), then its frame goes.
    await app_.locator('#close').click();
    await expect.poll(() => frame.count()).toBe(0);
    expect(await notes.first().locator('pre').textContent()).toBe('torn down: the app asked to close');
    // Opened again and closed by the person: the same.
    await page.getByRole('button', { name: 'Open app' }).click();
    await expect.poll(() => text('#add')).toBe('5');
    await page.getByRole('button', { name: 'Close app' }).click();
    await expect.poll(() => frame.count()).toBe(0);
    expect(await notes.first().locator('pre').textContent()).toBe('torn down: the person closed the app');
    // Leaving the page (its pagehide) tells the app too, without waiting for it.
    await page.getByRole('button', { name: 'Open app' }).click();
    await expect.poll(() => text('#add')).toBe('5');
    await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide')));
    await expect.poll(() => notes.first().locator('pre').textContent()).toBe('torn down: the page was left');
    expect(ui.problems).toEqual([]);
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
    const ui = await openSession(browser(), base, { colorScheme: 'dark' });
    kit.defer(() => ui.close());
    const { page } = ui;
    const logged: string[] = [];
    page.on('console', (message) => logged.push(message.text()));
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
    // Its "Send Message" (ui/message) and "Send Log" (notifications/message) show next to the frame.
    await app_.locator('#send-message-btn').click();
    const notes = page.locator('[data-app-note-list] li');
    await expect.poll(() => notes.first().locator('pre').textContent()).toBe('This is message text.');
    await app_.locator('#send-log-btn').click();
    await expect.poll(() => notes.first().locator('pre').textContent()).toBe('This is log text.');
    expect(await notes.first().locator('.badge').textContent()).toBe('log info');
    // It takes the page's theme and colours from the host context, and follows a change of theme.
    const theme = () => app_.locator('html').getAttribute('data-theme');
    const textColour = () => app_.locator('html').evaluate((html) => html.style.getPropertyValue('--color-text-primary'));
    expect(await theme()).toBe('dark');
    expect(await textColour()).toBe('#e6edf1');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(theme).toBe('light');
    expect(await textColour()).toBe('#14212b');
    // "Close app": the app is asked to tear down (its handler runs) before its frame goes.
    await page.getByRole('button', { name: 'Close app' }).click();
    await expect.poll(() => page.locator('iframe.app-frame').count()).toBe(0);
    expect(logged).toContain('App is being torn down');
    expect(ui.problems).toEqual([]);
  });
});
