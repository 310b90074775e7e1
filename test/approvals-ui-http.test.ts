// The approvals pages over HTTP (no browser): the pending call with its arguments shown as text,
// the nav's badge, deciding through the form (with CSRF) so that the waiting REST call answers,
// a second decision naming the winner, the binding, plain form posts, scopes, and the decision in
// the activity log. A real gateway, a real MCP server, a real SQLite file; browsers are in ui.test.ts.
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem, node } from './helpers/calls.js';
import { fixture } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { pendingApprovals, signIn, type App } from './helpers/ui-session.js';

const KEY = 'approvals-ui-test-key-0123456789';
const bearer = (token: string) => `Bearer ${token}`;

const fx = () => ({ command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: 'echo' } });
const ASK_ECHO = { default: 'allow', rules: [{ server: 'fx', tool: 'echo', action: 'ask' }] };
const HOSTILE = '<img src=x onerror=alert(1)>';
const HOSTILE_ESCAPED = '&lt;img src=x onerror=alert(1)&gt;';

/** Holds a call to fx/echo; resolves with its answer once it is decided. */
function held(app: App, message: string): Promise<request.Response> {
  return request(app)
    .post('/fx/echo')
    .set('Authorization', bearer(KEY))
    .send({ message })
    .then((res) => res);
}

