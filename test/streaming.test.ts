// Streamed calls (`Accept: text/event-stream`) and async calls (`Prefer: respond-async`,
// `/api/calls/{id}`), against the results fixture server: event order, heartbeats, errors,
// cancellation seen by the server, and how long finished calls stay readable.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem, results } from './helpers/calls.js';
import { tempDir } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { allEvents, readSse } from './helpers/sse.js';

const { gateway, listen } = callKit();

function post(base: string, url: string, body: object, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${base}${url}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal,
  });
}

const SSE = { Accept: 'text/event-stream' };
const ASYNC = { Prefer: 'respond-async' };

function cancelLog(): { file: string; has: (word: string) => boolean } {
  const file = path.join(tempDir(), 'cancel.log');
  return { file, has: (word) => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(word) };
}

describe('streaming: Accept: text/event-stream', () => {
  it('sends log and progress events in order, then exactly one result with the mcpo body', async () => {
    const { app } = await gateway({ r: results() });
    const base = await listen(app);
    const res = await post(base, '/r/chatty', { steps: 3, everyMs: 20 }, SSE);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await allEvents(res);
    expect(events.map((e) => e.event)).toEqual(['log', 'progress', 'log', 'progress', 'log', 'progress', 'result']);
    expect(JSON.parse(events[0]!.data!)).toEqual({ level: 'info', logger: 'chatty', data: 'step 1' });
    expect(JSON.parse(events[1]!.data!)).toEqual({ progress: 1, total: 3, message: 'step 1 of 3' });
    expect(JSON.parse(events[6]!.data!)).toBe('done after 3 steps');
  });

  it('on the management surface the result event is the full result with the activity id', async () => {
    const { app } = await gateway({ r: results() });
    const base = await listen(app);
    const events = await allEvents(await post(base, '/api/tools/r/chatty', { steps: 1, everyMs: 0 }, SSE));
    const result = events.at(-1)!;
    expect(result.event).toBe('result');
    expect(JSON.parse(result.data!)).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      content: [{ type: 'text', text: 'done after 1 steps' }],
      isError: false,
      durationMs: expect.any(Number),
    });
  });

  it('ends with one error event carrying the problem: a tool error, and a timeout', async () => {
    const { app } = await gateway({ r: results() });
    const base = await listen(app);
    const failed = await allEvents(await post(base, '/r/fail', {}, SSE));
    expect(failed.map((e) => e.event)).toEqual(['error']);
    expect(JSON.parse(failed[0]!.data!)).toMatchObject({ type: 'tool-error', status: 502, detail: 'the frobnicator is out of order' });

    const timedOut = await allEvents(await post(base, '/r/wait', { ms: 60_000 }, { ...SSE, 'X-Timeout-Ms': '200' }));
    expect(timedOut.map((e) => e.event)).toEqual(['error']);
    expect(JSON.parse(timedOut[0]!.data!)).toMatchObject({ type: 'timeout', status: 504 });
  });

  it('refuses a call that fails lookup or validation with a plain problem, not a stream', async () => {
    const { app } = await gateway({ r: results() });
    expectProblem(await request(app).post('/r/order').set(SSE).send({ size: 'huge' }), 422, 'invalid-arguments');
    expectProblem(await request(app).post('/r/nope').set(SSE).send({}), 404, 'tool-not-found');
  });

  it('sends a comment heartbeat while the tool is quiet', async () => {
    const { app } = await gateway({ r: results() }, { heartbeatMs: 50 });
    const base = await listen(app);
    const items = await allEvents(await post(base, '/r/wait', { ms: 400 }, SSE), true);
    const heartbeats = items.filter((item) => item.comment === 'heartbeat');
    expect(heartbeats.length).toBeGreaterThanOrEqual(2);
    expect(items.at(-1)).toMatchObject({ event: 'result', data: '"waited 400 ms"' });
  });

  it('a client that closes the stream cancels the call upstream', async () => {
    const log = cancelLog();
    const { app } = await gateway({ r: results({ RESULTS_CANCEL_LOG: log.file }) });
    const base = await listen(app);
    const controller = new AbortController();
    const res = await post(base, '/r/wait', { ms: 60_000, everyMs: 20 }, SSE, controller.signal);
    for await (const item of readSse(res)) {
      if (item.event === 'progress') break;
    }
    controller.abort();
    await waitUntil(() => log.has('cancelled'), 5000, 'the server to see the cancellation');
  });
});

