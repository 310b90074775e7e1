// Per-user upstream credentials (issue 19 item 5, `perUserAuth`): each Open WebUI user connects their own
// account to a server behind OAuth with a connect link, and their calls go with their own tokens — to a real
// server with its own authorization server (test/fixtures/oauth-server.mjs, whose `whoami` answers the token's
// subject), through the real gateway and REST.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { callKit } from './helpers/calls.js';
import { FAST, startTestGateway, tempDir, waitForServer, type TestGateway } from './helpers/gateway.js';
import { startHttpFixture, type HttpServer } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';
import { parseConfigText } from '../server/config/load.js';
import { ConfigError } from '../server/config/types.js';
import type { OAuthStore } from '../server/upstream/oauth-store.js';
import { createLogger, type Logger } from '../server/logging/logger.js';
import type { ForwardedUser } from '../server/auth/forwarded-user.js';

const KEY = 'per-user-oauth-test-start-up-key-0001';
const admin = { Authorization: `Bearer ${KEY}` };

const kit = callKit();
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

interface Setup {
  upstream: HttpServer;
  gateway: TestGateway;
  stateDir: string;
  /** A key trusted to forward users (Open WebUI's), and one that is not. */
  trusted: string;
  plain: string;
}

/** `remote`: the fixture's environment and the server's `auth` (default `"oauth"`). */
async function setup(settings: object = {}, logger?: Logger, remote: { env?: NodeJS.ProcessEnv; auth?: object } = {}): Promise<Setup> {
  const upstream = await startHttpFixture(['oauth-server.mjs'], '/mcp', { USER_LISTS: '1', ...remote.env });
  running.push(upstream);
  const stateDir = tempDir();
  const gateway = await startTestGateway(
    {
      approval: { default: 'allow' },
      gateway: { ...FAST, ...settings },
      mcpServers: { remote: { url: upstream.url, auth: remote.auth ?? 'oauth', perUserAuth: true } },
    },
    { apiKey: KEY, stateDir, ...(logger && { logger }) },
  );
  running.push({ stop: () => gateway.close() });
  const key = async (label: string, trustForwardedUser: boolean) => {
    const res = await request(gateway.app).post('/api/keys').set(admin).send({ label, trustForwardedUser });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.token as string;
  };
  return { upstream, gateway, stateDir, trusted: await key('Open WebUI', true), plain: await key('Script', false) };
}

/**
 * The operator makes a connect link for `user`; the user opens it, signs in at the authorization server as
 * `user` (`login=`: the fixture's way of saying who the person is) and comes back to the callback.
 */
async function connect({ gateway }: Setup, user: string): Promise<void> {
  const made = await request(gateway.app).post('/api/servers/remote/oauth/connect').set(admin).send({ user });
  expect(made.status, JSON.stringify(made.body)).toBe(200);
  expect(made.body.authorizationUrl).toBeNull();
  const link = new URL(made.body.connectUrl as string);
  expect(link.pathname).toMatch(/^\/ui\/oauth\/connect\/[\w-]{40,}$/);
  expect(Date.parse(made.body.expiresAt as string)).toBeGreaterThan(Date.now());

  // The user has no session and no key: the link alone lets them in, once they confirm.
  const { confirmed } = await openLink(gateway, link.pathname);
  expect(confirmed.status, confirmed.text).toBe(303);
  const cookie = (confirmed.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
  const authorize = new URL(confirmed.headers.location as string);
  authorize.searchParams.set('login', user);
  const approved = await fetch(authorize, { redirect: 'manual' });
  expect(approved.status).toBe(302);
  const params = new URL(approved.headers.get('location')!).searchParams;
  const callback = await request(gateway.app).get(`/ui/oauth/callback?${params}`).set('Cookie', cookie);
  expect(callback.status, callback.text).toBe(200);
  expect(callback.text).toContain('connected');
  // The account they signed in as upstream (the fixture's id_token names it).
  expect(callback.text).toContain(`<strong>${user}@example.test</strong>`);

  // The link is spent.
  const again = await request(gateway.app).get(link.pathname);
  expect(again.status).toBe(400);
  expect(again.text).toContain('ask for a new one');
}

/** Opens a connect link as a browser would (a cookie jar of one cookie) and confirms on its page. */
async function openLink(gateway: TestGateway, pathname: string, cookie?: string) {
  const get = request(gateway.app).get(pathname);
  if (cookie) get.set('Cookie', cookie);
  const page = await get;
  expect(page.status, page.text).toBe(200);
  const browser = cookie ?? (page.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
  const form = /name="_form" value="([^"]+)"/.exec(page.text)![1]!;
  const confirmed = await request(gateway.app).post(pathname).set('Cookie', browser).type('form').send({ _form: form });
  return { page, browser, confirmed };
}

