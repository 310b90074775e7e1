// The tool documents Open WebUI reads: per-server and aggregated OpenAPI 3.1 documents over real
// MCP servers (server-everything, server-filesystem, server-memory) and a fixture server that
// offers hand-written hard schemas; lint, validation, schema fidelity, live updates, CORS, the
// spec's visibility, and an end-to-end run the way Open WebUI uses a tool server.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callKit, expectProblem, node } from './helpers/calls.js';
import { EVERYTHING_BIN, FAST, fixture, startTestGateway, tempDir, waitForServer, type TestGateway } from './helpers/gateway.js';
import { lintErrors, refsIn, validateDocument } from './helpers/openapi.js';

type Doc = {
  info: Record<string, unknown>;
  servers: { url: string }[];
  paths: Record<string, { post: Operation }>;
  components: { schemas: Record<string, unknown> };
};
type Operation = {
  operationId: string;
  summary: string;
  description?: string;
  requestBody?: { required: boolean; content: { 'application/json': { schema: Schema } } };
  responses: Record<string, { content: Record<string, { schema: Schema }> }>;
};
type Schema = Record<string, any>;

const FILESYSTEM_BIN = path.resolve('node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
const MEMORY_BIN = path.resolve('node_modules/@modelcontextprotocol/server-memory/dist/index.js');
const LONG_NAME_A = `${'very_long_tool_name_'.repeat(4)}alpha_${'x'.repeat(30)}`;
const LONG_NAME_B = `${'very_long_tool_name_'.repeat(4)}alpha_${'y'.repeat(30)}`;
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Every keyword at once: carried into the documents as written, but for the types stated for Open WebUI (see SHAPED). */
const CHOOSE_PROPERTIES = {
  color: { type: 'string', enum: ['red', 'green', 'blue'], default: 'red', description: 'A colour.' },
  version: { const: 2 },
  note: { type: ['string', 'null'], maxLength: 140 },
  owner: { anyOf: [{ type: 'string', format: 'email' }, { type: 'null' }] },
  when: { type: 'string', format: 'date-time' },
  site: { type: 'string', format: 'uri', minLength: 8 },
  code: { type: 'string', pattern: '^[A-Z]{3}$', examples: ['ABC'] },
  tags: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } },
  count: { type: 'integer', minimum: 1, maximum: 10, multipleOf: 1 },
  notZero: { type: 'number', not: { const: 0 } },
  both: { allOf: [{ type: 'string' }, { minLength: 2 }] },
  rows: {
    type: 'array',
    items: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
    minItems: 1,
    maxItems: 5,
    uniqueItems: true,
  },
  level: { enum: [1, 2, 3] },
};

/**
 * How the documents write the CHOOSE_PROPERTIES that Open WebUI's converter would misread (it adds
 * `type: "string"` to a node without type, anyOf or properties, and turns anyOf [T, null] into T).
 */
const SHAPED = {
  version: { type: 'integer', const: 2 },
  owner: { type: ['string', 'null'], format: 'email' },
  both: { type: 'string', allOf: [{ type: 'string' }, { minLength: 2 }] },
  level: { type: 'integer', enum: [1, 2, 3] },
  notZero: { type: 'number', not: { type: 'integer', const: 0 } },
};

const node_ = (name: string) => ({ $ref: `#/$defs/${name}` });

