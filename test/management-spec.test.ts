// The management API's OpenAPI document (server/openapi/management.ts): the committed
// openapi/gateway.json matches the code, the document is valid and lints clean, it covers every
// management route, and the real answers of a running gateway match both the zod schemas of
// server/http/api-schemas.ts and the document's own schemas.
// Needs `npm run build` first (npm test does it via pretest) for the demo server in dist/.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ActivityEntrySchema,
  ActivityPageSchema,
  ApprovalEventSchema,
  CompletionSchema,
  PromptListSchema,
  PromptResultSchema,
  ResourcePageSchema,
  ResourceReadSchema,
  ResourceTemplatePageSchema,
  ApprovalListSchema,
  ApprovalSchema,
  CALL_EVENT_DATA,
  CallListSchema,
  CallSnapshotSchema,
  CreatedKeySchema,
  DeviceListSchema,
  DeviceSchema,
  HealthSchema,
  KeyListSchema,
  KeySchema,
  NotReadyProblemSchema,
  ProtectedResourceMetadataSchema,
  OpenApiDocumentSchema,
  ReadySchema,
  ServerDetailSchema,
  OAuthConnectSchema,
  OAuthDisconnectSchema,
  ServerLogSchema,
  ServerListSchema,
  ToolCallResultSchema,
  ToolListSchema,
  ToolSchema,
} from '../server/http/api-schemas.js';
import { MANAGEMENT_ROUTES } from '../server/http/api/index.js';
import { QuestionListSchema, QuestionSchema } from '../server/http/question-schemas.js';
import { managementDocument } from '../server/openapi/management.js';
import { ProblemSchema } from '../server/openapi/problem-schema.js';
import { DEMO_SERVER_SCRIPT, PACKAGE_ROOT, VERSION } from '../server/package-info.js';
import { callKit, node, results } from './helpers/calls.js';
import { EVERYTHING_BIN, FAST, fixture, startTestGateway, waitForServer, type TestGateway } from './helpers/gateway.js';
import { lintErrors, validateDocument } from './helpers/openapi.js';
import { waitUntil } from './helpers/process.js';
import { startHttpFixture, type HttpServer } from './helpers/http-server.js';
import { allEvents } from './helpers/sse.js';

type Method = 'get' | 'post' | 'patch' | 'delete';
type MediaType = { schema?: unknown };
type Operation = {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  security?: unknown[];
  requestBody?: unknown;
  responses: Record<string, { description: string; content?: Record<string, MediaType>; headers?: Record<string, unknown> }>;
};
type Doc = {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  security: Record<string, string[]>[];
  tags: { name: string }[];
  paths: Record<string, Partial<Record<Method, Operation>>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

const doc = managementDocument(VERSION) as unknown as Doc;

function operations(document: Doc): [string, Operation][] {
  return Object.entries(document.paths).flatMap(([route, item]) =>
    Object.entries(item).map(([method, operation]) => [`${method.toUpperCase()} ${route}`, operation as Operation] as [string, Operation]),
  );
}

describe('the management API document', () => {
  const kit = callKit();
  it('is committed as openapi/gateway.json, up to date', () => {
    const file = path.join(PACKAGE_ROOT, 'openapi', 'gateway.json');
    const committed: unknown = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined;
    expect(committed, 'openapi/gateway.json is out of date: run "npm run openapi" and commit the result').toEqual(
      managementDocument(VERSION),
    );
  });

  it('is the same on every call, and a fresh object each time', () => {
    const first = managementDocument('1.2.3');
    const second = managementDocument('1.2.3');
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(second).not.toBe(first);
    expect((first.info as { version: string }).version).toBe('1.2.3');
  });

  it("is valid OpenAPI 3.1 (swagger-parser) and has no errors under Redocly's recommended rules", async () => {
    await validateDocument(doc);
    const errors = await lintErrors(doc);
    expect(errors, `Redocly lint errors:\n${errors.join('\n')}`).toEqual([]);
  });

  it('describes every management route, and not the mcpo tool route', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'mcp-gateway management API', version: VERSION });
    expect(doc.servers).toEqual([{ url: '/' }]);
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    // The declared management routes (server/http/api/*.ts), each once, and nothing else.
    const declared = MANAGEMENT_ROUTES.map((route) => `${route.method.toUpperCase()} ${route.path}`);
    expect(new Set(declared).size).toBe(declared.length);
    expect(
      operations(doc)
        .map(([name]) => name)
        .sort(),
    ).toEqual(declared.sort());
    expect(doc.paths['/{server}/{tool}']).toBeUndefined();
  });

  it('leaves out no route of the app under /api/, and each declared one is served', async () => {
    const { app } = await kit.gateway({}, {}, { apiKey: KEY });
    const documented = new Set(operations(doc).map(([name]) => name));
    const api = app.routes.filter((route) => route.path.toLowerCase().startsWith('/api/'));
    expect(api.length).toBeGreaterThan(20);
    for (const route of api) expect(documented, `${route.method} ${route.path}`).toContain(`${route.method.toUpperCase()} ${route.path}`);
    // Every declared route is mounted: the app answers it with something other than "no route".
    for (const route of MANAGEMENT_ROUTES) {
      const sent = request(app)
        [route.method](route.path.replace(/\{[^}]+\}/g, 'x'))
        .set('Authorization', `Bearer ${KEY}`);
      const res = route.method === 'get' ? await sent : await sent.send({});
      expect(`${res.status} ${res.body?.detail ?? ''}`, `${route.method} ${route.path}`).not.toMatch(/^404 no route for/);
    }
  });

  it('gives each operation an id, summary, description, known tag and its scope, and every 4xx/5xx as a problem', async () => {
    const { app } = await kit.gateway({}, {}, { apiKey: KEY });
    const tags = doc.tags.map((tag) => tag.name);
    expect(tags.sort()).toEqual([
      'activity',
      'approvals',
      'calls',
      'devices',
      'documents',
      'health',
      'keys',
      'prompts',
      'questions',
      'resources',
      'servers',
      'tools',
    ]);
    const ids = new Set<string>();
    for (const [name, operation] of operations(doc)) {
      expect(operation.operationId, name).toMatch(/^[a-z][A-Za-z]+$/);
      ids.add(operation.operationId);
      expect(operation.summary, name).toBeTruthy();
      expect(operation.description, name).toBeTruthy();
      expect(operation.tags.length, name).toBe(1);
      expect(tags, name).toContain(operation.tags[0]);
      const statuses = Object.keys(operation.responses);
      if (name === 'GET /healthz') {
        expect(operation.security).toEqual([]);
        expect(statuses).toEqual(['200', '403']);
      } else if (name.startsWith('GET /.well-known/oauth-protected-resource')) {
        // Public, like /healthz; 404 while the gateway is no resource server.
        expect(operation.security).toEqual([]);
        expect(statuses).toEqual(['200', '403', '404']);
      } else {
        // The scope the app requires (auth/scopes.ts, from the declared routes), any one of several: one requirement each.
        const [method, route] = name.split(' ') as [string, string];
        const needed = app.requiredScope(method, route);
        const scopes = typeof needed === 'string' ? [needed] : needed;
        expect(operation.security, name).toEqual(scopes.map((scope) => ({ bearer: [scope] })));
        expect(operation.responses['403']!.description, name).toContain(
          `\`forbidden\`: the credentials lack the scope ${scopes.map((scope) => `\`${scope}\``).join(' or ')}`,
        );
        expect(statuses, name).toEqual(expect.arrayContaining(['401', '403', '429', '500']));
        expect(operation.responses['401']!.headers, name).toHaveProperty('WWW-Authenticate');
        expect(operation.responses['429']!.headers, name).toHaveProperty('Retry-After');
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        expect(Object.keys(response.content ?? {}), `${name} ${status}`).toEqual(['application/problem+json']);
        expect(response.content!['application/problem+json']!.schema, `${name} ${status}`).toEqual({
          $ref: status === '503' && name === 'GET /readyz' ? '#/components/schemas/NotReadyProblem' : '#/components/schemas/Problem',
        });
      }
    }
    expect(ids.size).toBe(operations(doc).length);
  });
});

// ---------------------------------------------------------------------------------------------
// The real answers

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

/** `#/components/schemas/X` → `#/$defs/X`, so that a response schema compiles on its own. */
function localRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(localRefs);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === '$ref' && typeof item === 'string' ? item.replace('#/components/schemas/', '#/$defs/') : localRefs(item),
    ]),
  );
}