/** `remote/whoami` called with `token`, for the Open WebUI user `user` (none: no forwarded headers). */
function whoami({ gateway }: Setup, token: string, user?: string) {
  const call = request(gateway.app).post('/remote/whoami').set('Authorization', `Bearer ${token}`);
  if (user !== undefined) call.set('X-OpenWebUI-User-Id', user).set('X-OpenWebUI-User-Name', user);
  return call.send({});
}

describe('perUserAuth: each user with their own account', () => {
  it("calls go with the calling user's own tokens; others get 403 connect-first; disconnecting one user leaves the others", async () => {
    const s = await setup();
    await waitForServer(s.gateway.supervisor, 'remote', 'needs-sign-in');

    // Nobody connected yet: the call is the user's to fix, not a sign-in for the operator.
    const early = await whoami(s, s.trusted, 'alice');
    expect(early.status).toBe(403);
    expect(early.body).toMatchObject({ type: 'connect-first', server: 'remote', user: 'alice' });

    await connect(s, 'alice');
    // The server lists its tools with a connected user's tokens, and is ready.
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    await connect(s, 'bob');

    // The upstream sees each user's own token.
    const alice = await whoami(s, s.trusted, 'alice');
    expect(alice.status, JSON.stringify(alice.body)).toBe(200);
    expect(alice.body).toMatchObject({ subject: 'alice' });
    const bob = await whoami(s, s.trusted, 'bob');
    expect(bob.status, JSON.stringify(bob.body)).toBe(200);
    expect(bob.body).toMatchObject({ subject: 'bob' });
    expect((await whoami(s, s.trusted, 'alice')).body).toMatchObject({ subject: 'alice' });

    // Carol has not connected: never another user's tokens.
    const carol = await whoami(s, s.trusted, 'carol');
    expect(carol.status).toBe(403);
    expect(carol.body).toMatchObject({ type: 'connect-first', server: 'remote', user: 'carol' });
    expect(carol.body.detail).toContain('/api/servers/remote/oauth/connect');
    // A key not trusted to forward users: its headers are ignored, so the call is for nobody.
    const untrusted = await whoami(s, s.plain, 'alice');
    expect(untrusted.status).toBe(403);
    expect(untrusted.body).toMatchObject({ type: 'connect-first', server: 'remote' });
    expect(untrusted.body.user).toBeUndefined();
    // Nor the operator's own key, without a user.
    expect((await whoami(s, KEY)).body.type).toBe('connect-first');

    // The management API shows each user's state, never a token.
    const detail = await request(s.gateway.app).get('/api/servers/remote').set(admin).expect(200);
    expect(detail.body.oauth).toMatchObject({
      connected: true,
      users: [
        { user: 'alice', connected: true, scopes: expect.any(Array), account: 'alice@example.test' },
        { user: 'bob', connected: true, scopes: expect.any(Array), account: 'bob@example.test' },
      ],
    });
    const issued = (await (await fetch(new URL('/test/issued', s.upstream.url))).json()) as string[];
    expect(issued.length).toBeGreaterThanOrEqual(4);
    for (const token of issued) expect(JSON.stringify(detail.body)).not.toContain(token);

    // Disconnect alice: revoked and forgotten; bob goes on.
    const gone = await request(s.gateway.app).delete('/api/servers/remote/oauth/users/alice').set(admin);
    expect(gone.status, JSON.stringify(gone.body)).toBe(200);
    expect(gone.body.revokeError).toBeNull();
    expect(gone.body.server.oauth.users).toEqual([
      {
        user: 'bob',
        connected: true,
        expiresAt: expect.any(String),
        obtainedAt: expect.any(String),
        signedInAt: expect.any(String),
        scopes: expect.any(Array),
        account: 'bob@example.test',
      },
    ]);
    const after = await whoami(s, s.trusted, 'alice');
    expect(after.status).toBe(403);
    expect(after.body).toMatchObject({ type: 'connect-first', user: 'alice' });
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    expect((await whoami(s, s.trusted, 'bob')).body).toMatchObject({ subject: 'bob' });

    // Tokens nowhere in clear: not in the state database, not in the activity log.
    const activity = await request(s.gateway.app).get('/api/activity?limit=50').set(admin).expect(200);
    expect(activity.body.items.some((item: { user?: { id?: string } }) => item.user?.id === 'bob')).toBe(true);
    const files = fs.readdirSync(s.stateDir).map((name) => path.join(s.stateDir, name));
    for (const file of files.filter((name) => fs.statSync(name).isFile())) {
      const bytes = fs.readFileSync(file, 'latin1');
      for (const token of issued) expect(bytes, file).not.toContain(token);
    }
    for (const token of issued) expect(JSON.stringify(activity.body)).not.toContain(token);

    // Disabling the server closes the users' connections too.
    await request(s.gateway.app).patch('/api/servers/remote').set(admin).send({ enabled: false }).expect(200);
    const stats = async () => (await (await fetch(new URL('/test/stats', s.upstream.url))).json()) as { sessions: number };
    await waitUntil(async () => (await stats()).sessions === 0, 10_000, 'every session to end');
  });

  it("over /mcp too: a trusted client's user gets their own account, another user connect-first", async () => {
    const s = await setup();
    await connect(s, 'alice');
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    const url = new URL(`${await kit.listen(s.gateway.app)}/mcp/remote`);
    const clientFor = async (token: string, user: string) => {
      const client = new Client({ name: 'owui', version: '1' });
      const headers = { authorization: `Bearer ${token}`, 'X-OpenWebUI-User-Id': user };
      await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
      kit.defer(() => client.close());
      return client;
    };
    const text = (result: Awaited<ReturnType<Client['callTool']>>) => (result.content as { text: string }[])[0]!.text;
    const alice = await (await clientFor(s.trusted, 'alice')).callTool({ name: 'whoami', arguments: {} });
    expect(alice.isError).toBeFalsy();
    expect(JSON.parse(text(alice))).toMatchObject({ subject: 'alice' });
    const carol = await (await clientFor(s.trusted, 'carol')).callTool({ name: 'whoami', arguments: {} });
    expect(carol.isError).toBe(true);
    expect(text(carol)).toMatch(/"carol" has not connected/);
    const untrusted = await (await clientFor(s.plain, 'alice')).callTool({ name: 'whoami', arguments: {} });
    expect(untrusted.isError).toBe(true);
    expect(text(untrusted)).toMatch(/perUserAuth/);
  });

  it("shows no user's resources or prompts to everyone: the server's lists hold its tools only", async () => {
    const s = await setup();
    await connect(s, 'alice');
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    const app = s.gateway.app;
    expect(JSON.stringify((await request(app).get('/api/tools').query({ server: 'remote' }).set(admin)).body)).toContain('whoami');
    for (const path of ['resources', 'resource-templates', 'prompts']) {
      const listed = await request(app).get(`/api/servers/remote/${path}`).set(admin);
      expect(listed.status, path).toBe(200);
      expect(listed.body.items, path).toEqual([]);
    }
    const read = await request(app).get('/api/servers/remote/resource').query({ uri: 'whoami://me' }).set(admin);
    expect(read.body.type).toBe('connect-first');
    const client = new Client({ name: 'owui', version: '1' });
    const headers = { authorization: `Bearer ${s.trusted}`, 'X-OpenWebUI-User-Id': 'bob' };
    await client.connect(new StreamableHTTPClientTransport(new URL(`${await kit.listen(app)}/mcp`), { requestInit: { headers } }));
    kit.defer(() => client.close());
    expect((await client.listResources()).resources).toEqual([]);
    expect((await client.listPrompts()).prompts).toEqual([]);
  });

  it("a user's connection closes after userConnectionIdleMs without calls, and the oldest idle one makes room past maxUserConnections", async () => {
    const s = await setup({ userConnectionIdleMs: 300, maxUserConnections: 1 });
    const sessions = async () => ((await (await fetch(new URL('/test/stats', s.upstream.url))).json()) as { sessions: number }).sessions;
    await connect(s, 'alice');
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    // Each user's connection is up before the next one replaces it (one closed while it starts ends its session only if its
    // initialize is answered within a second).
    expect((await whoami(s, s.trusted, 'alice')).body).toMatchObject({ subject: 'alice' });
    await connect(s, 'bob');
    // The server's own (listing) session, and at most one user's.
    expect((await whoami(s, s.trusted, 'bob')).body).toMatchObject({ subject: 'bob' });
    expect((await whoami(s, s.trusted, 'alice')).body).toMatchObject({ subject: 'alice' });
    await waitUntil(async () => (await sessions()) === 2, 10_000, "bob's connection closed for alice's");
    expect((await whoami(s, s.trusted, 'alice')).body).toMatchObject({ subject: 'alice' });
    // Idle: the user's session ends; the listing one stays.
    let open = 0;
    await waitUntil(
      async () => (open = await sessions()) === 1,
      10_000,
      () =>
        `the idle connection closed (sessions open upstream: ${open}; users: ${JSON.stringify(s.gateway.supervisor.status('remote')!.oauth!.users)})`,
    );
    expect((await whoami(s, s.trusted, 'alice')).body).toMatchObject({ subject: 'alice' });
  });

  it("a user's connection idle while still starting is closed once up, its session ended", async () => {
    const s = await setup({ userConnectionIdleMs: 100 });
    const stats = async () =>
      (await (await fetch(new URL('/test/stats', s.upstream.url))).json()) as { sessions: number; sessionsOpened: number };
    // Each initialize is answered long after the idle time, and after the time a stop waits for it (1 s).
    await fetch(new URL('/test/slow-initialize?ms=1800', s.upstream.url), { method: 'POST' });
    // Alice's connection starts with her sign-in, no call waiting on it; the server's own lists with her tokens.
    await connect(s, 'alice');
    await waitUntil(async () => (await stats()).sessionsOpened === 2, 10_000, 'both sessions to open');
    let open = 0;
    await waitUntil(
      async () => (open = (await stats()).sessions) === 1,
      10_000,
      () => `the idle session to end (open: ${open})`,
    );
    await fetch(new URL('/test/slow-initialize?ms=0', s.upstream.url), { method: 'POST' });
    expect((await whoami(s, s.trusted, 'alice')).body).toMatchObject({ subject: 'alice' });
  });

  it("refreshes each user's own tokens when they expire, the listing connection sharing its user's refresh", async () => {
    // The listing connection pings often: it refreshes alice's tokens while her own calls need them too.
    const s = await setup({ pingIntervalMs: 50 });
    await connect(s, 'alice');
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    await connect(s, 'bob');
    expect((await whoami(s, s.trusted, 'alice')).body).toMatchObject({ subject: 'alice' });
    expect((await whoami(s, s.trusted, 'bob')).body).toMatchObject({ subject: 'bob' });
    await fetch(new URL('/test/expire', s.upstream.url), { method: 'POST' });
    const [alice, bob] = await Promise.all([whoami(s, s.trusted, 'alice'), whoami(s, s.trusted, 'bob')]);
    expect(alice.body).toMatchObject({ subject: 'alice' });
    expect(bob.body).toMatchObject({ subject: 'bob' });
    expect((await whoami(s, s.trusted, 'alice')).body).toMatchObject({ subject: 'alice' });
    expect(s.gateway.supervisor.status('remote')!.state).toBe('ready');
    expect(s.gateway.supervisor.status('remote')!.oauth!.users!.map((user) => [user.user, user.connected])).toEqual([
      ['alice', true],
      ['bob', true],
    ]);
    // One refresh per user: alice's connection and the listing one share hers.
    const stats = (await (await fetch(new URL('/test/stats', s.upstream.url))).json()) as { refreshes: number };
    expect(stats.refreshes).toBe(2);
  });

  it("when the user it lists with loses their sign-in, the server lists with another connected user's tokens", async () => {
    const s = await setup({ pingIntervalMs: 100 });
    await connect(s, 'alice');
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    await connect(s, 'bob');
    const users = s.gateway.supervisor.userConnections('remote')!;
    expect(users.listingUser).toBe('alice');
    // Alice's record goes, as when her authorization server refuses her refresh token.
    (users as unknown as { store: OAuthStore }).store.forgetFor('remote', 'alice');
    // The next ping goes without a token and needs a sign-in; the server goes on with bob's.
    await waitUntil(() => users.listingUser === 'bob', 10_000, 'the listing user to become bob');
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    expect((await whoami(s, s.trusted, 'bob')).body).toMatchObject({ subject: 'bob' });
    expect((await whoami(s, s.trusted, 'alice')).body).toMatchObject({ type: 'connect-first', user: 'alice' });
  });

  it("turning perUserAuth off never lends a user's tokens to everyone; removing the server forgets every user", async () => {
    const s = await setup();
    await connect(s, 'alice');
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    const config = s.gateway.gateway.config;
    const [server] = config.servers;
    await s.gateway.gateway.reload({ ...config, servers: [{ ...server!, perUserAuth: false } as typeof server & object] });
    // Shared now, and nobody signed the server itself in.
    await waitForServer(s.gateway.supervisor, 'remote', 'needs-sign-in');
    const shared = await whoami(s, s.trusted, 'alice');
    expect(shared.status).toBe(503);
    expect(shared.body.type).toBe('needs-sign-in');

    await s.gateway.gateway.reload(config);
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    expect((await whoami(s, s.trusted, 'alice')).body).toMatchObject({ subject: 'alice' });

    await s.gateway.gateway.reload({ ...config, servers: [] });
    await s.gateway.gateway.reload(config);
    await waitForServer(s.gateway.supervisor, 'remote', 'needs-sign-in');
    expect(s.gateway.supervisor.status('remote')!.oauth).toMatchObject({ connected: false, users: [] });
    expect((await whoami(s, s.trusted, 'alice')).body).toMatchObject({ type: 'connect-first', user: 'alice' });
  });

  it('a server with perUserAuth has no shared sign-in; a user link needs perUserAuth', async () => {
    const s = await setup();
    const shared = await request(s.gateway.app).post('/api/servers/remote/oauth/connect').set(admin);
    expect(shared.status).toBe(422);
    expect(shared.body.detail).toContain('perUserAuth');
    const bogus = await request(s.gateway.app).get(`/ui/oauth/connect/${'x'.repeat(43)}`);
    expect(bogus.status).toBe(400);
  });
});

