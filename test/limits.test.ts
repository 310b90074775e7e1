// Limits that must each be a clear problem and never a crash: request body size, result size
// (a 10 MiB stdio message must not kill the transport), and per-tool timeouts.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem, results } from './helpers/calls.js';

const { gateway } = callKit();

describe('request body limit: gateway.maxBodyBytes', () => {
  it('answers 413 payload-too-large above the default 1 MiB, on both surfaces', async () => {
    const { app } = await gateway({ r: results() });
    const big = { notes: 'x'.repeat(1024 * 1024) };
    for (const url of ['/r/order', '/api/tools/r/order']) {
      const res = await request(app).post(url).send(big);
      expectProblem(res, 413, 'payload-too-large');
      expect(res.body).toMatchObject({ limit: 1048576 });
      expect(res.body.detail).toContain('gateway.maxBodyBytes');
    }
    // Just under the limit is read (and then judged on its arguments).
    const under = await request(app).post('/r/plain_text').send({ pad: 'x'.repeat(1024 * 1024 - 100) });
    expect(under.status).toBe(200);
  });

  it('follows a configured limit', async () => {
    const { app } = await gateway({ r: results() }, { maxBodyBytes: 100 });
    expectProblem(await request(app).post('/r/plain_text').send({ pad: 'x'.repeat(200) }), 413, 'payload-too-large');
    expect((await request(app).post('/r/plain_text').send({})).status).toBe(200);
  });
});

describe('result limit: gateway.maxResultBytes', () => {
  it('a 10 MiB result is 502 result-too-large with its size, and the same server process answers the next call', async () => {
    const { app, supervisor } = await gateway({ r: results() });
    const pid = supervisor.status('r')!.pid;
    for (const url of ['/r/huge', '/api/tools/r/huge']) {
      const res = await request(app).post(url).send({ bytes: 10 * 1024 * 1024 });
      expectProblem(res, 502, 'result-too-large');
      expect(res.body.size).toBeGreaterThan(10 * 1024 * 1024);
      expect(res.body.limit).toBe(4 * 1024 * 1024);
    }
    expect((await request(app).post('/r/plain_text').send({}).expect(200)).body).toBe('hello there');
    expect(supervisor.status('r')).toMatchObject({ state: 'ready', pid, restarts: 0 });
  });

  it('passes a result under the limit whole, and follows a raised limit', async () => {
    const { app } = await gateway({ r: results() }, { maxResultBytes: 12 * 1024 * 1024 });
    const res = await request(app).post('/r/huge').send({ bytes: 10 * 1024 * 1024 }).expect(200);
    expect(res.body).toHaveLength(10 * 1024 * 1024);
  });
});

describe('per-tool timeouts: toolTimeouts', () => {
  it('a tool timeout wins over the server timeout, and X-Timeout-Ms wins over both', async () => {
    const { app } = await gateway({ r: { ...results(), timeoutMs: 30_000, toolTimeouts: { wait: 200 } } });
    const res = await request(app).post('/r/wait').send({ ms: 60_000 });
    expectProblem(res, 504, 'timeout');
    expect(res.body.detail).toContain('200 ms');
    expect((await request(app).post('/r/wait').set('X-Timeout-Ms', '5000').send({ ms: 400 })).body).toBe('waited 400 ms');
    // Other tools keep the server's timeout.
    expect((await request(app).post('/r/plain_text').send({})).status).toBe(200);
  });
});
