// The Open WebUI user a trusting key forwards (issue 19 item 4), in a real browser (Chromium): the
// Activity page's User filter and rows, and the approval card's "Asked by". A real gateway (no
// start-up key: the browser needs no sign-in) and a real fixture server.
import { describe, expect, it } from 'vitest';
import { useBrowser } from './helpers/browser.js';
import { callKit, node } from './helpers/calls.js';
import { fixture } from './helpers/gateway.js';
import { cspProblems, openSession, scriptsReady } from './helpers/ui.js';

const browser = useBrowser();
const kit = callKit();

const ALICE = { 'X-OpenWebUI-User-Id': 'alice-id', 'X-OpenWebUI-User-Name': 'Alice', 'X-OpenWebUI-User-Email': 'alice@example.com' };
const BOB = { 'X-OpenWebUI-User-Id': 'bob-id', 'X-OpenWebUI-User-Name': 'Bob' };

describe('forwarded users on the pages', () => {
  it('filters the activity by user, and names the user on the approval card', async () => {
    const policy = { default: 'allow', rules: [{ server: 'fx', tool: 'echo', action: 'ask', when: { user: 'bob-id' } }] };
    const { app } = await kit.gateway({ fx: { command: node, args: [fixture('fixture-server.mjs')] } }, {}, { approval: policy });
    const base = await kit.listen(app);
    const made = await fetch(`${base}/api/keys`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ label: 'Open WebUI', trustForwardedUser: true }),
    });
    const { token } = (await made.json()) as { token: string };
    const call = (headers: Record<string, string>, message: string, extra: Record<string, string> = {}) =>
      fetch(`${base}/fx/echo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, ...headers, ...extra },
        body: JSON.stringify({ message }),
      });
    expect((await call(ALICE, 'one')).status).toBe(200);
    expect((await call(ALICE, 'two')).status).toBe(200);
    // Bob's call waits for approval (the rule names him).
    expect((await call(BOB, 'three', { Prefer: 'respond-async' })).status).toBe(202);

    const ui = await openSession(browser(), new URL(base).origin);
    kit.defer(() => ui.close());
    const { page } = ui;
    await page.goto(`${base}/activity`);
    await scriptsReady(page);
    const rows = page.locator('li.activity-row');
    await expect.poll(() => rows.count()).toBe(3);
    const user = page.locator('input[name=user]');
    await user.fill('alice@example.com');
    await user.press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('user')).toBe('alice@example.com');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.first().locator('.caller').innerText()).toBe('Alice (alice@example.com) via Open WebUI');

    await page.goto(`${base}/approvals`);
    await scriptsReady(page);
    const card = page.locator('article.approval').first();
    expect(await card.locator('.forwarded-user').innerText()).toBe('Bob via Open WebUI');
    await card.locator('button.deny').click();
    await expect.poll(() => card.getAttribute('data-state')).toBe('denied');

    expect(ui.problems).toEqual([]);
    expect(ui.dialogs).toEqual([]);
    for (const document of ui.documents) expect(cspProblems(document.csp), document.url).toEqual([]);
  }, 45_000);
});
