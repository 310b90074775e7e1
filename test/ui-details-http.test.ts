// What the orchestrator's pages show, over HTTP (no browser): untrusted names, arguments and
// labels with their hidden characters made visible; a call that waits for approval, everywhere it
// shows; the policy's marks on tools; callers by their labels; one time format; a server's stderr
// as output, not as an error; what a paired phone sees; the pairing's loopback warning; the
// bounded "Recent decisions"; the Connect page. Real gateways, real MCP servers, a real SQLite file.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, node } from './helpers/calls.js';
import { fixture, tempDir, waitForServer } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { csrfOf, pendingApprovals, signIn } from './helpers/ui-session.js';

const KEY = 'ui-details-test-key-0123456789';
const bearer = (token: string) => `Bearer ${token}`;

const fx = (tools = 'echo', env: Record<string, string> = {}) => ({
  command: node,
  args: [fixture('fixture-server.mjs')],
  env: { FIXTURE_TOOLS: tools, ...env },
});

/** schema-server.mjs serving `tools` (it answers every call with the arguments it received). */
function schemaServer(tools: object[]) {
  const file = path.join(tempDir('mcp-gateway-ui-details-'), 'tools.json');
  fs.writeFileSync(file, JSON.stringify(tools));
  return { command: node, args: [fixture('schema-server.mjs')], env: { FIXTURE_TOOLS_FILE: file } };
}

/** Every C0 control character, and DEL. */
const CONTROLS = `${Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('')}\u007f`;
/** What they look like on a page (HTML-escaped). */
const CONTROLS_SHOWN =
  '\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\u0008\\t\\n\\u000B\\u000C\\r\\u000E\\u000F' +
  '\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001A\\u001B\\u001C\\u001D\\u001E\\u001F\\u007F';
/** A tool name that would display as "evil_exe.png" with a zero-width space and hidden controls in it. */
const SNEAKY = `evil_\u202Egnp.exe\u2066\u2069\u200B${CONTROLS}`;
const SNEAKY_SHOWN = `evil_\\u202Egnp.exe\\u2066\\u2069\\u200B${CONTROLS_SHOWN}`;
/** A character a page must never carry raw (line feed, tab and CR stay allowed: they are markup's own whitespace). */
const RAW_HIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029\uFEFF]/;

