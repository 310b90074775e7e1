// Tools that run as tasks on a 2026-07-28 upstream (issue 18 item 7; the tasks extension,
// SEP-2663): test/fixtures/modern-tasks-server.mjs over HTTP on 127.0.0.1 decides which calls
// become tasks, for requests that declared the extension. A task-only tool (refused with -32021 to
// a plain call) is called as a task and followed with tasks/get to its inlined result: on REST as
// an async call (202 + /api/calls/{id}) or a call that waits, and for /mcp callers of both eras;
// DELETE (and running out of time) sends tasks/cancel; a failed task is a problem; an optional one
// is a task only for a caller that does not wait.
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { MAX_LOCAL_ROUNDS } from '../server/upstream/input-relay.js';
import { callKit, expectProblem } from './helpers/calls.js';
import { startHttpFixture } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';
import { answerQuestion } from './helpers/questions.js';

const kit = callKit();
const KEY = 'upstream-tasks-2026-test-key-0123';
const auth = { authorization: `Bearer ${KEY}` };
type App = Parameters<typeof request>[0];
type CallSnapshot = Record<string, any>;

async function tasksGateway(settings: object = {}, env: NodeJS.ProcessEnv = {}, serverConfig: object = {}) {
  const server = await startHttpFixture(['modern-tasks-server.mjs'], '/mcp', env);
  kit.defer(() => server.stop());
  return kit.gateway({ m: { url: server.url, protocol: '2026-07-28', ...serverConfig } }, settings, { apiKey: KEY });
}

const textOf = (result: unknown) => (result as { content: { text: string }[] }).content.map((item) => item.text).join('\n');

/** What a plain tool of the fixture answers (`cancelled-tasks`: the ids, `counts`), as REST gives it. */
async function ask(app: App, tool: string): Promise<unknown> {
  return (await request(app).post(`/m/${tool}`).set(auth).send({}).expect(200)).body;
}

/** Starts `tool` as an async call; resolves with its `/api/calls/{id}`. */
async function startAsync(app: App, tool: string, args: object): Promise<string> {
  return (await request(app).post(`/m/${tool}`).set(auth).set('Prefer', 'respond-async').send(args).expect(202)).headers.location!;
}

/** Waits until the async call at `location` is as `wanted` says; resolves with its snapshot. */
function callWhen(app: App, location: string, wanted: (call: CallSnapshot) => boolean, what: string): Promise<CallSnapshot> {
  return waitUntil(
    async () => {
      const call = (await request(app).get(location).set(auth).expect(200)).body as CallSnapshot;
      return wanted(call) ? call : undefined;
    },
    20_000,
    what,
  );
}

