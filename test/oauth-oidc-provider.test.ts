// A server behind a real authorization server (issue 19, "Tests (real parts)"): oidc-provider
// (test/fixtures/authorization-server.mjs, its sign-in and consent pages waiting for clicks) in front of
// a streamable-HTTP MCP server that takes only JWT access tokens signed by it for its own URL
// (test/fixtures/jwt-mcp-server.mjs), with the built gateway and Chromium: Connect on the card, sign
// in and allow at the provider, call a tool; the access token expires and is refreshed with no failed
// call; the grant is revoked at the provider and the server needs a sign-in again; and no token the
// provider issued is in the gateway's log, its API answers, its activity log or its state files.
// Also: an access token that really expired (a 3 s life) is refreshed before it is sent, and the MCP
// server fixture refuses a token for another audience.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useBrowser } from './helpers/browser.js';
import { startCli } from './helpers/cli.js';
import { tempDir } from './helpers/gateway.js';
import { startHttpFixture } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';

const browser = useBrowser();
const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

interface ProviderStats {
  registrations: number;
  authorizations: number;
  codeExchanges: number;
  refreshes: number;
  refusedRefreshes: number;
}

interface UpstreamStats {
  accepted: number;
  unauthorized: number;
  expiredRefusals: number;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
}

/** The fixtures' test hooks. */
const at = (server: { url: string }, hook: string) => new URL(`/test/${hook}`, server.url);

/**
 * oidc-provider (with `env`), the MCP server behind it, and the built gateway with that server as
 * `remote` (`auth: "oauth"`), logging everything (`trace`, JSON); `api` keeps every answer it reads.
 */