const validators = new Map<string, ValidateFunction>();

/** The document's own schema of an answer, as a validator. */
function documentValidator(key: string, schema: unknown): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile({ ...(localRefs(schema) as object), $defs: localRefs(doc.components.schemas) as object });
    validators.set(key, validate);
  }
  return validate;
}

/** Operations that gave a documented 2xx answer, as `GET /api/servers/{name}`. */
const answered = new Set<string>();

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body?: unknown;
  text?: string;
}

/**
 * Checks a real answer of `operation` (`GET /api/servers/{name}`): its status and media type are
 * documented, and a JSON body parses with `schema` (the zod schema) and validates against the
 * document's schema for it. Returns the parsed body.
 */
function check<T extends z.ZodType>(operation: string, res: Answer, status: number, schema?: T): z.infer<T> {
  const [method, route] = operation.split(' ') as [string, string];
  expect(res.status, `${operation}: ${res.text ?? JSON.stringify(res.body)}`).toBe(status);
  const documented = doc.paths[route]?.[method.toLowerCase() as Method]?.responses[String(status)];
  expect(documented, `${operation} ${status} is not in the document`).toBeDefined();
  const mediaType = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
  expect(Object.keys(documented!.content ?? {}), `${operation} ${status}`).toContain(mediaType);
  if (status < 300) answered.add(operation);
  if (!mediaType.endsWith('json')) return undefined as z.infer<T>;

  expect(schema, `${operation}: a JSON answer needs a schema`).toBeDefined();
  const parsed = schema!.safeParse(res.body);
  expect(
    parsed.success,
    `${operation} ${status} does not match its zod schema:\n${parsed.error ? z.prettifyError(parsed.error) : ''}\n${JSON.stringify(res.body)}`,
  ).toBe(true);
  const validate = documentValidator(`${operation} ${status} ${mediaType}`, documented!.content![mediaType]!.schema);
  expect(
    validate(res.body),
    `${operation} ${status} does not match the document:\n${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body)}`,
  ).toBe(true);
  return parsed.data as z.infer<T>;
}

/** A fetch() answer as `check` takes it. */
function fetched(res: Response, body?: unknown): Answer {
  return { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? undefined }, body };
}

