// The gateway as an MCP server (`/mcp`, `/mcp/{server}`, `/mcp/{group}`), driven by real MCP
// clients over real HTTP: the SDK's 2.x client in both protocol eras (2025-11-25 with a session,
// 2026-07-28 stateless) and the 1.x client, against real stdio servers behind the gateway.
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../server/config/load.js';
import { callKit, node, results } from './helpers/calls.js';
import { FAST, fixture, startTestGateway, tempDir, waitForServer } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';

const kit = callKit();

type Era = 'legacy' | 'modern';

async function connectV2(url: string, era: Era, headers: Record<string, string> = {}): Promise<ClientV2> {
  const client = new ClientV2(
    { name: 'test-client', version: '9.9.9' },
    era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  await client.connect(new HttpV2(new URL(url), { requestInit: { headers } }));
  kit.defer(() => client.close());
  return client;
}

const fixtureServer = { command: node, args: [fixture('fixture-server.mjs')] };

async function twoServers() {
  const started = await kit.gateway({ fx: fixtureServer, res: results() });
  return { ...started, base: await kit.listen(started.app) };
}

describe('/mcp: every server in one MCP server', () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`lists every enabled server's tools as {server}__{tool} and calls them (${era} era)`, async () => {
      const { base } = await twoServers();
      const client = await connectV2(`${base}/mcp`, era);
      expect(client.getProtocolEra()).toBe(era);
      const { tools } = await client.listTools();
      const names = tools.map((tool) => tool.name);
      expect(names).toContain('fx__echo');
      expect(names).toContain('res__structured');
      const structured = tools.find((tool) => tool.name === 'res__structured')!;
      expect(structured.outputSchema).toMatchObject({ type: 'object', properties: { total: { type: 'number' } } });
      expect(structured._meta).toMatchObject({ 'mcp-gateway/origin': { server: 'res', tool: 'structured' } });
      expect(structured.title).toBe('res/structured');

      const echoed = await client.callTool({ name: 'fx__echo', arguments: { message: `hello ${era}` } });
      expect(echoed.content).toEqual([{ type: 'text', text: `hello ${era}` }]);
      const result = await client.callTool({ name: 'res__structured', arguments: {} });
      expect(result.structuredContent).toEqual({ total: 2, items: ['a', 'b'] });
    });
  }

  it('passes an isError result through, and reports invalid arguments as a tool error the model can read', async () => {
    const { base } = await twoServers();
    const client = await connectV2(`${base}/mcp`, 'legacy');
    const failed = await client.callTool({ name: 'res__fail', arguments: {} });
    expect(failed).toMatchObject({ isError: true, content: [{ type: 'text', text: 'the frobnicator is out of order' }] });
    const invalid = await client.callTool({ name: 'fx__echo', arguments: { message: 42 } });
    expect(invalid.isError).toBe(true);
    expect((invalid.content as { text: string }[])[0]!.text).toMatch(/^invalid arguments: .*message/);
    await expect(client.callTool({ name: 'fx__nope', arguments: {} })).rejects.toThrow(/Unknown tool: fx__nope/);
    // A server that goes away during the call: the seed's words.
    const crashed = await client.callTool({ name: 'fx__crash', arguments: {} });
    expect(crashed.isError).toBe(true);
    expect((crashed.content as { text: string }[])[0]!.text).toMatch(/^server disconnected: the server went away during the call/);
  });

  it('records MCP calls in the activity log with surface "mcp"', async () => {
    const started = await twoServers();
    const { base, gateway } = started;
    const client = await connectV2(`${base}/mcp`, 'modern');
    await client.callTool({ name: 'fx__echo', arguments: { message: 'logged' } });
    const entries = gateway.activity.list({ limit: 5 }).items;
    expect(entries[0]).toMatchObject({ server: 'fx', tool: 'echo', surface: 'mcp', outcome: 'ok', client: 'test-client 9.9.9' });
    // REST calls name no client.
    await request(started.app).post('/fx/echo').send({ message: 'rest' }).expect(200);
    expect(gateway.activity.list({ limit: 1 }).items[0]).toMatchObject({ surface: 'mcpo', client: null });
    // The activity page shows it.
    const page = await request(started.app).get(`/activity/${entries[0]!.id}`).set('Accept', 'text/html');
    expect(page.text).toContain('<dt>Client</dt><dd>test-client 9.9.9</dd>');
  });

  it('serves the 1.x SDK client (2025-era session) too', async () => {
    const { base } = await twoServers();
    const client = new ClientV1({ name: 'v1-client', version: '1.0.0' });
    await client.connect(new HttpV1(new URL(`${base}/mcp`)));
    kit.defer(() => client.close());
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('fx__echo');
    const result = await client.callTool({ name: 'fx__echo', arguments: { message: 'v1' } });
    expect(result.content).toEqual([{ type: 'text', text: 'v1' }]);
  });
});