/** Hard cases; `shared` means something else on each of the two servers under the same $defs name. */
function hardTools(variant: 'a' | 'b') {
  const tools: object[] = [
    {
      name: 'shared',
      description: `Shared $defs name, variant ${variant}.`,
      inputSchema: {
        type: 'object',
        properties: { item: node_('Item') },
        required: ['item'],
        $defs: { Item: variant === 'a' ? { type: 'string', enum: ['a', 'b'] } : { type: 'integer', minimum: 5 } },
      },
    },
  ];
  if (variant === 'b') {
    // Sloppy but real: enum values of another type, `items` on an object. Linters call both errors.
    const sloppy = { level: { type: 'integer', enum: [1, 'two'] }, list: { type: 'object', items: { type: 'string' } } };
    return [...tools, { name: 'sloppy', description: 'Values that can never match.', inputSchema: { type: 'object', properties: sloppy } }];
  }
  return [
    ...tools,
    {
      name: 'tree',
      title: 'Tree walker',
      description: 'Takes a recursive tree.',
      inputSchema: {
        type: 'object',
        properties: { root: node_('Node') },
        required: ['root'],
        $defs: {
          Node: {
            type: 'object',
            properties: { name: { type: 'string' }, children: { type: 'array', items: node_('Node') } },
            required: ['name'],
          },
        },
      },
    },
    {
      name: 'mutual',
      description: 'A refers to B, B to A.',
      inputSchema: {
        type: 'object',
        properties: { a: node_('A') },
        definitions: {},
        $defs: { A: { type: 'object', properties: { b: node_('B') } }, B: { type: 'object', properties: { a: node_('A') } } },
      },
    },
    {
      name: 'shape',
      description: 'oneOf of objects.',
      inputSchema: {
        type: 'object',
        properties: {
          shape: {
            oneOf: [
              {
                type: 'object',
                properties: { kind: { const: 'circle' }, r: { type: 'number', exclusiveMinimum: 0 } },
                required: ['kind', 'r'],
              },
              {
                type: 'object',
                properties: { kind: { const: 'square' }, side: { type: 'number', minimum: 0, maximum: 100 } },
                required: ['kind', 'side'],
              },
            ],
          },
        },
        required: ['shape'],
      },
    },
    {
      name: 'choose',
      description: 'Every keyword at once.',
      inputSchema: {
        type: 'object',
        properties: CHOOSE_PROPERTIES,
        required: ['color', 'count'],
      },
    },
    {
      name: 'wide',
      description: 'Two hundred properties.',
      inputSchema: { type: 'object', properties: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`p${i}`, { type: 'string' }])) },
    },
    { name: 'no_args', description: 'Takes nothing.', inputSchema: { type: 'object' } },
    { name: 'no_args_empty', description: 'Takes nothing either.', inputSchema: { type: 'object', properties: {} } },
    {
      name: 'with_output',
      description: 'Declares its output.',
      inputSchema: { type: 'object', properties: { x: { type: 'integer' } }, required: ['x'] },
      outputSchema: {
        type: 'object',
        properties: { tool: { type: 'string' }, arguments: { type: 'object' } },
        required: ['tool', 'arguments'],
      },
    },
    { name: 'créer_fichier', description: 'A non-ASCII name.', inputSchema: { type: 'object', properties: { nom: { type: 'string' } } } },
    { name: LONG_NAME_A, description: 'A long name.', inputSchema: { type: 'object' } },
    { name: LONG_NAME_B, description: 'Another long name with the same start.', inputSchema: { type: 'object' } },
  ];
}

function schemaServer(dir: string, variant: 'a' | 'b', env: Record<string, string> = {}) {
  const file = path.join(dir, `tools-${variant}.json`);
  fs.writeFileSync(file, JSON.stringify(hardTools(variant)));
  return { command: node, args: [fixture('schema-server.mjs')], env: { FIXTURE_TOOLS_FILE: file, ...env } };
}

const bodySchema = (op: Operation) => op.requestBody?.content['application/json'].schema;

