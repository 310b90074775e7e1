// Remote servers behind OAuth 2.1 (issue 19): the gateway as the OAuth client of a real server with its
// own authorization server (test/fixtures/oauth-server.mjs: the MCP SDK's authorization server handlers,
// audience checked), through the real gateway and REST.
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FAST, recordStates, startTestGateway, tempDir, waitForServer, type TestGateway } from './helpers/gateway.js';
import { startHttpFixture, type HttpServer } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';
import { parseConfigText } from '../server/config/load.js';
import { ConfigError } from '../server/config/types.js';
import { createLogger, type Logger } from '../server/logging/logger.js';

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});
afterAll(async () => {
  while (running.length) await running.pop()!.stop();
});

interface Stats {
  authorizations: number;
  codeExchanges: number;
  refreshes: number;
  clientCredentials: number;
  registrations: number;
  revocations: number;
  unauthorized: number;
  sessions: number;
  lastResource: string | null;
}

/** A POST the authorization server got (/token, /revoke, /register). */
interface Post {
  path: string;
  authorization: string | null;
  form: Record<string, string> | null;
}

interface OAuthFixture extends HttpServer {
  stats(): Promise<Stats>;
  /** Every POST to /token, /revoke and /register. */
  posts(): Promise<Post[]>;
  /** Every access and refresh token the authorization server issued. */
  issued(): Promise<string[]>;
  hook(name: string): Promise<void>;
}

async function oauthServer(env: NodeJS.ProcessEnv = {}): Promise<OAuthFixture> {
  const server = await startHttpFixture(['oauth-server.mjs'], '/mcp', env);
  running.push(server);
  const base = `http://127.0.0.1:${server.port}`;
  return {
    ...server,
    stats: async () => (await (await fetch(`${base}/test/stats`)).json()) as Stats,
    issued: async () => (await (await fetch(`${base}/test/issued`)).json()) as string[],
    posts: async () => (await (await fetch(`${base}/test/posts`)).json()) as Post[],
    hook: async (name) => void (await fetch(`${base}/test/${name}`, { method: 'POST' })),
  };
}

async function gatewayFor(
  servers: Record<string, object>,
  options: { stateDir?: string; logger?: Logger; gateway?: object; allowedHosts?: string[] } = {},
): Promise<TestGateway> {
  const gateway = await startTestGateway(
    { approval: { default: 'allow' }, gateway: { ...FAST, ...options.gateway }, mcpServers: servers },
    options,
  );
  running.push({ stop: () => gateway.close() });
  return gateway;
}

/**
 * What a person does after Connect: the browser follows the authorization URL; the authorization
 * server (which approves at once) redirects to the callback with code, state and iss.
 */
async function approve(authorizationUrl: URL): Promise<URLSearchParams> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!).searchParams;
}

/**
 * Signs the server in as a person would through the API: Connect answers the authorization URL,
 * the browser follows it and comes back to the gateway's callback.
 */
async function signIn(gateway: TestGateway, name: string): Promise<void> {
  const connect = await request(gateway.app).post(`/api/servers/${name}/oauth/connect`);
  expect(connect.status).toBe(200);
  const params = await approve(new URL(connect.body.authorizationUrl));
  const callback = await request(gateway.app).get(`/ui/oauth/callback?${params}`);
  expect(callback.status).toBe(303);
  expect(callback.headers.location).toBe('/');
  await waitForServer(gateway.supervisor, name, 'ready');
}

/** A gateway with one server behind OAuth (`remote`), signed in. */
async function signedIn(env: NodeJS.ProcessEnv = {}, server: object = {}): Promise<{ upstream: OAuthFixture; gateway: TestGateway }> {
  const upstream = await oauthServer(env);
  const gateway = await gatewayFor({ remote: { url: upstream.url, auth: 'oauth', ...server } });
  await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
  await signIn(gateway, 'remote');
  return { upstream, gateway };
}

/**
 * After a refresh (the access token expired), the server's `X-Api-Key` header reached the server
 * and never its authorization server (SEPARATE_AS=1: another origin).
 */
async function expectKeyOnlyAtServer(upstream: OAuthFixture, gateway: TestGateway): Promise<void> {
  await upstream.hook('expire');
  expect((await echo(gateway, 'remote', 'with the key')).status).toBe(200);
  const { asPort, keyed } = (await (await fetch(new URL('/test/keyed', upstream.url))).json()) as { asPort: number; keyed: string[] };
  expect(keyed).toContain(`${upstream.port} /mcp`);
  expect(keyed.filter((line) => line.startsWith(`${asPort} `))).toEqual([]);
  expect((await upstream.stats()).refreshes).toBe(1);
}