describe('/mcp/{server}: one server as a transparent proxy', () => {
  it('lists the tools under their own names and calls them', async () => {
    const { base } = await twoServers();
    for (const era of ['legacy', 'modern'] as const) {
      const client = await connectV2(`${base}/mcp/fx`, era);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('echo');
      expect(tools.map((tool) => tool.name)).not.toContain('structured');
      const echoed = await client.callTool({ name: 'echo', arguments: { message: 'direct' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'direct' }]);
    }
  });

  it("passes the server's instructions on (both eras)", async () => {
    const tools = path.join(tempDir(), 'tools.json');
    fs.writeFileSync(tools, JSON.stringify([{ name: 'noop', inputSchema: { type: 'object' } }]));
    const env = { FIXTURE_TOOLS_FILE: tools, FIXTURE_INSTRUCTIONS: 'Use noop with care.' };
    const started = await kit.gateway({ s: { command: node, args: [fixture('schema-server.mjs')], env } });
    const base = await kit.listen(started.app);
    for (const era of ['legacy', 'modern'] as const) {
      const client = await connectV2(`${base}/mcp/s`, era);
      expect(client.getInstructions()).toBe('Use noop with care.');
    }
  });

  it('answers 404 for a name that is no server and no group', async () => {
    const { base } = await twoServers();
    const res = await fetch(`${base}/mcp/nobody`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('/mcp/{group}: tools across servers', () => {
  it('serves the tools its patterns pick, named as on /mcp', async () => {
    const started = await startTestGateway({
      approval: { default: 'allow' },
      gateway: FAST,
      mcpServers: { fx: fixtureServer, res: results() },
      groups: { picked: { tools: ['fx/echo', 'res/*'], description: 'echo and every results tool' } },
    });
    kit.defer(() => started.close());
    await waitForServer(started.supervisor, 'fx', 'ready');
    await waitForServer(started.supervisor, 'res', 'ready');
    const base = await kit.listen(started.app);
    const client = await connectV2(`${base}/mcp/picked`, 'modern');
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('fx__echo');
    expect(names).toContain('res__plain_text');
    expect(names).not.toContain('fx__slow');
    const result = await client.callTool({ name: 'res__plain_text', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'hello there' }]);
  });

  it("follows a hot reload that changes only the group: its clients hear list_changed, and a group's removal ends its URL", async () => {
    const file = (groups: object) => ({
      approval: { default: 'allow' },
      gateway: FAST,
      mcpServers: { fx: fixtureServer, res: results() },
      groups,
    });
    const started = await startTestGateway(file({ picked: { tools: ['res/*'] } }));
    kit.defer(() => started.close());
    await waitForServer(started.supervisor, 'res', 'ready');
    await waitForServer(started.supervisor, 'fx', 'ready');
    const base = await kit.listen(started.app);
    const client = await connectV2(`${base}/mcp/picked`, 'legacy');
    let changes = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      changes++;
    });
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('res__plain_text');
    const reload = (groups: object) =>
      started.gateway.reload(parseConfigText(JSON.stringify(file(groups)), path.join(started.stateDir, 'config.json')));
    await reload({ picked: { tools: ['fx/echo'] } });
    await waitUntil(() => changes > 0, 10_000, 'tools/list_changed after the reload');
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['fx__echo']);
    await reload({});
    const gone = await fetch(`${base}/mcp/picked`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(gone.status).toBe(404);
  });
});

describe('/mcp sessions (2025-era clients)', () => {
  /** A raw `initialize`: the session id, and the answer's text. */
  async function open(base: string, version = '2025-06-18'): Promise<{ id: string; text: string }> {
    const res = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    expect(res.status, version).toBe(200);
    return { id: res.headers.get('mcp-session-id')!, text: await res.text() };
  }
  const initialize = async (base: string) => (await open(base)).id;
  const list = (base: string, session: string) =>
    fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }),
    });

  it('open for every 2025-era revision common clients speak (2025-03-26, 2025-06-18, 2025-11-25)', async () => {
    const started = await kit.gateway({ fx: fixtureServer });
    const base = await kit.listen(started.app);
    for (const version of ['2025-03-26', '2025-06-18', '2025-11-25']) {
      const { id, text } = await open(base, version);
      expect(id, version).toBeTruthy();
      expect(text, version).toContain(`"protocolVersion":"${version}"`);
    }
  });

  it('are bounded: past gateway.mcp.maxSessions the session idle the longest ends; DELETE ends one at once', async () => {
    const started = await kit.gateway({ fx: fixtureServer }, { mcp: { maxSessions: 3 } });
    const base = await kit.listen(started.app);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await initialize(base));
    expect(new Set(ids).size).toBe(5);
    const statuses = [];
    for (const id of ids) statuses.push((await list(base, id)).status);
    expect(statuses).toEqual([404, 404, 200, 200, 200]);

    const ended = await fetch(`${base}/mcp`, {
      method: 'DELETE',
      headers: { 'mcp-session-id': ids[4]!, 'mcp-protocol-version': '2025-06-18' },
    });
    expect(ended.status).toBe(200);
    expect((await list(base, ids[4]!)).status).toBe(404);
  });

  it('end when idle for gateway.mcp.sessionIdleMs', async () => {
    const started = await kit.gateway({ fx: fixtureServer }, { mcp: { sessionIdleMs: 1000 } });
    const base = await kit.listen(started.app);
    const id = await initialize(base);
    expect((await list(base, id)).status).toBe(200);
    const sessions = async () => Number(/^mcp_gateway_mcp_sessions (\d+)$/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1]);
    expect(await sessions()).toBe(1);
    await waitUntil(async () => (await sessions()) === 0, 10_000, 'the idle session to end');
    expect((await list(base, id)).status).toBe(404);
  });
});

describe('/mcp for 2026-07-28 clients', () => {
  // The conformance suite's server-stateless checks sep-2575-http-server-method-not-found-404-*: a
  // request in the 2026-07-28 envelope for a method that revision removed is not a session start.
  it('answers a removed method (initialize, ping, logging/setLevel) with 404 and JSON-RPC -32601', async () => {
    const { base } = await twoServers();
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'conformance-client', version: '1.0.0' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    for (const method of ['initialize', 'ping', 'logging/setLevel']) {
      const res = await fetch(`${base}/mcp/fx`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': method,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 500, method, params: { _meta: envelope } }),
      });
      expect(res.status, method).toBe(404);
      expect(await res.json(), method).toMatchObject({ id: 500, error: { code: -32601 } });
    }
  });
});
