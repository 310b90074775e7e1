// Limits that must each be a clear problem and never a crash: request body size, result size
// (a 10 MiB stdio message must not kill the transport), message size (a stdio line over the
// transport's limit is answered at once), and per-tool timeouts.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../server/logging/logger.js';
import { callKit, expectProblem, node, results } from './helpers/calls.js';
import { fixture } from './helpers/gateway.js';

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
    const under = await request(app)
      .post('/r/plain_text')
      .send({ pad: 'x'.repeat(1024 * 1024 - 100) });
    expect(under.status).toBe(200);
  });

  it('follows a configured limit', async () => {
    const { app } = await gateway({ r: results() }, { maxBodyBytes: 100 });
    expectProblem(
      await request(app)
        .post('/r/plain_text')
        .send({ pad: 'x'.repeat(200) }),
      413,
      'payload-too-large',
    );
    expect((await request(app).post('/r/plain_text').send({})).status).toBe(200);
  });
});

describe('result limit: gateway.maxResultBytes', () => {
  it('a 10 MiB result is 502 result-too-large with its size, and the same server process answers the next call', async () => {
    const { app, supervisor } = await gateway({ r: results() });
    const pid = supervisor.status('r')!.pid;
    for (const url of ['/r/huge', '/api/tools/r/huge']) {
      const res = await request(app)
        .post(url)
        .send({ bytes: 10 * 1024 * 1024 });
      expectProblem(res, 502, 'result-too-large');
      expect(res.body.size).toBeGreaterThan(10 * 1024 * 1024);
      expect(res.body.limit).toBe(4 * 1024 * 1024);
    }
    expect((await request(app).post('/r/plain_text').send({}).expect(200)).body).toBe('hello there');
    expect(supervisor.status('r')).toMatchObject({ state: 'ready', pid, restarts: 0 });
  });

  it('passes a result under the limit whole, and follows a raised limit', async () => {
    const { app } = await gateway({ r: results() }, { maxResultBytes: 12 * 1024 * 1024 });
    const res = await request(app)
      .post('/r/huge')
      .send({ bytes: 10 * 1024 * 1024 })
      .expect(200);
    expect(res.body).toHaveLength(10 * 1024 * 1024);
  });
});

describe('message limit: gateway.maxMessageBytes', () => {
  const logged = () => {
    const lines: { level: number; msg: string; bytes?: number; limit?: number }[] = [];
    return { lines, logger: createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) }) };
  };

  it('an answer over the limit with its id at the end (TypeScript SDK) is 502 result-too-large at once, logged at warn; the server stays', async () => {
    const { lines, logger } = logged();
    const { app, supervisor } = await gateway({ r: results() }, { maxMessageBytes: 65_536 }, { logger });
    const pid = supervisor.status('r')!.pid;
    // Without an answer the call would wait for its 20 s timeout and be a 504.
    const res = await request(app).post('/api/tools/r/huge').set('X-Timeout-Ms', '20000').send({ bytes: 200_000 });
    expectProblem(res, 502, 'result-too-large');
    expect(res.body.detail).toContain('gateway.maxMessageBytes');
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, server: 'r', limit: 65_536, msg: expect.stringContaining('dropped a message of more than') }),
    );
    expect((await request(app).post('/r/plain_text').send({}).expect(200)).body).toBe('hello there');
    expect(supervisor.status('r')).toMatchObject({ state: 'ready', pid, restarts: 0 });
  });

  it('an answer over the limit with its id first (pydantic) is answered before the line even ends', async () => {
    const { app } = await gateway({ p: { command: node, args: [fixture('id-first-server.mjs')] } }, { maxMessageBytes: 65_536 });
    // The server holds back the end of this line until its next request.
    const res = await request(app).post('/p/huge').set('X-Timeout-Ms', '20000').send({ bytes: 200_000 });
    expectProblem(res, 502, 'result-too-large');
    expect((await request(app).post('/p/echo').send({ message: 'still here' }).expect(200)).body).toBe('still here');
  });

  it('follows a config reload of the limit', async () => {
    const { app, gateway: running } = await gateway({ r: results() }, { maxMessageBytes: 65_536 });
    expectProblem(await request(app).post('/r/huge').send({ bytes: 100_000 }), 502, 'result-too-large');
    const config = structuredClone(running.config);
    config.gateway.maxMessageBytes = 1_000_000;
    await running.reload(config);
    expect((await request(app).post('/r/huge').send({ bytes: 100_000 }).expect(200)).body).toHaveLength(100_000);
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
