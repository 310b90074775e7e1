// Pages of other origins in a real browser (Debian's Chromium through playwright-core) against a
// real gateway: Open WebUI's browser-side tool calls from a configured origin pass CORS with the
// headers Open WebUI sends, other origins do not, and a page on another localhost port cannot
// post forms to a gateway without a key.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useBrowser } from './helpers/browser.js';
import { callKit, node } from './helpers/calls.js';
import { fixture } from './helpers/gateway.js';

const browser = useBrowser();

const kit = callKit();
const fx = () => ({ command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: 'echo' } });

/** A site of its own origin (`http://127.0.0.1:PORT`) serving `html` at `/`, until the test ends. */
async function site(html = '<!doctype html><title>elsewhere</title>'): Promise<string> {
  const server = http.createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(html);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  kit.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function pageAt(url: string) {
  const context = await browser().newContext();
  kit.defer(() => context.close());
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

/** A tool call as Open WebUI's browser makes it (src/lib/apis/index.ts, executeToolServer): its status, or the fetch error. */
function openWebUiCall([url, key]: readonly [string, string]): Promise<number | string> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', authorization: `Bearer ${key}`, 'X-Session-Id': 'chat-1234' },
    body: JSON.stringify({ message: 'from the browser' }),
  }).then(
    (res) => res.status,
    (error: Error) => `failed: ${error.message}`,
  );
}

describe('a user-level Open WebUI tool server, called from the browser', () => {
  it('passes the CORS preflight with the headers Open WebUI sends, from a configured origin only', async () => {
    const chat = await site();
    const other = await site();
    const { app } = await kit.gateway({ fx: fx() }, { cors: { origins: [chat] } }, { apiKey: 'browser-key-0123' });
    const gateway = await kit.listen(app);

    const allowed = await pageAt(chat);
    expect(await allowed.evaluate(openWebUiCall, [`${gateway}/fx/echo`, 'browser-key-0123'] as const)).toBe(200);
    // The document fetch of the connection (getToolServerData) works too.
    const spec = await allowed.evaluate(
      async ([url, key]) =>
        (await fetch(url, { headers: { Accept: 'application/json', 'Content-Type': 'application/json', authorization: `Bearer ${key}` } }))
          .status,
      [`${gateway}/openapi.json`, 'browser-key-0123'] as const,
    );
    expect(spec).toBe(200);

    const refused = await pageAt(other);
    expect(await refused.evaluate(openWebUiCall, [`${gateway}/fx/echo`, 'browser-key-0123'] as const)).toMatch(/^failed/);
  });
});

describe('a page on another localhost port', () => {
  it('cannot make a gateway without a key change anything with a form it posts', async () => {
    const { app, supervisor, gateway } = await kit.gateway({ fx: fx() });
    const base = await kit.listen(app);
    const attacker = await site(
      `<!doctype html><form method="post" action="${base}/ui/servers/fx/enabled"><input name="enabled" value="false"></form>` +
        `<form method="post" action="${base}/fx/echo" enctype="text/plain"><input name='{"message":"x","pad":"' value='"}'></form>`,
    );
    const page = await pageAt(attacker);
    for (const index of [0, 1]) {
      await page.goto(attacker);
      const answer = page.waitForResponse((res) => res.url().startsWith(base));
      await page.evaluate((n) => document.forms[n]!.submit(), index);
      const res = await answer;
      expect(res.status()).toBe(403);
      expect((await res.json()).type).toBe('csrf-failed');
    }
    expect(supervisor.status('fx')!.enabled).toBe(true);
    expect(gateway.activity.list({ limit: 10 }).items).toEqual([]);
  });
});