describe('tool documents over real servers', () => {
  let gw: TestGateway;
  let dir: string;
  const names = ['everything', 'filesystem', 'memory', 'hard_a', 'hard_b'];

  beforeAll(async () => {
    dir = tempDir();
    fs.mkdirSync(path.join(dir, 'files'));
    gw = await startTestGateway({
      approval: { default: 'allow' },
      gateway: FAST,
      mcpServers: {
        everything: { command: node, args: [EVERYTHING_BIN] },
        filesystem: { command: node, args: [FILESYSTEM_BIN, path.join(dir, 'files')] },
        memory: { command: node, args: [MEMORY_BIN], env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') } },
        hard_a: schemaServer(dir, 'a', { FIXTURE_TITLE: 'Hard cases', FIXTURE_INSTRUCTIONS: 'Use these tools with care.' }),
        hard_b: schemaServer(dir, 'b'),
      },
    });
    for (const name of names) await waitForServer(gw.supervisor, name, 'ready');
  }, 60_000);
  afterAll(() => gw?.close());

  const get = async (url: string): Promise<Doc> => (await request(gw.app).get(url).expect(200).expect('content-type', /json/)).body as Doc;

  it('every document validates, lints clean, and has no $ref but the problem responses', async () => {
    for (const url of ['/openapi.json', ...names.map((name) => `/${name}/openapi.json`)]) {
      const doc = await get(url);
      await expect(validateDocument(doc), url).resolves.toBeUndefined();
      expect(await lintErrors(doc), url).toEqual([]);
      expect(new Set(refsIn(doc)), url).toEqual(new Set(['#/components/schemas/Problem']));
      const text = JSON.stringify(doc.paths);
      expect(text, url).not.toMatch(/"\$defs"|"definitions"/);
    }
  });

  it('lists every tool once, only tool operations, with unique safe operationIds', async () => {
    const all = await get('/openapi.json');
    let total = 0;
    for (const name of names) {
      const tools = gw.supervisor.get(name)!.tools();
      const doc = await get(`/${name}/openapi.json`);
      expect(Object.keys(doc.paths).sort()).toEqual(tools.map((t) => `/${encodeURIComponent(t.name)}`).sort());
      const ids = Object.values(doc.paths).map((p) => p.post.operationId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(SAFE_ID);
      for (const tool of tools) expect(all.paths[`/${name}/${encodeURIComponent(tool.name)}`], `${name}/${tool.name}`).toBeDefined();
      total += tools.length;
    }
    expect(Object.keys(all.paths)).toHaveLength(total);
    const ids = Object.values(all.paths).map((p) => p.post.operationId);
    expect(new Set(ids).size).toBe(total);
    for (const id of ids) expect(id).toMatch(SAFE_ID);
    expect(all.paths['/hard_a/tree']!.post.operationId).toBe('hard_a_tree');
    expect(Object.keys(all.paths).some((p) => p.startsWith('/api/'))).toBe(false);
    expect(all.paths['/hard_a/tree']!.post.summary).toBe('Tree walker');
    expect(all.paths['/hard_a/tree']!.post.description).toBe('Takes a recursive tree.');
  });

  it('names the document after the server and its instructions', async () => {
    const doc = await get('/hard_a/openapi.json');
    expect(doc.info).toMatchObject({ title: 'Hard cases', version: '2.3.4', description: 'Use these tools with care.' });
    expect(doc.servers[0]!.url).toBe('/hard_a');
  });

  it('carries every keyword of the hard cases', async () => {
    const doc = await get('/hard_a/openapi.json');
    const choose = bodySchema(doc.paths['/choose']!.post)!;
    expect(choose.properties).toEqual({ ...CHOOSE_PROPERTIES, ...SHAPED });
    // `color` has a default: the gateway fills it in, so the model need not send it.
    expect(choose.required).toEqual(['count']);

    const shape = bodySchema(doc.paths['/shape']!.post)!;
    expect(shape.properties.shape.type).toBe('object');
    expect(shape.properties.shape.oneOf).toHaveLength(2);
    expect(shape.properties.shape.oneOf[0]).toMatchObject({
      properties: { kind: { const: 'circle' }, r: { exclusiveMinimum: 0 } },
      required: ['kind', 'r'],
    });

    expect(Object.keys(bodySchema(doc.paths['/wide']!.post)!.properties)).toHaveLength(200);
  });

  it('inlines $defs per server, so the same name keeps each server its own meaning', async () => {
    const a = bodySchema((await get('/hard_a/openapi.json')).paths['/shared']!.post)!;
    const b = bodySchema((await get('/hard_b/openapi.json')).paths['/shared']!.post)!;
    expect(a.properties.item).toEqual({ type: 'string', enum: ['a', 'b'] });
    expect(b.properties.item).toEqual({ type: 'integer', minimum: 5 });
    const all = await get('/openapi.json');
    expect(bodySchema(all.paths['/hard_a/shared']!.post)!.properties.item).toEqual(a.properties.item);
    expect(bodySchema(all.paths['/hard_b/shared']!.post)!.properties.item).toEqual(b.properties.item);
  });

  it('cuts recursion at the configured depth with a permissive schema that says so', async () => {
    const doc = await get('/hard_a/openapi.json');
    // Node → children.items → Node …: three levels, then the cut.
    let level = bodySchema(doc.paths['/tree']!.post)!.properties.root;
    for (let depth = 1; depth <= 3; depth++) {
      expect(level.properties.name, `level ${depth}`).toEqual({ type: 'string' });
      level = level.properties.children.items;
    }
    expect(level.properties).toBeUndefined();
    expect(level.description).toMatch(/Node/);
    expect(level.type).toBe('object');
    const mutual = JSON.stringify(bodySchema(doc.paths['/mutual']!.post));
    expect(mutual).not.toContain('$ref');
    expect(mutual).toMatch(/#\/\$defs\/A|#\/\$defs\/B/);

    gw.gateway.config.gateway.openapi.maxRefDepth = 1;
    try {
      const shallow = await get('/hard_a/openapi.json');
      const root = bodySchema(shallow.paths['/tree']!.post)!.properties.root;
      expect(root.properties.name).toEqual({ type: 'string' });
      expect(root.properties.children.items.properties).toBeUndefined();
    } finally {
      gw.gateway.config.gateway.openapi.maxRefDepth = 3;
    }
  });

  it('gives tools without arguments no request body, and calls them with an empty body or {}', async () => {
    const doc = await get('/hard_a/openapi.json');
    expect(doc.paths['/no_args']!.post.requestBody).toBeUndefined();
    expect(doc.paths['/no_args_empty']!.post.requestBody).toBeUndefined();
    expect(doc.paths['/choose']!.post.requestBody).toMatchObject({ required: true });
    expect(doc.paths['/no_args']!.post.responses['413']).toBeUndefined();
    const empty = await request(gw.app).post('/hard_a/no_args').expect(200);
    expect(empty.body).toEqual({ tool: 'no_args', arguments: {} });
    await request(gw.app).post('/hard_a/no_args').send({}).expect(200);
  });

  it('describes the 200 answer by the outputSchema, else as the unwrapped result, and errors by one problem schema', async () => {
    const doc = await get('/hard_a/openapi.json');
    const withOutput = doc.paths['/with_output']!.post.responses['200']!.content['application/json']!.schema;
    expect(withOutput).toMatchObject({ type: 'object', required: ['tool', 'arguments'] });
    const plain = doc.paths['/choose']!.post.responses['200']!.content['application/json']!.schema;
    expect(plain.description).toMatch(/unwrapped/);
    for (const status of ['404', '413', '422', '502', '503', '504']) {
      expect(doc.paths['/choose']!.post.responses[status]!.content['application/problem+json']!.schema, status).toEqual({
        $ref: '#/components/schemas/Problem',
      });
    }
    expect(doc.components.schemas.Problem).toMatchObject({ type: 'object', required: expect.arrayContaining(['type', 'title', 'status']) });
  });

  it('gives long and non-ASCII names safe, distinct operationIds and working paths', async () => {
    const doc = await get('/hard_a/openapi.json');
    const a = doc.paths[`/${LONG_NAME_A}`]!.post.operationId;
    const b = doc.paths[`/${LONG_NAME_B}`]!.post.operationId;
    expect(a).toMatch(SAFE_ID);
    expect(b).toMatch(SAFE_ID);
    expect(a).not.toBe(b);
    const accented = Object.keys(doc.paths).find((p) => p.startsWith('/cr'))!;
    expect(accented).toBe(`/${encodeURIComponent('créer_fichier')}`);
    expect(doc.paths[accented]!.post.operationId).toMatch(SAFE_ID);
    const res = await request(gw.app).post(`/hard_a${accented}`).send({ nom: 'x' }).expect(200);
    expect(res.body).toEqual({ tool: 'créer_fichier', arguments: { nom: 'x' } });
  });

  it('answers 404 for an unknown server', async () => {
    expectProblem(await request(gw.app).get('/nope/openapi.json'), 404, 'server-not-found');
    expectProblem(await request(gw.app).get('/api/openwebui/tools.py?server=nope'), 404, 'server-not-found');
  });

  it('writes Open WebUI tool code that compiles and calls this gateway', async () => {
    for (const url of ['/api/openwebui/tools.py?server=everything', '/api/openwebui/tools.py']) {
      const res = await request(gw.app)
        .get(url)
        .expect(200)
        .expect('content-type', /text\/plain/);
      const file = path.join(dir, 'tools.py');
      fs.writeFileSync(file, res.text);
      execFileSync('python3', ['-m', 'py_compile', file]);
      // Open WebUI reads the header as written: no escapes in it (the server's name is quoted there).
      const header = res.text.slice(0, res.text.indexOf('\nimport '));
      expect(header, url).not.toContain('\\');
      if (url.includes('?server=')) expect(header).toContain('description: Tools of the server "everything" of mcp-gateway.');
      expect(res.text, url).toMatch(/async def everything_echo\(self, message: str\b/);
      expect(res.text, url).toContain(`"http://127.0.0.1`);
      if (url.endsWith('tools.py')) expect(res.text).toMatch(/async def hard_a_shared\(self, item: Literal\["a", "b"\]/);
    }
  });
});

describe('documents follow the live tool list', () => {
  const kit = callKit();

  it('adds and removes tools on list_changed, and drops a disabled server', async () => {
    const { app, supervisor } = await kit.gateway({
      fx: { command: node, args: [fixture('fixture-server.mjs')] },
      other: { command: node, args: [fixture('fixture-server.mjs')] },
    });
    const paths = async (url: string) => Object.keys(((await request(app).get(url).expect(200)).body as Doc).paths);
    expect(await paths('/fx/openapi.json')).not.toContain('/fresh');
    await request(app).post('/fx/add_tool').send({ name: 'fresh' }).expect(200);
    await waitForServer(supervisor, 'fx', () => Boolean(supervisor.get('fx')!.tool('fresh')));
    expect(await paths('/fx/openapi.json')).toContain('/fresh');
    expect(await paths('/openapi.json')).toContain('/fx/fresh');
    await request(app).post('/fx/remove_tool').send({ name: 'fresh' }).expect(200);
    await waitForServer(supervisor, 'fx', () => !supervisor.get('fx')!.tool('fresh'));
    expect(await paths('/fx/openapi.json')).not.toContain('/fresh');

    await request(app).patch('/api/servers/other').send({ enabled: false }).expect(200);
    const all = await paths('/openapi.json');
    expect(all.some((p) => p.startsWith('/other/'))).toBe(false);
    expect(all).toContain('/fx/echo');
    expect(await paths('/other/openapi.json')).toEqual([]);
  });
});

/** What Open WebUI does with an operation's JSON body schema: `$ref` resolved only in properties and items. */
function openWebUiParameters(schema: Schema | undefined): { properties: Record<string, Schema>; required: string[] } {
  return { properties: schema?.properties ?? {}, required: schema?.required ?? [] };
}

/** Arguments that satisfy a schema, built from the schema alone as a model would. */
function sample(schema: Schema): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.examples)) return schema.examples[0];
  if (schema.oneOf) return sample(schema.oneOf[0]);
  if (schema.anyOf) return sample(schema.anyOf[0]);
  if (schema.allOf) return sample(Object.assign({}, ...schema.allOf));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      if (schema.format === 'date-time') return '2026-11-21T10:00:00Z';
      if (schema.format === 'email') return 'a@example.com';
      if (schema.format === 'uri') return 'https://example.com/';
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 1, (schema.exclusiveMinimum ?? 0) + 1);
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: schema.minItems ?? 1 }, () => sample(schema.items ?? {}));
    default: {
      const out: Record<string, unknown> = {};
      for (const key of schema.required ?? []) out[key] = sample(schema.properties?.[key] ?? {});
      return out;
    }
  }
}

