// Pairing a phone and approving from it, in Debian's Chromium: the desktop (signed in with the
// admin key) pairs a second browser context sized as a phone (390×844); the phone sees a held call
// appear without a reload and approves it with one tap; the waiting REST call returns the result,
// and the audit names the phone.
import { describe, expect, it } from 'vitest';
import { useBrowser } from './helpers/browser.js';
import { callKit, node } from './helpers/calls.js';
import { fixture } from './helpers/gateway.js';
import { cspProblems, openSession, overflowX, screenshot, scriptsReady, streamOpen, type UiSession } from './helpers/ui.js';

const browser = useBrowser();

const kit = callKit();
const KEY = 'pairing-browser-test-key-0123456';

async function session(base: string, options: Parameters<typeof openSession>[2] = {}): Promise<UiSession> {
  const ui = await openSession(browser(), new URL(base).origin, options);
  kit.defer(() => ui.close());
  return ui;
}

function expectClean(ui: UiSession): void {
  expect(ui.problems).toEqual([]);
  for (const document of ui.documents)
    expect({ url: document.url, problems: cspProblems(document.csp) }).toEqual({ url: document.url, problems: [] });
}

describe('a paired phone', () => {
  it('pairs with confirmation codes, sees a held call appear live, approves it, and the waiting call returns', async () => {
    const { app } = await kit.gateway(
      { fx: { command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: 'echo' } } },
      {},
      { apiKey: KEY, approval: { default: 'allow', rules: [{ server: 'fx', tool: 'echo', action: 'ask' }] } },
    );
    const base = await kit.listen(app);

    // The desktop signs in and starts a pairing.
    const desktop = await session(base);
    await desktop.page.goto(`${base}/ui/login?next=/access`);
    await desktop.page.getByLabel('API key').fill(KEY);
    await desktop.page.getByRole('button', { name: 'Sign in' }).click();
    await desktop.page.waitForURL(`${base}/access`);
    await scriptsReady(desktop.page);
    await desktop.page.getByRole('button', { name: 'Pair a phone' }).click();
    const link = await desktop.page.getByRole('link', { name: 'Pairing link' }).getAttribute('href');
    expect(link).toMatch(new RegExp(`^${base}/pair#[A-Za-z0-9_-]{43}$`));
    await expect.poll(() => desktop.page.locator('.qr svg').count()).toBe(1);
    // The desktop was opened as 127.0.0.1: the page warns that a phone cannot follow that link.
    expect(await desktop.page.locator('.pairing-codes [role=alert]').textContent()).toContain('This link points at 127.0.0.1');
    await screenshot(desktop.page, 'access-pairing-1280');

    // The phone opens the link (the secret after # never reaches the server) and names itself.
    const phone = await session(base, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await phone.page.goto(link!);
    await scriptsReady(phone.page);
    expect(phone.page.url()).toBe(`${base}/pair`);
    expect(phone.requests.every((request) => !request.url.includes('#') && !request.path.includes(link!.split('#')[1]!))).toBe(true);
    await phone.page.getByLabel('Name this device').fill('Pixel 8');
    await phone.page.getByRole('button', { name: 'Pair' }).click();
    const phoneCode = await phone.page.getByLabel('Confirmation code').textContent();
    expect(phoneCode).toMatch(/^\d{6}$/);
    expect(await overflowX(phone.page)).toBeLessThanOrEqual(0);
    await screenshot(phone.page, 'pair-390');

    // The desktop shows the same code; the admin confirms; the phone lands on the approvals.
    await expect
      .poll(() =>
        desktop.page
          .getByLabel('Confirmation code')
          .textContent()
          .catch(() => null),
      )
      .toBe(phoneCode);
    expect(await desktop.page.locator('#pairing-status').textContent()).toContain('Pixel 8');
    // Claimed, the QR code and the short code can no longer be used: they are gone.
    expect(await desktop.page.locator('.qr svg').count()).toBe(0);
    expect(await desktop.page.getByLabel('Short code').count()).toBe(0);
    await desktop.page.getByRole('button', { name: 'Codes match: pair' }).click();
    await phone.page.waitForURL(`${base}/approvals`);
    await scriptsReady(phone.page);
    await streamOpen(phone.page);
    await phone.markDocument();
    const cookies = await phone.context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'mcpgw_session', httpOnly: true, sameSite: 'Strict' });

    // A REST call is held; the phone sees it without a reload and approves it with one tap.
    const held = fetch(`${base}/fx/echo`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'deploy to production' }),
    });
    const approve = phone.page.getByRole('button', { name: 'Approve' });
    await approve.waitFor({ timeout: 15_000 });
    expect(await phone.page.locator('main').textContent()).toContain('deploy to production');
    expect(await phone.stillSameDocument()).toBe(true);
    expect(await overflowX(phone.page)).toBeLessThanOrEqual(0);
    await screenshot(phone.page, 'approvals-phone-390');
    await approve.tap();

    const answer = await held;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toBe('deploy to production');

    // The audit shows the device's label, in the API and on the call's page.
    const activity = (await (await fetch(`${base}/api/activity?tool=echo`, { headers: { Authorization: `Bearer ${KEY}` } })).json()) as {
      items: { id: string; approvalId: string }[];
    };
    const entry = activity.items[0]!;
    const approval = (await (
      await fetch(`${base}/api/approvals/${entry.approvalId}`, { headers: { Authorization: `Bearer ${KEY}` } })
    ).json()) as Record<string, unknown>;
    expect(approval).toMatchObject({ state: 'approved', decidedByLabel: 'Pixel 8', decidedVia: 'ui' });
    await desktop.page.goto(`${base}/activity/${entry.id}`);
    expect(await desktop.page.locator('main').textContent()).toContain('Pixel 8');

    await desktop.page.goto(`${base}/access`);
    expect(await desktop.page.locator('#devices').textContent()).toContain('Pixel 8');

    // The phone sees what it may use: no Run button, no server switches, no Access page.
    await phone.page.goto(`${base}/tools/fx/echo`);
    await scriptsReady(phone.page);
    expect(await phone.page.getByRole('button', { name: 'Run' }).count()).toBe(0);
    expect(await phone.page.getByRole('navigation').getByRole('link', { name: 'Access' }).count()).toBe(0);
    await phone.page.goto(`${base}/`);
    await scriptsReady(phone.page);
    expect(await phone.page.locator('article.server[data-server="fx"]').count()).toBe(1);
    expect(await phone.page.getByRole('switch').count()).toBe(0);
    expect(await overflowX(phone.page)).toBeLessThanOrEqual(0);
    await screenshot(phone.page, 'servers-phone-390');
    // It signs out, which unpairs it: back to the pairing page, and listed as revoked.
    await phone.page.getByRole('button', { name: 'Sign out' }).tap();
    await phone.page.waitForURL(`${base}/pair`);
    expect(await phone.context.cookies()).toEqual([]);
    await desktop.page.goto(`${base}/access`);
    expect(await desktop.page.locator('#devices .access-item.revoked').textContent()).toContain('Pixel 8');
    expectClean(desktop);
    expectClean(phone);
  }, 60_000);
});
