// Tool calls over both surfaces against real servers: result mapping, validation, status codes,
// timeouts with cancellation seen by the server, disconnects, overload, and all three transports.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { signalProcess } from '../server/upstream/process-table.js';
import { callKit, expectProblem, node, results } from './helpers/calls.js';
import { EVERYTHING_BIN, fixture, tempDir, waitForServer } from './helpers/gateway.js';
import { startEverythingHttp } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';

const { gateway, listen, defer } = callKit();

const FILESYSTEM_BIN = path.resolve('node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
/** A 1x1 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('the mcpo-compatible surface: POST /{server}/{tool}', () => {
  it('answers the unwrapped result of every content shape, as mcpo does', async () => {
    const { app } = await gateway({ r: results() });
    const cases: [string, unknown][] = [
      ['plain_text', 'hello there'],
      ['json_text', { answer: 42, list: [1, 2] }],
      ['image', expect.stringMatching(/^data:image\/png;base64,iVBOR/)],
      ['multi', ['first', { second: true }]],
      ['none', []],
      ['resource', 'the document'],
      ['structured', { total: 2, items: ['a', 'b'] }],
    ];
    for (const [tool, expected] of cases) {
      const res = await request(app).post(`/r/${tool}`).send({});
      expect(res.status, tool).toBe(200);
      expect(res.body, tool).toEqual(expected);
    }
    // A tool without arguments also takes an empty body.
    expect((await request(app).post('/r/plain_text')).body).toBe('hello there');
  });

  it('turns an isError result into a 502 tool-error whose detail is the tool text', async () => {
    const { app } = await gateway({ r: results() });
    const res = await request(app).post('/r/fail').send({});
    expectProblem(res, 502, 'tool-error');
    expect(res.body.detail).toBe('the frobnicator is out of order');
  });

  it('validates arguments against the input schema: 422 naming each failing field, nothing sent upstream', async () => {
    const { app } = await gateway({ r: results() });
    const res = await request(app)
      .post('/r/order')
      .send({ size: 'medium', quantity: 0, address: { street: 'Main St', zip: 'abc' }, extra: 1 });
    expectProblem(res, 422, 'invalid-arguments');
    const fields = Object.fromEntries(res.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]));
    expect(fields).toMatchObject({
      size: expect.stringContaining('"small", "large"'),
      quantity: expect.stringContaining('>= 1'),
      'address.zip': expect.stringContaining('pattern'),
    });
    expectProblem(await request(app).post('/r/order').send({ size: 'small', quantity: 1 }), 422, 'invalid-arguments');
    expectProblem(await request(app).post('/r/order').send([1, 2]), 422, 'invalid-arguments');

    const ok = await request(app)
      .post('/r/order')
      .send({ size: 'small', quantity: 2, address: { street: 'Main St', zip: '12345' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ size: 'small', quantity: 2, address: { street: 'Main St', zip: '12345' } });
  });

  it('answers an image as its bare data: URL, not the structuredContent beside it (server-filesystem read_media_file)', async () => {
    const dir = fs.realpathSync(tempDir());
    const file = path.join(dir, 'dot.png');
    fs.writeFileSync(file, Buffer.from(PNG, 'base64'));
    const { app } = await gateway({ files: { command: node, args: [FILESYSTEM_BIN, dir] } });
    // Open WebUI shows the model an image only when the whole answer is one data:image/… string.
    expect((await request(app).post('/files/read_media_file').send({ path: file }).expect(200)).body).toBe(`data:image/png;base64,${PNG}`);
    // The management surface still answers the whole result, structuredContent included.
    const full = await request(app).post('/api/tools/files/read_media_file').send({ path: file }).expect(200);
    expect(full.body.content).toEqual([{ type: 'image', data: PNG, mimeType: 'image/png' }]);
    expect(full.body.structuredContent).toEqual({ content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] });
  });

  it("fills in the default of a required property the caller left out, as Playwright's server expects, and lists it as optional", async () => {
    const dir = tempDir();
    const tools = path.join(dir, 'tools.json');
    fs.writeFileSync(
      tools,
      JSON.stringify([
        {
          name: 'browser_take_screenshot',
          description: 'As Playwright lists it: defaulted parameters are required.',
          inputSchema: {
            $schema: 'http://json-schema.org/draft-07/schema#',
            type: 'object',
            properties: {
              type: { type: 'string', enum: ['png', 'jpeg'], default: 'png' },
              scale: { type: 'string', enum: ['css', 'device'], default: 'css' },
              filename: { type: 'string' },
              clip: {
                type: 'object',
                properties: { x: { type: 'number' }, unit: { type: 'string', default: 'px' } },
                required: ['x', 'unit'],
              },
            },
            required: ['type', 'scale'],
            additionalProperties: false,
          },
        },
      ]),
    );
    const { app } = await gateway({ pw: { command: node, args: [fixture('schema-server.mjs')], env: { FIXTURE_TOOLS_FILE: tools } } });
    // The fixture answers with the arguments it received.
    const sent = async (args: object) => (await request(app).post('/pw/browser_take_screenshot').send(args).expect(200)).body.arguments;
    expect(await sent({})).toEqual({ type: 'png', scale: 'css' });
    expect(await sent({ type: 'jpeg', clip: { x: 3 } })).toEqual({ type: 'jpeg', clip: { x: 3, unit: 'px' }, scale: 'css' });
    const management = await request(app).post('/api/tools/pw/browser_take_screenshot').send({ filename: 'a.png' }).expect(200);
    expect(JSON.parse(management.body.content[0].text).arguments).toEqual({ filename: 'a.png', type: 'png', scale: 'css' });
    // A required property without a default still is.
    const missing = await request(app).post('/pw/browser_take_screenshot').send({ clip: {} });
    expectProblem(missing, 422, 'invalid-arguments');
    expect(missing.body.errors).toEqual([{ field: 'clip.x', message: 'is required' }]);

    const operation = (await request(app).get('/pw/openapi.json').expect(200)).body.paths['/browser_take_screenshot'].post;
    expect(operation.requestBody.required).toBe(false);
    expect(operation.requestBody.content['application/json'].schema.required).toBeUndefined();
    expect(operation.requestBody.content['application/json'].schema.properties.clip.required).toEqual(['x']);
  });

  it('404s unknown servers and tools, and tools hidden by disabledTools', async () => {
    const { app } = await gateway({ r: { ...results(), disabledTools: ['fail'] } });
    expectProblem(await request(app).post('/nope/plain_text').send({}), 404, 'server-not-found');
    expectProblem(await request(app).post('/r/nope').send({}), 404, 'tool-not-found');
    expectProblem(await request(app).post('/r/fail').send({}), 404, 'tool-not-found');
  });

  it("takes a trailing slash and percent-encoded names; leaves /api/… POSTs to the gateway's own routes", async () => {
    const { app } = await gateway({ r: results() });
    expect((await request(app).post('/r/plain_text/').send({}).expect(200)).body).toBe('hello there');
    expect((await request(app).post('/r/plain%5Ftext').send({}).expect(200)).body).toBe('hello there');
    expectProblem(await request(app).post('/r/%E0%A4%A').send({}), 400, 'invalid-path');
    // Not a tool call: no such gateway route (and no activity row).
    expectProblem(await request(app).post('/api/nothing').send({}), 404, 'not-found');
    expect((await request(app).get('/api/activity').expect(200)).body.items.map((row: { tool: string }) => row.tool)).toEqual([
      'plain_text',
      'plain_text',
    ]);
  });

  it('reads only JSON bodies: malformed JSON is 400, another media type is 415 with a hint', async () => {
    const { app } = await gateway({ r: results() });
    expectProblem(await request(app).post('/r/plain_text').set('Content-Type', 'application/json').send('{"a": '), 400, 'invalid-json');
    const text = await request(app).post('/r/order').set('Content-Type', 'text/plain').send('size=small');
    expectProblem(text, 415, 'unsupported-media-type');
    expect(text.body.detail).toContain('Content-Type: application/json');
    // An empty JSON body is `{}`.
    expect((await request(app).post('/r/plain_text').set('Content-Type', 'application/json').send('')).status).toBe(200);
  });
});

describe('the management surface: POST /api/tools/{server}/{tool}', () => {
  it('returns the full MCP result with durationMs and an id, also for an isError result', async () => {
    const { app } = await gateway({ r: results() });
    const ok = await request(app).post('/api/tools/r/structured').send({}).expect(200);
    expect(ok.body).toMatchObject({
      content: [{ type: 'text', text: 'total 2' }],
      structuredContent: { total: 2, items: ['a', 'b'] },
      isError: false,
    });
    expect(ok.body.durationMs).toBeGreaterThanOrEqual(0);
    expect(ok.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const failed = await request(app).post('/api/tools/r/fail').send({}).expect(200);
    expect(failed.body).toMatchObject({ isError: true, content: [{ type: 'text', text: 'the frobnicator is out of order' }] });
  });
});

describe('availability', () => {
  it('a disabled server is 503 without Retry-After; one in backoff is 503 with Retry-After', async () => {
    const { app, supervisor } = await gateway(
      { f: { command: node, args: [fixture('fixture-server.mjs')] }, off: { ...results(), enabled: false } },
      { backoffInitialMs: 5000, backoffMaxMs: 5000 },
    );
    const disabled = await request(app).post('/off/plain_text').send({});
    expectProblem(disabled, 503, 'server-unavailable');
    expect(disabled.headers['retry-after']).toBeUndefined();

    expect(signalProcess(supervisor.status('f')!.pid!, 'SIGKILL')).toBe(true);
    await waitForServer(supervisor, 'f', 'backoff');
    const down = await request(app).post('/f/echo').send({ message: 'hi' });
    expectProblem(down, 503, 'server-unavailable');
    expect(Number(down.headers['retry-after'])).toBeGreaterThanOrEqual(4);
    expect(down.body.detail).toContain('SIGKILL');
  });

  it('a server that crashes mid-call answers 502 upstream-error at once, not after the timeout', async () => {
    const { app, supervisor } = await gateway({ f: { command: node, args: [fixture('fixture-server.mjs')] } });
    const started = Date.now();
    const res = await request(app).post('/f/crash').set('X-Timeout-Ms', '30000').send({});
    expectProblem(res, 502, 'upstream-error');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(res.body.detail).toContain('went away');
    await waitForServer(supervisor, 'f', 'ready'); // and it comes back
    expect((await request(app).post('/f/echo').send({ message: 'again' })).body).toBe('again');
  });
});

describe('timeouts and cancellation', () => {
  it('times out with 504 and cancels the call upstream', async () => {
    const log = path.join(tempDir(), 'cancel.log');
    const { app } = await gateway({ r: results({ RESULTS_CANCEL_LOG: log }) });
    const res = await request(app).post('/r/wait').set('X-Timeout-Ms', '300').send({ ms: 60_000 });
    expectProblem(res, 504, 'timeout');
    await waitUntil(
      () => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('cancelled'),
      5000,
      'the server to see the cancellation',
    );
  });

  it('progress resets the timeout', async () => {
    const { app } = await gateway({ r: results() });
    const res = await request(app).post('/r/wait').set('X-Timeout-Ms', '400').send({ ms: 1200, everyMs: 100 });
    expect(res.status).toBe(200);
    expect(res.body).toBe('waited 1200 ms');
  });

  it('the server-level timeoutMs applies without a header', async () => {
    const { app } = await gateway({ r: { ...results(), timeoutMs: 200 } });
    expectProblem(await request(app).post('/r/wait').send({ ms: 60_000 }), 504, 'timeout');
  });

  it('rejects an X-Timeout-Ms that is not a number or above maxTimeoutMs, naming the header', async () => {
    const { app } = await gateway({ r: results() }, { maxTimeoutMs: 1000 });
    for (const value of ['soon', '0', '1001']) {
      const res = await request(app).post('/r/plain_text').set('X-Timeout-Ms', value).send({});
      expectProblem(res, 422, 'invalid-request');
      expect(res.body.errors[0].field).toBe('X-Timeout-Ms');
    }
  });

  it('a caller that disconnects cancels the call upstream', async () => {
    const log = path.join(tempDir(), 'cancel.log');
    const { app } = await gateway({ r: results({ RESULTS_CANCEL_LOG: log }) });
    const base = await listen(app);
    const controller = new AbortController();
    const pending = fetch(`${base}/r/wait`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ms: 60_000 }),
      signal: controller.signal,
    }).catch((error: Error) => error);
    await waitUntil(() => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('started'), 5000, 'the call to start');
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await waitUntil(() => fs.readFileSync(log, 'utf8').includes('cancelled'), 5000, 'the server to see the cancellation');
  });
});

describe('limits', () => {
  it('beyond maxConcurrent + maxQueue a call is 503 overloaded with Retry-After, while another server still answers', async () => {
    const log = path.join(tempDir(), 'cancel.log');
    const { app } = await gateway({
      busy: { ...results({ RESULTS_CANCEL_LOG: log }), maxConcurrent: 1, maxQueue: 1 },
      other: results(),
    });
    const base = await listen(app);
    const post = (url: string, body: object) =>
      fetch(`${base}${url}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

    const running = post('/busy/wait', { ms: 1500 });
    await waitUntil(() => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('started'), 5000, 'the first call to run');
    const queued = post('/busy/wait', { ms: 10 });
    const refused = await waitUntil(
      async () => {
        const res = await post('/busy/plain_text', {});
        return res.status === 503 ? res : undefined;
      },
      5000,
      'a refusal',
    );
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await refused.json()).type).toBe('overloaded');
    const other = await post('/other/plain_text', {});
    expect(other.status).toBe(200);
    expect((await running).status).toBe(200);
    expect((await queued).status).toBe(200);
  });

  it('a queued call whose caller goes away leaves the queue: it reads cancelled, and its place is free for the next', async () => {
    const log = path.join(tempDir(), 'cancel.log');
    const { app } = await gateway({ busy: { ...results({ RESULTS_CANCEL_LOG: log }), maxConcurrent: 1, maxQueue: 1 } });
    const base = await listen(app);
    const post = (body: object, headers: Record<string, string> = {}) =>
      fetch(`${base}/busy/wait`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const running = post({ ms: 60_000 }, { Prefer: 'respond-async' });
    await waitUntil(() => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('started'), 5000, 'the first call to run');
    const queued = await post({ ms: 10 }, { Prefer: 'respond-async' });
    expect(queued.status).toBe(202);
    const location = queued.headers.get('location')!;
    expect((await request(app).delete(location).expect(200)).body).toMatchObject({ state: 'cancelled' });
    const read = await request(app).get(location).expect(200);
    expect(read.body.error).toMatchObject({ type: 'cancelled', detail: 'the call was cancelled while it waited for a slot' });
    // Its place in the queue is free: another call queues instead of being refused.
    const next = await post({ ms: 10 }, { Prefer: 'respond-async' });
    expect(next.status).toBe(202);
    await request(app)
      .delete((await running).headers.get('location')!)
      .expect(200);
    await waitUntil(() => fs.readFileSync(log, 'utf8').includes('cancelled'), 5000, 'the server to see the running call cancelled');
    await waitUntil(
      async () => (await request(app).get(next.headers.get('location')!)).body.state === 'succeeded',
      5000,
      'the next call to run',
    );
  });
});

describe('server-everything over every transport', () => {
  for (const mode of ['stdio', 'sse', 'streamable-http'] as const) {
    it(`calls echo and get-sum over ${mode} on both surfaces`, async () => {
      let spec: object;
      if (mode === 'stdio') spec = { command: node, args: [EVERYTHING_BIN, 'stdio'] };
      else {
        const http = await startEverythingHttp(mode);
        defer(() => http.stop());
        spec = { type: mode, url: http.url };
      }
      const { app } = await gateway({ everything: spec });
      const echo = await request(app).post('/everything/echo').send({ message: 'über ✓' }).expect(200);
      expect(echo.body).toBe('Echo: über ✓');
      const sum = await request(app).post('/api/tools/everything/get-sum').send({ a: 2, b: 3 }).expect(200);
      expect(JSON.stringify(sum.body.content)).toContain('5');
      expectProblem(await request(app).post('/everything/get-sum').send({ a: 'two' }), 422, 'invalid-arguments');
    });
  }
});
