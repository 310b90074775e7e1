// What a call to a 2026-07-28 upstream declares (issue 18): such a server reads the client's
// capabilities per request (`_meta["io.modelcontextprotocol/clientCapabilities"]`), so each call
// declares only what someone answers for it (server/upstream/input-relay.ts `callCapabilities`):
// sampling when the gateway's `sampling` section serves the server or the caller samples itself,
// elicitation whenever the gateway declares it (a person answers on a question card). A server that
// requires what a call did not declare answers -32021 (MissingRequiredClientCapabilityError): REST
// gets the problem `missing-client-capability` naming the capabilities (bounded), a 2026-07-28 /mcp client the
// same -32021 with HTTP 400 when declaring them would help, else (and a 2025-era one) an error result or -32603. Real servers (test/fixtures/
// modern-only-server.mjs), real HTTP, raw JSON-RPC for the 2026-07-28 caller.
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem } from './helpers/calls.js';
import { FAST, startTestGateway, waitForServer } from './helpers/gateway.js';
import { startHttpFixture } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';

const kit = callKit();
const KEY = 'client-capabilities-2026-test-key-01';
const auth = { authorization: `Bearer ${KEY}` };

async function modernServer(): Promise<string> {
  const server = await startHttpFixture(['modern-only-server.mjs'], '/mcp');
  kit.defer(() => server.stop());
  return server.url;
}

async function modernGateway(config: Record<string, unknown> = {}) {
  return kit.gateway({ m: { url: await modernServer(), protocol: '2026-07-28', ...config } }, {}, { apiKey: KEY });
}

/** What the server saw declared on a REST call of its `client-capabilities` tool. */
async function declaredOnRest(app: Parameters<typeof request>[0]): Promise<Record<string, unknown>> {
  const res = await request(app).post('/m/client-capabilities').set(auth).send({});
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  // mcpo's shape: a result of one JSON text is that JSON.
  return res.body as Record<string, unknown>;
}

const textOf = (result: unknown) => ((result as { content?: { text?: string }[] }).content ?? []).map((item) => item.text).join('\n');

let nextId = 1;
/** One raw 2026-07-28 request on `url`, declaring `capabilities`: the HTTP status and the JSON-RPC answer. */
async function rawRequest(url: string, method: string, params: Record<string, unknown>, capabilities: Record<string, unknown>) {
  const id = nextId++;
  const name = params.name ?? params.uri;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      ...auth,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(typeof name === 'string' && { 'mcp-name': name }),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'raw-2026-client', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': capabilities,
        },
      },
    }),
  });
  const text = await res.text();
  const body = (
    (res.headers.get('content-type') ?? '').includes('text/event-stream')
      ? text
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => JSON.parse(line.slice(5)) as { id?: number })
          .find((message) => message.id === id)
      : JSON.parse(text)
  ) as { result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } };
  return { status: res.status, body };
}

/** One raw 2026-07-28 `tools/call` on `url`, declaring `capabilities`. */
const rawCall = (url: string, name: string, capabilities: Record<string, unknown>, args: Record<string, unknown> = {}) =>
  rawRequest(url, 'tools/call', { name, arguments: args }, capabilities);

