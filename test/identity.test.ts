// Identities and scopes: API keys made through /api/keys (shown once, stored as hashes, revoked
// at once), the scope each route family needs, UI sign-in with an admin key, the failure limit
// per address, and the Tailscale header that grants nothing. A real gateway, real MCP servers,
// a real SQLite file.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../server/logging/logger.js';
import { callKit, expectProblem, node } from './helpers/calls.js';
import { fixture } from './helpers/gateway.js';
import { rawRequest } from './helpers/raw-http.js';

const KEY = 'identity-test-start-up-key-0123';
const fx = () => ({ command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: 'echo' } });
const ALLOW = { default: 'allow' };
const bearer = (token: string) => `Bearer ${token}`;

type App = Parameters<typeof request>[0];

async function makeKey(app: App, label: string, scopes?: string[], as = KEY): Promise<{ id: string; token: string }> {
  const res = await request(app)
    .post('/api/keys')
    .set('Authorization', bearer(as))
    .send({ label, ...(scopes ? { scopes } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Every file of the state directory, as one string (the database and its WAL). */
function stateText(stateDir: string): string {
  return fs
    .readdirSync(stateDir)
    .map((name) => fs.readFileSync(path.join(stateDir, name)).toString('latin1'))
    .join('\n');
}

describe('API keys', () => {
  const kit = callKit();

  it('shows a new key once, stores only its hash, lists keys without tokens, and revokes at once', async () => {
    const { app, stateDir } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, approval: ALLOW });
    const created = await request(app).post('/api/keys').set('Authorization', bearer(KEY)).send({ label: 'Open WebUI' });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.headers.location).toBe(`/api/keys/${created.body.id}`);
    expect(created.body).toMatchObject({
      label: 'Open WebUI',
      scopes: ['tools:call', 'tools:read'],
      caller: `key:${created.body.id}`,
      revokedAt: null,
    });
    const token: string = created.body.token;
    expect(token).toMatch(/^mgw_[A-Za-z0-9_-]{43}$/);

    const call = await request(app).post('/fx/echo').set('Authorization', bearer(token)).send({ message: 'hi' });
    expect(call.status).toBe(200);
    const list = await request(app).get('/api/keys').set('Authorization', bearer(KEY));
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).not.toHaveProperty('token');
    expect(list.body.items[0].lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(stateText(stateDir)).not.toContain(token);
    expect(stateText(stateDir)).not.toContain(KEY);

    const revoked = await request(app).delete(`/api/keys/${created.body.id}`).set('Authorization', bearer(KEY));
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expectProblem(
      await request(app).post('/fx/echo').set('Authorization', bearer(token)).send({ message: 'hi' }),
      403,
      'invalid-credentials',
    );
    expectProblem(await request(app).delete('/api/keys/nope').set('Authorization', bearer(KEY)), 404, 'key-not-found');
  });

  it('refuses a key with a bad label or unknown scope, naming the field', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, approval: ALLOW });
    const bad = await request(app)
      .post('/api/keys')
      .set('Authorization', bearer(KEY))
      .send({ label: ' ', scopes: ['tools:call', 'root'] });
    expectProblem(bad, 422, 'invalid-request');
    expect(bad.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['label', 'scopes.1']);
  });

  it('names the caller of a key even on a gateway without a start-up key', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { approval: ALLOW });
    const key = await makeKey(app, 'script', ['tools:call'], 'ignored');
    const call = await request(app).post('/api/tools/fx/echo').set('Authorization', bearer(key.token)).send({ message: 'hi' });
    expect(call.status).toBe(200);
    const entry = await request(app).get(`/api/activity/${call.body.id}`);
    expect(entry.body.caller).toBe(`key:${key.id}`);
    // A placeholder key in a client changes nothing on a gateway without a key.
    expect((await request(app).post('/fx/echo').set('Authorization', 'Bearer placeholder').send({ message: 'hi' })).status).toBe(200);
  });
});

