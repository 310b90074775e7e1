// A server that speaks only MCP 2026-07-28 (test/fixtures/modern-only-server.mjs: stateless,
// `server/discover`, `initialize` refused), configured with `protocol: "2026-07-28"`: the gateway
// lists and calls its tools, and answers its `input_required` results the way it answers a 2025
// server's requests (a person through /api/questions, or the /mcp client that declared
// elicitation), then retries the call with `inputResponses`.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit } from './helpers/calls.js';
import { startHttpFixture } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';
import { answerQuestion } from './helpers/questions.js';

const kit = callKit();
const KEY = 'upstream-2026-test-key-0123456789';
const auth = { authorization: `Bearer ${KEY}` };

async function modernGateway() {
  const server = await startHttpFixture(['modern-only-server.mjs'], '/mcp');
  kit.defer(() => server.stop());
  const started = await kit.gateway({ m: { url: server.url, protocol: '2026-07-28' } }, {}, { apiKey: KEY });
  return started;
}

const textOf = (result: unknown) => (result as { content: { text: string }[] }).content.map((item) => item.text).join('\n');

describe('a 2026-07-28 upstream server', () => {
  it('is ready with its tools listed, and a plain call returns its result through REST', async () => {
    const { app, supervisor } = await modernGateway();
    expect(supervisor.get('m')!.status()).toMatchObject({
      state: 'ready',
      protocolVersion: '2026-07-28',
      serverInfo: { name: 'modern-only' },
    });
    expect(
      supervisor
        .get('m')!
        .tools()
        .map((tool) => tool.name),
    ).toEqual([
      'add-tool',
      'touch-note',
      'echo',
      'ask-name',
      'ask-regardless',
      'ask-with-state',
      'ask-sample',
      'ask-url',
      'ask-roots',
      'client-capabilities',
      'odd-requirement',
    ]);
    const res = await request(app).post('/m/echo').set(auth).send({ text: 'hello 2026' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(JSON.stringify(res.body)).toContain('hello 2026');
  });

  it('answers input_required with a question card a person answers through /api/questions, then retries', async () => {
    const { app, gateway } = await modernGateway();
    const call = request(app).post('/m/ask-name').set(auth).send({});
    const pending = call.then((res) => res);
    const question = await answerQuestion({ app, gateway }, auth, { name: 'Ada' });
    expect(question).toMatchObject({ server: 'm', tool: 'ask-name' });
    const res = await pending;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(JSON.stringify(res.body)).toContain('hello Ada');
  });

  it('gives each of two calls in flight its own question, and each answer to its own call', async () => {
    const { app, gateway } = await modernGateway();
    const calls = [0, 1].map(() =>
      request(app)
        .post('/m/ask-name')
        .set(auth)
        .send({})
        .then((res) => res),
    );
    const questions = await waitUntil(
      () => {
        const pending = gateway.questions.list('pending');
        return pending.length === 2 ? pending : undefined;
      },
      15_000,
      'two question cards',
    );
    // Both belong to a call (none is a question about the server), each to another one.
    expect(questions.map((question) => question.tool)).toEqual(['ask-name', 'ask-name']);
    expect(new Set(questions.map((question) => question.callId)).size).toBe(2);
    for (const question of questions) {
      await request(app)
        .post(`/api/questions/${question.id}`)
        .set(auth)
        .send({ action: 'accept', content: { name: `caller of ${question.callId}` } })
        .expect(200);
    }
    const results = await Promise.all(calls);
    const activity = gateway.activity.list({ limit: 5 }).items;
    for (const res of results) {
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const callId = /hello caller of (\S+)"/.exec(JSON.stringify(res.body))?.[1];
      expect(activity.find((item) => item.id === callId)?.tool).toBe('ask-name');
    }
    expect(new Set(results.map((res) => JSON.stringify(res.body))).size).toBe(2);
  });

  it('passes input_required on to a /mcp client that declared elicitation, and its answer upstream', async () => {
    const { app, gateway } = await modernGateway();
    const base = await kit.listen(app);
    const client = new Client({ name: 'asking-client', version: '1' }, { capabilities: { elicitation: { form: {} } } });
    const asked: { message?: string }[] = [];
    client.setRequestHandler('elicitation/create', async (req) => {
      asked.push(req.params as never);
      return { action: 'accept', content: { name: 'Grace' } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/m`), { requestInit: { headers: auth } }));
    kit.defer(() => client.close());
    const result = await client.callTool({ name: 'ask-name', arguments: {} });
    expect(asked).toEqual([expect.objectContaining({ message: 'What is your name?' })]);
    expect(textOf(result)).toBe('hello Grace');
    expect(gateway.questions.list()).toEqual([]);
  });
});

describe('a 2026-07-28 upstream server’s change notifications (its subscriptions/listen stream)', () => {
  it('a list change refreshes the gateway’s tools and reaches a 2026-07-28 /mcp client’s listen stream', async () => {
    const { app, supervisor } = await modernGateway();
    const base = await kit.listen(app);
    const client = new Client({ name: 'listening-client', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    const changed: string[] = [];
    client.setNotificationHandler('notifications/tools/list_changed', () => void changed.push('tools'));
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/m`), { requestInit: { headers: auth } }));
    kit.defer(() => client.close());
    const stream = await client.listen({ toolsListChanged: true });
    kit.defer(() => stream.close());

    await request(app).post('/m/add-tool').set(auth).send({}).expect(200);
    await waitUntil(() => supervisor.get('m')!.tool('extra'), 15_000, 'the gateway to list the tool `extra`');
    await waitUntil(() => changed.length > 0, 15_000, 'tools list_changed on the client’s listen stream');
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('extra');
  });

  it('a watched resource’s update reaches a 2026-07-28 /mcp client that listens for it', async () => {
    const { app } = await modernGateway();
    const base = await kit.listen(app);
    const client = new Client({ name: 'watching-client', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    const updated: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (notification) => void updated.push(notification.params.uri));
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/m`), { requestInit: { headers: auth } }));
    kit.defer(() => client.close());
    expect(client.getServerCapabilities()?.resources).toMatchObject({ subscribe: true });
    const stream = await client.listen({ resourceSubscriptions: ['note://1'] });
    kit.defer(() => stream.close());
    expect(stream.honoredFilter.resourceSubscriptions).toEqual(['note://1']);

    await request(app).post('/m/touch-note').set(auth).send({}).expect(200);
    await waitUntil(() => updated.includes('note://1'), 15_000, 'resources/updated for note://1');
    const read = await client.readResource({ uri: 'note://1' });
    expect(JSON.stringify(read.contents)).toContain('note version 2');
  });
});
