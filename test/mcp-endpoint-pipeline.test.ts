// `/mcp` goes through the same pipeline as REST: keys and scopes, the approval policy with a person
// deciding (the client is told it waits, and reads a denial as a tool error), cancellation,
// progress and log notifications, and live tool lists. Real clients, real servers, real HTTP.
import fs from 'node:fs';
import path from 'node:path';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, node, results } from './helpers/calls.js';
import { fixture, tempDir, waitForServer } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { csrfOf, pendingApprovals } from './helpers/ui-session.js';

const kit = callKit();
const KEY = 'mcp-test-key-0123456789abcdef';
const bearer = (token: string) => `Bearer ${token}`;

type Era = 'legacy' | 'modern';

async function connect(url: string, era: Era, token?: string): Promise<ClientV2> {
  const client = new ClientV2(
    { name: 'pipeline-client', version: '2.0.0' },
    era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  const headers: Record<string, string> = token ? { authorization: bearer(token) } : {};
  await client.connect(new HttpV2(new URL(url), { requestInit: { headers } }));
  kit.defer(() => client.close());
  return client;
}

async function makeKey(app: Parameters<typeof request>[0], scopes: string[]): Promise<string> {
  const res = await request(app)
    .post('/api/keys')
    .set('Authorization', bearer(KEY))
    .send({ label: `key ${scopes.join(' ')}`, scopes });
  expect(res.status).toBe(201);
  return res.body.token as string;
}

describe('/mcp authentication and scopes', () => {
  it('needs a key when the gateway has one; tools:read lists but cannot call; tools:call calls', async () => {
    const started = await kit.gateway({ res: results() }, {}, { apiKey: KEY });
    const base = await kit.listen(started.app);
    const anonymous = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(anonymous.status).toBe(401);

    const reader = await makeKey(started.app, ['tools:read']);
    const readOnly = await connect(`${base}/mcp`, 'legacy', reader);
    expect((await readOnly.listTools()).tools.map((tool) => tool.name)).toContain('res__plain_text');
    await expect(readOnly.callTool({ name: 'res__plain_text', arguments: {} })).rejects.toThrow(/lack the scope tools:call/);

    const callerKey = await makeKey(started.app, ['tools:call']);
    for (const era of ['legacy', 'modern'] as const) {
      const calling = await connect(`${base}/mcp`, era, callerKey);
      const result = await calling.callTool({ name: 'res__plain_text', arguments: {} });
      expect(result.content).toEqual([{ type: 'text', text: 'hello there' }]);
    }
    const approvalsOnly = await makeKey(started.app, ['approvals:decide']);
    const refused = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: bearer(approvalsOnly) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(refused.status).toBe(403);
  });

  it("refuses a paired device's token (devices decide approvals, they do not call tools)", async () => {
    const started = await kit.gateway({ res: results() }, {}, { apiKey: KEY });
    const base = await kit.listen(started.app);
    const { token } = started.gateway.devices.pair('Pixel 8', 'api-key');
    const cookie = `mcpgw_session=${token}`;
    // The phone's own page gives it its CSRF token: so it is the device check that refuses, not the CSRF one.
    const csrf = csrfOf((await request(started.app).get('/approvals').set('Cookie', cookie).set('Accept', 'text/html')).text);
    const res = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', cookie, 'x-csrf-token': csrf },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'phone', version: '1' } },
      }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ type: 'forbidden' });
  });

  it('does not let another key use a session it did not open', async () => {
    const started = await kit.gateway({ res: results() }, {}, { apiKey: KEY });
    const base = await kit.listen(started.app);
    const owner = await makeKey(started.app, ['tools:call']);
    const other = await makeKey(started.app, ['tools:call']);
    const client = new ClientV2({ name: 'owner', version: '1' });
    const transport = new HttpV2(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: bearer(owner) } } });
    await client.connect(transport);
    kit.defer(() => client.close());
    const sessionId = transport.sessionId!;
    expect(sessionId).toBeTruthy();
    const stolen = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: bearer(other),
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} }),
    });
    expect(stolen.status).toBe(404);
  });
});

