// Per-user accounts in the orchestrator (issue 19 item 5), in Chromium: on a perUserAuth server's card the
// operator makes a connect link for a user; the user opens it in their own browser (no gateway session),
// confirms on the page it shows, signs in at the server's authorization server (test/fixtures/oauth-server.mjs approves at once) and lands
// on the "Connected" page; their calls then go with their own account, and Disconnect on the card ends it.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useBrowser } from './helpers/browser.js';
import { callKit } from './helpers/calls.js';
import { FAST, startTestGateway, waitForServer } from './helpers/gateway.js';
import { startHttpFixture } from './helpers/http-server.js';

const browser = useBrowser();
const kit = callKit();

describe("a perUserAuth server's card", () => {
  it('makes a connect link that signs the user in with their own account, and disconnects them', async () => {
    const upstream = await startHttpFixture(['oauth-server.mjs'], '/mcp');
    kit.defer(() => upstream.stop());
    const gateway = await startTestGateway({
      approval: { default: 'allow' },
      gateway: FAST,
      mcpServers: { remote: { url: upstream.url, auth: 'oauth', perUserAuth: true } },
    });
    kit.defer(() => gateway.close());
    const base = await kit.listen(gateway.app);
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');

    const operator = await browser().newContext();
    kit.defer(() => operator.close());
    const page = await operator.newPage();
    await page.goto(`${base}/`);
    const card = page.locator('article[data-server="remote"]');
    // No shared Connect: each user connects their own account.
    expect(await card.getByRole('link', { name: /Connect/ }).count()).toBe(0);
    await card.getByText("Users' accounts").click();
    await card.getByLabel('User id (Open WebUI)').fill('alice');
    await card.getByRole('button', { name: 'Make a connect link' }).click();
    const link = (await card.locator('.connect-link code').textContent())!.trim();
    expect(link).toMatch(new RegExp(`^${base}/ui/oauth/connect/[\\w-]{40,}$`));

    // The user, in a browser of their own.
    const user = await browser().newContext();
    kit.defer(() => user.close());
    const userPage = await user.newPage();
    await userPage.goto(link);
    // The link asks first: who connects, to what.
    expect(await userPage.getByText('for the gateway user alice').isVisible()).toBe(true);
    await userPage.getByRole('button', { name: 'Connect my account' }).click();
    await userPage.waitForURL(/\/ui\/oauth\/callback/);
    expect(await userPage.getByRole('heading', { name: 'Connected' }).isVisible()).toBe(true);
    await waitForServer(gateway.supervisor, 'remote', 'ready');

    expect((await request(gateway.app).post('/remote/echo').send({ text: 'x' })).body.type).toBe('connect-first');
    expect(gateway.supervisor.status('remote')!.oauth!.users).toEqual([
      {
        user: 'alice',
        connected: true,
        expiresAt: expect.any(Number),
        obtainedAt: expect.any(Number),
        signedInAt: expect.any(Number),
        scopes: expect.any(Array),
      },
    ]);

    await page.reload();
    await card.getByText("Users' accounts (1 connected)").click();
    await card.getByRole('button', { name: 'Disconnect alice from remote' }).click();
    await card.getByText("Users' accounts (0 connected)").waitFor();
    expect(gateway.supervisor.status('remote')!.oauth!.users).toEqual([]);
  });
});
