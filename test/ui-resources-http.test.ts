// A server's resources and prompts pages, over HTTP (no browser): hostile names, URIs, text and
// MIME types escaped; the raw route's headers (sandboxed, nosniff, attachments); the size limit;
// templates expanded; a prompt's messages, a missing required argument shown in the form, the
// completion datalist with the other arguments as context; the live "lists changed" notice; links
// from the server card; scopes. Real gateway, real MCP server (test/fixtures/hostile-resources-server.mjs).
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem, node } from './helpers/calls.js';
import { fixture, waitForServer } from './helpers/gateway.js';
import { XSS } from './helpers/hostile.js';
import { waitUntil } from './helpers/process.js';

const KEY = 'ui-resources-test-key-0123456789';
const hostile = (env: Record<string, string> = {}) => ({
  command: node,
  args: [fixture('hostile-resources-server.mjs')],
  env: { HOSTILE_PAYLOADS: JSON.stringify(XSS), ...env },
});

/** No payload made it into the page as markup. */
function expectNoRawPayload(html: string): void {
  for (const payload of [XSS.script, XSS.img, XSS.hxGet, XSS.hxPost]) expect(html).not.toContain(payload);
  expect(html).not.toContain('onmouseover="alert');
  expect(html).not.toContain('onerror="alert');
  expect(html).not.toMatch(/href="javascript:/);
}

const kit = callKit();

async function start(settings: object = {}) {
  const gateway = await kit.gateway({ h: hostile() }, settings, { apiKey: KEY });
  const get = (path: string) => request(gateway.app).get(path).set('Authorization', `Bearer ${KEY}`).set('Accept', 'text/html');
  return { ...gateway, get };
}

describe('resources pages', () => {
  it('lists resources and templates with every hostile value escaped; the server card links to them', async () => {
    const { get } = await start();
    const card = await get('/');
    expect(card.text).toContain('<a href="servers/h/resources">10</a>');
    expect(card.text).toContain('<a href="servers/h/prompts">1</a>');
    const page = await get('/servers/h/resources');
    expect(page.status).toBe(200);
    expectNoRawPayload(page.text);
    expect(page.text).toContain('&lt;img src=x onerror=alert(1)&gt;</a>');
    expect(page.text).toContain('<code>javascript:alert(1)</code>');
    expect(page.text).toContain(`href="servers/h/resource?${new URLSearchParams({ uri: XSS.js })}"`);
    expect(page.text).toContain('<span class="badge">text/plain&quot; onerror=&quot;alert(1)</span>');
    // The template's form, its variable named by the template.
    expect(page.text).toContain('name="template" value="hostile://items/{id}"');
    expect(page.text).toContain(
      'name="var.id" autocomplete="off" required list="suggest-0-0" hx-post="ui/servers/h/resource-template/complete?template=hostile%3A%2F%2Fitems%2F%7Bid%7D&amp;argument=id&amp;list=suggest-0-0"',
    );
    expect(page.text).toContain('&quot; onmouseover=&quot;alert(1)');
  });

  it('previews text, JSON, images and downloads, escaped; expands templates; refuses what is too large', async () => {
    const { get } = await start({ maxResultBytes: 4000 });
    const text = await get(`/servers/h/resource?uri=${encodeURIComponent('hostile://text')}`);
    expect(text.status).toBe(200);
    expectNoRawPayload(text.text);
    expect(text.text).toContain('<pre class="result text" tabindex="0">&lt;script&gt;alert(1)&lt;/script&gt;');
    const json = await get(`/servers/h/resource?uri=${encodeURIComponent('hostile://data.json')}`);
    expect(json.text).toContain('<pre class="result json" tabindex="0">{\n  &quot;html&quot;: &quot;&lt;script&gt;');
    const png = await get(`/servers/h/resource?uri=${encodeURIComponent('hostile://pixel.png')}`);
    expect(png.text).toContain(`<img class="result-image" src="ui/servers/h/resource/raw?uri=hostile%3A%2F%2Fpixel.png&amp;index=0"`);
    const svg = await get(`/servers/h/resource?uri=${encodeURIComponent('hostile://image.svg')}`);
    expect(svg.text).toMatch(/<img class="result-image" src="ui\/servers\/h\/resource\/raw\?uri=hostile%3A%2F%2Fimage\.svg&amp;index=0"/);
    expect(svg.text).not.toContain('<svg');
    const bin = await get(`/servers/h/resource?uri=${encodeURIComponent('hostile://data.bin')}`);
    expect(bin.text).toContain('data-kind="download"');
    expect(bin.text).not.toContain('<pre class="result');
    const hostileUri = await get(`/servers/h/resource?uri=${encodeURIComponent(XSS.js)}`);
    expectNoRawPayload(hostileUri.text);
    // Characters that hide or reorder text show as escapes, in names and in a resource's text.
    const list = await get('/servers/h/resources');
    expect(list.text).toContain('>evil_\\u202Egnp.exe</a>');
    const bidi = await get(`/servers/h/resource?uri=${encodeURIComponent('hostile://bidi')}`);
    expect(bidi.text).toContain('>a\\u202Eb\\u200Bc</pre>');
    for (const html of [list.text, bidi.text]) expect(html).not.toMatch(/[\u202E\u200B]/);

    const item = await get(
      `/servers/h/resource?template=${encodeURIComponent('hostile://items/{id}')}&var.id=${encodeURIComponent('a b/<c>')}`,
    );
    expect(item.status).toBe(200);
    // RFC 6570 simple expansion encodes reserved characters.
    expect(item.text).toContain('<code>hostile://items/a%20b%2F%3Cc%3E</code>');
    expect(item.text).toContain('item a b/&lt;c&gt; &lt;script&gt;');
    const unfilled = await get(`/servers/h/resource?template=${encodeURIComponent('hostile://items/{id}')}`);
    expect(unfilled.status).toBe(422);
    expect(unfilled.text).toContain('Fill in the variable &quot;id&quot;.');

    const big = await get(`/servers/h/resource?uri=${encodeURIComponent('hostile://big')}`);
    expect(big.status).toBe(502);
    expect(big.text).toContain('larger than gateway.maxResultBytes (4000 bytes)');
    const missing = await get(`/servers/h/resource?uri=${encodeURIComponent('hostile://nothing')}`);
    expect(missing.status).toBeGreaterThanOrEqual(400);
    expect(missing.text).toContain('The resource could not be read');
    expect((await get('/servers/nope/resources')).status).toBe(404);
  });

  it('a server that goes away during a read is a 502 upstream-error on the API, the preview and the raw route alike', async () => {
    const { get, app, supervisor } = await start();
    const uri = encodeURIComponent('hostile://crash');
    const getJson = (path: string) => request(app).get(path).set('Authorization', `Bearer ${KEY}`).set('Accept', 'application/json');
    // The fixture exits when asked for hostile://crash; each read waits for the restarted server first.
    const crashRead = async (path: string, send = get) => {
      const restarts = supervisor.status('h')!.restarts;
      await waitForServer(supervisor, 'h', 'ready');
      const res = await send(path);
      await waitForServer(supervisor, 'h', (status) => status.state === 'ready' && status.restarts > restarts);
      return res;
    };
    expectProblem(await crashRead(`/api/servers/h/resource?uri=${uri}`, getJson), 502, 'upstream-error');
    const page = await crashRead(`/servers/h/resource?uri=${uri}`);
    expect(page.status).toBe(502);
    expect(page.text).toContain('the server failed to answer: the server went away during the call');
    expectProblem(await crashRead(`/ui/servers/h/resource/raw?uri=${uri}`, getJson), 502, 'upstream-error');
  });

  it('the raw route serves the bytes sandboxed, nosniff, and anything but raster images and plain text as an attachment', async () => {
    const { get } = await start({ maxResultBytes: 4000 });
    const raw = (uri: string) =>
      get(`/ui/servers/h/resource/raw?uri=${encodeURIComponent(uri)}`)
        .set('Accept', '*/*')
        .buffer(true);
    const png = await raw('hostile://pixel.png');
    expect(png.status).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.headers['x-content-type-options']).toBe('nosniff');
    expect(png.headers['content-security-policy']).toMatch(/^sandbox;/);
    expect(png.headers['content-disposition']).toBe('inline; filename="pixel.png"');
    expect(
      Buffer.from(png.body as Buffer)
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    for (const [uri, type, name] of [
      ['hostile://page.html', 'text/html; charset=utf-8', 'page.html'],
      ['hostile://image.svg', 'image/svg+xml', 'image.svg'],
      ['hostile://data.bin', 'application/octet-stream', 'data.bin'],
    ]) {
      const res = await raw(uri!);
      expect(res.status, uri).toBe(200);
      expect(res.headers['content-type'], uri).toBe(type);
      expect(res.headers['content-security-policy'], uri).toMatch(/^sandbox;/);
      expect(res.headers['x-content-type-options'], uri).toBe('nosniff');
      expect(res.headers['content-disposition'], uri).toBe(`attachment; filename="${name}"`);
    }
    const text = await raw('hostile://text');
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(text.headers['content-disposition']).toBe('inline; filename="text"');
    // A MIME type that is not one is not passed on.
    const odd = await raw(XSS.js);
    expect(odd.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(odd.headers['content-disposition']).toMatch(/^inline; /);
    const big = await raw('hostile://big');
    expect(big.status).toBe(502);
    expect(big.body.type).toBe('result-too-large');
  });

  it("the raw route and the API's raw read send the same bytes under the same headers", async () => {
    const { get, app } = await start();
    const headers = [
      'content-type',
      'content-length',
      'x-content-type-options',
      'content-security-policy',
      'referrer-policy',
      'cache-control',
      'content-disposition',
    ];
    for (const uri of [
      'hostile://pixel.png',
      'hostile://text',
      'hostile://page.html',
      'hostile://image.svg',
      'hostile://data.bin',
      XSS.js,
    ]) {
      const ui = await get(`/ui/servers/h/resource/raw?uri=${encodeURIComponent(uri)}`)
        .set('Accept', '*/*')
        .buffer(true);
      const api = await request(app)
        .get('/api/servers/h/resource')
        .query({ uri, raw: '1' })
        .set('Authorization', `Bearer ${KEY}`)
        .buffer(true);
      expect(ui.status, uri).toBe(200);
      expect(api.status, uri).toBe(200);
      for (const header of headers) expect(ui.headers[header], `${uri} ${header}`).toBe(api.headers[header]);
      expect(ui.headers['content-security-policy'], uri).toBe("sandbox; default-src 'none'");
      expect(ui.headers['referrer-policy'], uri).toBe('no-referrer');
    }
  });

  it('pages a long list by 100', async () => {
    const { app } = await kit.gateway({ h: hostile({ MANY_RESOURCES: '245' }) }, {}, { apiKey: KEY });
    const get = (path: string) => request(app).get(path).set('Authorization', `Bearer ${KEY}`).set('Accept', 'text/html');
    const count = (html: string) => html.match(/<li class="card resource">/g)?.length ?? 0;
    const first = await get('/servers/h/resources');
    expect(first.text).toContain('Listed (254)');
    expect(count(first.text)).toBe(100);
    expect(first.text).toContain('<span>Page 1 of 3</span>');
    expect(first.text).toContain('<a class="button secondary" href="servers/h/resources?page=2">Next</a>');
    const last = await get('/servers/h/resources?page=3');
    expect(count(last.text)).toBe(54);
    expect(last.text).toContain('many-244');
    expect(last.text).toContain('href="servers/h/resources?page=2">Previous</a>');
    expect(count((await get('/servers/h/resources?page=99')).text)).toBe(54);
  });
});

describe('prompts page', () => {
  it('shows each prompt with a form of its arguments, escaped, required ones marked, with suggestions when the server completes', async () => {
    const { get } = await start();
    const page = await get('/servers/h/prompts');
    expect(page.status).toBe(200);
    expectNoRawPayload(page.text);
    expect(page.text).toContain('<h2 id="prompt-0-name">&lt;script&gt;alert(1)&lt;/script&gt;</h2>');
    expect(page.text).toMatch(/<label for="prompt-0-arg-0">topic <span class="req">\(required\)<\/span><\/label>/);
    expect(page.text).toContain('name="a.topic" autocomplete="off" required');
    expect(page.text).toContain(
      'list="suggest-0-1" hx-post="ui/servers/h/prompts/probe/complete?argument=style&amp;list=suggest-0-1" hx-trigger="input changed delay:250ms',
    );
    expect(page.text).toContain('<datalist id="suggest-0-1"></datalist>');
  });

  it('"Get" shows the messages; a missing required argument is an error in the form', async () => {
    const { app } = await start();
    const post = (form: Record<string, string>) =>
      request(app)
        .post('/ui/servers/h/prompts/probe')
        .set('Authorization', `Bearer ${KEY}`)
        .set('HX-Request', 'true')
        .type('form')
        .send(form);
    const incomplete = await post({ 'a.style': 'plain' });
    expect(incomplete.status).toBe(422);
    expect(incomplete.text).toContain('The form is not complete');
    expect(incomplete.text).toContain('<li><code>topic</code> is required</li>');
    const got = await post({ 'a.topic': XSS.img, 'a.style': 'plain' });
    expect(got.status).toBe(200);
    expectNoRawPayload(got.text);
    expect(got.text).toContain('topic=&lt;img src=x onerror=alert(1)&gt; style=plain &lt;script&gt;');
    expect(got.text).toContain('<span class="badge role">assistant</span>');
    expect(got.text).toMatch(/<img class="result-image" src="data:image\/png;base64,iVBOR/);
    // A resource link and an embedded resource link to their preview.
    expect(got.text).toContain(`<a href="servers/h/resource?uri=hostile%3A%2F%2Ftext">&lt;img src=x onerror=alert(1)&gt;</a>`);
    expect(got.text).toContain(`<a href="servers/h/resource?uri=hostile%3A%2F%2Fdata.json">hostile://data.json</a>`);
    expect(got.text).toContain('&lt;div hx-post=');
  });

  it('"Get" refuses a prompt whose answer is larger than gateway.maxResultBytes, as the API and /mcp do', async () => {
    const { app } = await start({ maxResultBytes: 4000 });
    const got = await request(app)
      .post('/ui/servers/h/prompts/probe')
      .set('Authorization', `Bearer ${KEY}`)
      .set('HX-Request', 'true')
      .type('form')
      .send({ 'a.topic': 'x'.repeat(5000) });
    expect(got.status).toBe(502);
    expect(got.text).toContain('The server could not get the prompt');
    expect(got.text).toMatch(
      /the answer is too large to show: the answer to getting the prompt probe is \d+ bytes, larger than gateway.maxResultBytes \(4000 bytes\)/,
    );
    expect(got.text).not.toContain('x'.repeat(5000));
  });

  it('the completion partial is a datalist of the suggestions, with the other arguments as context; template variables too', async () => {
    const { app } = await start();
    const post = (path: string, form: Record<string, string>) =>
      request(app).post(path).set('Authorization', `Bearer ${KEY}`).set('HX-Request', 'true').type('form').send(form);
    const complete = (query: string, form: Record<string, string>) => post(`/ui/servers/h/prompts/probe/complete?${query}`, form);
    const all = await complete('argument=style&list=suggest-0-1', { 'a.style': '', 'a.topic': 'cats & dogs' });
    expect(all.status).toBe(200);
    expect(all.text.trim()).toBe(
      '<datalist id="suggest-0-1"><option value="&lt;script&gt;alert(1)&lt;/script&gt;"></option><option value="plain"></option><option value="about cats &amp; dogs"></option></datalist>',
    );
    const narrowed = await complete('argument=style&list=suggest-0-1', { 'a.style': 'ab', 'a.topic': 'x' });
    expect(narrowed.text.trim()).toBe('<datalist id="suggest-0-1"><option value="about x"></option></datalist>');
    const bad = await complete(`argument=style&list=${encodeURIComponent('"><script>')}`, {});
    expect(bad.status).toBe(422);
    // A template's variable completes the same way (`ref/resource`).
    const variable = await post(
      `/ui/servers/h/resource-template/complete?template=${encodeURIComponent('hostile://items/{id}')}&argument=id&list=suggest-0-0`,
      { 'var.id': '1' },
    );
    expect(variable.text.trim()).toBe('<datalist id="suggest-0-0"><option value="1"></option><option value="12"></option></datalist>');
    const unknown = await post(`/ui/servers/h/resource-template/complete?template=nope&argument=id&list=suggest-0-0`, {});
    expect(unknown.status).toBe(404);
  });
});

describe('live lists', () => {
  it('an open page is told when its server changed since it was loaded, and not before', async () => {
    const { get, supervisor } = await start();
    const page = await get('/servers/h/resources');
    const since = /data-lists-since="([^"]+)"/.exec(page.text)![1]!;
    const status = () => get(`/ui/servers/h/lists-status?page=resources&since=${since}`).set('HX-Request', 'true');
    expect((await status()).text).not.toContain('changed since');
    await supervisor.setEnabled('h', false);
    await waitForServer(supervisor, 'h', 'disabled');
    const changed = await waitUntil(async () => ((await status()).text.includes('changed since') ? (await status()).text : undefined));
    expect(changed).toContain('(it is disabled now)');
    expect(changed).toContain(`data-lists-since="${since}"`);
    expect(changed).toContain('<a href="servers/h/resources">Reload the list</a>');
  });

  it('needs the read scope to list, like the tools pages, and tools:call to read contents', async () => {
    const { app } = await start();
    const made = await request(app)
      .post('/api/keys')
      .set('Authorization', `Bearer ${KEY}`)
      .send({ label: 'caller', scopes: ['tools:call'] });
    expect(made.status).toBe(201);
    const res = await request(app).get('/servers/h/prompts').set('Authorization', `Bearer ${made.body.token}`).set('Accept', 'text/html');
    expect(res.status).toBe(403);
    const reader = await request(app)
      .post('/api/keys')
      .set('Authorization', `Bearer ${KEY}`)
      .send({ label: 'reader', scopes: ['tools:read'] });
    for (const path of ['/servers/h/prompts', '/servers/h/resources']) {
      const read = await request(app).get(path).set('Authorization', `Bearer ${reader.body.token}`).set('Accept', 'text/html');
      expect(read.status, path).toBe(200);
    }
    // A resource's contents are data the server hands out, as a tool call's result is: tools:call.
    const preview = `/servers/h/resource?uri=${encodeURIComponent('hostile://text')}`;
    expect((await request(app).get(preview).set('Authorization', `Bearer ${reader.body.token}`).set('Accept', 'text/html')).status).toBe(
      403,
    );
    const both = await request(app)
      .post('/api/keys')
      .set('Authorization', `Bearer ${KEY}`)
      .send({ label: 'both', scopes: ['tools:read', 'tools:call'] });
    expect((await request(app).get(preview).set('Authorization', `Bearer ${both.body.token}`).set('Accept', 'text/html')).status).toBe(200);
  });
});
