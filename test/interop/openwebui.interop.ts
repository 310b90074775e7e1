// Interop with Open WebUI's own code (`npm run test:interop`, not part of `npm test`): its backend's
// OpenAPI → tool conversion (backend/open_webui/utils/tools.py, run by openwebui_convert.py) over
// the gateway's tool documents, for real MCP servers and a fixture server with the schema shapes
// its converter misreads: the types the documents state must reach the model unchanged. And its
// backend's tool call (openwebui_call.py: `build_tool_server_headers`, `include_user_info_headers`,
// `execute_tool_server`) with ENABLE_FORWARD_USER_INFO_HEADERS on: the user and the chat reach the
// activity log through a key that trusts them, and nowhere else.
//
// Needs python3 and a copy of Open WebUI's repository: OPEN_WEBUI_DIR is a clone or a bare git
// directory, OPEN_WEBUI_REF the commit to read (default f9590b8, the v0.11.0 code this was measured with).
// The tool call runs in a virtual environment in a temporary folder with aiohttp from pip (its
// configured index or wheelhouse).
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { callKit, node } from '../helpers/calls.js';
import { EVERYTHING_BIN, fixture, tempDir } from '../helpers/gateway.js';
import { pythonWith } from './fetched-tools.js';

type Schema = Record<string, any>;
interface Spec {
  name: string;
  description: string;
  parameters: Schema;
}

const FILESYSTEM_BIN = path.resolve('node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
const MEMORY_BIN = path.resolve('node_modules/@modelcontextprotocol/server-memory/dist/index.js');
const TOOLS_PY = 'backend/open_webui/utils/tools.py';

/** Schema shapes Open WebUI's converter reads wrongly unless the documents state their types. */
const SHAPES_TOOL = {
  name: 'shapes',
  description: 'Every shape at once.',
  inputSchema: {
    type: 'object',
    properties: {
      shape: {
        oneOf: [
          { type: 'object', properties: { kind: { const: 'circle' }, r: { type: 'number' } }, required: ['kind', 'r'] },
          { type: 'object', properties: { kind: { const: 'square' }, side: { type: 'number' } }, required: ['kind', 'side'] },
        ],
      },
      both: { allOf: [{ type: 'string' }, { minLength: 2 }] },
      version: { const: 2 },
      level: { enum: [1, 2, 3] },
      owner: { anyOf: [{ type: 'string', format: 'email' }, { type: 'null' }], default: null },
      legacy: { type: 'integer', nullable: true },
      several: { anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'null' }] },
      list: { type: 'array', items: { anyOf: [{ type: 'object', properties: { id: { const: 'x' } } }, { type: 'null' }] } },
      scale: { type: 'string', enum: ['css', 'device'], default: 'css' },
    },
    required: ['shape', 'scale'],
  },
};

