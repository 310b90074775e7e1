// Human approval of tool calls: the policy (deny → 403 at once, ask → the call waits), pending
// calls in each answer mode, exactly one decision per approval under races, the binding to the
// arguments and tool definition (keyed, so it gives no redacted value away), the caps on pending
// calls, restarts, and webhooks (folded per target). A real gateway over real HTTP, real MCP
// servers (the fixture server counts how often a tool really ran), a real SQLite file.
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { canonicalJson, toolDefinitionHash } from '../server/approvals/binding.js';
import { createLogger } from '../server/logging/logger.js';
import { DEMO_SERVER_SCRIPT } from '../server/package-info.js';
import { callKit, expectProblem, node } from './helpers/calls.js';
import { fixture, startTestGateway, tempDir, waitForServer, FAST } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { allEvents } from './helpers/sse.js';

const KEY = 'approvals-test-start-up-key-01';
const bearer = (token: string) => `Bearer ${token}`;
type App = Parameters<typeof request>[0];

/** The fixture server, writing one line per tool call it really runs into `callsFile`. */
function counted(callsFile: string, tools = 'echo,add_tool,remove_tool') {
  return { command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: tools, FIXTURE_CALLS_FILE: callsFile } };
}
const runs = (callsFile: string, tool = 'echo') =>
  fs.existsSync(callsFile)
    ? fs
        .readFileSync(callsFile, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith(`${tool} `)).length
    : 0;

const ASK_ECHO = { default: 'allow', rules: [{ server: 'fx', tool: 'echo', action: 'ask' }] };

/** A server with one tool, `unlock`, that takes a door and its 4-digit PIN and answers with its arguments. */
function lockServer(dir: string) {
  const file = path.join(dir, 'lock-tools.json');
  const unlock = {
    name: 'unlock',
    description: 'Opens a door with its PIN.',
    inputSchema: {
      type: 'object',
      properties: { door: { type: 'string' }, pin: { type: 'string', pattern: '^[0-9]{4}$' } },
      required: ['door', 'pin'],
    },
  };
  fs.writeFileSync(file, JSON.stringify([unlock]));
  return { command: node, args: [fixture('schema-server.mjs')], env: { FIXTURE_TOOLS_FILE: file } };
}

async function pending(app: App, count = 1, token = KEY): Promise<Record<string, unknown>[]> {
  return waitUntil(
    async () => {
      const res = await request(app).get('/api/approvals?state=pending').set('Authorization', bearer(token));
      return res.body.items?.length >= count ? res.body.items : undefined;
    },
    10_000,
    `${count} pending approvals`,
  );
}

async function deciderKey(app: App): Promise<string> {
  const res = await request(app)
    .post('/api/keys')
    .set('Authorization', bearer(KEY))
    .send({ label: 'Phone app', scopes: ['approvals:decide'] });
  return res.body.token;
}

