// TaskCalls against a real SDK client and server over an in-memory transport, for the orderings a
// real server produces only by chance: a `tasks/get` answer read before a status notification
// that reaches the client first.
import { afterEach, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, GetTaskPayloadRequestSchema, GetTaskRequestSchema, type Task } from '@modelcontextprotocol/sdk/types.js';
import { TaskCalls } from './task-calls.js';
import type { CallProgress } from './types.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const task = (status: Task['status'], statusMessage: string, second: number): Task => ({
  taskId: 't1',
  status,
  statusMessage,
  ttl: 60_000,
  createdAt: at(0),
  lastUpdatedAt: at(second),
  pollInterval: 100,
});

it('ignores a tasks/get answer older than a status it has already seen: no progress goes backwards', async () => {
  const server = new Server(
    { name: 'tasks', version: '1.0.0' },
    { capabilities: { tools: {}, tasks: { requests: { tools: { call: {} } } } } },
  );
  let polls = 0;
  server.setRequestHandler(CallToolRequestSchema, async () => ({ task: task('working', 'one', 1) }));
  server.setRequestHandler(GetTaskRequestSchema, async () => {
    polls += 1;
    if (polls > 1) return task('completed', 'two', 4);
    // The newer status reaches the client first, then this answer, read before it.
    await server.notification({ method: 'notifications/tasks/status', params: task('working', 'two', 3) });
    return task('working', 'one', 2);
  });
  server.setRequestHandler(GetTaskPayloadRequestSchema, async () => ({ content: [{ type: 'text', text: 'done' }] }));
  const client = new Client({ name: 'test', version: '1.0.0' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  closers.push(() => client.close());

  const progress: CallProgress[] = [];
  const result = await new TaskCalls(client).call(
    client,
    'research',
    {},
    {
      timeoutMs: 5000,
      maxTotalTimeoutMs: 10_000,
      onProgress: (item) => progress.push(item),
    },
  );
  expect(result.content).toEqual([{ type: 'text', text: 'done' }]);
  expect(progress).toEqual([
    { progress: 1, message: 'one' },
    { progress: 2, message: 'two' },
  ]);
});
