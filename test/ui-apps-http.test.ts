// MCP Apps (SEP-1865) over real HTTP: a fixture server (test/fixtures/app-server.mjs) with a tool
// that has an app and a tool only its app may call. The app's document route (sandbox CSP,
// nosniff, only the https origins `_meta.ui.csp` declares), the tool page around it (escaped), the
// app's tool calls (the normal pipeline, surface `app` in the activity log) and resource reads, and
// the app-only tool left out of the OpenAPI documents and `/mcp` tools/list.
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, node } from './helpers/calls.js';
import { fixture } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { VERSION } from '../server/package-info.js';

const kit = callKit();
const appServer = (env: Record<string, string> = {}) => ({ command: node, args: [fixture('app-server.mjs')], env });
const FRAME = '/ui/apps/apps/show/frame';

/** The directives of a Content-Security-Policy, by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .map((words) => [words[0]!, words.slice(1)] as const),
  );
}

/** An attribute's value as the browser reads it. */
const unescape = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

describe('MCP Apps over HTTP', () => {
  it('serves the app in an opaque origin: sandbox without allow-same-origin, no network by default, nosniff', async () => {
    const { app } = await kit.gateway({ apps: appServer() });
    const res = await request(app).get(FRAME).expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['set-cookie']).toBeUndefined();
    const csp = res.headers['content-security-policy'] as string;
    const policy = directives(csp);
    expect(policy.get('sandbox')).toEqual(['allow-scripts', 'allow-forms']);
    expect(csp).not.toContain('allow-same-origin');
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toEqual(["'unsafe-inline'"]);
    expect(policy.get('connect-src')).toEqual(["'none'"]);
    expect(policy.get('frame-src')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'self'"]);
    expect(res.text).toContain('<h1>Demo app</h1>');
    // The HTML sent base64 in `blob` is served the same.
    const { app: blobApp } = await kit.gateway({ apps: appServer({ APP_HTML_BLOB: '1' }) });
    const fromBlob = await request(blobApp).get(FRAME).expect(200);
    expect(fromBlob.text).toBe(res.text);
    expect(fromBlob.headers['content-security-policy']).toBe(csp);
    // A tool without an app has no document; neither has a tool that is not there.
    // Why is said in the frame (as sandboxed text: a gateway page may not be framed).
    for (const path of ['/ui/apps/apps/add/frame', '/ui/apps/apps/nothing/frame', '/ui/apps/nobody/show/frame']) {
      const missing = await request(app).get(path).set('Accept', 'text/html').expect(404);
      expect(missing.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(missing.headers['content-security-policy']).toBe("sandbox; default-src 'none'; frame-ancestors 'self'");
      expect(missing.text).toMatch(/^The app cannot be shown: /);
    }
  });

  it("takes only the https origins the resource's _meta.ui.csp declares", async () => {
    const declared = {
      connectDomains: ['https://api.example.com', "'self'", 'http://plain.example.com', 'https://x.example.com; script-src *'],
      resourceDomains: ['https://*.cdn.example.com', "'unsafe-eval'", 'data:', '*'],
      frameDomains: ['https://www.youtube.com', 'wss://frames.example.com', 'javascript:'],
      baseUriDomains: ['https://cdn.example.com', "'self'"],
    };
    const { app } = await kit.gateway({ apps: appServer({ APP_CSP: JSON.stringify(declared) }) });
    const policy = directives((await request(app).get(FRAME).expect(200)).headers['content-security-policy'] as string);
    expect(policy.get('connect-src')).toEqual(['https://api.example.com']);
    expect(policy.get('script-src')).toEqual(["'unsafe-inline'", 'https://*.cdn.example.com']);
    expect(policy.get('img-src')).toEqual(['data:', 'https://*.cdn.example.com']);
    expect(policy.get('frame-src')).toEqual(['https://www.youtube.com']);
    expect(policy.get('base-uri')).toEqual(['https://cdn.example.com']);
    expect(policy.get('sandbox')).toEqual(['allow-scripts', 'allow-forms']);
  });

  it('the tool page offers the app without inline script, and a run carries its input and result escaped', async () => {
    const hostile = '"><script>alert(1)</script>';
    const { app } = await kit.gateway({ apps: appServer({ APP_TOOL_DESCRIPTION: hostile }) });
    const page = await request(app).get('/tools/apps/show').expect(200);
    expect(page.text).toContain('data-app-frame="ui/apps/apps/show/frame"');
    expect(page.text).toContain('<script src="static/app-host.js" defer></script>');
    expect(page.text).not.toMatch(/<script>|<iframe/);
    expect(page.text).not.toContain('Demo app');
    expect(page.headers['content-security-policy']).toContain("frame-src 'self'");
    // A tool without an app has no app section.
    expect((await request(app).get('/tools/apps/add').expect(200)).text).not.toContain('data-app-frame');
    // The app's host context: the tool as its server listed it (escaped) and the gateway's version.
    expect(JSON.parse(unescape(/data-app-tool="([^"]*)"/.exec(page.text)![1]!))).toMatchObject({
      name: 'show',
      description: hostile,
      _meta: { ui: { resourceUri: 'ui://demo/app.html' } },
    });
    expect(page.text).toContain(`data-app-version="${VERSION}"`);

    const run = await request(app)
      .post('/ui/tools/apps/show/call')
      .type('form')
      .send({ _mode: 'json', _json: JSON.stringify({ text: hostile }) });
    expect(run.status).toBe(200);
    expect(run.text).not.toContain('<script>');
    const input = /data-app-input="([^"]*)"/.exec(run.text)?.[1];
    const result = /data-app-result="([^"]*)"/.exec(run.text)?.[1];
    expect(JSON.parse(unescape(input!))).toEqual({ text: hostile });
    expect(JSON.parse(unescape(result!)).content[0].text).toBe(`shown: ${hostile}`);
  });

  it("routes the app's tool calls through the pipeline with surface app, and its reads to its server", async () => {
    const { app } = await kit.gateway({ apps: appServer() });
    const res = await request(app)
      .post('/ui/apps/apps/call')
      .send({ name: 'add', arguments: { a: 2, b: 3 } })
      .expect(200);
    expect(res.body).toMatchObject({ content: [{ type: 'text', text: '5' }] });
    let entry: { tool: string; surface: string } | undefined;
    await waitUntil(async () => {
      const items = (await request(app).get('/api/activity').expect(200)).body.items as { tool: string; surface: string }[];
      entry = items.find((item) => item.tool === 'add');
      return entry !== undefined;
    });
    expect(entry!.surface).toBe('app');
    // Validation as on every surface: a problem naming the field.
    const invalid = await request(app)
      .post('/ui/apps/apps/call')
      .send({ name: 'add', arguments: { a: 'two', b: 3 } });
    expect(invalid.status).toBe(422);
    await request(app).post('/ui/apps/apps/call').send({ arguments: {} }).expect(422);
    // A tool for the model only is not there for apps (and never reaches the server).
    const modelOnly = await request(app).post('/ui/apps/apps/call').send({ name: 'model-only' }).expect(404);
    expect(modelOnly.body.detail).toContain('for apps');
    await request(app).post('/apps/model-only').send({}).expect(200);
    const read = await request(app).post('/ui/apps/apps/read').send({ uri: 'ui://demo/app.html' }).expect(200);
    expect(read.body.contents[0].mimeType).toBe('text/html;profile=mcp-app');
  });

  it("holds an app's call for approval as the policy says, and answers the app with the denial", async () => {
    const approval = { default: 'allow', rules: [{ server: 'apps', tool: 'add', action: 'ask' }] };
    const { app } = await kit.gateway({ apps: appServer() }, {}, { approval });
    const held = request(app)
      .post('/ui/apps/apps/call')
      .send({ name: 'add', arguments: { a: 1, b: 1 } })
      .then((res) => res);
    let pending: { id: string; tool: string }[] = [];
    await waitUntil(async () => {
      pending = (await request(app).get('/api/approvals?state=pending').expect(200)).body.items;
      return pending.length === 1;
    });
    expect(pending[0]!.tool).toBe('add');
    await request(app).post(`/api/approvals/${pending[0]!.id}/deny`).send({ reason: 'not from the app' }).expect(200);
    const answer = await held;
    expect(answer.status).toBe(403);
    expect(answer.body.type).toMatch(/approval-denied$/);
  });

  it('leaves a tool only its app may call out of the OpenAPI documents and /mcp tools/list', async () => {
    const { app } = await kit.gateway({ apps: appServer() });
    for (const path of ['/openapi.json', '/apps/openapi.json']) {
      const doc = (await request(app).get(path).expect(200)).body as { paths: Record<string, unknown> };
      const paths = Object.keys(doc.paths);
      expect(paths.some((p) => p.endsWith('/show'))).toBe(true);
      expect(paths.some((p) => p.endsWith('/add'))).toBe(false);
    }
    const base = await kit.listen(app);
    for (const url of [`${base}/mcp`, `${base}/mcp/apps`]) {
      const client = new ClientV2({ name: 'apps-test', version: '1.0.0' });
      await client.connect(new HttpV2(new URL(url)));
      kit.defer(() => client.close());
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names.some((name) => name.endsWith('show'))).toBe(true);
      expect(names.some((name) => name.endsWith('add'))).toBe(false);
    }
  });
});