describe('scopes', () => {
  const kit = callKit();

  it('gives each route family the scope it needs, and names the missing scope', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, approval: ALLOW });
    const read = (await makeKey(app, 'reader', ['tools:read'])).token;
    const call = (await makeKey(app, 'caller', ['tools:call'])).token;
    const decide = (await makeKey(app, 'decider', ['approvals:decide'])).token;
    const admin = (await makeKey(app, 'second admin', ['admin'])).token;

    type Try = { method: 'get' | 'post' | 'patch' | 'delete'; path: string; body?: object; scope: string; ok: number };
    const routes: Try[] = [
      { method: 'post', path: '/fx/echo', body: { message: 'x' }, scope: 'tools:call', ok: 200 },
      { method: 'post', path: '/api/tools/fx/echo', body: { message: 'x' }, scope: 'tools:call', ok: 200 },
      { method: 'get', path: '/api/calls', scope: 'tools:call', ok: 200 },
      { method: 'get', path: '/openapi.json', scope: 'tools:read', ok: 200 },
      { method: 'get', path: '/fx/openapi.json', scope: 'tools:read', ok: 200 },
      { method: 'get', path: '/api/servers', scope: 'tools:read', ok: 200 },
      { method: 'get', path: '/api/tools', scope: 'tools:read', ok: 200 },
      { method: 'get', path: '/api/activity', scope: 'tools:read', ok: 200 },
      { method: 'get', path: '/metrics', scope: 'tools:read', ok: 200 },
      { method: 'get', path: '/api/approvals', scope: 'approvals:decide', ok: 200 },
      { method: 'get', path: '/api/keys', scope: 'admin', ok: 200 },
      { method: 'get', path: '/api/devices', scope: 'admin', ok: 200 },
      { method: 'get', path: '/access', scope: 'admin', ok: 200 },
      { method: 'patch', path: '/api/servers/fx', body: { enabled: true }, scope: 'admin', ok: 200 },
    ];
    const holders: Record<string, string> = { 'tools:read': read, 'tools:call': call, 'approvals:decide': decide };
    for (const route of routes) {
      for (const [scope, token] of Object.entries(holders)) {
        const res = await request(app)[route.method](route.path).set('Authorization', bearer(token)).send(route.body);
        if (scope === route.scope) {
          expect(res.status, `${route.method} ${route.path} with ${scope}`).toBe(route.ok);
        } else {
          expectProblem(res, 403, 'forbidden');
          expect(res.body.scope, `${route.method} ${route.path} with ${scope}`).toBe(route.scope);
          expect(res.body.detail).toContain(`needs the scope "${route.scope}"`);
        }
      }
      const res = await request(app)[route.method](route.path).set('Authorization', bearer(admin)).send(route.body);
      expect(res.status, `${route.method} ${route.path} as admin`).toBe(route.ok);
    }
    // Health stays open to everyone.
    expect((await request(app).get('/healthz')).status).toBe(200);
  });
});

describe('UI sign-in with keys', () => {
  const kit = callKit();

  it('takes an admin key made through the API but not a lesser one, and revoking the key ends its session', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, approval: ALLOW });
    const admin = await makeKey(app, 'laptop', ['admin']);
    const lesser = await makeKey(app, 'script', ['tools:call', 'tools:read']);

    const refused = await request(app).post('/ui/login').type('form').send({ key: lesser.token, next: '/' });
    expect(refused.status).toBe(401);
    expect(refused.text).toContain('not an admin key');

    const login = await request(app).post('/ui/login').type('form').send({ key: admin.token, next: '/' });
    expect(login.status).toBe(303);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    expect((await request(app).get('/').set('Cookie', cookie).set('Accept', 'text/html')).status).toBe(200);

    await request(app).delete(`/api/keys/${admin.id}`).set('Authorization', bearer(KEY)).expect(200);
    const after = await request(app).get('/').set('Cookie', cookie).set('Accept', 'text/html');
    expect(after.status).toBe(303);
    expect(after.headers.location).toContain('/ui/login');
  });
});

