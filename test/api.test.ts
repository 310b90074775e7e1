// The management API over a real gateway (real fixture servers, real SQLite file), driven by supertest.
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { FAST, fixture, startTestGateway, tempDir, waitForServer, type TestGateway } from './helpers/gateway.js';
import { isAlive } from './helpers/process.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const node = process.execPath;
const FIXTURE = { command: node, args: [fixture('fixture-server.mjs')] };

async function gateway(servers: Record<string, object>, options: Parameters<typeof startTestGateway>[1] = {}): Promise<TestGateway> {
  const started = await startTestGateway({ approval: { default: 'allow' }, gateway: FAST, mcpServers: servers }, options);
  cleanups.push(() => started.close());
  return started;
}

function expectProblem(res: request.Response, status: number, type: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type, status });
  expect(typeof res.body.title).toBe('string');
}

describe('servers', () => {
  it('lists servers and shows one in detail, with state, pid, counts and the config as written', async () => {
    const { app, supervisor } = await gateway({
      alpha: { ...FIXTURE, description: 'The alpha server', env: { FIXTURE_STDERR_LINES: '2', SECRET_TOKEN: 'hunter2' } },
      off: { ...FIXTURE, enabled: false },
    });
    await waitForServer(supervisor, 'alpha', 'ready');

    const list = await request(app).get('/api/servers').expect(200);
    expect(list.body.servers.map((s: { name: string }) => s.name)).toEqual(['alpha', 'off']);
    const [alpha, off] = list.body.servers;
    expect(alpha).toMatchObject({
      name: 'alpha',
      description: 'The alpha server',
      transport: 'stdio',
      enabled: true,
      enabledSource: 'config',
      state: 'ready',
      restarts: 0,
      lastError: null,
      counts: { tools: 6, resources: 0, prompts: 0 },
      serverInfo: { name: 'fixture' },
    });
    expect(alpha.pid).toBeGreaterThan(0);
    expect(Date.parse(alpha.since)).not.toBeNaN();
    expect(alpha).not.toHaveProperty('stderrTail');
    expect(off).toMatchObject({ state: 'disabled', enabled: false, pid: null });

    const detail = await request(app).get('/api/servers/alpha').expect(200);
    expect(detail.body.stderrTail).toEqual(['stderr line 1', 'stderr line 2']);
    expect(detail.body.config).toMatchObject({ command: node, envNames: ['FIXTURE_STDERR_LINES', 'SECRET_TOKEN'] });
    expect(JSON.stringify(detail.body)).not.toContain('hunter2');
  });

  it('answers 404 problem JSON for an unknown server', async () => {
    const { app } = await gateway({});
    expectProblem(await request(app).get('/api/servers/nope'), 404, 'server-not-found');
    expectProblem(await request(app).patch('/api/servers/nope').send({ enabled: false }), 404, 'server-not-found');
    expectProblem(await request(app).post('/api/servers/nope/restart'), 404, 'server-not-found');
    expectProblem(await request(app).get('/api/nothing-here'), 404, 'not-found');
  });

  it('disabling stops the server and persists across a gateway restart; enabling starts it again', async () => {
    const stateDir = tempDir();
    const first = await startTestGateway({ approval: { default: 'allow' }, gateway: FAST, mcpServers: { alpha: FIXTURE } }, { stateDir });
    const ready = await waitForServer(first.supervisor, 'alpha', 'ready');

    const res = await request(first.app).patch('/api/servers/alpha').send({ enabled: false }).expect(200);
    expect(res.body).toMatchObject({ enabled: false, enabledSource: 'override', state: 'disabled', pid: null });
    expect(isAlive(ready.pid!)).toBe(false);
    expect(first.supervisor.get('alpha')!.tools()).toEqual([]);
    await first.close();

    const second = await startTestGateway({ approval: { default: 'allow' }, gateway: FAST, mcpServers: { alpha: FIXTURE } }, { stateDir });
    cleanups.push(() => second.close());
    const again = await request(second.app).get('/api/servers/alpha').expect(200);
    expect(again.body).toMatchObject({ enabled: false, enabledSource: 'override', state: 'disabled' });

    await request(second.app).patch('/api/servers/alpha').send({ enabled: true }).expect(200);
    const back = await waitForServer(second.supervisor, 'alpha', 'ready');
    expect(back.pid).toBeGreaterThan(0);
    expect((await request(second.app).get('/api/servers/alpha')).body.enabledSource).toBe('config');
  });

  it('a run-time override yields once the file changes its own enabled value', async () => {
    const stateDir = tempDir();
    const first = await startTestGateway({ approval: { default: 'allow' }, gateway: FAST, mcpServers: { alpha: FIXTURE } }, { stateDir });
    await request(first.app).patch('/api/servers/alpha').send({ enabled: false }).expect(200);
    // The operator edits the file: enabled false → the file now agrees, and a later `true` in the file wins.
    await first.gateway.reload({ ...first.gateway.config, servers: first.gateway.config.servers.map((s) => ({ ...s, enabled: false })) });
    await first.close();
    const second = await startTestGateway(
      { approval: { default: 'allow' }, gateway: FAST, mcpServers: { alpha: { ...FIXTURE, enabled: true } } },
      { stateDir },
    );
    cleanups.push(() => second.close());
    await waitForServer(second.supervisor, 'alpha', 'ready');
    expect(second.supervisor.status('alpha')!.enabledSource).toBe('config');
  });

  it('rejects a malformed PATCH with a 4xx problem naming the field', async () => {
    const { app } = await gateway({ alpha: { ...FIXTURE, enabled: false } });
    const wrongType = await request(app).patch('/api/servers/alpha').send({ enabled: 'yes' });
    expectProblem(wrongType, 422, 'invalid-request');
    expect(wrongType.body.errors).toEqual([{ field: 'enabled', message: expect.stringContaining('boolean') }]);

    const unknown = await request(app).patch('/api/servers/alpha').send({ enabled: true, colour: 'red' });
    expectProblem(unknown, 422, 'invalid-request');
    expect(unknown.body.errors).toEqual([{ field: 'colour', message: 'unknown field' }]);

    const badJson = await request(app).patch('/api/servers/alpha').set('Content-Type', 'application/json').send('{"enabled": tru');
    expectProblem(badJson, 400, 'invalid-json');

    const empty = await request(app).patch('/api/servers/alpha');
    expectProblem(empty, 422, 'invalid-request');
    // Nothing was changed by the bad requests.
    expect((await request(app).get('/api/servers/alpha')).body.state).toBe('disabled');
  });

  it('restarts a server on request with a new process, and refuses to restart a disabled one', async () => {
    const { app, supervisor } = await gateway({ alpha: FIXTURE, off: { ...FIXTURE, enabled: false } });
    const ready = await waitForServer(supervisor, 'alpha', 'ready');
    const res = await request(app).post('/api/servers/alpha/restart').expect(202);
    expect(res.body.restarts).toBe(1);
    const again = await waitForServer(supervisor, 'alpha', 'ready');
    expect(again.pid).not.toBe(ready.pid);
    expect(isAlive(ready.pid!)).toBe(false);
    expectProblem(await request(app).post('/api/servers/off/restart'), 409, 'server-disabled');
  });
});

