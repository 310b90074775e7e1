// A server's question answered on a phone, in Debian's Chromium: a paired device (390×844) has
// the approvals page open; server-everything's `trigger-elicitation-request`, called over REST,
// asks for a form; the question card appears without a reload, counted in the badge, with a form
// generated from the requested schema; the phone fills in the required name and taps Accept; the
// waiting REST call returns the server's result with that name.
import { describe, expect, it } from 'vitest';
import { useBrowser } from './helpers/browser.js';
import { callKit } from './helpers/calls.js';
import { EVERYTHING_BIN } from './helpers/gateway.js';
import { cspProblems, openSession, overflowX, screenshot, scriptsReady, streamOpen } from './helpers/ui.js';

const browser = useBrowser();

const kit = callKit();
const KEY = 'questions-browser-test-key-01234';

describe('a question card', () => {
  it(
    'appears live on a paired phone, is answered with the generated form, and the waiting call gets the answer',
    { timeout: 60_000 },
    async () => {
      const { app, gateway } = await kit.gateway(
        { e: { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'] } },
        {},
        { apiKey: KEY },
      );
      const base = await kit.listen(app);
      const { token } = gateway.devices.pair('Pixel 8', 'test');
      const phone = await openSession(browser(), new URL(base).origin, {
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
      });
      kit.defer(() => phone.close());
      await phone.context.addCookies([{ name: 'mcpgw_session', value: token, url: base, httpOnly: true, sameSite: 'Strict' }]);
      await phone.page.goto(`${base}/approvals`);
      await scriptsReady(phone.page);
      await streamOpen(phone.page);
      await phone.markDocument();

      const call = fetch(`${base}/api/tools/e/trigger-elicitation-request`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
        body: '{}',
      });
      const accept = phone.page.getByRole('button', { name: 'Accept' });
      await accept.waitFor({ timeout: 15_000 });
      const card = phone.page.locator('.question');
      expect(await card.textContent()).toContain('Please provide inputs for the following fields:');
      expect(await card.textContent()).toContain('trigger-elicitation-request');
      expect(await phone.page.locator('#approvals-badge').textContent()).toContain('1');
      expect(await phone.stillSameDocument()).toBe(true);
      expect(await overflowX(phone.page)).toBeLessThanOrEqual(0);

      // The required name is the first field (the label is its schema title, "String").
      const name = card.locator('input[aria-required=true]');
      expect(await name.count()).toBe(1);
      await name.fill('Ada from the phone');
      await screenshot(phone.page, 'question-phone-390');
      await accept.tap();
      await expect.poll(() => card.getAttribute('data-state'), { timeout: 15_000 }).toBe('accepted');
      expect(await card.textContent()).toContain('Pixel 8');

      const answer = await call;
      expect(answer.status).toBe(200);
      const text = JSON.stringify(await answer.json());
      expect(text).toContain('Name: Ada from the phone');
      expect(phone.problems).toEqual([]);
      for (const document of phone.documents) expect(cspProblems(document.csp)).toEqual([]);
    },
  );
});