describe('/mcp and approvals', () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`tells the client it waits for approval, with the card's URL, then answers; a denial is a readable tool error (${era})`, async () => {
      const started = await kit.gateway({ res: results() }, {}, { apiKey: KEY, approval: { default: 'ask', timeoutMs: 60_000 } });
      const base = await kit.listen(started.app);
      const client = await connect(`${base}/mcp`, era, KEY);
      const progress: string[] = [];
      const approved = client.callTool(
        { name: 'res__plain_text', arguments: {} },
        { onprogress: (update) => progress.push(String(update.message)) },
      );
      const first = (await pendingApprovals(started.app, KEY))[0]!;
      await waitUntil(() => progress.length > 0, 10_000, 'a progress notification');
      expect(progress[0]).toMatch(new RegExp(`^waiting for approval: http://127\\.0\\.0\\.1:\\d+/approvals/${first.id}$`));
      await request(started.app).post(`/api/approvals/${first.id}/approve`).set('Authorization', bearer(KEY)).expect(200);
      expect((await approved).content).toEqual([{ type: 'text', text: 'hello there' }]);

      const denied = client.callTool({ name: 'res__plain_text', arguments: {} });
      const second = (await pendingApprovals(started.app, KEY))[0]!;
      await request(started.app)
        .post(`/api/approvals/${second.id}/deny`)
        .set('Authorization', bearer(KEY))
        .send({ reason: 'not during the demo' })
        .expect(200);
      expect(await denied).toMatchObject({
        content: [{ type: 'text', text: 'denied by start-up key: not during the demo' }],
        isError: true,
      });
    });
  }

  it('sends a client that opens URLs (URL-mode elicitation) to the approval card, and says when it is decided', async () => {
    const started = await kit.gateway({ res: results() }, {}, { apiKey: KEY, approval: { default: 'ask', timeoutMs: 60_000 } });
    const base = await kit.listen(started.app);
    const client = new ClientV2({ name: 'url-client', version: '1' }, { capabilities: { elicitation: { url: {} } } });
    const elicitations: { mode?: string; url?: string; elicitationId?: string }[] = [];
    const completed: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      elicitations.push(request.params as never);
      return { action: 'accept' };
    });
    client.setNotificationHandler('notifications/elicitation/complete', (notification) => {
      completed.push(notification.params.elicitationId);
    });
    await client.connect(new HttpV2(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: bearer(KEY) } } }));
    kit.defer(() => client.close());
    const call = client.callTool({ name: 'res__plain_text', arguments: {} });
    const approval = (await pendingApprovals(started.app, KEY))[0]!;
    await waitUntil(() => elicitations.length > 0, 10_000, 'the URL elicitation');
    expect(elicitations[0]).toMatchObject({ mode: 'url', elicitationId: approval.id, url: `${base}/approvals/${approval.id}` });
    await request(started.app).post(`/api/approvals/${approval.id}/approve`).set('Authorization', bearer(KEY)).expect(200);
    expect((await call).content).toEqual([{ type: 'text', text: 'hello there' }]);
    await waitUntil(() => completed.length > 0, 10_000, 'notifications/elicitation/complete');
    expect(completed).toEqual([approval.id]);
  });

  it('answers a 2026-07-28 client that opens URLs with input_required (the approval card), and its retry with the result', async () => {
    const started = await kit.gateway({ res: results() }, {}, { apiKey: KEY, approval: { default: 'ask', timeoutMs: 60_000 } });
    const base = await kit.listen(started.app);
    const client = new ClientV2(
      { name: 'modern-url-client', version: '1' },
      { capabilities: { elicitation: { url: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    const opened: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      opened.push((request.params as { url: string }).url);
      return { action: 'accept' };
    });
    await client.connect(new HttpV2(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: bearer(KEY) } } }));
    kit.defer(() => client.close());
    expect(client.getProtocolEra()).toBe('modern');
    const call = client.callTool({ name: 'res__plain_text', arguments: {} });
    const approval = (await pendingApprovals(started.app, KEY))[0]!;
    await waitUntil(() => opened.length > 0, 10_000, 'the URL elicitation of the input_required result');
    expect(opened).toEqual([`${base}/approvals/${approval.id}`]);
    await request(started.app).post(`/api/approvals/${approval.id}/approve`).set('Authorization', bearer(KEY)).expect(200);
    expect((await call).content).toEqual([{ type: 'text', text: 'hello there' }]);
    // One call, run once: the retry picked up the call that waited, it did not start another.
    const entries = started.gateway.activity.list({ limit: 5 }).items.filter((item) => item.tool === 'plain_text');
    expect(entries).toHaveLength(1);
  });

  it('says "approval timed out" when nobody decides in time', async () => {
    const started = await kit.gateway({ res: results() }, {}, { approval: { default: 'ask', timeoutMs: 200 } });
    const base = await kit.listen(started.app);
    const client = await connect(`${base}/mcp`, 'legacy');
    const result = await client.callTool({ name: 'res__plain_text', arguments: {} });
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0]!.text).toMatch(/^approval timed out/);
  });
});