describe('a tool that runs as a task on a 2026-07-28 server', () => {
  it('an async REST call of a task-only tool is a 202; /api/calls/{id} shows the task, then its result', async () => {
    const { app } = await tasksGateway();
    const location = await startAsync(app, 'slow-job', { ms: 1500, label: 'tides' });
    const running = await callWhen(app, location, (call) => call.task !== undefined, 'the task status');
    expect(running).toMatchObject({ state: 'running', task: { status: 'working', statusMessage: 'working on tides' } });
    expect(running.progress).toMatchObject({ progress: 1, message: 'working on tides' });
    const done = await callWhen(app, location, (call) => Boolean(call.endedAt), 'the task to end');
    expect(done.state).toBe('succeeded');
    expect(done.task).toMatchObject({ status: 'completed' });
    expect(JSON.stringify(done.result)).toContain('done tides');
    // Followed by tasks/get at the server's pollIntervalMs (50 ms; the default would be one a second).
    expect(((await ask(app, 'counts')) as { gets: number }).gets).toBeGreaterThanOrEqual(5);
  });

  it('a REST call that waits gets the task result; the next call of the tool is sent as a task at once', async () => {
    const { app } = await tasksGateway();
    for (const label of ['first', 'second']) {
      const res = await request(app).post('/m/slow-job').set(auth).send({ ms: 100, label });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(JSON.stringify(res.body)).toContain(`done ${label}`);
    }
    // Only the first call was refused (-32021 for the extension) and sent again.
    expect(await ask(app, 'counts')).toMatchObject({ refusals: 1 });
  });

  it("a server's pollIntervalMs is capped: a task that suggests ten minutes is still seen to end within seconds", async () => {
    const { app } = await tasksGateway({}, { POLL_MS: '600000' });
    const started = Date.now();
    const res = await request(app).post('/m/slow-job').set(auth).send({ ms: 100, label: 'capped' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toBe('done capped');
    // MAX_POLL_MS (5 s) and the call's own overhead on a busy machine.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('DELETE of the async call sends tasks/cancel: the server sees it', async () => {
    const { app } = await tasksGateway();
    const location = await startAsync(app, 'slow-job', { ms: 60_000 });
    await callWhen(app, location, (call) => call.task !== undefined, 'the task to start');
    const cancelled = await request(app).delete(location).set(auth).expect(200);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', error: { type: 'cancelled' } });
    await waitUntil(async () => ((await ask(app, 'cancelled-tasks')) as string[]).length === 1, 10_000, 'tasks/cancel on the server');
  });

  it('a task that outlives gateway.maxTotalTimeoutMs is a 504 timeout, and is cancelled on the server', async () => {
    const { app } = await tasksGateway({ toolTimeoutMs: 1000, maxTotalTimeoutMs: 1500 });
    const res = await request(app).post('/m/slow-job').set(auth).send({ ms: 60_000 });
    expectProblem(res, 504, 'timeout');
    expect(res.body.detail).toContain('the task did not end within 1500 ms');
    expect(await ask(app, 'cancelled-tasks')).toHaveLength(1);
  });

  it('a failed task is a 502 upstream-error with its error', async () => {
    const { app } = await tasksGateway();
    const res = await request(app).post('/m/failing-job').set(auth).send({});
    expectProblem(res, 502, 'upstream-error');
    expect(res.body.detail).toContain('the task failed: the job broke');
  });

  it("a task's input_required question is a question card; the answer goes to the task by tasks/update", async () => {
    const { app, gateway } = await tasksGateway();
    const pending = request(app)
      .post('/m/asking-job')
      .set(auth)
      .send({})
      .then((res) => res);
    const question = await answerQuestion({ app, gateway }, auth, { name: 'Ada' });
    expect(question).toMatchObject({ server: 'm', tool: 'asking-job' });
    const res = await pending;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toBe('hello Ada');
    // Asked once, though tasks/get may show the question again until the server took the answer.
    expect(gateway.questions.list('pending')).toEqual([]);
  });

  it('an optional-task tool: a plain call stays plain, an async call runs it as a task', async () => {
    const { app } = await tasksGateway();
    const plain = await request(app).post('/m/optional-job').set(auth).send({}).expect(200);
    expect(plain.body).toBe('done plainly');
    const location = await startAsync(app, 'optional-job', {});
    const done = await callWhen(app, location, (call) => Boolean(call.endedAt), 'the task to end');
    expect(done).toMatchObject({ state: 'succeeded', task: { status: 'completed' } });
    expect(JSON.stringify(done.result)).toContain('done as a task');
  });

  it('a 2025-era /mcp client calls the task-only tool plainly and gets the result (the gateway runs the task)', async () => {
    const { app } = await tasksGateway();
    const base = await kit.listen(app);
    const client = new Client({ name: 'tasks-2025-client', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/m`), { requestInit: { headers: auth } }));
    kit.defer(() => client.close());
    const result = await client.callTool({ name: 'slow-job', arguments: { ms: 100, label: 'for 2025' } });
    expect(textOf(result)).toBe('done for 2025');
  });

  it('a 2026-07-28 /mcp client calls the task-only tool and gets the result (the gateway runs the task)', async () => {
    const { app } = await tasksGateway();
    const base = await kit.listen(app);
    const client = new ModernClient({ name: 'tasks-2026-client', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new ModernTransport(new URL(`${base}/mcp/m`), { requestInit: { headers: auth } }));
    kit.defer(() => client.close());
    const result = await client.callTool({ name: 'slow-job', arguments: { ms: 100, label: 'for 2026' } });
    expect(textOf(result)).toBe('done for 2026');
  });

  it('a task that never stops asking is given up after MAX_LOCAL_ROUNDS rounds: a 502, and tasks/get paced and bounded', async () => {
    // The gateway answers roots/list itself (configured roots): nothing but the cap stops the rounds.
    const { app } = await tasksGateway({ maxTotalTimeoutMs: 15_000 }, {}, { roots: ['/srv/data'] });
    const started = Date.now();
    const res = await request(app).post('/m/asking-forever').set(auth).send({});
    expectProblem(res, 502, 'upstream-error');
    expect(res.body.detail).toContain(`the task still required input after ${MAX_LOCAL_ROUNDS} rounds of answers`);
    const counts = (await ask(app, 'counts')) as { gets: number; updates: number };
    expect(counts.updates).toBe(MAX_LOCAL_ROUNDS);
    expect(counts.gets).toBeLessThanOrEqual(MAX_LOCAL_ROUNDS + 1);
    // A pause of at least MIN_POLL_MS (100 ms) before each tasks/get, an update's included.
    expect(Date.now() - started).toBeGreaterThanOrEqual(MAX_LOCAL_ROUNDS * 100);
    // The gateway gave up on a task the server still runs: it is cancelled there.
    expect(await ask(app, 'cancelled-tasks')).toHaveLength(1);
  });

  it('a task that completes with a malformed result is a 502 naming it, not a 500', async () => {
    const { app } = await tasksGateway();
    const res = await request(app).post('/m/malformed-job').set(auth).send({});
    expectProblem(res, 502, 'upstream-error');
    expect(res.body.detail).toContain('the server sent a malformed tool result (content:');
    // The server ended the task itself: nothing to cancel.
    expect(await ask(app, 'cancelled-tasks')).toEqual([]);
  });

  it("the server's configured headers reach the task's own requests (tasks/get)", async () => {
    const { app } = await tasksGateway({}, {}, { headers: { 'x-probe': 'probe-value' } });
    const res = await request(app).post('/m/slow-job').set(auth).send({ ms: 100, label: 'with headers' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const { probes } = (await ask(app, 'counts')) as { probes: unknown[] };
    expect(probes.length).toBeGreaterThan(0);
    expect(new Set(probes)).toEqual(new Set(['probe-value']));
  });
});
