// The HTTP listener's limits with real sockets and small limits: at most gateway.maxConnections
// open connections, a connection that does not send its headers in time is closed, a request body
// that does not arrive in time is a 408 (the call never runs), a long answer is not cut, and
// changed limits apply to a running listener. A real gateway, a real MCP server.
import fs from 'node:fs';
import type { Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { applyLimits, createListener, type ListenerLimits } from '../server/http/listener.js';
import { createLogger } from '../server/logging/logger.js';
import { callKit, node } from './helpers/calls.js';
import { fixture, tempDir } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { parseResponse } from './helpers/raw-http.js';

const kit = callKit();
const silent = createLogger('silent');

async function listen(app: Parameters<typeof createListener>[0], limits: ListenerLimits): Promise<{ server: Server; port: number }> {
  const server = createListener(app, limits, silent).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  kit.defer(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { server, port: (server.address() as AddressInfo).port };
}

/** A client socket that records what it receives and when it is closed. */
async function connect(port: number): Promise<{ socket: net.Socket; received: () => Buffer; closed: () => boolean; openedAt: number }> {
  const socket = net.connect(port, '127.0.0.1');
  kit.defer(() => void socket.destroy());
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => Buffer.concat(chunks), closed: () => closed, openedAt: Date.now() };
}

const fx = (calls: string) => ({
  command: node,
  args: [fixture('fixture-server.mjs')],
  env: { FIXTURE_TOOLS: 'echo,slow', FIXTURE_CALLS_FILE: calls },
});
const LARGE = 60_000;

describe('the listener', () => {
  it('closes connections beyond maxConnections as they arrive, and takes a raised limit at once', async () => {
    const { app } = await kit.gateway({});
    const limits = { maxConnections: 2, headersTimeoutMs: LARGE, requestTimeoutMs: LARGE };
    const { server, port } = await listen(app, limits);
    const first = await connect(port);
    const second = await connect(port);
    const third = await connect(port);
    await waitUntil(() => third.closed(), 5000, 'the third connection to be closed');
    expect(third.received().length).toBe(0);
    expect(first.closed() || second.closed()).toBe(false);
    // The two open ones still work.
    first.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await waitUntil(() => first.received().includes('\r\n\r\n{'), 5000, 'the answer');
    expect(parseResponse(first.received()).status).toBe(200);

    applyLimits(server, { ...limits, maxConnections: 3 });
    const fourth = await connect(port);
    fourth.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    await waitUntil(() => fourth.closed(), 5000, 'the answer on the fourth connection');
    expect(parseResponse(fourth.received()).status).toBe(200);
  });

  it('closes a connection that does not send its headers within headersTimeoutMs, idle or trickling', async () => {
    const { app } = await kit.gateway({});
    const { port } = await listen(app, { maxConnections: 10, headersTimeoutMs: 300, requestTimeoutMs: LARGE });
    const idle = await connect(port);
    const trickling = await connect(port);
    trickling.socket.write('GET /healthz HTTP/1.1\r\n');
    const timer = setInterval(() => trickling.socket.write('X-Slow: 1\r\n'), 50);
    kit.defer(() => clearInterval(timer));
    await waitUntil(() => idle.closed() && trickling.closed(), 5000, 'both connections to be closed');
    clearInterval(timer);
    expect(Date.now() - idle.openedAt).toBeGreaterThanOrEqual(250);
    // Neither got to a route: at most the timeout's own 408.
    for (const client of [idle, trickling]) {
      const text = client.received().toString('latin1');
      expect(text === '' || text.startsWith('HTTP/1.1 408')).toBe(true);
    }
  });

  it('answers 408 to a body that does not arrive within requestTimeoutMs, and the call never runs; a long answer is not cut', async () => {
    const calls = path.join(tempDir(), 'calls');
    const { app } = await kit.gateway({ fx: fx(calls) });
    const { port } = await listen(app, { maxConnections: 10, headersTimeoutMs: 300, requestTimeoutMs: 400 });
    const slow = await connect(port);
    slow.socket.write(
      'POST /fx/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"message":',
    );
    await waitUntil(() => slow.closed(), 5000, 'the slow request to be closed');
    expect(slow.received().toString('latin1')).toMatch(/^HTTP\/1\.1 408/);
    expect(fs.existsSync(calls)).toBe(false);

    // A request sent in time may take longer than requestTimeoutMs to answer.
    const res = await request(`http://127.0.0.1:${port}`).post('/fx/slow').send({ steps: 2, delayMs: 500 });
    expect(res.status).toBe(200);
    expect(fs.readFileSync(calls, 'utf8')).toContain('slow');
  });

  it('keeps the headers timeout within the request timeout, as Node requires', async () => {
    const { app } = await kit.gateway({});
    const { server } = await listen(app, { maxConnections: 10, headersTimeoutMs: 5000, requestTimeoutMs: 1000 });
    expect(server.headersTimeout).toBe(1000);
    applyLimits(server, { maxConnections: 10, headersTimeoutMs: 200, requestTimeoutMs: 1000 });
    expect([server.headersTimeout, server.requestTimeout]).toEqual([200, 1000]);
  });
});
