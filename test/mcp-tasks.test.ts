// Tasks pass through on /mcp (issue 18 item 7): an MCP client that declares the `tasks` capability
// calls server-everything's `simulate-research-query` (stdio, a task-only tool) with `params.task`
// and gets a task at once; `tasks/get`, `tasks/result`, `tasks/list` and `tasks/cancel` answer for
// its own tasks only, backed by the gateway's async call (activity row, /api/calls/{id}), with the
// upstream task underneath (`tasks/cancel` ends it on the server).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  McpError,
  TaskStatusNotificationSchema,
  type Task,
} from '@modelcontextprotocol/sdk/types.js';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, makeCallerKey } from './helpers/calls.js';
import { EVERYTHING_BIN, fixture, type TestGateway, waitForStderr } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { pendingApprovals } from './helpers/ui-session.js';
import { TASKS_PAGE_SIZE } from '../server/mcp/tasks.js';

const { gateway, listen, defer } = callKit();

const KEY = 'mcp-tasks-start-up-key-0123456';
const bearer = (token: string) => `Bearer ${token}`;
/** What server-everything's research loop logs to stderr once its task was cancelled under it. */
const CANCELLED_ON_SERVER = 'from terminal status "cancelled"';

const makeKey = (app: Parameters<typeof makeCallerKey>[0], label: string) => makeCallerKey(app, KEY, label);

/** An SDK 1.x client that takes part in tasks, connected to `url` with `token`; closed after the test. */
async function tasksClient(url: string, token: string, tasks = true): Promise<Client> {
  const client = new Client({ name: 'tasks-client', version: '1.0.0' }, { capabilities: tasks ? { tasks: { list: {}, cancel: {} } } : {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: bearer(token) } } }));
  defer(() => client.close());
  return client;
}

/** Calls `name` as a task (`params.task`); resolves with the task the gateway answered. */
async function startTask(client: Client, name: string, args: Record<string, unknown>): Promise<Task> {
  const created = await client.request({ method: 'tools/call', params: { name, arguments: args } }, CreateTaskResultSchema, {
    task: { ttl: 60_000 },
  });
  return created.task;
}

function waitForTask(client: Client, taskId: string, wanted: (task: Task) => boolean, what: string): Promise<Task> {
  return waitUntil(
    async () => {
      const task = await client.experimental.tasks.getTask(taskId);
      return wanted(task) ? task : undefined;
    },
    20_000,
    what,
  );
}