describe('the answers of a running gateway match the schemas', () => {
  let started: TestGateway;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    started = await startTestGateway({
      approval: { default: 'allow' },
      gateway: { ...FAST, finishedCallTtlMs: 60_000 },
      mcpServers: {
        demo: { command: node, args: [DEMO_SERVER_SCRIPT], description: 'The built-in demo server' },
        r: results(),
        broken: { command: node, args: [fixture('crash-at-start.mjs')] },
        off: { ...results(), enabled: false },
      },
    });
    server = http.createServer(started.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await waitForServer(started.supervisor, 'demo', 'ready');
    await waitForServer(started.supervisor, 'r', 'ready');
    await waitForServer(started.supervisor, 'broken', (status) => status.lastError !== undefined);
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await started?.close();
  });

  const api = () => request(base);

  it('health: /healthz, /readyz (503 with a failing server, then 200)', async () => {
    check('GET /healthz', await api().get('/healthz'), 200, HealthSchema);
    const notReady = check('GET /readyz', await api().get('/readyz'), 503, NotReadyProblemSchema);
    expect(notReady.servers.map((entry) => entry.name)).toEqual(['broken']);
    check('GET /readyz', await api().get('/readyz'), 503, ProblemSchema);

    // While the activity log cannot be written (the database may not grow: SQLITE_FULL), both answers say so.
    const { db, activity } = started.gateway;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    try {
      await api()
        .post('/r/plain_text')
        .send({ pad: 'x'.repeat(8000) });
      activity.flush(); // the batch's write, as its timer would start it
      const failing = check('GET /readyz', await api().get('/readyz'), 503, NotReadyProblemSchema);
      expect(failing.activityLog).toMatchObject({ state: 'failing' });
    } finally {
      db.pragma('max_page_count = 1000000000');
      activity.flush();
    }
  });

  it('servers: list, detail (with a last error and stderr), patch, restart, and their problems', async () => {
    const list = check('GET /api/servers', await api().get('/api/servers'), 200, ServerListSchema);
    expect(list.servers.map((entry) => entry.name)).toEqual(['demo', 'r', 'broken', 'off']);
    expect(list.servers.find((entry) => entry.name === 'broken')!.lastError).not.toBeNull();
    expect(list.servers.find((entry) => entry.name === 'off')!.pid).toBeNull();

    const demo = check('GET /api/servers/{name}', await api().get('/api/servers/demo'), 200, ServerDetailSchema);
    expect(demo.serverInfo?.title).toBe('MCP Gateway demo server');
    expect(demo.instructions).toContain('demo server');
    const broken = check('GET /api/servers/{name}', await api().get('/api/servers/broken'), 200, ServerDetailSchema);
    expect(broken.lastError?.stderrTail.join('\n')).toContain('missing configuration');
    check('GET /api/servers/{name}', await api().get('/api/servers/nope'), 404, ProblemSchema);

    const disabled = check(
      'PATCH /api/servers/{name}',
      await api().patch('/api/servers/broken').send({ enabled: false }),
      200,
      ServerDetailSchema,
    );
    expect(disabled).toMatchObject({ enabled: false, enabledSource: 'override', state: 'disabled' });
    check('GET /readyz', await api().get('/readyz'), 200, ReadySchema);
    const invalid = check(
      'PATCH /api/servers/{name}',
      await api().patch('/api/servers/off').send({ enabled: 'yes', colour: 'red' }),
      422,
      ProblemSchema,
    );
    expect(invalid.errors?.map((error) => error.field).sort()).toEqual(['colour', 'enabled']);
    check(
      'PATCH /api/servers/{name}',
      await api().patch('/api/servers/off').set('Content-Type', 'application/json').send('{"enabled": tru'),
      400,
      ProblemSchema,
    );

    const deep = check(
      'PATCH /api/servers/{name}',
      await api()
        .patch('/api/servers/off')
        .set('Content-Type', 'application/json')
        .send(`{"enabled":${'['.repeat(200)}${']'.repeat(200)}}`),
      400,
      ProblemSchema,
    );
    expect(deep).toMatchObject({ type: 'json-too-deep', limit: 64 });
    const form = check(
      'PATCH /api/servers/{name}',
      await api().patch('/api/servers/off').type('form').send('{"enabled":true}'),
      415,
      ProblemSchema,
    );
    expect(form.type).toBe('unsupported-media-type');
    const path = check('GET /api/servers/{name}', await api().get('/api/servers/%E0%A4%A'), 400, ProblemSchema);
    expect(path.type).toBe('invalid-path');

    check('POST /api/servers/{name}/restart', await api().post('/api/servers/off/restart'), 409, ProblemSchema);
    const restarted = check('POST /api/servers/{name}/restart', await api().post('/api/servers/demo/restart'), 202, ServerDetailSchema);
    expect(restarted.restarts).toBe(1);
    await waitForServer(started.supervisor, 'demo', (status) => status.state === 'ready' && status.restarts === 1);
    const logs = check('GET /api/servers/{name}/logs', await api().get('/api/servers/demo/logs'), 200, ServerLogSchema);
    expect(logs).toMatchObject({ level: null, capacity: 200 });
    check('GET /api/servers/{name}/logs', await api().get('/api/servers/nope/logs'), 404, ProblemSchema);
  });

  it('tools: list, search, detail', async () => {
    const all = check('GET /api/tools', await api().get('/api/tools'), 200, ToolListSchema);
    expect(all.tools.some((tool) => tool.server === 'demo' && Object.keys(tool.annotations).length > 0)).toBe(true);
    const found = check('GET /api/tools', await api().get('/api/tools').query({ server: 'r', q: 'structured' }), 200, ToolListSchema);
    expect(found.tools.map((tool) => tool.name)).toEqual(['structured']);
    check('GET /api/tools', await api().get('/api/tools?server=nope'), 404, ProblemSchema);

    const add = check('GET /api/tools/{server}/{tool}', await api().get('/api/tools/demo/add'), 200, ToolSchema);
    expect(add.outputSchema).not.toBeNull();
    expect(add.title).toBe('Add two numbers');
    const plain = check('GET /api/tools/{server}/{tool}', await api().get('/api/tools/r/plain_text'), 200, ToolSchema);
    expect(plain).toMatchObject({ title: null, outputSchema: null, annotations: {} });
    check('GET /api/tools/{server}/{tool}', await api().get('/api/tools/r/nope'), 404, ProblemSchema);
  });

  it('tool calls: JSON results of every kind, an event stream, and the problems', async () => {
    const call = (tool: string) => `/api/tools/${tool}`;
    const sum = check(
      'POST /api/tools/{server}/{tool}',
      await api().post(call('demo/add')).send({ a: 2, b: 3 }),
      200,
      ToolCallResultSchema,
    );
    expect(sum.structuredContent).toEqual({ sum: 5 });
    const failed = check('POST /api/tools/{server}/{tool}', await api().post(call('r/fail')).send({}), 200, ToolCallResultSchema);
    expect(failed.isError).toBe(true);
    for (const tool of ['image', 'resource', 'multi', 'none']) {
      check(
        'POST /api/tools/{server}/{tool}',
        await api()
          .post(call(`r/${tool}`))
          .send({}),
        200,
        ToolCallResultSchema,
      );
    }

    const stream = await fetch(`${base}${call('r/chatty')}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ steps: 2, everyMs: 10 }),
    });
    check('POST /api/tools/{server}/{tool}', fetched(stream), 200);
    const events = await allEvents(stream);
    expect(events.map((event) => event.event)).toEqual(['log', 'progress', 'log', 'progress', 'result']);
    for (const event of events) {
      const schema = CALL_EVENT_DATA[event.event as keyof typeof CALL_EVENT_DATA];
      expect(schema, `event ${event.event}`).toBeDefined();
      schema.parse(JSON.parse(event.data!));
    }

    const invalid = check('POST /api/tools/{server}/{tool}', await api().post(call('r/order')).send({ size: 'huge' }), 422, ProblemSchema);
    expect(invalid.type).toBe('invalid-arguments');
    check(
      'POST /api/tools/{server}/{tool}',
      await api().post(call('r/plain_text')).set('X-Timeout-Ms', 'soon').send({}),
      422,
      ProblemSchema,
    );
    check('POST /api/tools/{server}/{tool}', await api().post(call('r/nope')).send({}), 404, ProblemSchema);
    check(
      'POST /api/tools/{server}/{tool}',
      await api().post(call('r/plain_text')).set('Content-Type', 'application/json').send('{'),
      400,
      ProblemSchema,
    );
    const unavailable = check('POST /api/tools/{server}/{tool}', await api().post(call('off/plain_text')).send({}), 503, ProblemSchema);
    expect(unavailable.type).toBe('server-unavailable');
    const timeout = check(
      'POST /api/tools/{server}/{tool}',
      await api().post(call('r/wait')).set('X-Timeout-Ms', '50').send({ ms: 60_000 }),
      504,
      ProblemSchema,
    );
    expect(timeout.type).toBe('timeout');
  });

  it('calls: async call, list, snapshot, events, cancel, and their problems', async () => {
    const accepted = await api().post('/api/tools/r/wait').set('Prefer', 'respond-async').send({ ms: 60_000 });
    const running = check('POST /api/tools/{server}/{tool}', accepted, 202, CallSnapshotSchema);
    expect(accepted.headers.location).toBe(`/api/calls/${running.id}`);
    expect(running).toMatchObject({ state: 'running', mode: 'async', progress: null, endedAt: null });

    const list = check('GET /api/calls', await api().get('/api/calls'), 200, CallListSchema);
    expect(list.items.map((item) => item.id)).toContain(running.id);
    check('GET /api/calls/{id}', await api().get(`/api/calls/${running.id}`), 200, CallSnapshotSchema);
    const cancelled = check('DELETE /api/calls/{id}', await api().delete(`/api/calls/${running.id}`), 200, CallSnapshotSchema);
    expect(cancelled).toMatchObject({ state: 'cancelled', error: { type: 'cancelled' } });
    check('DELETE /api/calls/{id}', await api().delete(`/api/calls/${running.id}`), 409, ProblemSchema);

    const chatty = check(
      'POST /api/tools/{server}/{tool}',
      await api().post('/api/tools/r/chatty').set('Prefer', 'respond-async').send({ steps: 2, everyMs: 10 }),
      202,
      CallSnapshotSchema,
    );
    const done = await waitUntil(
      async () => {
        const snapshot = check('GET /api/calls/{id}', await api().get(`/api/calls/${chatty.id}`), 200, CallSnapshotSchema);
        return snapshot.state === 'running' ? undefined : snapshot;
      },
      5000,
      'the call to end',
    );
    expect(done).toMatchObject({ state: 'succeeded', progress: { progress: 2, total: 2 } });
    expect(ToolCallResultSchema.parse(done.result).content).toEqual([{ type: 'text', text: 'done after 2 steps' }]);

    const events = await fetch(`${base}/api/calls/${chatty.id}/events`);
    check('GET /api/calls/{id}/events', fetched(events), 200);
    const replay = await allEvents(events);
    expect(replay.at(-1)!.event).toBe('result');
    CALL_EVENT_DATA.result.parse(JSON.parse(replay.at(-1)!.data!));

    check('GET /api/calls/{id}', await api().get('/api/calls/nope'), 404, ProblemSchema);
    check('GET /api/calls/{id}/events', await api().get('/api/calls/nope/events'), 404, ProblemSchema);
    check('DELETE /api/calls/{id}', await api().delete('/api/calls/nope'), 404, ProblemSchema);
  });

  it('activity: pages with filters and a cursor, one entry, and their problems', async () => {
    await api().post('/api/tools/r/plain_text').send({ password: 'hunter2' }).expect(200);
    await api().post('/r/fail').send({}).expect(502);
    await api().post('/r/order').send({}).expect(422);
    const all = check('GET /api/activity', await api().get('/api/activity'), 200, ActivityPageSchema);
    // Newest first; calls that start within the same millisecond may come in either order.
    const latest = all.items.slice(0, 3);
    expect(latest.map((item) => item.outcome).sort()).toEqual(['invalid_arguments', 'ok', 'tool_error']);
    expect(latest.find((item) => item.outcome === 'ok')).toMatchObject({
      surface: 'api',
      arguments: { password: '[redacted]' },
      resultBytes: expect.any(Number),
    });

    const first = check('GET /api/activity', await api().get('/api/activity').query({ server: 'r', limit: 2 }), 200, ActivityPageSchema);
    expect(first.nextCursor).toEqual(expect.any(String));
    const next = check(
      'GET /api/activity',
      await api().get('/api/activity').query({ server: 'r', limit: 2, cursor: first.nextCursor! }),
      200,
      ActivityPageSchema,
    );
    expect(next.items[0]!.id).not.toBe(first.items[0]!.id);
    check(
      'GET /api/activity',
      await api()
        .get('/api/activity')
        .query({ outcome: 'ok', since: '2020-01-01T00:00:00Z', until: String(Date.now() + 1000) }),
      200,
      ActivityPageSchema,
    );
    check('GET /api/activity', await api().get('/api/activity?limit=0'), 422, ProblemSchema);
    check('GET /api/activity', await api().get('/api/activity?colour=red'), 422, ProblemSchema);

    for (const item of latest) {
      const entry = check('GET /api/activity/{id}', await api().get(`/api/activity/${item.id}`), 200, ActivityEntrySchema);
      expect(entry).toEqual(item);
    }
    check('GET /api/activity/{id}', await api().get('/api/activity/nope'), 404, ProblemSchema);
  });

  it('metrics, documents and docs pages', async () => {
    const metrics = await api().get('/metrics');
    check('GET /metrics', metrics, 200);
    expect(metrics.text).toContain('mcp_gateway_tool_calls_total');

    for (const route of ['/openapi.json', '/{server}/openapi.json', '/api/openapi.json']) {
      check(`GET ${route}`, await api().get(route.replace('{server}', 'r')), 200, OpenApiDocumentSchema);
    }
    check('GET /{server}/openapi.json', await api().get('/nope/openapi.json'), 404, ProblemSchema);
    for (const route of ['/docs', '/{server}/docs', '/api/docs']) {
      const page = await api().get(route.replace('{server}', 'r'));
      check(`GET ${route}`, page, 200);
      expect(page.text).toMatch(/^<!doctype html>/);
    }
    check('GET /{server}/docs', await api().get('/nope/docs'), 404, ProblemSchema);
    check('GET /api/openwebui/tools.py', await api().get('/api/openwebui/tools.py?server=r'), 200);
    check('GET /api/openwebui/tools.py', await api().get('/api/openwebui/tools.py?server=nope'), 404, ProblemSchema);
    const management = await api().get('/api/openapi.json');
    expect(management.body).toEqual(managementDocument('test'));
  });
});

describe('the answers of a gateway with an API key', () => {
  let started: TestGateway;

  beforeAll(async () => {
    started = await startTestGateway({ approval: { default: 'allow' }, gateway: FAST, mcpServers: {} }, { apiKey: 'spec-test-key' });
  });

  afterAll(async () => {
    await started?.close();
  });

  it('401 with WWW-Authenticate without the key, 403 with a wrong one, /healthz open', async () => {
    const missing = await request(started.app).get('/api/servers');
    check('GET /api/servers', missing, 401, ProblemSchema);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer /);
    check('GET /api/servers', await request(started.app).get('/api/servers').set('Authorization', 'Bearer wrong'), 403, ProblemSchema);
    check('POST /api/tools/{server}/{tool}', await request(started.app).post('/api/tools/a/b').send({}), 401, ProblemSchema);
    check('GET /healthz', await request(started.app).get('/healthz'), 200, HealthSchema);
    check('GET /healthz', await request(started.app).get('/healthz').set('Host', 'evil.example'), 403, ProblemSchema);
    check(
      'GET /api/servers',
      await request(started.app).get('/api/servers').set('Authorization', 'Bearer spec-test-key'),
      200,
      ServerListSchema,
    );
  });

  // Last in this gateway: the address is refused from then on, whatever key it sends.
  it('429 with Retry-After after too many wrong keys from one address', async () => {
    let res: request.Response | undefined;
    for (let attempt = 0; attempt < 20 && res?.status !== 429; attempt++) {
      res = await request(started.app).get('/api/servers').set('Authorization', `Bearer wrong-${attempt}`);
    }
    expect(check('GET /api/servers', res!, 429, ProblemSchema).type).toBe('too-many-attempts');
    expect(Number(res!.headers['retry-after'])).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Keys, scopes and approvals, on a gateway with a start-up key

const KEY = 'spec-test-start-up-key-0001';

/** A request to `base` with `token` as its key. */
function as(base: string, token = KEY) {
  const authorized = (test: request.Test) => test.set('Authorization', `Bearer ${token}`);
  return {
    get: (url: string) => authorized(request(base).get(url)),
    post: (url: string) => authorized(request(base).post(url)),
    patch: (url: string) => authorized(request(base).patch(url)),
    delete: (url: string) => authorized(request(base).delete(url)),
  };
}

/** Makes a key with these scopes. */
async function makeKey(base: string, label: string, scopes: string[]): Promise<z.infer<typeof CreatedKeySchema>> {
  return check('POST /api/keys', await as(base).post('/api/keys').send({ label, scopes }), 201, CreatedKeySchema);
}

describe('the answers of keys, scopes and approvals', () => {
  const kit = callKit();

  it('protected resource metadata: 404 while the gateway is no resource server, the document when it is', async () => {
    const off = await kit.gateway({}, {});
    check(
      'GET /.well-known/oauth-protected-resource',
      await request(await kit.listen(off.app)).get('/.well-known/oauth-protected-resource'),
      404,
      ProblemSchema,
    );
    const on = await kit.gateway({}, { resourceServer: { issuer: 'https://issuer.example' } });
    const base = await kit.listen(on.app);
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource/mcp/{name}',
    ]) {
      const metadata = check(`GET ${path}`, await request(base).get(path.replace('{name}', 'x')), 200, ProtectedResourceMetadataSchema);
      expect(metadata.authorization_servers).toEqual(['https://issuer.example']);
    }
  });

  it('keys and devices: make, list, show, revoke, and their problems; a 403 forbidden for a key without the scope', async () => {
    const started = await kit.gateway({}, {}, { apiKey: KEY });
    const base = await kit.listen(started.app);

    const made = await as(base)
      .post('/api/keys')
      .send({ label: 'Spec reader', scopes: ['tools:read'] });
    const reader = check('POST /api/keys', made, 201, CreatedKeySchema);
    expect(reader).toMatchObject({
      label: 'Spec reader',
      scopes: ['tools:read'],
      caller: `key:${reader.id}`,
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(made.headers.location).toBe(`/api/keys/${reader.id}`);
    expect(made.headers['cache-control']).toBe('no-store');
    const webui = check('POST /api/keys', await as(base).post('/api/keys').send({ label: 'Open WebUI' }), 201, CreatedKeySchema);
    expect(webui.scopes).toEqual(['tools:call', 'tools:read']);
    const invalid = check(
      'POST /api/keys',
      await as(base)
        .post('/api/keys')
        .send({ label: ' ', scopes: ['root'], colour: 'red' }),
      422,
      ProblemSchema,
    );
    expect(invalid.errors?.map((error) => error.field).sort()).toEqual(['colour', 'label', 'scopes.0']);
    check('POST /api/keys', await as(base).post('/api/keys').set('Content-Type', 'application/json').send('{"label":'), 400, ProblemSchema);

    const list = check('GET /api/keys', await as(base).get('/api/keys'), 200, KeyListSchema);
    expect(list.items.map((key) => key.id).sort()).toEqual([reader.id, webui.id].sort());
    expect(list.items[0]).not.toHaveProperty('token');
    check('GET /api/keys/{id}', await as(base).get(`/api/keys/${reader.id}`), 200, KeySchema);
    check('GET /api/keys/{id}', await as(base).get('/api/keys/nope'), 404, ProblemSchema);
    const trusting = check(
      'PATCH /api/keys/{id}',
      await as(base).patch(`/api/keys/${webui.id}`).send({ trustForwardedUser: true }),
      200,
      KeySchema,
    );
    expect(trusting.trustForwardedUser).toBe(true);
    check('PATCH /api/keys/{id}', await as(base).patch('/api/keys/nope').send({ trustForwardedUser: true }), 404, ProblemSchema);
    check('PATCH /api/keys/{id}', await as(base).patch(`/api/keys/${webui.id}`).send({}), 422, ProblemSchema);

    // The reader key reads, but neither calls nor manages keys.
    check('GET /api/servers', await as(base, reader.token).get('/api/servers'), 200, ServerListSchema);
    const noCall = check(
      'POST /api/tools/{server}/{tool}',
      await as(base, reader.token).post('/api/tools/fx/echo').send({}),
      403,
      ProblemSchema,
    );
    expect(noCall).toMatchObject({ type: 'forbidden', scope: 'tools:call' });
    const noAdmin = check('GET /api/keys', await as(base, reader.token).get('/api/keys'), 403, ProblemSchema);
    expect(noAdmin).toMatchObject({ type: 'forbidden', scope: 'admin' });

    // Pairing needs a person at each end (the UI); the device is paired in the store here.
    const { device } = started.gateway.devices.pair('Spec phone', 'api-key');
    const devices = check('GET /api/devices', await as(base).get('/api/devices'), 200, DeviceListSchema);
    expect(devices.items).toEqual([expect.objectContaining({ id: device.id, label: 'Spec phone', pairedBy: 'api-key', revokedAt: null })]);
    const noDevices = check('GET /api/devices', await as(base, reader.token).get('/api/devices'), 403, ProblemSchema);
    expect(noDevices).toMatchObject({ type: 'forbidden', scope: 'admin' });
    const unpaired = check('DELETE /api/devices/{id}', await as(base).delete(`/api/devices/${device.id}`), 200, DeviceSchema);
    expect(unpaired.revokedAt).toEqual(expect.any(String));
    expect(check('DELETE /api/devices/{id}', await as(base).delete(`/api/devices/${device.id}`), 200, DeviceSchema)).toEqual(unpaired);
    check('DELETE /api/devices/{id}', await as(base).delete('/api/devices/nope'), 404, ProblemSchema);

    const revoked = check('DELETE /api/keys/{id}', await as(base).delete(`/api/keys/${reader.id}`), 200, KeySchema);
    expect(revoked.revokedAt).toEqual(expect.any(String));
    expect(check('DELETE /api/keys/{id}', await as(base).delete(`/api/keys/${reader.id}`), 200, KeySchema)).toEqual(revoked);
    check('DELETE /api/keys/{id}', await as(base).delete('/api/keys/nope'), 404, ProblemSchema);
    const refused = check('GET /api/servers', await as(base, reader.token).get('/api/servers'), 403, ProblemSchema);
    expect(refused.type).toBe('invalid-credentials');
  });

  it('approvals: held calls in each mode, listed, shown, approved and denied, and their problems', async () => {
    const { app } = await kit.gateway(
      { fx: { command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: 'echo' } } },
      { finishedCallTtlMs: 60_000 },
      {
        apiKey: KEY,
        approval: {
          default: 'allow',
          rules: [
            { server: 'fx', tool: 'echo', action: 'deny', when: [{ pointer: '/message', equals: 'never' }] },
            { server: 'fx', tool: 'echo', action: 'ask' },
          ],
          maxPendingPerCaller: 2,
        },
      },
    );
    const base = await kit.listen(app);
    const callerKey = await makeKey(base, 'Spec caller', ['tools:call']);
    const caller = callerKey.token;
    const reader = (await makeKey(base, 'Spec reader', ['tools:read'])).token;
    const call = '/api/tools/fx/echo';

    const denied = check('POST /api/tools/{server}/{tool}', await as(base).post(call).send({ message: 'never' }), 403, ProblemSchema);
    expect(denied).toMatchObject({ type: 'denied-by-policy', rule: '$.approval.rules[0]' });

    // Three held calls: plain (answered after the decision), streaming, async (answered at once).
    const plain = as(base)
      .post(call)
      .send({ message: 'plain' })
      .then((res) => res);
    const stream = await fetch(`${base}${call}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ message: 'stream' }),
    });
    check('POST /api/tools/{server}/{tool}', fetched(stream), 200);
    const events = allEvents(stream);
    const accepted = await as(base, caller).post(call).set('Prefer', 'respond-async').send({ message: 'async' });
    const held = check('POST /api/tools/{server}/{tool}', accepted, 202, CallSnapshotSchema);
    expect(held).toMatchObject({
      state: 'waiting_for_approval',
      approval: { state: 'pending', url: `/api/approvals/${held.approval?.id}` },
    });
    check('GET /api/calls/{id}', await as(base, caller).get(`/api/calls/${held.id}`), 200, CallSnapshotSchema);

    await waitUntil(
      async () => ((await as(base).get('/api/approvals?state=pending')).body.pending === 3 ? true : undefined),
      10_000,
      'three pending approvals',
    );
    const pending = check('GET /api/approvals', await as(base).get('/api/approvals?state=pending'), 200, ApprovalListSchema);
    // A third held call of the start-up key is over approval.maxPendingPerCaller: refused at once.
    const capped = await as(base).post(call).send({ message: 'one too many' });
    expect(check('POST /api/tools/{server}/{tool}', capped, 429, ProblemSchema)).toMatchObject({ type: 'too-many-calls', limit: 2 });
    expect(Number(capped.headers['retry-after'])).toBeGreaterThan(0);
    const approvalOf = (message: string) => pending.items.find((item) => (item.arguments as { message?: string }).message === message)!;
    expect(approvalOf('async')).toMatchObject({
      id: held.approval!.id,
      callId: held.id,
      caller: callerKey.caller,
      callerLabel: 'Spec caller',
    });
    check('GET /api/approvals', await as(base).get('/api/approvals?limit=1'), 200, ApprovalListSchema);
    check('GET /api/approvals', await as(base).get('/api/approvals?state=maybe'), 422, ProblemSchema);

    // One approval: for deciders, and for the caller whose call it holds (only that one).
    check('GET /api/approvals/{id}', await as(base).get(`/api/approvals/${approvalOf('plain').id}`), 200, ApprovalSchema);
    check('GET /api/approvals/{id}', await as(base, caller).get(held.approval!.url), 200, ApprovalSchema);
    check('GET /api/approvals/{id}', await as(base, caller).get(`/api/approvals/${approvalOf('plain').id}`), 404, ProblemSchema);
    check('GET /api/approvals/{id}', await as(base).get('/api/approvals/nope'), 404, ProblemSchema);
    const unreadable = check('GET /api/approvals/{id}', await as(base, reader).get(held.approval!.url), 403, ProblemSchema);
    expect(unreadable).toMatchObject({ type: 'forbidden', scope: 'approvals:decide or tools:call' });
    const undecidable = check(
      'POST /api/approvals/{id}/approve',
      await as(base, caller).post(`${held.approval!.url}/approve`),
      403,
      ProblemSchema,
    );
    expect(undecidable).toMatchObject({ type: 'forbidden', scope: 'approvals:decide' });
    check('GET /api/approvals', await as(base, reader).get('/api/approvals'), 403, ProblemSchema);

    // Decisions, and the ones refused.
    const streamed = approvalOf('stream');
    const mismatch = check(
      'POST /api/approvals/{id}/approve',
      await as(base).post(`/api/approvals/${streamed.id}/approve`).send({ binding: 'stale' }),
      409,
      ProblemSchema,
    );
    expect(mismatch.type).toBe('approval-void');
    check(
      'POST /api/approvals/{id}/approve',
      await as(base).post(`/api/approvals/${streamed.id}/approve`).send({ reason: 42, colour: 'red' }),
      422,
      ProblemSchema,
    );
    check(
      'POST /api/approvals/{id}/approve',
      await as(base).post(`/api/approvals/${streamed.id}/approve`).set('Content-Type', 'application/json').send('{'),
      400,
      ProblemSchema,
    );
    check('POST /api/approvals/{id}/approve', await as(base).post('/api/approvals/nope/approve'), 404, ProblemSchema);
    const approved = check(
      'POST /api/approvals/{id}/approve',
      await as(base).post(`/api/approvals/${streamed.id}/approve`).send({ binding: streamed.binding }),
      200,
      ApprovalSchema,
    );
    expect(approved).toMatchObject({ state: 'approved', decidedBy: 'api-key', decidedVia: 'api' });
    const late = check('POST /api/approvals/{id}/deny', await as(base).post(`/api/approvals/${streamed.id}/deny`), 409, ProblemSchema);
    expect(late).toMatchObject({ type: 'approval-decided', state: 'approved' });
    check('POST /api/approvals/{id}/deny', await as(base).post('/api/approvals/nope/deny'), 404, ProblemSchema);

    const refused = check(
      'POST /api/approvals/{id}/deny',
      await as(base)
        .post(`/api/approvals/${approvalOf('plain').id}/deny`)
        .send({ reason: 'not today' }),
      200,
      ApprovalSchema,
    );
    expect(refused).toMatchObject({ state: 'denied', reason: 'not today' });
    const answer = check('POST /api/tools/{server}/{tool}', await plain, 403, ProblemSchema);
    expect(answer).toMatchObject({ type: 'approval-denied', approval: refused.id, reason: 'not today', decidedBy: 'start-up key' });
    check('POST /api/approvals/{id}/approve', await as(base).post(`${held.approval!.url}/approve`), 200, ApprovalSchema);

    // The stream: the approval event, waiting and then approved, then the result.
    const items = await events;
    expect(items.map((event) => event.event)).toEqual(['approval', 'approval', 'result']);
    const data = { ...CALL_EVENT_DATA, approval: ApprovalEventSchema };
    for (const event of items) data[event.event as keyof typeof data].parse(JSON.parse(event.data!));
    expect(items.slice(0, 2).map((event) => JSON.parse(event.data!).status)).toEqual(['waiting', 'approved']);

    const done = await waitUntil(
      async () => {
        const snapshot = CallSnapshotSchema.parse((await as(base, caller).get(`/api/calls/${held.id}`)).body);
        return snapshot.endedAt === null ? undefined : snapshot;
      },
      10_000,
      'the async call to end',
    );
    expect(done).toMatchObject({ state: 'succeeded', approval: { state: 'approved' } });
    check('GET /api/calls/{id}', await as(base, caller).get(`/api/calls/${held.id}`), 200, CallSnapshotSchema);

    const log = check('GET /api/activity', await as(base).get('/api/activity?outcome=denied'), 200, ActivityPageSchema);
    expect(log.items.map((entry) => entry.approvalId).sort()).toEqual([null, refused.id].sort());
  });
});

