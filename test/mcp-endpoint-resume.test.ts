// Resumable `/mcp` streams (SEP-1699, server/mcp/event-store.ts): a 2025-11-25 session's POST
// answer stream starts with a priming event (an id, `retry`, empty data) and every message has an
// id; a client whose connection dropped mid-call GETs with `Last-Event-ID` and gets the messages it
// missed and the result — on the fast path's streams (fast-call.ts) and on the SDK transport's (a
// client that declared elicitation) — and on the GET stream the notifications sent while it was
// away. A `Last-Event-ID` of another session or key replays nothing. A client older than 2025-11-25
// gets no priming event and no ids; an `initialize` that fails leaves no event store behind.
// Raw HTTP (fetch) to see the wire.
import { describe, expect, it, vi } from 'vitest';
import { callKit, makeCallerKey, node, results } from './helpers/calls.js';
import request from 'supertest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { EVERYTHING_BIN, fixture } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { openRawMcpSession, type RawMcpSession } from './helpers/mcp-session.js';
import { allEvents, readSse, type SseItem } from './helpers/sse.js';
import { EventBudget } from '../server/mcp/event-store.js';

const kit = callKit();
const KEY = 'resume-test-key-0123456789abcdef';
const VERSION = '2025-11-25';
const auth = (token = KEY) => ({ authorization: `Bearer ${token}` });

/** Opens a 2025-11-25 session on `/mcp/{server}` (default `res`) with raw HTTP, ended after the test. */
async function session(base: string, capabilities: object = {}, server = 'res'): Promise<RawMcpSession> {
  const opened = await openRawMcpSession(`${base}/mcp/${server}`, { capabilities, headers: auth() });
  kit.defer(async () => {
    await opened.end();
  });
  return opened;
}

/** Reconnects with `Last-Event-ID` (GET), with the session's key or another. */
const resume = (client: RawMcpSession, lastEventId: string, token = KEY) => client.get({ ...auth(token), 'last-event-id': lastEventId });

const chatty = (id: number, steps: number) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'chatty', arguments: { steps, everyMs: 150 }, _meta: { progressToken: 'p' } },
});

const messages = (items: SseItem[]) => items.filter((item) => item.data).map((item) => JSON.parse(item.data!) as Record<string, unknown>);

/** Reads a call's stream until its first progress notification, then drops the connection. */
async function readUntilProgress(client: RawMcpSession, message: unknown): Promise<SseItem[]> {
  const abort = new AbortController();
  const response = await client.post(message, {}, abort.signal);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/event-stream');
  const seen: SseItem[] = [];
  for await (const item of readSse(response)) {
    seen.push(item);
    if (item.data?.includes('notifications/progress')) break;
  }
  abort.abort();
  return seen;
}

/** Reconnects with `Last-Event-ID`; a 409 (the server has not yet seen the old stream close) is retried, as a client does after `retry`. */
async function reconnect(client: RawMcpSession, lastEventId: string): Promise<Response> {
  return waitUntil(async () => {
    const response = await resume(client, lastEventId);
    if (response.status !== 409) return response;
    await response.body?.cancel();
    return undefined;
  });
}

