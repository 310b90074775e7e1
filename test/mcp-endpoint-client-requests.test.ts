// A server's requests to its client, through `/mcp` (issue 18 items 1 and 5): server-everything's
// `sampling/createMessage` during a `tools/call` goes to the MCP client (the 2.x SDK's) that made
// the call when it declared sampling — its reply goes back upstream, no approval card is made, and
// a `deny` of the policy still refuses it; without a client that samples and without the
// `sampling` section the tool reports a clear refusal. A server with `clientRoots` gets the roots
// of its one `/mcp/{server}` client (server-everything's `get-roots-list` shows what it got), hears
// when they change, gets none while two such clients are open, and configured roots win.
// Real clients, servers and HTTP.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import request from 'supertest';
import { callKit, makeCallerKey } from './helpers/calls.js';
import { EVERYTHING_BIN, tempDir } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { pathToFileURL } from 'node:url';

const kit = callKit();
const KEY = 'client-requests-test-key-0123456789';
const auth = { authorization: `Bearer ${KEY}` };
const everything = { e: { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'] } };

async function connect(base: string, path: string, capabilities: object): Promise<Client> {
  const client = new Client({ name: 'sampling-client', version: '1' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}${path}`), { requestInit: { headers: auth } }));
  kit.defer(() => client.close());
  return client;
}

const textOf = (result: unknown) => (result as { content: { text: string }[] }).content.map((item) => item.text).join('\n');

/** Sampling needs a person by the policy; the tool that samples is allowed. */
const askForSampling = { default: 'ask', rules: [{ server: 'e', tool: 'trigger-sampling-request', action: 'allow' }] };

describe("a server's sampling requests on /mcp", () => {
  it('go to the client that made the call when it declared sampling, and its reply upstream, with no approval card', async () => {
    const { app, gateway } = await kit.gateway(everything, {}, { apiKey: KEY, approval: askForSampling });
    const base = await kit.listen(app);
    const client = await connect(base, '/mcp/e', { sampling: {} });
    const asked: { messages?: { content: { text?: string } }[]; maxTokens?: number }[] = [];
    client.setRequestHandler('sampling/createMessage', async (req) => {
      asked.push(req.params as never);
      return { role: 'assistant', content: { type: 'text', text: 'Lyon, from the client model' }, model: 'client-model-7' };
    });
    const result = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'capital of France?', maxTokens: 20 } });
    expect(asked).toHaveLength(1);
    expect(asked[0]!.messages![0]!.content.text).toContain('capital of France?');
    expect(asked[0]!.maxTokens).toBe(20);
    expect(textOf(result)).toContain('Lyon, from the client model');
    expect(textOf(result)).toContain('client-model-7');
    expect(gateway.approvals.list(undefined, 10)).toEqual([]);
  });

  it('go to a 2026-07-28 client that declared sampling as input_required, and its answer in the retry upstream', async () => {
    const { app, gateway } = await kit.gateway(everything, {}, { apiKey: KEY });
    const base = await kit.listen(app);
    const client = new Client(
      { name: 'modern-sampling-client', version: '1' },
      { capabilities: { sampling: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    const asked: { messages?: { content: { text?: string } }[] }[] = [];
    client.setRequestHandler('sampling/createMessage', async (req) => {
      asked.push(req.params as never);
      return { role: 'assistant', content: { type: 'text', text: 'Marseille, from the modern model' }, model: 'modern-model-3' };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/e`), { requestInit: { headers: auth } }));
    kit.defer(() => client.close());
    expect(client.getProtocolEra()).toBe('modern');
    const result = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'a port city?' } });
    expect(asked).toHaveLength(1);
    expect(asked[0]!.messages![0]!.content.text).toContain('a port city?');
    expect(textOf(result)).toContain('Marseille, from the modern model');
    // One call, run once: the retry picked up the call that waited.
    expect(gateway.activity.list({ limit: 5 }).items.filter((item) => item.tool === 'trigger-sampling-request')).toHaveLength(1);
  });

  it('are refused by a deny of the policy, without asking the client', async () => {
    const deny = { default: 'allow', rules: [{ server: 'e', tool: 'sampling/createMessage', action: 'deny' }] };
    const { app } = await kit.gateway(everything, {}, { apiKey: KEY, approval: deny });
    const base = await kit.listen(app);
    const client = await connect(base, '/mcp/e', { sampling: {} });
    let asked = 0;
    client.setRequestHandler('sampling/createMessage', async () => {
      asked += 1;
      return { role: 'assistant', content: { type: 'text', text: 'never' }, model: 'm' };
    });
    const result = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi' } });
    expect(asked).toBe(0);
    expect(textOf(result)).toContain('the gateway refuses sampling for server e');
  });

  it('are refused clearly for a client without sampling when the gateway has no sampling endpoint (the tool is listed all the same)', async () => {
    const { app } = await kit.gateway(everything, {}, { apiKey: KEY });
    const base = await kit.listen(app);
    const client = await connect(base, '/mcp/e', {});
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('trigger-sampling-request');
    const result = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi' } });
    expect(textOf(result)).toContain('sampling is not configured on this gateway (see README: sampling)');
  });
});