/** The server `from` moves to the authorization server of `to` (SEP-2352); `from`'s tokens are revoked there. */
async function moveAs(from: OAuthFixture, to: OAuthFixture): Promise<void> {
  await fetch(new URL(`/test/move-as?to=${encodeURIComponent(`http://127.0.0.1:${to.port}/`)}`, from.url), { method: 'POST' });
}

const echo = (gateway: TestGateway, server: string, text: string) => request(gateway.app).post(`/${server}/echo`).send({ text });

describe('a remote server behind OAuth', () => {
  it('waits in needs-sign-in without retrying, and its tool calls answer 503 needs-sign-in naming the server', async () => {
    const upstream = await oauthServer();
    const gateway = await gatewayFor({ remote: { url: upstream.url, auth: 'oauth' } });
    const states = recordStates(gateway.supervisor, 'remote');
    const status = await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    expect(status.nextRetryAt).toBeUndefined();
    expect(status.oauth).toEqual({ connected: false, scopes: [] });

    const response = await echo(gateway, 'remote', 'hi');
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ type: 'needs-sign-in', server: 'remote' });
    expect(response.body.detail).toContain('remote');
    // No reconnect loop: one attempt, nothing registered without a person.
    const before = await upstream.stats();
    await waitUntil(async () => (await request(gateway.app).get('/api/servers/remote')).status === 200);
    expect(gateway.supervisor.status('remote')!.restarts).toBe(0);
    expect(states).not.toContain('backoff');
    expect(before.registrations).toBe(0);
    expect(before.unauthorized).toBe(1);
  });

  it('a server without "auth" whose 401 names its resource metadata is treated the same', async () => {
    const upstream = await oauthServer();
    const gateway = await gatewayFor({ remote: { url: upstream.url } });
    const status = await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    expect(status.lastError?.message).toMatch(/sign in/);
    await signIn(gateway, 'remote');
    expect((await echo(gateway, 'remote', 'discovered')).body).toBe('discovered');
  });

  it('signs in with a code (dynamic registration, PKCE, resource, iss), then calls tools with the token', async () => {
    const upstream = await oauthServer();
    const gateway = await gatewayFor({ remote: { url: upstream.url, auth: { scopes: ['mcp:tools'] } } });
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    await signIn(gateway, 'remote');

    const response = await echo(gateway, 'remote', 'hello');
    expect(response.status).toBe(200);
    expect(response.body).toBe('hello');
    const stats = await upstream.stats();
    expect(stats).toMatchObject({ registrations: 1, authorizations: 1, codeExchanges: 1 });
    // RFC 8707: the token is for this server (the fixture refuses any other audience).
    expect(stats.lastResource).toBe(upstream.url);
    const status = gateway.supervisor.status('remote')!;
    expect(status.oauth).toMatchObject({ connected: true, scopes: ['mcp:tools'] });
    expect(status.oauth!.expiresAt).toBeGreaterThan(Date.now());
    // The API shows the connection, never a token.
    const api = await request(gateway.app).get('/api/servers/remote');
    expect(api.body.oauth).toMatchObject({ connected: true, scopes: ['mcp:tools'] });
    expect(Date.parse(api.body.oauth.expiresAt)).toBeGreaterThan(Date.now());
    expect(JSON.stringify(api.body)).not.toMatch(/token|secret/i);
  });

  it('refuses a callback whose state is unknown, or whose iss is not the authorization server (RFC 9207)', async () => {
    const upstream = await oauthServer();
    const gateway = await gatewayFor({ remote: { url: upstream.url, auth: 'oauth' } });
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    const connect = await request(gateway.app).post('/api/servers/remote/oauth/connect');
    const params = await approve(new URL(connect.body.authorizationUrl));
    const forged = new URLSearchParams(params);
    forged.set('state', 'forged');
    const refused = await request(gateway.app).get(`/ui/oauth/callback?${forged}`);
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('no sign-in under way');
    const otherIssuer = new URLSearchParams(params);
    otherIssuer.set('iss', 'https://evil.example/');
    const mixedUp = await request(gateway.app).get(`/ui/oauth/callback?${otherIssuer}`);
    expect(mixedUp.status).toBe(400);
    expect(mixedUp.text).toContain('RFC 9207');
    expect((await upstream.stats()).codeExchanges).toBe(0);
    expect(gateway.supervisor.status('remote')!.state).toBe('needs-sign-in');
  });

  it('a server whose url changes forgets the sign-in under way at the old url: its callback is refused', async () => {
    const before = await oauthServer();
    const after = await oauthServer();
    const gateway = await gatewayFor({ remote: { url: before.url, auth: 'oauth' } });
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    const connect = await request(gateway.app).post('/api/servers/remote/oauth/connect');
    expect(connect.status).toBe(200);
    const config = gateway.gateway.config;
    await gateway.gateway.reload({ ...config, servers: config.servers.map((server) => ({ ...server, url: after.url })) });
    await waitForServer(gateway.supervisor, 'remote', (status) => status.state === 'needs-sign-in' && status.restarts === 1);
    const params = await approve(new URL(connect.body.authorizationUrl));
    const callback = await request(gateway.app).get(`/ui/oauth/callback?${params}`);
    expect(callback.status).toBe(400);
    expect(callback.text).toContain('no sign-in under way');
    expect((await before.stats()).codeExchanges).toBe(0);
    expect((await after.stats()).codeExchanges).toBe(0);
  });

  it('Connect on the card binds the sign-in to the browser that started it; Disconnect revokes and forgets', async () => {
    const upstream = await oauthServer();
    const gateway = await gatewayFor({ remote: { url: upstream.url, auth: 'oauth' } });
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    const card = await request(gateway.app).get('/ui/servers/remote');
    expect(card.text).toContain('needs sign-in');
    expect(card.text).toContain('href="ui/servers/remote/oauth/connect"');

    const connect = await request(gateway.app).get('/ui/servers/remote/oauth/connect');
    expect(connect.status).toBe(303);
    const binding = ([] as string[]).concat(connect.headers['set-cookie'] ?? []).find((line) => line.startsWith('mcpgw_oauth='))!;
    expect(binding).toMatch(/HttpOnly/i);
    expect(binding).toMatch(/SameSite=Lax/i);
    expect(binding).toMatch(/Path=\/ui\/oauth\/callback/);
    const params = await approve(new URL(connect.headers.location!));
    // Another browser (no cookie, or another nonce) cannot finish it.
    expect((await request(gateway.app).get(`/ui/oauth/callback?${params}`)).status).toBe(400);
    const callback = await request(gateway.app).get(`/ui/oauth/callback?${params}`).set('Cookie', binding.split(';')[0]!);
    expect(callback.status).toBe(303);
    await waitForServer(gateway.supervisor, 'remote', 'ready');
    expect((await request(gateway.app).get('/ui/servers/remote')).text).toContain('oauth/disconnect');

    const disconnect = await request(gateway.app).delete('/api/servers/remote/oauth');
    expect(disconnect.status).toBe(200);
    expect(disconnect.body.revokeError).toBeNull();
    expect((await upstream.stats()).revocations).toBe(2);
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    expect(gateway.supervisor.status('remote')!.oauth).toEqual({ connected: false, scopes: [] });
    expect((await echo(gateway, 'remote', 'gone')).body.type).toBe('needs-sign-in');
  });

  it('comes back to the origin and base path the person came from (basePath, tailscale serve)', async () => {
    const upstream = await oauthServer();
    const gateway = await gatewayFor(
      { remote: { url: upstream.url, auth: 'oauth' } },
      { gateway: { basePath: '/gw' }, allowedHosts: ['home.tail1234.ts.net'] },
    );
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    const connect = await request(gateway.app)
      .post('/gw/api/servers/remote/oauth/connect')
      .set('Host', 'home.tail1234.ts.net')
      .set('X-Forwarded-Proto', 'https');
    expect(connect.status).toBe(200);
    const authorizationUrl = new URL(connect.body.authorizationUrl);
    expect(authorizationUrl.searchParams.get('redirect_uri')).toBe('https://home.tail1234.ts.net/gw/ui/oauth/callback');
    const params = await approve(authorizationUrl);
    const callback = await request(gateway.app).get(`/gw/ui/oauth/callback?${params}`);
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe('/gw/');
    await waitForServer(gateway.supervisor, 'remote', 'ready');
  });

  it('refreshes an access token before it expires, without a failed request', async () => {
    const upstream = await oauthServer({ TOKEN_TTL: '3' });
    const gateway = await gatewayFor({ remote: { url: upstream.url, auth: 'oauth' } });
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    await signIn(gateway, 'remote');
    const first = gateway.supervisor.status('remote')!.oauth!.expiresAt!;
    const unauthorized = (await upstream.stats()).unauthorized;
    // Within the last half of the token's life (it lives 3 s): the next request refreshes first.
    await waitUntil(() => Date.now() >= first - 1400, 5000, 'the token to near its expiry');
    expect((await echo(gateway, 'remote', 'still here')).status).toBe(200);
    const stats = await upstream.stats();
    expect(stats.refreshes).toBe(1);
    expect(stats.unauthorized).toBe(unauthorized);
    expect(gateway.supervisor.status('remote')!.oauth!.expiresAt).toBeGreaterThan(first);
  });

  it('refreshes once on a 401 (a token the server no longer takes) and the call succeeds', async () => {
    const { upstream, gateway } = await signedIn();
    await upstream.hook('expire');
    expect((await echo(gateway, 'remote', 'after expiry')).status).toBe(200);
    expect((await upstream.stats()).refreshes).toBe(1);
    // The rotated refresh token is the one kept: a second forced expiry refreshes again.
    await upstream.hook('expire');
    expect((await echo(gateway, 'remote', 'again')).status).toBe(200);
    expect((await upstream.stats()).refreshes).toBe(2);
  });

  it('parallel calls after a 401 all succeed with one refresh, and the rotated tokens are kept', async () => {
    const { upstream, gateway } = await signedIn();
    await upstream.hook('expire');
    const answers = await Promise.all([1, 2, 3].map((n) => echo(gateway, 'remote', `parallel ${n}`)));
    expect(answers.map((answer) => answer.body.detail ?? answer.status)).toEqual([200, 200, 200]);
    expect((await upstream.stats()).refreshes).toBe(1);
    expect(gateway.supervisor.status('remote')!.state).toBe('ready');
    // The tokens kept are the rotated ones: another expiry refreshes again.
    await upstream.hook('expire');
    expect((await echo(gateway, 'remote', 'again')).status).toBe(200);
    expect((await upstream.stats()).refreshes).toBe(2);
  });

  it('parallel calls refused while the metadata is read again (SEP-2352) wait for that one recovery: one refresh', async () => {
    const { upstream, gateway } = await signedIn();
    // A 401 makes the gateway read the metadata again before it refreshes: slow metadata widens that window.
    await upstream.hook('slow-metadata?ms=400');
    await upstream.hook('expire');
    const answers = await Promise.all([1, 2, 3, 4].map((n) => echo(gateway, 'remote', `parallel ${n}`)));
    expect(answers.map((answer) => answer.body.detail ?? answer.status)).toEqual([200, 200, 200, 200]);
    expect((await upstream.stats()).refreshes).toBe(1);
  });

  it('an authorization server outage during a refresh fails the call but keeps the sign-in; the next call refreshes', async () => {
    const { upstream, gateway } = await signedIn();
    await upstream.hook('token-down');
    await upstream.hook('expire');
    const failed = await echo(gateway, 'remote', 'during the outage');
    expect(failed.status).toBe(502);
    expect(failed.body.type).not.toBe('needs-sign-in');
    expect(gateway.supervisor.status('remote')!.state).not.toBe('needs-sign-in');
    expect(gateway.supervisor.status('remote')!.oauth!.connected).toBe(true);
    await upstream.hook('token-up');
    await waitForServer(gateway.supervisor, 'remote', 'ready');
    const after = await echo(gateway, 'remote', 'after the outage');
    expect(after.body.detail).toBe(undefined);
    expect(after.status).toBe(200);
    expect((await upstream.stats()).refreshes).toBe(1);
  });

  it("sends the server's configured headers to the server only, never to its authorization server", async () => {
    const { upstream, gateway } = await signedIn({ SEPARATE_AS: '1' }, { headers: { 'X-Api-Key': 'server-only-key' } });
    await expectKeyOnlyAtServer(upstream, gateway);
  });

  it('signing in again on a connected server ends the old connection before the new one', async () => {
    const { upstream, gateway } = await signedIn();
    expect((await upstream.stats()).sessions).toBe(1);
    await signIn(gateway, 'remote');
    expect((await echo(gateway, 'remote', 'signed in twice')).status).toBe(200);
    await waitUntil(async () => (await upstream.stats()).sessions === 1, 5000, 'the old session to end');
    expect((await upstream.stats()).sessions).toBe(1);
  });

  it('a sign-in started from another origin and never finished keeps the registration the tokens refresh with', async () => {
    const upstream = await oauthServer();
    const gateway = await gatewayFor({ remote: { url: upstream.url, auth: 'oauth' } }, { allowedHosts: ['home.tail1234.ts.net'] });
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    await signIn(gateway, 'remote');
    const connect = await request(gateway.app)
      .post('/api/servers/remote/oauth/connect')
      .set('Host', 'home.tail1234.ts.net')
      .set('X-Forwarded-Proto', 'https');
    expect(connect.status).toBe(200);
    expect((await upstream.stats()).registrations).toBe(2);
    await upstream.hook('expire');
    expect((await echo(gateway, 'remote', 'still signed in')).status).toBe(200);
    expect((await upstream.stats()).refreshes).toBe(1);
  });

  it('a connection attempt while a sign-in is under way leaves that sign-in alone (its PKCE verifier)', async () => {
    const upstream = await oauthServer();
    const gateway = await gatewayFor({ remote: { url: upstream.url, auth: 'oauth' } });
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    const connect = await request(gateway.app).post('/api/servers/remote/oauth/connect');
    expect(connect.status).toBe(200);
    await gateway.supervisor.restart('remote');
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    const params = await approve(new URL(connect.body.authorizationUrl));
    const callback = await request(gateway.app).get(`/ui/oauth/callback?${params}`);
    expect(callback.status).toBe(303);
    await waitForServer(gateway.supervisor, 'remote', 'ready');
    expect((await upstream.stats()).authorizations).toBe(1);
  });

  it('forgets the tokens of a server removed from the config: added back, it needs a sign-in', async () => {
    const { gateway } = await signedIn();
    const config = gateway.gateway.config;
    await gateway.gateway.reload({ ...config, servers: [] });
    await gateway.gateway.reload(config);
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    expect(gateway.supervisor.status('remote')!.oauth?.connected ?? false).toBe(false);
  });

  it('goes back to needs-sign-in when its grant is revoked', async () => {
    const { upstream, gateway } = await signedIn();
    await upstream.hook('revoke-all');
    const response = await echo(gateway, 'remote', 'revoked');
    expect(response.status).toBe(503);
    expect(response.body.type).toBe('needs-sign-in');
    expect(gateway.supervisor.status('remote')!.state).toBe('needs-sign-in');
  });

  it('registers anew with the authorization server a server moves to, and signs in there (SEP-2352)', async () => {
    const { upstream, gateway } = await signedIn();
    const next = await oauthServer();
    await moveAs(upstream, next);
    const response = await echo(gateway, 'remote', 'moved');
    expect(response.status).toBe(503);
    expect(response.body.type).toBe('needs-sign-in');
    expect(gateway.supervisor.status('remote')!.lastError?.message).toContain(
      `moved to the authorization server http://127.0.0.1:${next.port}/`,
    );
    // Nothing registered there in the background (a URL the server chose): only a person's Connect does.
    expect(await next.posts()).toEqual([]);
    const connect = await request(gateway.app).post('/api/servers/remote/oauth/connect');
    expect(connect.status).toBe(200);
    const authorization = new URL(connect.body.authorizationUrl);
    expect(authorization.origin).toBe(`http://127.0.0.1:${next.port}`);
    // Registered there for this Connect.
    expect((await next.stats()).registrations).toBe(1);
    expect((await upstream.stats()).registrations).toBe(1);
    // The new authorization server knows the client it is shown (its own registration, not the old one's).
    expect((await approve(authorization)).get('code')).toBeTruthy();
  });

  it('Disconnect after the server moved revokes its tokens at the authorization server that issued them, never at the new one', async () => {
    const { upstream, gateway } = await signedIn();
    const old = await upstream.issued();
    const next = await oauthServer();
    await moveAs(upstream, next);
    expect((await echo(gateway, 'remote', 'moved')).body.type).toBe('needs-sign-in');
    const disconnect = await request(gateway.app).delete('/api/servers/remote/oauth');
    expect(disconnect.status).toBe(200);
    const shown = JSON.stringify(await next.posts());
    for (const token of old) expect(shown).not.toContain(token);
    expect((await next.posts()).filter((post) => post.path === '/revoke')).toEqual([]);
    // The old authorization server got them (its own tokens; the move revoked them there already).
    const revoked = (await upstream.posts()).filter((post) => post.path === '/revoke').map((post) => post.form?.token);
    expect(revoked.length).toBeGreaterThan(0);
    for (const token of revoked) expect(old).toContain(token);
    expect(gateway.supervisor.status('remote')!.oauth).toEqual({ connected: false, scopes: [] });
  });

  it("an endpoint that redirects within its origin (/mcp → /mcp/) is the server's, not the OAuth flow's: a large result is not cut", async () => {
    const { upstream, gateway } = await signedIn({ SLASH_REDIRECT: '1' });
    // More than DISCOVERY_MAX_BYTES (256 KiB), which bounds only the metadata, registration and token requests.
    const large = await request(gateway.app).post('/remote/sized').send({ kib: 300 });
    expect(large.status, JSON.stringify(large.body).slice(0, 300)).toBe(200);
    expect(large.body).toHaveLength(300 * 1024);
    // A 401 at the redirect's target is the server's too: one refresh, and the call goes on.
    await upstream.hook('expire');
    expect((await echo(gateway, 'remote', 'after expiry')).body).toBe('after expiry');
    expect((await upstream.stats()).refreshes).toBe(1);
  });

  it('gets tokens by client credentials for a machine-to-machine server, with no person', async () => {
    const upstream = await oauthServer({ CLIENT_ID: 'gateway-m2m', CLIENT_SECRET: 's3cret-m2m' });
    const dir = tempDir();
    const secretFile = path.join(dir, 'client-secret');
    fs.writeFileSync(secretFile, 's3cret-m2m\n', { mode: 0o600 });
    const gateway = await gatewayFor({
      m2m: { url: upstream.url, auth: { grant: 'client_credentials', clientId: 'gateway-m2m', clientSecretFile: secretFile } },
    });
    await waitForServer(gateway.supervisor, 'm2m', 'ready');
    const response = await request(gateway.app).post('/m2m/whoami').send({});
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ clientId: 'gateway-m2m' });
    expect((await upstream.stats()).clientCredentials).toBe(1);
  });
});