describe('the approval policy', () => {
  const kit = callKit();

  it('denies at once by rule, lets readOnlyHint tools through the ask default, and holds the rest', async () => {
    const { app } = await kit.gateway(
      { demo: { command: node, args: [DEMO_SERVER_SCRIPT] } },
      {},
      {
        apiKey: KEY,
        approval: {
          default: 'ask',
          timeoutMs: 60_000,
          rules: [
            { tool: 'delete_*', action: 'deny' },
            { tool: 'add', action: 'allow' },
            { tool: 'add', action: 'ask', when: [{ pointer: '/a', equals: 13 }] },
          ],
        },
      },
    );
    const denied = await request(app).post('/demo/delete_note').set('Authorization', bearer(KEY)).send({ id: '1' });
    expectProblem(denied, 403, 'denied-by-policy');
    expect(denied.body.rule).toBe('$.approval.rules[0]');
    // echo is annotated readOnlyHint: the ask default lets it run.
    expect((await request(app).post('/demo/echo').set('Authorization', bearer(KEY)).send({ message: 'hi' })).status).toBe(200);
    // A rule that allows wins over the default; an ask rule whose condition holds wins over the allow.
    expect((await request(app).post('/demo/add').set('Authorization', bearer(KEY)).send({ a: 1, b: 2 })).status).toBe(200);
    const held = request(app)
      .post('/demo/add')
      .set('Authorization', bearer(KEY))
      .send({ a: 13, b: 2 })
      .then((res) => res);
    const [approval] = await pending(app);
    expect(approval).toMatchObject({
      server: 'demo',
      tool: 'add',
      rule: '$.approval.rules[2]',
      arguments: { a: 13, b: 2 },
      caller: 'api-key',
      callerLabel: 'start-up key',
    });
    // add_note has no readOnlyHint: with no rule the default asks.
    const note = request(app)
      .post('/demo/add_note')
      .set('Authorization', bearer(KEY))
      .send({ title: 't', text: 'x' })
      .then((res) => res);
    const both = await pending(app, 2);
    expect(both.find((item) => item.tool === 'add_note')).toMatchObject({ rule: 'default' });
    for (const item of both) {
      await request(app).post(`/api/approvals/${item.id}/deny`).set('Authorization', bearer(KEY)).send({ reason: 'not now' }).expect(200);
    }
    expectProblem(await held, 403, 'approval-denied');
    expectProblem(await note, 403, 'approval-denied');
    const activity = await request(app).get('/api/activity?outcome=denied').set('Authorization', bearer(KEY));
    expect(activity.body.items).toHaveLength(3);
  });
});

