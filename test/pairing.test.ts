// Pairing a phone: the admin starts it, the phone claims it with the link's secret or the short
// code and a name, the admin confirms after comparing the codes, and only then does the phone get
// its own token — with approvals:decide and read scopes only. Expiry, wrong tries, a double claim,
// no confirmation, and revocation that cuts the device off at once. A real gateway over HTTP,
// real MCP servers, a real SQLite file; the pairing clock is the only thing the test controls.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Pairings } from '../server/auth/pairing.js';
import { createLogger } from '../server/logging/logger.js';
import { callKit, expectProblem, node } from './helpers/calls.js';
import { fixture } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { csrfOf } from './helpers/ui-session.js';

const KEY = 'pairing-test-start-up-key-0123';
const fx = () => ({ command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: 'echo' } });
const ASK_ECHO = { default: 'allow', rules: [{ server: 'fx', tool: 'echo', action: 'ask' }] };
type App = Parameters<typeof request>[0];

function cookieOf(res: request.Response): string | undefined {
  const line = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((value) => value.startsWith('mcpgw_session='));
  return line?.split(';')[0];
}

/** A browser session: the cookie and the CSRF token of its pages. */
async function browser(app: App, cookie: string, page = '/approvals'): Promise<{ cookie: string; csrf: string }> {
  const res = await request(app).get(page).set('Cookie', cookie).set('Accept', 'text/html');
  expect(res.status).toBe(200);
  return { cookie, csrf: csrfOf(res.text) };
}

async function signInAdmin(app: App) {
  const login = await request(app).post('/ui/login').type('form').send({ key: KEY, next: '/access' });
  return browser(app, cookieOf(login)!, '/access');
}

/** Starts a pairing as the admin; returns its id, short code and the link's secret. */
async function startPairing(app: App, admin: { cookie: string; csrf: string }) {
  const res = await request(app).post('/ui/pairing').set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf).set('HX-Request', 'true');
  expect(res.status).toBe(200);
  expect(res.text).toContain('<svg');
  const secret = res.text.match(/\/pair#([A-Za-z0-9_-]+)/)![1]!;
  const id = res.text.match(/ui\/pairing\/([^/"]+)\/?"/)?.[1] ?? res.text.match(/hx-get="ui\/pairing\/([^"]+)"/)![1]!;
  const code = res.text.match(/aria-label="Short code">([A-Z-]+)</)![1]!;
  return { id, code, secret };
}

const claim = (app: App, fields: Record<string, string>) => request(app).post('/ui/pair/claim').type('form').send(fields);
const collect = (app: App, claimToken: string) => request(app).post('/ui/pair/collect').type('form').send({ claim: claimToken });
const claimTokenOf = (html: string) => html.match(/name="claim" value="([^"]+)"/)![1]!;
const confirmationOf = (html: string) => html.match(/aria-label="Confirmation code">(\d{6})</)![1]!;

