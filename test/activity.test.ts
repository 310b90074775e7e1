// The activity log end to end: one row per call on either surface with its outcome and status,
// secrets redacted before they reach the SQLite file, paging over HTTP, `interrupted` rows after
// a killed gateway, one log line per call without argument values; and the Prometheus metrics.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem, node, results } from './helpers/calls.js';
import { startCli } from './helpers/cli.js';
import { fixture, startTestGateway, tempDir, waitForServer } from './helpers/gateway.js';
import { signalGroup, signalProcess } from '../server/upstream/process-table.js';
import { waitUntil } from './helpers/process.js';

const { gateway, listen, defer } = callKit();

const fixtureServer = () => ({ command: node, args: [fixture('fixture-server.mjs')] });

/** The built gateway as a process, with the results server as `r`; stopped after the test. */
async function startResultsCli() {
  const stateDir = tempDir();
  const config = path.join(stateDir, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({ approval: { default: 'allow' }, gateway: { pingIntervalMs: 0 }, mcpServers: { r: results() } }),
  );
  const cli = await startCli(['--config', config, '--state-dir', stateDir]);
  defer(async () => {
    if (cli.child.exitCode === null) await cli.stop();
  });
  return { cli, stateDir };
}

describe('activity log', () => {
  it('records every call on both surfaces with its outcome and status; the management id is the activity id', async () => {
    const { app } = await gateway({
      r: { ...results(), maxConcurrent: 1, maxQueue: 0 },
      f: fixtureServer(),
      off: { ...results(), enabled: false },
    });
    const base = await listen(app);
    const ok = await request(app).post('/api/tools/r/plain_text').send({}).expect(200);
    await request(app).post('/r/fail').send({}).expect(502);
    await request(app).post('/api/tools/r/fail').send({}).expect(200);
    await request(app).post('/r/order').send({ size: 'huge' }).expect(422);
    await request(app).post('/r/wait').set('X-Timeout-Ms', '100').send({ ms: 60_000 }).expect(504);
    await request(app).post('/r/nope').send({}).expect(404);
    await request(app).post('/off/plain_text').send({}).expect(503);
    await request(app).post('/f/crash').send({}).expect(502);
    // Overload: one call runs, none may queue.
    const running = fetch(`${base}/r/wait`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"ms":300}' });
    await waitUntil(async () => (await request(app).get('/api/calls')).body.items.length === 1, 5000, 'the call to run');
    await request(app).post('/r/plain_text').send({}).expect(503);
    expect((await running).status).toBe(200);

    const rows = (await request(app).get('/api/activity?limit=50').expect(200)).body.items as Record<string, unknown>[];
    expect(rows.map((row) => [row.tool, row.surface, row.outcome, row.status])).toEqual([
      ['plain_text', 'mcpo', 'rejected', 503],
      ['wait', 'mcpo', 'ok', 200],
      ['crash', 'mcpo', 'upstream_error', 502],
      ['plain_text', 'mcpo', 'unavailable', 503],
      ['nope', 'mcpo', 'unavailable', 404],
      ['wait', 'mcpo', 'timeout', 504],
      ['order', 'mcpo', 'invalid_arguments', 422],
      ['fail', 'api', 'tool_error', 200],
      ['fail', 'mcpo', 'tool_error', 502],
      ['plain_text', 'api', 'ok', 200],
    ]);
    const entry = (await request(app).get(`/api/activity/${ok.body.id}`).expect(200)).body;
    expect(entry).toMatchObject({
      id: ok.body.id,
      server: 'r',
      tool: 'plain_text',
      caller: 'anonymous',
      mode: 'sync',
      outcome: 'ok',
      status: 200,
      arguments: {},
      resultBytes: expect.any(Number),
      endedAt: expect.any(String),
    });
    expect(entry.preview).toContain('hello there');
    expect(entry.durationMs).toBeGreaterThan(0);
    const failed = rows.find((row) => row.outcome === 'tool_error' && row.surface === 'mcpo')!;
    expect(failed.error).toBe('the frobnicator is out of order');
    expectProblem(await request(app).get('/api/activity/nope'), 404, 'activity-not-found');
  });

  it('records a cancelled call, filters by server, tool and outcome, and pages newest first with a cursor', async () => {
    const { app } = await gateway({ a: results(), b: results() });
    for (let i = 0; i < 3; i++) await request(app).post('/a/plain_text').send({}).expect(200);
    await request(app).post('/b/plain_text').send({}).expect(200);
    const accepted = await request(app).post('/b/wait').set('Prefer', 'respond-async').send({ ms: 60_000 }).expect(202);
    await request(app).delete(accepted.headers.location!).expect(200);

    const cancelled = (await request(app).get('/api/activity?outcome=cancelled').expect(200)).body.items;
    expect(cancelled).toMatchObject([{ id: accepted.body.id, mode: 'async', outcome: 'cancelled', status: 499 }]);
    expect((await request(app).get('/api/activity?server=a').expect(200)).body.items).toHaveLength(3);
    expect((await request(app).get('/api/activity?server=b&tool=plain_text').expect(200)).body.items).toHaveLength(1);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(app)
        .get('/api/activity')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .expect(200);
      seen.push(...page.body.items.map((row: { id: string }) => row.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect(seen[0]).toBe(accepted.body.id);
    expectProblem(await request(app).get('/api/activity?limit=0'), 422, 'invalid-request');
  });

  it('redacts secret-looking arguments before they reach the database file, and names the API key caller', async () => {
    const { app, gateway: gw, stateDir } = await gateway({ r: results() }, {}, { apiKey: 'k3y-for-tests' });
    const res = await request(app)
      .post('/api/tools/r/plain_text')
      .set('Authorization', 'Bearer k3y-for-tests')
      .send({ query: 'weather', password: 'hunter2-SECRET', nested: { apiKey: 'sk-SECRET-1', list: [{ token: 'tok-SECRET-2' }] } })
      .expect(200);
    const entry = (await request(app).get(`/api/activity/${res.body.id}`).set('Authorization', 'Bearer k3y-for-tests').expect(200)).body;
    expect(entry.caller).toBe('api-key');
    expect(entry.arguments).toEqual({
      query: 'weather',
      password: '[redacted]',
      nested: { apiKey: '[redacted]', list: [{ token: '[redacted]' }] },
    });
    gw.activity.flush();
    for (const file of fs.readdirSync(stateDir).filter((name) => name.startsWith('gateway.db'))) {
      expect(fs.readFileSync(path.join(stateDir, file)).includes('SECRET')).toBe(false);
    }
  });

  it('marks calls that were running when the gateway was killed as interrupted at the next start', async () => {
    const { cli, stateDir } = await startResultsCli();
    const status = await waitUntil(
      async () => {
        const res = await fetch(`${cli.url}/api/servers/r`);
        const body = (await res.json()) as { state: string; pid?: number };
        return body.state === 'ready' ? body : undefined;
      },
      15_000,
      'the server to be ready',
    );
    // A SIGKILLed gateway cannot stop its servers; this test does.
    defer(() => {
      if (status.pid) signalGroup(status.pid, 'SIGKILL');
    });
    const accepted = await fetch(`${cli.url}/r/wait`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Prefer: 'respond-async' },
      body: JSON.stringify({ ms: 60_000 }),
    });
    const { id } = (await accepted.json()) as { id: string };
    // Reading the row writes it (and proves it is on disk) before the gateway dies.
    const row = (await (await fetch(`${cli.url}/api/activity/${id}`)).json()) as { outcome: string };
    expect(row.outcome).toBe('running');
    await cli.stop('SIGKILL');

    const restarted = await startTestGateway(
      { approval: { default: 'allow' }, gateway: { pingIntervalMs: 0 }, mcpServers: {} },
      { stateDir },
    );
    defer(() => restarted.close());
    const entry = (await request(restarted.app).get(`/api/activity/${id}`).expect(200)).body;
    expect(entry).toMatchObject({ id, tool: 'wait', outcome: 'interrupted', endedAt: null });
  });

  it('logs one line per call with request id, outcome and duration, never the argument values', async () => {
    const { cli } = await startResultsCli();
    await cli.waitForLog((line) => line.msg === 'server r: ready');
    const res = await fetch(`${cli.url}/r/plain_text`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'req-activity-1' },
      body: JSON.stringify({ password: 'hunter2-SECRET', text: 'VISIBLE-NOWHERE' }),
    });
    expect(res.status).toBe(200);
    const line = await cli.waitForLog((entry) => entry.msg === 'tool call');
    expect(line).toMatchObject({ reqId: 'req-activity-1', server: 'r', tool: 'plain_text', outcome: 'ok', status: 200 });
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(cli.logs.filter((entry) => entry.msg === 'tool call')).toHaveLength(1);
    const all = JSON.stringify(cli.logs);
    expect(all).not.toContain('SECRET');
    expect(all).not.toContain('VISIBLE-NOWHERE');
  });
});