describe('untrusted text with hidden characters', () => {
  const kit = callKit();

  it('shows bidi controls, zero-width and control characters as visible escapes in names, arguments, labels, titles and attributes', async () => {
    const tool = {
      name: SNEAKY,
      title: `Title \u202Eeltit`,
      description: `Line one\nline \u2066two\u2069\u200B`,
      inputSchema: { type: 'object', properties: { text: { type: 'string', description: 'x\u202Ey' } } },
    };
    const { app } = await kit.gateway(
      { sx: schemaServer([tool]) },
      {},
      { apiKey: KEY, approval: { default: 'allow', rules: [{ server: 'sx', tool: '*', action: 'ask' }] } },
    );
    const ui = (p: string) => request(app).get(p).set('Authorization', bearer(KEY)).set('Accept', 'text/html');
    // A key whose label hides a right-to-left override (labels refuse only C0 controls and DEL).
    const made = await request(app)
      .post('/api/keys')
      .set('Authorization', bearer(KEY))
      .send({ label: 'Open\u202EIUbeW', scopes: ['tools:call', 'tools:read'] });
    expect(made.status).toBe(201);
    const held = request(app)
      .post(`/sx/${encodeURIComponent(SNEAKY)}`)
      .set('Authorization', bearer(made.body.token))
      .send({ text: `a\u202Eb\u200B${CONTROLS}` })
      .then((res) => res);
    const [approval] = await pendingApprovals(app, KEY);

    const pages: Record<string, string> = {};
    const look = async (p: string) => {
      const res = await ui(p);
      expect(res.status, p).toBe(200);
      pages[p] = res.text;
      return res.text;
    };
    await look('/tools');
    await look(`/tools/sx/${encodeURIComponent(SNEAKY)}`);
    const list = await look('/approvals');
    const card = await look(`/approvals/${approval!.id}`);
    for (const html of [list, card]) {
      expect(html).toContain(`sx/${SNEAKY_SHOWN}`);
      expect(html).toContain('&quot;text&quot;: &quot;a\\u202Eb\\u200B\\u0000\\u0001');
      expect(html).toContain('<dd>Open\\u202EIUbeW</dd>');
    }
    // Pretty JSON keeps its meaning: the card's arguments parse back to what was sent.
    const args = card
      .match(/aria-label="Arguments">([\s\S]*?)<\/pre>/)![1]!
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
    expect(JSON.parse(args)).toEqual({ text: `a\u202Eb\u200B${CONTROLS}` });
    expect(args).toContain('a\\u202Eb\\u200B');

    expect((await request(app).post(`/api/approvals/${approval!.id}/approve`).set('Authorization', bearer(KEY))).status).toBe(200);
    expect((await held).status).toBe(200);
    const entry = await waitUntil(async () =>
      (await request(app).get('/api/activity').set('Authorization', bearer(KEY))).body.items.find(
        (item: { outcome: string }) => item.outcome === 'ok',
      ),
    );
    const activity = await look('/activity');
    expect(activity).toContain(`sx/${SNEAKY_SHOWN}`);
    expect(activity).toContain('Open\\u202EIUbeW');
    const detail = await look(`/activity/${entry.id}`);
    expect(detail).toContain(`<h1>sx/${SNEAKY_SHOWN}</h1>`);
    expect(detail).toContain(`<title>Call sx/${SNEAKY_SHOWN} · MCP Gateway</title>`);
    const access = await look('/access');
    // In text and in the attribute of the revoke confirmation alike.
    expect(access).toContain('<strong class="access-label">Open\\u202EIUbeW</strong>');
    expect(access).toContain('hx-confirm="Revoke the key Open\\u202EIUbeW?');

    const tools = pages['/tools']!;
    expect(tools).toContain(`>${SNEAKY_SHOWN}</a>`);
    expect(tools).toContain('Title \\u202Eeltit');
    const toolPage = pages[`/tools/sx/${encodeURIComponent(SNEAKY)}`]!;
    expect(toolPage).toContain(`<title>${SNEAKY_SHOWN} (sx) · MCP Gateway</title>`);
    // A description keeps its line break; its hidden characters show.
    expect(toolPage).toContain('<div class="tool-description">Line one\nline \\u2066two\\u2069\\u200B</div>');
    expect(toolPage).toContain('x\\u202Ey');
    for (const [p, html] of Object.entries(pages)) expect(RAW_HIDDEN.exec(html)?.[0].codePointAt(0)?.toString(16), p).toBeUndefined();

    // "Open in test form": the JSON editor shows the escapes, and its JSON means exactly what the call sent.
    const refill = await ui(`/tools/sx/${encodeURIComponent(SNEAKY)}?from=${entry.id}`);
    expect(RAW_HIDDEN.test(refill.text)).toBe(false);
    const json = refill.text
      .match(/<textarea class="code" name="_json"[^>]*>([\s\S]*?)<\/textarea>/)![1]!
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
    expect(json).toContain('"a\\u202Eb\\u200B\\u0000');
    expect(JSON.parse(json)).toEqual({ text: `a\u202Eb\u200B${CONTROLS}` });
    // A form field's value is left as it is, so that the form sends back what it was given.
    const filtered = await ui(`/activity?tool=${encodeURIComponent('x\u202Ey')}`);
    expect(filtered.text).toContain('name="tool" value="x\u202Ey"');
  });
});

