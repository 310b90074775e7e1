// The gateway when the machine runs short: no file descriptors left (the real CLI under a lowered
// `RLIMIT_NOFILE`, set with util-linux `prlimit` on the running process), and a full disk (the
// state database limited with `PRAGMA max_page_count`, so that SQLite answers SQLITE_FULL for real).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { ReadySchema } from '../server/http/api-schemas.js';
import { createLogger } from '../server/logging/logger.js';
import { startCli, type RunningGateway } from './helpers/cli.js';
import { FAST, fixture, startTestGateway, tempDir, waitForServer, type TestGateway } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';

const running: RunningGateway[] = [];
const agents: http.Agent[] = [];
const gateways: TestGateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close();
  for (const agent of agents.splice(0)) agent.destroy();
  for (const gateway of running.splice(0)) await gateway.stop('SIGKILL');
});

/**
 * A client that keeps one connection open, so that it still reaches a gateway that cannot accept
 * new connections (every descriptor in use).
 */
function keptAliveClient(base: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return (method: string, url: string) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = http.request(new URL(url, base), { method, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
      });
      req.on('error', reject);
      req.end();
    });
}

/** The soft `RLIMIT_NOFILE` of a process. */
function softNofile(pid: number): number {
  const line = fs
    .readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((row) => row.startsWith('Max open files'))!;
  return Number(line.split(/\s+/)[3]);
}

describe('out of file descriptors', () => {
  it('a spawn that fails with EMFILE is a server failure with backoff, the gateway keeps answering, and it recovers', async () => {
    const dir = tempDir();
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        approval: { default: 'allow' },
        gateway: FAST,
        mcpServers: { busy: { command: process.execPath, args: [fixture('fixture-server.mjs')] } },
      }),
    );
    const gateway = await startCli(['-c', config, '--state-dir', dir]);
    running.push(gateway);
    const pid = gateway.child.pid!;
    const api = keptAliveClient(gateway.url);
    await waitUntil(async () => (await api('GET', '/api/servers/busy')).body.state === 'ready', 15_000, 'the server to be ready');

    // From now on the gateway can open no descriptor at all; the connection above stays usable.
    const limit = softNofile(pid);
    execFileSync('prlimit', ['--pid', String(pid), '--nofile=3:']);
    expect((await api('POST', '/api/servers/busy/restart')).status).toBe(202);
    const failed = await waitUntil(
      async () => {
        const { body } = await api('GET', '/api/servers/busy');
        return body.lastError && (body.state === 'backoff' || body.state === 'error') ? body : undefined;
      },
      15_000,
      'the failed start',
    );
    expect(failed.lastError.message).toContain('EMFILE');
    expect(failed.consecutiveFailures).toBeGreaterThanOrEqual(1);

    // Still alive and answering, and still failing the same way while nothing is free.
    expect(gateway.child.exitCode).toBeNull();
    expect((await api('GET', '/healthz')).status).toBe(200);
    expect((await api('GET', '/readyz')).body).toMatchObject({
      status: 503,
      servers: [{ name: 'busy', lastError: expect.stringContaining('EMFILE') }],
    });

    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit}:`]);
    await waitUntil(async () => (await api('GET', '/api/servers/busy')).body.state === 'ready', 15_000, 'the server to recover');
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200); // a new connection is accepted again
    expect(gateway.child.exitCode).toBeNull();
  });
});

describe('a full disk', () => {
  it('tool calls go on; /readyz says degraded, the metrics count failures and the queue, one error line; all is written once there is room', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
    const started = await startTestGateway(
      {
        approval: { default: 'allow' },
        gateway: FAST,
        mcpServers: { echo: { command: process.execPath, args: [fixture('fixture-server.mjs')] } },
      },
      { logger },
    );
    gateways.push(started);
    const { app, gateway } = started;
    await waitForServer(started.supervisor, 'echo', 'ready');
    const { db } = gateway;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);

    const big = 'x'.repeat(3000); // a page per row: the first calls fill what room is left
    for (let i = 0; i < 20; i++) {
      expect(
        (
          await request(app)
            .post('/echo/echo')
            .send({ message: `${i} ${big}` })
        ).status,
      ).toBe(200);
    }
    await waitUntil(() => gateway.activity.health().state === 'failing', 5000, 'the activity log to fail');
    const ready = await request(app).get('/readyz').expect(200);
    expect(ready.body).toMatchObject({
      status: 'degraded',
      servers: 1,
      activityLog: { state: 'failing', queued: expect.any(Number), dropped: 0 },
    });
    expect(ReadySchema.safeParse(ready.body).success).toBe(true);
    expect(ready.body.activityLog.error).toMatch(/gateway\.db: the disk .* is full; free some space/);
    const metrics = (await request(app).get('/metrics').expect(200)).text;
    expect(Number(/^mcp_gateway_activity_write_failures_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(Number(/^mcp_gateway_activity_queue_depth (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/^mcp_gateway_activity_dropped_total 0$/m);
    const failures = lines.filter((line) => line.level >= 50);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.msg).toContain('activity log cannot be written');

    db.pragma('max_page_count = 1000000');
    await waitUntil(() => gateway.activity.health().state === 'ok', 10_000, 'the retry to write the backlog');
    expect((await request(app).get('/readyz').expect(200)).body).toEqual({ status: 'ready', servers: 1 });
    const page = (await request(app).get('/api/activity?limit=50').expect(200)).body;
    expect(page.items).toHaveLength(20);
    expect(page.items.every((item: { outcome: string }) => item.outcome === 'ok')).toBe(true);
    expect(lines.filter((line) => line.level >= 50)).toHaveLength(1); // retries logged nothing more
  });
});