describe('perUserAuth with a configured client', () => {
  it("pins the client to its authorization server for every user: after a move, another user's connect (even once the first user disconnected) shows the new one nothing", async () => {
    const env = { CLIENT_ID: 'gateway-web', CLIENT_SECRET: 's3cret-web', CLIENT_REDIRECT_URI: 'http://127.0.0.1/ui/oauth/callback' };
    const secretFile = path.join(tempDir(), 'client-secret');
    fs.writeFileSync(secretFile, 's3cret-web\n', { mode: 0o600 });
    const auth = { grant: 'authorization_code', clientId: 'gateway-web', clientSecretFile: secretFile };
    const s = await setup({}, undefined, { env, auth });
    await waitForServer(s.gateway.supervisor, 'remote', 'needs-sign-in');
    await connect(s, 'alice'); // the client is pinned to the server's authorization server
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    expect((await whoami(s, s.trusted, 'alice')).body).toMatchObject({ subject: 'alice', clientId: 'gateway-web' });

    const next = await startHttpFixture(['oauth-server.mjs'], '/mcp', env);
    running.push(next);
    const nextPort = new URL(next.url).port;
    const moved = new URL(`/test/move-as?to=${encodeURIComponent(`http://127.0.0.1:${nextPort}/`)}`, s.upstream.url);
    expect((await fetch(moved, { method: 'POST' })).status).toBe(200);
    // One user's Disconnect is not the operator's: the pin stays.
    expect((await request(s.gateway.app).delete('/api/servers/remote/oauth/users/alice').set(admin)).status).toBe(200);

    const made = await request(s.gateway.app).post('/api/servers/remote/oauth/connect').set(admin).send({ user: 'bob' });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    const { confirmed } = await openLink(s.gateway, new URL(made.body.connectUrl as string).pathname);
    expect(confirmed.status, confirmed.text).toBe(400);
    expect(confirmed.text).toMatch(new RegExp(`moved to the authorization server http://127.0.0.1:${nextPort}/`));
    expect(confirmed.text).toContain('is not shown to another one');
    expect(await (await fetch(new URL('/test/posts', next.url))).json()).toEqual([]);

    // The operator who checked the move disconnects the server: the pin goes, and bob signs in at the new one.
    expect((await request(s.gateway.app).delete('/api/servers/remote/oauth').set(admin)).status).toBe(200);
    const again = await request(s.gateway.app).post('/api/servers/remote/oauth/connect').set(admin).send({ user: 'bob' });
    const retried = await openLink(s.gateway, new URL(again.body.connectUrl as string).pathname);
    expect(retried.confirmed.status, retried.confirmed.text).toBe(303);
    expect(new URL(retried.confirmed.headers.location as string).origin).toBe(new URL(next.url).origin);
  });
});

describe('connect links', () => {
  it("the link's token is never in the gateway's log; its answers are not stored and send no Referer", async () => {
    const lines: string[] = [];
    const s = await setup({}, createLogger('debug', { write: (line: string) => void lines.push(line) }));
    const made = await request(s.gateway.app).post('/api/servers/remote/oauth/connect').set(admin).send({ user: 'alice' });
    const link = new URL(made.body.connectUrl as string);
    const token = link.pathname.split('/').pop()!;
    const { page, confirmed } = await openLink(s.gateway, link.pathname);
    for (const opened of [page, confirmed]) expect(opened.headers['cache-control']).toBe('no-store');
    // Never a Referer to another origin: the page posts to its own (under no-referrer, with Origin: null).
    expect(page.headers['referrer-policy']).toBe('same-origin');
    expect(confirmed.headers['referrer-policy']).toBe('no-referrer');
    await waitUntil(() => lines.some((line) => line.includes('"path":"/ui/oauth/connect/[redacted]"')));
    expect(lines.join('\n')).not.toContain(token);
  });
});

describe('connect links ask first', () => {
  it('opening the link starts nothing; confirming in that browser starts the sign-in; another browser is refused', async () => {
    const s = await setup();
    await waitForServer(s.gateway.supervisor, 'remote', 'needs-sign-in');
    const stats = async () => (await (await fetch(new URL('/test/stats', s.upstream.url))).json()) as Record<string, number>;
    const before = await stats();
    const made = await request(s.gateway.app).post('/api/servers/remote/oauth/connect').set(admin).send({ user: 'alice' });
    const link = new URL(made.body.connectUrl as string).pathname;

    // A link preview: the page names the server and the user, and nothing else happens.
    const preview = await request(s.gateway.app).get(link);
    expect(preview.status).toBe(200);
    expect(preview.text).toContain(
      'Connect your account at the server <strong>remote</strong> for the gateway user <strong>alice</strong>',
    );
    expect(preview.headers['set-cookie']).toEqual([expect.stringMatching(/^mcpgw_connect=[\w-]{32}; /)]);
    expect(await stats()).toEqual(before);
    expect(s.gateway.supervisor.users('remote').users()).toEqual([]);

    // A forged post (no page of ours behind it) starts nothing either.
    const forged = await request(s.gateway.app)
      .post(link)
      .type('form')
      .send({ _form: 'x'.repeat(32) });
    expect(forged.status).toBe(403);
    const crossSite = await request(s.gateway.app).post(link).set('Origin', 'https://evil.example').type('form').send({});
    expect(crossSite.status).toBe(403);
    expect(await stats()).toEqual(before);

    // The person confirms: the sign-in starts, at the authorization server.
    const first = await openLink(s.gateway, link);
    expect(first.confirmed.status, first.confirmed.text).toBe(303);
    expect(new URL(first.confirmed.headers.location as string).pathname).toBe('/authorize');
    // Again from the same browser (a retry) is fine; from another browser it is refused, on the page and on posting.
    expect((await openLink(s.gateway, link, first.browser)).confirmed.status).toBe(303);
    const other = await request(s.gateway.app).get(link);
    expect(other.status).toBe(403);
    expect(other.text).toContain('opened in another browser');
    const otherPost = await request(s.gateway.app)
      .post(link)
      .set('Cookie', 'mcpgw_connect=' + 'y'.repeat(32))
      .type('form')
      .send({ _form: 'y'.repeat(32) });
    expect(otherPost.status).toBe(403);
    expect(otherPost.text).toContain('opened in another browser');
  });
});

describe('connect links end', () => {
  const linkFor = async ({ gateway }: Setup, user: string) =>
    new URL((await request(gateway.app).post('/api/servers/remote/oauth/connect').set(admin).send({ user })).body.connectUrl as string)
      .pathname;

  it('when the user is disconnected: every link of theirs', async () => {
    const s = await setup();
    await connect(s, 'alice');
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    const unused = await linkFor(s, 'alice');
    const out = await request(s.gateway.app).delete('/api/servers/remote/oauth/users/alice').set(admin);
    expect(out.status, out.text).toBeLessThan(300);
    expect((await request(s.gateway.app).get(unused)).status).toBe(400);
  });

  it("disconnecting forgets the user's tokens before revoking them: a call meanwhile opens nothing", async () => {
    const s = await setup();
    await connect(s, 'alice');
    await connect(s, 'bob');
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    expect((await whoami(s, s.trusted, 'bob')).status).toBe(200);
    const users = s.gateway.supervisor.users('remote');
    const signingOut = s.gateway.supervisor.signOutUser('remote', 'bob');
    // While the revocation is under way.
    expect(users.connected('bob')).toBe(false);
    expect(() => users.check({ id: 'bob' } as ForwardedUser)).toThrow(/"bob" has not connected/);
    expect(await signingOut).toBeUndefined();
    expect((await (await fetch(new URL('/test/stats', s.upstream.url))).json()).revocations).toBeGreaterThan(0);
    expect((await whoami(s, s.trusted, 'bob')).body.type).toBe('connect-first');
    expect((await whoami(s, s.trusted, 'alice')).status).toBe(200);
  });
});

describe("a perUserAuth server's users", () => {
  it('are shown to admin keys only', async () => {
    const s = await setup();
    await connect(s, 'alice');
    for (const token of [s.plain, s.trusted]) {
      const headers = { Authorization: `Bearer ${token}` };
      const one = await request(s.gateway.app).get('/api/servers/remote').set(headers);
      expect(one.status).toBe(200);
      expect(one.body.oauth).toMatchObject({ connected: true });
      expect(one.body.oauth).not.toHaveProperty('users');
      const all = await request(s.gateway.app).get('/api/servers').set(headers);
      expect(all.body.servers[0].oauth).not.toHaveProperty('users');
      expect(JSON.stringify(all.body)).not.toContain('alice');
    }
    const asAdmin = await request(s.gateway.app).get('/api/servers/remote').set(admin);
    expect(asAdmin.body.oauth.users).toEqual([expect.objectContaining({ user: 'alice', connected: true })]);
    expect((await request(s.gateway.app).get('/api/servers').set(admin)).body.servers[0].oauth.users).toHaveLength(1);
    // The card's "Users' accounts" names the account each user signed in as upstream.
    const servers = await request(s.gateway.app).get('/').set(admin).set('Accept', 'text/html');
    expect(servers.text).toContain('<span class="user-id">alice</span> as <span class="user-account">alice@example.test</span>');
  });

  it('show when each one signed in and when their tokens were obtained, as the server-wide view does: a refresh moves only obtainedAt', async () => {
    const s = await setup();
    const before = Date.now();
    await connect(s, 'alice');
    await waitForServer(s.gateway.supervisor, 'remote', 'ready');
    const userOf = async () => (await request(s.gateway.app).get('/api/servers/remote').set(admin).expect(200)).body.oauth.users[0];
    const signedIn = await userOf();
    expect(signedIn).toMatchObject({ user: 'alice', connected: true });
    const signedInAt = Date.parse(signedIn.signedInAt);
    const obtainedAt = Date.parse(signedIn.obtainedAt);
    expect(signedInAt).toBeGreaterThanOrEqual(before);
    expect(obtainedAt).toBeGreaterThanOrEqual(before);
    expect(obtainedAt).toBeLessThanOrEqual(signedInAt);
    // The server takes her token no more: her next call refreshes it.
    await fetch(new URL('/test/expire', s.upstream.url), { method: 'POST' });
    await waitUntil(() => Date.now() > signedInAt, 1000, 'the clock to pass the sign-in');
    expect((await whoami(s, s.trusted, 'alice')).body).toMatchObject({ subject: 'alice' });
    const refreshed = await userOf();
    expect(refreshed.signedInAt).toBe(signedIn.signedInAt);
    expect(Date.parse(refreshed.obtainedAt)).toBeGreaterThan(signedInAt);
  });
});

describe('perUserAuth in the config', () => {
  const parse = (entry: object) => () => parseConfigText(JSON.stringify({ mcpServers: { s: entry } }), '/tmp/config.json', {});
  it('is only for a remote server with auth "oauth" (authorization code)', () => {
    expect(parse({ url: 'http://127.0.0.1:1/mcp', perUserAuth: true })).toThrow(ConfigError);
    expect(parse({ url: 'http://127.0.0.1:1/mcp', perUserAuth: true })).toThrow(/mcpServers\.s\.perUserAuth.*needs "auth": "oauth"/s);
    expect(parse({ command: 'x', perUserAuth: true })).toThrow(/mcpServers\.s\.perUserAuth/);
    expect(parse({ url: 'http://127.0.0.1:1/mcp', perUserAuth: 'yes', auth: 'oauth' })).toThrow(/mcpServers\.s\.perUserAuth.*boolean/s);
    const config = parseConfigText(
      JSON.stringify({ mcpServers: { s: { url: 'http://127.0.0.1:1/mcp', auth: 'oauth', perUserAuth: true } } }),
      '/tmp/config.json',
      {},
    );
    expect(config.servers[0]).toMatchObject({ perUserAuth: true });
  });
});