describe('tools', () => {
  it('lists tools of every server, filters by server and by words in name, title or description', async () => {
    const { app, supervisor } = await gateway({
      alpha: FIXTURE,
      beta: { ...FIXTURE, env: { FIXTURE_TOOLS: 'echo,slow' }, disabledTools: ['slow'] },
    });
    await waitForServer(supervisor, 'alpha', 'ready');
    await waitForServer(supervisor, 'beta', 'ready');

    const all = await request(app).get('/api/tools').expect(200);
    expect(all.body.total).toBe(7);
    expect(all.body.tools.map((t: { server: string; name: string }) => `${t.server}/${t.name}`)).toContain('beta/echo');
    expect(all.body.tools.map((t: { name: string }) => t.name)).not.toContain('beta/slow');

    const beta = await request(app).get('/api/tools?server=beta').expect(200);
    expect(beta.body.tools.map((t: { name: string }) => t.name)).toEqual(['echo']);

    const search = await request(app).get('/api/tools').query({ q: 'PROGRESS step' }).expect(200);
    expect(search.body.tools.map((t: { server: string; name: string }) => `${t.server}/${t.name}`)).toEqual(['alpha/slow']);

    expectProblem(await request(app).get('/api/tools?server=nope'), 404, 'server-not-found');
  });

  it('shows one tool with its schema and annotations, and 404s unknown or hidden tools', async () => {
    const { app, supervisor } = await gateway({ alpha: { ...FIXTURE, disabledTools: ['hang'] } });
    await waitForServer(supervisor, 'alpha', 'ready');
    const tool = await request(app).get('/api/tools/alpha/echo').expect(200);
    expect(tool.body).toMatchObject({
      server: 'alpha',
      name: 'echo',
      inputSchema: { type: 'object', properties: { message: { type: 'string' } } },
    });
    expect(tool.body).toHaveProperty('outputSchema');
    expect(tool.body).toHaveProperty('annotations');
    expectProblem(await request(app).get('/api/tools/alpha/nope'), 404, 'tool-not-found');
    expectProblem(await request(app).get('/api/tools/alpha/hang'), 404, 'tool-not-found');
    expectProblem(await request(app).get('/api/tools/nope/echo'), 404, 'server-not-found');
  });
});

