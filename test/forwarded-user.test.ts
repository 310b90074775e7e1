// Who is calling (issue 19 item 4): Open WebUI's forwarded user headers (`X-OpenWebUI-User-Id`,
// `-Name`, `-Email`, `-Role`, `X-OpenWebUI-Chat-Id`, `-Message-Id`) are believed only from a key made
// with `trustForwardedUser`; they are recorded on the call (activity log, call snapshot), shown on
// its approval and its questions (API and cards), and filter the activity log. The headers of any
// other caller (a key without the flag, the start-up key) are ignored. REST and /mcp (both SDK lines,
// the fast path and the SDK's), a real gateway with real fixture servers, real HTTP.
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, node } from './helpers/calls.js';
import { fixture } from './helpers/gateway.js';
import { startHttpFixture } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';
import { pendingApprovals, signIn } from './helpers/ui-session.js';

const KEY = 'forwarded-user-test-start-up-key-01';
const admin = { Authorization: `Bearer ${KEY}` };
const kit = callKit();
type App = Parameters<typeof request>[0];

const SERVERS = {
  fx: { command: node, args: [fixture('fixture-server.mjs')] },
  ask: { command: node, args: [fixture('elicit-server.mjs')] },
};
/** A call of `fx/echo` with the message "hold" waits for approval; every other call runs. */
const POLICY = {
  default: 'allow',
  rules: [{ server: 'fx', tool: 'echo', action: 'ask', when: [{ pointer: '/message', equals: 'hold' }] }],
};

/** What Open WebUI sends with ENABLE_FORWARD_USER_INFO_HEADERS=true (utils/headers.py, utils/tools.py). */
const ALICE = {
  'X-OpenWebUI-User-Name': 'Alice%20Lidd%C3%A9ll',
  'X-OpenWebUI-User-Id': '6d1c0d4e-0000-4000-8000-00000000a11c',
  'X-OpenWebUI-User-Email': 'alice@example.com',
  'X-OpenWebUI-User-Role': 'user',
  'X-OpenWebUI-Chat-Id': 'chat-1',
  'X-OpenWebUI-Message-Id': 'message-1',
};
const ALICE_USER = {
  id: '6d1c0d4e-0000-4000-8000-00000000a11c',
  name: 'Alice Liddéll',
  email: 'alice@example.com',
  role: 'user',
  chatId: 'chat-1',
  messageId: 'message-1',
};

async function makeKey(app: App, label: string, trustForwardedUser?: boolean): Promise<{ id: string; token: string }> {
  const res = await request(app)
    .post('/api/keys')
    .set(admin)
    .send({ label, ...(trustForwardedUser === undefined ? {} : { trustForwardedUser }) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id as string, token: res.body.token as string };
}

/** A `fetch` that sends `token` and the headers `user()` gives now: they change between a session's requests. */
function fetchAs(token: string, user: () => Record<string, string>): typeof fetch {
  return (input, init) =>
    fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), authorization: `Bearer ${token}`, ...user() } });
}

async function start() {
  const started = await kit.gateway(SERVERS, {}, { apiKey: KEY, approval: POLICY });
  const trusted = await makeKey(started.app, 'Open WebUI', true);
  const plain = await makeKey(started.app, 'Script');
  return { ...started, trusted, plain };
}

/** Calls fx/echo over REST with `headers`; resolves with the call's activity entry. */
async function echo(app: App, token: string, headers: Record<string, string>, message = 'hi') {
  const res = await request(app).post('/fx/echo').set('Authorization', `Bearer ${token}`).set(headers).send({ message });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const page = await request(app).get('/api/activity?limit=1').set(admin).expect(200);
  return page.body.items[0];
}