describe("an /mcp client's own roots", () => {
  const withClientRoots = (extra: object = {}) => ({
    e: { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'], clientRoots: true, ...extra },
  });

  /** A client of `/mcp/e` that declared roots and answers `roots/list` with `roots.current`. */
  async function rootsClient(base: string, roots: { current: { uri: string; name: string }[] }): Promise<Client> {
    const client = new Client({ name: 'roots-client', version: '1' }, { capabilities: { roots: { listChanged: true } } });
    client.setRequestHandler('roots/list', async () => ({ roots: roots.current }));
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/e`), { requestInit: { headers: auth } }));
    kit.defer(() => client.close());
    return client;
  }

  /** What server-everything's get-roots-list says, once it says something that `until` accepts. */
  const rootsSeen = (client: Client, until: (text: string) => boolean, what: string) =>
    waitUntil(
      async () => {
        const text = textOf(await client.callTool({ name: 'get-roots-list', arguments: {} }));
        return until(text) ? text : undefined;
      },
      15_000,
      what,
    );

  it('are the roots of a server with clientRoots while it has one /mcp/{server} client, and it hears when they change', async () => {
    const { app } = await kit.gateway(withClientRoots(), {}, { apiKey: KEY });
    const base = await kit.listen(app);
    const first = { current: [{ uri: 'file:///srv/first', name: 'first' }] };
    const client = await rootsClient(base, first);
    await rootsSeen(client, (text) => text.includes('file:///srv/first'), "the client's roots to reach the server");

    first.current = [{ uri: 'file:///srv/second', name: 'second' }];
    await client.sendRootsListChanged();
    await rootsSeen(
      client,
      (text) => text.includes('file:///srv/second') && !text.includes('first'),
      'the changed roots to reach the server',
    );

    // A second client with roots: whose would they be? The server gets none while both are open.
    const other = await rootsClient(base, { current: [{ uri: 'file:///srv/other', name: 'other' }] });
    const none = await rootsSeen(client, (text) => !text.includes('file:///srv/'), 'the roots to go while two clients are open');
    expect(none).toContain('no roots are currently configured');
    await other.close();
    await rootsSeen(client, (text) => text.includes('file:///srv/second'), "the one client's roots to come back");
  });

  it("keep the server to that client's identity, and a second GET of the session does not end its hold; when it leaves, the server starts anew for everyone", async () => {
    const { app, supervisor } = await kit.gateway(withClientRoots(), {}, { apiKey: KEY });
    const base = await kit.listen(app);
    const other = await makeCallerKey(app, KEY, 'another key');
    const client = await rootsClient(base, { current: [{ uri: 'file:///srv/mine', name: 'mine' }] });
    await rootsSeen(client, (text) => text.includes('file:///srv/mine'), "the client's roots to reach the server");
    const byOther = () => request(app).post('/e/get-roots-list').set('Authorization', `Bearer ${other}`).send({});
    // The same key works in its roots over REST too; another key must not.
    const mine = await request(app).post('/e/get-roots-list').set(auth).send({});
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    expect(JSON.stringify(mine.body)).toContain('file:///srv/mine');
    const refused = await byOther();
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    expect(refused.body.type).toMatch(/roots-of-another-client$/);

    // A second GET stream of the same session is refused by the SDK (one stream per session); its end changes nothing.
    const transport = client.transport as StreamableHTTPClientTransport;
    const second = await fetch(`${base}/mcp/e`, {
      headers: {
        ...auth,
        accept: 'text/event-stream',
        'mcp-session-id': transport.sessionId!,
        'mcp-protocol-version': transport.protocolVersion ?? '2025-11-25',
      },
    });
    expect(second.status).toBe(409);
    await second.body?.cancel();
    const restarts = supervisor.require('e').status().restarts;
    await rootsSeen(client, (text) => text.includes('file:///srv/mine'), "the client's roots to stay the server's");
    expect((await byOther()).status).toBe(409);
    expect(supervisor.require('e').status().restarts).toBe(restarts);

    // The client leaves: the server, which may keep the roots it was given, starts anew, and serves the other key with none.
    await client.close();
    const served = await waitUntil(
      async () => {
        const res = await byOther();
        return res.status === 200 ? res : undefined;
      },
      15_000,
      'the other key to be served once the client left',
    );
    expect(JSON.stringify(served.body)).not.toContain('file:///srv/mine');
    expect(supervisor.require('e').status().restarts).toBe(restarts + 1);
  });

  it('give way to configured roots', async () => {
    const root = tempDir();
    const { app } = await kit.gateway(withClientRoots({ roots: [root] }), {}, { apiKey: KEY });
    const base = await kit.listen(app);
    const client = await rootsClient(base, { current: [{ uri: 'file:///srv/client', name: 'client' }] });
    const text = await rootsSeen(client, (seen) => seen.includes(pathToFileURL(root).href), 'the configured roots');
    expect(text).not.toContain('file:///srv/client');
  });
});
