// The orchestrator over HTTP (no browser): sign-in and sessions, CSRF, path prefixes, pages and
// their htmx fragments, and test runs through the normal call path. A real gateway with real
// MCP servers and a real SQLite file; browsers are in ui.test.ts.
import http from 'node:http';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem, node } from './helpers/calls.js';
import { fixture, startTestGateway, tempDir, waitForServer } from './helpers/gateway.js';
import { csrfOf, sessionCookieOf, signIn } from './helpers/ui-session.js';

const KEY = 'ui-test-key-0123456789';
const fx = (tools = 'echo,slow') => ({ command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: tools } });

describe('UI sign-in', () => {
  const kit = callKit();

  it('sends a browser without a session to the sign-in page, and scripts get a 401 problem', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY });
    const page = await request(app).get('/tools?q=echo').set('Accept', 'text/html');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/ui/login?next=%2Ftools%3Fq%3Decho');
    // An htmx request (a fragment or an action) sends the whole page back to the page it came from.
    const swap = await request(app)
      .post('/ui/servers/fx/enabled')
      .set('Host', '127.0.0.1')
      .set('HX-Request', 'true')
      .set('HX-Current-URL', 'http://127.0.0.1/tools?q=x');
    expectProblem(swap, 401, 'unauthorized');
    expect(swap.headers['hx-redirect']).toBe('/ui/login?next=%2Ftools%3Fq%3Dx');
    const foreign = await request(app).get('/ui/servers/fx').set('HX-Request', 'true').set('HX-Current-URL', 'http://evil.example/tools');
    expect(foreign.headers['hx-redirect']).toBe('/ui/login');
    const signInPage = await request(app).get('/ui/login?next=/tools').set('Accept', 'text/html');
    expect(signInPage.status).toBe(200);
    expect(signInPage.text).toContain('name="key"');
  });

  it('refuses a wrong key, then signs in with the right one into an HttpOnly, SameSite=Strict cookie', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY });
    const wrong = await request(app).post('/ui/login').type('form').send({ key: 'nope', next: '/tools' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('That key is not valid');
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const right = await request(app).post('/ui/login').type('form').send({ key: KEY, next: '/tools?q=echo' });
    expect(right.status).toBe(303);
    expect(right.headers.location).toBe('/tools?q=echo');
    const { pair, attributes } = sessionCookieOf(right);
    expect(attributes).toMatch(/HttpOnly/i);
    expect(attributes).toMatch(/SameSite=Strict/i);
    expect(attributes).toMatch(/Max-Age=604800/);
    // The key itself is nowhere in the cookie.
    expect(pair).not.toContain(KEY);

    const page = await request(app).get('/tools').set('Cookie', pair).set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Sign out');
    // The session also opens the JSON API (the docs pages read their documents with it).
    expect((await request(app).get('/api/servers').set('Cookie', pair)).status).toBe(200);
  });

  it('never sends the browser to another site after signing in', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY });
    for (const next of [
      '//evil.example/x',
      '/\\evil.example',
      'https://evil.example/',
      'javascript:alert(1)',
      '/ui/servers/fx/enabled',
      '/api/servers',
    ]) {
      const res = await request(app).post('/ui/login').type('form').send({ key: KEY, next });
      expect(res.status).toBe(303);
      expect(res.headers.location, next).toBe('/');
    }
  });

  it('limits failed sign-ins per client address, but the right key still signs in', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY });
    for (let i = 0; i < 10; i++)
      expect(
        (
          await request(app)
            .post('/ui/login')
            .type('form')
            .send({ key: `wrong-${i}` })
        ).status,
      ).toBe(401);
    const blocked = await request(app).post('/ui/login').type('form').send({ key: 'wrong-10' });
    expect(blocked.status).toBe(429);
    expect(blocked.headers['set-cookie']).toBeUndefined();
    const right = await request(app).post('/ui/login').type('form').send({ key: KEY });
    expect(right.status).toBe(303);
    expect(sessionCookieOf(right).pair).toMatch(/^mcpgw_session=/);
  });

  it('keeps a session across a gateway restart (only its hash is stored) and ends it on sign-out', async () => {
    const stateDir = tempDir();
    const first = await startTestGateway({ approval: { default: 'allow' }, mcpServers: { fx: fx() } }, { apiKey: KEY, stateDir });
    const { cookie, csrf } = await signIn(first.app, KEY);
    const token = cookie.split('=')[1]!;
    const rows = first.gateway.db.prepare('SELECT * FROM ui_sessions').all() as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
    await first.close();

    const second = await startTestGateway({ approval: { default: 'allow' }, mcpServers: { fx: fx() } }, { apiKey: KEY, stateDir });
    try {
      expect((await request(second.app).get('/').set('Cookie', cookie).set('Accept', 'text/html')).status).toBe(200);
      const out = await request(second.app).post('/ui/logout').set('Cookie', cookie).type('form').send({ _csrf: csrf });
      expect(out.status).toBe(303);
      expect(out.headers.location).toBe('/ui/login');
      expect(sessionCookieOf(out).attributes).toMatch(/Max-Age=0/);
      const after = await request(second.app).get('/').set('Cookie', cookie).set('Accept', 'text/html');
      expect(after.status).toBe(303);
    } finally {
      await second.close();
    }
  });

  it('closes the live stream of a session that signs out', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY });
    const { cookie, csrf } = await signIn(app, KEY);
    const base = await kit.listen(app);
    const closed = new Promise<string>((resolve, reject) => {
      http
        .get(`${base}/ui/events`, { headers: { Cookie: cookie } }, (res) => {
          expect(res.statusCode).toBe(200);
          res.setEncoding('utf8');
          let text = '';
          res.on('data', (chunk: string) => {
            text += chunk;
            // Signed out once the stream is surely open.
            if (text.includes('retry:') && !text.includes('[out]')) {
              text += '[out]';
              void request(app)
                .post('/ui/logout')
                .set('Cookie', cookie)
                .set('X-CSRF-Token', csrf)
                .then((out) => expect(out.status).toBe(303));
            }
          });
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(await closed).toContain('[out]');
  });

  it('ends an expired session', async () => {
    const { app } = await kit.gateway({ fx: fx() }, { sessionTtlMs: 1 }, { apiKey: KEY });
    const login = await request(app).post('/ui/login').type('form').send({ key: KEY });
    const cookie = sessionCookieOf(login).pair;
    await expect.poll(async () => (await request(app).get('/').set('Cookie', cookie).set('Accept', 'text/html')).status).toBe(303);
  });
});

