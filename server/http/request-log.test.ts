// The request id and log line of every request, over real HTTP: the request's child logger
// (`req.log`) is made only when something logs through it, with the request id either way.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ownLogLine, requestLog } from './request-log.js';

interface Served {
  lines: Record<string, unknown>[];
  children: () => number;
  get: (path: string, headers?: Record<string, string>) => Promise<{ status: number; requestId: string | undefined }>;
}

const servers: http.Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});

/** A server that runs `requestLog`, then `handle`; its logger's lines and how many children it made. */
async function serve(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Served> {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  let children = 0;
  const child = logger.child.bind(logger);
  logger.child = ((...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  }) as typeof logger.child;
  const middleware = requestLog(logger);
  const server = http.createServer((req, res) => middleware(req, res, () => handle(req, res)));
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; requestId: string | undefined }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, requestId: res.headers['x-request-id'] as string | undefined }));
        })
        .on('error', reject);
    });
  return { lines, children: () => children, get };
}

describe('requestLog', () => {
  it('makes no child logger for a request that writes its own line without req.log (a tool call)', async () => {
    const served = await serve((req, res) => {
      ownLogLine(req);
      res.end('ok');
    });
    const { status, requestId } = await served.get('/echo/echo');
    expect(status).toBe(200);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(served.children()).toBe(0);
    expect(served.lines).toEqual([]);
  });

  it('logs the generic line with the request id, without a child logger', async () => {
    const served = await serve((_req, res) => {
      res.statusCode = 204;
      res.end();
    });
    await served.get('/api/servers?x=1', { 'X-Request-Id': 'req-log-1' });
    expect(served.lines).toEqual([
      expect.objectContaining({ level: 30, reqId: 'req-log-1', method: 'GET', path: '/api/servers', status: 204, msg: 'request' }),
    ]);
    expect(served.children()).toBe(0);
  });

  it("makes req.log on first use, once, with the request id (the client's when valid, else a new one)", async () => {
    const served = await serve((req, res) => {
      req.log.warn('first');
      req.log.warn('second');
      res.end();
    });
    await served.get('/a', { 'X-Request-Id': 'req-log-2' });
    const { requestId } = await served.get('/b', { 'X-Request-Id': 'not valid!' });
    expect(served.children()).toBe(2);
    const warnings = served.lines.filter((line) => line.level === 40);
    expect(warnings.map((line) => [line.reqId, line.msg])).toEqual([
      ['req-log-2', 'first'],
      ['req-log-2', 'second'],
      [requestId, 'first'],
      [requestId, 'second'],
    ]);
    expect(requestId).not.toBe('not valid!');
  });
});