describe('the answers of questions from servers', () => {
  const kit = callKit();

  it('questions: listed, shown, answered, and their problems', async () => {
    const { app } = await kit.gateway({ e: { command: node, args: [EVERYTHING_BIN, 'stdio'] } }, {}, { apiKey: KEY });
    const base = await kit.listen(app);
    const caller = (await makeKey(base, 'Spec caller', ['tools:call'])).token;
    const held = check(
      'POST /api/tools/{server}/{tool}',
      await as(base, caller).post('/api/tools/e/trigger-elicitation-request').set('Prefer', 'respond-async').send({}),
      202,
      CallSnapshotSchema,
    );
    const asked = await waitUntil(
      async () => {
        const snapshot = (await as(base, caller).get(`/api/calls/${held.id}`)).body;
        return snapshot.state === 'waiting_for_input' ? snapshot : undefined;
      },
      15_000,
      'the call to wait for input',
    );
    check('GET /api/calls/{id}', await as(base, caller).get(`/api/calls/${held.id}`), 200, CallSnapshotSchema);
    const list = check('GET /api/questions', await as(base).get('/api/questions'), 200, QuestionListSchema);
    expect(list.pending).toBe(1);
    check('GET /api/questions', await as(base).get('/api/questions?state=nope'), 422, ProblemSchema);
    check('GET /api/questions/{id}', await as(base, caller).get(asked.question.url), 200, QuestionSchema);
    check('GET /api/questions/{id}', await as(base).get('/api/questions/nope'), 404, ProblemSchema);
    const path = `/api/questions/${asked.question.id}`;
    check(
      'POST /api/questions/{id}',
      await as(base)
        .post(path)
        .send({ action: 'accept', content: { integer: 0 } }),
      422,
      ProblemSchema,
    );
    check('POST /api/questions/{id}', await as(base).post('/api/questions/nope').send({ action: 'cancel' }), 404, ProblemSchema);
    check(
      'POST /api/questions/{id}',
      await as(base)
        .post(path)
        .send({ action: 'accept', content: { name: 'Spec' } }),
      200,
      QuestionSchema,
    );
    check('POST /api/questions/{id}', await as(base).post(path).send({ action: 'cancel' }), 409, ProblemSchema);
  });
});

