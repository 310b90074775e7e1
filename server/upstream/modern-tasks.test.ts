// ModernTasks against a raw JSON-RPC server over real HTTP on 127.0.0.1 (the SDK's own transport
// on the gateway's side), for what a well-behaved server never does and an SDK server cannot be
// made to: a request of the server's sent with the id of the gateway's pending request; and for the
// session closing, or the caller having given up, around a task.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, expect, it } from 'vitest';
import { waitUntil } from '../../test/helpers/process.js';
import { MAX_STATUS_MESSAGE, ModernTasks } from './modern-tasks.js';
import type { ToolCallOptions } from './types.js';

type Message = { id?: number; method?: string; params?: Record<string, unknown>; result?: unknown; error?: { code: number } };
/** What the raw server answers a request: the messages it streams back (SSE) for it, by `send`; the stream ends when it resolves. */
type Responder = (message: Message, send: (out: object) => void, received: Message[]) => Promise<void>;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A server that records every message it is sent and streams back what `respond` sends; a response or notification gets a 202. */
async function rawServer(respond: Responder) {
  const received: Message[] = [];
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    if (req.method !== 'POST') return void res.writeHead(405).end();
    const message = JSON.parse(body) as Message;
    received.push(message);
    if (message.method === undefined || message.id === undefined) return void res.writeHead(202).end();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    await respond(message, (out) => res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', ...out })}\n\n`), received);
    res.end();
  };
  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  const tasks = new ModernTasks({
    transport: () => new StreamableHTTPClientTransport(url),
    clientInfo: { name: 'test', version: '1' },
    offersTasks: () => true,
    answer: async () => ({}),
  });
  return { received, tasks };
}

const options = (extra: Partial<ToolCallOptions> = {}): ToolCallOptions => ({ timeoutMs: 5000, maxTotalTimeoutMs: 10_000, ...extra });
const methods = (received: Message[]) => received.map((message) => message.method ?? `answer ${message.error?.code ?? 'result'}`);

it("refuses a server's request sent with the id of the pending request (-32601), and waits for the real answer", async () => {
  const { received, tasks } = await rawServer(async (message, send, seen) => {
    send({ id: message.id, method: 'elicitation/create', params: { message: 'who?' } });
    // The real answer once the gateway answered the server's request (before the fix, it took that request for its answer).
    await waitUntil(() => seen.some((each) => each.method === undefined), 5000, 'the answer to the server request').catch(() => undefined);
    const result = { content: [{ type: 'text', text: 'the result' }] };
    send({ id: message.id, result: { resultType: 'task', taskId: 't1', status: 'completed', result } });
  });
  const result = await tasks.call('job', {}, {}, options());
  expect(result.content).toEqual([{ type: 'text', text: 'the result' }]);
  expect(methods(received)).toEqual(['tools/call', `answer ${ErrorCode.MethodNotFound}`]);
  expect(received[1]!.id).toBe(received[0]!.id);
});

it('sends tasks/cancel for a task still running when the session closes', async () => {
  const { received, tasks } = await rawServer(async (message, send) => {
    const working = { ...(message.method === 'tools/call' && { resultType: 'task' }), taskId: 't1', status: 'working' };
    send({ id: message.id, result: message.method === 'tasks/cancel' ? {} : working });
  });
  const failed = tasks.call('job', {}, {}, options()).catch((error: unknown) => error);
  await waitUntil(() => received.some((message) => message.method === 'tasks/get'), 5000, 'the first tasks/get');
  tasks.close();
  expect(await failed).toMatchObject({ code: ErrorCode.ConnectionClosed });
  expect(received.filter((message) => message.method === 'tasks/cancel')).toMatchObject([{ params: { taskId: 't1' } }]);
});

it('sends nothing for a caller that gave up before the call began', async () => {
  const { received, tasks } = await rawServer(async (message, send) => send({ id: message.id, result: { content: [] } }));
  await expect(tasks.call('job', {}, {}, options({ signal: AbortSignal.abort() }))).rejects.toThrow();
  expect(received).toEqual([]);
});

it('fails a malformed task as a protocol error, and cuts a long status message', async () => {
  const bad = await rawServer(async (message, send) => send({ id: message.id, result: { resultType: 'task', taskId: 't1', status: 42 } }));
  await expect(bad.tasks.call('job', {}, {}, options())).rejects.toMatchObject({
    kind: 'protocol',
    message: expect.stringContaining('the server sent a malformed task (status:'),
  });
  const long = 'x'.repeat(5000);
  const chatty = await rawServer(async (message, send) => {
    const result = { content: [{ type: 'text', text: 'done' }] };
    send({ id: message.id, result: { resultType: 'task', taskId: 't2', status: 'completed', statusMessage: long, result } });
  });
  const statuses: { statusMessage?: string }[] = [];
  await chatty.tasks.call('job', {}, {}, options({ onTaskStatus: (status) => statuses.push(status) }));
  expect(statuses).toEqual([{ status: 'completed', statusMessage: `${'x'.repeat(MAX_STATUS_MESSAGE)}…` }]);
});