describe('async calls: Prefer: respond-async and /api/calls/{id}', () => {
  it('answers 202 with Location, reports progress while running and the result when done', async () => {
    const { app } = await gateway({ r: results() });
    const accepted = await request(app).post('/r/wait').set(ASYNC).send({ ms: 600, everyMs: 30 }).expect(202);
    expect(accepted.headers['preference-applied']).toBe('respond-async');
    expect(accepted.headers.location).toBe(`/api/calls/${accepted.body.id}`);
    expect(accepted.body).toMatchObject({ state: 'running', server: 'r', tool: 'wait', mode: 'async', progress: null });

    const location = accepted.headers.location!;
    const running = await waitUntil(
      async () => {
        const res = await request(app).get(location).expect(200);
        return res.body.progress ? res.body : undefined;
      },
      5000,
      'progress',
    );
    expect(running.state).toBe('running');
    expect(running.progress.progress).toBeGreaterThanOrEqual(1);

    const done = await waitUntil(
      async () => {
        const res = await request(app).get(location).expect(200);
        return res.body.state === 'running' ? undefined : res.body;
      },
      5000,
      'the call to end',
    );
    expect(done).toMatchObject({ state: 'succeeded', result: 'waited 600 ms', endedAt: expect.any(String) });
  });

  it('streams the same events from /api/calls/{id}/events, with the result last', async () => {
    const { app } = await gateway({ r: results() });
    const base = await listen(app);
    const accepted = await post(base, '/api/tools/r/chatty', { steps: 3, everyMs: 100 }, ASYNC);
    expect(accepted.status).toBe(202);
    const events = await allEvents(await fetch(`${base}${accepted.headers.get('location')}/events`));
    expect(events.at(-1)!.event).toBe('result');
    expect(events.filter((e) => e.event === 'result' || e.event === 'error')).toHaveLength(1);
    expect(events.some((e) => e.event === 'progress')).toBe(true);
    expect(JSON.parse(events.at(-1)!.data!)).toMatchObject({ content: [{ type: 'text', text: 'done after 3 steps' }] });
    // After the end, the events of a finished call are its final event.
    const replay = await allEvents(await fetch(`${base}${accepted.headers.get('location')}/events`));
    expect(replay.at(-1)!.event).toBe('result');
  });

  it('fans one call out to 25 subscribers of /api/calls/{id}/events without a MaxListenersExceededWarning; each gets the result', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const { app } = await gateway({ r: results() });
      const base = await listen(app);
      const accepted = await post(base, '/r/chatty', { steps: 4, everyMs: 400 }, ASYNC);
      const location = accepted.headers.get('location')!;
      // Each subscriber waits for its first event (the first progress or log), so all 25 follow the call live.
      const subscribers = await Promise.all(
        Array.from({ length: 25 }, async () => {
          const items = readSse(await fetch(`${base}${location}/events`));
          const first = await items.next();
          return { first: first.value, items };
        }),
      );
      for (const { first, items } of subscribers) {
        const events = [first!];
        for await (const item of items) if (item.event) events.push(item);
        expect(events.at(-1)).toEqual({ event: 'result', data: '"done after 4 steps"' });
      }
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('DELETE cancels the call upstream; the call reads cancelled; a second DELETE is 409', async () => {
    const log = cancelLog();
    const { app } = await gateway({ r: results({ RESULTS_CANCEL_LOG: log.file }) });
    const accepted = await request(app).post('/r/wait').set(ASYNC).send({ ms: 60_000 }).expect(202);
    await waitUntil(() => log.has('started'), 5000, 'the call to start');
    const cancelled = await request(app).delete(accepted.headers.location!).expect(200);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', error: { type: 'cancelled' } });
    await waitUntil(() => log.has('cancelled'), 5000, 'the server to see the cancellation');
    expect((await request(app).get(accepted.headers.location!).expect(200)).body.state).toBe('cancelled');
    expectProblem(await request(app).delete(accepted.headers.location!), 409, 'call-finished');
  });

  // Pipelined on one connection, the DELETEs are all read before the call can end: each waits for it.
  it('answers 12 DELETEs of one call that arrive at once, all cancelled, without a MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const log = cancelLog();
      const { app } = await gateway({ r: results({ RESULTS_CANCEL_LOG: log.file }) });
      const base = await listen(app);
      const accepted = await post(base, '/r/wait', { ms: 60_000 }, ASYNC);
      const location = accepted.headers.get('location')!;
      await waitUntil(() => log.has('started'), 5000, 'the call to start');
      const { host, port } = new URL(base);
      const head = (last: boolean) => `DELETE ${location} HTTP/1.1\r\nHost: ${host}\r\n${last ? 'Connection: close\r\n' : ''}\r\n`;
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () =>
          socket.write(Array.from({ length: 12 }, (_, i) => head(i === 11)).join('')),
        );
        let text = '';
        socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        socket.on('close', () => resolve(text)).on('error', reject);
      });
      const statuses = [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
      expect(statuses).toEqual(Array.from({ length: 12 }, () => 200));
      expect(raw.match(/"state":"cancelled"/g)).toHaveLength(12);
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('reports timed_out and failed calls with their problem', async () => {
    const { app } = await gateway({ r: results() });
    const slow = await request(app)
      .post('/r/wait')
      .set({ ...ASYNC, 'X-Timeout-Ms': '150' })
      .send({ ms: 60_000 })
      .expect(202);
    const failing = await request(app).post('/r/fail').set(ASYNC).send({}).expect(202);
    const settle = (location: string) =>
      waitUntil(
        async () => {
          const res = await request(app).get(location).expect(200);
          return res.body.state === 'running' ? undefined : res.body;
        },
        5000,
        'the call to end',
      );
    expect(await settle(slow.headers.location!)).toMatchObject({ state: 'timed_out', error: { type: 'timeout', status: 504 } });
    expect(await settle(failing.headers.location!)).toMatchObject({
      state: 'failed',
      error: { type: 'tool-error', detail: 'the frobnicator is out of order' },
    });
  });

  it('validation failures are answered at once, not accepted', async () => {
    const { app } = await gateway({ r: results() });
    expectProblem(await request(app).post('/r/order').set(ASYNC).send({}), 422, 'invalid-arguments');
  });

  it('keeps a finished async call readable for finishedCallTtlMs, then answers 404', async () => {
    const { app } = await gateway({ r: results() }, { finishedCallTtlMs: 300 });
    const accepted = await request(app).post('/r/plain_text').set(ASYNC).send({}).expect(202);
    const done = await waitUntil(
      async () => {
        const res = await request(app).get(accepted.headers.location!);
        return res.status === 200 && res.body.state === 'succeeded' ? res.body : undefined;
      },
      5000,
      'the call to end',
    );
    expect(done.result).toBe('hello there');
    await waitUntil(async () => (await request(app).get(accepted.headers.location!)).status === 404, 5000, 'the call to expire');
    expectProblem(await request(app).get(accepted.headers.location!), 404, 'call-not-found');
  });

  it('lists running calls, and DELETE cancels a plain call of another client too', async () => {
    const log = cancelLog();
    const { app } = await gateway({ r: results({ RESULTS_CANCEL_LOG: log.file }) });
    const base = await listen(app);
    const pending = post(base, '/r/wait', { ms: 60_000 });
    await waitUntil(() => log.has('started'), 5000, 'the call to start');
    const list = await request(app).get('/api/calls').expect(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ tool: 'wait', mode: 'sync', state: 'running' });
    await request(app).delete(`/api/calls/${list.body.items[0].id}`).expect(200);
    const res = await pending;
    expect(res.status).toBe(499);
    expect((await res.json()).type).toBe('cancelled');
    expect((await request(app).get('/api/calls').expect(200)).body.items).toEqual([]);
  });

  it('an unknown call id is 404 call-not-found', async () => {
    const { app } = await gateway({ r: results() });
    expectProblem(await request(app).get('/api/calls/nope'), 404, 'call-not-found');
    expectProblem(await request(app).delete('/api/calls/nope'), 404, 'call-not-found');
  });
});
