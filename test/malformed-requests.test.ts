// Requests the gateway cannot take, refused with a 4xx problem that says why, before anything
// runs: a path with malformed percent-encoding, a body that is not JSON on a JSON route, and JSON
// nested too deeply. A real gateway, real MCP servers (one that writes down every call it gets),
// real HTTP (raw sockets where a client library would tidy the request up).
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { callKit, expectProblem, node } from './helpers/calls.js';
import { fixture, tempDir } from './helpers/gateway.js';
import { rawRequest } from './helpers/raw-http.js';

const kit = callKit();

/** The fixture server, writing one line per call it really gets into `calls`. */
function recorded(): { server: object; calls: () => string[] } {
  const file = path.join(tempDir(), 'calls');
  return {
    server: { command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: 'echo', FIXTURE_CALLS_FILE: file } },
    calls: () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []),
  };
}

describe('malformed percent-encoding in the path', () => {
  it('is a 400 invalid-path on every surface, not a 500', async () => {
    const fx = recorded();
    const { app } = await kit.gateway({ fx: fx.server });
    const base = await kit.listen(app);
    const paths: [string, string][] = [
      ['GET', '/api/calls/%E0%A4%A'],
      ['DELETE', '/api/calls/%E0%A4%A'],
      ['GET', '/api/servers/%E0%A4%A'],
      ['PATCH', '/api/servers/%E0%A4%A'],
      ['GET', '/api/tools/fx/%E0%A4%A'],
      ['GET', '/api/activity/%ZZ'],
      ['GET', '/%E0%A4%A/openapi.json'],
      ['GET', '/%E0%A4%A/docs'],
      ['GET', '/tools/%E0%A4%A/echo'],
      ['GET', '/approvals/%E0%A4'],
      ['GET', '/static/%E0%A4%A'],
      ['POST', '/fx/%E0%A4%A'],
      ['POST', '/%E0%A4%A/echo'],
      ['POST', '/api/tools/fx/%'],
    ];
    for (const [method, target] of paths) {
      const res = await rawRequest(base, {
        method,
        target,
        headers: { 'Content-Type': 'application/json' },
        body: method === 'GET' ? undefined : '{}',
      });
      expect(res.status, `${method} ${target}: ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.body)).toMatchObject({ type: 'invalid-path', status: 400 });
    }
    // Well-formed encodings still work.
    expect((await request(base).post('/fx/%65cho').send({ message: 'x' })).status).toBe(200);
    expect(fx.calls()).toHaveLength(1);
  });
});

describe('a body that is not JSON on a JSON route', () => {
  it('is a 415 with a hint, on the API and tool calls; UI form posts keep working', async () => {
    const fx = recorded();
    const { app, supervisor } = await kit.gateway({ fx: fx.server });
    const base = await kit.listen(app);
    // `curl -d '{…}'` sends application/x-www-form-urlencoded (as superagent does for a string).
    for (const route of ['/fx/echo', '/api/tools/fx/echo', '/api/keys']) {
      const res = await request(base).post(route).type('form').send('{"message":"hi","label":"x"}');
      expectProblem(res, 415, 'unsupported-media-type');
      expect(res.body.detail).toContain('Content-Type: application/json');
      expect(res.body.detail).toContain('application/x-www-form-urlencoded');
    }
    const patched = await request(base).patch('/api/servers/fx').type('form').send('{"enabled":false}');
    expectProblem(patched, 415, 'unsupported-media-type');
    // No Content-Type at all.
    const bare = await rawRequest(base, { method: 'POST', target: '/fx/echo', body: '{"message":"hi"}' });
    expect(bare.status).toBe(415);
    expect(JSON.parse(bare.body).detail).toContain("(the request's Content-Type: none)");
    expect(fx.calls()).toEqual([]);
    expect(supervisor.status('fx')!.enabled).toBe(true);

    // A body-less POST needs no type; UI form posts are forms.
    expect((await request(base).post('/api/servers/fx/restart')).status).toBe(202);
    const page = await request(base).get('/').set('Accept', 'text/html');
    const cookie = String(page.headers['set-cookie']).split(';')[0]!;
    const csrf = page.text.match(/X-CSRF-Token&quot;:&quot;([^&]+)&quot;/)![1]!;
    const form = await request(base)
      .post('/ui/servers/fx/enabled')
      .set('Cookie', cookie)
      .type('form')
      .send({ enabled: 'false', _csrf: csrf });
    expect(form.status).toBe(303);
    expect(supervisor.status('fx')!.enabled).toBe(false);
  });
});

describe('JSON nested too deeply', () => {
  const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it('is a 400 json-too-deep before the call runs; the server never sees it', async () => {
    const fx = recorded();
    const { app } = await kit.gateway({ fx: fx.server });
    for (const route of ['/fx/echo', '/api/tools/fx/echo']) {
      const res = await request(app)
        .post(route)
        .set('Content-Type', 'application/json')
        .send(`{"message":"x","deep":${nested(5000)}}`);
      expectProblem(res, 400, 'json-too-deep');
      expect(res.body).toMatchObject({ limit: 64 });
    }
    // Deep objects count as much as deep arrays; the API's bodies too.
    const objects = `${'{"a":'.repeat(100)}1${'}'.repeat(100)}`;
    expectProblem(
      await request(app).post('/fx/echo').set('Content-Type', 'application/json').send(`{"message":"x","deep":${objects}}`),
      400,
      'json-too-deep',
    );
    expectProblem(
      await request(app)
        .post('/api/keys')
        .set('Content-Type', 'application/json')
        .send(`{"label":${nested(100)}}`),
      400,
      'json-too-deep',
    );
    expect(fx.calls()).toEqual([]);
    // Up to the limit is fine (64 levels: the body object and 63 inside it).
    const ok = await request(app)
      .post('/api/tools/fx/echo')
      .set('Content-Type', 'application/json')
      .send(`{"message":"x","deep":${nested(63)}}`);
    expect(ok.status).toBe(200);
    expect(fx.calls()).toHaveLength(1);
  });

  it('follows gateway.maxJsonDepth', async () => {
    const { app } = await kit.gateway({ fx: recorded().server }, { maxJsonDepth: 3 });
    // The body object is the first level.
    expectProblem(
      await request(app)
        .post('/fx/echo')
        .send({ message: 'x', deep: [[[1]]] }),
      400,
      'json-too-deep',
    );
    expect(
      (
        await request(app)
          .post('/fx/echo')
          .send({ message: 'x', deep: [[1]] })
      ).status,
    ).toBe(200);
  });
});