describe('what a call to a 2026-07-28 upstream declares, per request', () => {
  it('elicitation (a person answers) but not sampling, when nobody samples for the call', async () => {
    const { app } = await modernGateway();
    const declared = await declaredOnRest(app);
    expect(declared).toMatchObject({ elicitation: { form: {}, url: {} } });
    expect(declared).not.toHaveProperty('sampling');
  });

  it('no elicitation for a server configured elicitation: false', async () => {
    const { app } = await modernGateway({ elicitation: false });
    expect(await declaredOnRest(app)).not.toHaveProperty('elicitation');
  });

  /** A gateway whose `sampling` section serves the server (never asked here: the tools only report what was declared). */
  async function samplingGateway(rules: object[] = []) {
    const url = await modernServer();
    const started = await startTestGateway(
      {
        approval: { default: 'allow', rules },
        gateway: FAST,
        sampling: { url: 'http://127.0.0.1:9/v1', model: 'm', servers: ['m'] },
        mcpServers: { m: { url, protocol: '2026-07-28' } },
      },
      { apiKey: KEY },
    );
    kit.defer(() => started.close());
    await waitForServer(started.supervisor, 'm', 'ready');
    return started.app;
  }

  it('sampling when the gateway’s sampling section serves the server', async () => {
    expect(await declaredOnRest(await samplingGateway())).toHaveProperty('sampling');
  });

  it('no sampling when the approval policy denies all of the server’s sampling, whoever would answer it', async () => {
    const app = await samplingGateway([{ server: 'm', tool: 'sampling/createMessage', action: 'deny' }]);
    expect(await declaredOnRest(app)).not.toHaveProperty('sampling');
    const base = await kit.listen(app);
    const relaying = await rawCall(`${base}/mcp/m`, 'client-capabilities', { sampling: {} });
    expect(JSON.parse(textOf(relaying.body.result))).not.toHaveProperty('sampling');
    // Nothing the caller declares helps: an error result, not -32021.
    const refused = await rawCall(`${base}/mcp/m`, 'ask-sample', {});
    expect(refused.status).toBe(200);
    expect(refused.body.result).toMatchObject({ isError: true });
  });

  it('the same on a completion/complete as on the other requests of a call', async () => {
    const { app } = await modernGateway();
    const res = await request(app)
      .post('/api/servers/m/complete')
      .set(auth)
      .send({ ref: { type: 'ref/prompt', name: 'envelope-probe' }, argument: { name: 'x', value: '' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const declared = JSON.parse(res.body.values[0]) as Record<string, unknown>;
    expect(declared).toMatchObject({ elicitation: { form: {}, url: {} } });
    expect(declared).not.toHaveProperty('sampling');
  });

  it('sampling on a prompts/get and a resources/read with the sampling section serving the server, not without it', async () => {
    // The fixture's prompt and resource needs-sampling answer "sampling declared", else -32021.
    const ask = (app: Parameters<typeof request>[0]) =>
      Promise.all([
        request(app).post('/api/servers/m/prompts/needs-sampling').set(auth).send({ arguments: {} }),
        request(app).get('/api/servers/m/resource').query({ uri: 'needs://sampling' }).set(auth),
      ]);
    const [prompt, read] = await ask(await samplingGateway());
    expect(prompt.status, JSON.stringify(prompt.body)).toBe(200);
    expect(JSON.stringify(prompt.body.messages)).toContain('sampling declared');
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(JSON.stringify(read.body)).toContain('sampling declared');
    for (const res of await ask((await modernGateway()).app)) expectProblem(res, 502, 'missing-client-capability');
    const denied = await samplingGateway([{ server: 'm', tool: 'sampling/createMessage', action: 'deny' }]);
    for (const res of await ask(denied)) expectProblem(res, 502, 'missing-client-capability');
  });

  it('sampling for an /mcp client that samples itself: a 2026-07-28 one that declared it, a 2025-era one that did', async () => {
    const { app } = await modernGateway();
    const base = await kit.listen(app);
    const declaring = await rawCall(`${base}/mcp/m`, 'client-capabilities', { sampling: {} });
    expect(JSON.parse(textOf(declaring.body.result))).toHaveProperty('sampling');
    const silent = await rawCall(`${base}/mcp/m`, 'client-capabilities', { elicitation: {} });
    expect(JSON.parse(textOf(silent.body.result))).not.toHaveProperty('sampling');

    const legacy = new Client({ name: 'sampling-2025-client', version: '1' }, { capabilities: { sampling: {} } });
    legacy.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      model: 'm',
      content: { type: 'text', text: 'hi' },
    }));
    await legacy.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/m`), { requestInit: { headers: auth } }));
    kit.defer(() => legacy.close());
    expect(JSON.parse(textOf(await legacy.callTool({ name: 'client-capabilities', arguments: {} })))).toHaveProperty('sampling');
  });
});

describe('a 2026-07-28 server’s -32021 (missing required client capability)', () => {
  it('is the problem missing-client-capability on REST, naming the capabilities', async () => {
    const { app } = await modernGateway();
    const res = await request(app).post('/m/ask-sample').set(auth).send({});
    expectProblem(res, 502, 'missing-client-capability');
    expect(res.body.requiredCapabilities).toEqual({ sampling: expect.any(Object) });
    expect(res.body.detail).toContain('the client capabilities sampling');
    expect(res.body.detail).toContain('-32021');
  });

  it('reaches a 2026-07-28 /mcp client as the server gives it: -32021 with HTTP 400, and declaring sampling gets the round', async () => {
    const { app } = await modernGateway();
    const base = await kit.listen(app);
    const refused = await rawCall(`${base}/mcp/m`, 'ask-sample', {});
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { sampling: expect.any(Object) } } });
    // Declaring it, the client is asked (the round relayed to it).
    const asked = await rawCall(`${base}/mcp/m`, 'ask-sample', { sampling: {} });
    expect(asked.status).toBe(200);
    expect(asked.body.result).toMatchObject({ resultType: 'input_required', inputRequests: { it: { method: 'sampling/createMessage' } } });
  });

  it('reaches a 2025-era /mcp client as an error result naming the capabilities, and the 2.x SDK client as -32021', async () => {
    const { app } = await modernGateway();
    const base = await kit.listen(app);
    const legacy = new Client({ name: 'plain-2025-client', version: '1' });
    await legacy.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/m`), { requestInit: { headers: auth } }));
    kit.defer(() => legacy.close());
    const result = await legacy.callTool({ name: 'ask-sample', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('the client capabilities sampling');

    const modern = new ModernClient({ name: 'plain-2026-client', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await modern.connect(new ModernTransport(new URL(`${base}/mcp/m`), { requestInit: { headers: auth } }));
    kit.defer(() => modern.close());
    await expect(modern.callTool({ name: 'ask-sample', arguments: {} })).rejects.toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { sampling: expect.any(Object) } },
    });
  });
});