describe('a held call', () => {
  const kit = callKit();

  it('runs once after approve, answering the waiting caller, and the audit says who decided', async () => {
    const calls = path.join(tempDir(), 'calls.log');
    const { app } = await kit.gateway({ fx: counted(calls) }, {}, { apiKey: KEY, approval: ASK_ECHO });
    const phone = await deciderKey(app);
    const waiting = request(app)
      .post('/fx/echo')
      .set('Authorization', bearer(KEY))
      .send({ message: 'deploy' })
      .then((res) => res);
    const [approval] = await pending(app, 1, phone);
    expect(runs(calls)).toBe(0);
    expect(approval).toMatchObject({
      state: 'pending',
      arguments: { message: 'deploy' },
      binding: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(Date.parse(String(approval!.expiresAt)) - Date.parse(String(approval!.createdAt))).toBe(120_000);

    // A key without approvals:decide cannot approve, even the caller's own call.
    const agent = (
      await request(app)
        .post('/api/keys')
        .set('Authorization', bearer(KEY))
        .send({ label: 'agent', scopes: ['tools:call', 'tools:read'] })
    ).body.token;
    const refused = await request(app).post(`/api/approvals/${approval!.id}/approve`).set('Authorization', bearer(agent));
    expectProblem(refused, 403, 'forbidden');
    expect(refused.body.scope).toBe('approvals:decide');
    expect(runs(calls)).toBe(0);
    const approved = await request(app)
      .post(`/api/approvals/${approval!.id}/approve`)
      .set('Authorization', bearer(phone))
      .send({ binding: approval!.binding });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'approved', decidedByLabel: 'Phone app', decidedVia: 'api' });
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('deploy');
    expect(runs(calls)).toBe(1);

    const entry = await waitUntil(async () => {
      const res = await request(app).get('/api/activity?tool=echo').set('Authorization', bearer(KEY));
      return res.body.items.find((item: { outcome: string }) => item.outcome === 'ok');
    });
    expect(entry.approvalId).toBe(approval!.id);
    // A second decision is refused, naming the winner.
    const late = await request(app).post(`/api/approvals/${approval!.id}/deny`).set('Authorization', bearer(KEY));
    expectProblem(late, 409, 'approval-decided');
    expect(late.body).toMatchObject({ state: 'approved', decidedBy: 'Phone app' });
  });

  it("adds the trusted Tailscale login to the decider's label, and only when told to trust it", async () => {
    for (const trust of [true, false]) {
      const { app } = await kit.gateway(
        { fx: counted(path.join(tempDir(), 'calls.log')) },
        { trustTailscaleHeaders: trust },
        { apiKey: KEY, approval: ASK_ECHO },
      );
      const waiting = request(app)
        .post('/fx/echo')
        .set('Authorization', bearer(KEY))
        .send({ message: 'x' })
        .then((res) => res);
      const [approval] = await pending(app);
      const decided = await request(app)
        .post(`/api/approvals/${approval!.id}/approve`)
        .set('Authorization', bearer(KEY))
        .set('Tailscale-User-Login', 'alice@example.com');
      expect(decided.body.decidedByLabel).toBe(trust ? 'start-up key (alice@example.com)' : 'start-up key');
      expect((await waiting).status).toBe(200);
    }
  });

  it('fails clearly after a deny (reason and who) or when nobody decides in time', async () => {
    const calls = path.join(tempDir(), 'calls.log');
    const { app } = await kit.gateway({ fx: counted(calls) }, {}, { apiKey: KEY, approval: { ...ASK_ECHO, timeoutMs: 1_000 } });
    const denied = request(app)
      .post('/api/tools/fx/echo')
      .set('Authorization', bearer(KEY))
      .send({ message: 'rm -rf' })
      .then((res) => res);
    const [approval] = await pending(app);
    await request(app)
      .post(`/api/approvals/${approval!.id}/deny`)
      .set('Authorization', bearer(KEY))
      .send({ reason: 'too risky' })
      .expect(200);
    const res = await denied;
    expectProblem(res, 403, 'approval-denied');
    expect(res.body).toMatchObject({ approval: approval!.id, reason: 'too risky', decidedBy: 'start-up key' });
    expect(res.body.detail).toBe('start-up key denied fx/echo: too risky');

    const timedOut = await request(app).post('/fx/echo').set('Authorization', bearer(KEY)).send({ message: 'late' });
    expectProblem(timedOut, 504, 'approval-timed-out');
    const expired = await request(app).get(`/api/approvals/${timedOut.body.approval}`).set('Authorization', bearer(KEY));
    expect(expired.body).toMatchObject({ state: 'expired', decidedBy: 'gateway' });
    expect(runs(calls)).toBe(0);
  });

  it('shows a streaming caller an approval event before the result, and an async caller waiting_for_approval', async () => {
    const { app } = await kit.gateway({ fx: counted(path.join(tempDir(), 'calls.log')) }, {}, { apiKey: KEY, approval: ASK_ECHO });
    const base = await kit.listen(app);
    const stream = fetch(`${base}/fx/echo`, {
      method: 'POST',
      headers: { Authorization: bearer(KEY), Accept: 'text/event-stream', 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'streamed' }),
    });
    const [first] = await pending(app);
    await request(app).post(`/api/approvals/${first!.id}/approve`).set('Authorization', bearer(KEY)).expect(200);
    const events = await allEvents(await stream);
    expect(events.map((event) => event.event)).toEqual(['approval', 'approval', 'result']);
    expect(JSON.parse(String(events[0]!.data))).toMatchObject({ status: 'waiting', id: first!.id, url: `/api/approvals/${first!.id}` });
    expect(JSON.parse(String(events[1]!.data))).toMatchObject({ status: 'approved', decidedBy: 'start-up key' });
    expect(JSON.parse(String(events[2]!.data))).toBe('streamed');

    const accepted = await request(app)
      .post('/fx/echo')
      .set('Authorization', bearer(KEY))
      .set('Prefer', 'respond-async')
      .send({ message: 'later' });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({
      state: 'waiting_for_approval',
      approval: { state: 'pending', url: expect.stringMatching(/^\/api\/approvals\/apr_/) },
    });
    const approvalId = accepted.body.approval.id;
    // The caller may read the approval that holds its own call.
    const caller = (
      await request(app)
        .post('/api/keys')
        .set('Authorization', bearer(KEY))
        .send({ label: 'agent', scopes: ['tools:call'] })
    ).body.token;
    expect((await request(app).get(`/api/approvals/${approvalId}`).set('Authorization', bearer(caller))).status).toBe(404);
    await request(app).post(`/api/approvals/${approvalId}/approve`).set('Authorization', bearer(KEY)).expect(200);
    const done = await waitUntil(async () => {
      const res = await request(app).get(String(accepted.headers.location)).set('Authorization', bearer(KEY));
      return res.body.state === 'succeeded' ? res.body : undefined;
    });
    expect(done).toMatchObject({ result: 'later', approval: { id: approvalId, state: 'approved' } });
  });

  it('gives exactly one winner among 50 parallel decisions per approval, and runs the tool at most once', async () => {
    const calls = path.join(tempDir(), 'calls.log');
    const { app } = await kit.gateway({ fx: counted(calls) }, { maxQueue: 64 }, { apiKey: KEY, approval: ASK_ECHO });
    const base = await kit.listen(app);
    const ROUNDS = 3;
    const held = Array.from({ length: ROUNDS }, (_, i) =>
      fetch(`${base}/fx/echo`, {
        method: 'POST',
        headers: { Authorization: bearer(KEY), 'Content-Type': 'application/json' },
        body: JSON.stringify({ message: `race ${i}` }),
      }),
    );
    const approvals = await pending(app, ROUNDS);
    for (const approval of approvals) {
      const decisions = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          fetch(`${base}/api/approvals/${approval.id}/${i % 2 === 0 ? 'approve' : 'deny'}`, {
            method: 'POST',
            headers: { Authorization: bearer(KEY) },
          }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> })),
        ),
      );
      const winners = decisions.filter((decision) => decision.status === 200);
      expect(winners).toHaveLength(1);
      const losers = decisions.filter((decision) => decision.status === 409);
      expect(losers).toHaveLength(49);
      for (const loser of losers) expect(loser.body).toMatchObject({ type: 'approval-decided', state: winners[0]!.body.state });
    }
    const answers = await Promise.all(held);
    const approvedCount = answers.filter((res) => res.status === 200).length;
    expect(answers.every((res) => res.status === 200 || res.status === 403)).toBe(true);
    expect(runs(calls)).toBe(approvedCount);
  });

  it('binds the approval to the arguments and the tool definition', async () => {
    const calls = path.join(tempDir(), 'calls.log');
    const { app } = await kit.gateway(
      { fx: counted(calls) },
      {},
      { apiKey: KEY, approval: { default: 'allow', rules: [{ server: 'fx', tool: 'echo', action: 'ask' }] } },
    );
    const first = request(app)
      .post('/fx/echo')
      .set('Authorization', bearer(KEY))
      .send({ message: 'harmless' })
      .then((res) => res);
    const [a] = await pending(app);
    const second = request(app)
      .post('/fx/echo')
      .set('Authorization', bearer(KEY))
      .send({ message: 'harmful' })
      .then((res) => res);
    const both = await pending(app, 2);
    const b = both.find((item) => item.id !== a!.id)!;
    expect(b.binding).not.toBe(a!.binding);
    // Approving what one saw for the first call does not apply to the second (edited arguments).
    const mismatch = await request(app)
      .post(`/api/approvals/${b.id}/approve`)
      .set('Authorization', bearer(KEY))
      .send({ binding: a!.binding });
    expectProblem(mismatch, 409, 'approval-void');
    expect((await request(app).get(`/api/approvals/${b.id}`).set('Authorization', bearer(KEY))).body.state).toBe('pending');

    // The tool changes while both wait ("rug pull"): approving now voids the approval.
    expect((await request(app).post('/fx/remove_tool').set('Authorization', bearer(KEY)).send({ name: 'echo' })).status).toBe(200);
    expect((await request(app).post('/fx/add_tool').set('Authorization', bearer(KEY)).send({ name: 'echo' })).status).toBe(200);
    await waitUntil(
      async () =>
        (await request(app).get('/api/tools/fx/echo').set('Authorization', bearer(KEY))).body.description === 'Added at run time.',
    );
    expectProblem(await request(app).post(`/api/approvals/${a!.id}/approve`).set('Authorization', bearer(KEY)), 409, 'approval-void');
    expectProblem(await first, 409, 'approval-void');
    await request(app).post(`/api/approvals/${b.id}/deny`).set('Authorization', bearer(KEY)).expect(200);
    expectProblem(await second, 403, 'approval-denied');
    expect(runs(calls)).toBe(0);
  });
});