/** What a browser reads from a quoted attribute value. */
function attributeText(html: string): string {
  return html
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

describe('form fields of properties whose names hold hidden characters', () => {
  const kit = callKit();

  it('keep their names as they are, so that the values typed into them reach the call', async () => {
    const names = { tab: 'a\tb', rlo: 'x\u202Ey', object: 'zw\u200B', inner: 'in\u0001ner', list: 'list\u2066', flag: 'on\u0007' };
    const tool = {
      name: 'hidden',
      inputSchema: {
        type: 'object',
        properties: {
          [names.tab]: { type: 'string' },
          [names.rlo]: { type: 'string' },
          [names.object]: { type: 'object', properties: { [names.inner]: { type: 'string' } } },
          [names.list]: { type: 'array', items: { type: 'string' } },
          [names.flag]: { type: 'boolean' },
        },
      },
    };
    const { app, gateway } = await kit.gateway({ sx: schemaServer([tool]) }, {}, { apiKey: KEY });
    const { cookie, csrf } = await signIn(app, KEY);
    const page = await request(app).get('/tools/sx/hidden').set('Cookie', cookie).set('Accept', 'text/html');
    expect(page.status).toBe(200);
    // The labels show the hidden characters; the names the form sends back are the real ones.
    expect(page.text).toContain('x\\u202Ey');
    const named = (tag: string) =>
      [...page.text.matchAll(new RegExp(`<${tag}[^>]*name="([^"]*)"`, 'g'))].map((match) => attributeText(match[1]!));
    const text = named('input type="text"');
    const rowStarts = named('input type="hidden"').filter((name) => name.startsWith('a/'));
    const checkboxes = named('input type="checkbox"');
    expect(text).toHaveLength(4); // two strings, the inner string, and the array's item (in its row template)
    expect(rowStarts).toHaveLength(2); // the array's row marker in the template, and the checkbox's "false"
    // As a browser sends the form: each field typed into, one row added to the array, the box ticked.
    const [tab, rlo, inner, item] = text as [string, string, string, string];
    const body = new URLSearchParams([
      ['_mode', 'form'],
      [tab, 'one'],
      [rlo, 'two'],
      [inner, 'three'],
      [rowStarts[0]!, ''],
      [item, 'four'],
      [checkboxes[0]!, 'true'],
    ]);
    const run = await request(app)
      .post('/ui/tools/sx/hidden/call')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .set('HX-Request', 'true')
      .type('form')
      .send(body.toString());
    expect(run.status).toBe(200);
    const sent = {
      [names.tab]: 'one',
      [names.rlo]: 'two',
      [names.object]: { [names.inner]: 'three' },
      [names.list]: ['four'],
      [names.flag]: true,
    };
    const entry = await waitUntil(() =>
      gateway.activity.list({ limit: 5 }).items.find((item) => item.tool === 'hidden' && item.outcome === 'ok'),
    );
    expect(entry.arguments).toEqual(sent);
  });
});

describe('a call waiting for approval, and tools that will ask', () => {
  const kit = callKit();

  it('shows "waiting for approval" with a link to its approval in the test run, the activity list and the entry, and marks the tools that ask', async () => {
    const approval = {
      default: 'allow',
      rules: [
        { server: 'fx', tool: 'echo', action: 'ask' },
        { server: 'fx', tool: 'slow', action: 'ask', when: [{ pointer: '/steps', equals: 99 }] },
        { server: 'fx', tool: 'crash', action: 'deny' },
      ],
    };
    const { app } = await kit.gateway({ fx: fx('echo,slow,crash,hang') }, {}, { apiKey: KEY, approval });
    const { cookie, csrf } = await signIn(app, KEY);
    const ui = (p: string) => request(app).get(p).set('Cookie', cookie).set('Accept', 'text/html');

    // Before any call: the tools list and the tool pages say what the policy will do.
    const tools = await ui('/tools');
    const row = (name: string) => tools.text.match(new RegExp(`href="tools/fx/${name}">${name}</a>[\\s\\S]*?</li>`))![0];
    expect(row('echo')).toContain('<span class="badge policy-asks" title="rule $.approval.rules[0] says ask">asks for approval</span>');
    expect(row('slow')).toContain(
      '<span class="badge policy-may-ask" title="rule $.approval.rules[1] asks when its conditions on the arguments hold">may ask for approval</span>',
    );
    expect(row('crash')).toContain('>refused by policy</span>');
    expect(row('hang')).not.toContain('policy-');
    const echoPage = await ui('/tools/fx/echo');
    expect(echoPage.text).toContain('<span class="badge policy-asks">asks for approval</span>');
    expect(echoPage.text).toContain('Approval policy: rule $.approval.rules[0] says ask.');
    expect((await ui('/tools/fx/slow')).text).toContain('may ask for approval');

    // A test run of echo waits: after a second the answer says so, with a link to the approval.
    const run = await request(app)
      .post('/ui/tools/fx/echo/call')
      .set('Cookie', cookie)
      .set('X-CSRF-Token', csrf)
      .set('HX-Request', 'true')
      .type('form')
      .send({ _mode: 'form', 'a/message': 'held' });
    expect(run.status).toBe(200);
    const [held] = await pendingApprovals(app, KEY);
    expect(held!.callerLabel).toBe('UI (start-up key)');
    expect(run.text).toContain('<span class="badge outcome-waiting">waiting for approval</span> fx/echo');
    expect(run.text).toContain(`<a href="approvals/${held!.id}" target="_blank" rel="noopener">Open its approval</a>`);
    expect(run.text).not.toContain('<progress');
    const callId = run.text.match(/data-call="([^"]+)"/)![1]!;
    expect((await request(app).get(`/ui/calls/${callId}`).set('Cookie', cookie).set('HX-Request', 'true')).text).toContain(
      'waiting for approval',
    );

    // The activity list: the row says so and leads to the approval; its entry says so too.
    const list = await ui('/activity');
    const listed = list.text.match(new RegExp(`<li class="activity-row outcome-waiting" data-id="${callId}"[\\s\\S]*?</li>`))![0];
    expect(listed).toContain(`<a href="approvals/${held!.id}">`);
    expect(listed).toContain('<span class="badge outcome-waiting">waiting for approval</span>');
    const entry = await ui(`/activity/${callId}`);
    expect(entry.text).toContain('<span class="badge outcome-waiting">waiting for approval</span>');
    expect(entry.text).toContain(`<a href="approvals/${held!.id}">Open its approval</a> to approve or deny it.`);

    // Someone who may call and read but not decide sees their own held call, with no link to a page they cannot open.
    const agent = (
      await request(app)
        .post('/api/keys')
        .set('Authorization', bearer(KEY))
        .send({ label: 'agent', scopes: ['tools:call', 'tools:read'] })
    ).body.token;
    const agentCall = await request(app)
      .post('/api/tools/fx/echo')
      .set('Authorization', bearer(agent))
      .set('Prefer', 'respond-async')
      .send({ message: 'mine' });
    expect(agentCall.status).toBe(202);
    const [agentHeld] = (await pendingApprovals(app, KEY, 2)).filter((approval) => approval.id !== held!.id);
    const agentList = await request(app).get('/activity').set('Authorization', bearer(agent)).set('Accept', 'text/html');
    expect(agentList.text).toContain(`<a href="activity/${agentCall.body.id}">`);
    expect(agentList.text).not.toContain(`approvals/${agentHeld!.id}`);
    // (The UI's own call is not the agent's to see.)
    expect(agentList.text).not.toContain(callId);
    const agentEntry = await request(app)
      .get(`/activity/${agentCall.body.id}`)
      .set('Authorization', bearer(agent))
      .set('Accept', 'text/html');
    expect(agentEntry.text).toContain('Someone who may decide approvals must approve it.');
    expect((await request(app).post(`/api/approvals/${agentHeld!.id}/deny`).set('Authorization', bearer(KEY))).status).toBe(200);

    // Once approved it runs, and the row is an ordinary row again.
    expect((await request(app).post(`/api/approvals/${held!.id}/approve`).set('Authorization', bearer(KEY))).status).toBe(200);
    await waitUntil(async () =>
      (await request(app).get(`/ui/calls/${callId}`).set('Cookie', cookie).set('HX-Request', 'true')).text.includes('data-outcome="ok"'),
    );
    const after = await ui(`/activity?rows=1&id=${callId}`);
    expect(after.text).toContain('class="activity-row outcome-ok"');
    expect(after.text).toContain('approved by start-up key');
  });
});

