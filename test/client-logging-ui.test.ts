// The server card's "Server log" in a real browser: opening it loads the server's last log
// messages (hostile text shown as text), and its select sets the server's log level.
import { describe, expect, it } from 'vitest';
import { useBrowser } from './helpers/browser.js';
import { callKit, node } from './helpers/calls.js';
import { fixture } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { cspProblems, openSession, scriptsReady } from './helpers/ui.js';

const browser = useBrowser();

const kit = callKit();
const CALL = { timeoutMs: 10_000, maxTotalTimeoutMs: 10_000 };
const HOSTILE = '<img src=x onerror=alert(1)>';

describe('server log on the server card', () => {
  it('opens the log, shows hostile messages as text, and sets the log level', async () => {
    const started = await kit.gateway({ fx: { command: node, args: [fixture('client-features.mjs')] } });
    const connection = started.supervisor.get('fx')!;
    await connection.callTool('log', { level: 'error', data: HOSTILE }, CALL);
    const base = await kit.listen(started.app);
    const ui = await openSession(browser(), new URL(base).origin);
    kit.defer(() => ui.close());
    const page = ui.page;
    await page.goto(`${base}/`);
    await scriptsReady(page);

    const card = page.locator('.server[data-server="fx"]');
    await card.locator('summary', { hasText: 'Server log' }).click();
    const entry = card.locator('.server-log .log-entries li');
    await entry.first().waitFor();
    expect(await entry.first().locator('.text').textContent()).toBe(HOSTILE);
    expect(await card.locator('.server-log img').count()).toBe(0);

    await card.locator('select[name="level"]').selectOption('debug');
    await card.locator('.server-log button', { hasText: 'Set' }).click();
    await waitUntil(
      async () => String((await connection.callTool('current_level', {}, CALL)).content[0]!.text) === 'debug',
      10_000,
      'the level chosen on the card to reach the server',
    );
    expect(await card.locator('select[name="level"] option:checked').getAttribute('value')).toBe('debug');
    expect(ui.problems).toEqual([]);
    expect(ui.dialogs).toEqual([]);
    for (const document of ui.documents) expect(cspProblems(document.csp)).toEqual([]);
  });
});