describe('CSRF', () => {
  const kit = callKit();

  it('refuses a state change by session without the token, and accepts the header or the form field', async () => {
    const { app, supervisor } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY });
    const { cookie, csrf } = await signIn(app, KEY);

    const bare = await request(app).post('/ui/servers/fx/enabled').set('Cookie', cookie).type('form').send({ enabled: 'false' });
    expectProblem(bare, 403, 'csrf-failed');
    const wrong = await request(app)
      .post('/ui/servers/fx/enabled')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', 'x'.repeat(43))
      .type('form')
      .send({ enabled: 'false' });
    expectProblem(wrong, 403, 'csrf-failed');
    const json = await request(app).patch('/api/servers/fx').set('Cookie', cookie).send({ enabled: false });
    expectProblem(json, 403, 'csrf-failed');
    expect(supervisor.status('fx')!.enabled).toBe(true);

    const byHeader = await request(app)
      .post('/ui/servers/fx/enabled')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .set('HX-Request', 'true')
      .type('form')
      .send({ enabled: 'false' });
    expect(byHeader.status).toBe(200);
    expect(byHeader.text).toContain('data-state="disabled"');
    expect(supervisor.status('fx')!.enabled).toBe(false);

    const byField = await request(app)
      .post('/ui/servers/fx/enabled')
      .set('Cookie', cookie)
      .type('form')
      .send({ enabled: 'true', _csrf: csrf });
    expect(byField.status).toBe(303);
    expect(supervisor.status('fx')!.enabled).toBe(true);
  });

  it('also guards the anonymous session a gateway without a key gives the UI', async () => {
    const { app, supervisor, gateway } = await kit.gateway({ fx: fx() });
    const page = await request(app).get('/').set('Accept', 'text/html');
    // Page views of nobody in particular never grow the database.
    for (let i = 0; i < 3; i++) await request(app).get('/tools').set('Accept', 'text/html');
    expect(gateway.db.prepare('SELECT count(*) AS n FROM ui_sessions').get()).toEqual({ n: 0 });
    const cookie = sessionCookieOf(page).pair;
    const csrf = csrfOf(page.text);
    expectProblem(
      await request(app).post('/ui/servers/fx/enabled').set('Cookie', cookie).type('form').send({ enabled: 'false' }),
      403,
      'csrf-failed',
    );
    expect(supervisor.status('fx')!.enabled).toBe(true);
    const ok = await request(app)
      .post('/ui/servers/fx/enabled')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .set('HX-Request', 'true')
      .type('form')
      .send({ enabled: 'false' });
    expect(ok.status).toBe(200);
    expect(supervisor.status('fx')!.enabled).toBe(false);
    // The page offers no sign-out: nobody signed in.
    expect(page.text).not.toContain('Sign out');
  });
});

