/** A kit for tool-call tests: gateways and listeners that are closed after each test, and problem checks. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterEach, expect } from 'vitest';
import { FAST, fixture, startTestGateway, waitForServer, type TestGateway, type TestGatewayOptions } from './gateway.js';

export const node = process.execPath;

/** The results fixture server (every result shape, `wait`, `huge`, `chatty`). */
export const results = (env: Record<string, string> = {}) => ({ command: node, args: [fixture('results-server.mjs')], env });

export function expectProblem(res: request.Response, status: number, type: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type, status });
}

/** Makes a key (as `adminKey`) through `POST /api/keys` with `tools:call` and `tools:read`; resolves with its token. */
export async function makeCallerKey(app: Parameters<typeof request>[0], adminKey: string, label: string): Promise<string> {
  const res = await request(app)
    .post('/api/keys')
    .set('Authorization', `Bearer ${adminKey}`)
    .send({ label, scopes: ['tools:call', 'tools:read'] });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.token as string;
}

export interface CallKit {
  /** Starts a gateway with these servers and waits until the enabled ones are ready. */
  gateway(servers: Record<string, object>, settings?: object, options?: TestGatewayOptions): Promise<TestGateway>;
  /** Serves `app` on a free loopback port until the test ends; resolves with its base URL. */
  listen(app: TestGateway['app']): Promise<string>;
  /** Runs `cleanup` after the test (last registered, first run). */
  defer(cleanup: () => Promise<void> | void): void;
}

/** Call once at the top of a test file. */
export function callKit(): CallKit {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    async gateway(servers, settings = {}, options = {}) {
      // Tests say which approval policy they assume: by default, every call runs.
      const approval = options.approval ?? { default: 'allow' };
      const started = await startTestGateway({ approval, gateway: { ...FAST, ...settings }, mcpServers: servers }, options);
      cleanups.push(() => started.close());
      for (const name of Object.keys(servers)) {
        if ((servers[name] as { enabled?: boolean }).enabled !== false) await waitForServer(started.supervisor, name, 'ready');
      }
      return started;
    },
    async listen(app) {
      const server = http.createServer(app).listen(0, '127.0.0.1');
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      );
      await new Promise((resolve) => server.once('listening', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    defer(cleanup) {
      cleanups.push(cleanup);
    },
  };
}
