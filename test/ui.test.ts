// The orchestrator UI in a real browser (Debian's Chromium through playwright-core), against real
// gateways and real MCP servers: live server states over the event stream, the tool search, the
// generated test form, the activity log, live progress, hostile server metadata, the security
// headers, phone layouts (screenshots in test-artifacts/ui/), a path prefix, and the sign-in.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useBrowser } from './helpers/browser.js';
import { callKit, node } from './helpers/calls.js';
import { EVERYTHING_BIN, fixture, tempDir, waitForServer } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { XSS } from './helpers/hostile.js';
import { cspProblems, openSession, overflowX, screenshot, scriptsReady, streamOpen, type UiSession } from './helpers/ui.js';

const DEMO_SERVER = path.resolve(import.meta.dirname, '..', 'dist', 'server', 'demo', 'demo-server.js');

const browser = useBrowser();

const kit = callKit();

/** The configurable fixture server with these tools. */
const fx = (tools: string) => ({ command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: tools } });
const demo = () => ({ command: node, args: [DEMO_SERVER] });
const everything = () => ({ command: node, args: [EVERYTHING_BIN] });
const hostile = () => ({ command: node, args: [fixture('hostile-server.mjs')], env: { HOSTILE_PAYLOADS: JSON.stringify(XSS) } });

/** schema-server.mjs serving `tools` (it answers every call with the arguments it received, as JSON). */
function schemaServer(tools: object[]) {
  const file = path.join(tempDir('mcp-gateway-ui-'), 'tools.json');
  fs.writeFileSync(file, JSON.stringify(tools));
  return { command: node, args: [fixture('schema-server.mjs')], env: { FIXTURE_TOOLS_FILE: file } };
}

/** A tool with a nested object, an enum, an array of objects, a boolean and a number. */
const CONFIGURE = {
  name: 'configure',
  title: 'Configure a job',
  description: 'Echoes its arguments.',
  inputSchema: {
    type: 'object',
    properties: {
      name: { type: 'string', description: 'Job name' },
      mode: { type: 'string', enum: ['fast', 'safe', 'thorough'], description: 'How to run' },
      count: { type: 'number', description: 'How many' },
      verbose: { type: 'boolean' },
      target: {
        type: 'object',
        description: 'Where to send it',
        properties: { host: { type: 'string' }, port: { type: 'integer', minimum: 1, maximum: 65535 } },
        required: ['host'],
      },
      steps: {
        type: 'array',
        items: { type: 'object', properties: { label: { type: 'string' }, weight: { type: 'number' } }, required: ['label'] },
      },
    },
    required: ['name', 'mode'],
  },
};
const CONFIGURE_ARGS = {
  name: 'nightly',
  mode: 'safe',
  count: 2.5,
  verbose: true,
  target: { host: 'example.org', port: 8080 },
  steps: [
    { label: 'first', weight: 1 },
    { label: 'last', weight: 0.5 },
  ],
};

/** A browser session on `base`, closed after the test (before the gateway stops). */
async function session(base: string, options: Parameters<typeof openSession>[2] = {}): Promise<UiSession> {
  const ui = await openSession(browser(), new URL(base).origin, options);
  kit.defer(() => ui.close());
  return ui;
}

/** Opens `url` and waits until htmx and the page's script are running. */
async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await scriptsReady(page);
}

/** No script error, no console error, no dialog, no request off the gateway, and every page under the strict CSP. */
function expectClean(ui: UiSession, ignore: RegExp[] = []): void {
  expect(ui.problems.filter((problem) => !ignore.some((known) => known.test(problem)))).toEqual([]);
  expect(ui.dialogs).toEqual([]);
  expect(ui.documents.length).toBeGreaterThan(0);
  for (const document of ui.documents)
    expect({ url: document.url, problems: cspProblems(document.csp) }).toEqual({ url: document.url, problems: [] });
}

/** Calls a tool through the management API; resolves with the activity id. */
async function callApi(base: string, server: string, tool: string, args: object, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${base}/api/tools/${server}/${tool}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(args),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { id: string };
  return body.id;
}

/** The finished call shown in `#call-result`, once there is one. */
async function finishedCall(page: Page, timeout = 15_000) {
  const call = page.locator('#call-result .call.done');
  await call.waitFor({ timeout });
  return call;
}

/** Fills the CONFIGURE form with CONFIGURE_ARGS (three rows added, the middle one removed again). */
async function fillConfigureForm(page: Page): Promise<void> {
  const form = page.locator('#tool-form');
  await form.locator('[name="a/name"]').fill('nightly');
  await form.locator('select[name="a/mode"]').selectOption({ label: 'safe' });
  await form.locator('[name="a/count"]').fill('2.5');
  await form.locator('input[type=checkbox][name="a/verbose"]').check();
  await form.locator('[name="a/target/host"]').fill('example.org');
  await form.locator('[name="a/target/port"]').fill('8080');
  const steps = form.locator('fieldset[data-array]', { has: page.locator('legend', { hasText: 'steps' }) });
  const rows = steps.locator(':scope > .rows > .row');
  for (let i = 0; i < 3; i++) await steps.locator(':scope > [data-add-row]').click();
  expect(await rows.count()).toBe(3);
  const values = [
    ['first', '1'],
    ['middle', '7'],
    ['last', '0.5'],
  ];
  for (const [i, [label, weight]] of values.entries()) {
    await rows.nth(i).locator('[name="a/steps/~i/label"]').fill(label!);
    await rows.nth(i).locator('[name="a/steps/~i/weight"]').fill(weight!);
  }
  await rows.nth(1).locator('[data-remove-row]').click();
  expect(await rows.count()).toBe(2);
}

/** Asserts that the form shows CONFIGURE_ARGS. */
async function expectConfigureForm(page: Page): Promise<void> {
  const form = page.locator('#tool-form');
  expect(await form.locator('[name="a/name"]').inputValue()).toBe('nightly');
  expect(await form.locator('select[name="a/mode"] option:checked').textContent()).toBe('safe');
  expect(await form.locator('[name="a/count"]').inputValue()).toBe('2.5');
  expect(await form.locator('input[type=checkbox][name="a/verbose"]').isChecked()).toBe(true);
  expect(await form.locator('[name="a/target/host"]').inputValue()).toBe('example.org');
  expect(await form.locator('[name="a/target/port"]').inputValue()).toBe('8080');
  const rows = form.locator('fieldset[data-array] > .rows > .row');
  expect(await rows.count()).toBe(2);
  expect(await rows.nth(0).locator('[name="a/steps/~i/label"]').inputValue()).toBe('first');
  expect(await rows.nth(0).locator('[name="a/steps/~i/weight"]').inputValue()).toBe('1');
  expect(await rows.nth(1).locator('[name="a/steps/~i/label"]').inputValue()).toBe('last');
  expect(await rows.nth(1).locator('[name="a/steps/~i/weight"]').inputValue()).toBe('0.5');
}

