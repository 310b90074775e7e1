// Questions from servers on `/mcp`: an MCP client (the 2.x SDK's) that declared elicitation gets
// server-everything's `elicitation/create` itself, during its `tools/call`, and its answer reaches
// the server (which repeats it in its result); no question card is made. A client that declared
// no elicitation gets the answer of a person instead: a question card, answered through the API.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit } from './helpers/calls.js';
import { EVERYTHING_BIN, fixture } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';

const kit = callKit();
const KEY = 'questions-mcp-test-key-0123456789';
const auth = { authorization: `Bearer ${KEY}` };
const everything = { e: { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'] } };

async function connect(base: string, capabilities: object): Promise<Client> {
  const client = new Client({ name: 'asking-client', version: '1' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/e`), { requestInit: { headers: auth } }));
  kit.defer(() => client.close());
  return client;
}

const textOf = (result: unknown) => (result as { content: { text: string }[] }).content.map((item) => item.text).join('\n');

describe('questions from servers on /mcp', () => {
  it('passes the question to a client that declared elicitation, and its answer upstream', async () => {
    const { app, gateway } = await kit.gateway(everything, {}, { apiKey: KEY });
    const base = await kit.listen(app);
    const client = await connect(base, { elicitation: { form: {} } });
    const asked: { message?: string; requestedSchema?: { required?: string[] } }[] = [];
    client.setRequestHandler('elicitation/create', async (req) => {
      asked.push(req.params as never);
      return { action: 'accept', content: { name: 'Grace from the client', check: true } };
    });
    const result = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ message: 'Please provide inputs for the following fields:', requestedSchema: { required: ['name'] } });
    expect(textOf(result)).toContain('- Name: Grace from the client');
    // The client answered: no card was made.
    expect(gateway.questions.list()).toEqual([]);
  });

  it('asks a 2026-07-28 client that declared elicitation with input_required, and passes its answer upstream', async () => {
    const { app, gateway } = await kit.gateway(everything, {}, { apiKey: KEY });
    const base = await kit.listen(app);
    const client = new Client(
      { name: 'modern-asking-client', version: '1' },
      { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    const asked: { message?: string }[] = [];
    client.setRequestHandler('elicitation/create', async (req) => {
      asked.push(req.params as never);
      return { action: 'accept', content: { name: 'Modern Grace' } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/e`), { requestInit: { headers: auth } }));
    kit.defer(() => client.close());
    expect(client.getProtocolEra()).toBe('modern');
    const result = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    expect(asked).toEqual([expect.objectContaining({ message: 'Please provide inputs for the following fields:' })]);
    expect(textOf(result)).toContain('- Name: Modern Grace');
    expect(gateway.questions.list()).toEqual([]);
    // One call, run once: the retry picked up the call that waited.
    expect(gateway.activity.list({ limit: 5 }).items.filter((item) => item.tool === 'trigger-elicitation-request')).toHaveLength(1);
  });

  it('answers cancel upstream when a 2026-07-28 client does not answer within gateway.questionTimeoutMs', async () => {
    const { app, gateway } = await kit.gateway(everything, { questionTimeoutMs: 300 }, { apiKey: KEY });
    const base = await kit.listen(app);
    const client = new Client(
      { name: 'modern-slow-client', version: '1' },
      { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    client.setRequestHandler('elicitation/create', async () => {
      // The client's user takes longer than gateway.questionTimeoutMs.
      await released;
      return { action: 'accept', content: { name: 'Too late' } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/e`), { requestInit: { headers: auth } }));
    kit.defer(() => client.close());
    const result = client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    // The question expires: the server hears cancel, and the call ends without the client's answer.
    await waitUntil(
      () => gateway.activity.list({ limit: 5 }).items.find((item) => item.tool === 'trigger-elicitation-request' && item.endedAt),
      15_000,
      'the call to end',
    );
    release();
    expect(textOf(await result)).toContain('User cancelled the elicitation dialog');
  });

  it('makes a question card for a client without elicitation; a person answers it', async () => {
    const { app, gateway } = await kit.gateway(everything, {}, { apiKey: KEY });
    const base = await kit.listen(app);
    const client = await connect(base, {});
    const logs: { message?: string; question?: string }[] = [];
    client.setNotificationHandler('notifications/message', (notification) => void logs.push(notification.params.data as never));
    const progress: string[] = [];
    const call = client.callTool(
      { name: 'trigger-elicitation-request', arguments: {} },
      { onprogress: (update) => progress.push(String(update.message)) },
    );
    const question = await waitUntil(() => gateway.questions.list('pending')[0], 15_000, 'the question card');
    expect(question).toMatchObject({ server: 'e', tool: 'trigger-elicitation-request', caller: 'api-key' });
    // The client, which cannot answer, is told where its call waits.
    await waitUntil(() => progress.length > 0 && logs.length > 0, 10_000, 'the notices of the wait');
    expect(progress).toEqual([expect.stringMatching(/^waiting for an answer on the orchestrator: http:\/\/127\.0\.0\.1:\d+\/approvals$/)]);
    expect(logs).toEqual([expect.objectContaining({ message: progress[0], question: question.id })]);
    await request(app)
      .post(`/api/questions/${question.id}`)
      .set(auth)
      .send({ action: 'accept', content: { name: 'Answered by a person' } })
      .expect(200);
    expect(textOf(await call)).toContain('- Name: Answered by a person');
  });
  it('never passes a URL that is not http(s) to a client that opens URLs: the gateway declines it', async () => {
    const { app, gateway } = await kit.gateway(
      { u: { command: process.execPath, args: [fixture('elicit-server.mjs')] } },
      {},
      { apiKey: KEY },
    );
    const base = await kit.listen(app);
    const client = new Client({ name: 'url-client', version: '1' }, { capabilities: { elicitation: { url: {} } } });
    const asked: unknown[] = [];
    client.setRequestHandler('elicitation/create', async (req) => {
      asked.push(req.params);
      return { action: 'accept' };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/u`), { requestInit: { headers: auth } }));
    kit.defer(() => client.close());
    const result = await client.callTool({ name: 'ask_url', arguments: { url: 'javascript:alert(document.cookie)' } });
    expect(asked).toEqual([]);
    expect(JSON.parse(textOf(result))).toEqual({ action: 'decline' });
    expect(gateway.questions.list()).toEqual([expect.objectContaining({ mode: 'url', state: 'declined' })]);
    // An https URL does reach it.
    const fine = await client.callTool({ name: 'ask_url', arguments: { url: 'https://example.test/sign-in' } });
    expect(asked).toEqual([expect.objectContaining({ mode: 'url', url: 'https://example.test/sign-in' })]);
    expect(JSON.parse(textOf(fine))).toEqual({ action: 'accept' });
  });
});
