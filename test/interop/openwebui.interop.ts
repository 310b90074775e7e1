// Interop with Open WebUI's own code (`npm run test:interop`, not part of `npm test`): its backend's
// OpenAPI → tool conversion (backend/open_webui/utils/tools.py, run by openwebui_convert.py) over
// the gateway's tool documents, for real MCP servers and a fixture server with the schema shapes
// its converter misreads: the types the documents state must reach the model unchanged.
//
// Needs python3 and a copy of Open WebUI's repository: OPEN_WEBUI_DIR is a clone or a bare git
// directory, OPEN_WEBUI_REF the commit to read (default f9590b8, the v0.11.0 code this was measured with).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { callKit, node } from '../helpers/calls.js';
import { EVERYTHING_BIN, fixture, tempDir } from '../helpers/gateway.js';

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

function openWebUiSource(): string {
  const dir = process.env.OPEN_WEBUI_DIR;
  if (!dir) {
    throw new Error('Set OPEN_WEBUI_DIR to a clone (or bare git directory) of Open WebUI: see "Development" in README.md');
  }
  const ref = process.env.OPEN_WEBUI_REF || 'f9590b8';
  return execFileSync('git', ['-C', dir, 'show', `${ref}:${TOOLS_PY}`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
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