describe('a configured client is pinned to its authorization server', () => {
  it('a client-credentials server that moves waits for an operator: its secret never goes to the new authorization server', async () => {
    const env = { CLIENT_ID: 'gateway-m2m', CLIENT_SECRET: 's3cret-m2m' };
    const upstream = await oauthServer(env);
    const next = await oauthServer(env);
    const secretFile = path.join(tempDir(), 'client-secret');
    fs.writeFileSync(secretFile, 's3cret-m2m\n', { mode: 0o600 });
    const gateway = await gatewayFor({
      m2m: { url: upstream.url, auth: { grant: 'client_credentials', clientId: 'gateway-m2m', clientSecretFile: secretFile } },
    });
    await waitForServer(gateway.supervisor, 'm2m', 'ready');
    await moveAs(upstream, next);
    const response = await request(gateway.app).post('/m2m/whoami').send({});
    expect(response.status).toBe(503);
    expect(response.body.type).toBe('needs-sign-in');
    expect(gateway.supervisor.status('m2m')!.lastError?.message).toMatch(
      new RegExp(
        `moved to the authorization server http://127.0.0.1:${next.port}/; its configured client "gateway-m2m" is for http://127.0.0.1:${upstream.port}/`,
      ),
    );
    expect(await next.posts()).toEqual([]);
    expect((await next.stats()).clientCredentials).toBe(0);
    // An operator who checked the move disconnects it: the client is then used there (whose tokens this
    // fixture's server does not take: only that it got them matters here).
    expect((await request(gateway.app).delete('/api/servers/m2m/oauth')).status).toBe(200);
    await waitUntil(async () => (await next.stats()).clientCredentials >= 1, 10_000, 'client credentials at the new authorization server');
  });
});