describe('metrics: GET /metrics', () => {
  /** The value of one sample line, e.g. `mcp_gateway_tool_calls_total{server="r",…}`; undefined when absent. */
  function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
    const want = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      const inside = line.slice(name.length + 1, line.indexOf('}'));
      const have = inside.split(',');
      if (want.every((pair) => have.includes(pair))) return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return undefined;
  }

  it('counts calls by outcome, observes latency, and shows in-flight calls, server state and restarts', async () => {
    const { app, supervisor } = await gateway({ r: results(), f: fixtureServer() });
    const base = await listen(app);
    await request(app).post('/r/plain_text').send({}).expect(200);
    await request(app).post('/r/plain_text').send({}).expect(200);
    await request(app).post('/r/fail').send({}).expect(502);
    await request(app).post('/r/no-such-tool').send({}).expect(404);
    await request(app).post('/no-such-server/x').send({}).expect(404);

    const running = fetch(`${base}/r/wait`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"ms":400}' });
    const during = await waitUntil(
      async () => {
        const text = (await request(app).get('/metrics').expect(200)).text;
        return sample(text, 'mcp_gateway_calls_in_flight', { server: 'r' }) === 1 ? text : undefined;
      },
      5000,
      'the in-flight gauge',
    );
    expect(sample(during, 'mcp_gateway_calls_queued', { server: 'r' })).toBe(0);
    await running;

    expect(signalProcess(supervisor.status('f')!.pid!, 'SIGKILL')).toBe(true);
    await waitForServer(supervisor, 'f', (status) => status.state === 'ready' && status.restarts === 1);

    const res = await request(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(sample(text, 'mcp_gateway_tool_calls_total', { server: 'r', tool: 'plain_text', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'mcp_gateway_tool_calls_total', { server: 'r', tool: 'fail', outcome: 'tool_error' })).toBe(1);
    expect(sample(text, 'mcp_gateway_tool_calls_total', { server: 'r', tool: 'wait', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'mcp_gateway_tool_call_duration_seconds_count', { server: 'r', tool: 'plain_text' })).toBe(2);
    expect(sample(text, 'mcp_gateway_tool_call_duration_seconds_bucket', { server: 'r', tool: 'wait', le: '0.1' })).toBe(0);
    expect(sample(text, 'mcp_gateway_tool_call_duration_seconds_bucket', { server: 'r', tool: 'wait', le: '1' })).toBe(1);
    expect(sample(text, 'mcp_gateway_calls_in_flight', { server: 'r' })).toBe(0);
    // Names that match nothing share one series, so callers cannot mint new ones.
    expect(sample(text, 'mcp_gateway_tool_calls_total', { server: 'r', tool: '(unknown)', outcome: 'unavailable' })).toBe(1);
    expect(sample(text, 'mcp_gateway_tool_calls_total', { server: '(unknown)', tool: '(unknown)', outcome: 'unavailable' })).toBe(1);
    expect(text).not.toContain('no-such');
    expect(sample(text, 'mcp_gateway_server_state', { server: 'r', state: 'ready' })).toBe(1);
    expect(sample(text, 'mcp_gateway_server_state', { server: 'r', state: 'backoff' })).toBe(0);
    expect(sample(text, 'mcp_gateway_server_restarts_total', { server: 'f' })).toBe(1);
    expect(text).toContain('# TYPE mcp_gateway_server_restarts_total counter');
  });

  it('needs the API key like the rest of the API', async () => {
    const { app } = await gateway({ r: results() }, {}, { apiKey: 'metrics-key' });
    expectProblem(await request(app).get('/metrics'), 401, 'unauthorized');
    await request(app).get('/metrics').set('Authorization', 'Bearer metrics-key').expect(200);
  });
});