async function setUp(env: NodeJS.ProcessEnv) {
  const provider = await startHttpFixture(['authorization-server.mjs'], '', { AS_SCOPES: 'mcp:tools', ...env });
  running.push(provider);
  const upstream = await startHttpFixture(['jwt-mcp-server.mjs'], '/mcp', { ISSUER: provider.url });
  running.push(upstream);
  const dir = tempDir();
  const config = path.join(dir, 'config.json');
  const stateDir = path.join(dir, 'state');
  fs.writeFileSync(
    config,
    JSON.stringify({
      approval: { default: 'allow' },
      gateway: { pingIntervalMs: 0 },
      mcpServers: { remote: { url: upstream.url, auth: 'oauth' } },
    }),
  );
  const gateway = await startCli(['--config', config, '--state-dir', stateDir, '--log-level', 'trace', '--log-format', 'json']);
  running.push(gateway);

  const answers: string[] = [];
  const api = async (route: string, init?: RequestInit) => {
    const response = await fetch(`${gateway.url}${route}`, init);
    const text = await response.text();
    answers.push(text);
    const json = /json/.test(response.headers.get('content-type') ?? '');
    return { status: response.status, body: json ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
  const stateIs = (state: string) => async () => (await api('/api/servers/remote')).body?.state === state;
  await waitUntil(stateIs('needs-sign-in'), 15_000, 'the server to need a sign-in');
  return {
    provider,
    upstream,
    gateway,
    stateDir,
    answers,
    api,
    stateIs,
    call: (tool: string, args: object) =>
      api(`/remote/${tool}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(args) }),
    providerStats: async () => (await (await fetch(at(provider, 'stats'))).json()) as ProviderStats,
    upstreamStats: async () => (await (await fetch(at(upstream, 'stats'))).json()) as UpstreamStats,
  };
}

describe('a server behind oidc-provider, a real authorization server', () => {
  it('connects on the card, refreshes an expired token without a failed call, needs a sign-in once revoked, and keeps every token out of sight', async () => {
    const { provider, upstream, gateway, stateDir, answers, api, stateIs, call, providerStats, upstreamStats } = await setUp({
      AS_INTERACTIVE: '1',
      AS_CONSENT: '1',
    });
    const expireAccessTokens = async () => expect((await fetch(at(upstream, 'expire'), { method: 'POST' })).status).toBe(200);

    // Connect on the card: the provider's sign-in page (an account typed), its consent page, back to the gateway.
    const context = await browser().newContext();
    running.unshift({ stop: () => context.close() });
    const page = await context.newPage();
    let callbackCode: string | null = null;
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/ui/oauth/callback') callbackCode = url.searchParams.get('code');
    });
    await page.goto(`${gateway.url}/`);
    const card = page.locator('article[data-server="remote"]');
    expect((await card.locator('.badge').textContent())?.trim()).toBe('needs sign-in');
    await card.getByRole('link', { name: /Connect/ }).click();
    await page.waitForURL((url) => url.origin === provider.url);
    await page.fill('#login', 'alice');
    await page.click('#sign-in');
    await page.waitForSelector('#allow');
    // The consent names the MCP server's URL as the resource (RFC 8707) and the scope it challenged with.
    expect(await page.locator('#asked').textContent()).toBe(`${upstream.url}: mcp:tools`);
    await page.click('#allow');
    await page.waitForURL(`${gateway.url}/`);
    await waitUntil(stateIs('ready'), 15_000, 'the server to be ready after the sign-in');
    await page.reload();
    expect((await card.locator('.badge').textContent())?.trim()).toBe('ready');
    expect(await card.getByRole('button', { name: 'Disconnect' }).isVisible()).toBe(true);
    expect(await providerStats()).toMatchObject({ registrations: 1, authorizations: 1, codeExchanges: 1, refreshes: 0 });

    // A tool call with the JWT: for alice, for the MCP server's URL.
    const whoami = await call('whoami', {});
    expect(whoami.status).toBe(200);
    expect(whoami.body).toEqual({ sub: 'alice', scopes: ['mcp:tools'] });
    expect((await call('echo', { text: 'first' })).body).toBe('first');

    // The access token expires: the next call goes through, with one refresh at the provider.
    await expireAccessTokens();
    const afterExpiry = await call('echo', { text: 'after expiry' });
    expect(afterExpiry.status).toBe(200);
    expect(afterExpiry.body).toBe('after expiry');
    expect(await providerStats()).toMatchObject({ refreshes: 1, refusedRefreshes: 0 });
    expect((await upstreamStats()).expiredRefusals).toBeGreaterThan(0);
    expect((await call('echo', { text: 'again' })).body).toBe('again');
    expect((await providerStats()).refreshes).toBe(1);
    // And again: the rotated refresh token was kept (the provider refuses an old one, and revokes the grant).
    await expireAccessTokens();
    expect((await call('echo', { text: 'second expiry' })).body).toBe('second expiry');
    expect(await providerStats()).toMatchObject({ refreshes: 2, refusedRefreshes: 0 });
    const activity = (await api('/api/activity?limit=50')).body!.items as Record<string, unknown>[];
    expect(activity.map((row) => [row.tool, row.outcome, row.status])).toEqual([
      ['echo', 'ok', 200],
      ['echo', 'ok', 200],
      ['echo', 'ok', 200],
      ['echo', 'ok', 200],
      ['whoami', 'ok', 200],
    ]);

    // The grant is revoked at the provider: once the access token is gone too, the server needs a sign-in.
    expect((await fetch(at(provider, 'revoke-grants'), { method: 'POST' })).status).toBe(200);
    await expireAccessTokens();
    const revoked = await call('echo', { text: 'after revocation' });
    expect(revoked.status).toBe(503);
    expect(revoked.body).toMatchObject({ type: 'needs-sign-in', server: 'remote' });
    await waitUntil(stateIs('needs-sign-in'), 15_000, 'the server to need a sign-in again');
    expect((await providerStats()).refusedRefreshes).toBe(1);
    expect((await api('/api/servers/remote')).body!.oauth).toMatchObject({ connected: false });
    await page.reload();
    expect((await card.locator('.badge').textContent())?.trim()).toBe('needs sign-in');
    expect(await card.getByRole('link', { name: /Connect/ }).isVisible()).toBe(true);

    // No token the provider issued (codes, access and refresh tokens) anywhere the gateway writes or answers.
    const issued = (await (await fetch(at(provider, 'issued'))).json()) as string[];
    expect(issued.length).toBeGreaterThanOrEqual(7); // a code, then three access and three refresh tokens
    expect(issued).toContain(callbackCode);
    // A JWT's signature alone is as telling as the whole token.
    const needles = issued.flatMap((token) => [token, ...(token.split('.').length === 3 ? [token.split('.')[2]!] : [])]);
    const rows = (await api('/api/activity?limit=50')).body!.items as { id: string }[];
    for (const row of rows) await api(`/api/activity/${row.id}`);
    for (const route of ['/api/servers', '/api/servers/remote', '/api/calls', '/metrics']) await api(route);
    answers.push(await page.content());
    // The state files as the running gateway has them (the WAL too), and once it stopped (checkpointed).
    const stateFiles = (when: string) =>
      filesUnder(stateDir).map((file): [string, string] => [
        `${when}: ${path.relative(stateDir, file)}`,
        fs.readFileSync(file).toString('latin1'),
      ]);
    const places: [string, string][] = [['the API answers', answers.join('\n')], ...stateFiles('running')];
    expect(places.map(([place]) => place)).toContain('running: gateway.db');
    expect(await gateway.stop()).toBe(0);
    places.push(['the log', JSON.stringify(gateway.logs) + gateway.stderr()], ...stateFiles('stopped'));
    expect(gateway.logs.length).toBeGreaterThan(10);
    const found = places.flatMap(([place, text]) =>
      needles.filter((needle) => text.includes(needle)).map((needle) => `${place}: ${needle.slice(0, 12)}…`),
    );
    expect(found).toEqual([]);
  }, 60_000);

  it('refreshes an access token that really expired before sending it: the server never sees it', async () => {
    // Access tokens live 3 s: the gateway refreshes one past half its life before it uses it.
    const { provider, api, stateIs, call, providerStats, upstreamStats } = await setUp({ AS_ACCESS_TOKEN_TTL: '3' });
    // Signed in through the API, as `mcp-gateway oauth login` does; the provider signs the test user in at once.
    const connect = await api('/api/servers/remote/oauth/connect', { method: 'POST' });
    const approved = await fetch(connect.body!.authorizationUrl, { redirect: 'manual' });
    const callback = new URL(approved.headers.get('location')!);
    expect(callback.searchParams.get('iss')).toBe(provider.url);
    expect((await fetch(callback, { redirect: 'manual' })).status).toBe(303);
    await waitUntil(stateIs('ready'), 15_000, 'the server to be ready after the sign-in');
    expect((await call('echo', { text: 'first' })).body).toBe('first');

    // Wait out the access token's life (its exp is in whole seconds), then call.
    const { expiresAt } = (await api('/api/servers/remote')).body!.oauth as { expiresAt: string };
    const refreshesBefore = (await providerStats()).refreshes;
    const before = await upstreamStats();
    await waitUntil(() => Date.now() > Date.parse(expiresAt) + 1000, 10_000, 'the access token to expire');
    const answer = await call('echo', { text: 'after expiry' });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('after expiry');
    expect((await providerStats()).refreshes).toBeGreaterThan(refreshesBefore);
    // No request went with the expired token: the server refused nothing.
    expect((await upstreamStats()).unauthorized).toBe(before.unauthorized);
    const activity = (await api('/api/activity?limit=10')).body!.items as Record<string, unknown>[];
    expect(activity.map((row) => row.outcome)).toEqual(['ok', 'ok']);
  }, 60_000);

  it('the MCP server behind it takes only tokens of the provider for its own URL (RFC 8707 audience)', async () => {
    const provider = await startHttpFixture(['authorization-server.mjs'], '', { AS_SCOPES: 'mcp:tools' });
    running.push(provider);
    const upstream = await startHttpFixture(['jwt-mcp-server.mjs'], '/mcp', { ISSUER: provider.url });
    running.push(upstream);
    // Client credentials of the provider's static client, for a resource of the test's choosing.
    const tokenFor = async (resource: string) => {
      const answer = await fetch(new URL('/token', provider.url), {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('test-client:test-secret').toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'mcp:tools', resource }),
      });
      expect(answer.status).toBe(200);
      return ((await answer.json()) as { access_token: string }).access_token;
    };
    const initialize = (token?: string) =>
      fetch(upstream.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(token && { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
        }),
      });
    const metadataUrl = `http://127.0.0.1:${upstream.port}/.well-known/oauth-protected-resource/mcp`;
    const anonymous = await initialize();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain(`resource_metadata="${metadataUrl}"`);
    expect(await (await fetch(metadataUrl)).json()).toMatchObject({ resource: upstream.url, authorization_servers: [provider.url] });

    const otherAudience = await initialize(await tokenFor('http://127.0.0.1:1/mcp'));
    expect(otherAudience.status).toBe(401);
    expect(otherAudience.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await initialize(await tokenFor(upstream.url))).status).toBe(200);
  });
});