describe('a server behind OAuth that speaks only MCP 2026-07-28', () => {
  const modern = { protocol: '2026-07-28' };

  it('waits in needs-sign-in, signs in, calls tools with the token and refreshes it before it expires', async () => {
    const { upstream, gateway } = await signedIn({ MODERN: '1', TOKEN_TTL: '3' }, modern);
    expect((await echo(gateway, 'remote', 'modern')).body).toBe('modern');
    expect(await upstream.stats()).toMatchObject({ registrations: 1, codeExchanges: 1 });
    // A 3 s token is refreshed in its second half, before it is sent.
    await waitUntil(
      async () => (await echo(gateway, 'remote', 'later')).status === 200 && (await upstream.stats()).refreshes >= 1,
      10_000,
      'a refresh',
    );
    expect((await upstream.stats()).unauthorized).toBe(1);
  });

  it('refreshes once on a 401, and goes back to needs-sign-in when its grant is revoked', async () => {
    const { upstream, gateway } = await signedIn({ MODERN: '1' }, modern);
    const before = (await request(gateway.app).get('/api/servers/remote')).body.oauth;
    expect(Date.parse(before.signedInAt)).toBeLessThanOrEqual(Date.now());
    await upstream.hook('expire');
    expect((await echo(gateway, 'remote', 'after a 401')).status).toBe(200);
    expect((await upstream.stats()).refreshes).toBe(1);
    // A refresh obtains tokens, but is no sign-in (mcp-gateway oauth login waits for signedInAt).
    const refreshed = (await request(gateway.app).get('/api/servers/remote')).body.oauth;
    expect(refreshed.obtainedAt).not.toBe(before.obtainedAt);
    expect(refreshed.signedInAt).toBe(before.signedInAt);
    await upstream.hook('revoke-all');
    const response = await echo(gateway, 'remote', 'revoked');
    expect(response.status).toBe(503);
    expect(response.body.type).toBe('needs-sign-in');
  });

  it('steps up on a 403 insufficient_scope: needs-sign-in, Connect asks for the wider scope, then the call works', async () => {
    const { gateway } = await signedIn({ MODERN: '1', REQUIRED_SCOPE: 'mcp:admin' }, { ...modern, auth: { scopes: ['mcp:tools'] } });
    expect(gateway.supervisor.status('remote')!.oauth).toMatchObject({ connected: true, scopes: ['mcp:tools'] });
    const refused = await request(gateway.app).post('/remote/whoami').send({});
    expect(refused.status).toBe(503);
    expect(refused.body.type).toBe('needs-sign-in');
    await waitForServer(gateway.supervisor, 'remote', 'needs-sign-in');
    const connect = await request(gateway.app).post('/api/servers/remote/oauth/connect');
    expect(new URL(connect.body.authorizationUrl).searchParams.get('scope')?.split(' ').sort()).toEqual(['mcp:admin', 'mcp:tools']);
    const callback = await request(gateway.app).get(`/ui/oauth/callback?${await approve(new URL(connect.body.authorizationUrl))}`);
    expect(callback.status).toBe(303);
    await waitForServer(gateway.supervisor, 'remote', 'ready');
    const allowed = await request(gateway.app).post('/remote/whoami').send({});
    expect(allowed.status).toBe(200);
    expect(allowed.body).toBe('allowed');
  });

  it('steps up with client credentials at once on a 403 insufficient_scope: the call works with no person', async () => {
    const upstream = await oauthServer({ MODERN: '1', REQUIRED_SCOPE: 'mcp:admin', CLIENT_ID: 'machine', CLIENT_SECRET: 'machine-secret' });
    const secretFile = path.join(tempDir(), 'client-secret');
    fs.writeFileSync(secretFile, 'machine-secret\n', { mode: 0o600 });
    const gateway = await gatewayFor({
      remote: {
        url: upstream.url,
        ...modern,
        auth: { grant: 'client_credentials', clientId: 'machine', clientSecretFile: secretFile, scopes: ['mcp:tools'] },
      },
    });
    await waitForServer(gateway.supervisor, 'remote', 'ready');
    expect(gateway.supervisor.status('remote')!.oauth).toMatchObject({ scopes: ['mcp:tools'] });
    const allowed = await request(gateway.app).post('/remote/whoami').send({});
    expect(allowed.status).toBe(200);
    expect(allowed.body).toBe('allowed');
    expect((await upstream.stats()).clientCredentials).toBe(2);
    expect(gateway.supervisor.status('remote')!.oauth!.scopes.sort()).toEqual(['mcp:admin', 'mcp:tools']);
  });

  it("sends the server's configured headers to the server only, never to its authorization server", async () => {
    const { upstream, gateway } = await signedIn(
      { MODERN: '1', SEPARATE_AS: '1' },
      { ...modern, headers: { 'X-Api-Key': 'server-only-key' } },
    );
    await expectKeyOnlyAtServer(upstream, gateway);
  });
});

