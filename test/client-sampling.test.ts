// Sampling (issue 18 item 6): a server's sampling/createMessage goes, when the `sampling` section
// allows that server and the approval policy lets it, to an OpenAI-compatible endpoint — here a
// small fixture of ours on 127.0.0.1 that answers chat/completions and records what it got.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../server/config/load.js';
import { createLogger } from '../server/logging/logger.js';
import { EVERYTHING_BIN, FAST, fixture, startTestGateway, tempDir, waitForServer, type TestGateway } from './helpers/gateway.js';
import { pendingApprovals, signIn } from './helpers/ui-session.js';

const KEY = 'k'.repeat(32);
const SECRET = 'sk-test-sampling-secret-0123456789';
const auth = `Bearer ${KEY}`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Received {
  authorization?: string;
  body: Record<string, unknown>;
}

/** An OpenAI-compatible endpoint that answers every chat completion with `reply`. */
async function fakeModel(reply = 'Paris is the capital of France.'): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      received.push({ authorization: req.headers.authorization, body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ model: 'fake-model-1', choices: [{ message: { role: 'assistant', content: reply }, finish_reason: 'stop' }] }),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, received };
}

async function gatewayWith(fileConfig: Record<string, unknown>, logs?: string[]): Promise<TestGateway> {
  const logger = logs ? createLogger('debug', { write: (line: string) => void logs.push(line) }) : undefined;
  const gateway = await startTestGateway({ gateway: FAST, ...fileConfig }, { apiKey: KEY, logger });
  cleanups.push(() => gateway.close());
  return gateway;
}