describe('the approval binding', () => {
  const kit = callKit();
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

  it('gives a redacted value away to no guess: all 10,000 PINs miss, and approving with it still works', async () => {
    const dir = tempDir();
    const { app, supervisor } = await kit.gateway(
      { lock: lockServer(dir) },
      {},
      { apiKey: KEY, approval: { default: 'ask' }, stateDir: dir },
    );
    const waiting = request(app)
      .post('/lock/unlock')
      .set('Authorization', bearer(KEY))
      .send({ door: 'front', pin: '4821' })
      .then((res) => res);
    const [approval] = await pending(app);
    expect(approval!.arguments).toEqual({ door: 'front', pin: '[redacted]' });
    // Everything else that went into the binding is known to whoever reads the approval.
    const toolHash = toolDefinitionHash(supervisor.get('lock')!.tool('unlock')!);
    const found: string[] = [];
    for (let n = 0; n < 10_000; n++) {
      const pin = String(n).padStart(4, '0');
      if (sha256(canonicalJson({ server: 'lock', tool: 'unlock', arguments: { door: 'front', pin }, toolHash })) === approval!.binding)
        found.push(pin);
    }
    expect(found).toEqual([]);
    expect(fs.statSync(path.join(dir, 'gateway.secret')).mode & 0o777).toBe(0o600);

    const approved = await request(app)
      .post(`/api/approvals/${approval!.id}/approve`)
      .set('Authorization', bearer(KEY))
      .send({ binding: approval!.binding });
    expect(approved.status).toBe(200);
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ tool: 'unlock', arguments: { door: 'front', pin: '4821' } });
  });

  // The binding covers the approval's id: a key that may call and decide cannot hold calls with
  // guessed arguments and compare their bindings with another caller's approval.
  it('is the same for one approval whenever it is read, also after a restart, and differs between two approvals of the same call', async () => {
    const servers = { lock: lockServer(tempDir()) };
    const args = { door: 'back', pin: '0007' };
    const dir = tempDir();
    const first = await kit.gateway(servers, {}, { apiKey: KEY, approval: { default: 'ask' }, stateDir: dir });
    const approvals: { id: string; binding: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const accepted = await request(first.app)
        .post('/lock/unlock')
        .set('Authorization', bearer(KEY))
        .set('Prefer', 'respond-async')
        .send(args);
      expect(accepted.status).toBe(202);
      approvals.push((await request(first.app).get(accepted.body.approval.url).set('Authorization', bearer(KEY))).body);
    }
    const [one, two] = approvals as [{ id: string; binding: string }, { id: string; binding: string }];
    expect(one.binding).toMatch(/^[0-9a-f]{64}$/);
    expect(two.binding).toMatch(/^[0-9a-f]{64}$/);
    expect(two.binding).not.toBe(one.binding);
    expect((await request(first.app).get(`/api/approvals/${one.id}`).set('Authorization', bearer(KEY))).body.binding).toBe(one.binding);
    // The one seen for the first does not decide the second.
    expectProblem(
      await request(first.app).post(`/api/approvals/${two.id}/approve`).set('Authorization', bearer(KEY)).send({ binding: one.binding }),
      409,
      'approval-void',
    );
    await first.close();

    const again = await kit.gateway(servers, {}, { apiKey: KEY, approval: { default: 'ask' }, stateDir: dir });
    for (const approval of approvals) {
      expect((await request(again.app).get(`/api/approvals/${approval.id}`).set('Authorization', bearer(KEY))).body).toMatchObject({
        binding: approval.binding,
        state: 'interrupted',
      });
    }
  });
});

