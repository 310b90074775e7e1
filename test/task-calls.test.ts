// Tools that run as tasks (issue 18 item 7): server-everything's `simulate-research-query` requires
// task execution; the gateway creates the task, follows its status (progress) and fetches its
// result, so plain, streamed, async and /mcp calls work as for any tool; cancelling the call sends
// `tasks/cancel`.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem } from './helpers/calls.js';
import { EVERYTHING_BIN, fixture, type TestGateway, waitForStderr } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { allEvents } from './helpers/sse.js';
import { signalProcess } from '../server/upstream/process-table.js';
import { startEverythingHttp } from './helpers/http-server.js';

const { gateway, listen, defer } = callKit();
const everything = (settings: object = {}) => gateway({ e: { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'] } }, settings);
/** What server-everything's research loop logs to stderr once its task was cancelled under it. */
const CANCELLED_ON_SERVER = 'from terminal status "cancelled"';
const TOOL = '/e/simulate-research-query';
/** The stages server-everything reports as the task's status messages, one a second. */
const STAGES = ['Gathering sources...', 'Analyzing content...', 'Synthesizing findings...', 'Generating report...'];
type App = Parameters<typeof request>[0];
type CallSnapshot = Record<string, any>;

/** Starts the research tool as an async call; resolves with its `/api/calls/{id}`. */
async function startAsync(app: App, args: object): Promise<string> {
  return (await request(app).post(TOOL).set('Prefer', 'respond-async').send(args).expect(202)).headers.location!;
}

/** Waits until the async call at `location` is as `wanted` says; resolves with its snapshot. */
function callWhen(app: App, location: string, wanted: (call: CallSnapshot) => boolean, what: string): Promise<CallSnapshot> {
  return waitUntil(
    async () => {
      const call = (await request(app).get(location).expect(200)).body as CallSnapshot;
      return wanted(call) ? call : undefined;
    },
    20_000,
    what,
  );
}

/** Calls `path` streamed (`Accept: text/event-stream`) on the gateway at `base`; resolves with its events. */
async function streamed(base: string, path: string, args: object = {}) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify(args),
  });
  return allEvents(res);
}

/** Waits until server-everything's research loop logs that its task was cancelled under it. */
const cancelledOnServer = (supervisor: TestGateway['supervisor']) =>
  waitForStderr(supervisor, 'e', CANCELLED_ON_SERVER, 'the server to see the task cancelled');