const everything = { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'] };

describe('sampling', () => {
  it("answers server-everything's sampling request from the endpoint, with the key as Bearer and never in the logs", async () => {
    const model = await fakeModel();
    const dir = tempDir();
    const keyFile = path.join(dir, 'sampling.key');
    fs.writeFileSync(keyFile, `${SECRET}\n`);
    const logs: string[] = [];
    const gateway = await gatewayWith(
      {
        approval: { default: 'allow' },
        sampling: { url: model.url, model: 'llama3', apiKeyFile: keyFile, maxTokens: 50, servers: ['e'] },
        mcpServers: { e: everything },
      },
      logs,
    );
    await waitForServer(gateway.supervisor, 'e', 'ready');
    const res = await request(gateway.app)
      .post('/e/trigger-sampling-request')
      .set('Authorization', auth)
      .send({ prompt: 'What is the capital of France?', maxTokens: 100 });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toContain('Paris is the capital of France.');
    expect(JSON.stringify(res.body)).toContain('fake-model-1');

    expect(model.received).toHaveLength(1);
    const [got] = model.received;
    expect(got!.authorization).toBe(`Bearer ${SECRET}`);
    expect(got!.body).toMatchObject({
      model: 'llama3',
      max_tokens: 50, // the server asked for 100; sampling.maxTokens caps it
      temperature: 0.7,
      messages: [
        { role: 'system', content: 'You are a helpful test server.' },
        { role: 'user', content: expect.stringContaining('What is the capital of France?') },
      ],
    });
    expect(logs.join('')).toContain('sampling request answered');
    expect(logs.join('')).not.toContain(SECRET);
  });

  it('with an ask rule, the request waits for a person; the card shows the prompt, and a denial reaches the tool', async () => {
    const model = await fakeModel();
    const gateway = await gatewayWith({
      approval: { default: 'allow', rules: [{ server: 'e', tool: 'sampling/createMessage', action: 'ask' }] },
      sampling: { url: model.url, model: 'llama3', servers: '*' },
      mcpServers: { e: everything },
    });
    await waitForServer(gateway.supervisor, 'e', 'ready');
    const call = request(gateway.app)
      .post('/e/trigger-sampling-request')
      .set('Authorization', auth)
      .send({ prompt: 'Tell me <b>a secret</b>' })
      .then((res) => res);
    const [approval] = await pendingApprovals(gateway.app, KEY);
    expect(approval).toMatchObject({ server: 'e', tool: 'sampling/createMessage', callerLabel: 'server e (sampling)' });
    expect(JSON.stringify(approval!.arguments)).toContain('Tell me <b>a secret</b>');
    expect(model.received).toHaveLength(0);

    const { cookie } = await signIn(gateway.app, KEY, '/approvals');
    const card = await request(gateway.app).get(`/approvals/${approval!.id}`).set('Cookie', cookie).set('Accept', 'text/html');
    expect(card.status).toBe(200);
    expect(card.text).toContain('sampling/createMessage');
    expect(card.text).toContain('Tell me &lt;b&gt;a secret&lt;/b&gt;');
    expect(card.text).not.toContain('<b>a secret</b>');

    await request(gateway.app).post(`/api/approvals/${approval!.id}/deny`).set('Authorization', auth).send({ reason: 'no' }).expect(200);
    const res = await call;
    expect(JSON.stringify(res.body)).toMatch(/did not send the sampling request: .* denied it: no/);
    expect(model.received).toHaveLength(0);

    // Approved, the same request goes to the endpoint and its reply reaches the tool.
    const again = request(gateway.app)
      .post('/e/trigger-sampling-request')
      .set('Authorization', auth)
      .send({ prompt: 'hi' })
      .then((r) => r);
    const [next] = await pendingApprovals(gateway.app, KEY);
    await request(gateway.app).post(`/api/approvals/${next!.id}/approve`).set('Authorization', auth).send({}).expect(200);
    expect(JSON.stringify((await again).body)).toContain('Paris is the capital of France.');
    expect(model.received).toHaveLength(1);
  });

  it("holds the tool call's timeout while a person decides on its sampling request", async () => {
    const model = await fakeModel();
    // The call's timeout (time without progress) is shorter than the person takes to decide.
    const gateway = await gatewayWith({
      gateway: { ...FAST, toolTimeoutMs: 400 },
      approval: { default: 'allow', rules: [{ server: 'e', tool: 'sampling/createMessage', action: 'ask' }] },
      sampling: { url: model.url, model: 'llama3', servers: ['e'] },
      mcpServers: { e: everything },
    });
    await waitForServer(gateway.supervisor, 'e', 'ready');
    const call = request(gateway.app)
      .post('/e/trigger-sampling-request')
      .set('Authorization', auth)
      .send({ prompt: 'Take your time' })
      .then((res) => res);
    const [approval] = await pendingApprovals(gateway.app, KEY);
    // A person's time: longer than the tool's timeout, which must not count it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await request(gateway.app).post(`/api/approvals/${approval!.id}/approve`).set('Authorization', auth).send({}).expect(200);
    const res = await call;
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).toContain('Paris is the capital of France.');
  });

  it('refuses with a clear error a server the section does not list (sampling is declared to every server: an /mcp client may answer it)', async () => {
    const model = await fakeModel();
    const gateway = await gatewayWith({
      approval: { default: 'allow' },
      sampling: { url: model.url, model: 'llama3', servers: ['e'] },
      mcpServers: {
        e: everything,
        other: { command: process.execPath, args: [fixture('client-features.mjs')] },
      },
    });
    await waitForServer(gateway.supervisor, 'other', 'ready');
    await waitForServer(gateway.supervisor, 'e', 'ready');
    const res = await request(gateway.app).post('/other/ask_model').set('Authorization', auth).send({ prompt: 'hello' });
    expect(JSON.stringify(res.body)).toContain('sampling is not configured on this gateway (see README: sampling)');
    expect(JSON.stringify(res.body)).toContain('client sampling capability: declared');
    expect(model.received).toHaveLength(0);
  });

  it('a reload that takes sampling away from a server applies at once, without a restart: its next request is refused', async () => {
    const model = await fakeModel();
    const withSampling = {
      gateway: FAST,
      approval: { default: 'allow' },
      sampling: { url: model.url, model: 'llama3', servers: ['e'] },
      mcpServers: { e: everything },
    };
    const gateway = await gatewayWith(withSampling);
    await waitForServer(gateway.supervisor, 'e', 'ready');
    expect(gateway.supervisor.get('e')!.tool('trigger-sampling-request')).toBeDefined();
    const { sampling: _gone, ...without } = withSampling;
    const applied = await gateway.gateway.reload(parseConfigText(JSON.stringify(without), path.join(gateway.stateDir, 'c.json')));
    expect(applied.restarted).toEqual([]);
    const res = await request(gateway.app).post('/e/trigger-sampling-request').set('Authorization', auth).send({ prompt: 'hi' });
    expect(JSON.stringify(res.body)).toContain('sampling is not configured on this gateway (see README: sampling)');
    expect(model.received).toHaveLength(0);
  });
});