describe('failed authentication', () => {
  const kit = callKit();

  it('refuses wrong keys from an address after 10 failures, but the right key always passes, and never logs a key', async () => {
    const lines: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, approval: ALLOW, logger });
    const made = await makeKey(app, 'script', ['tools:call']);
    for (let i = 0; i < 9; i++) {
      expectProblem(
        await request(app)
          .get('/api/servers')
          .set('Authorization', bearer(`wrong-${i}`)),
        403,
        'invalid-credentials',
      );
    }
    expect((await request(app).post('/ui/login').type('form').send({ key: 'wrong-sign-in' })).status).toBe(401);
    // Ten failures from this address: another wrong key waits now…
    const limited = await request(app).get('/api/servers').set('Authorization', bearer('wrong-10'));
    expectProblem(limited, 429, 'too-many-attempts');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await request(app).post('/ui/login').type('form').send({ key: 'wrong-sign-in-2' })).status).toBe(429);
    // …but the start-up key, a key made through the API and the right sign-in still work.
    expect((await request(app).get('/api/servers').set('Authorization', bearer(KEY))).status).toBe(200);
    expect((await request(app).post('/fx/echo').set('Authorization', bearer(made.token)).send({ message: 'hi' })).status).toBe(200);
    expect((await request(app).post('/ui/login').type('form').send({ key: KEY })).status).toBe(303);
    // A probe that sends a header anyway still gets its answer.
    expect((await request(app).get('/healthz').set('Authorization', bearer('wrong'))).status).toBe(200);
    expect((await request(app).get('/healthz').set('Authorization', 'Basic eDp5')).status).toBe(200);

    const log = lines.join('');
    expect(log).toContain('a request with a key that is not valid');
    for (const secret of [KEY, made.token, 'wrong-3', 'wrong-sign-in']) expect(log).not.toContain(secret);
  });

  it('counts per address and per wrong key: a stale key is refused from everywhere, other addresses are not', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, approval: ALLOW });
    const base = await kit.listen(app);
    const get = (from: string, key: string) =>
      rawRequest(base, { target: '/api/servers', headers: { Authorization: bearer(key) }, localAddress: from });
    // One client of a shared proxy retries a stale key.
    for (let i = 0; i < 10; i++) expect((await get('127.0.0.2', 'stale-key')).status).toBe(403);
    expect((await get('127.0.0.2', 'stale-key')).status).toBe(429);
    expect((await get('127.0.0.2', 'another-wrong-key')).status).toBe(429);
    // The same stale key from another address is refused unchecked too; another wrong key there is just wrong.
    expect((await get('127.0.0.3', 'stale-key')).status).toBe(429);
    expect((await get('127.0.0.3', 'yet-another-key')).status).toBe(403);
    // The right key passes from both.
    expect((await get('127.0.0.2', KEY)).status).toBe(200);
    expect((await get('127.0.0.3', KEY)).status).toBe(200);
  });
});