describe('forwarded users over REST', () => {
  it('records the user and chat a trusted key forwards, in the activity log and the call snapshot', async () => {
    const { app, trusted } = await start();
    const entry = await echo(app, trusted.token, ALICE);
    expect(entry.user).toEqual(ALICE_USER);
    expect((await request(app).get(`/api/activity/${entry.id}`).set(admin).expect(200)).body.user).toEqual(ALICE_USER);

    // An async call's snapshot (`/api/calls/{id}`) says whom it is for.
    const accepted = await request(app)
      .post('/api/tools/fx/echo')
      .set('Authorization', `Bearer ${trusted.token}`)
      .set(ALICE)
      .set('Prefer', 'respond-async')
      .send({ message: 'later' })
      .expect(202);
    expect(accepted.body.user).toEqual(ALICE_USER);
    const snapshot = await request(app).get(`/api/calls/${accepted.body.id}`).set('Authorization', `Bearer ${trusted.token}`).expect(200);
    expect(snapshot.body.user).toEqual(ALICE_USER);

    // The key says whether it trusts forwarded users.
    const keys = (await request(app).get('/api/keys').set(admin).expect(200)).body.items;
    expect(keys.map((key: { label: string; trustForwardedUser: boolean }) => [key.label, key.trustForwardedUser]).sort()).toEqual([
      ['Open WebUI', true],
      ['Script', false],
    ]);
  });

  it('ignores the headers of a key without the flag and of the start-up key', async () => {
    const { app, plain } = await start();
    expect((await echo(app, plain.token, ALICE)).user).toBeNull();
    expect((await echo(app, KEY, ALICE)).user).toBeNull();
  });

  it('turns the trust of an existing key on and off (PATCH /api/keys/{id}), from its next request on', async () => {
    const { app, plain } = await start();
    expect((await echo(app, plain.token, ALICE)).user).toBeNull();
    const on = await request(app).patch(`/api/keys/${plain.id}`).set(admin).send({ trustForwardedUser: true }).expect(200);
    expect(on.body).toMatchObject({ id: plain.id, label: 'Script', trustForwardedUser: true });
    expect((await echo(app, plain.token, ALICE)).user).toEqual(ALICE_USER);
    await request(app).patch(`/api/keys/${plain.id}`).set(admin).send({ trustForwardedUser: false }).expect(200);
    expect((await echo(app, plain.token, ALICE)).user).toBeNull();
    // The database has it (GET reads the row).
    expect((await request(app).get(`/api/keys/${plain.id}`).set(admin).expect(200)).body.trustForwardedUser).toBe(false);

    expect((await request(app).patch('/api/keys/nope').set(admin).send({ trustForwardedUser: true })).status).toBe(404);
    const bad = await request(app).patch(`/api/keys/${plain.id}`).set(admin).send({ trustForwardedUser: 'yes' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('trustForwardedUser');
    // Only an admin may change a key.
    expect(
      (await request(app).patch(`/api/keys/${plain.id}`).set('Authorization', `Bearer ${plain.token}`).send({ trustForwardedUser: true }))
        .status,
    ).toBe(403);
  });

  it('does not believe the headers on a UI session signed in with a trusting key, nor with an OAuth access token', async () => {
    const { app } = await start();
    // Only an admin key signs in to the UI.
    const made = await request(app)
      .post('/api/keys')
      .set(admin)
      .send({ label: 'Trusted admin', scopes: ['admin'], trustForwardedUser: true });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const { cookie, csrf } = await signIn(app, made.body.token as string, '/activity');
    const byCookie = await request(app).post('/fx/echo').set('Cookie', cookie).set('X-CSRF-Token', csrf).set(ALICE).send({ message: 'ui' });
    expect(byCookie.status, JSON.stringify(byCookie.body)).toBe(200);
    expect((await request(app).get('/api/activity?limit=1').set(admin).expect(200)).body.items[0]).toMatchObject({
      arguments: { message: 'ui' },
      user: null,
    });

    const issuer = await startHttpFixture(['authorization-server.mjs'], '');
    kit.defer(() => issuer.stop());
    const oauth = await kit.gateway(SERVERS, { resourceServer: { issuer: issuer.url } }, { approval: POLICY });
    const base = await kit.listen(oauth.app);
    const answer = await fetch(`${issuer.url}/token`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from('test-client:test-secret').toString('base64') },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: base, scope: 'tools:call' }),
    });
    const token = ((await answer.json()) as { access_token: string }).access_token;
    const byToken = await fetch(`${base}/fx/echo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...ALICE },
      body: '{"message":"oauth"}',
    });
    expect(byToken.status).toBe(200);
    const [entry] = oauth.gateway.activity.list({ limit: 1 }).items;
    expect(entry).toMatchObject({ caller: expect.stringMatching(/^oauth:test-client@/), user: null });
  });

  it('takes out control characters and bidirectional overrides, and caps each length', async () => {
    const { app, trusted } = await start();
    const entry = await echo(app, trusted.token, {
      'X-OpenWebUI-User-Id': `u-${'x'.repeat(300)}`,
      // Percent-encoded like Open WebUI's name: a newline and a right-to-left override inside.
      'X-OpenWebUI-User-Name': 'Mallory%0A%E2%80%AEnimda%1B[31m',
      'X-OpenWebUI-User-Role': '\tadmin\t',
      'X-OpenWebUI-Chat-Id': '   ',
    });
    expect(entry.user).toEqual({ id: `u-${'x'.repeat(126)}`, name: 'Mallorynimda[31m', role: 'admin' });
  });

  it('reads UTF-8 sent raw in a header (an email at an internationalized domain)', async () => {
    const { app, trusted } = await start();
    const entry = await echo(app, trusted.token, { 'X-OpenWebUI-User-Email': 'zoë@bücher.de' });
    expect(entry.user).toEqual({ email: 'zoë@bücher.de' });
  });

  it('filters the activity log by the user: id or email in any case, never the name the user chose', async () => {
    const { app, trusted, plain } = await start();
    await echo(app, trusted.token, ALICE, 'from alice');
    await echo(app, trusted.token, { 'X-OpenWebUI-User-Id': 'bob-id', 'X-OpenWebUI-User-Name': 'Bob' }, 'from bob');
    // Mallory names herself after alice's email (Open WebUI lets each user choose a name).
    const mallory = {
      'X-OpenWebUI-User-Id': 'mallory-id',
      'X-OpenWebUI-User-Name': 'alice@example.com',
      'X-OpenWebUI-User-Email': 'm@evil.test',
    };
    await echo(app, trusted.token, mallory, 'from mallory');
    // Claims to be alice, but with a key that is not trusted to say so.
    await echo(app, plain.token, ALICE, 'not alice');
    const messages = async (user: string) =>
      (await request(app).get('/api/activity').query({ user }).set(admin).expect(200)).body.items.map(
        (item: { arguments: { message: string } }) => item.arguments.message,
      );
    expect(await messages(ALICE_USER.id)).toEqual(['from alice']);
    expect(await messages('ALICE@example.com')).toEqual(['from alice']);
    expect(await messages('alice@example.com')).toEqual(['from alice']);
    expect(await messages('Alice Liddéll')).toEqual([]);
    expect(await messages('bob-id')).toEqual(['from bob']);
    expect(await messages('Bob')).toEqual([]);
    expect(await messages('m@evil.test')).toEqual(['from mallory']);
    expect(await messages('carol')).toEqual([]);
    const refused = await request(app).get('/api/activity').query({ user: '' }).set(admin);
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].field).toBe('user');
  });

  it('shows the user on the approval (API and card) and on the activity pages, and filters the page by user', async () => {
    const { app, trusted } = await start();
    const held = request(app).post('/fx/echo').set('Authorization', `Bearer ${trusted.token}`).set(ALICE).send({ message: 'hold' });
    const answer = held.then((res) => res);
    const [approval] = await pendingApprovals(app, KEY);
    expect(approval!.user).toEqual(ALICE_USER);
    const { cookie } = await signIn(app, KEY, '/approvals');
    const card = await request(app).get(`/approvals/${approval!.id}`).set('Cookie', cookie).set('Accept', 'text/html').expect(200);
    expect(card.text).toMatch(
      /<dt>Asked by<\/dt><dd class="forwarded-user"[^>]*>Alice Liddéll \(alice@example.com, user\) via Open WebUI<\/dd>/,
    );
    await request(app).post(`/api/approvals/${approval!.id}/deny`).set(admin).send({ reason: 'no' }).expect(200);
    expect((await answer).status).toBe(403);

    await echo(app, trusted.token, {}, 'nobody');
    const list = await request(app).get('/activity').query({ user: 'alice@example.com' }).set('Cookie', cookie).set('Accept', 'text/html');
    expect(list.status).toBe(200);
    expect(list.text).toContain('name="user" value="alice@example.com"');
    // The name beside what tells the user apart (the email; the id in the title): a name is anyone's to choose.
    expect(list.text).toContain(
      '<span class="forwarded-user" title="user id 6d1c0d4e-0000-4000-8000-00000000a11c">Alice Liddéll (alice@example.com)</span> via Open WebUI',
    );
    expect(list.text.match(/class="activity-row /g)).toHaveLength(1);
    const all = await request(app).get('/activity').set('Cookie', cookie).set('Accept', 'text/html');
    expect(all.text.match(/class="activity-row /g)).toHaveLength(2);

    const id = (await request(app).get('/api/activity').query({ user: 'alice@example.com' }).set(admin)).body.items[0].id;
    const entry = await request(app).get(`/activity/${id}`).set('Cookie', cookie).set('Accept', 'text/html').expect(200);
    expect(entry.text).toContain(
      '<dt>For user</dt><dd class="forwarded-user" title="6d1c0d4e-0000-4000-8000-00000000a11c">Alice Liddéll (alice@example.com, user)</dd>',
    );
    expect(entry.text).toContain('<code>chat-1</code> message <code>message-1</code>');
  });

  it('shows the user on a question the server asks during the call (API and card)', async () => {
    const { app, trusted } = await start();
    const accepted = await request(app)
      .post('/api/tools/ask/ask_form')
      .set('Authorization', `Bearer ${trusted.token}`)
      .set(ALICE)
      .set('Prefer', 'respond-async')
      .send({ message: 'Your name?', schema: { type: 'object', properties: { name: { type: 'string' } } } })
      .expect(202);
    const question = await waitUntil(
      async () => (await request(app).get(`/api/calls/${accepted.body.id}`).set(admin)).body.question?.id as string | undefined,
      15_000,
      'the question',
    );
    expect((await request(app).get(`/api/questions/${question}`).set(admin).expect(200)).body.user).toEqual(ALICE_USER);
    const { cookie } = await signIn(app, KEY, '/approvals');
    const page = await request(app).get('/approvals').set('Cookie', cookie).set('Accept', 'text/html').expect(200);
    expect(page.text).toContain(
      '<dt>Asked by</dt><dd class="forwarded-user" title="6d1c0d4e-0000-4000-8000-00000000a11c">Alice Liddéll (alice@example.com, user) via Open WebUI</dd>',
    );
    await request(app).post(`/api/questions/${question}`).set(admin).send({ action: 'cancel' }).expect(200);
  });

  it('makes a trusting key on the Access page', async () => {
    const { app } = await start();
    const { cookie, csrf } = await signIn(app, KEY, '/access');
    await request(app)
      .post('/ui/access/keys')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, label: 'Open WebUI 2', scope: 'tools:call', trustForwardedUser: 'on' })
      .expect(200);
    await request(app)
      .post('/ui/access/keys')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, label: 'Other', scope: 'tools:call' })
      .expect(200);
    const keys = (await request(app).get('/api/keys').set(admin).expect(200)).body.items as {
      label: string;
      trustForwardedUser: boolean;
    }[];
    expect(keys.find((key) => key.label === 'Open WebUI 2')!.trustForwardedUser).toBe(true);
    expect(keys.find((key) => key.label === 'Other')!.trustForwardedUser).toBe(false);
    const page = await request(app).get('/access').set('Cookie', cookie).set('Accept', 'text/html').expect(200);
    expect(page.text).toContain('tools:call · trusts forwarded users');

    // The toggle on an existing key.
    const other = keys.find((key) => key.label === 'Other') as unknown as { id: string };
    const trusting = await request(app)
      .post(`/ui/access/keys/${other.id}/trust`)
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, trustForwardedUser: 'on' });
    expect(trusting.status).toBe(303);
    expect((await request(app).get(`/api/keys/${other.id}`).set(admin).expect(200)).body.trustForwardedUser).toBe(true);
    const after = await request(app).get('/access').set('Cookie', cookie).set('Accept', 'text/html').expect(200);
    expect(after.text).toContain('Stop trusting forwarded users');
    await request(app).post(`/ui/access/keys/${other.id}/trust`).set('Cookie', cookie).type('form').send({ _csrf: csrf }).expect(303);
    expect((await request(app).get(`/api/keys/${other.id}`).set(admin).expect(200)).body.trustForwardedUser).toBe(false);
  });
});

describe('approval rules on the forwarded user', () => {
  it("applies a rule for alice to alice's calls only: not to bob's, nor to an untrusted key's call claiming alice", async () => {
    const policy = {
      default: 'allow',
      rules: [
        { server: 'fx', tool: 'echo', action: 'deny', when: { user: 'ALICE@example.com' } },
        { server: 'fx', tool: 'echo', action: 'deny', when: [{ role: 'pending' }] },
      ],
    };
    const { app } = await kit.gateway(SERVERS, {}, { apiKey: KEY, approval: policy });
    const trusted = await makeKey(app, 'Open WebUI', true);
    const plain = await makeKey(app, 'Script');
    const call = (token: string, headers: Record<string, string>) =>
      request(app).post('/fx/echo').set('Authorization', `Bearer ${token}`).set(headers).send({ message: 'hi' });

    const denied = await call(trusted.token, ALICE);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ type: expect.stringContaining('denied-by-policy'), rule: '$.approval.rules[0]' });
    expect((await call(trusted.token, { 'X-OpenWebUI-User-Id': 'bob-id', 'X-OpenWebUI-User-Email': 'bob@example.com' })).status).toBe(200);
    // The display name is not the user: anyone may call themself "alice" in Open WebUI.
    expect((await call(trusted.token, { 'X-OpenWebUI-User-Id': 'eve-id', 'X-OpenWebUI-User-Name': 'alice@example.com' })).status).toBe(200);
    expect((await call(plain.token, ALICE)).status).toBe(200);
    expect((await call(KEY, ALICE)).status).toBe(200);
    expect((await call(trusted.token, {})).status).toBe(200);
    expect((await call(trusted.token, { 'X-OpenWebUI-User-Id': 'new-id', 'X-OpenWebUI-User-Role': 'pending' })).status).toBe(403);
    expect((await call(plain.token, { 'X-OpenWebUI-User-Id': 'new-id', 'X-OpenWebUI-User-Role': 'pending' })).status).toBe(200);
  });
});

describe('the approval cap per caller', () => {
  it('counts each forwarded user of a trusting key apart', async () => {
    const { app } = await kit.gateway(SERVERS, {}, { apiKey: KEY, approval: { ...POLICY, maxPendingPerCaller: 1 } });
    const trusted = await makeKey(app, 'Open WebUI', true);
    const hold = (headers: Record<string, string>) =>
      request(app)
        .post('/fx/echo')
        .set('Authorization', `Bearer ${trusted.token}`)
        .set(headers)
        .set('Prefer', 'respond-async')
        .send({ message: 'hold' });
    expect((await hold(ALICE)).status).toBe(202);
    const again = await hold(ALICE);
    expect(again.status).toBe(429);
    expect(again.body).toMatchObject({ type: expect.stringContaining('too-many-calls'), limit: 1 });
    // Bob is another caller; so is the key without a user.
    expect((await hold({ 'X-OpenWebUI-User-Id': 'bob-id' })).status).toBe(202);
    expect((await hold({})).status).toBe(202);
    expect((await hold({})).status).toBe(429);
    for (const approval of await pendingApprovals(app, KEY, 3)) {
      await request(app).post(`/api/approvals/${approval.id}/deny`).set(admin).send({}).expect(200);
    }
    // Once decided, alice's slot is free again.
    expect((await hold(ALICE)).status).toBe(202);
    const [last] = await pendingApprovals(app, KEY, 1);
    await request(app).post(`/api/approvals/${last!.id}/deny`).set(admin).send({}).expect(200);
  });

  it('caps a trusting key in all at 5 times the cap per caller, however many users it names', async () => {
    const { app } = await kit.gateway(SERVERS, {}, { apiKey: KEY, approval: { ...POLICY, maxPendingPerCaller: 1 } });
    const trusted = await makeKey(app, 'Open WebUI', true);
    const plain = await makeKey(app, 'Script');
    const hold = (token: string, headers: Record<string, string>) =>
      request(app)
        .post('/fx/echo')
        .set('Authorization', `Bearer ${token}`)
        .set(headers)
        .set('Prefer', 'respond-async')
        .send({ message: 'hold' });
    for (let n = 1; n <= 4; n++) expect((await hold(trusted.token, { 'X-OpenWebUI-User-Id': `user-${n}` })).status).toBe(202);
    // Its own call without a user counts in the key's too.
    expect((await hold(trusted.token, {})).status).toBe(202);
    const over = await hold(trusted.token, { 'X-OpenWebUI-User-Id': 'user-6' });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ type: expect.stringContaining('too-many-calls'), limit: 5 });
    expect(over.body.detail).toContain('5 × approval.maxPendingPerCaller');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    // Other callers still have their slots.
    expect((await hold(plain.token, {})).status).toBe(202);
    const held = await pendingApprovals(app, KEY, 6);
    expect(held).toHaveLength(6);
    // A decision frees a slot of the key's.
    const mine = held.find((approval) => approval.callerLabel === 'Open WebUI')!;
    await request(app).post(`/api/approvals/${mine.id}/deny`).set(admin).send({}).expect(200);
    expect((await hold(trusted.token, { 'X-OpenWebUI-User-Id': 'user-6' })).status).toBe(202);
    for (const approval of await pendingApprovals(app, KEY, 6)) {
      await request(app).post(`/api/approvals/${approval.id}/deny`).set(admin).send({}).expect(200);
    }
  });
});

describe('forwarded users over /mcp', () => {
  const calledFor = async (app: App) => (await request(app).get('/api/activity?limit=1').set(admin).expect(200)).body.items[0].user;

  it('records the user of each tools/call: the fast path, the SDK session path and a 2026-07-28 request', async () => {
    const { app, trusted, plain } = await start();
    const url = `${await kit.listen(app)}/mcp/fx`;
    const headers = (token: string, user: Record<string, string> = ALICE) => ({ authorization: `Bearer ${token}`, ...user });

    // 1.x client without elicitation: the fast path.
    const fast = new ClientV1({ name: 'owui', version: '1' });
    await fast.connect(new HttpV1(new URL(url), { requestInit: { headers: headers(trusted.token) } }));
    kit.defer(() => fast.close());
    await fast.callTool({ name: 'echo', arguments: { message: 'fast' } });
    expect(await calledFor(app)).toEqual(ALICE_USER);

    // 1.x client that declares elicitation: the SDK's session path.
    const asking = new ClientV1({ name: 'owui', version: '1' }, { capabilities: { elicitation: {} } });
    asking.setRequestHandler(ElicitRequestSchema, () => ({ action: 'cancel' }));
    const bob = { 'X-OpenWebUI-User-Id': 'bob-id', 'X-OpenWebUI-User-Email': 'bob@example.com' };
    await asking.connect(new HttpV1(new URL(url), { requestInit: { headers: headers(trusted.token, bob) } }));
    kit.defer(() => asking.close());
    await asking.callTool({ name: 'echo', arguments: { message: 'session' } });
    expect(await calledFor(app)).toEqual({ id: 'bob-id', email: 'bob@example.com' });

    // 2.x client (2026-07-28: a served server per request).
    const modern = new ClientV2({ name: 'owui', version: '2' });
    await modern.connect(new HttpV2(new URL(url), { requestInit: { headers: headers(trusted.token) } }));
    kit.defer(() => modern.close());
    await modern.callTool({ name: 'echo', arguments: { message: 'modern' } });
    expect(await calledFor(app)).toEqual(ALICE_USER);

    // A key without the flag: ignored on /mcp too.
    const untrusted = new ClientV1({ name: 'owui', version: '1' });
    await untrusted.connect(new HttpV1(new URL(url), { requestInit: { headers: headers(plain.token) } }));
    kit.defer(() => untrusted.close());
    await untrusted.callTool({ name: 'echo', arguments: { message: 'plain' } });
    expect(await calledFor(app)).toBeNull();
  });

  it("decides each request of an open SDK session by its own headers and its key's trust now", async () => {
    const policy = { default: 'allow', rules: [{ server: 'fx', tool: 'echo', action: 'deny', when: { user: 'alice@example.com' } }] };
    const { app } = await kit.gateway(SERVERS, {}, { apiKey: KEY, approval: policy });
    const key = await makeKey(app, 'Open WebUI', true);
    const url = `${await kit.listen(app)}/mcp/fx`;
    // The headers of the session's next request: changed between calls, as Open WebUI's are per user.
    let user: Record<string, string> = { 'X-OpenWebUI-User-Id': 'bob-id' };
    const sending = fetchAs(key.token, () => user);
    // A client that declares elicitation: its calls go the SDK's way, not the fast path.
    const client = new ClientV1({ name: 'owui', version: '1' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, () => ({ action: 'cancel' }));
    await client.connect(new HttpV1(new URL(url), { fetch: sending }));
    kit.defer(() => client.close());
    const echoed = (message: string) => client.callTool({ name: 'echo', arguments: { message } });

    expect((await echoed('bob')).isError).toBeFalsy();
    expect(await calledFor(app)).toEqual({ id: 'bob-id' });
    // Another user in the same session: this request's user, and the rule on alice applies.
    user = ALICE;
    expect((await echoed('alice')).isError).toBe(true);
    expect(await calledFor(app)).toEqual(ALICE_USER);
    // Trust turned off while the session is open: the next call is nobody's, and the rule on alice no longer matches.
    await request(app).patch(`/api/keys/${key.id}`).set(admin).send({ trustForwardedUser: false }).expect(200);
    expect((await echoed('untrusted')).isError).toBeFalsy();
    expect(await calledFor(app)).toBeNull();
    // And turned on again: believed from the next call on.
    await request(app).patch(`/api/keys/${key.id}`).set(admin).send({ trustForwardedUser: true }).expect(200);
    user = { 'X-OpenWebUI-User-Id': 'carol-id' };
    await echoed('trusted');
    expect(await calledFor(app)).toEqual({ id: 'carol-id' });
  });

  it("refuses the retry of a relayed input_required round for another user: one user's approval is not another's", async () => {
    const upstream = await startHttpFixture(['modern-only-server.mjs'], '/mcp');
    kit.defer(() => upstream.stop());
    const { app } = await kit.gateway(
      { m: { url: upstream.url, protocol: '2026-07-28' } },
      {},
      { apiKey: KEY, approval: { default: 'ask' } },
    );
    const key = await makeKey(app, 'Open WebUI', true);
    let user: Record<string, string> = ALICE;
    const sending = fetchAs(key.token, () => user);
    const client = new ClientV2(
      { name: 'owui', version: '2' },
      { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(new HttpV2(new URL(`${await kit.listen(app)}/mcp/m`), { fetch: sending }));
    kit.defer(() => client.close());
    type Round = { resultType?: string; requestState?: string; content?: { text: string }[] };
    const call = (retry: Record<string, unknown> = {}) =>
      client.callTool({ name: 'ask-with-state', arguments: {}, ...retry } as never, { allowInputRequired: true }) as Promise<Round>;

    // Alice's call is approved, and its server asks her a question (input_required, relayed).
    const asked = call();
    const [approval] = await pendingApprovals(app, KEY);
    expect(approval!.user).toMatchObject({ id: ALICE_USER.id });
    await request(app).post(`/api/approvals/${approval!.id}/approve`).set(admin).send({ binding: approval!.binding }).expect(200);
    const first = await asked;
    expect(first.resultType).toBe('input_required');
    const retry = { inputResponses: { name: { action: 'accept', content: { name: 'Ada' } } }, requestState: first.requestState };
    // The same round, sent back for bob: refused, not run on alice's approval.
    user = { 'X-OpenWebUI-User-Id': 'bob-id' };
    await expect(call(retry)).rejects.toThrow(/does not belong to this request/);
    // Alice's own retry runs at once.
    user = ALICE;
    expect((await call(retry)).content?.[0]?.text).toBe('hello Ada, state fixture-state:1');
    expect((await request(app).get('/api/approvals').set(admin).expect(200)).body.items).toHaveLength(1);
  });
});