describe('caps on pending approvals', () => {
  const kit = callKit();

  it('refuses a caller over approval.maxPendingPerCaller, and anyone over approval.maxPending, at once with 429 and Retry-After', async () => {
    const calls = path.join(tempDir(), 'calls.log');
    const { app } = await kit.gateway(
      { fx: counted(calls) },
      {},
      { apiKey: KEY, approval: { ...ASK_ECHO, timeoutMs: 60_000, maxPendingPerCaller: 2, maxPending: 3 } },
    );
    const agent = (
      await request(app)
        .post('/api/keys')
        .set('Authorization', bearer(KEY))
        .send({ label: 'agent', scopes: ['tools:call'] })
    ).body.token;
    const call = (token: string, message: string) => request(app).post('/fx/echo').set('Authorization', bearer(token)).send({ message });
    const held = [call(KEY, 'mine 1').then((res) => res), call(KEY, 'mine 2').then((res) => res)];
    await pending(app, 2);

    const over = await call(KEY, 'one too many');
    expectProblem(over, 429, 'too-many-calls');
    expect(over.body).toMatchObject({ limit: 2, retryAfter: expect.any(Number) });
    expect(over.body.detail).toContain('approval.maxPendingPerCaller');
    const retryAfter = Number(over.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // In every answer mode, at once: an async caller gets the 429 too, not a 202.
    expectProblem(await call(KEY, 'async').set('Prefer', 'respond-async'), 429, 'too-many-calls');

    // Another caller still gets a call held, up to the total cap.
    held.push(call(agent, 'theirs').then((res) => res));
    await pending(app, 3);
    const full = await call(agent, 'theirs too');
    expectProblem(full, 429, 'too-many-calls');
    expect(full.body).toMatchObject({ limit: 3 });
    expect(full.body.detail).toContain('approval.maxPending ');
    expect(Number(full.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    // The refused calls made no approval; a decision frees a slot.
    const items = (await request(app).get('/api/approvals').set('Authorization', bearer(KEY))).body.items as Record<string, unknown>[];
    expect(items.map((item) => item.state)).toEqual(['pending', 'pending', 'pending']);
    const mine = items.find((item) => item.caller === 'api-key')!;
    await request(app).post(`/api/approvals/${mine.id}/deny`).set('Authorization', bearer(KEY)).expect(200);
    held.push(call(KEY, 'mine 3').then((res) => res));
    const now = await waitUntil(async () => {
      const res = await request(app).get('/api/approvals?state=pending').set('Authorization', bearer(KEY));
      return res.body.items.some((item: { arguments: { message: string } }) => item.arguments.message === 'mine 3')
        ? res.body.items
        : undefined;
    });
    for (const item of now as { id: string }[])
      await request(app).post(`/api/approvals/${item.id}/deny`).set('Authorization', bearer(KEY)).expect(200);
    for (const res of await Promise.all(held)) expectProblem(res, 403, 'approval-denied');
    expect(runs(calls)).toBe(0);
  });
});

describe('approvals across a restart', () => {
  it('never runs a call that waited when the gateway stopped', async () => {
    const stateDir = tempDir();
    const calls = path.join(stateDir, 'calls.log');
    const config = { approval: ASK_ECHO, gateway: FAST, mcpServers: { fx: counted(calls) } };
    const first = await startTestGateway(config, { stateDir, apiKey: KEY });
    await waitForServer(first.supervisor, 'fx', 'ready');
    const accepted = await request(first.app)
      .post('/fx/echo')
      .set('Authorization', bearer(KEY))
      .set('Prefer', 'respond-async')
      .send({ message: 'x' });
    const id = accepted.body.approval.id;
    // A second gateway on the same state (as after a crash of the first) finds the approval pending.
    const second = await startTestGateway(config, { stateDir, apiKey: KEY });
    try {
      const seen = await request(second.app).get(`/api/approvals/${id}`).set('Authorization', bearer(KEY));
      expect(seen.body).toMatchObject({ state: 'interrupted', decidedBy: 'gateway' });
      expectProblem(
        await request(second.app).post(`/api/approvals/${id}/approve`).set('Authorization', bearer(KEY)),
        409,
        'approval-decided',
      );
      // The first gateway's own wait ends too, and the call fails instead of running.
      expectProblem(
        await request(first.app).post(`/api/approvals/${id}/approve`).set('Authorization', bearer(KEY)),
        409,
        'approval-decided',
      );
      await first.close();
      expect(runs(calls)).toBe(0);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe('approval webhooks', () => {
  const kit = callKit();

  it('posts a signed notice without argument values when an approval is created', async () => {
    const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    kit.defer(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'hook.secret'), 'hook-secret-value\n');
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/topic`;
    const { app } = await kit.gateway(
      { fx: counted(path.join(dir, 'calls.log')) },
      {},
      { apiKey: KEY, approval: { ...ASK_ECHO, notify: [{ url, secretFile: path.join(dir, 'hook.secret') }] }, stateDir: dir },
    );
    const waiting = request(app)
      .post('/fx/echo')
      .set('Authorization', bearer(KEY))
      .send({ message: 'secret-argument-value' })
      .then((res) => res);
    const [approval] = await pending(app);
    const hook = await waitUntil(() => received[0]);
    const body = JSON.parse(hook.body);
    expect(body).toMatchObject({
      event: 'approval.created',
      id: approval!.id,
      server: 'fx',
      tool: 'echo',
      caller: 'start-up key',
      path: `/approvals/${approval!.id}`,
    });
    expect(hook.body).not.toContain('secret-argument-value');
    const timestamp = String(hook.headers['x-mcp-gateway-timestamp']);
    const expected = createHmac('sha256', 'hook-secret-value').update(`${timestamp}.${hook.body}`).digest('hex');
    expect(hook.headers['x-mcp-gateway-signature']).toBe(`sha256=${expected}`);
    await request(app).post(`/api/approvals/${approval!.id}/deny`).set('Authorization', bearer(KEY)).expect(200);
    expectProblem(await waiting, 403, 'approval-denied');
  });
});

describe('approval webhooks, folded', () => {
  const kit = callKit();

  it('sends one notice for a burst of held calls, and drops the fold at shutdown, logged', async () => {
    const received: string[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    kit.defer(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/phone`;
    const logText: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void logText.push(line) });
    const gateway = await kit.gateway(
      { fx: counted(path.join(tempDir(), 'calls.log')) },
      {},
      { apiKey: KEY, approval: { ...ASK_ECHO, notifyIntervalMs: 60_000, notify: [{ url }] }, logger },
    );
    const held = Array.from({ length: 5 }, (_, i) =>
      request(gateway.app)
        .post('/fx/echo')
        .set('Authorization', bearer(KEY))
        .send({ message: `burst ${i}` })
        .then((res) => res),
    );
    const approvals = await pending(gateway.app, 5);
    // Shutting down waits for every notice under way: whatever was sent has arrived after it.
    await gateway.close();
    for (const res of await Promise.all(held)) expectProblem(res, 503, 'approval-interrupted');
    expect(received).toHaveLength(1);
    const notice = JSON.parse(received[0]!);
    expect(notice).toMatchObject({ event: 'approval.created', count: 1 });
    expect(approvals.map((approval) => approval.id)).toContain(notice.id);
    const dropped = logText.map((line) => JSON.parse(line)).filter((line) => String(line.msg).startsWith('dropped the approval notice'));
    expect(dropped).toEqual([expect.objectContaining({ target: url, count: 4 })]);
  });
});