describe('the answers of a call that a server fails or a caller overdoes', () => {
  const kit = callKit();

  it("502 upstream-error from a JSON-RPC error answer; 429 too-many-calls with Retry-After past a caller's async calls", async () => {
    const { app } = await kit.gateway(
      { r: results(), u: { command: node, args: [fixture('unruly-server.mjs')] } },
      { asyncCalls: { maxPerCaller: 1 } },
    );
    const failed = check(
      'POST /api/tools/{server}/{tool}',
      await request(app).post('/api/tools/u/server_error').send({}),
      502,
      ProblemSchema,
    );
    expect(failed).toMatchObject({ type: 'upstream-error', title: 'The MCP server answered with an error' });

    const running = await request(app).post('/api/tools/r/wait').set('Prefer', 'respond-async').send({ ms: 60_000 });
    check('POST /api/tools/{server}/{tool}', running, 202, CallSnapshotSchema);
    const refused = await request(app).post('/api/tools/r/plain_text').set('Prefer', 'respond-async').send({});
    expect(check('POST /api/tools/{server}/{tool}', refused, 429, ProblemSchema).type).toBe('too-many-calls');
    expect(refused.headers['retry-after']).toBe('1');
    await request(app).delete(running.headers.location!).expect(200);
  });
});

describe('the answers of the resource, prompt and completion routes', () => {
  const kit = callKit();

  it('resources: pages, templates, a read, a watch, and their problems', async () => {
    const started = await kit.gateway({ e: { command: node, args: [EVERYTHING_BIN, 'stdio'] }, r: results() });
    const base = await kit.listen(started.app);
    const page = check(
      'GET /api/servers/{server}/resources',
      await request(base).get('/api/servers/e/resources?limit=2'),
      200,
      ResourcePageSchema,
    );
    expect(page.nextCursor).not.toBeNull();
    check('GET /api/servers/{server}/resources', await request(base).get('/api/servers/e/resources?limit=0'), 422, ProblemSchema);
    check('GET /api/servers/{server}/resources', await request(base).get('/api/servers/nope/resources'), 404, ProblemSchema);
    check(
      'GET /api/servers/{server}/resource-templates',
      await request(base).get('/api/servers/e/resource-templates'),
      200,
      ResourceTemplatePageSchema,
    );
    const uri = page.items[0]!.uri;
    check('GET /api/servers/{server}/resource', await request(base).get('/api/servers/e/resource').query({ uri }), 200, ResourceReadSchema);
    check(
      'GET /api/servers/{server}/resource',
      await request(base).get('/api/servers/e/resource').query({ uri: 'demo://none' }),
      404,
      ProblemSchema,
    );

    const aborter = new AbortController();
    const watch = await fetch(`${base}/api/servers/e/resource/events?uri=${encodeURIComponent(uri)}`, { signal: aborter.signal });
    check('GET /api/servers/{server}/resource/events', fetched(watch), 200);
    aborter.abort();
    const refused = await request(base).get('/api/servers/r/resource/events').query({ uri: 'x://y' });
    check('GET /api/servers/{server}/resource/events', refused, 409, ProblemSchema);
  });

  it('prompts and completions, and their problems', async () => {
    const { app } = await kit.gateway({ e: { command: node, args: [EVERYTHING_BIN, 'stdio'] } });
    check('GET /api/servers/{server}/prompts', await request(app).get('/api/servers/e/prompts'), 200, PromptListSchema);
    const path = '/api/servers/e/prompts/args-prompt';
    check(
      'POST /api/servers/{server}/prompts/{name}',
      await request(app)
        .post(path)
        .send({ arguments: { city: 'Oslo' } }),
      200,
      PromptResultSchema,
    );
    check('POST /api/servers/{server}/prompts/{name}', await request(app).post(path).send({}), 422, ProblemSchema);
    check('POST /api/servers/{server}/prompts/{name}', await request(app).post('/api/servers/e/prompts/nope').send({}), 404, ProblemSchema);
    const body = { ref: { type: 'ref/prompt', name: 'completable-prompt' }, argument: { name: 'department', value: '' } };
    check('POST /api/servers/{server}/complete', await request(app).post('/api/servers/e/complete').send(body), 200, CompletionSchema);
    check('POST /api/servers/{server}/complete', await request(app).post('/api/servers/e/complete').send({}), 422, ProblemSchema);
  });
});

