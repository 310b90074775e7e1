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
    ).toEqual(['echo', 'ask-name']);
    const res = await request(app).post('/m/echo').set(auth).send({ text: 'hello 2026' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(JSON.stringify(res.body)).toContain('hello 2026');
  });

  it('answers input_required with a question card a person answers through /api/questions, then retries', async () => {
    const { app, gateway } = await modernGateway();
    const call = request(app).post('/m/ask-name').set(auth).send({});
    const pending = call.then((res) => res);
    const question = await waitUntil(() => gateway.questions.list('pending')[0], 15_000, 'the question card');
    expect(question).toMatchObject({ server: 'm', tool: 'ask-name' });
    await request(app)
      .post(`/api/questions/${question.id}`)
      .set(auth)
      .send({ action: 'accept', content: { name: 'Ada' } })
      .expect(200);
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