const everything = () =>
  gateway({ e: { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'] } }, { finishedCallTtlMs: 60_000 }, { apiKey: KEY });

/** Waits until server-everything's research loop logs that its task was cancelled under it. */
const cancelledOnServer = (supervisor: TestGateway['supervisor']) =>
  waitForStderr(supervisor, 'e', CANCELLED_ON_SERVER, 'the server to see the task cancelled');

describe('tasks on /mcp', () => {
  it("a client's task: CreateTaskResult at once, tasks/get until completed, tasks/result, status notifications, one activity row; another key cannot see it", async () => {
    const { app } = await everything();
    const base = await listen(app);
    const alice = await makeKey(app, 'alice');
    const bob = await makeKey(app, 'bob');
    const client = await tasksClient(`${base}/mcp/e`, alice);
    const statuses: Task[] = [];
    client.setNotificationHandler(TaskStatusNotificationSchema, async (notification) => {
      statuses.push(notification.params as Task);
    });

    // The tool is listed as a task tool to a client that takes part in tasks.
    const { tools } = await client.listTools();
    expect(tools.find((tool) => tool.name === 'simulate-research-query')!.execution?.taskSupport).toBe('required');
    expect(client.getServerCapabilities()?.tasks).toMatchObject({ list: {}, cancel: {}, requests: { tools: { call: {} } } });

    const task = await startTask(client, 'simulate-research-query', { topic: 'tides' });
    expect(task).toMatchObject({ status: 'working', ttl: 60_000, pollInterval: 1000 });
    // The gateway's id (its call's), not the server's task id.
    const call = (await request(app).get(`/api/calls/${task.taskId}`).set('Authorization', bearer(alice)).expect(200)).body;
    expect(call).toMatchObject({ id: task.taskId, surface: 'mcp', mode: 'async', tool: 'simulate-research-query' });

    // Another key's client finds no such task, and lists none.
    const other = await tasksClient(`${base}/mcp/e`, bob);
    await expect(other.experimental.tasks.getTask(task.taskId)).rejects.toThrow(McpError);
    await expect(other.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)).rejects.toThrow(/no task with id/);
    await expect(other.experimental.tasks.cancelTask(task.taskId)).rejects.toThrow(/no task with id/);
    expect((await other.experimental.tasks.listTasks()).tasks).toEqual([]);
    // Its own client lists it, on any endpoint of the gateway.
    const elsewhere = await tasksClient(`${base}/mcp`, alice);
    expect((await elsewhere.experimental.tasks.listTasks()).tasks.map((item) => item.taskId)).toEqual([task.taskId]);

    const working = await waitForTask(client, task.taskId, (item) => item.statusMessage !== undefined, 'a status message');
    expect(working.status).toBe('working');
    const done = await waitForTask(client, task.taskId, (item) => item.status !== 'working', 'the task to end');
    expect(done.status).toBe('completed');
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(JSON.stringify(result.content)).toContain('# Research Report: tides');
    expect(result._meta).toEqual({ 'io.modelcontextprotocol/related-task': { taskId: task.taskId } });

    // Each change of status or message was told on the session's stream, the end last.
    await waitUntil(() => statuses.at(-1)?.status === 'completed', 5000, 'the completed notification');
    expect(statuses.every((item) => item.taskId === task.taskId)).toBe(true);
    expect(statuses.filter((item) => item.status === 'working').length).toBeGreaterThan(0);

    const rows = (await request(app).get('/api/activity?server=e').set('Authorization', bearer(KEY)).expect(200)).body.items as {
      id: string;
      outcome: string;
    }[];
    expect(rows.map((row) => [row.id, row.outcome])).toEqual([[task.taskId, 'ok']]);
  });

  it('tasks/cancel cancels the call and the task on the server', async () => {
    const { app, supervisor } = await everything();
    const base = await listen(app);
    const client = await tasksClient(`${base}/mcp`, KEY);
    const task = await startTask(client, 'e__simulate-research-query', { topic: 'tides' });
    await waitForTask(client, task.taskId, (item) => item.statusMessage !== undefined, 'the task to run');
    const cancelled = await client.experimental.tasks.cancelTask(task.taskId);
    expect(cancelled).toMatchObject({ taskId: task.taskId, status: 'cancelled' });
    await cancelledOnServer(supervisor);
    expect((await client.experimental.tasks.getTask(task.taskId)).status).toBe('cancelled');
    await expect(client.experimental.tasks.cancelTask(task.taskId)).rejects.toThrow(/already ended/);
  });

  it("an optional-task tool called as a task runs as a task on the server: its status messages are the task's", async () => {
    const { app } = await gateway({ t: { command: process.execPath, args: [fixture('task-server.mjs')] } }, {}, { apiKey: KEY });
    const base = await listen(app);
    const client = await tasksClient(`${base}/mcp/t`, KEY);
    const { tools } = await client.listTools();
    expect(tools.find((tool) => tool.name === 'maybe')!.execution?.taskSupport).toBe('optional');
    const task = await startTask(client, 'maybe', {});
    const working = await waitForTask(client, task.taskId, (item) => item.statusMessage !== undefined, 'a status message');
    expect(['step 1', 'step 2']).toContain(working.statusMessage);
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.content).toEqual([{ type: 'text', text: 'maybe done' }]);
    expect((await client.experimental.tasks.getTask(task.taskId)).status).toBe('completed');
  });

  it('a task waits for approval as a call does: working, its message says so, it runs once approved', async () => {
    const { app } = await gateway(
      { t: { command: process.execPath, args: [fixture('task-server.mjs')] } },
      {},
      { apiKey: KEY, approval: { default: 'ask', timeoutMs: 60_000 } },
    );
    const base = await listen(app);
    const client = await tasksClient(`${base}/mcp/t`, KEY);
    const task = await startTask(client, 'quiet', {});
    expect(task).toMatchObject({ status: 'working', statusMessage: 'waiting for a person to approve the call' });
    const approval = (await pendingApprovals(app, KEY))[0]!;
    await request(app).post(`/api/approvals/${approval.id}/approve`).set('Authorization', bearer(KEY)).expect(200);
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.content).toEqual([{ type: 'text', text: 'quiet done' }]);
  });

  it('a task the gateway refuses before it starts (invalid arguments) is a JSON-RPC error, not a task', async () => {
    const { app } = await everything();
    const base = await listen(app);
    const client = await tasksClient(`${base}/mcp/e`, KEY);
    await expect(startTask(client, 'simulate-research-query', { topic: 7 })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('invalid arguments: topic'),
    });
    expect((await client.experimental.tasks.listTasks()).tasks).toEqual([]);
  });

  it('a tool the server does not run as a task is refused as a task (-32601), and called plainly as before', async () => {
    const { app } = await everything();
    const base = await listen(app);
    const client = await tasksClient(`${base}/mcp/e`, KEY);
    const refused = startTask(client, 'echo', { message: 'hi' });
    await expect(refused).rejects.toMatchObject({ code: -32601 });
    const plain = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
    expect(JSON.stringify(plain.content)).toContain('hi');
  });

  it('tasks/list pages the caller’s tasks, oldest first, with nextCursor; a bad cursor is -32602', async () => {
    const { app } = await gateway({ t: { command: process.execPath, args: [fixture('task-server.mjs')] } }, {}, { apiKey: KEY });
    const base = await listen(app);
    const client = await tasksClient(`${base}/mcp/t`, KEY);
    const started: string[] = [];
    for (let i = 0; i < TASKS_PAGE_SIZE + 2; i++) started.push((await startTask(client, 'fail', {})).taskId);
    const first = await client.experimental.tasks.listTasks();
    expect(first.tasks.map((task) => task.taskId)).toEqual(started.slice(0, TASKS_PAGE_SIZE));
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await client.experimental.tasks.listTasks(first.nextCursor);
    expect(second.tasks.map((task) => task.taskId)).toEqual(started.slice(TASKS_PAGE_SIZE));
    expect(second.nextCursor).toBeUndefined();
    await expect(client.experimental.tasks.listTasks('not a cursor')).rejects.toMatchObject({ code: -32602 });
  });
});