describe('health', () => {
  it('healthz is always 200; readyz is 503 listing servers that are not ready, then 200', async () => {
    const { app, supervisor } = await gateway({
      good: FIXTURE,
      broken: { command: node, args: [fixture('crash-at-start.mjs')] },
      off: { ...FIXTURE, enabled: false },
    });
    await waitForServer(supervisor, 'good', 'ready');
    await waitForServer(supervisor, 'broken', (s) => s.lastError !== undefined);
    expect((await request(app).get('/healthz').expect(200)).body.status).toBe('ok');

    const notReady = await request(app).get('/readyz');
    expectProblem(notReady, 503, 'not-ready');
    expect(notReady.body.servers.map((s: { name: string }) => s.name)).toEqual(['broken']);
    expect(notReady.body.servers[0].lastError).toContain('exited with code 3');

    await request(app).patch('/api/servers/broken').send({ enabled: false }).expect(200);
    expect((await request(app).get('/readyz').expect(200)).body).toEqual({ status: 'ready', servers: 1 });
  });
});

describe('security', () => {
  it('requires the API key on every route but /healthz: missing → 401 with WWW-Authenticate, wrong → 403', async () => {
    const { app } = await gateway({ off: { ...FIXTURE, enabled: false } }, { apiKey: 'correct-horse-battery' });
    await request(app).get('/healthz').expect(200);
    for (const path of ['/api/servers', '/api/tools', '/readyz', '/api/servers/off', '/whatever']) {
      const missing = await request(app).get(path);
      expectProblem(missing, 401, 'unauthorized');
      expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
      expectProblem(await request(app).get(path).set('Authorization', 'Bearer wrong-key'), 403, 'invalid-credentials');
      expectProblem(await request(app).get(path).set('Authorization', 'Basic Y29ycmVjdA=='), 401, 'unauthorized');
    }
    await request(app).get('/api/servers').set('Authorization', 'Bearer correct-horse-battery').expect(200);
    await request(app).patch('/api/servers/off').send({ enabled: true }).expect(401);
  });

  it('refuses requests whose Host or Origin is not a loopback name (DNS rebinding)', async () => {
    const { app } = await gateway({});
    expectProblem(await request(app).get('/api/servers').set('Host', 'evil.example:8085'), 403, 'host-not-allowed');
    expectProblem(await request(app).get('/healthz').set('Host', 'rebind.attacker.test'), 403, 'host-not-allowed');
    for (const host of ['localhost:8085', '127.0.0.1:8085', '[::1]:8085', 'LOCALHOST']) {
      await request(app).get('/api/servers').set('Host', host).expect(200);
    }
    expectProblem(await request(app).get('/api/servers').set('Origin', 'http://evil.example'), 403, 'origin-not-allowed');
    expectProblem(await request(app).get('/api/servers').set('Origin', 'null'), 403, 'origin-not-allowed');
    await request(app).get('/api/servers').set('Origin', 'http://localhost:8085').expect(200);
  });

  it('accepts extra host names from allowedHosts', async () => {
    const { app } = await gateway({}, { allowedHosts: ['gateway.tailnet.ts.net'] });
    await request(app).get('/api/servers').set('Host', 'gateway.tailnet.ts.net').expect(200);
    await request(app).get('/api/servers').set('Origin', 'https://gateway.tailnet.ts.net').expect(200);
    expectProblem(await request(app).get('/api/servers').set('Host', 'other.tailnet.ts.net'), 403, 'host-not-allowed');
  });
});