describe("the live tail's row refresh", () => {
  const kit = callKit();

  // What static/ui.js asks for on every approvals event: one request for every row that waits.
  it('answers many ids in one request: each row as it is now, in the order asked, unknown ids and repeats left out', async () => {
    const approval = { default: 'allow', rules: [{ server: 'fx', tool: 'echo', action: 'ask' }] };
    const { app } = await kit.gateway({ fx: fx('echo,slow') }, {}, { apiKey: KEY, approval });
    const asKey = { Authorization: bearer(KEY) };
    const held = async (message: string) =>
      (await request(app).post('/api/tools/fx/echo').set(asKey).set('Prefer', 'respond-async').send({ message }).expect(202)).body
        .id as string;
    const first = await held('one');
    const second = await held('two');
    const done = (await request(app).post('/api/tools/fx/slow').set(asKey).send({ steps: 0, delayMs: 0 }).expect(200)).body.id as string;
    const approvals = await pendingApprovals(app, KEY, 2);

    const refresh = (ids: string[]) =>
      request(app)
        .get(`/activity?rows=1&${ids.map((id) => `id=${encodeURIComponent(id)}`).join('&')}`)
        .set(asKey)
        .set('HX-Request', 'true');
    const rows = (html: string) =>
      [...html.matchAll(/<li class="activity-row outcome-([a-z_]+)" data-id="([^"]+)"/g)].map((match) => `${match[2]} ${match[1]}`);
    const both = await refresh([second, 'no-such-call', first, done, second]);
    expect(both.status).toBe(200);
    expect(both.text).not.toContain('<html');
    expect(rows(both.text)).toEqual([`${second} waiting`, `${first} waiting`, `${done} ok`]);

    // One approved and run, one denied: the same request shows both ended.
    const approvalOf = (id: string) => approvals.find((item) => item.callId === id)!.id!;
    await request(app)
      .post(`/api/approvals/${approvalOf(first)}/approve`)
      .set(asKey)
      .expect(200);
    await request(app)
      .post(`/api/approvals/${approvalOf(second)}/deny`)
      .set(asKey)
      .expect(200);
    await waitUntil(
      async () => (await request(app).get(`/api/activity/${first}`).set(asKey)).body.outcome === 'ok',
      5000,
      'the approved call to end',
    );
    expect(rows((await refresh([first, second])).text)).toEqual([`${first} ok`, `${second} denied`]);
  });
});