describe('pairing a phone', () => {
  const kit = callKit();

  it('gives the phone its own token only after the admin confirms matching codes; the device may decide approvals and nothing more', async () => {
    const lines: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
    const { app, stateDir } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, approval: ASK_ECHO, logger });
    const admin = await signInAdmin(app);
    const { id, secret } = await startPairing(app, admin);

    const claimed = await claim(app, { secret, label: 'Pixel 8' });
    expect(claimed.status).toBe(200);
    const phoneCode = confirmationOf(claimed.text);
    const claimToken = claimTokenOf(claimed.text);
    // Not confirmed yet: no token.
    const early = await collect(app, claimToken);
    expect(early.status).toBe(204);
    expect(cookieOf(early)).toBeUndefined();
    // The desktop shows the phone's name and the same code.
    const status = await request(app).get(`/ui/pairing/${id}`).set('Cookie', admin.cookie);
    expect(status.text).toContain('Pixel 8');
    expect(confirmationOf(status.text)).toBe(phoneCode);
    await request(app).post(`/ui/pairing/${id}/confirm`).set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf).expect(200);

    const done = await collect(app, claimToken);
    expect(done.status).toBe(200);
    expect(done.headers['hx-redirect']).toBe('/approvals');
    const deviceCookie = cookieOf(done)!;
    expect(String(done.headers['set-cookie'])).toMatch(/HttpOnly/i);
    expect(String(done.headers['set-cookie'])).toMatch(/SameSite=Strict/i);
    expect((await collect(app, claimToken)).status).toBe(410);

    // The device reads and decides approvals…
    const phone = await browser(app, deviceCookie);
    expect((await request(app).get('/api/approvals').set('Cookie', deviceCookie)).status).toBe(200);
    expect((await request(app).get('/').set('Cookie', deviceCookie).set('Accept', 'text/html')).status).toBe(200);
    // …and nothing more: tool calls, keys, devices, servers are refused.
    const call = await request(app).post('/fx/echo').set('Cookie', deviceCookie).set('X-CSRF-Token', phone.csrf).send({ message: 'x' });
    expectProblem(call, 403, 'forbidden');
    expect(call.body.detail).toContain('the paired device "Pixel 8"');
    expectProblem(
      await request(app).post('/api/tools/fx/echo').set('Cookie', deviceCookie).set('X-CSRF-Token', phone.csrf).send({ message: 'x' }),
      403,
      'forbidden',
    );
    expectProblem(await request(app).get('/api/keys').set('Cookie', deviceCookie), 403, 'forbidden');
    expectProblem(
      await request(app).post('/api/keys').set('Cookie', deviceCookie).set('X-CSRF-Token', phone.csrf).send({ label: 'x' }),
      403,
      'forbidden',
    );
    expectProblem(await request(app).get('/api/devices').set('Cookie', deviceCookie), 403, 'forbidden');
    expectProblem(
      await request(app).patch('/api/servers/fx').set('Cookie', deviceCookie).set('X-CSRF-Token', phone.csrf).send({ enabled: false }),
      403,
      'forbidden',
    );
    expectProblem(await request(app).post('/ui/pairing').set('Cookie', deviceCookie).set('X-CSRF-Token', phone.csrf), 403, 'forbidden');

    // The device decides a held call; the audit names it.
    const held = request(app)
      .post('/fx/echo')
      .set('Authorization', `Bearer ${KEY}`)
      .send({ message: 'ship it' })
      .then((res) => res);
    const approval = await waitUntil(
      async () => (await request(app).get('/api/approvals?state=pending').set('Cookie', deviceCookie)).body.items[0],
    );
    const decided = await request(app)
      .post(`/api/approvals/${approval.id}/approve`)
      .set('Cookie', deviceCookie)
      .set('X-CSRF-Token', phone.csrf);
    expect(decided.body).toMatchObject({ state: 'approved', decidedBy: expect.stringMatching(/^device:/), decidedByLabel: 'Pixel 8' });
    expect((await held).body).toBe('ship it');

    const devices = await request(app).get('/api/devices').set('Authorization', `Bearer ${KEY}`);
    expect(devices.body.items).toHaveLength(1);
    expect(devices.body.items[0]).toMatchObject({ label: 'Pixel 8', pairedBy: 'ui', revokedAt: null });
    expect(devices.body.items[0].lastSeenAt).not.toBeNull();

    // No secret, claim token or device token in plain text in the log or the database.
    const token = deviceCookie.split('=')[1]!;
    const state = fs
      .readdirSync(stateDir)
      .map((name) => fs.readFileSync(path.join(stateDir, name)).toString('latin1'))
      .join('\n');
    for (const value of [secret, claimToken, token]) {
      expect(lines.join('')).not.toContain(value);
      expect(state).not.toContain(value);
    }
  });

  it('makes a key on the Access page, shows it once, and revokes it there', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY });
    const admin = await signInAdmin(app);
    const made = await request(app)
      .post('/ui/access/keys')
      .set('Cookie', admin.cookie)
      .set('X-CSRF-Token', admin.csrf)
      .set('HX-Request', 'true')
      .type('form')
      .send('label=Open+WebUI&scope=tools%3Acall&scope=tools%3Aread');
    expect(made.status).toBe(200);
    const token = made.text.match(/mgw_[A-Za-z0-9_-]{43}/)![0];
    expect((await request(app).post('/fx/echo').set('Authorization', `Bearer ${token}`).send({ message: 'hi' })).status).toBe(200);
    const page = await request(app).get('/access').set('Cookie', admin.cookie).set('Accept', 'text/html');
    expect(page.text).toContain('Open WebUI');
    expect(page.text).not.toContain(token);
    const [key] = (await request(app).get('/api/keys').set('Authorization', `Bearer ${KEY}`)).body.items;
    const bad = await request(app)
      .post('/ui/access/keys')
      .set('Cookie', admin.cookie)
      .set('X-CSRF-Token', admin.csrf)
      .set('HX-Request', 'true')
      .type('form')
      .send('label=x');
    expect(bad.text).toContain('Choose at least one scope');
    await request(app)
      .post(`/ui/access/keys/${key.id}/revoke`)
      .set('Cookie', admin.cookie)
      .set('X-CSRF-Token', admin.csrf)
      .set('HX-Request', 'true')
      .expect(200);
    expectProblem(
      await request(app).post('/fx/echo').set('Authorization', `Bearer ${token}`).send({ message: 'hi' }),
      403,
      'invalid-credentials',
    );
  });

  it('takes the short code typed by hand, in any case and spacing', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY });
    const admin = await signInAdmin(app);
    const { code } = await startPairing(app, admin);
    const typed = ` ${code.replace('-', ' ').toLowerCase()} `;
    const claimed = await claim(app, { code: typed, label: 'Tablet' });
    expect(claimed.status).toBe(200);
    expect(confirmationOf(claimed.text)).toMatch(/^\d{6}$/);
  });

  it('expires after 2 minutes, before or after the claim, and never hands out a token then', async () => {
    let now = Date.now();
    const pairings = new Pairings({ now: () => now });
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, pairings });
    const admin = await signInAdmin(app);
    const first = await startPairing(app, admin);
    now += 121_000;
    const late = await claim(app, { secret: first.secret, label: 'Late phone' });
    expect(late.status).toBe(403);
    expect(late.text).toContain('expired');

    const second = await startPairing(app, admin);
    const claimed = await claim(app, { secret: second.secret, label: 'Slow admin' });
    now += 121_000;
    const confirm = await request(app).post(`/ui/pairing/${second.id}/confirm`).set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf);
    expect(confirm.text).toContain('Could not confirm');
    const gone = await collect(app, claimTokenOf(claimed.text));
    expect(gone.status).toBe(410);
    expect(cookieOf(gone)).toBeUndefined();
  });

  it('voids the pairing after 5 wrong codes, refuses a double claim, and gives no token without confirmation', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY });
    const admin = await signInAdmin(app);
    const { id, code } = await startPairing(app, admin);
    const wrongCode = code === 'BBBB-BBBB' ? 'CCCC-CCCC' : 'BBBB-BBBB';
    for (let i = 4; i >= 1; i--) {
      const wrong = await claim(app, { code: wrongCode, label: 'Mallory' });
      expect(wrong.status).toBe(403);
      expect(wrong.text).toContain(`${i} ${i === 1 ? 'try' : 'tries'} left`);
    }
    await claim(app, { code: wrongCode, label: 'Mallory' }).expect(403);
    const right = await claim(app, { code, label: 'Mallory' });
    expect(right.status).toBe(403);
    expect(right.text).toContain('too many wrong codes');
    const status = await request(app).get(`/ui/pairing/${id}`).set('Cookie', admin.cookie);
    expect(status.text).toContain('void');

    const fresh = await startPairing(app, admin);
    const mine = await claim(app, { secret: fresh.secret, label: 'My phone' });
    expect(mine.status).toBe(200);
    const again = await claim(app, { secret: fresh.secret, label: 'Other phone' });
    expect(again.status).toBe(403);
    expect(again.text).toContain('already claimed');
    // The admin cancels instead of confirming: the phone never gets a token.
    expect((await collect(app, claimTokenOf(mine.text))).status).toBe(204);
    await request(app).post(`/ui/pairing/${fresh.id}/cancel`).set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf).expect(200);
    const cancelled = await collect(app, claimTokenOf(mine.text));
    expect(cancelled.status).toBe(410);
    expect(cookieOf(cancelled)).toBeUndefined();
    expect((await request(app).get('/api/devices').set('Authorization', `Bearer ${KEY}`)).body.items).toEqual([]);
  });

  it('cuts a revoked device off at once: its next request fails and its live stream closes', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY });
    const base = await kit.listen(app);
    const admin = await signInAdmin(app);
    const { id, secret } = await startPairing(app, admin);
    const claimed = await claim(app, { secret, label: 'Lost phone' });
    await request(app).post(`/ui/pairing/${id}/confirm`).set('Cookie', admin.cookie).set('X-CSRF-Token', admin.csrf).expect(200);
    const deviceCookie = cookieOf(await collect(app, claimTokenOf(claimed.text)))!;

    const stream = await fetch(`${base}/ui/events`, { headers: { Cookie: deviceCookie, Accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();

    const [device] = (await request(app).get('/api/devices').set('Authorization', `Bearer ${KEY}`)).body.items;
    const revoked = await request(app).delete(`/api/devices/${device.id}`).set('Authorization', `Bearer ${KEY}`);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect(await ended).toBe(true);
    expectProblem(await request(app).get('/api/approvals').set('Cookie', deviceCookie), 401, 'unauthorized');
    expect((await request(app).get('/approvals').set('Cookie', deviceCookie).set('Accept', 'text/html')).status).toBe(303);
  });
});