describe('cross-site requests', () => {
  const kit = callKit();

  it('refuses a state change from another origin (another localhost port included) on a gateway without a key', async () => {
    const { app, supervisor } = await kit.gateway({ fx: fx() });
    const base = await kit.listen(app);
    const own = new URL(base).origin;
    const other = `http://localhost:${Number(new URL(base).port) === 1 ? 2 : 1}`;
    // A page on another port posts a form, cookie-less (no session): refused.
    const form = await request(base).post('/ui/servers/fx/enabled').set('Origin', other).type('form').send({ enabled: 'false' });
    expectProblem(form, 403, 'csrf-failed');
    expectProblem(
      await request(base).post('/fx/echo').set('Origin', 'http://127.0.0.1:1').type('text/plain').send('{"message":"x"}'),
      403,
      'csrf-failed',
    );
    // The same port under another loopback name is another origin.
    expectProblem(
      await request(base).patch('/api/servers/fx').set('Origin', own.replace('127.0.0.1', 'localhost')).send({ enabled: false }),
      403,
      'csrf-failed',
    );
    // Without Origin, Sec-Fetch-Site says it: another site, or the same site on another port.
    for (const site of ['cross-site', 'same-site']) {
      expectProblem(
        await request(base).post('/ui/servers/fx/enabled').set('Sec-Fetch-Site', site).type('form').send({ enabled: 'false' }),
        403,
        'csrf-failed',
      );
    }
    expectProblem(
      await request(base).post('/ui/servers/fx/enabled').set('Origin', 'null').type('form').send({ enabled: 'false' }),
      403,
      'origin-not-allowed',
    );
    expect(supervisor.status('fx')!.enabled).toBe(true);
    // Reading stays open to loopback pages (CORS decides what they may see).
    expect((await request(base).get('/api/servers').set('Origin', other)).status).toBe(200);

    // The gateway's own pages, and clients that are not browsers, keep working.
    const page = await request(base).get('/').set('Accept', 'text/html');
    const cookie = sessionCookieOf(page).pair;
    const mine = await request(base)
      .post('/ui/servers/fx/enabled')
      .set('Origin', own)
      .set('Sec-Fetch-Site', 'same-origin')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrfOf(page.text))
      .set('HX-Request', 'true')
      .type('form')
      .send({ enabled: 'false' });
    expect(mine.status).toBe(200);
    expect(supervisor.status('fx')!.enabled).toBe(false);
    expect((await request(base).patch('/api/servers/fx').send({ enabled: true })).status).toBe(200);
    expect(supervisor.status('fx')!.enabled).toBe(true);
  });

  it('refuses it with a key and a valid session too, and knows its own origin behind a proxy and in gateway.cors.origins', async () => {
    const chat = 'https://chat.example.com';
    const { app, supervisor } = await kit.gateway(
      { fx: fx() },
      { cors: { origins: [chat] } },
      { apiKey: KEY, allowedHosts: ['gw.tailnet.ts.net'] },
    );
    const base = await kit.listen(app);
    const { cookie, csrf } = await signIn(base, KEY);
    const toggle = (origin: string, headers: Record<string, string> = {}) =>
      request(base)
        .post('/ui/servers/fx/enabled')
        .set(headers)
        .set('Origin', origin)
        .set('Cookie', cookie)
        .set('X-CSRF-Token', csrf)
        .set('HX-Request', 'true')
        .type('form')
        .send({ enabled: 'false' });
    expectProblem(await toggle('http://localhost:1'), 403, 'csrf-failed');
    expect(supervisor.status('fx')!.enabled).toBe(true);
    // A configured browser origin (Open WebUI in the browser) may call with its key.
    const call = await request(base).post('/fx/echo').set('Origin', chat).set('Authorization', `Bearer ${KEY}`).send({ message: 'hi' });
    expect(call.status).toBe(200);
    // `tailscale serve`: Host is the tailnet name, X-Forwarded-Proto says https.
    const tailnet = { Host: 'gw.tailnet.ts.net', 'X-Forwarded-Host': 'gw.tailnet.ts.net', 'X-Forwarded-Proto': 'https' };
    expectProblem(await toggle('http://gw.tailnet.ts.net', tailnet), 403, 'csrf-failed');
    expect((await toggle('https://gw.tailnet.ts.net', tailnet)).status).toBe(200);
    expect(supervisor.status('fx')!.enabled).toBe(false);
    // A proxy that passes its own upstream Host and says the public one in X-Forwarded-Host.
    const proxied = { 'X-Forwarded-Host': 'gw.tailnet.ts.net', 'X-Forwarded-Proto': 'https' };
    expect((await toggle('https://gw.tailnet.ts.net', proxied)).status).toBe(200);
  });
});

