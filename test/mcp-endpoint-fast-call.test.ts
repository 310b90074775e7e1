// The fast path of `/mcp`: a plain `tools/call` in a 2025-era session is served by the gateway's
// own code (server/mcp/fast-call.ts), answered as JSON when nothing goes out first and as an event
// stream when a notification must; cancellation, the client's log level and the headers the SDK's
// transport checks behave as through the SDK, and anything unusual still goes through the SDK.
// Raw HTTP (fetch) to see the wire; the SDK clients' view is in mcp-endpoint*.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { callKit, results } from './helpers/calls.js';
import { tempDir } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { openRawMcpSession, type RawMcpSession } from './helpers/mcp-session.js';
import { allEvents } from './helpers/sse.js';

const kit = callKit();

/** Opens a 2025-era session on `/mcp/res` with raw HTTP, ended after the test. */
async function session(base: string, capabilities: object = {}): Promise<RawMcpSession> {
  const opened = await openRawMcpSession(`${base}/mcp/res`, { capabilities });
  kit.defer(async () => {
    await opened.end();
  });
  return opened;
}

/** The JSON-RPC messages of an answer, whichever way it came (JSON or an event stream). */
async function messagesOf(response: Response): Promise<Record<string, unknown>[]> {
  if (response.headers.get('content-type')?.startsWith('application/json')) return [await response.json()];
  // A priming event (an id, empty data: event-store.ts) carries no message.
  return (await allEvents(response))
    .filter((event) => event.data !== '')
    .map((event) => JSON.parse(event.data!) as Record<string, unknown>);
}

const call = (id: number, name: string, args: object = {}, meta?: object) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
});

describe('/mcp fast path (a tools/call in a 2025-era session)', () => {
  it('answers as JSON in one piece when nothing goes out first, and as an event stream when progress must', async () => {
    const started = await kit.gateway({ res: results() });
    const base = await kit.listen(started.app);
    const client = await session(base);

    const plain = await client.post(call(1, 'plain_text'));
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await plain.json()).toEqual({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'hello there' }] } });

    const chatty = await client.post(call(2, 'chatty', { steps: 2, everyMs: 1 }, { progressToken: 'p1' }));
    expect(chatty.headers.get('content-type')).toBe('text/event-stream');
    const messages = await messagesOf(chatty);
    expect(messages.filter((m) => m.method === 'notifications/progress').map((m) => m.params)).toEqual([
      { progressToken: 'p1', progress: 1, total: 2, message: 'step 1 of 2' },
      { progressToken: 'p1', progress: 2, total: 2, message: 'step 2 of 2' },
    ]);
    expect(messages.filter((m) => m.method === 'notifications/message').map((m) => (m.params as { data: unknown }).data)).toEqual([
      'step 1',
      'step 2',
    ]);
    expect(messages.at(-1)).toEqual({ jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'done after 2 steps' }] } });

    // The activity log has the client's name and version from its initialize.
    const entry = await waitUntil(() => started.gateway.activity.list({ limit: 5 }).items.find((item) => item.tool === 'plain_text'));
    expect(entry).toMatchObject({ surface: 'mcp', client: 'raw-client 3.1', outcome: 'ok' });
  });

  it('answers an unknown tool with JSON-RPC -32602, and keeps to the log level the client set', async () => {
    const started = await kit.gateway({ res: results() });
    const base = await kit.listen(started.app);
    const client = await session(base);

    expect(await messagesOf(await client.post(call(1, 'nope')))).toEqual([
      { jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'Unknown tool: nope' } },
    ]);

    const setLevel = await client.post({ jsonrpc: '2.0', id: 2, method: 'logging/setLevel', params: { level: 'warning' } });
    expect(await messagesOf(setLevel)).toEqual([{ jsonrpc: '2.0', id: 2, result: {} }]);
    // chatty logs at info: below the level, so nothing goes out before the result (JSON).
    const quiet = await client.post(call(3, 'chatty', { steps: 2, everyMs: 1 }));
    expect(quiet.headers.get('content-type')).toBe('application/json');
    expect(await quiet.json()).toMatchObject({ id: 3, result: { content: [{ text: 'done after 2 steps' }] } });
  });

  it('cancels a call on notifications/cancelled (202), and its answer ends without a response', async () => {
    const cancelLog = path.join(tempDir(), 'cancel.log');
    const started = await kit.gateway({ res: results({ RESULTS_CANCEL_LOG: cancelLog }) });
    const base = await kit.listen(started.app);
    const client = await session(base);

    const waiting = client.post(call(7, 'wait', { ms: 60_000 }));
    await waitUntil(() => fs.existsSync(cancelLog) && fs.readFileSync(cancelLog, 'utf8').includes('started'), 10_000, 'the call to start');
    const cancel = await client.post({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 7, reason: 'changed my mind' },
    });
    expect(cancel.status).toBe(202);
    await waitUntil(() => fs.readFileSync(cancelLog, 'utf8').includes('cancelled'), 10_000, 'the server to see the cancellation');
    expect(await messagesOf(await waiting)).toEqual([]);
    const entry = await waitUntil(() =>
      started.gateway.activity.list({ limit: 1 }).items.find((item) => item.tool === 'wait' && item.outcome),
    );
    expect(entry.outcome).toBe('cancelled');

    // Ending the session cancels its calls too.
    const orphan = client.post(call(8, 'wait', { ms: 60_000 }));
    await waitUntil(() => fs.readFileSync(cancelLog, 'utf8').split('started').length === 3, 10_000, 'the second call to start');
    expect((await client.end()).status).toBe(200);
    await waitUntil(
      () => fs.readFileSync(cancelLog, 'utf8').split('cancelled').length === 3,
      10_000,
      'the server to see the second cancellation',
    );
    expect(await messagesOf(await orphan)).toEqual([]);
  });

  it('refuses what the SDK refuses (an unsupported Mcp-Protocol-Version, an Accept without SSE), and leaves a batch to the SDK', async () => {
    const started = await kit.gateway({ res: results() });
    const base = await kit.listen(started.app);
    const client = await session(base);

    const old = await client.post(call(1, 'plain_text'), { 'mcp-protocol-version': '1999-01-01' });
    expect(old.status).toBe(400);
    expect(await old.json()).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: expect.stringMatching(/^Bad Request: Unsupported protocol version: 1999-01-01/) },
    });

    const jsonOnly = await client.post(call(2, 'plain_text'), { accept: 'application/json' });
    expect(jsonOnly.status).toBe(406);
    expect(await jsonOnly.json()).toMatchObject({ error: { code: -32000 } });

    // A batch (and any unusual message) goes through the SDK: its answer is its event stream.
    const batch = await client.post([call(3, 'plain_text')]);
    expect(batch.status).toBe(200);
    expect(batch.headers.get('content-type')).toBe('text/event-stream');
    expect(await messagesOf(batch)).toEqual([{ jsonrpc: '2.0', id: 3, result: { content: [{ type: 'text', text: 'hello there' }] } }]);

    // A client that opens URLs (URL-mode elicitation) stays on the SDK's path, at the level it set.
    const opener = await session(base, { elicitation: { url: {} } });
    await messagesOf(await opener.post({ jsonrpc: '2.0', id: 1, method: 'logging/setLevel', params: { level: 'warning' } }));
    const viaSdk = await opener.post(call(2, 'chatty', { steps: 2, everyMs: 1 }));
    expect(viaSdk.headers.get('content-type')).toBe('text/event-stream');
    expect(await messagesOf(viaSdk)).toMatchObject([{ id: 2, result: { content: [{ text: 'done after 2 steps' }] } }]);
  });
});
