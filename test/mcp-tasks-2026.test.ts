// Tasks on /mcp for 2026-07-28 clients (issue 18 item 7): the tasks extension
// (`io.modelcontextprotocol/tasks`, SEP-2663). A request that declares it in its envelope and calls
// server-everything's `simulate-research-query` (stdio, a task-only tool) gets a flat
// `CreateTaskResult` at once — the server decides, no `task` param — backed by the gateway's async
// call; `tasks/get` shows it working, then completed with the result inlined; `tasks/cancel`
// cancels it (on the server too); an optional-task tool runs as one too, a task the server fails
// is `failed` with a JSON-RPC error, a denied one `completed` with its isError result; another
// key's requests find no such task; a request without the extension gets -32021 from the tasks
// methods and a plain tool call as before. Raw JSON-RPC over real HTTP, real stdio servers.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, makeCallerKey } from './helpers/calls.js';
import { EVERYTHING_BIN, fixture, waitForStderr } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { pendingApprovals } from './helpers/ui-session.js';

const { gateway, listen } = callKit();

const KEY = 'mcp-tasks-2026-start-up-key-01234';
const TASKS = 'io.modelcontextprotocol/tasks';
const MISSING_REQUIRED_CLIENT_CAPABILITY = -32021;
/** An empty acknowledgement (`tasks/update`, `tasks/cancel`): no task fields, the server named in `_meta`. */
const ack = { resultType: 'complete', _meta: { 'io.modelcontextprotocol/serverInfo': expect.anything() } };

const everything = () =>
  gateway({ e: { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'] } }, { finishedCallTtlMs: 60_000 }, { apiKey: KEY });

interface RpcAnswer {
  result?: Record<string, unknown> & { resultType?: string };
  error?: { code: number; message: string; data?: unknown };
}

/** The `Mcp-Name` header a method's body names (SEP-2243, SEP-2663). */
function mcpName(method: string, params: Record<string, unknown>): Record<string, string> {
  const value = method === 'tools/call' ? params.name : method.startsWith('tasks/') ? params.taskId : undefined;
  return typeof value === 'string' ? { 'mcp-name': value } : {};
}

let nextId = 1;
/** One 2026-07-28 request to `url` with `token`, declaring the tasks extension unless `tasks` is false. */
async function rpc(url: string, token: string, method: string, params: Record<string, unknown> = {}, tasks = true): Promise<RpcAnswer> {
  const id = nextId++;
  const envelope = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'tasks-2026-client', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': tasks ? { extensions: { [TASKS]: {} } } : {},
  };
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...mcpName(method, params),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: envelope } }),
  });
  const text = await res.text();
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) return JSON.parse(text) as RpcAnswer;
  // An SSE answer: the message with our id.
  const messages = text
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => JSON.parse(line.slice(5)) as RpcAnswer & { id?: number });
  return messages.find((message) => message.id === id)!;
}

/** The result of a request that must succeed. */
async function ok(url: string, token: string, method: string, params: Record<string, unknown> = {}) {
  const answer = await rpc(url, token, method, params);
  expect(answer.error, `${method}: ${JSON.stringify(answer.error)}`).toBeUndefined();
  return answer.result!;
}

const pollTask = (url: string, token: string, taskId: string, wanted: (task: Record<string, unknown>) => boolean, what: string) =>
  waitUntil(
    async () => {
      const task = await ok(url, token, 'tasks/get', { taskId });
      return wanted(task) ? task : undefined;
    },
    20_000,
    what,
  );