describe('a tool that requires task execution', () => {
  it('answers a plain REST call with the task result', async () => {
    const { app } = await everything();
    const res = await request(app).post(TOOL).send({ topic: 'tides' }).expect(200);
    expect(JSON.stringify(res.body)).toContain('# Research Report: tides');
  });

  it("streams the task's status messages as progress, then the result", async () => {
    const { app } = await everything();
    const base = await listen(app);
    const events = await streamed(base, TOOL, { topic: 'tides' });
    const progress = events.filter((event) => event.event === 'progress').map((event) => JSON.parse(event.data!));
    expect(progress.map((item) => item.message)).toEqual(STAGES);
    expect(progress.map((item) => item.progress)).toEqual([1, 2, 3, 4]);
    expect(events.at(-1)!.event).toBe('result');
    expect(events.at(-1)!.data).toContain('Research Report: tides');
  });

  it("maps onto an async call: the status message is the call's progress, then the result", async () => {
    const { app } = await everything();
    const location = await startAsync(app, { topic: 'tides' });
    const running = await callWhen(app, location, (call) => Boolean(call.progress), 'progress');
    expect(running.state).toBe('running');
    expect(STAGES).toContain(running.progress.message);
    const done = await callWhen(app, location, (call) => Boolean(call.endedAt), 'the task to end');
    expect(done.state).toBe('succeeded');
    expect(JSON.stringify(done.result)).toContain('Research Report: tides');
  });

  it("shows the task's status in /api/calls/{id}, the activity list and entry, and the call's partial while it runs", async () => {
    const { app } = await everything();
    const location = await startAsync(app, { topic: 'tides' });
    const id = location.split('/').at(-1)!;
    const running = await callWhen(app, location, (call) => call.task?.statusMessage !== undefined, 'a task status message');
    expect(running.task.status).toBe('working');
    expect(STAGES).toContain(running.task.statusMessage);
    const html = async (path: string) => (await request(app).get(path).set('Accept', 'text/html').expect(200)).text;
    const shown = new RegExp(`working — (${STAGES.map((stage) => stage.replaceAll('.', '\\.')).join('|')})`);
    expect(await html('/activity')).toMatch(new RegExp(`task ${shown.source}`));
    expect(await html(`/activity/${id}`)).toMatch(shown);
    expect(await html(`/ui/calls/${id}`)).toMatch(new RegExp(`Task: ${shown.source}`));
    const done = await callWhen(app, location, (call) => Boolean(call.endedAt), 'the task to end');
    expect(done.task).toMatchObject({ status: 'completed' });
    expect(await html(`/activity/${id}`)).not.toContain('working —');
  });

  it('DELETE of the async call sends tasks/cancel: the task ends cancelled on the server', async () => {
    const { app, supervisor } = await everything();
    const location = await startAsync(app, { topic: 'tides' });
    await callWhen(app, location, (call) => Boolean(call.progress), 'the task to start');
    const cancelled = await request(app).delete(location).expect(200);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', error: { type: 'cancelled' } });
    await cancelledOnServer(supervisor);
  });

  it('a task that outlives gateway.maxTotalTimeoutMs is a 504 timeout, and is cancelled on the server', async () => {
    const { app, supervisor } = await everything({ toolTimeoutMs: 1000, maxTotalTimeoutMs: 1500 });
    const res = await request(app).post(TOOL).send({ topic: 'tides' });
    expectProblem(res, 504, 'timeout');
    expect(res.body.detail).toBe('e/simulate-research-query: the task did not end within 1500 ms; the task was cancelled');
    await cancelledOnServer(supervisor);
  });

  it("asks the task's question (input_required) as the call's question; the answer reaches the task", async () => {
    const { app } = await everything();
    const location = await startAsync(app, { topic: 'python', ambiguous: true });
    const asking = await callWhen(app, location, (call) => call.state === 'waiting_for_input', 'the task to ask');
    expect(asking.task).toMatchObject({ status: 'input_required' });
    const questionId = asking.question.id as string;
    await request(app)
      .post(`/api/questions/${questionId}`)
      .send({ action: 'accept', content: { interpretation: 'snake' } })
      .expect(200);
    const done = await callWhen(app, location, (call) => Boolean(call.endedAt), 'the task to end');
    expect(done.state).toBe('succeeded');
    expect(JSON.stringify(done.result)).toContain('Research Report: python (snake)');
    // Its status as it ended (the server tells it after the answer), not the input_required it was in.
    expect(done.task).toMatchObject({ status: 'completed' });
  });

  it('a server that dies during the task ends the call at once as gone away, not at its next poll', async () => {
    const { app, supervisor } = await everything();
    const location = await startAsync(app, { topic: 'tides' });
    await callWhen(app, location, (call) => Boolean(call.progress), 'the task to start');
    signalProcess(supervisor.get('e')!.status().pid!, 'SIGKILL');
    const done = await callWhen(app, location, (call) => Boolean(call.endedAt), 'the call to end');
    expect(done).toMatchObject({ state: 'failed', error: { type: 'upstream-error' } });
    expect(done.error.detail).toContain('the server went away during the call');
  });

  it('runs the task over streamable HTTP too, with its status messages as progress', async () => {
    const upstream = await startEverythingHttp('streamable-http');
    defer(() => upstream.stop());
    const { app } = await gateway({ h: { type: 'streamable-http', url: upstream.url } });
    const base = await listen(app);
    const events = await streamed(base, '/h/simulate-research-query', { topic: 'tides' });
    expect(events.filter((event) => event.event === 'progress').map((event) => JSON.parse(event.data!).message)).toEqual(STAGES);
    expect(events.at(-1)!.data).toContain('Research Report: tides');
  });

  it('on /mcp a client calls it without a task and gets the result (the gateway runs the task)', async () => {
    const { app } = await everything();
    const base = await listen(app);
    const client = new Client({ name: 'plain-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/e`)));
    defer(() => client.close());
    const { tools } = await client.listTools();
    const tool = tools.find((item) => item.name === 'simulate-research-query')!;
    // A client that does not take part in tasks is served the tool as one to call plainly.
    expect(tool.execution?.taskSupport).toBeUndefined();
    const result = await client.callTool({ name: 'simulate-research-query', arguments: { topic: 'tides' } });
    expect(JSON.stringify(result.content)).toContain('Research Report: tides');
  });
});

describe('tasks of a server that sends no status notifications (test/fixtures/task-server.mjs)', () => {
  const taskServer = () => gateway({ t: { command: process.execPath, args: [fixture('task-server.mjs')], maxConcurrent: 16 } });

  it('follows the task by tasks/get at its pollInterval: each status message is progress', async () => {
    const { app } = await taskServer();
    const base = await listen(app);
    const events = await streamed(base, '/t/quiet');
    const progress = events.filter((event) => event.event === 'progress').map((event) => JSON.parse(event.data!));
    expect(progress).toEqual([
      { progress: 1, message: 'step 1' },
      { progress: 2, message: 'step 2' },
    ]);
    expect(events.at(-1)).toMatchObject({ event: 'result', data: '"quiet done"' });
  });

  it('an optional-task tool: a plain call stays plain, an async call runs it as a task on the server', async () => {
    const { app } = await taskServer();
    const base = await listen(app);
    // Plain (streamed): the server runs its task inside and answers only the result, so no status reaches the call.
    const events = await streamed(base, '/t/maybe');
    expect(events.filter((event) => event.event === 'progress')).toEqual([]);
    expect(events.at(-1)).toMatchObject({ event: 'result', data: '"maybe done"' });
    // Async: a task the gateway follows: its status messages are the call's progress, its status the call's task.
    const location = (await request(app).post('/t/maybe').set('Prefer', 'respond-async').send({}).expect(202)).headers.location!;
    const running = await callWhen(app, location, (call) => call.task?.statusMessage !== undefined, 'the task status');
    expect(running.task.status).toBe('working');
    expect(['step 1', 'step 2']).toContain(running.task.statusMessage);
    const done = await callWhen(app, location, (call) => Boolean(call.endedAt), 'the task to end');
    expect(done).toMatchObject({ state: 'succeeded', result: 'maybe done', task: { status: 'completed' } });
    expect(done.progress.message).toBe('step 2');
  });

  it('runs 12 task calls at once on one server without a MaxListenersExceededWarning', async () => {
    const { app } = await taskServer();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    defer(() => void process.off('warning', onWarning));
    const answers = await Promise.all(Array.from({ length: 12 }, () => request(app).post('/t/quiet').send({})));
    expect(answers.map((res) => res.body)).toEqual(Array(12).fill('quiet done'));
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
  });

  it('a failed task is a 502 upstream-error with its status message', async () => {
    const { app } = await taskServer();
    const res = await request(app).post('/t/fail').send({});
    expectProblem(res, 502, 'upstream-error');
    expect(res.body.detail).toContain('no luck');
  });

  it('a task the server cancels ends the call cancelled', async () => {
    const { app } = await taskServer();
    const location = (await request(app).post('/t/give-up').set('Prefer', 'respond-async').send({}).expect(202)).headers.location!;
    const done = await callWhen(app, location, (call) => Boolean(call.endedAt), 'the task to end');
    expect(done).toMatchObject({ state: 'cancelled', error: { type: 'cancelled' } });
  });
});