describe('orchestrator UI in a browser', () => {
  it('servers: the switch disables and re-enables a server live, and a REST change appears over the event stream', async () => {
    const { app, supervisor } = await kit.gateway({ fx: fx('echo'), other: fx('echo') });
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;
    await visit(page, `${base}/`);
    await streamOpen(page);
    await ui.markDocument();

    const card = page.locator('article.server[data-server="fx"]');
    const badge = card.locator('.badge[data-state]');
    const toggle = card.locator('button.switch[role=switch]');
    expect(await badge.getAttribute('data-state')).toBe('ready');
    expect(await toggle.getAttribute('aria-checked')).toBe('true');

    // The switch's own answer is awaited: under load the live stream can show "disabled" first, and
    // a late answer to this click must not be taken for the answer to the next one.
    const disabled = page.waitForResponse((response) => response.url().endsWith('/ui/servers/fx/enabled'));
    await toggle.click();
    expect(await (await disabled).text()).toContain('data-state="disabled"');
    await expect.poll(() => badge.getAttribute('data-state')).toBe('disabled');
    expect(await toggle.getAttribute('aria-checked')).toBe('false');
    expect(supervisor.status('fx')?.enabled).toBe(false);
    // Disabled: no restart button.
    expect(await card.getByRole('button', { name: 'Restart' }).count()).toBe(0);

    // The answer to the switch says "starting"; only the live stream can bring "ready" afterwards.
    const answer = page.waitForResponse((response) => response.url().endsWith('/ui/servers/fx/enabled'));
    await toggle.click();
    expect(await (await answer).text()).toContain('data-state="starting"');
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');
    expect(await toggle.getAttribute('aria-checked')).toBe('true');

    // Restart: the restart count goes up and the server comes back.
    await card.getByRole('button', { name: 'Restart' }).click();
    await expect.poll(() => card.locator('dt:text-is("Restarts") + dd').textContent(), { timeout: 15_000 }).toBe('1');
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');

    // A change made elsewhere (the REST API) shows up without a reload, through the event stream:
    // the card alone is fetched again (the polling fallback would re-fetch the whole list instead).
    const before = ui.requests.length;
    const patched = await fetch(`${base}/api/servers/fx`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: '{"enabled":false}',
    });
    expect(patched.status).toBe(200);
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 2_500 }).toBe('disabled');
    expect(await page.evaluate(() => document.documentElement.getAttribute('data-live'))).toBe('stream');
    const after = ui.requests.slice(before).map((request) => `${request.method} ${request.path}`);
    expect(after).toContain('GET /ui/servers/fx');
    expect(after).not.toContain('GET /ui/servers');
    // The other server's card was not touched.
    expect(await page.locator('article.server[data-server="other"] .badge').getAttribute('data-state')).toBe('ready');

    expect(await ui.stillSameDocument()).toBe(true);
    expect(ui.requests.filter((request) => request.resourceType === 'document')).toHaveLength(1);
    expectClean(ui);
  }, 45_000);

  // The summary ("2 servers, 2 ready", an aria-live region) comes out of band with every single-card answer.
  it('servers: the summary count follows live changes', async () => {
    const { app } = await kit.gateway({ fx: fx('echo'), other: fx('echo') });
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;
    await visit(page, `${base}/`);
    await streamOpen(page);
    const summary = page.locator('#servers .summary');
    expect(await summary.textContent()).toBe('2 servers, 2 ready');
    await page.locator('article.server[data-server="fx"] button.switch').click();
    await expect.poll(() => page.locator('article.server[data-server="fx"] .badge').getAttribute('data-state')).toBe('disabled');
    await expect.poll(() => summary.textContent(), { timeout: 3_000 }).toBe('2 servers, 1 ready');
  }, 30_000);

  it('tools: the search narrows the list as one types and puts the query in the URL', async () => {
    const { app } = await kit.gateway({ everything: everything(), fx: fx('echo,slow') });
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;
    await visit(page, `${base}/tools`);
    await ui.markDocument();

    const names = () => page.locator('#tool-results .tool-list .tool-name').allTextContents();
    const all = await names();
    expect(all).toEqual(expect.arrayContaining(['echo', 'get-sum', 'trigger-long-running-operation', 'slow']));
    expect(await page.locator('#tool-results .tool-group h2').allTextContents()).toEqual(['everything', 'fx']);

    await page.locator('input[name=q]').pressSequentially('sum');
    await expect.poll(names).toEqual(['get-sum']);
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('sum');

    // Every word must match: "long running" finds the long-running operation only.
    await page.locator('input[name=q]').fill('');
    await page.locator('input[name=q]').pressSequentially('long running');
    await expect.poll(names).toEqual(['trigger-long-running-operation']);
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('long running');

    // The server filter: "echo" exists on both servers, one server keeps one.
    await page.locator('input[name=q]').fill('echo');
    await expect.poll(async () => (await names()).filter((name) => name === 'echo').length).toBe(2);
    await page.locator('select[name=server]').selectOption('fx');
    await expect.poll(names).toEqual(['echo']);
    await expect.poll(() => new URL(page.url()).searchParams.get('server')).toBe('fx');
    expect(await page.locator('#tool-results .tool-group h2').allTextContents()).toEqual(['fx']);

    // Nothing matches.
    await page.locator('input[name=q]').fill('no-such-tool-anywhere');
    await expect.poll(() => page.locator('#tool-results .summary').textContent()).toContain('No tools match');

    expect(await ui.stillSameDocument()).toBe(true);
    // Back: the previous search (echo on fx) comes back, in the URL, the list and the fields.
    await page.goBack();
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('echo');
    expect(new URL(page.url()).searchParams.get('server')).toBe('fx');
    await expect.poll(names).toEqual(['echo']);
    await expect.poll(() => page.locator('input[name=q]').inputValue()).toBe('echo');
    expect(await page.locator('select[name=server]').inputValue()).toBe('fx');
    // The pushed URL is a real page: loading it shows the same search.
    await visit(page, `${base}/tools?q=sum`);
    expect(await names()).toEqual(['get-sum']);
    expect(await page.locator('input[name=q]').inputValue()).toBe('sum');
    expectClean(ui);
  }, 45_000);

  it('test form: nested object, enum, array of objects, boolean and number reach the server exactly; Form→JSON keeps the values', async () => {
    const { app } = await kit.gateway({ schema: schemaServer([CONFIGURE]) });
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;
    await visit(page, `${base}/tools/schema/configure`);

    expect(await page.locator('h1').textContent()).toBe('Configure a job');
    // The schema tree: nested properties, their types and the enum.
    const schema = page.locator('details.schema');
    await schema.locator(':scope > summary').click();
    for (const closed of await schema.locator('details:not([open]) > summary').all()) await closed.click();
    const tree = await schema.innerText();
    for (const text of [
      'target',
      'host',
      'port',
      'steps',
      '[item]',
      'label',
      'weight',
      'one of: "fast", "safe", "thorough"',
      'maximum: 65535',
    ])
      expect(tree).toContain(text);

    // The generated form: an enum is a select, a boolean a checkbox, the array starts empty.
    expect(await page.locator('select[name="a/mode"] option').allTextContents()).toEqual(['fast', 'safe', 'thorough']);
    expect(await page.locator('input[type=number][name="a/count"]').count()).toBe(1);
    expect(await page.locator('fieldset[data-array] > .rows > .row').count()).toBe(0);

    await fillConfigureForm(page);
    await page.getByRole('button', { name: 'Run' }).click();
    const call = await finishedCall(page);
    expect(await call.getAttribute('data-outcome')).toBe('ok');
    const received = JSON.parse((await call.locator('pre.result.json').textContent()) ?? '');
    expect(received).toEqual({ tool: 'configure', arguments: CONFIGURE_ARGS });
    // Copy as curl: the same arguments.
    await call.locator('details.curl summary').click();
    const curl = (await call.locator('details.curl pre').textContent()) ?? '';
    expect(curl).toContain(`${base}/api/tools/schema/configure`);
    expect(JSON.parse(/--data-raw '(.*)'$/s.exec(curl)![1]!)).toEqual(CONFIGURE_ARGS);
    await ui.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await call.locator('details.curl [data-copy]').click();
    await expect.poll(() => call.locator('details.curl [data-copy]').textContent()).toBe('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(curl);

    // Form → JSON: the same values, as JSON.
    await page.locator('.editor-switch button[value=json]').click();
    const json = page.locator('textarea[name=_json]');
    await json.waitFor();
    expect(JSON.parse(await json.inputValue())).toEqual(CONFIGURE_ARGS);
    expect(await page.locator('.editor-switch button[value=json]').getAttribute('aria-pressed')).toBe('true');

    // Edited as JSON and run from there.
    await json.fill(JSON.stringify({ ...CONFIGURE_ARGS, name: 'from json', steps: [{ label: 'only' }] }));
    await page.getByRole('button', { name: 'Run' }).click();
    await expect
      .poll(async () => JSON.parse((await page.locator('#call-result .call.done pre.result.json').textContent()) ?? 'null'))
      .toEqual({ tool: 'configure', arguments: { ...CONFIGURE_ARGS, name: 'from json', steps: [{ label: 'only' }] } });

    // … and back to the form, which takes the JSON over.
    await json.fill(JSON.stringify(CONFIGURE_ARGS));
    await page.locator('.editor-switch button[value=form]').click();
    await page.locator('[name="a/name"]').waitFor();
    await expectConfigureForm(page);

    // A required field left empty: the form says what is missing, and nothing is called.
    await page.locator('[name="a/target/host"]').fill('');
    await page.locator('select[name="a/mode"]').selectOption({ label: 'fast' });
    await page.locator('[name="a/name"]').fill('x');
    await page.locator('.editor-switch button[value=json]').click();
    await json.waitFor();
    expect(JSON.parse(await json.inputValue())).toMatchObject({ name: 'x', mode: 'fast', target: { host: '', port: 8080 } });
    expectClean(ui);
  }, 45_000);

  // The editor switch sits inside the test form: it must not trip over the form's hx-disabled-elt.
  it('the Form/JSON switch works without an htmx error', async () => {
    const { app } = await kit.gateway({ fx: fx('echo') });
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;
    await visit(page, `${base}/tools/fx/echo`);
    await page.locator('[name="a/message"]').fill('switched');
    await page.locator('.editor-switch button[value=json]').click();
    await page.locator('textarea[name=_json]').waitFor();
    expect(JSON.parse(await page.locator('textarea[name=_json]').inputValue())).toEqual({ message: 'switched' });
    await page.locator('.editor-switch button[value=form]').click();
    await page.locator('[name="a/message"]').waitFor();
    expect(await page.locator('[name="a/message"]').inputValue()).toBe('switched');
    expect(ui.problems).toEqual([]);
  }, 30_000);

  it('activity: a call shows in the list and its entry, "Open in test form" pre-fills the form, the live tail adds new calls', async () => {
    const { app } = await kit.gateway({ schema: schemaServer([CONFIGURE]) });
    const base = await kit.listen(app);
    const id = await callApi(base, 'schema', 'configure', CONFIGURE_ARGS);
    const ui = await session(base);
    const { page } = ui;
    await visit(page, `${base}/activity`);
    await streamOpen(page);

    const row = page.locator(`li.activity-row[data-id="${id}"]`);
    expect(await row.locator('.what').textContent()).toBe('schema/configure');
    expect(await row.locator('.badge').textContent()).toBe('ok');
    await row.locator('a').click();
    await page.waitForURL(`${base}/activity/${id}`);
    expect(await page.locator('h1').textContent()).toBe('schema/configure');
    const argumentsBlock = page.locator('h2:text-is("Arguments") + pre');
    expect(JSON.parse((await argumentsBlock.textContent()) ?? '')).toEqual(CONFIGURE_ARGS);
    expect(await page.locator('h2:text-is("Result preview") + pre').textContent()).toContain('nightly');

    await page.getByRole('link', { name: 'Open in test form' }).click();
    await page.waitForURL(`${base}/tools/schema/configure?from=${id}`);
    await scriptsReady(page);
    expect(await page.locator('#editor .note').textContent()).toContain('Filled in from an earlier call');
    await expectConfigureForm(page);
    // Run as it is: the same arguments again.
    await page.getByRole('button', { name: 'Run' }).click();
    const call = await finishedCall(page);
    expect(JSON.parse((await call.locator('pre.result.json').textContent()) ?? '')).toEqual({
      tool: 'configure',
      arguments: CONFIGURE_ARGS,
    });

    // The live tail: with it on, a new call appears at the top without a reload.
    await visit(page, `${base}/activity`);
    await streamOpen(page);
    await ui.markDocument();
    const rows = page.locator('li.activity-row');
    expect(await rows.count()).toBe(2);
    await page.locator('#live-tail').check();
    const newer = await callApi(base, 'schema', 'configure', { name: 'tail', mode: 'fast' });
    await expect.poll(() => rows.first().getAttribute('data-id'), { timeout: 5_000 }).toBe(newer);
    expect(await rows.count()).toBe(3);
    expect(await rows.first().getAttribute('class')).toContain('new');

    // The filters: outcome "tool_error" matches nothing; back to "Any" shows the rows again.
    await page.locator('select[name=outcome]').selectOption('tool_error');
    await expect.poll(() => page.locator('#activity-list .empty').textContent()).toContain('No calls match these filters');
    await expect.poll(() => new URL(page.url()).searchParams.get('outcome')).toBe('tool_error');
    await page.locator('select[name=outcome]').selectOption('');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await ui.stillSameDocument()).toBe(true);
    expectClean(ui);
  }, 45_000);

  // A row that was `running` when it arrived is replaced by its finished row (the event names the call).
  it('activity live tail: a call that was running when its row appeared shows its outcome when it ends', async () => {
    const { app } = await kit.gateway({ fx: fx('echo,slow') });
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;
    await visit(page, `${base}/activity`);
    await streamOpen(page);
    await page.locator('#live-tail').check();

    const slow = fetch(`${base}/api/tools/fx/slow`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"steps":4,"delayMs":300}',
    });
    const slowRow = page.locator('li.activity-row', { hasText: 'fx/slow' });
    // A quick call ends while the slow one runs: both rows come in, the slow one "running".
    await expect.poll(async () => (await (await fetch(`${base}/api/activity?outcome=running`)).json()).items?.length ?? 0).toBe(1);
    await callApi(base, 'fx', 'echo', { message: 'quick' });
    await expect.poll(() => page.locator('li.activity-row').count(), { timeout: 5_000 }).toBe(2);
    expect(await slowRow.locator('.badge').textContent()).toBe('running');
    expect((await slow).status).toBe(200);
    // The slow call has ended: its row must say so.
    await expect.poll(() => slowRow.locator('.badge').textContent(), { timeout: 5_000 }).toBe('ok');
  }, 30_000);

  it('pagers: the tools list pages by 50, the activity list loads more by cursor', async () => {
    const many = Array.from({ length: 60 }, (_, i) => ({
      name: `tool_${String(i + 1).padStart(2, '0')}`,
      inputSchema: { type: 'object', properties: {} },
    }));
    const { app } = await kit.gateway({ many: schemaServer(many) });
    const base = await kit.listen(app);
    for (let i = 0; i < 55; i++) await callApi(base, 'many', many[i]!.name, {});
    const ui = await session(base);
    const { page } = ui;

    await visit(page, `${base}/tools`);
    await ui.markDocument();
    const names = () => page.locator('#tool-results .tool-name').allTextContents();
    expect(await names()).toEqual(many.slice(0, 50).map((tool) => tool.name));
    expect(await page.locator('#tool-results .summary').textContent()).toBe('Showing 1–50 of 60 tools');
    await page.locator('#tool-results .pager').getByRole('link', { name: 'Next' }).click();
    await expect.poll(names).toEqual(many.slice(50).map((tool) => tool.name));
    await expect.poll(() => new URL(page.url()).searchParams.get('page')).toBe('2');
    await page.locator('#tool-results .pager').getByRole('link', { name: 'Previous' }).click();
    await expect.poll(async () => (await names()).length).toBe(50);
    // A search keeps to one page and drops the pager.
    await page.locator('input[name=q]').pressSequentially('tool_5');
    await expect.poll(names).toEqual(many.slice(49, 59).map((tool) => tool.name));
    expect(await page.locator('#tool-results .pager').count()).toBe(0);

    await visit(page, `${base}/activity`);
    await ui.markDocument();
    const rows = page.locator('li.activity-row');
    expect(await rows.count()).toBe(50);
    await page.getByRole('link', { name: 'Load more' }).click();
    await expect.poll(() => rows.count()).toBe(55);
    const ids = await rows.evaluateAll((items) => items.map((item) => item.getAttribute('data-id')));
    expect(new Set(ids).size).toBe(55);
    // Newest first, down to the very first call.
    expect(await rows.last().locator('.what').textContent()).toBe('many/tool_01');
    expect(await rows.first().locator('.what').textContent()).toBe('many/tool_55');
    expect(await page.getByRole('link', { name: 'Load more' }).count()).toBe(0);
    expect(await ui.stillSameDocument()).toBe(true);
    expectClean(ui);
  }, 45_000);

  it('live progress: a long call shows a progress bar and message that update before the result, and can be cancelled', async () => {
    const { app } = await kit.gateway({ fx: fx('slow') });
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;
    await visit(page, `${base}/tools/fx/slow`);

    await page.locator('[name="a/steps"]').fill('8');
    await page.locator('[name="a/delayMs"]').fill('350');
    await page.getByRole('button', { name: 'Run' }).click();

    const running = page.locator('#call-result .call.running');
    await running.waitFor({ timeout: 5_000 });
    expect(await running.getAttribute('data-outcome')).toBe('running');
    // A progress bar with a value and a message, while the call still runs.
    const seen: { value: string | null; text: string }[] = [];
    await expect
      .poll(
        async () => {
          const bar = running.locator('progress[value]');
          if ((await bar.count()) === 0) return 0;
          const value = await bar.getAttribute('value');
          const text =
            (await running
              .locator('.progress-text')
              .textContent()
              .catch(() => '')) ?? '';
          if (!seen.some((s) => s.value === value)) seen.push({ value, text });
          return seen.length;
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBeGreaterThanOrEqual(2);
    for (const { value, text } of seen) {
      expect(Number(value)).toBeGreaterThan(0);
      expect(Number(value)).toBeLessThanOrEqual(100);
      expect(text).toMatch(/^\d of 8 — step \d\/8$/);
    }
    // Then the result, in place of the progress bar.
    const done = await finishedCall(page);
    expect(await done.getAttribute('data-outcome')).toBe('ok');
    expect(await done.locator('pre.result').textContent()).toBe('done after 8 steps');
    expect(await page.locator('#call-result progress').count()).toBe(0);
    expect(ui.requests.some((request) => /^\/ui\/calls\/[^/]+$/.test(request.path))).toBe(true);

    // Cancel a running call.
    await page.locator('[name="a/steps"]').fill('100');
    await page.getByRole('button', { name: 'Run' }).click();
    await running.waitFor({ timeout: 5_000 });
    await running.getByRole('button', { name: 'Cancel' }).click();
    const cancelled = await finishedCall(page);
    expect(await cancelled.getAttribute('data-outcome')).toBe('cancelled');
    expectClean(ui);
  }, 45_000);

  it('hostile metadata and results are shown as text: no script, no handler, no htmx request, no dialog', async () => {
    const { app, supervisor } = await kit.gateway({ h: hostile(), fx: fx('echo') });
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;

    /** Nothing injected became markup: the only scripts are the page's own, no handlers, no injected htmx. */
    const injected = () =>
      page.evaluate(() => {
        const found: string[] = [];
        for (const script of document.querySelectorAll('script')) {
          if (!/\/static\/(htmx\.min|ui)\.js$/.test(script.src)) found.push(`script ${script.outerHTML.slice(0, 80)}`);
        }
        for (const element of document.querySelectorAll('*')) {
          for (const attribute of element.attributes) {
            if (/^on/i.test(attribute.name)) found.push(`${element.tagName} ${attribute.name}`);
            if (/^(href|src|action|formaction|hx-get|hx-post)$/i.test(attribute.name) && /^\s*javascript:/i.test(attribute.value))
              found.push(`${element.tagName} ${attribute.name}=${attribute.value}`);
          }
        }
        for (const element of document.querySelectorAll(
          '[hx-trigger*="load"], [hx-vals], img[src="x"], iframe, main style, svg script, [hx-get="/api/servers"]',
        )) {
          found.push(element.outerHTML.slice(0, 80));
        }
        return found;
      });
    const text = () => page.locator('main').innerText();
    const expectAllShown = async (payloads: string[]) => {
      const shown = await text();
      for (const payload of payloads) expect(shown).toContain(payload);
    };

    // Servers page: server info and stderr.
    await visit(page, `${base}/`);
    await streamOpen(page);
    const card = page.locator('article.server[data-server="h"]');
    expect(await card.locator('.badge').getAttribute('data-state')).toBe('ready');
    await card.locator('details[data-disclosure^="server-output:"] summary').click();
    await expectAllShown([`${XSS.img} ${XSS.attr}`, XSS.script, XSS.hxGet, XSS.hxPost, XSS.js]);
    expect(await injected()).toEqual([]);

    // Tools list, and a search for one of them.
    await page.getByRole('navigation').getByRole('link', { name: 'Tools' }).click();
    await page.waitForURL(`${base}/tools`);
    await scriptsReady(page);
    await expectAllShown(Object.values(XSS));
    expect(await injected()).toEqual([]);
    await page.locator('input[name=q]').pressSequentially('onerror=alert');
    await expect.poll(() => page.locator('#tool-results .tool-name').allTextContents()).toContain(XSS.img);
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('onerror=alert');
    expect(await injected()).toEqual([]);
    // A search for markup reflects it as text.
    await visit(page, `${base}/tools?q=${encodeURIComponent(XSS.hxGet)}`);
    expect(await page.locator('input[name=q]').inputValue()).toBe(XSS.hxGet);
    expect(await page.title()).toContain(XSS.hxGet);
    expect(await injected()).toEqual([]);

    // A tool named after a payload: its page, and a run of it.
    await visit(page, `${base}/tools?server=h`);
    await page.locator('#tool-results .tool-name', { hasText: XSS.img }).click();
    await page.waitForURL(`${base}/tools/h/${encodeURIComponent(XSS.img)}`);
    await scriptsReady(page);
    expect(await page.locator('h1').textContent()).toBe(XSS.img);
    await page.getByRole('button', { name: 'Run' }).click();
    expect(await (await finishedCall(page)).locator('pre.result').textContent()).toBe(XSS.img);
    expect(await injected()).toEqual([]);

    // The probe: hostile title, description, schema; its form; its result.
    await visit(page, `${base}/tools/h/probe`);
    expect(await page.locator('h1').textContent()).toBe(XSS.script);
    await page.locator('details.schema > summary').click();
    for (const details of await page.locator('details.schema details:not([open]) > summary').all()) await details.click();
    await expectAllShown(Object.values(XSS));
    expect(await page.locator('select[name="a/mode"] option').allTextContents()).toEqual([XSS.script, XSS.attr, XSS.js, XSS.hxPost]);
    expect(await injected()).toEqual([]);

    await page.locator('#tool-form input[type=text]').first().fill(XSS.hxPost);
    await page.locator('select[name="a/mode"]').selectOption({ label: XSS.attr });
    const hostileArray = page.locator('fieldset[data-array]');
    await hostileArray.locator(':scope > [data-add-row]').click();
    await hostileArray.locator('.row select').selectOption({ label: XSS.hxGet });
    await page.getByRole('button', { name: 'Run' }).click();
    // The default of "link" does not match its own (hostile) pattern: the refusal quotes it as text.
    const refused = await finishedCall(page);
    expect(await refused.innerText()).toContain(`link must match pattern "${XSS.script}"`);
    expect(await injected()).toEqual([]);
    await page.locator('[name="a/link"]').fill('');
    await page.getByRole('button', { name: 'Run' }).click();
    const call = page.locator('#call-result .call.done[data-outcome]');
    await call.waitFor();
    expect(await call.getAttribute('data-outcome')).toBe('ok');
    await call.locator('details.curl summary').click();
    const result = await call.innerText();
    for (const payload of Object.values(XSS)) expect(result).toContain(payload);
    expect(result).toContain('<b>bold?</b>');
    expect(result).toContain('image of type image/svg+xml');
    // The server got the hostile values back as plain strings.
    const echoed = JSON.parse((await call.locator('pre.result.json').nth(1).textContent()) ?? '');
    expect(echoed.arguments).toEqual({ [XSS.img]: XSS.hxPost, mode: XSS.attr, [XSS.hxPost]: [XSS.hxGet] });
    expect(await call.locator('img').count()).toBe(0);
    expect(await injected()).toEqual([]);

    // The failing tool: its error text as text.
    await visit(page, `${base}/tools/h/fail`);
    await page.getByRole('button', { name: 'Run' }).click();
    const failed = await finishedCall(page);
    expect(await failed.getAttribute('data-outcome')).toBe('tool_error');
    expect(await failed.innerText()).toContain(`${XSS.img} ${XSS.hxPost}`);
    expect(await injected()).toEqual([]);

    // The activity list and the probe's entry, then back into the form from it.
    await page.getByRole('navigation').getByRole('link', { name: 'Activity' }).click();
    await page.waitForURL(`${base}/activity`);
    await scriptsReady(page);
    await expectAllShown([`h/${XSS.img}`, 'h/probe', 'h/fail']);
    expect(await injected()).toEqual([]);
    await page.locator('li.activity-row.outcome-ok', { hasText: 'h/probe' }).locator('a').click();
    await page.waitForURL(/\/activity\/[^/]+$/);
    await scriptsReady(page);
    const probeArgs = { [XSS.img]: XSS.hxPost, mode: XSS.attr, [XSS.hxPost]: [XSS.hxGet] };
    expect(JSON.parse(await page.locator('h2:text-is("Arguments") + pre').innerText())).toEqual(probeArgs);
    const preview = await page.locator('h2:text-is("Result preview") + pre').innerText();
    for (const payload of [XSS.script, XSS.img, XSS.js]) expect(preview).toContain(payload);
    expect(await injected()).toEqual([]);
    await page.getByRole('link', { name: 'Open in test form' }).click();
    await page.waitForURL(/\/tools\/h\/probe\?from=/);
    await scriptsReady(page);
    expect(await page.locator('#tool-form input[type=text]').first().inputValue()).toBe(XSS.hxPost);
    expect(await page.locator('select[name="a/mode"] option:checked').textContent()).toBe(XSS.attr);
    expect(await injected()).toEqual([]);

    // Back on the servers page, the stream still live: nothing fired, h is still enabled.
    await visit(page, `${base}/`);
    await streamOpen(page);
    expect(await page.locator('article.server[data-server="h"] .badge').getAttribute('data-state')).toBe('ready');
    expect(supervisor.status('h')?.enabled).toBe(true);
    const paths = ui.requests.map((request) => `${request.method} ${request.path}`);
    expect(paths.filter((p) => /\/api\/servers|\/enabled/.test(p))).toEqual([]);
    // Only pages, htmx fragments of the UI, static files and the stream.
    const expected =
      /^(GET \/(\?.*)?|GET \/tools(\?.*|\/[^?]+(\?from=.*)?)?|GET \/activity(\/[^/?]+|\?.*)?|GET \/static\/[\w./-]+|GET \/ui\/events|GET \/ui\/servers\/(h|fx)|GET \/ui\/calls\/[^/]+|POST \/ui\/tools\/h\/[^/]+\/call)$/;
    expect(paths.filter((p) => !expected.test(p))).toEqual([]);
    // The one refused run (its answer is a 422 page fragment) is the only failed request.
    expectClean(ui, [/status of 422 \(Unprocessable Entity\)/]);
  }, 60_000);

  it('security headers: every page has the strict Content-Security-Policy', async () => {
    const { app } = await kit.gateway({ demo: demo() });
    const base = await kit.listen(app);
    const id = await callApi(base, 'demo', 'add', { a: 1, b: 2 });
    const pages = [
      '/',
      '/tools',
      '/tools?q=add',
      '/tools/demo/add',
      `/tools/demo/add?from=${id}`,
      '/activity',
      `/activity/${id}`,
      '/tools/demo/nope',
      '/activity/nope',
    ];
    const ui = await session(base);
    for (const pagePath of pages) {
      const response = await ui.page.goto(`${base}${pagePath}`);
      const headers = response!.headers();
      expect({ pagePath, problems: cspProblems(headers['content-security-policy']) }).toEqual({ pagePath, problems: [] });
      expect(headers['content-security-policy']).toContain("script-src 'self'");
      expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['content-type']).toMatch(/^text\/html/);
    }
    // The fragments htmx swaps in carry it too.
    const fragment = await fetch(`${base}/tools?q=add`, { headers: { 'HX-Request': 'true', 'HX-Target': 'tool-results' } });
    expect(cspProblems(fragment.headers.get('content-security-policy') ?? undefined)).toEqual([]);
    // The error pages are pages (404), not JSON, for a browser.
    expect(ui.documents.filter((d) => d.status === 404).map((d) => new URL(d.url).pathname)).toEqual([
      '/tools/demo/nope',
      '/activity/nope',
    ]);
    expect(ui.problems.filter((p) => !/404/.test(p))).toEqual([]);
    expect(ui.dialogs).toEqual([]);
  }, 30_000);

  it('phone and desktop: no page is wider than a 390 px screen; screenshots in test-artifacts/ui/', async () => {
    const { app } = await kit.gateway({ demo: demo(), schema: schemaServer([CONFIGURE]) });
    const base = await kit.listen(app);
    await callApi(base, 'demo', 'add', { a: 1, b: 2 });
    await callApi(base, 'schema', 'configure', CONFIGURE_ARGS);
    for (const [width, height] of [
      [390, 844],
      [1280, 800],
    ] as const) {
      const ui = await session(base, {
        viewport: { width, height },
        deviceScaleFactor: width === 390 ? 2 : 1,
        isMobile: width === 390,
        hasTouch: width === 390,
      });
      const { page } = ui;
      const overflow: Record<string, number> = {};
      const shoot = async (name: string) => {
        overflow[name] = await overflowX(page);
        await screenshot(page, `${name}-${width}`);
      };
      await visit(page, `${base}/`);
      await shoot('servers');
      await visit(page, `${base}/tools`);
      await shoot('tools');
      // A tool page with a form and a result (the curl command open).
      await visit(page, `${base}/tools/schema/configure`);
      await fillConfigureForm(page);
      await page.getByRole('button', { name: 'Run' }).click();
      const call = await finishedCall(page);
      await call.locator('details.curl summary').click();
      await page.locator('details.schema > summary').click();
      await shoot('tool');
      await visit(page, `${base}/activity`);
      await shoot('activity');
      expect(overflow).toEqual({ servers: 0, tools: 0, tool: 0, activity: 0 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      expectClean(ui);
      await ui.close();
    }
    for (const name of ['servers', 'tools', 'tool', 'activity']) {
      for (const width of [390, 1280])
        expect(fs.statSync(path.resolve(import.meta.dirname, '..', 'test-artifacts', 'ui', `${name}-${width}.png`)).size).toBeGreaterThan(
          1000,
        );
    }
  }, 60_000);

  it('approvals: a held call appears live, the badge counts it on every page, Approve answers the waiting call; phone-sized', async () => {
    const { app } = await kit.gateway(
      { fx: fx('echo') },
      {},
      { approval: { default: 'allow', rules: [{ server: 'fx', tool: 'echo', action: 'ask' }] } },
    );
    const base = await kit.listen(app);
    const ui = await session(base, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const { page } = ui;
    const hold = (message: string) => {
      const answer = fetch(`${base}/fx/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ message }),
      });
      answer.catch(() => undefined); // awaited below; a failed test closes the gateway first
      return answer;
    };
    await visit(page, `${base}/approvals`);
    await streamOpen(page);
    await ui.markDocument();
    const badge = page.locator('#approvals-badge');
    expect(await badge.getAttribute('data-count')).toBe('0');
    expect(await badge.isHidden()).toBe(true);
    expect(await page.locator('[data-approvals-summary]').textContent()).toBe('No calls wait for a decision.');

    // The call starts after the page is open: its card comes in over the stream.
    const waiting = hold(XSS.img);
    const card = page.locator('article.approval[data-state="pending"]');
    await card.waitFor({ timeout: 5_000 });
    await expect.poll(() => badge.getAttribute('data-count')).toBe('1');
    expect(await badge.isVisible()).toBe(true);
    expect(await badge.textContent()).toBe('1 pending');
    expect(await page.locator('[data-approvals-summary]').textContent()).toBe('1 call waits for a decision.');
    const id = (await card.getAttribute('data-approval'))!;
    expect(await card.locator('.approval-what').textContent()).toBe('fx/echo');
    expect(JSON.parse((await card.locator('pre.approval-args').textContent()) ?? '')).toEqual({ message: XSS.img });
    expect(await card.locator('img').count()).toBe(0);
    expect(await card.locator('dt:text-is("Caller") + dd').textContent()).toBe('anonymous');
    // The countdown, counted in the page.
    await expect.poll(() => card.locator('time.countdown').textContent()).toMatch(/^(2:00|1:5\d) left$/);
    // One tap each: large buttons, nothing wider than the phone.
    for (const name of ['Approve', 'Deny'])
      expect((await card.getByRole('button', { name }).boundingBox())!.height).toBeGreaterThanOrEqual(44);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await overflowX(page)).toBe(0);
    await screenshot(page, 'approvals');

    await card.getByRole('button', { name: 'Approve' }).tap();
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toBe(XSS.img);
    const decided = page.locator(`article.approval[data-approval="${id}"]`);
    await expect.poll(() => decided.getAttribute('data-state')).toBe('approved');
    expect(await decided.locator('.card-head .badge').textContent()).toBe('approved');
    expect(await decided.locator('.decided-by').textContent()).toBe('anonymous');
    await expect.poll(() => badge.getAttribute('data-count')).toBe('0');
    expect(await badge.isHidden()).toBe(true);
    // … and it is under "Recent decisions".
    const row = page.locator(`[data-approvals-recent] li.decision-row[data-approval="${id}"]`);
    await row.waitFor({ timeout: 5_000 });
    expect(await row.locator('.badge').textContent()).toBe('approved');
    expect(await row.locator('.who').textContent()).toBe('by anonymous via the UI');
    const decision = ui.requests.find((request) => request.method === 'POST' && request.path === `/ui/approvals/${id}/approve`);
    expect(decision?.headers['x-csrf-token']).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(await ui.stillSameDocument()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    // Another page: its badge follows too, and a call decided elsewhere leaves the list.
    await visit(page, `${base}/activity`);
    await streamOpen(page);
    const activityRow = page.locator('li.activity-row.outcome-ok', { hasText: 'fx/echo' });
    expect(await activityRow.locator('.decision').textContent()).toBe('approved by anonymous');
    const second = hold('second');
    await expect.poll(() => page.locator('#approvals-badge').getAttribute('data-count'), { timeout: 5_000 }).toBe('1');
    await page
      .getByRole('navigation')
      .getByRole('link', { name: /Approvals/ })
      .click();
    await page.waitForURL(`${base}/approvals`);
    await scriptsReady(page);
    await streamOpen(page);
    const other = page.locator('article.approval[data-state="pending"]');
    await other.waitFor();
    const otherId = (await other.getAttribute('data-approval'))!;
    // The approval's own page (the webhooks' deep link), open in another tab, follows as well.
    const single = await ui.context.newPage();
    await single.goto(`${base}/approvals/${otherId}`);
    await scriptsReady(single);
    await streamOpen(single);
    expect(await single.locator('article.approval').getAttribute('data-state')).toBe('pending');
    const denied = await fetch(`${base}/api/approvals/${otherId}/deny`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"reason":"not now"}',
    });
    expect(denied.status).toBe(200);
    expect((await second).status).toBe(403);
    await expect.poll(() => page.locator('article.approval').count(), { timeout: 5_000 }).toBe(0);
    await page.locator(`li.decision-row[data-approval="${otherId}"]`).waitFor({ timeout: 5_000 });
    expect(await page.locator(`li.decision-row[data-approval="${otherId}"] .reason`).textContent()).toBe('not now');
    await expect.poll(() => single.locator('article.approval').getAttribute('data-state'), { timeout: 5_000 }).toBe('denied');
    expect(await single.locator('.decision-reason').textContent()).toBe('not now');
    await single.close();
    await expect.poll(() => page.locator('#approvals-badge').getAttribute('data-count')).toBe('0');
    // The entry of the approved call names the decision and links to its approval.
    await visit(page, `${base}/activity`);
    await activityRow.locator('a').click();
    await page.waitForURL(/\/activity\/[^/]+$/);
    expect(await page.locator('.approval-decision dt:text-is("Decided by") + dd').textContent()).toBe('anonymous');
    await page.locator('.approval-decision a').click();
    await page.waitForURL(`${base}/approvals/${id}`);
    expect(await page.locator(`article.approval[data-approval="${id}"]`).getAttribute('data-state')).toBe('approved');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expectClean(ui);
  }, 45_000);

  it('the live stream catches up on connect: what changed between the page and the stream shows without a reload', async () => {
    const { app } = await kit.gateway(
      { fx: fx('echo'), other: fx('echo') },
      {},
      { approval: { default: 'allow', rules: [{ server: 'fx', tool: 'echo', action: 'ask' }] } },
    );
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, { ...init, headers: { 'Content-Type': 'application/json' } });
    const pendingIds = async () =>
      ((await (await api('/api/approvals?state=pending')).json()) as { items: { id: string }[] }).items.map((item) => item.id);
    // The page's stream is held back until the test lets it through.
    let release = () => {};
    let gate = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/ui/events', async (route) => {
      await gate;
      await route.continue();
    });

    // Approvals: a call is held after the page was rendered, before its stream started.
    await visit(page, `${base}/approvals`);
    await ui.markDocument();
    expect(await page.locator('[data-approvals-summary]').textContent()).toBe('No calls wait for a decision.');
    const waiting = api('/fx/echo', { method: 'POST', body: JSON.stringify({ message: 'between render and stream' }) });
    waiting.catch(() => undefined);
    const [id] = await waitUntil(async () => ((await pendingIds()).length === 1 ? pendingIds() : undefined));
    release();
    await streamOpen(page);
    const card = page.locator(`article.approval[data-approval="${id}"][data-state="pending"]`);
    await card.waitFor({ timeout: 5_000 });
    await expect.poll(() => page.locator('#approvals-badge').getAttribute('data-count')).toBe('1');
    expect(await page.locator('[data-approvals-summary]').textContent()).toBe('1 call waits for a decision.');
    expect(await ui.stillSameDocument()).toBe(true);
    expect((await api(`/api/approvals/${id}/approve`, { method: 'POST' })).status).toBe(200);
    expect((await waiting).status).toBe(200);

    // Servers: a server disabled in the same gap.
    gate = new Promise<void>((resolve) => (release = resolve));
    await visit(page, `${base}/`);
    const other = page.locator('article.server[data-server="other"] .badge[data-state]');
    expect(await other.getAttribute('data-state')).toBe('ready');
    expect((await api('/api/servers/other', { method: 'PATCH', body: '{"enabled":false}' })).status).toBe(200);
    release();
    await streamOpen(page);
    await expect.poll(() => other.getAttribute('data-state'), { timeout: 5_000 }).toBe('disabled');

    // The activity's live tail shows a call that waits for approval as it starts waiting, then its outcome.
    await page.unroute('**/ui/events');
    await visit(page, `${base}/activity`);
    await streamOpen(page);
    await page.locator('#live-tail').check();
    const second = api('/fx/echo', { method: 'POST', body: JSON.stringify({ message: 'second' }) });
    second.catch(() => undefined);
    const row = page.locator('li.activity-row', { hasText: 'fx/echo' }).first();
    await expect.poll(() => row.getAttribute('class'), { timeout: 5_000 }).toContain('outcome-waiting');
    expect(await row.locator('.badge').textContent()).toBe('waiting for approval');
    const [secondId] = await pendingIds();
    expect(await row.locator('a').getAttribute('href')).toBe(`approvals/${secondId}`);
    expect((await api(`/api/approvals/${secondId}/approve`, { method: 'POST' })).status).toBe(200);
    expect((await second).status).toBe(200);
    await expect.poll(() => row.getAttribute('class'), { timeout: 5_000 }).toContain('outcome-ok');
    expectClean(ui);
  }, 45_000);

  it('approvals: cards decided on the page show their outcome, but only the newest three stay; "Recent decisions" lists them all', async () => {
    const { app } = await kit.gateway(
      { fx: fx('echo') },
      {},
      { approval: { default: 'allow', rules: [{ server: 'fx', tool: 'echo', action: 'ask' }] } },
    );
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;
    await visit(page, `${base}/approvals`);
    await streamOpen(page);
    const answers = Array.from({ length: 5 }, (_, i) => {
      const answer = fetch(`${base}/fx/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ message: `call ${i}` }),
      });
      answer.catch(() => undefined);
      return answer;
    });
    const pendingCards = page.locator('[data-approval-cards] > article.approval[data-state="pending"]');
    await expect.poll(() => pendingCards.count(), { timeout: 10_000 }).toBe(5);
    for (let left = 5; left > 0; left--) {
      const card = pendingCards.first();
      const id = (await card.getAttribute('data-approval'))!;
      await card.getByRole('button', { name: 'Approve' }).click();
      await expect
        .poll(() =>
          page
            .locator(`article.approval[data-approval="${id}"]`)
            .getAttribute('data-state')
            .catch(() => 'gone'),
        )
        .not.toBe('pending');
    }
    for (const answer of answers) expect((await answer).status).toBe(200);
    await expect.poll(() => page.locator('[data-approvals-recent] li.decision-row').count(), { timeout: 5_000 }).toBe(5);
    await expect.poll(() => page.locator('[data-approval-cards] > article.approval').count(), { timeout: 5_000 }).toBe(3);
    expect(await page.locator('[data-approval-cards] > article.approval[data-state="approved"]').count()).toBe(3);
    expectClean(ui);
  }, 45_000);

  it('servers: a disclosure opened on a card stays open when a live update replaces the card', async () => {
    const chatty = fx('echo');
    const { app } = await kit.gateway({ chatty: { ...chatty, env: { ...chatty.env, FIXTURE_STDERR_LINES: '2' } } });
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;
    await visit(page, `${base}/`);
    await streamOpen(page);
    const card = page.locator('article.server[data-server="chatty"]');
    const details = card.locator('details[data-disclosure^="server-output:"]');
    await details.locator('summary').click();
    expect(await details.getAttribute('open')).not.toBeNull();
    expect(await card.locator('.output-details pre.stderr').textContent()).toContain('stderr line 2');
    // A restart through the API: the card is replaced twice (starting, ready) over the stream.
    expect((await fetch(`${base}/api/servers/chatty/restart`, { method: 'POST' })).status).toBe(202);
    await expect.poll(() => card.locator('dt:text-is("Restarts") + dd').textContent(), { timeout: 15_000 }).toBe('1');
    await expect.poll(() => card.locator('.badge[data-state]').getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');
    expect(await card.locator('details[data-disclosure^="server-output:"]').getAttribute('open')).not.toBeNull();
    // Closed by hand, it stays closed across the next update.
    await card.locator('details[data-disclosure^="server-output:"] summary').click();
    expect((await fetch(`${base}/api/servers/chatty/restart`, { method: 'POST' })).status).toBe(202);
    await expect.poll(() => card.locator('dt:text-is("Restarts") + dd').textContent(), { timeout: 15_000 }).toBe('2');
    await expect.poll(() => card.locator('.badge[data-state]').getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');
    expect(await card.locator('details[data-disclosure^="server-output:"]').getAttribute('open')).toBeNull();
    expectClean(ui);
  }, 45_000);

  it('connect: the Open WebUI URLs as the browser sees them under a path prefix, copied with one tap; phone-sized', async () => {
    const { app } = await kit.gateway({ fx: fx('echo') }, { basePath: '/mcp' });
    const base = await kit.listen(app);
    const ui = await session(base, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await ui.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const { page } = ui;
    await visit(page, `${base}/mcp/`);
    await page.getByRole('navigation').getByRole('link', { name: 'Connect' }).click();
    await page.waitForURL(`${base}/mcp/connect`);
    await scriptsReady(page);
    const urls = await page.locator('[data-url]').allTextContents();
    expect(urls).toEqual([
      `${base}/mcp`,
      `${base}/mcp/openapi.json`,
      `${base}/mcp/fx`,
      `${base}/mcp/fx/openapi.json`,
      `${base}/mcp/mcp/fx`,
      `${base}/mcp/mcp`,
      // The snippets for MCP clients carry the MCP URL as the browser sees it.
      `${base}/mcp/mcp`,
      `${base}/mcp/mcp`,
      `${base}/mcp/mcp`,
      `${base}/mcp/mcp`,
      `${base}/mcp/api/openapi.json`,
    ]);
    const first = page.locator('.copy-url').first();
    await first.getByRole('button', { name: 'Copy the gateway URL' }).tap();
    await expect.poll(() => first.locator('button').textContent()).toBe('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${base}/mcp`);
    // The documents, the docs pages and tools.py, all under the prefix.
    for (const url of urls.filter((url) => url.endsWith('openapi.json'))) expect((await fetch(url)).status, url).toBe(200);
    const links = await page.locator('.connect a').evaluateAll((anchors) => anchors.map((a) => (a as HTMLAnchorElement).href));
    expect(links).toEqual(
      expect.arrayContaining([
        `${base}/mcp/docs`,
        `${base}/mcp/fx/docs`,
        `${base}/mcp/api/docs`,
        `${base}/mcp/api/openwebui/tools.py`,
        `${base}/mcp/api/openwebui/tools.py?server=fx`,
      ]),
    );
    const python = await page.evaluate(
      (href) => fetch(href).then((response) => response.text()),
      `${base}/mcp/api/openwebui/tools.py?server=fx`,
    );
    expect(python).toContain(`${base}/mcp`);
    // The Claude Code command is copied as the browser sees the gateway.
    const snippet = page.locator('.copy-snippet').first();
    await snippet.getByRole('button', { name: 'Copy the Claude Code command' }).tap();
    await expect.poll(() => snippet.locator('button').textContent()).toBe('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`claude mcp add --transport http mcp-gateway ${base}/mcp/mcp`);
    expect(await overflowX(page)).toBe(0);
    await screenshot(page, 'connect-390');
    expectClean(ui);
  }, 30_000);

  it('under a path prefix (gateway.basePath "/mcp"): links, htmx actions and the stream stay under /mcp/', async () => {
    const { app } = await kit.gateway({ fx: fx('echo') }, { basePath: '/mcp' });
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;
    await visit(page, `${base}/mcp/`);
    await streamOpen(page);

    const nav = page.getByRole('navigation');
    await nav.getByRole('link', { name: 'Tools' }).click();
    await page.waitForURL(`${base}/mcp/tools`);
    await scriptsReady(page);
    await page.locator('input[name=q]').pressSequentially('echo');
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('echo');
    expect(new URL(page.url()).pathname).toBe('/mcp/tools');
    await page.locator('#tool-results .tool-name', { hasText: 'echo' }).click();
    await page.waitForURL(`${base}/mcp/tools/fx/echo`);
    await scriptsReady(page);
    await page.locator('[name="a/message"]').fill('under a prefix');
    await page.getByRole('button', { name: 'Run' }).click();
    const call = await finishedCall(page);
    expect(await call.locator('pre.result').textContent()).toBe('under a prefix');
    await call.locator('details.curl summary').click();
    expect(await call.locator('details.curl pre').textContent()).toContain(`${base}/mcp/api/tools/fx/echo`);
    await call.getByRole('link', { name: 'activity entry' }).click();
    await page.waitForURL(new RegExp(`^${base}/mcp/activity/[^/]+$`));
    await page.getByRole('link', { name: 'Open in test form' }).click();
    await page.waitForURL(new RegExp(`^${base}/mcp/tools/fx/echo\\?from=`));
    expect(await page.locator('[name="a/message"]').inputValue()).toBe('under a prefix');
    await page.getByRole('navigation').getByRole('link', { name: 'Activity' }).click();
    await page.waitForURL(`${base}/mcp/activity`);
    await scriptsReady(page);
    await page.locator('#live-tail').check();
    await page.getByRole('navigation').getByRole('link', { name: 'Servers' }).click();
    await page.waitForURL(`${base}/mcp/`);
    await scriptsReady(page);
    await streamOpen(page);

    // htmx actions: the switch, then "ready" again over the stream.
    const card = page.locator('article.server[data-server="fx"]');
    const badge = card.locator('.badge[data-state]');
    await card.locator('button.switch').click();
    await expect.poll(() => badge.getAttribute('data-state')).toBe('disabled');
    await card.locator('button.switch').click();
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');

    // The session cookie is scoped to the prefix.
    const cookies = await ui.context.cookies();
    expect(cookies.map((cookie) => cookie.path)).toEqual(['/mcp/']);
    const outside = ui.requests.filter((request) => !request.url.startsWith('data:') && !request.path.startsWith('/mcp/'));
    expect(outside.map((request) => `${request.method} ${request.url}`)).toEqual([]);
    expect(ui.requests.some((request) => request.path === '/mcp/ui/events')).toBe(true);
    expect(ui.requests.some((request) => request.method === 'POST' && request.path === '/mcp/ui/servers/fx/enabled')).toBe(true);
    expectClean(ui);
  }, 45_000);

  it('sign-in: pages need the API key once, a wrong key is refused, the session cookie is strict, htmx sends the CSRF token, sign-out ends it', async () => {
    const apiKey = 'correct-horse-battery-staple';
    const { app, supervisor } = await kit.gateway({ fx: fx('echo') }, {}, { apiKey });
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;

    await page.goto(`${base}/`);
    await page.waitForURL(`${base}/ui/login`);
    expect(await page.locator('h1').textContent()).toBe('Sign in');
    expect(await page.getByRole('navigation').count()).toBe(0);
    expect(await ui.context.cookies()).toEqual([]);

    // A deep link comes back after the sign-in.
    await page.goto(`${base}/tools?q=echo`);
    await page.waitForURL(`${base}/ui/login?next=${encodeURIComponent('/tools?q=echo')}`);
    await page.getByLabel('API key').fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.error-box').waitFor();
    expect(await page.locator('.error-box').textContent()).toBe('That key is not valid, or it is not an admin key.');
    expect(await ui.context.cookies()).toEqual([]);

    await page.getByLabel('API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/tools?q=echo`);
    await scriptsReady(page);
    expect(await page.locator('#tool-results .tool-name').allTextContents()).toEqual(['echo']);

    const cookies = await ui.context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'mcpgw_session', httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate(() => document.cookie)).toBe('');

    // A toggle: the htmx request carries the CSRF token of the session.
    await page.getByRole('navigation').getByRole('link', { name: 'Servers' }).click();
    await page.waitForURL(`${base}/`);
    await scriptsReady(page);
    await streamOpen(page);
    const badge = page.locator('article.server[data-server="fx"] .badge[data-state]');
    await page.locator('article.server[data-server="fx"] button.switch').click();
    await expect.poll(() => badge.getAttribute('data-state')).toBe('disabled');
    expect(supervisor.status('fx')?.enabled).toBe(false);
    const toggle = ui.requests.find((request) => request.method === 'POST' && request.path === '/ui/servers/fx/enabled');
    expect(toggle?.headers['x-csrf-token']).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // Re-enabled, "ready" comes over the stream, which the session opened too.
    await page.locator('article.server[data-server="fx"] button.switch').click();
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');
    await waitForServer(supervisor, 'fx', 'ready');

    // Without the token the same request is refused (the cookie alone is not enough).
    const forged = await page.evaluate(async () => {
      const response = await fetch('ui/servers/fx/enabled', {
        method: 'POST',
        headers: { 'HX-Request': 'true', 'Content-Type': 'application/json' },
        body: '{"enabled":"false"}',
      });
      return response.status;
    });
    expect(forged).toBe(403);
    expect(supervisor.status('fx')?.enabled).toBe(true);

    // Sign out: back to the sign-in page, and the pages need a sign-in again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/ui/login`);
    expect(await ui.context.cookies()).toEqual([]);
    await page.goto(`${base}/activity`);
    await page.waitForURL(`${base}/ui/login?next=%2Factivity`);
    expect(ui.problems.filter((p) => !/\b40[13]\b/.test(p))).toEqual([]);
    expect(ui.dialogs).toEqual([]);
    for (const document of ui.documents)
      expect({ url: document.url, problems: cspProblems(document.csp) }).toEqual({ url: document.url, problems: [] });
  }, 45_000);

  it('sign-in under a path prefix: the redirects, the form and the cookie stay under /mcp/', async () => {
    const apiKey = 'correct-horse-battery-staple';
    const { app } = await kit.gateway({ fx: fx('echo') }, { basePath: '/mcp' }, { apiKey });
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;
    await page.goto(`${base}/mcp/tools?q=echo`);
    await page.waitForURL(`${base}/mcp/ui/login?next=${encodeURIComponent('/tools?q=echo')}`);
    await page.getByLabel('API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/mcp/tools?q=echo`);
    await scriptsReady(page);
    expect(await page.locator('#tool-results .tool-name').allTextContents()).toEqual(['echo']);
    expect((await ui.context.cookies()).map((cookie) => [cookie.name, cookie.path])).toEqual([['mcpgw_session', '/mcp/']]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/mcp/ui/login`);
    expect(ui.requests.filter((request) => !request.path.startsWith('/mcp/')).map((request) => request.url)).toEqual([]);
    expectClean(ui);
  }, 30_000);

  // After signing in again, the browser goes back to the page it showed (HX-Current-URL), not to the fragment or action.
  it('a session that ended elsewhere: an htmx action goes to the sign-in and then back to the page', async () => {
    const apiKey = 'correct-horse-battery-staple';
    const { app } = await kit.gateway({ fx: fx('echo') }, {}, { apiKey });
    const base = await kit.listen(app);
    const ui = await session(base);
    const { page } = ui;
    await page.goto(`${base}/`);
    await page.getByLabel('API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/`);
    await scriptsReady(page);

    // Signed out in another tab of the same browser.
    const other = await ui.context.newPage();
    await other.goto(`${base}/activity`);
    await other.getByRole('button', { name: 'Sign out' }).click();
    await other.waitForURL(`${base}/ui/login`);
    await other.close();

    await page.locator('article.server[data-server="fx"] button.switch').click();
    await page.waitForURL(/\/ui\/login/);
    await page.getByLabel('API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.locator('h1').textContent()).toBe('Servers');
  }, 30_000);
});