describe('an outsized requiredCapabilities in a -32021 (deep or huge)', () => {
  // What is kept of the fixture's answers: the known capabilities, an outsized one as `{}`, at most 16 extensions.
  const bounded = (required: unknown) => {
    const text = JSON.stringify(required);
    expect(text.length).toBeLessThan(4096);
    return required as Record<string, unknown>;
  };

  it('is a bounded problem on REST, sync and async, and the gateway stays up', async () => {
    const { app } = await modernGateway();
    const deep = await request(app).post('/m/odd-requirement').set(auth).send({ shape: 'deep' });
    expectProblem(deep, 502, 'missing-client-capability');
    expect(bounded(deep.body.requiredCapabilities)).toEqual({ sampling: {}, elicitation: { form: {} } });

    const huge = await request(app).post('/m/odd-requirement').set(auth).send({ shape: 'huge' });
    expectProblem(huge, 502, 'missing-client-capability');
    const required = bounded(huge.body.requiredCapabilities);
    expect(Object.keys(required).sort()).toEqual(['extensions', 'roots', 'sampling']);
    expect(required).toMatchObject({ sampling: {}, roots: { listChanged: true } });
    expect(Object.keys(required.extensions as object)).toHaveLength(16);
    expect(huge.body.detail.length).toBeLessThan(1024);

    // Kept for reading: the kept call's problem is measured as JSON when it ends (registry.ts).
    for (const shape of ['deep', 'huge']) {
      const accepted = await request(app).post('/m/odd-requirement').set(auth).set('Prefer', 'respond-async').send({ shape }).expect(202);
      const ended = await waitUntil(async () => {
        const res = await request(app).get(accepted.headers.location!).set(auth);
        return res.body.state === 'running' ? undefined : res;
      });
      expect(ended.body).toMatchObject({ state: 'failed', error: { type: 'missing-client-capability' } });
      bounded(ended.body.error.requiredCapabilities);
    }
    // Still up, and still answering.
    expect((await request(app).post('/m/echo').set(auth).send({ text: 'alive' })).body).toBe('alive');
  });

  it('is a bounded error on /mcp, for a 2026-07-28 caller and a 2025-era one', async () => {
    const { app } = await modernGateway();
    const base = await kit.listen(app);
    for (const shape of ['deep', 'huge']) {
      const answer = await rawCall(`${base}/mcp/m`, 'odd-requirement', {}, { shape });
      expect(JSON.stringify(answer.body).length).toBeLessThan(4096);
      expect(answer.body.error ?? answer.body.result?.isError).toBeTruthy();
    }
    const legacy = new Client({ name: 'plain-2025-client', version: '1' });
    await legacy.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/m`), { requestInit: { headers: auth } }));
    kit.defer(() => legacy.close());
    const result = await legacy.callTool({ name: 'odd-requirement', arguments: { shape: 'deep' } });
    expect(result.isError).toBe(true);
    expect(textOf(result).length).toBeLessThan(1024);
    expect(textOf(await legacy.callTool({ name: 'echo', arguments: { text: 'alive' } }))).toBe('alive');
  });
});

describe('a -32021 the /mcp caller cannot help with', () => {
  it('is an error result for a tools/call whose caller declared what the server lacks: the server’s elicitation is false', async () => {
    const { app } = await modernGateway({ elicitation: false });
    const base = await kit.listen(app);
    const answer = await rawCall(`${base}/mcp/m`, 'ask-name', { elicitation: {} });
    expect(answer.status).toBe(200);
    expect(answer.body.result).toMatchObject({ isError: true });
    const text = textOf(answer.body.result);
    expect(text).toContain('the client capabilities elicitation, which the gateway cannot offer for this call');
    expect(text).toContain("configure elicitation: the server's `elicitation` not false");
  });

  it('is -32603 for a resources/read (nothing of the caller’s goes upstream), whatever it declared', async () => {
    const { app } = await modernGateway();
    const base = await kit.listen(app);
    for (const declared of [{}, { sampling: {} }]) {
      const answer = await rawRequest(`${base}/mcp/m`, 'resources/read', { uri: 'needs://sampling' }, declared);
      expect(answer.body.error).toMatchObject({ code: -32603 });
      expect(answer.body.error!.message).toContain('server m: the server requires the client capabilities sampling');
    }
  });

  it('passes through to a 2026-07-28 caller of a relayed prompts/get that would declare it, and declaring gets the prompt', async () => {
    const { app } = await modernGateway();
    const base = await kit.listen(app);
    for (const declared of [{ elicitation: {} }, {}]) {
      const refused = await rawRequest(`${base}/mcp/m`, 'prompts/get', { name: 'needs-sampling' }, declared);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: -32021, data: { requiredCapabilities: { sampling: {} } } });
    }
    const got = await rawRequest(`${base}/mcp/m`, 'prompts/get', { name: 'needs-sampling' }, { sampling: {} });
    expect(got.body.result).toMatchObject({ messages: [{ content: { text: 'sampling declared' } }] });
  });
});

describe('a -32021 of a prompts/get, resources/read or completion to a 2025-era /mcp client', () => {
  it('is -32603 naming the server and what the gateway cannot offer, as a tools/call is an error result', async () => {
    const { app } = await modernGateway();
    const base = await kit.listen(app);
    const legacy = new Client({ name: 'plain-2025-client', version: '1' }, { capabilities: { sampling: {} } });
    await legacy.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/m`), { requestInit: { headers: auth } }));
    kit.defer(() => legacy.close());
    const failure = { code: -32603, message: expect.stringContaining('server m: the server requires the client capabilities sampling') };
    await expect(legacy.getPrompt({ name: 'needs-sampling' })).rejects.toMatchObject(failure);
    await expect(legacy.readResource({ uri: 'needs://sampling' })).rejects.toMatchObject(failure);
  });
});

describe('a -32021 of a prompts/get or resources/read on REST', () => {
  it('is the problem missing-client-capability naming the capabilities', async () => {
    const { app } = await modernGateway();
    const prompt = await request(app).post('/api/servers/m/prompts/needs-sampling').set(auth).send({ arguments: {} });
    expectProblem(prompt, 502, 'missing-client-capability');
    expect(prompt.body.requiredCapabilities).toEqual({ sampling: {} });
    const read = await request(app).get('/api/servers/m/resource').query({ uri: 'needs://sampling' }).set(auth);
    expectProblem(read, 502, 'missing-client-capability');
    expect(read.body.requiredCapabilities).toEqual({ sampling: {} });
  });
});