describe('/mcp streams resume after a dropped connection (SEP-1699)', () => {
  for (const [path, capabilities] of [
    ['the fast path', {}],
    ["the SDK's transport (a client that declared elicitation)", { elicitation: {} }],
  ] as const) {
    it(`primes the stream with an id and retry, and replays what was missed and the result on ${path}`, async () => {
      const { app } = await kit.gateway({ res: results() }, {}, { apiKey: KEY });
      const base = await kit.listen(app);
      const client = await session(base, capabilities);

      const before = await readUntilProgress(client, chatty(5, 6));
      // The priming event comes first: an id, the retry hint, no message.
      expect(before[0]).toMatchObject({ data: '', retry: 1000 });
      expect(before[0]!.id).toBeTruthy();
      // Every message has an id.
      for (const item of before) expect(item.id).toBeTruthy();

      const resumed = await reconnect(client, before.at(-1)!.id!);
      expect(resumed.status).toBe(200);
      expect(resumed.headers.get('content-type')).toBe('text/event-stream');
      const after = await allEvents(resumed);
      for (const item of after) expect(item.id).toBeTruthy();

      const all = [...messages(before), ...messages(after)];
      // Each progress step exactly once, in order, then the result.
      expect(all.filter((m) => m.method === 'notifications/progress').map((m) => (m.params as { progress: number }).progress)).toEqual([
        1, 2, 3, 4, 5, 6,
      ]);
      expect(all.filter((m) => m.method === 'notifications/message')).toHaveLength(6);
      expect(all.at(-1)).toEqual({ jsonrpc: '2.0', id: 5, result: { content: [{ type: 'text', text: 'done after 6 steps' }] } });
    });
  }

  it('replays the rest and the result when the client comes back after the call has ended (fast path)', async () => {
    const started = await kit.gateway({ res: results() }, {}, { apiKey: KEY });
    const base = await kit.listen(started.app);
    const client = await session(base);
    const lastEventId = (await readUntilProgress(client, chatty(3, 3))).at(-1)!.id!;
    await waitUntil(() =>
      started.gateway.activity.list({ limit: 5 }).items.find((item) => item.tool === 'chatty' && item.outcome === 'ok'),
    );

    const resumed = await resume(client, lastEventId);
    expect(resumed.status).toBe(200);
    const rest = messages(await allEvents(resumed));
    expect(rest.filter((m) => m.method === 'notifications/progress').map((m) => (m.params as { progress: number }).progress)).toEqual([
      2, 3,
    ]);
    expect(rest.at(-1)).toMatchObject({ id: 3, result: { content: [{ text: 'done after 3 steps' }] } });
  });

  it("replays nothing for a Last-Event-ID of another session or of another key's session", async () => {
    const { app } = await kit.gateway({ res: results() }, {}, { apiKey: KEY });
    const base = await kit.listen(app);
    const first = await session(base);
    const second = await session(base);
    const lastEventId = (await readUntilProgress(first, chatty(1, 4))).at(-1)!.id!;

    // Another session of the same key: the id is not one of its events.
    const wrong = await resume(second, lastEventId);
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await wrong.text()).not.toContain('notifications/progress');

    // Another key, with the first session's id: no such session for it.
    const other = await makeCallerKey(app, KEY, 'another key');
    const stranger = await resume(first, lastEventId, other);
    expect(stranger.status).toBe(404);
    expect(await stranger.text()).not.toContain('notifications/progress');

    // The session's own client resumes.
    const own = await reconnect(first, lastEventId);
    expect(messages(await allEvents(own)).at(-1)).toMatchObject({ id: 1, result: { content: [{ text: 'done after 4 steps' }] } });
  });

  it('replays on the GET stream the notifications sent while it was away', async () => {
    const { app } = await kit.gateway({ fx: { command: node, args: [fixture('fixture-server.mjs')] } }, {}, { apiKey: KEY });
    const base = await kit.listen(app);
    const client = await session(base, {}, 'fx');
    // A second session whose GET stream stays open: it hears each list change when the first is told too.
    const witness = await session(base, {}, 'fx');
    const witnessStream = readSse(await witness.get());
    const listChanged = async (stream: AsyncGenerator<SseItem>): Promise<SseItem> => {
      for (;;) {
        const { value, done } = await stream.next();
        if (done) throw new Error('the stream ended');
        if (value.data?.includes('notifications/tools/list_changed')) return value;
      }
    };
    const addTool = async (name: string) =>
      (await client.post({ jsonrpc: '2.0', id: name, method: 'tools/call', params: { name: 'add_tool', arguments: { name } } })).text();

    const abort = new AbortController();
    const stream = readSse(await client.get({}, abort.signal));
    await addTool('first');
    const seen = await listChanged(stream);
    expect(seen.id).toBeTruthy();
    await listChanged(witnessStream);
    abort.abort();
    await stream.return(undefined).catch(() => undefined);

    // Told while the client is away (the witness hears it).
    await addTool('second');
    await listChanged(witnessStream);
    await witnessStream.return(undefined);

    const resume = new AbortController();
    kit.defer(() => resume.abort());
    const resumed = await waitUntil(async () => {
      const response = await client.get({ 'last-event-id': seen.id! }, resume.signal);
      if (response.status !== 409) return response;
      await response.body?.cancel();
      return undefined;
    });
    expect(resumed.status).toBe(200);
    const replayed = await listChanged(readSse(resumed));
    expect(replayed.id).toBeTruthy();
    expect(replayed.id).not.toBe(seen.id);
  });

  it("does not take a GET that resumes a call's stream for the session's GET stream (a server's client roots stay)", async () => {
    const started = await kit.gateway({ e: { command: node, args: [EVERYTHING_BIN, 'stdio'], clientRoots: true } }, {}, { apiKey: KEY });
    const base = await kit.listen(started.app);
    const other = await makeCallerKey(started.app, KEY, 'another key');
    const byOther = () => request(started.app).post('/e/get-roots-list').set('Authorization', `Bearer ${other}`).send({});
    // A client of /mcp/e with roots and its GET stream: the server's one client, whose roots no other key may use.
    // (It declares elicitation too: its calls go through the SDK's transport, whose streams the SDK resumes.)
    const client = new Client({ name: 'roots-client', version: '1' }, { capabilities: { roots: {}, elicitation: {} } });
    client.setRequestHandler('roots/list', async () => ({ roots: [{ uri: 'file:///srv/mine', name: 'mine' }] }));
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp/e`), { requestInit: { headers: auth() } });
    await client.connect(transport);
    kit.defer(() => client.close());
    await waitUntil(async () => (await byOther()).status === 409, 15_000, 'the client to hold the server');

    // In the same session, a call whose stream drops, then is resumed while it is under way.
    const headers = { ...auth(), 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': VERSION };
    const abort = new AbortController();
    const response = await fetch(`${base}/mcp/e`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'long',
        method: 'tools/call',
        params: { name: 'trigger-long-running-operation', arguments: { duration: 2, steps: 4 }, _meta: { progressToken: 'p' } },
      }),
      signal: abort.signal,
    });
    let lastEventId: string | undefined;
    for await (const item of readSse(response)) {
      lastEventId = item.id;
      if (item.data?.includes('notifications/progress')) break;
    }
    abort.abort();
    const replay = await waitUntil(async () => {
      const resumed = await fetch(`${base}/mcp/e`, { headers: { ...headers, accept: 'text/event-stream', 'last-event-id': lastEventId! } });
      if (resumed.status !== 409) return resumed;
      await resumed.body?.cancel();
      return undefined;
    });
    expect(replay.status).toBe(200);
    expect(messages(await allEvents(replay)).at(-1)).toMatchObject({ id: 'long', result: {} });

    // The resumed stream's end is not the end of the client's GET stream: it still holds the server.
    expect((await byOther()).status).toBe(409);
  });

  it("leaves no event store behind for an initialize that fails, and drops a session's when it ends", async () => {
    const joins = vi.spyOn(EventBudget.prototype, 'join');
    const leaves = vi.spyOn(EventBudget.prototype, 'leave');
    kit.defer(() => {
      joins.mockRestore();
      leaves.mockRestore();
    });
    const { app } = await kit.gateway({ res: results() }, {}, { apiKey: KEY });
    const base = await kit.listen(app);
    for (let index = 0; index < 5; index++) {
      // No `text/event-stream` in Accept: the SDK refuses the initialize (406), so there is no session.
      const refused = await fetch(`${base}/mcp/res`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: index,
          method: 'initialize',
          params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'refused', version: '1' } },
        }),
      });
      expect(refused.status).toBe(406);
      await refused.body?.cancel();
    }
    expect(joins.mock.calls.length - leaves.mock.calls.length).toBe(0);

    // A session that keeps events joins the budget, and leaves it when it ends.
    const client = await openRawMcpSession(`${base}/mcp/res`, { headers: auth() });
    await readUntilProgress(client, chatty(1, 2));
    expect(joins.mock.calls.length - leaves.mock.calls.length).toBe(1);
    await client.end();
    expect(joins.mock.calls.length - leaves.mock.calls.length).toBe(0);
  });

  it('sends no priming event and no event ids to a client older than 2025-11-25 (fast path)', async () => {
    const { app } = await kit.gateway({ res: results() }, {}, { apiKey: KEY });
    const base = await kit.listen(app);
    const client = await openRawMcpSession(`${base}/mcp/res`, { headers: auth(), version: '2025-06-18' });
    kit.defer(async () => {
      await client.end();
    });
    const response = await client.post(chatty(2, 2));
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const items = await allEvents(response);
    expect(items.every((item) => item.retry === undefined && item.id === undefined && item.data)).toBe(true);
    expect(messages(items).at(-1)).toMatchObject({ id: 2, result: { content: [{ text: 'done after 2 steps' }] } });
  });
});