describe('details of the pages', () => {
  const kit = callKit();

  it("the activity shows callers by their key's label, column headings and one time format", async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY });
    const made = (
      await request(app)
        .post('/api/keys')
        .set('Authorization', bearer(KEY))
        .send({ label: 'Open WebUI', scopes: ['tools:call', 'tools:read'] })
    ).body;
    expect((await request(app).post('/fx/echo').set('Authorization', bearer(made.token)).send({ message: 'hi' })).status).toBe(200);
    expect((await request(app).post('/fx/echo').set('Authorization', bearer(KEY)).send({ message: 'hi' })).status).toBe(200);
    const items = await waitUntil(async () => {
      const res = await request(app).get('/api/activity').set('Authorization', bearer(KEY));
      return res.body.items.length === 2 && res.body.items.every((item: { outcome: string }) => item.outcome === 'ok')
        ? res.body.items
        : undefined;
    });
    const [mine, theirs] = items as { id: string; startedAt: string; endedAt: string; caller: string }[];
    expect(theirs!.caller).toBe(`key:${made.id}`);

    const list = await request(app).get('/activity').set('Authorization', bearer(KEY)).set('Accept', 'text/html');
    expect(list.text).toContain(
      '<div class="activity-head" aria-hidden="true"><span class="when">Started</span><span class="what">Server/tool</span><span class="outcome">Outcome</span><span class="duration">Duration</span><span class="caller">Caller</span></div>',
    );
    expect(list.text).toContain(`<span class="caller" title="key:${made.id}">Open WebUI</span>`);
    expect(list.text).toContain('<span class="caller" title="api-key">start-up key</span>');
    const shown = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
    expect(list.text).toContain(`<time datetime="${theirs!.startedAt}">${shown(theirs!.startedAt)}</time>`);
    const entry = await request(app).get(`/activity/${mine!.id}`).set('Authorization', bearer(KEY)).set('Accept', 'text/html');
    expect(entry.text).toContain(`<dt>Started</dt><dd><time datetime="${mine!.startedAt}">${shown(mine!.startedAt)}</time></dd>`);
    expect(entry.text).toContain(`<dt>Ended</dt><dd><time datetime="${mine!.endedAt}">${shown(mine!.endedAt)}</time></dd>`);
    expect(entry.text).toContain('<dt>Caller</dt><dd title="api-key">start-up key</dd>');
    // No time is written any other way: every time element shows the one format.
    for (const html of [list.text, entry.text]) {
      for (const [, text] of html.matchAll(/<time[^>]*>([^<]*)<\/time>/g)) expect(text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      expect(html).not.toMatch(/>\d{4}-\d\d-\d\dT/);
    }
  });

  it("shows a server's stderr as its output, and only a real error as an error", async () => {
    const { app, supervisor } = await kit.gateway({
      chatty: fx('echo', { FIXTURE_STDERR_LINES: '3' }),
      broken: { command: node, args: [fixture('crash-at-start.mjs')], enabled: false },
    });
    await waitForServer(supervisor, 'chatty', (status) => supervisor.status('chatty')!.stderrTail.length === 3 && status.state === 'ready');
    await supervisor.setEnabled('broken', true);
    await waitForServer(supervisor, 'broken', () => Boolean(supervisor.status('broken')?.lastError));
    const page = await request(app).get('/').set('Accept', 'text/html');
    const card = (name: string) =>
      page.text.match(new RegExp(`<article class="card server[^"]*" data-server="${name}"[\\s\\S]*?</article>`))![0];
    expect(card('chatty')).toContain('<details class="output-details" data-disclosure="server-output:chatty">');
    expect(card('chatty')).toContain('<summary>Server output (stderr)</summary>');
    expect(card('chatty')).toContain('stderr line 3');
    expect(card('chatty')).not.toMatch(/problem-details|error-text|Last error/);
    expect(card('broken')).toContain('<details class="problem-details" data-disclosure="server-output:broken">');
    expect(card('broken')).toMatch(/<summary>Last error \(\d+ s ago\)<\/summary>/);
  });

  it('a paired phone sees no Run button, no server switches and no admin page, and can sign out (which unpairs it)', async () => {
    const { app, gateway } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY });
    expect((await request(app).post('/fx/echo').set('Authorization', bearer(KEY)).send({ message: 'hi' })).status).toBe(200);
    const entry = await waitUntil(async () =>
      (await request(app).get('/api/activity').set('Authorization', bearer(KEY))).body.items.find(
        (item: { outcome: string }) => item.outcome === 'ok',
      ),
    );
    const { device, token } = gateway.devices.pair('Pixel 8', 'api-key');
    const cookie = `mcpgw_session=${token}`;
    const phone = (p: string) => request(app).get(p).set('Cookie', cookie).set('Accept', 'text/html');

    const servers = await phone('/');
    expect(servers.status).toBe(200);
    expect(servers.text).toContain('data-server="fx"');
    expect(servers.text).not.toContain('role="switch"');
    expect(servers.text).not.toContain('>Restart</button>');
    expect(servers.text).not.toContain('href="access"');
    expect(servers.text).toContain('>Sign out</button>');
    // Every link of its nav opens, Connect included.
    expect(servers.text).toContain('href="connect"');
    expect((await phone('/connect')).status).toBe(200);
    const tool = await phone('/tools/fx/echo');
    expect(tool.text).not.toContain('id="tool-form"');
    expect(tool.text).not.toContain('>Run</button>');
    expect(tool.text).toContain('This sign-in may not run tools');
    expect((await phone(`/activity/${entry.id}`)).text).not.toContain('Open in test form');
    // The admin's pages: the same, with every control.
    const admin = await request(app).get('/tools/fx/echo').set('Authorization', bearer(KEY)).set('Accept', 'text/html');
    expect(admin.text).toContain('>Run</button>');

    const out = await request(app)
      .post('/ui/logout')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: csrfOf(servers.text) });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/pair');
    expect(gateway.devices.get(device.id)?.revokedAt).not.toBeNull();
    expect((await phone('/approvals')).status).toBe(303);
  });

  it('warns when the pairing link points at a loopback address, and not otherwise', async () => {
    const { app } = await kit.gateway({ fx: fx() }, {}, { apiKey: KEY, allowedHosts: ['gateway.example'] });
    const { cookie, csrf } = await signIn(app, KEY);
    const start = (host: string) =>
      request(app).post('/ui/pairing').set('Host', host).set('Cookie', cookie).set('X-CSRF-Token', csrf).set('HX-Request', 'true');
    const loopback = await start('127.0.0.1:8085');
    expect(loopback.status).toBe(200);
    expect(loopback.text).toContain('This link points at <strong>127.0.0.1</strong>');
    expect(loopback.text).toContain('href="http://127.0.0.1:8085/pair#');
    const local = await start('localhost:8085');
    expect(local.text).toContain('This link points at <strong>localhost</strong>');
    const reachable = await start('gateway.example');
    expect(reachable.status).toBe(200);
    expect(reachable.text).toContain('href="http://gateway.example/pair#');
    expect(reachable.text).not.toContain('This link points at');
  });

  it('"Recent decisions" shows the last 24 hours only', async () => {
    const { app, gateway } = await kit.gateway(
      { fx: fx() },
      {},
      { apiKey: KEY, approval: { default: 'allow', rules: [{ server: 'fx', tool: 'echo', action: 'ask' }] } },
    );
    const decideOne = async (message: string) => {
      const answer = request(app)
        .post('/fx/echo')
        .set('Authorization', bearer(KEY))
        .send({ message })
        .then((res) => res);
      const [held] = await pendingApprovals(app, KEY);
      expect(
        (await request(app).post(`/api/approvals/${held!.id}/deny`).set('Authorization', bearer(KEY)).send({ reason: message })).status,
      ).toBe(200);
      expect((await answer).status).toBe(403);
      return held!.id!;
    };
    const old = await decideOne('two days ago');
    const recent = await decideOne('just now');
    const twoDays = 2 * 86_400_000;
    gateway.db
      .prepare('UPDATE approvals SET created_at = created_at - ?, expires_at = expires_at - ?, decided_at = decided_at - ? WHERE id = ?')
      .run(twoDays, twoDays, twoDays, old);
    const page = await request(app).get('/approvals').set('Authorization', bearer(KEY)).set('Accept', 'text/html');
    expect(page.text).toContain(`<li class="decision-row decision-denied" data-approval="${recent}">`);
    expect(page.text).not.toContain(old);
    expect(page.text).toContain('The last 24 hours, at most 20');
    // The old one is still there for whoever looks it up.
    expect((await request(app).get(`/approvals/${old}`).set('Authorization', bearer(KEY)).set('Accept', 'text/html')).status).toBe(200);
  });

  it('the Connect page lists the OpenAPI URLs, the docs and tools.py, under the path prefix', async () => {
    const { app } = await kit.gateway(
      { fx: fx(), off: { ...fx(), enabled: false } },
      { basePath: '/mcp' },
      { apiKey: KEY, allowedHosts: ['gw.test'] },
    );
    const page = await request(app)
      .get('/mcp/connect')
      .set('Host', 'gw.test:8085')
      .set('Authorization', bearer(KEY))
      .set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<a href="connect" aria-current="page">Connect</a>');
    const copy = (pathText: string, href: string) =>
      `<code data-copy-source data-url="${pathText}">${href}</code><button type="button" class="button secondary small" data-copy`;
    expect(page.text).toContain(copy('', 'http://gw.test:8085/mcp'));
    expect(page.text).toContain(copy('openapi.json', 'http://gw.test:8085/mcp/openapi.json'));
    expect(page.text).toContain(copy('fx', 'http://gw.test:8085/mcp/fx'));
    expect(page.text).toContain(copy('fx/openapi.json', 'http://gw.test:8085/mcp/fx/openapi.json'));
    expect(page.text).toContain(copy('api/openapi.json', 'http://gw.test:8085/mcp/api/openapi.json'));
    // The MCP endpoint: the whole gateway and each server, and snippets for MCP clients with the key's place.
    expect(page.text).toContain(copy('mcp', 'http://gw.test:8085/mcp/mcp'));
    expect(page.text).toContain(copy('mcp/fx', 'http://gw.test:8085/mcp/mcp/fx'));
    expect(page.text).toContain(
      'claude mcp add --transport http mcp-gateway <span data-url="mcp">http://gw.test:8085/mcp/mcp</span> --header &quot;Authorization: Bearer &lt;your key&gt;&quot;',
    );
    expect(page.text).toContain('"url": "<span data-url="mcp">http://gw.test:8085/mcp/mcp</span>"');
    expect(page.text).toContain("-H 'Mcp-Method: tools/list'");
    // Each server's card on the servers page has its MCP URL to copy too.
    const servers = await request(app)
      .get('/mcp/')
      .set('Host', 'gw.test:8085')
      .set('Authorization', bearer(KEY))
      .set('Accept', 'text/html');
    expect(servers.text).toContain(copy('mcp/fx', 'http://gw.test:8085/mcp/mcp/fx'));
    expect(page.text).toContain('<a href="api/openwebui/tools.py" download="tools.py">');
    expect(page.text).toContain('<a href="api/openwebui/tools.py?server=fx" download="tools-fx.py">tools.py</a>');
    expect(page.text).toContain('disabled: no tools offered');
    for (const link of ['docs', 'fx/docs', 'api/docs', 'api/openwebui/tools.py', 'api/openwebui/tools.py?server=fx'])
      expect(page.text).toContain(`href="${link}"`);
    // Each of them answers, under the prefix.
    for (const link of [
      'docs',
      'fx/docs',
      'api/docs',
      'openapi.json',
      'fx/openapi.json',
      'api/openapi.json',
      'api/openwebui/tools.py?server=fx',
    ]) {
      expect((await request(app).get(`/mcp/${link}`).set('Authorization', bearer(KEY))).status, link).toBe(200);
    }
  });
});