describe('Open WebUI end to end', () => {
  const kit = callKit();

  it('fetches /openapi.json with the key, turns operations into functions, and calls tools with arguments built from them', async () => {
    const dir = tempDir();
    const { app } = await kit.gateway(
      { everything: { command: node, args: [EVERYTHING_BIN] }, hard: schemaServer(dir, 'a') },
      {},
      { apiKey: 'owui-key' },
    );
    const base = await kit.listen(app);
    const auth = { Authorization: 'Bearer owui-key' };

    expect((await fetch(`${base}/openapi.json`)).status).toBe(401);
    const spec = (await (await fetch(`${base}/openapi.json`, { headers: auth, signal: AbortSignal.timeout(10_000) })).json()) as Doc;
    const functions = Object.entries(spec.paths).map(([route, item]) => ({
      name: item.post.operationId,
      description: item.post.description ?? item.post.summary,
      parameters: openWebUiParameters(bodySchema(item.post)),
      route,
    }));
    expect(functions.map((f) => f.name)).toEqual(
      expect.arrayContaining(['everything_echo', 'everything_get-sum', 'hard_choose', 'hard_tree']),
    );

    const call = async (name: string, args: Record<string, unknown>) => {
      const fn = functions.find((f) => f.name === name)!;
      for (const key of fn.parameters.required) expect(args, `${name} needs ${key}`).toHaveProperty(key);
      const res = await fetch(`${base}${fn.route}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(args),
      });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    expect(await call('everything_echo', { message: 'from the model' })).toEqual({ status: 200, body: 'Echo: from the model' });
    expect(await call('everything_get-sum', { a: 2, b: 40 })).toMatchObject({ status: 200 });

    for (const fn of functions.filter((f) => f.route.startsWith('/hard/'))) {
      const args = sample({ type: 'object', ...fn.parameters }) as Record<string, unknown>;
      const { status, body } = await call(fn.name, args);
      expect(status, fn.name).toBe(200);
      // The default of a required property the model left out is filled in.
      const sent = fn.name === 'hard_choose' ? { color: 'red', ...args } : args;
      expect((body as { arguments: unknown }).arguments, fn.name).toEqual(sent);
    }
  });
});

describe('CORS and the visibility of the documents', () => {
  const kit = callKit();
  const chat = 'https://chat.example.com';

  it('answers preflights for configured origins only, and marks their answers', async () => {
    const { app } = await kit.gateway(
      { fx: { command: node, args: [fixture('fixture-server.mjs')] } },
      { cors: { origins: [chat] } },
      { apiKey: 'k' },
    );
    const preflight = await request(app)
      .options('/fx/echo')
      .set('Origin', chat)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, content-type')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(chat);
    expect(preflight.headers['access-control-allow-methods']).toMatch(/POST/);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/authorization/);
    expect(preflight.headers['access-control-allow-headers']).toMatch(/content-type/);

    const call = await request(app)
      .post('/fx/echo')
      .set('Origin', chat)
      .set('Authorization', 'Bearer k')
      .send({ message: 'hi' })
      .expect(200);
    expect(call.headers['access-control-allow-origin']).toBe(chat);
    expect(call.body).toBe('hi');
    const spec = await request(app).get('/openapi.json').set('Origin', chat).set('Authorization', 'Bearer k').expect(200);
    expect(spec.headers['access-control-allow-origin']).toBe(chat);

    const other = await request(app).options('/fx/echo').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expectProblem(other, 403, 'origin-not-allowed');
    const otherCall = await request(app)
      .post('/fx/echo')
      .set('Origin', 'https://evil.example')
      .set('Authorization', 'Bearer k')
      .send({ message: 'hi' });
    expectProblem(otherCall, 403, 'origin-not-allowed');
  });

  it('needs the key for documents unless gateway.publicSpecs is on; calls always need it', async () => {
    const closed = await kit.gateway({ fx: { command: node, args: [fixture('fixture-server.mjs')] } }, {}, { apiKey: 'k' });
    for (const url of ['/openapi.json', '/fx/openapi.json', '/api/openapi.json', '/docs', '/fx/docs']) {
      expectProblem(await request(closed.app).get(url), 401, 'unauthorized');
    }
    const open = await kit.gateway(
      { fx: { command: node, args: [fixture('fixture-server.mjs')] } },
      { publicSpecs: true },
      { apiKey: 'k' },
    );
    for (const url of ['/openapi.json', '/fx/openapi.json', '/api/openapi.json', '/docs', '/fx/docs', '/api/docs']) {
      await request(open.app).get(url).expect(200);
    }
    expectProblem(await request(open.app).post('/fx/echo').send({ message: 'hi' }), 401, 'unauthorized');
    expectProblem(await request(open.app).get('/api/servers'), 401, 'unauthorized');
    const doc = (await request(open.app).get('/fx/openapi.json').expect(200)).body as Doc & {
      security: unknown;
      components: { securitySchemes?: unknown };
    };
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes).toMatchObject({ bearer: { type: 'http', scheme: 'bearer' } });
  });

  // `POST /{server}/docs` is the mcpo route of a tool named `docs`, not the docs page.
  it('with gateway.publicSpecs on, a tool named like a document still needs the key', async () => {
    const file = path.join(tempDir(), 'tools.json');
    const names = ['docs', 'openapi.json'];
    fs.writeFileSync(file, JSON.stringify(names.map((name) => ({ name, inputSchema: { type: 'object', properties: {} } }))));
    const { app } = await kit.gateway(
      { fx: { command: node, args: [fixture('schema-server.mjs')], env: { FIXTURE_TOOLS_FILE: file } } },
      { publicSpecs: true },
      { apiKey: 'k' },
    );
    for (const name of names) {
      for (const url of [`/fx/${name}`, `/fx/${name}/`, `/api/tools/fx/${name}`]) {
        expectProblem(await request(app).post(url).send({}), 401, 'unauthorized');
        expectProblem(await request(app).post(url).set('Authorization', 'Bearer wrong').send({}), 403, 'invalid-credentials');
      }
      const run = await request(app).post(`/fx/${name}`).set('Authorization', 'Bearer k').send({}).expect(200);
      expect(run.body).toEqual({ tool: name, arguments: {} });
    }
    // Only reading is public: the documents, and the static files.
    await request(app).get('/fx/docs').expect(200);
    await request(app).head('/fx/openapi.json').expect(200);
    await request(app).get('/static/docs.js').expect(200);
    expectProblem(await request(app).post('/static/docs.js').send({}), 401, 'unauthorized');
    expectProblem(await request(app).put('/docs').send({}), 401, 'unauthorized');
    const activity = (await request(app).get('/api/activity').set('Authorization', 'Bearer k').expect(200)).body.items as {
      caller: string;
    }[];
    expect(activity.map((entry) => entry.caller)).toEqual(['api-key', 'api-key']);
  });
});

describe('docs pages', () => {
  const kit = callKit();

  it('serve Swagger UI from the gateway under a strict CSP, with no inline script', async () => {
    const { app } = await kit.gateway({ fx: { command: node, args: [fixture('fixture-server.mjs')] } });
    for (const [url, up] of [
      ['/docs', './'],
      ['/fx/docs', '../'],
      ['/api/docs', '../'],
    ] as const) {
      const page = await request(app).get(url).expect(200).expect('content-type', /html/);
      expect(page.headers['content-security-policy']).toMatch(/script-src 'self'; style-src 'self';/);
      expect(page.text).not.toMatch(/<script>|<script [^>]*>[^<]/);
      expect(page.text).toContain(`src="${up}static/swagger-ui/swagger-ui-bundle.js"`);
      expect(page.text).toContain('data-spec="openapi.json"');
    }
    const bundle = await request(app).get('/static/swagger-ui/swagger-ui-bundle.js').expect(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
    await request(app).get('/static/swagger-ui/swagger-ui.css').expect(200).expect('content-type', /css/);
    const init = await request(app).get('/static/docs.js').expect(200);
    expect(init.text).toContain('SwaggerUIBundle');
    await request(app).get('/static/swagger-ui/index.html').expect(404);
  });
});