/** A file of Open WebUI's backend at OPEN_WEBUI_REF. */
function openWebUiSource(file = TOOLS_PY): string {
  const dir = process.env.OPEN_WEBUI_DIR;
  if (!dir) {
    throw new Error('Set OPEN_WEBUI_DIR to a clone (or bare git directory) of Open WebUI: see "Development" in README.md');
  }
  const ref = process.env.OPEN_WEBUI_REF || 'f9590b8';
  return execFileSync('git', ['-C', dir, 'show', `${ref}:${file}`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
}

/** Open WebUI's tool specs for each document. */
function convert(dir: string, documents: Record<string, unknown>): Record<string, Spec[]> {
  const source = path.join(dir, 'tools.py');
  const input = path.join(dir, 'documents.json');
  fs.writeFileSync(source, openWebUiSource());
  fs.writeFileSync(input, JSON.stringify(documents));
  const script = path.resolve(import.meta.dirname, 'openwebui_convert.py');
  return JSON.parse(execFileSync('python3', [script, source, input], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as Record<
    string,
    Spec[]
  >;
}

interface Difference {
  at: string;
  document: unknown;
  openWebUi: unknown;
}

/**
 * Walks a document's schema and Open WebUI's version of it where Open WebUI's cleaning walks
 * (`properties` and `items`): every stated type must be the same on both sides; a node without
 * one is listed in `guessed` when Open WebUI gave it a type.
 */
function compare(document: Schema, openWebUi: Schema, at: string, differences: Difference[], guessed: Difference[]): void {
  if ('type' in document) {
    if (JSON.stringify(openWebUi.type) !== JSON.stringify(document.type))
      differences.push({ at, document: document.type, openWebUi: openWebUi.type });
  } else if ('type' in openWebUi) {
    guessed.push({ at, document: Object.keys(document), openWebUi: openWebUi.type });
  }
  if (document.properties && openWebUi.properties) {
    for (const [key, value] of Object.entries(document.properties as Record<string, Schema>)) {
      compare(value, openWebUi.properties[key] ?? {}, `${at}.${key}`, differences, guessed);
    }
  }
  if (document.items && typeof document.items === 'object' && openWebUi.items)
    compare(document.items, openWebUi.items, `${at}[]`, differences, guessed);
}

describe("Open WebUI's backend converter over the tool documents", () => {
  const kit = callKit();
  let specs: Record<string, Spec[]> = {};
  const documents: Record<string, Schema> = {};

  beforeAll(async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'files'));
    const toolsFile = path.join(dir, 'shapes.json');
    fs.writeFileSync(toolsFile, JSON.stringify([SHAPES_TOOL]));
    const servers = {
      everything: { command: node, args: [EVERYTHING_BIN] },
      filesystem: { command: node, args: [FILESYSTEM_BIN, path.join(dir, 'files')] },
      memory: { command: node, args: [MEMORY_BIN], env: { MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') } },
      shapes: { command: node, args: [fixture('schema-server.mjs')], env: { FIXTURE_TOOLS_FILE: toolsFile } },
    };
    const { app } = await kit.gateway(servers);
    for (const url of ['/openapi.json', ...Object.keys(servers).map((name) => `/${name}/openapi.json`)]) {
      documents[url] = (await request(app).get(url).expect(200)).body as Schema;
    }
    specs = convert(dir, documents);
  }, 120_000);

  it('turns every operation into a tool', () => {
    for (const [url, document] of Object.entries(documents)) {
      expect(specs[url]!.map((spec) => spec.name).sort(), url).toEqual(
        Object.values(document.paths as Record<string, { post: { operationId: string } }>)
          .map((item) => item.post.operationId)
          .sort(),
      );
    }
  });

  it('keeps every type the documents state, and guesses one only where a schema allows any value', () => {
    for (const [url, document] of Object.entries(documents)) {
      const differences: Difference[] = [];
      const guessed: Difference[] = [];
      for (const [route, item] of Object.entries(document.paths as Record<string, { post: Schema }>)) {
        const body = item.post.requestBody?.content['application/json'].schema as Schema | undefined;
        const spec = specs[url]!.find((candidate) => candidate.name === item.post.operationId)!;
        for (const [key, value] of Object.entries((body?.properties ?? {}) as Record<string, Schema>)) {
          compare(value, spec.parameters.properties[key], `${route}.${key}`, differences, guessed);
        }
      }
      expect(differences, url).toEqual([]);
      // Open WebUI calls a schema without type a string (or the type of its one non-null anyOf branch): fine
      // for one that allows any value, which no type could describe to it; wrong for any other.
      const misread = guessed.filter((node) =>
        (node.document as string[]).some((key) => ['oneOf', 'anyOf', 'allOf', 'const', 'enum'].includes(key)),
      );
      expect(misread, url).toEqual([]);
    }
  });

  it('reads the shapes it used to misread with their types, nullability and optional defaults', () => {
    const shapes = specs['/shapes/openapi.json']!.find((spec) => spec.name === 'shapes')!.parameters;
    expect(shapes.properties.shape.type).toBe('object');
    expect(shapes.properties.both.type).toBe('string');
    expect(shapes.properties.version).toMatchObject({ type: 'integer', const: 2 });
    expect(shapes.properties.level).toMatchObject({ type: 'integer', enum: [1, 2, 3] });
    expect(shapes.properties.owner).toMatchObject({ type: ['string', 'null'], format: 'email' });
    expect(shapes.properties.legacy.type).toEqual(['integer', 'null']);
    expect(shapes.properties.several.type).toEqual(['string', 'integer', 'null']);
    expect(shapes.properties.list.items.type).toEqual(['object', 'null']);
    expect(shapes.properties.list.items.properties.id.type).toBe('string');
    expect(shapes.required.sort()).toEqual(['shape']);
  });
});

describe("Open WebUI's backend calling a tool with ENABLE_FORWARD_USER_INFO_HEADERS on", () => {
  const kit = callKit();
  const KEY = 'interop-owui-start-up-key-0123456789';
  /** An Open WebUI user with a name its backend percent-encodes. */
  const USER = { id: '3f1e9a52-7d0c-4c1b-9a8e-0b5f6c2d4e71', name: 'Zoë Ångström', email: 'zoe@example.com', role: 'user' };
  const METADATA = { chat_id: 'b7c2e0f4-chat', message_id: '5d9a1c3e-message' };
  let dir = '';
  let python = '';

  beforeAll(() => {
    dir = tempDir('mcp-gateway-owui-call-');
    for (const [name, file] of [
      ['tools.py', TOOLS_PY],
      ['headers.py', 'backend/open_webui/utils/headers.py'],
      ['env.py', 'backend/open_webui/env.py'],
    ] as const)
      fs.writeFileSync(path.join(dir, name), openWebUiSource(file));
    // Any aiohttp: the call is plain aiohttp client use (Open WebUI pins one; the wheelhouse may hold another).
    python = pythonWith(['aiohttp'], dir);
  }, 300_000);

  /**
   * One call of fx/echo as Open WebUI's backend makes it, with the connection's `key`; resolves with
   * what it got and sent. Asynchronous: the gateway answers from this process meanwhile.
   */
  async function callAsOpenWebUi(base: string, key: string, document: object, forward: boolean) {
    const script = path.resolve(import.meta.dirname, 'openwebui_call.py');
    const call = { url: `${base}/fx`, key, document, operationId: 'echo', params: { message: 'hello' }, user: USER, metadata: METADATA };
    const env: NodeJS.ProcessEnv = { ...process.env, ENABLE_FORWARD_USER_INFO_HEADERS: forward ? 'true' : 'false' };
    delete env.FORWARD_USER_INFO_HEADER_JWT_SECRET;
    const files = ['tools.py', 'headers.py', 'env.py'].map((name) => path.join(dir, name));
    const { stdout } = await promisify(execFile)(python, [script, ...files, JSON.stringify(call)], { encoding: 'utf8', env });
    return JSON.parse(stdout) as { result: unknown; sent: Record<string, string> };
  }

  it('carries the user and the chat into the activity log, from a key that trusts them only', async () => {
    const { app, gateway } = await kit.gateway(
      { fx: { command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: 'echo' } } },
      {},
      { apiKey: KEY },
    );
    const base = await kit.listen(app);
    const keyOf = async (label: string, trustForwardedUser: boolean) =>
      (await request(app).post('/api/keys').set('Authorization', `Bearer ${KEY}`).send({ label, trustForwardedUser }).expect(201)).body
        .token as string;
    const trusted = await keyOf('Open WebUI', true);
    const plain = await keyOf('Open WebUI (untrusted)', false);
    const document = (await request(app).get('/fx/openapi.json').set('Authorization', `Bearer ${trusted}`).expect(200)).body as object;
    const lastUser = () => gateway.activity.list({ limit: 1 }).items[0]!.user;

    const forwarded = await callAsOpenWebUi(base, trusted, document, true);
    expect(forwarded.result).toBe('hello');
    // What Open WebUI sends: the name percent-encoded, the rest as they are.
    expect(forwarded.sent).toMatchObject({
      'X-OpenWebUI-User-Name': 'Zo%C3%AB %C3%85ngstr%C3%B6m',
      'X-OpenWebUI-User-Id': USER.id,
      'X-OpenWebUI-Chat-Id': METADATA.chat_id,
    });
    expect(lastUser()).toEqual({ ...USER, chatId: METADATA.chat_id, messageId: METADATA.message_id });
    expect(gateway.activity.list({ limit: 5, user: 'ZOE@example.com' }).items).toHaveLength(1);

    // The same headers through a key that does not trust them: the call runs, nobody is recorded.
    expect((await callAsOpenWebUi(base, plain, document, true)).result).toBe('hello');
    expect(lastUser()).toBeNull();
    // Open WebUI without the setting sends no user.
    const quiet = await callAsOpenWebUi(base, trusted, document, false);
    expect(Object.keys(quiet.sent).filter((name) => name.startsWith('X-OpenWebUI'))).toEqual([]);
    expect(lastUser()).toBeNull();
  });
});
