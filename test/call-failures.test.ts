// How a call fails when its server misbehaves, against real servers: a listed tool whose server
// answers a JSON-RPC error (even -32601) is the server's failure, not "no such tool"; a tool of a
// server that has not listed its tools yet is "not available", not "no such tool"; and a server
// that ping marks hung fails its calls in flight at once, with the same status in every mode. A
// result that breaks the tool's own outputSchema is the server's failure too.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem, node } from './helpers/calls.js';
import { fixture, tempDir, waitForServer } from './helpers/gateway.js';
import { signalProcess } from '../server/upstream/process-table.js';
import { isAlive, waitUntil } from './helpers/process.js';
import { allEvents } from './helpers/sse.js';

const { gateway, listen, defer } = callKit();

const unruly = () => ({ command: node, args: [fixture('unruly-server.mjs')] });

/** The value of one sample line of /metrics, e.g. `mcp_gateway_tool_calls_total{server="u",…}`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const have = line.slice(name.length + 1, line.indexOf('}')).split(',');
    if (want.every((pair) => have.includes(pair))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('a JSON-RPC error answer from a listed tool', () => {
  it('-32601 (the server asked the gateway for sampling) is a 502 upstream-error titled as an answer, with the real tool in activity and metrics', async () => {
    const { app } = await gateway({ u: unruly() });
    for (const url of ['/u/needs_sampling', '/api/tools/u/needs_sampling']) {
      const res = await request(app).post(url).send({});
      expectProblem(res, 502, 'upstream-error');
      expect(res.body.title).toBe('The MCP server answered with an error');
      // The gateway refuses sampling (none configured) with -32601 and says why; this server passes that on.
      expect(res.body.detail).toBe('sampling is not configured on this gateway (see README: sampling) (JSON-RPC error -32601)');
    }
    const rows = (await request(app).get('/api/activity?server=u').expect(200)).body.items as Record<string, unknown>[];
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatchObject({ tool: 'needs_sampling', outcome: 'upstream_error', status: 502 });
    const metrics = (await request(app).get('/metrics').expect(200)).text;
    expect(sample(metrics, 'mcp_gateway_tool_calls_total', { server: 'u', tool: 'needs_sampling', outcome: 'upstream_error' })).toBe(2);
    expect(sample(metrics, 'mcp_gateway_tool_calls_total', { server: 'u', tool: '(unknown)' })).toBeUndefined();
    // The server stays up: it answered.
    expect((await request(app).get('/api/servers/u').expect(200)).body.state).toBe('ready');
  });

  it("any other JSON-RPC error is titled the same, with the server's message and code; a tool missing from the list is still 404", async () => {
    const { app } = await gateway({ u: unruly() });
    const res = await request(app).post('/u/server_error').send({});
    expectProblem(res, 502, 'upstream-error');
    expect(res.body).toMatchObject({
      title: 'The MCP server answered with an error',
      detail: 'the database is locked (JSON-RPC error -32603)',
    });
    expectProblem(await request(app).post('/u/not_listed').send({}), 404, 'tool-not-found');
  });

  it("-32099 of the server's own is upstream-error too, not the gateway's result-too-large (which uses that code)", async () => {
    const { app } = await gateway({ u: unruly() });
    const res = await request(app).post('/u/own_limit').send({});
    expectProblem(res, 502, 'upstream-error');
    expect(res.body).toMatchObject({
      title: 'The MCP server answered with an error',
      detail: 'over the quota of this account (JSON-RPC error -32099)',
    });
  });

  it('-32021 of a 2025-era server is upstream-error: the code means "missing client capability" only in 2026-07-28', async () => {
    const { app } = await gateway({ u: unruly() });
    const res = await request(app).post('/u/own_32021').send({});
    expectProblem(res, 502, 'upstream-error');
    expect(res.body).toMatchObject({ detail: 'the account is locked (JSON-RPC error -32021)' });
    expect(res.body).not.toHaveProperty('requiredCapabilities');
  });
});

describe("a result that does not fit the tool's own outputSchema", () => {
  it("is the server's failure (502 upstream-error), not the caller's arguments (422)", async () => {
    const tools = path.join(tempDir(), 'tools.json');
    // The fixture answers with its arguments as structuredContent, which this outputSchema does not allow.
    const outputSchema = { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] };
    fs.writeFileSync(tools, JSON.stringify([{ name: 'report', inputSchema: { type: 'object' }, outputSchema }]));
    const { app } = await gateway({ s: { command: node, args: [fixture('schema-server.mjs')], env: { FIXTURE_TOOLS_FILE: tools } } });
    for (const url of ['/s/report', '/api/tools/s/report']) {
      const res = await request(app).post(url).send({});
      expectProblem(res, 502, 'upstream-error');
      expect(res.body.detail).toMatch(
        /^the server's result does not match the tool's own outputSchema \(Structured content does not match/,
      );
    }
    const rows = (await request(app).get('/api/activity?server=s').expect(200)).body.items as Record<string, unknown>[];
    for (const row of rows) expect(row).toMatchObject({ tool: 'report', outcome: 'upstream_error', status: 502 });
  });
});

describe('a server that has not listed its tools yet', () => {
  it('a tool of a starting server is 503 server-unavailable with Retry-After, not 404; once ready, an unknown tool is 404', async () => {
    const { app, supervisor } = await gateway({
      // Never answers initialize: it stays `starting` for initTimeoutMs.
      mute: { command: node, args: [fixture('hang-initialize.mjs')], initTimeoutMs: 60_000, enabled: false },
      u: unruly(),
    });
    await supervisor.setEnabled('mute', true);
    await waitForServer(supervisor, 'mute', 'starting');
    const res = await request(app).post('/mute/anything').send({});
    expectProblem(res, 503, 'server-unavailable');
    expect(res.body).toMatchObject({ state: 'starting' });
    expect(res.body.detail).toContain('has not listed its tools yet');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expectProblem(await request(app).post('/u/anything').send({}), 404, 'tool-not-found');
    // A name that matched nothing yet is no metrics label.
    const metrics = (await request(app).get('/metrics').expect(200)).text;
    expect(metrics).not.toContain('anything');
    expect(sample(metrics, 'mcp_gateway_tool_calls_total', { server: 'mute', tool: '(unknown)', outcome: 'unavailable' })).toBe(1);
  });

  it('a tool of a server in backoff that never listed is 503, with why it failed', async () => {
    const { app, supervisor } = await gateway(
      { broken: { command: node, args: [fixture('crash-at-start.mjs')], enabled: false } },
      { backoffInitialMs: 5000, backoffMaxMs: 5000 },
    );
    await supervisor.setEnabled('broken', true);
    await waitForServer(supervisor, 'broken', 'backoff');
    const res = await request(app).post('/broken/anything').send({});
    expectProblem(res, 503, 'server-unavailable');
    expect(res.body.state).toBe('backoff');
    expect(res.body.detail).toContain('exited with code 3');
  });
});

describe('a server that ping marks hung', () => {
  it('fails its calls in flight at once with 502 upstream-error, the same in plain, streamed and async mode', async () => {
    // Pings every 100 ms, hung after 300 ms without an answer; the frozen process ignores SIGTERM
    // and the grace before SIGKILL is long, so nothing but the hang detection can end the calls
    // before their (long) timeout.
    const { app, supervisor } = await gateway(
      { u: unruly() },
      { pingIntervalMs: 100, pingTimeoutMs: 300, stopGraceMs: 600_000, backoffInitialMs: 600_000, backoffMaxMs: 600_000 },
    );
    const pid = supervisor.status('u')!.pid!;
    // The test ends the frozen process itself (SIGKILL), so that nothing waits for the grace.
    defer(() => {
      signalProcess(pid, 'SIGKILL');
    });
    const base = await listen(app);
    // The server freezes once all three calls have reached it.
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/u/freeze`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Timeout-Ms': '600000', ...headers },
        body: '{"calls":3}',
      });

    const accepted = await post({ Prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    const [plain, streamed] = await Promise.all([post({}), post({ Accept: 'text/event-stream' })]);

    expect(plain.status).toBe(502);
    const plainProblem = await plain.json();
    expect(plainProblem).toMatchObject({ type: 'upstream-error', status: 502, title: 'The MCP server failed to answer' });
    expect(plainProblem.detail).toContain('ping failed');

    expect(streamed.status).toBe(200);
    const events = await allEvents(streamed);
    expect(events.map((event) => event.event)).toEqual(['error']);
    expect(JSON.parse(events[0]!.data!)).toEqual(plainProblem);

    const settled = await waitUntil(
      async () => {
        const res = await request(app).get(accepted.headers.get('location')!).expect(200);
        return res.body.state === 'running' ? undefined : res.body;
      },
      10_000,
      'the async call to end',
    );
    expect(settled).toMatchObject({ state: 'failed', error: plainProblem });

    const rows = (await request(app).get('/api/activity?server=u').expect(200)).body.items as Record<string, unknown>[];
    expect(rows.map((row) => [row.mode, row.outcome, row.status]).sort()).toEqual([
      ['async', 'upstream_error', 502],
      ['stream', 'upstream_error', 502],
      ['sync', 'upstream_error', 502],
    ]);
    expect(isAlive(pid)).toBe(true); // still frozen: the calls did not wait for it to die
  });
});