describe('pages and fragments', () => {
  const kit = callKit();

  it('serves each page under a strict CSP, and the same partial alone to htmx', async () => {
    const { app } = await kit.gateway({ fx: fx() });
    for (const path of ['/', '/tools', '/tools/fx/echo', '/activity']) {
      const res = await request(app).get(path).set('Accept', 'text/html');
      expect(res.status, path).toBe(200);
      const csp = res.headers['content-security-policy'] as string;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toMatch(/unsafe-(inline|eval)/);
      expect(res.text).toContain('<!doctype html>');
      expect(res.text).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>/);
      expect(res.text).not.toMatch(/\sstyle=/);
    }
    const page = await request(app).get('/tools?q=echo').set('Accept', 'text/html');
    const swap = await request(app).get('/tools?q=echo').set('HX-Request', 'true').set('HX-Target', 'tool-results');
    expect(swap.text).not.toContain('<!doctype html>');
    expect(swap.text).toContain('href="tools/fx/echo"');
    // The fragment is exactly the part of the page it replaces.
    expect(page.text).toContain(swap.text.trim());
    // A history restore gets the whole page.
    const restore = await request(app)
      .get('/tools?q=echo')
      .set('HX-Request', 'true')
      .set('HX-History-Restore-Request', 'true')
      .set('HX-Target', 'tool-results');
    expect(restore.text).toContain('<!doctype html>');
  });

  it('serves htmx from the htmx.org package and the UI files, configured without eval', async () => {
    const { app } = await kit.gateway({ fx: fx() });
    const htmx = await request(app).get('/static/htmx.min.js');
    expect(htmx.status).toBe(200);
    expect(htmx.text).toContain('htmx');
    for (const file of ['/static/ui.js', '/static/ui.css', '/static/manifest.webmanifest', '/static/icons/icon-192.png']) {
      expect((await request(app).get(file)).status, file).toBe(200);
    }
    const page = await request(app).get('/').set('Accept', 'text/html');
    const config = page.text.match(/<meta name="htmx-config" content="([^"]+)">/)![1]!.replace(/&quot;/g, '"');
    expect(JSON.parse(config)).toMatchObject({ allowEval: false, allowScriptTags: false, selfRequestsOnly: true, historyCacheSize: 0 });
  });

  it('pages the tools list and filters by words in name and description', async () => {
    const { app } = await kit.gateway({ a: fx('echo,slow,hang'), b: fx('echo') });
    const all = await request(app).get('/tools').set('HX-Request', 'true').set('HX-Target', 'tool-results');
    expect(all.text).toContain('Showing 1–4 of 4 tools');
    const one = await request(app).get('/tools?q=echo&server=b').set('HX-Request', 'true').set('HX-Target', 'tool-results');
    expect(one.text).toContain('Showing 1–1 of 1 tool');
    expect(one.text).toContain('href="tools/b/echo"');
    const none = await request(app).get('/tools?q=zzz-nothing').set('HX-Request', 'true').set('HX-Target', 'tool-results');
    expect(none.text).toContain('No tools match');
  });

  it('restarts a server from its card, and says why not for a disabled server or one that is not there', async () => {
    const { app, supervisor } = await kit.gateway({ fx: fx(), off: { ...fx(), enabled: false } });
    const page = await request(app).get('/').set('Accept', 'text/html');
    const cookie = sessionCookieOf(page).pair;
    const csrf = csrfOf(page.text);
    const restart = (name: string) =>
      request(app)
        .post(`/ui/servers/${name}/restart`)
        .set('Cookie', cookie)
        .set('X-CSRF-Token', csrf)
        .set('HX-Request', 'true')
        .type('form')
        .send({});
    const before = await waitForServer(supervisor, 'fx', 'ready');
    const card = await restart('fx');
    expect(card.status).toBe(200);
    expect(card.text).toContain('id="server-fx-name"');
    expect(supervisor.status('fx')!.restarts).toBe(before.restarts + 1);
    const off = await restart('off');
    expectProblem(off, 409, 'server-disabled');
    expect(off.body.detail).toBe('server "off" is disabled; enable it first');
    expect(supervisor.status('off')!.restarts).toBe(0);
    const nope = await restart('nope');
    expectProblem(nope, 404, 'server-not-found');
    expect(nope.body.detail).toBe('no server named "nope"');
  });

  it('answers an unknown tool page with an HTML error page, and swaps with problem JSON', async () => {
    const { app } = await kit.gateway({ fx: fx() });
    const page = await request(app).get('/tools/fx/nope').set('Accept', 'text/html');
    expect(page.status).toBe(404);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('No such tool');
    expectProblem(await request(app).get('/tools/fx/nope').set('HX-Request', 'true'), 404, 'tool-not-found');
  });
});

