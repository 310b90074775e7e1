// Server log messages and the log level (issue 18 item 8): `logLevel` is sent with
// logging/setLevel after connecting and again when a reload or the UI changes it; every
// notifications/message goes into a bounded ring per server, shown (escaped) on the server's card
// and in GET /api/servers/{name}/logs.
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../server/config/load.js';
import { FAST, fixture, startTestGateway, waitForServer, type TestGateway } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { signIn } from './helpers/ui-session.js';

const KEY = 'l'.repeat(32);
const auth = `Bearer ${KEY}`;
const CALL = { timeoutMs: 10_000, maxTotalTimeoutMs: 10_000 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const fileConfig = (logLevel?: string, serverLogLines = 3) => ({
  approval: { default: 'allow' },
  gateway: { ...FAST, serverLogLines },
  mcpServers: { fx: { command: process.execPath, args: [fixture('client-features.mjs')], ...(logLevel && { logLevel }) } },
});

async function start(logLevel?: string): Promise<TestGateway> {
  const gateway = await startTestGateway(fileConfig(logLevel), { apiKey: KEY });
  cleanups.push(() => gateway.close());
  await waitForServer(gateway.supervisor, 'fx', 'ready');
  return gateway;
}

async function levelOf(gateway: TestGateway): Promise<string> {
  const result = await gateway.supervisor.get('fx')!.callTool('current_level', {}, CALL);
  return String(result.content[0]!.text);
}

const waitForLevel = (gateway: TestGateway, level: string) =>
  waitUntil(async () => (await levelOf(gateway)) === level, 10_000, `the server's level to be ${level}`);

describe('server log level', () => {
  it('sends the configured logLevel after connecting, and a changed one on reload without a restart', async () => {
    const gateway = await start('warning');
    const ready = gateway.supervisor.status('fx')!;
    await waitForLevel(gateway, 'warning');
    const applied = await gateway.gateway.reload(
      parseConfigText(JSON.stringify(fileConfig('debug')), path.join(gateway.stateDir, 'c.json')),
    );
    expect(applied).toMatchObject({ restarted: [], updated: ['fx'] });
    await waitForLevel(gateway, 'debug');
    expect(gateway.supervisor.status('fx')!.pid).toBe(ready.pid);
  });

  it('sends no level without logLevel, and the level chosen on the server card', async () => {
    const gateway = await start();
    expect(await levelOf(gateway)).toBe('none');
    const { cookie, csrf } = await signIn(gateway.app, KEY, '/');
    const bad = await request(gateway.app)
      .post('/ui/servers/fx/log-level')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .type('form')
      .send({ level: 'loud' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([{ field: 'level', message: expect.stringContaining('debug') }]);
    const set = await request(gateway.app)
      .post('/ui/servers/fx/log-level')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .set('HX-Request', 'true')
      .type('form')
      .send({ level: 'error' });
    expect(set.status).toBe(200);
    expect(set.text).toContain('<option value="error" selected>');
    await waitForLevel(gateway, 'error');
  });
});

describe('server log messages', () => {
  it('keeps the last gateway.serverLogLines messages, cut to size, and shows them escaped', async () => {
    const gateway = await start();
    const connection = gateway.supervisor.get('fx')!;
    for (const n of [1, 2, 3, 4]) await connection.callTool('log', { level: 'info', data: `message ${n}` }, CALL);
    await connection.callTool('log', { level: 'error', data: '<img src=x onerror=alert(1)>' }, CALL);
    await connection.callTool('log', { level: 'warning', data: { long: 'y'.repeat(10_000) } }, CALL);

    const logs = await waitUntil(
      async () => {
        const res = await request(gateway.app).get('/api/servers/fx/logs').set('Authorization', auth);
        return res.body.entries?.at(-1)?.level === 'warning' ? res.body : undefined;
      },
      10_000,
      'the last message in the log',
    );
    // Server logs may carry other callers' arguments: a key that may only read is refused.
    const reader = (
      await request(gateway.app)
        .post('/api/keys')
        .set('Authorization', auth)
        .send({ label: 'reader', scopes: ['tools:read'] })
    ).body.token as string;
    const refused = await request(gateway.app).get('/api/servers/fx/logs').set('Authorization', `Bearer ${reader}`);
    expect(refused.status).toBe(403);
    expect(refused.body.scope).toBe('approvals:decide');
    expect((await request(gateway.app).get('/ui/servers/fx/log').set('Authorization', `Bearer ${reader}`)).status).toBe(403);
    // …and its server card offers no "Server log" it could not open.
    for (const page of ['/', '/ui/servers/fx']) {
      const seen = await request(gateway.app).get(page).set('Authorization', `Bearer ${reader}`).set('Accept', 'text/html');
      expect(seen.status).toBe(200);
      expect(seen.text).toContain('fx');
      expect(seen.text).not.toContain('Server log');
      expect(seen.text).not.toContain('ui/servers/fx/log');
    }
    expect(logs.capacity).toBe(3);
    expect(logs.level).toBeNull();
    expect(logs.entries.map((entry: { text: string }) => entry.text.slice(0, 20))).toEqual([
      'message 4',
      '<img src=x onerror=a',
      '{"long":"yyyyyyyyyyy',
    ]);
    expect(logs.entries[0]).toMatchObject({ level: 'info', logger: 'fixture', at: expect.stringMatching(/Z$/) });
    expect(logs.entries[2].text).toHaveLength(4096);
    expect(logs.entries[2].truncated).toBe(true);

    const { cookie } = await signIn(gateway.app, KEY, '/');
    const card = await request(gateway.app).get('/').set('Cookie', cookie).set('Accept', 'text/html');
    expect(card.text).toContain('hx-get="ui/servers/fx/log"');
    const partial = await request(gateway.app).get('/ui/servers/fx/log').set('Cookie', cookie).set('HX-Request', 'true');
    expect(partial.status).toBe(200);
    expect(partial.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(partial.text).not.toContain('<img src=x');
    expect(partial.text.indexOf('{&quot;long&quot;')).toBeLessThan(partial.text.indexOf('message 4'));

    expect((await request(gateway.app).get('/api/servers/nope/logs').set('Authorization', auth)).status).toBe(404);
  });
});