describe('the answers about a server behind OAuth', () => {
  let upstream: HttpServer;
  let started: TestGateway;

  beforeAll(async () => {
    upstream = await startHttpFixture(['oauth-server.mjs'], '/mcp');
    started = await startTestGateway({
      gateway: FAST,
      mcpServers: {
        remote: { url: upstream.url, auth: 'oauth' },
        people: { url: upstream.url, auth: 'oauth', perUserAuth: true },
        local: { command: process.execPath, args: [DEMO_SERVER_SCRIPT] },
      },
    });
    await waitForServer(started.supervisor, 'remote', 'needs-sign-in');
  });

  afterAll(async () => {
    await started?.close();
    await upstream?.stop();
  });

  it('connect answers the authorization URL, disconnect the server; a stdio server has no OAuth', async () => {
    const api = () => request(started.app);
    const connect = check(
      'POST /api/servers/{name}/oauth/connect',
      await api().post('/api/servers/remote/oauth/connect'),
      200,
      OAuthConnectSchema,
    );
    expect(new URL(connect.authorizationUrl!).searchParams.get('code_challenge_method')).toBe('S256');
    check('POST /api/servers/{name}/oauth/connect', await api().post('/api/servers/local/oauth/connect'), 409, ProblemSchema);
    check('POST /api/servers/{name}/oauth/connect', await api().post('/api/servers/nope/oauth/connect'), 404, ProblemSchema);
    const server = check('GET /api/servers/{name}', await api().get('/api/servers/remote'), 200, ServerDetailSchema);
    expect(server).toMatchObject({ state: 'needs-sign-in', oauth: { connected: false, expiresAt: null, scopes: [] } });
    const call = check(
      'POST /api/tools/{server}/{tool}',
      await api().post('/api/tools/remote/echo').send({ text: 'x' }),
      503,
      ProblemSchema,
    );
    expect(call).toMatchObject({ type: 'needs-sign-in', server: 'remote' });
    const gone = check('DELETE /api/servers/{name}/oauth', await api().delete('/api/servers/remote/oauth'), 200, OAuthDisconnectSchema);
    expect(gone.revokeError).toBeNull();
    check('DELETE /api/servers/{name}/oauth', await api().delete('/api/servers/local/oauth'), 409, ProblemSchema);
  });

  it("a perUserAuth server: a user's connect link, a user's disconnect, and connect-first for a call", async () => {
    const api = () => request(started.app);
    const link = check(
      'POST /api/servers/{name}/oauth/connect',
      await api().post('/api/servers/people/oauth/connect').send({ user: 'alice' }),
      200,
      OAuthConnectSchema,
    );
    expect(link).toMatchObject({ authorizationUrl: null, connectUrl: expect.stringContaining('/ui/oauth/connect/') });
    check('POST /api/servers/{name}/oauth/connect', await api().post('/api/servers/people/oauth/connect'), 422, ProblemSchema);
    check(
      'POST /api/servers/{name}/oauth/connect',
      await api().post('/api/servers/remote/oauth/connect').send({ user: 'a' }),
      409,
      ProblemSchema,
    );
    check(
      'POST /api/servers/{name}/oauth/connect',
      await api().post('/api/servers/people/oauth/connect').send({ user: 1 }),
      422,
      ProblemSchema,
    );
    const call = check(
      'POST /api/tools/{server}/{tool}',
      await api().post('/api/tools/people/echo').send({ text: 'x' }),
      403,
      ProblemSchema,
    );
    expect(call).toMatchObject({ type: 'connect-first', server: 'people' });
    const gone = check(
      'DELETE /api/servers/{name}/oauth/users/{user}',
      await api().delete('/api/servers/people/oauth/users/alice'),
      200,
      OAuthDisconnectSchema,
    );
    expect(gone.server.oauth).toMatchObject({ connected: false, users: [] });
    check('DELETE /api/servers/{name}/oauth/users/{user}', await api().delete('/api/servers/remote/oauth/users/alice'), 409, ProblemSchema);
    check('DELETE /api/servers/{name}/oauth/users/{user}', await api().delete('/api/servers/nope/oauth/users/alice'), 404, ProblemSchema);
  });
});

// Runs last: the tests above record each operation they got a 2xx answer from.
describe('the answers of running gateways, all together', () => {
  it('answered every operation of the document with a success', () => {
    expect([...answered].sort()).toEqual(
      operations(doc)
        .map(([name]) => name)
        .sort(),
    );
  });
});