describe('test runs from the UI', () => {
  const kit = callKit();

  it('decodes the generated form, runs the call through the normal path and logs it as the UI caller', async () => {
    const { app, gateway } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY });
    const { cookie, csrf } = await signIn(app, KEY);
    const run = await request(app)
      .post('/ui/tools/fx/echo/call')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .set('HX-Request', 'true')
      .type('form')
      .send({ _mode: 'form', 'a/message': 'from the form' });
    expect(run.status).toBe(200);
    expect(run.text).toContain('data-outcome="ok"');
    expect(run.text).toContain('from the form');
    // "Copy as curl" names the management route and reads the key from the environment.
    expect(run.text).toContain('/api/tools/fx/echo');
    expect(run.text).toContain('$MCP_GATEWAY_KEY');
    expect(run.text).not.toContain(KEY);
    const page = gateway.activity.list({ limit: 5 });
    expect(page.items[0]).toMatchObject({
      server: 'fx',
      tool: 'echo',
      caller: 'ui',
      outcome: 'ok',
      arguments: { message: 'from the form' },
    });
  });

  it('shows validation errors naming the field, and runs JSON from the raw editor', async () => {
    const { app } = await kit.gateway({ fx: fx() });
    const page = await request(app).get('/tools/fx/echo').set('Accept', 'text/html');
    const cookie = sessionCookieOf(page).pair;
    const csrf = csrfOf(page.text);
    const post = (body: object) =>
      request(app)
        .post('/ui/tools/fx/echo/call')
        .set('Cookie', cookie)
        .set('X-CSRF-Token', csrf)
        .set('HX-Request', 'true')
        .type('form')
        .send(body);

    const invalid = await post({ _mode: 'json', _json: '{"message": 5}' });
    expect(invalid.status).toBe(422);
    expect(invalid.text).toContain('message');
    expect(invalid.text).toContain('must be string');
    const broken = await post({ _mode: 'json', _json: '{"message": ' });
    expect(broken.status).toBe(422);
    expect(broken.text).toContain('is not valid JSON');
    const ok = await post({ _mode: 'json', _json: '{"message": "raw json"}' });
    expect(ok.text).toContain('data-outcome="ok"');
    expect(ok.text).toContain('raw json');
  });

  it('refuses JSON from the raw editor nested deeper than gateway.maxJsonDepth before anything runs', async () => {
    const { app, gateway } = await kit.gateway({ fx: fx() });
    const page = await request(app).get('/tools/fx/echo').set('Accept', 'text/html');
    const cookie = sessionCookieOf(page).pair;
    const csrf = csrfOf(page.text);
    const deep = `{"message": "x", "deep": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const run = await request(app)
      .post('/ui/tools/fx/echo/call')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .set('HX-Request', 'true')
      .type('form')
      .send({ _mode: 'json', _json: deep });
    expect(run.status).toBe(422);
    expect(run.text).toContain('deeper than gateway.maxJsonDepth (64 levels)');
    expect(gateway.activity.list({ limit: 5 }).items).toEqual([]);
    // Switching the editor to the form does not try to lay it out either.
    const editor = await request(app)
      .post('/ui/tools/fx/echo/editor')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .set('HX-Request', 'true')
      .type('form')
      .send({ _to: 'form', _json: deep });
    expect(editor.status).toBe(200);
    expect(editor.text).toContain('nests deeper than gateway.maxJsonDepth');
  });

  it('shows a long call running, with progress, until it ends', async () => {
    const { app } = await kit.gateway({ fx: fx() });
    const page = await request(app).get('/tools/fx/slow').set('Accept', 'text/html');
    const cookie = sessionCookieOf(page).pair;
    const csrf = csrfOf(page.text);
    const run = await request(app)
      .post('/ui/tools/fx/slow/call')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .set('HX-Request', 'true')
      .type('form')
      .send({ _mode: 'json', _json: '{"steps": 4, "delayMs": 600}' });
    expect(run.status).toBe(200);
    expect(run.text).toContain('hx-trigger="every 500ms"');
    const id = run.text.match(/data-call="([^"]+)"/)![1]!;
    await expect
      .poll(async () => (await request(app).get(`/ui/calls/${id}`).set('Cookie', cookie)).text, { timeout: 10_000 })
      .toMatch(/<progress max="100" value="\d+"/);
    await expect
      .poll(async () => (await request(app).get(`/ui/calls/${id}`).set('Cookie', cookie)).text, { timeout: 15_000 })
      .toContain('data-outcome="ok"');
  });

  it('switches the editor from the form to JSON and back, keeping the values', async () => {
    const { app } = await kit.gateway({ fx: fx() });
    const page = await request(app).get('/tools/fx/echo').set('Accept', 'text/html');
    const cookie = sessionCookieOf(page).pair;
    const csrf = csrfOf(page.text);
    const toJson = await request(app)
      .post('/ui/tools/fx/echo/editor')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .type('form')
      .send({ _to: 'json', 'a/message': 'keep me' });
    expect(toJson.text).toContain('name="_json"');
    expect(toJson.text).toContain('&quot;message&quot;: &quot;keep me&quot;');
    const toForm = await request(app)
      .post('/ui/tools/fx/echo/editor')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .type('form')
      .send({ _to: 'form', _json: '{"message":"back"}' });
    expect(toForm.text).toMatch(/name="a\/message"[^>]*>back<\/textarea>|name="a\/message" value="back"/);
  });
});

describe('under a path prefix', () => {
  const kit = callKit();

  it('takes gateway.basePath with or without the prefix in the path, and writes it into links and redirects', async () => {
    const { app } = await kit.gateway({ fx: fx() }, { basePath: '/mcp' }, { apiKey: KEY });
    for (const path of ['/mcp/tools', '/tools']) {
      const res = await request(app).get(path).set('Accept', 'text/html');
      expect(res.status, path).toBe(303);
      expect(res.headers.location).toBe('/mcp/ui/login?next=%2Ftools');
    }
    const login = await request(app).post('/mcp/ui/login').type('form').send({ key: KEY, next: '/tools' });
    expect(login.headers.location).toBe('/mcp/tools');
    expect(sessionCookieOf(login).attributes).toMatch(/Path=\/mcp\//);
    const cookie = sessionCookieOf(login).pair;
    const page = await request(app).get('/mcp/tools').set('Cookie', cookie).set('Accept', 'text/html');
    expect(page.text).toContain('<base href="/mcp/">');
    const doc = await request(app).get('/mcp/fx/openapi.json').set('Authorization', `Bearer ${KEY}`);
    expect(doc.body.servers[0].url).toBe('/mcp/fx');
    const async = await request(app)
      .post('/mcp/fx/echo')
      .set('Authorization', `Bearer ${KEY}`)
      .set('Prefer', 'respond-async')
      .send({ message: 'x' });
    expect(async.status).toBe(202);
    expect(async.headers.location).toMatch(/^\/mcp\/api\/calls\//);
  });

  it('follows X-Forwarded-Prefix, and ignores one that is not a plain path', async () => {
    const { app } = await kit.gateway({ fx: fx() });
    const page = await request(app).get('/tools').set('Accept', 'text/html').set('X-Forwarded-Prefix', '/gw/');
    expect(page.text).toContain('<base href="/gw/">');
    for (const bad of ['//evil.example', '/a/../b', 'https://evil.example', '/x"onload="y']) {
      const res = await request(app).get('/tools').set('Accept', 'text/html').set('X-Forwarded-Prefix', bad);
      expect(res.text, bad).toContain('<base href="/">');
    }
  });
});