describe('tasks on /mcp for 2026-07-28 clients (the tasks extension)', () => {
  it('a task tool answers a CreateTaskResult at once; tasks/get until completed, with the result; another key cannot see it', async () => {
    const { app } = await everything();
    const base = await listen(app);
    const url = `${base}/mcp/e`;
    const alice = await makeCallerKey(app, KEY, 'alice');
    const bob = await makeCallerKey(app, KEY, 'bob');

    // The server declares the extension (tools list no task support on this revision: the server decides).
    const discovered = await ok(url, alice, 'server/discover');
    expect((discovered.capabilities as { extensions?: object }).extensions).toHaveProperty([TASKS]);

    const created = await ok(url, alice, 'tools/call', { name: 'simulate-research-query', arguments: { topic: 'tides' } });
    expect(created).toMatchObject({ resultType: 'task', status: 'working', ttlMs: 60_000, pollIntervalMs: 1000 });
    expect(created).not.toHaveProperty('task');
    expect(created).not.toHaveProperty('ttl');
    const taskId = created.taskId as string;
    // The gateway's async call is the task.
    const call = (await request(app).get(`/api/calls/${taskId}`).set('Authorization', `Bearer ${alice}`).expect(200)).body;
    expect(call).toMatchObject({ id: taskId, surface: 'mcp', mode: 'async', tool: 'simulate-research-query' });

    // Another key finds no such task, by any of the methods.
    for (const method of ['tasks/get', 'tasks/cancel']) {
      expect((await rpc(url, bob, method, { taskId })).error, method).toMatchObject({ code: -32602 });
    }
    expect((await rpc(url, bob, 'tasks/update', { taskId, inputResponses: {} })).error).toMatchObject({ code: -32602 });

    const working = await pollTask(url, alice, taskId, (task) => task.statusMessage !== undefined, 'a status message');
    expect(working).toMatchObject({ taskId, status: 'working', resultType: 'complete' });
    expect(working).not.toHaveProperty('result');
    // tasks/update is acknowledged (the gateway asks a person, never the client).
    expect(await ok(url, alice, 'tasks/update', { taskId, inputResponses: {} })).toEqual(ack);

    const done = await pollTask(url, alice, taskId, (task) => task.status !== 'working', 'the task to end');
    expect(done).toMatchObject({ taskId, status: 'completed', resultType: 'complete' });
    expect(JSON.stringify((done.result as { content: unknown }).content)).toContain('# Research Report: tides');
    // Still another key's task is no one else's.
    expect((await rpc(url, bob, 'tasks/get', { taskId })).error).toMatchObject({ code: -32602 });

    const rows = (await request(app).get('/api/activity?server=e').set('Authorization', `Bearer ${KEY}`).expect(200)).body.items as {
      id: string;
      outcome: string;
    }[];
    expect(rows.map((row) => [row.id, row.outcome])).toEqual([[taskId, 'ok']]);
  });

  it('an optional-task tool runs as a task; a server that fails the task is `failed` with an error, a denied call `completed` with its isError result', async () => {
    const { app } = await gateway(
      { t: { command: process.execPath, args: [fixture('task-server.mjs')] } },
      {},
      { apiKey: KEY, approval: { default: 'allow', timeoutMs: 60_000, rules: [{ server: 't', tool: 'quiet', action: 'ask' }] } },
    );
    const base = await listen(app);
    const url = `${base}/mcp/t`;
    const ended = (taskId: string) => pollTask(url, KEY, taskId, (task) => task.status !== 'working', 'the task to end');

    const maybe = await ok(url, KEY, 'tools/call', { name: 'maybe', arguments: {} });
    expect(maybe).toMatchObject({ resultType: 'task', status: 'working' });
    expect(await ended(maybe.taskId as string)).toMatchObject({
      status: 'completed',
      result: { content: [{ type: 'text', text: 'maybe done' }] },
    });

    const failing = await ok(url, KEY, 'tools/call', { name: 'fail', arguments: {} });
    const failed = await ended(failing.taskId as string);
    expect(failed).toMatchObject({ status: 'failed', error: { code: -32603, message: expect.stringContaining('no luck') } });
    expect(failed).not.toHaveProperty('result');

    const asked = await ok(url, KEY, 'tools/call', { name: 'quiet', arguments: {} });
    expect(asked).toMatchObject({ resultType: 'task', status: 'working', statusMessage: 'waiting for a person to approve the call' });
    const approval = (await pendingApprovals(app, KEY))[0]!;
    await request(app)
      .post(`/api/approvals/${approval.id}/deny`)
      .set('Authorization', `Bearer ${KEY}`)
      .send({ reason: 'not now' })
      .expect(200);
    const denied = await ended(asked.taskId as string);
    expect(denied).toMatchObject({ status: 'completed', result: { isError: true } });
    expect(JSON.stringify(denied.result)).toContain('not now');
    expect(denied).not.toHaveProperty('error');
  });

  it('tasks/cancel cancels the call and the task on the server, and acknowledges an ended task too', async () => {
    const { app, supervisor } = await everything();
    const base = await listen(app);
    const url = `${base}/mcp`;
    const created = await ok(url, KEY, 'tools/call', { name: 'e__simulate-research-query', arguments: { topic: 'tides' } });
    const taskId = created.taskId as string;
    await pollTask(url, KEY, taskId, (task) => task.statusMessage !== undefined, 'the task to run');
    expect(await ok(url, KEY, 'tasks/cancel', { taskId })).toEqual(ack);
    await waitForStderr(supervisor, 'e', 'from terminal status "cancelled"', 'the server to see the task cancelled');
    const cancelled = await ok(url, KEY, 'tasks/get', { taskId });
    expect(cancelled).toMatchObject({ taskId, status: 'cancelled' });
    expect(cancelled).not.toHaveProperty('result');
    expect(await ok(url, KEY, 'tasks/cancel', { taskId })).toEqual(ack);
  });

  it('a request without the extension: tasks methods answer -32021 naming it, the tool is called plainly as before', async () => {
    const { app } = await everything();
    const base = await listen(app);
    const url = `${base}/mcp/e`;
    for (const [method, params] of [
      ['tasks/get', { taskId: 'x' }],
      ['tasks/update', { taskId: 'x', inputResponses: {} }],
      ['tasks/cancel', { taskId: 'x' }],
    ] as const) {
      const answer = await rpc(url, KEY, method, params, false);
      expect(answer.error, method).toMatchObject({
        code: MISSING_REQUIRED_CLIENT_CAPABILITY,
        data: { requiredCapabilities: { extensions: { [TASKS]: {} } } },
      });
    }
    // Removed on this revision, with or without the extension.
    for (const method of ['tasks/result', 'tasks/list'])
      expect((await rpc(url, KEY, method, { taskId: 'x' })).error).toMatchObject({ code: -32601 });

    const { tools } = (await rpc(url, KEY, 'tools/list', {}, false)).result as { tools: { name: string; execution?: unknown }[] };
    expect(tools.find((tool) => tool.name === 'simulate-research-query')).not.toHaveProperty('execution.taskSupport');
    const plain = await rpc(url, KEY, 'tools/call', { name: 'simulate-research-query', arguments: { topic: 'tides' } }, false);
    expect(plain.result).toMatchObject({ resultType: 'complete' });
    expect(plain.result).not.toHaveProperty('taskId');
    expect(JSON.stringify(plain.result!.content)).toContain('# Research Report: tides');
  });

  it('a tool the server does not run as a task is called plainly, and a legacy `task` param is ignored', async () => {
    const { app } = await everything();
    const base = await listen(app);
    const answer = await ok(`${base}/mcp/e`, KEY, 'tools/call', { name: 'echo', arguments: { message: 'hi' }, task: { ttl: 1000 } });
    expect(answer).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: 'Echo: hi' }] });
    expect(answer).not.toHaveProperty('taskId');
  });
});
