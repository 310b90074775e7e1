// Connect in the orchestrator, in Chromium (issue 19): the server card's Connect goes to the server's
// authorization server (test/fixtures/oauth-server.mjs, which approves at once as a person clicking
// "Allow" would), back to the gateway's /ui/oauth/callback, then to the servers page with the
// server ready; a tool call over REST then works.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { useBrowser } from './helpers/browser.js';
import { FAST, startTestGateway, waitForServer } from './helpers/gateway.js';
import { startHttpFixture } from './helpers/http-server.js';

const browser = useBrowser();
const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

describe('Connect on a server card', () => {
  it('signs the server in through its authorization server and comes back to the servers page', async () => {
    const upstream = await startHttpFixture(['oauth-server.mjs'], '/mcp');
    running.push(upstream);
    const gateway = await startTestGateway({
      approval: { default: 'allow' },
      gateway: FAST,
      mcpServers: { remote: { url: upstream.url, auth: 'oauth' } },
    });
    running.push({ stop: () => gateway.close() });
    const server = http.createServer(gateway.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    running.push({
      stop: () => {
        server.closeAllConnections();
        return new Promise((resolve) => server.close(resolve));
      },
    });
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');

    const context = await browser().newContext();
    running.unshift({ stop: () => context.close() });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    const card = page.locator('article[data-server="remote"]');
    expect((await card.locator('.badge').textContent())?.trim()).toBe('needs sign-in');
    await card.getByRole('link', { name: /Connect/ }).click();
    await page.waitForURL(`${base}/`);
    await waitForServer(gateway.supervisor, 'remote', 'ready');
    await page.reload();
    expect((await card.locator('.badge').textContent())?.trim()).toBe('ready');
    expect(await card.getByRole('button', { name: 'Disconnect' }).isVisible()).toBe(true);

    const call = await fetch(`${base}/remote/echo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"text":"from the browser"}',
    });
    expect(call.status).toBe(200);
    expect(await call.json()).toBe('from the browser');
  });
});