describe("every spelling of a route has the route's scope", () => {
  const kit = callKit();

  it('refuses the admin, approval and call routes to a tools:read key and to a paired device, however the path is spelled', async () => {
    const { app, gateway } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, approval: ALLOW });
    const base = await kit.listen(app);
    const reader = (await makeKey(app, 'reader', ['tools:read'])).token;
    const made = await makeKey(app, 'made', ['tools:call']);
    const device = gateway.devices.pair('Pixel 8', 'test');
    const async = await request(app)
      .post('/api/tools/fx/echo')
      .set('Authorization', bearer(KEY))
      .set('Prefer', 'respond-async')
      .send({ message: 'x' });
    expect(async.status).toBe(202);
    const callId: string = async.body.id;

    /** Each route with what it answers to the admin: it exists, and it has something to give away. */
    const adminRoutes = ['/api/keys', `/api/keys/${made.id}`, '/api/devices', '/access', '/ui/access/devices'];
    const callRoutes = ['/api/calls', `/api/calls/${callId}`, `/ui/calls/${callId}`];
    const approvalRoutes = ['/api/approvals', '/approvals'];
    for (const route of [...adminRoutes, ...callRoutes, ...approvalRoutes]) {
      const res = await rawRequest(base, { target: route, headers: { Authorization: bearer(KEY) } });
      expect(res.status, route).toBe(200);
    }

    const { host } = new URL(base);
    /** The spellings of a path that a router or a proxy might take for it. */
    const spellings = (route: string): string[] => {
      const [, first, ...rest] = route.split('/');
      const tail = rest.length > 0 ? `/${rest.join('/')}` : '';
      return [
        route.toUpperCase().replace(callId.toUpperCase(), callId).replace(made.id.toUpperCase(), made.id),
        `/${first!.charAt(0).toUpperCase()}${first!.slice(1)}${tail}`,
        `${route}/`,
        `/${route}`,
        `/${first}/${tail}`,
        `/%${first!.charCodeAt(0).toString(16)}${first!.slice(1)}${tail}`,
        `/%${first!.charCodeAt(0).toString(16).toUpperCase()}${first!.slice(1)}${tail}`,
        `${route};x=1`,
        `/${first};x${tail}`,
        `/tools/..${route}`,
        ...(rest.length > 0 ? [`/${first}\\${rest.join('/')}`] : []),
        `/./${first}${tail}`,
        `/static/..${route}`,
        `${route}?x=1`,
        `${route}#x`,
        `http://${host}${route}`,
        `HTTP://${host.toUpperCase()}${route.toUpperCase()}`,
        `http://${host}/${route}`,
      ];
    };
    const check = async (who: string, headers: Record<string, string>, routes: string[]) => {
      for (const route of routes) {
        for (const target of spellings(route)) {
          const res = await rawRequest(base, { target, headers });
          expect(res.status, `${who}: GET ${target} answered ${res.status}: ${res.body.slice(0, 200)}`).not.toBe(200);
          expect([400, 403, 404], `${who}: GET ${target}`).toContain(res.status);
        }
      }
    };
    await check('tools:read key', { Authorization: bearer(reader) }, [...adminRoutes, ...callRoutes, ...approvalRoutes]);
    await check('paired device', { Cookie: `mcpgw_session=${device.token}` }, [...adminRoutes, ...callRoutes]);
    // The spellings the router does answer keep their scope for those who hold it.
    expect((await rawRequest(base, { target: '/API/APPROVALS', headers: { Cookie: `mcpgw_session=${device.token}` } })).status).toBe(200);
    expect((await rawRequest(base, { target: '/API/SERVERS', headers: { Authorization: bearer(reader) } })).status).toBe(200);
  });

  it('takes the authority of an absolute-form target as the Host, so the host check sees it', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, approval: ALLOW });
    const base = await kit.listen(app);
    const { port } = new URL(base);
    const res = await rawRequest(base, { target: `http://evil.example:${port}/api/servers`, headers: { Authorization: bearer(KEY) } });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).type).toBe('host-not-allowed');
    expect(
      (
        await rawRequest(base, {
          target: `http://localhost:${port}/api/servers`,
          headers: { Authorization: bearer(KEY), Host: 'evil.example' },
        })
      ).status,
    ).toBe(200);
    for (const target of ['*', 'http://user@127.0.0.1/api/servers', 'ftp://127.0.0.1/api/servers']) {
      const refused = await rawRequest(base, { method: 'OPTIONS', target, headers: { Authorization: bearer(KEY) } });
      expect(refused.status, target).toBe(400);
      expect(JSON.parse(refused.body).type).toBe('invalid-path');
    }
  });

  it('logs and answers a refused target with user information without it', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, approval: ALLOW, logger });
    const base = await kit.listen(app);
    const { port } = new URL(base);
    for (const target of [
      `http://admin:hunter2@127.0.0.1:${port}/api/servers`,
      `HTTP://admin:hunter2@127.0.0.1:${port}/api/servers?x=1`,
      `https://admin:hunter2@evil.example/api/servers`,
    ]) {
      const refused = await rawRequest(base, { target, headers: { Authorization: bearer(KEY) } });
      expect(refused.status, target).toBe(400);
      expect(JSON.parse(refused.body).type).toBe('invalid-path');
      expect(refused.body).not.toMatch(/hunter2|admin/);
    }
    const requests = lines
      .map((line) => JSON.parse(line) as { msg: string; status?: number; path?: string })
      .filter((line) => line.msg === 'request');
    expect(requests.filter((line) => line.status === 400)).toHaveLength(3);
    expect(lines.join('\n')).not.toMatch(/hunter2|admin/);
  });
});

describe('Tailscale-User-Login', () => {
  const kit = callKit();

  it('grants nothing by itself, even when trusted', async () => {
    const { app } = await kit.gateway({ fx: fx() }, { trustTailscaleHeaders: true }, { apiKey: KEY, approval: ALLOW });
    const res = await request(app).get('/api/servers').set('Tailscale-User-Login', 'alice@example.com');
    expectProblem(res, 401, 'unauthorized');
    const call = await request(app).post('/fx/echo').set('Tailscale-User-Login', 'alice@example.com').send({ message: 'x' });
    expectProblem(call, 401, 'unauthorized');
  });
});