describe('/mcp while a call runs', () => {
  it("passes upstream progress and log messages on, and the client's cancellation reaches the server", async () => {
    const cancelLog = path.join(tempDir(), 'cancel.log');
    const started = await kit.gateway({ res: results({ RESULTS_CANCEL_LOG: cancelLog }) });
    const base = await kit.listen(started.app);
    const client = await connect(`${base}/mcp`, 'legacy');
    const logs: unknown[] = [];
    client.setNotificationHandler('notifications/message', (notification) => {
      logs.push(notification.params.data);
    });
    const steps: number[] = [];
    const chatty = await client.callTool(
      { name: 'res__chatty', arguments: { steps: 3, everyMs: 5 } },
      { onprogress: (update) => steps.push(update.progress) },
    );
    expect(chatty.isError).toBeFalsy();
    expect(steps).toEqual([1, 2, 3]);
    expect(logs).toEqual(['step 1', 'step 2', 'step 3']);

    const controller = new AbortController();
    const waiting = client.callTool({ name: 'res__wait', arguments: { ms: 60_000 } }, { signal: controller.signal });
    await waitUntil(() => fs.existsSync(cancelLog) && fs.readFileSync(cancelLog, 'utf8').includes('started'), 10_000, 'the call to start');
    controller.abort();
    await expect(waiting).rejects.toThrow();
    await waitUntil(() => fs.readFileSync(cancelLog, 'utf8').includes('cancelled'), 10_000, 'the server to see the cancellation');
    const entry = await waitUntil(() =>
      started.gateway.activity.list({ limit: 1 }).items.find((item) => item.tool === 'wait' && item.outcome),
    );
    expect(entry.outcome).toBe('cancelled');
  });
});

describe('/mcp live tool lists', () => {
  it('tells 2025-era sessions when a server is disabled and re-enabled, and its tools leave and come back at once', async () => {
    const started = await kit.gateway({ fx: { command: node, args: [fixture('fixture-server.mjs')] }, res: results() });
    const base = await kit.listen(started.app);
    const client = await connect(`${base}/mcp`, 'legacy');
    let changes = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      changes++;
    });
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('fx__echo');
    await started.supervisor.setEnabled('fx', false);
    expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain('fx__echo');
    await waitUntil(() => changes > 0, 10_000, 'tools/list_changed');
    const before = changes;
    await started.supervisor.setEnabled('fx', true);
    await waitForServer(started.supervisor, 'fx', 'ready');
    await waitUntil(() => changes > before, 10_000, 'tools/list_changed after enabling');
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('fx__echo');
  });

  it('tells 2026-07-28 clients on their subscriptions/listen stream when a server is disabled', async () => {
    const started = await kit.gateway({ fx: { command: node, args: [fixture('fixture-server.mjs')] }, res: results() });
    const base = await kit.listen(started.app);
    const client = await connect(`${base}/mcp`, 'modern');
    let changes = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      changes++;
    });
    const subscription = await client.listen({ toolsListChanged: true });
    expect(subscription.honoredFilter).toEqual({ toolsListChanged: true });
    kit.defer(() => subscription.close());
    await started.supervisor.setEnabled('fx', false);
    await waitUntil(() => changes > 0, 10_000, 'tools/list_changed on the listen stream');
    expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain('fx__echo');
  });
});