describe('the approvals pages', () => {
  const kit = callKit();

  it('list a pending call with its arguments as text; Approve answers the waiting call; a second decision names the winner', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, approval: ASK_ECHO });
    const { cookie, csrf } = await signIn(app, KEY, '/approvals');
    const ui = (path: string) => request(app).get(path).set('Cookie', cookie).set('Accept', 'text/html');
    const decide = (id: string, action: 'approve' | 'deny', form: Record<string, string>) =>
      request(app)
        .post(`/ui/approvals/${id}/${action}`)
        .set('Cookie', cookie)
        .set('X-CSRF-Token', csrf)
        .set('HX-Request', 'true')
        .type('form')
        .send(form);

    // Nothing waits: the badge is there, empty and hidden.
    const empty = await ui('/approvals');
    expect(empty.text).toContain('No calls wait for a decision.');
    expect(empty.text).toMatch(/<span id="approvals-badge" class="badge approvals-count" data-count="0" hidden><\/span>/);

    const waiting = held(app, HOSTILE);
    const [approval] = await pendingApprovals(app, KEY);
    const page = await ui('/approvals');
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(page.text).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).not.toMatch(/\sstyle=/);
    // The arguments as escaped text (pretty JSON), never as a tag.
    expect(page.text).not.toContain(HOSTILE);
    expect(page.text).toContain(`&quot;message&quot;: &quot;${HOSTILE_ESCAPED}&quot;`);
    expect(page.text).toContain(`data-approval="${approval!.id}" data-state="pending"`);
    expect(page.text).toContain(`name="binding" value="${approval!.binding}"`);
    expect(page.text).toContain(`name="_csrf" value="${csrf}"`);
    expect(page.text).toContain('fx/echo');
    expect(page.text).toContain('<dt>Caller</dt><dd>start-up key</dd>');
    expect(page.text).toContain('<p class="rule">Why: rule $.approval.rules[0] says ask</p>');
    expect(page.text).toContain(`<time class="countdown" datetime="${approval!.expiresAt}"`);
    expect(page.text).toContain(`expires ${approval!.expiresAt!.slice(0, 10)} ${approval!.expiresAt!.slice(11, 19)} UTC`);
    expect(page.text).toContain('1 call waits for a decision.');
    // The badge on this page, on every other page, and alone.
    expect(page.text).toContain('data-count="1">1<span class="visually-hidden"> pending</span></span>');
    for (const path of ['/', '/tools', '/activity'])
      expect((await ui(path)).text, path).toContain('data-count="1">1<span class="visually-hidden"> pending</span>');
    const badge = await request(app).get('/ui/approvals/badge').set('Cookie', cookie).set('HX-Request', 'true');
    expect(badge.text.trim()).toBe(
      '<span id="approvals-badge" class="badge approvals-count" data-count="1">1<span class="visually-hidden"> pending</span></span>',
    );
    // The list's fragment, for the live refresh, is exactly the part of the page it stands for.
    const swap = await request(app).get('/approvals').set('Cookie', cookie).set('HX-Request', 'true').set('HX-Target', 'approvals-list');
    expect(swap.text).not.toContain('<!doctype html>');
    const timeless = (html: string) => html.replace(/data-left="\d+"/g, 'data-left=""');
    expect(timeless(page.text)).toContain(timeless(swap.text.trim()));
    // The deep link of webhooks.
    const one = await ui(`/approvals/${approval!.id}`);
    expect(one.status).toBe(200);
    expect(one.text).toContain(`data-live-approval="${approval!.id}"`);
    expect(one.text).toContain(HOSTILE_ESCAPED);
    expect(one.text).not.toContain(HOSTILE);

    const approved = await decide(approval!.id!, 'approve', { binding: approval!.binding!, reason: 'looks <b>fine</b>' });
    expect(approved.status).toBe(200);
    expect(approved.text).not.toContain('<!doctype html>');
    expect(approved.text).toContain(`data-approval="${approval!.id}" data-state="approved"`);
    expect(approved.text).toContain('<dd class="decided-by">UI (start-up key)</dd>');
    expect(approved.text).toContain('<dd>the UI</dd>');
    expect(approved.text).toContain('looks &lt;b&gt;fine&lt;/b&gt;');
    expect(approved.text).not.toContain('name="binding"');
    // The badge comes along out of band, now empty.
    expect(approved.text).toContain(
      '<span id="approvals-badge" class="badge approvals-count" data-count="0" hx-swap-oob="true" hidden></span>',
    );
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(HOSTILE);
    expect((await request(app).get(`/api/approvals/${approval!.id}`).set('Authorization', bearer(KEY))).body).toMatchObject({
      state: 'approved',
      decidedByLabel: 'UI (start-up key)',
      decidedVia: 'ui',
      reason: 'looks <b>fine</b>',
    });

    // Too late: the card comes back (200, so that htmx swaps it) saying who won.
    const late = await decide(approval!.id!, 'deny', { binding: approval!.binding!, reason: 'no' });
    expect(late.status).toBe(200);
    expect(late.text).toContain('Already approved by UI (start-up key).');
    expect(late.text).toContain('data-state="approved"');

    // The decision under "Recent decisions", and nothing pending.
    const after = await ui('/approvals');
    expect(after.text).toContain('No calls wait for a decision.');
    expect(after.text).toMatch(
      new RegExp(
        `<li class="decision-row decision-approved" data-approval="${approval!.id}">[\\s\\S]*?by UI \\(start-up key\\) via the UI[\\s\\S]*?looks &lt;b&gt;fine&lt;/b&gt;`,
      ),
    );

    // The activity log shows the decision: a line in the list, every field on the entry's page.
    const entry = await waitUntil(async () => {
      const res = await request(app).get('/api/activity?tool=echo').set('Authorization', bearer(KEY));
      return res.body.items.find((item: { outcome: string }) => item.outcome === 'ok');
    });
    expect(entry.approvalId).toBe(approval!.id);
    expect((await ui('/activity')).text).toContain('<span class="decision decision-approved">approved by UI (start-up key)</span>');
    const detail = await ui(`/activity/${entry.id}`);
    expect(detail.text).toContain('<dt>Decided by</dt><dd>UI (start-up key)</dd>');
    expect(detail.text).toContain('<dt>Via</dt><dd>the UI</dd>');
    expect(detail.text).toContain('<dt>Reason</dt><dd>looks &lt;b&gt;fine&lt;/b&gt;</dd>');
    expect(detail.text).toContain(`href="approvals/${approval!.id}"`);
    expect(detail.text).toMatch(/<dt>When<\/dt><dd><time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">/);
  });

  it('applies a decision only to what was shown, takes plain form posts, and needs approvals:decide and the CSRF token', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, approval: ASK_ECHO });
    const { cookie, csrf } = await signIn(app, KEY, '/approvals');
    const waiting = held(app, 'rm -rf /');
    const [approval] = await pendingApprovals(app, KEY);
    const path = `/ui/approvals/${approval!.id}`;

    // Without the token, the session cookie alone decides nothing.
    expectProblem(
      await request(app).post(`${path}/approve`).set('Cookie', cookie).type('form').send({ binding: approval!.binding }),
      403,
      'csrf-failed',
    );
    // A key that may read but not decide: refused before the route, and no badge on its pages.
    const reader = (
      await request(app)
        .post('/api/keys')
        .set('Authorization', bearer(KEY))
        .send({ label: 'reader', scopes: ['tools:read'] })
    ).body.token;
    const forbidden = await request(app)
      .post(`${path}/approve`)
      .set('Authorization', bearer(reader))
      .type('form')
      .send({ binding: approval!.binding });
    expectProblem(forbidden, 403, 'forbidden');
    expect(forbidden.body.scope).toBe('approvals:decide');
    expectProblem(await request(app).get('/approvals').set('Authorization', bearer(reader)), 403, 'forbidden');
    expectProblem(await request(app).get('/ui/approvals/badge').set('Authorization', bearer(reader)), 403, 'forbidden');
    const readerPage = await request(app).get('/').set('Authorization', bearer(reader)).set('Accept', 'text/html');
    expect(readerPage.status).toBe(200);
    expect(readerPage.text).not.toContain('approvals-badge');
    // A key that decides (a phone app) sees the page and the badge.
    const decider = (
      await request(app)
        .post('/api/keys')
        .set('Authorization', bearer(KEY))
        .send({ label: 'Pixel 8', scopes: ['approvals:decide'] })
    ).body.token;
    const deciderPage = await request(app).get('/approvals').set('Authorization', bearer(decider)).set('Accept', 'text/html');
    expect(deciderPage.status).toBe(200);
    expect(deciderPage.text).toContain('data-count="1">1');

    // A binding that is not this approval's (other arguments, another tool definition): refused, still pending.
    const stale = await request(app)
      .post(`${path}/approve`)
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .set('HX-Request', 'true')
      .type('form')
      .send({ binding: 'f'.repeat(64) });
    expect(stale.status).toBe(200);
    expect(stale.text).toContain('This is not the call you saw');
    expect(stale.text).toContain('data-state="pending"');
    expect(stale.text).toContain(`name="binding" value="${approval!.binding}"`);

    // A plain form post (no htmx): back to the list.
    const denied = await request(app)
      .post(`${path}/deny`)
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, binding: approval!.binding, reason: 'not on prod' });
    expect(denied.status).toBe(303);
    expect(denied.headers.location).toBe('/approvals');
    const answer = await waiting;
    expectProblem(answer, 403, 'approval-denied');
    expect(answer.body).toMatchObject({ reason: 'not on prod', decidedBy: 'UI (start-up key)' });
    // Decided already: the approval's page, which says by whom.
    const again = await request(app)
      .post(`${path}/approve`)
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrf, binding: approval!.binding });
    expect(again.status).toBe(303);
    expect(again.headers.location).toBe(`/approvals/${approval!.id}`);
    const shown = await request(app).get(again.headers.location!).set('Cookie', cookie).set('Accept', 'text/html');
    expect(shown.text).toContain('data-state="denied"');
    expect(shown.text).toContain('<dd class="decision-reason">not on prod</dd>');

    // An approval that is not there: a card saying so for htmx, the list for a plain post, a 404 page.
    const missing = await request(app)
      .post('/ui/approvals/apr_nope/approve')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .set('HX-Request', 'true')
      .type('form')
      .send({});
    expect(missing.status).toBe(200);
    expect(missing.text).toContain('data-state="missing"');
    expect(missing.text).toContain('no approval with id &quot;apr_nope&quot;');
    const missingPlain = await request(app).post('/ui/approvals/apr_nope/deny').set('Cookie', cookie).type('form').send({ _csrf: csrf });
    expect(missingPlain.status).toBe(303);
    expect(missingPlain.headers.location).toBe('/approvals');
    const missingPage = await request(app).get('/approvals/apr_nope').set('Cookie', cookie).set('Accept', 'text/html');
    expect(missingPage.status).toBe(404);
    expect(missingPage.text).toContain('No such approval');
  });

  it('says in words why a decision did not apply: a reason too long, a tool whose definition changed', async () => {
    const fxTools = { command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: 'echo,add_tool,remove_tool' } };
    const { app } = await kit.gateway({ fx: fxTools }, {}, { apiKey: KEY, approval: ASK_ECHO });
    const { cookie, csrf } = await signIn(app, KEY, '/approvals');
    const waiting = held(app, 'hello');
    const [approval] = await pendingApprovals(app, KEY);
    const decide = (form: object) =>
      request(app)
        .post(`/ui/approvals/${approval!.id}/approve`)
        .set('Cookie', cookie)
        .set('X-CSRF-Token', csrf)
        .set('HX-Request', 'true')
        .type('form')
        .send({ binding: approval!.binding, ...form });

    const long = await decide({ reason: 'x'.repeat(501) });
    expect(long.status).toBe(200);
    expect(long.text).toContain('the reason must be at most 500 characters');
    expect(long.text).toContain('data-state="pending"');

    // The tool changes while the call waits: approving voids it.
    expect((await request(app).post('/fx/remove_tool').set('Authorization', bearer(KEY)).send({ name: 'echo' })).status).toBe(200);
    expect((await request(app).post('/fx/add_tool').set('Authorization', bearer(KEY)).send({ name: 'echo' })).status).toBe(200);
    await waitUntil(
      async () =>
        (await request(app).get('/api/tools/fx/echo').set('Authorization', bearer(KEY))).body.description === 'Added at run time.',
    );
    const voided = await decide({});
    expect(voided.status).toBe(200);
    expect(voided.text).toContain('Not run: the tool&#39;s definition changed after the call asked.');
    expect(voided.text).toContain('data-state="void"');
    expectProblem(await waiting, 409, 'approval-void');
  });
});