describe('private_key_jwt', () => {
  it('gets tokens by client credentials, authenticating with a JWT signed by the key in clientKeyFile', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const upstream = await oauthServer({
      CLIENT_ID: 'gateway-jwt',
      CLIENT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    const keyFile = path.join(tempDir(), 'client-key.pem');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    fs.writeFileSync(keyFile, pem, { mode: 0o600 });
    const lines: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
    const gateway = await gatewayFor(
      { m2m: { url: upstream.url, auth: { grant: 'client_credentials', clientId: 'gateway-jwt', clientKeyFile: keyFile } } },
      { logger },
    );
    await waitForServer(gateway.supervisor, 'm2m', 'ready');
    const response = await request(gateway.app).post('/m2m/whoami').send({});
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ clientId: 'gateway-jwt' });
    expect((await upstream.stats()).clientCredentials).toBe(1);
    const body = pem.split('\n')[1]!;
    expect(lines.join('\n')).not.toContain(body);
  });
});

describe('the auth setting of a remote server', () => {
  const parse = (entry: object) => parseConfigText(JSON.stringify({ mcpServers: { remote: entry } }), '/etc/gw/config.json', {});
  const problems = (entry: object) => {
    try {
      parse(entry);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('takes "oauth", the object form with its defaults, and mcpo\'s oauth object', () => {
    const remote = (entry: object) => parse(entry).servers[0] as { auth?: object };
    expect(remote({ url: 'https://mcp.example.com/mcp', auth: 'oauth' }).auth).toEqual({
      grant: 'authorization_code',
      clientName: 'mcp-gateway',
    });
    expect(remote({ url: 'https://mcp.example.com/mcp', auth: { scopes: ['read'], clientId: 'abc' } }).auth).toEqual({
      grant: 'authorization_code',
      clientName: 'mcp-gateway',
      clientId: 'abc',
      scopes: ['read'],
    });
    expect(
      remote({
        type: 'streamable-http',
        url: 'https://mcp.example.com/mcp',
        oauth: {
          server_url: 'https://mcp.example.com',
          storage_type: 'file',
          client_metadata: { client_name: 'MCPO', scope: 'read write' },
        },
      }).auth,
    ).toEqual({ grant: 'authorization_code', clientName: 'MCPO', scopes: ['read', 'write'] });
    expect(remote({ url: 'https://mcp.example.com/mcp' }).auth).toBeUndefined();
  });

  it('names the field and what was expected when it is wrong', () => {
    expect(problems({ url: 'https://m.example.com/mcp', auth: 'basic' })).toEqual([
      { path: '$.mcpServers.remote.auth', message: expect.stringContaining('expected "oauth" or an object') },
    ]);
    expect(problems({ url: 'https://m.example.com/mcp', auth: { grant: 'client_credentials' } })).toEqual([
      {
        path: '$.mcpServers.remote.auth',
        message: 'grant "client_credentials" needs "clientId" and "clientSecretFile" or "clientKeyFile"',
      },
    ]);
    const notAKey = path.join(tempDir(), 'not-a-key.pem');
    fs.writeFileSync(notAKey, 'hello\n');
    expect(problems({ url: 'https://m.example.com/mcp', auth: { clientId: 'c', clientKeyFile: notAKey } })).toEqual([
      { path: '$.mcpServers.remote.auth.clientKeyFile', message: `key file ${notAKey} holds no PEM private key` },
    ]);
    expect(problems({ url: 'https://m.example.com/mcp', auth: { clientKeyFile: 'nope' } })).toEqual([
      { path: '$.mcpServers.remote.auth.clientKeyFile', message: 'cannot read key file /etc/gw/nope (ENOENT)' },
      {
        path: '$.mcpServers.remote.auth.clientKeyFile',
        message: 'needs "clientId" (the client the authorization server knows the key of)',
      },
    ]);
    expect(problems({ url: 'https://m.example.com/mcp', auth: { clientSecretFile: 'nope' } })).toEqual([
      { path: '$.mcpServers.remote.auth.clientSecretFile', message: expect.stringMatching(/cannot read secret file \/etc\/gw\/nope/) },
    ]);
    expect(problems({ url: 'https://m.example.com/mcp', auth: { clientMetadataUrl: 'http://m.example.com/client.json' } })[0]!.path).toBe(
      '$.mcpServers.remote.auth.clientMetadataUrl',
    );
    expect(problems({ command: 'x', auth: 'oauth' })).toEqual([
      { path: '$.mcpServers.remote.auth', message: '"auth" only applies to remote servers ("url")' },
    ]);
  });
});

describe('OAuth tokens at rest', () => {
  it('are kept encrypted in the state database, survive a restart, and are never in clear in the database, logs, API or activity log', async () => {
    const upstream = await oauthServer();
    const stateDir = tempDir();
    const logText: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void logText.push(line) });
    const first = await gatewayFor({ remote: { url: upstream.url, auth: 'oauth' } }, { stateDir, logger });
    await waitForServer(first.supervisor, 'remote', 'needs-sign-in');
    await signIn(first, 'remote');
    expect((await echo(first, 'remote', 'one')).status).toBe(200);
    await upstream.hook('expire'); // a refresh, so that rotated tokens are looked for too
    expect((await echo(first, 'remote', 'two')).status).toBe(200);
    const answers = [
      await request(first.app).get('/api/servers'),
      await request(first.app).get('/api/servers/remote'),
      await request(first.app).get('/api/activity'),
    ].map((response) => response.text);
    await first.close();
    running.pop();

    const key = fs.statSync(path.join(stateDir, 'secrets.key'));
    expect(key.mode & 0o777).toBe(0o600);
    const stored = fs
      .readdirSync(stateDir)
      .filter((name) => name.startsWith('gateway.db'))
      .map((name) => fs.readFileSync(path.join(stateDir, name)));
    const issued = await upstream.issued();
    expect(issued.length).toBeGreaterThanOrEqual(4);
    for (const token of issued) {
      for (const bytes of stored) expect(bytes.includes(token)).toBe(false);
      for (const text of [...answers, logText.join('')]) expect(text).not.toContain(token);
    }

    // Another start on the same state folder is connected at once, with no one signing in.
    const second = await gatewayFor({ remote: { url: upstream.url, auth: 'oauth' } }, { stateDir });
    await waitForServer(second.supervisor, 'remote', 'ready');
    expect((await echo(second, 'remote', 'three')).status).toBe(200);
    expect((await upstream.stats()).authorizations).toBe(1);
  });

  it('uses gateway.secretsKeyFile when given; with another key the stored tokens are unreadable and the server asks for a sign-in', async () => {
    const upstream = await oauthServer();
    const stateDir = tempDir();
    const keyFile = path.join(tempDir(), 'key');
    fs.writeFileSync(keyFile, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const first = await gatewayFor({ remote: { url: upstream.url, auth: 'oauth' } }, { stateDir, gateway: { secretsKeyFile: keyFile } });
    await waitForServer(first.supervisor, 'remote', 'needs-sign-in');
    await signIn(first, 'remote');
    await first.close();
    running.pop();
    expect(fs.existsSync(path.join(stateDir, 'secrets.key'))).toBe(false);

    fs.writeFileSync(keyFile, `${'cd'.repeat(32)}\n`);
    const logText: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void logText.push(line) });
    const second = await gatewayFor(
      { remote: { url: upstream.url, auth: 'oauth' } },
      { stateDir, logger, gateway: { secretsKeyFile: keyFile } },
    );
    await waitForServer(second.supervisor, 'remote', 'needs-sign-in');
    expect(logText.join('')).toContain('cannot be decrypted');
  });
});
