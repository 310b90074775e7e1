// What start-up loads (issue 16: ready with the demo server in < 600 ms, listening in < 300 ms). Needs `npm run build`
// first (npm test does it via pretest): it reads the built files in dist/.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN, startCli, startCommand, type RunningGateway } from './helpers/cli.js';
import { waitUntil } from './helpers/process.js';
import { tempDir } from './helpers/temp.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = (file: string) => path.join(root, 'dist', 'server', file);

/** The code of the built command (main.js and every chunk) and of the demo server, as one string. */
function builtCode(): string {
  const files = [
    built('main.js'),
    built(path.join('demo', 'demo-server.js')),
    ...fs.readdirSync(built('chunks')).flatMap((name) => (name.endsWith('.js') ? [built(path.join('chunks', name))] : [])),
  ];
  return files.map((file) => fs.readFileSync(file, 'utf8')).join('\n');
}

const running: RunningGateway[] = [];
afterEach(async () => {
  for (const gateway of running.splice(0)) await gateway.stop();
});

/**
 * A module loader hook for a child process: `args` go before its script, and `files()` lists the
 * files (ES modules, and CommonJS ones that ES modules import) it has loaded so far, as paths from
 * the package root; with `required`, also those that CommonJS `require()` loads.
 */
function loadRecorder(required = false): { args: string[]; env: NodeJS.ProcessEnv; files: () => string[]; atListening: () => string[] } {
  const list = path.join(tempDir(), 'loaded.txt');
  const hook = `import fs from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) fs.appendFileSync(process.env.LOADED_LIST, url + '\\n');
  return next(url, context);
}`;
  // A mark in the list when the first server listens: what was loaded by then is what start-up loaded
  // (after it, the demo server's first listing may load more, sooner on a faster Node).
  let register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});
import net from 'node:net'; import markFs from 'node:fs';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) { this.once('listening', () => markFs.appendFileSync(process.env.LOADED_LIST, '${LISTENING_MARK}\\n')); return listen.apply(this, args); };`;
  if (required) {
    register += `import fs from 'node:fs'; import Module from 'node:module'; import { pathToFileURL } from 'node:url';
const load = Module.prototype.load;
Module.prototype.load = function (file) { fs.appendFileSync(process.env.LOADED_LIST, pathToFileURL(file) + '\\n'); return load.call(this, file); };`;
  }
  return {
    args: ['--import', `data:text/javascript,${encodeURIComponent(register)}`],
    env: { LOADED_LIST: list },
    files: () =>
      lines(list)
        .filter((line) => line !== LISTENING_MARK)
        .map((url) => path.relative(root, fileURLToPath(url))),
    atListening: () => {
      const all = lines(list);
      const mark = all.indexOf(LISTENING_MARK);
      if (mark === -1) throw new Error('the command has not listened (no mark in the list)');
      return all.slice(0, mark).map((url) => path.relative(root, fileURLToPath(url)));
    },
  };
}

const LISTENING_MARK = 'listening';
const lines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);

/** The files that `node ...args` loads, run to its end (see `loadRecorder`). */
async function filesLoadedBy(args: string[]): Promise<string[]> {
  const recorder = loadRecorder();
  // stdin is empty, so the demo server ends at once.
  const child = execFile(process.execPath, [...recorder.args, ...args], { env: { ...process.env, ...recorder.env } });
  child.stdin?.end();
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code).toBe(0);
  return recorder.files();
}

/**
 * Starts the command with a `loadRecorder`: `files()` is what it has loaded so far, `atStart()` what
 * it had loaded when it began to listen, `read()` the code of those.
 */
async function startRecorded(
  required = false,
): Promise<{ gateway: RunningGateway; files: () => string[]; atStart: () => string[]; read: () => string[] }> {
  const recorder = loadRecorder(required);
  const gateway = await startCommand(process.execPath, [...recorder.args, MAIN, '--port', '0', '--state-dir', tempDir()], recorder.env);
  running.push(gateway);
  expect(recorder.files()).toContain(path.join('dist', 'server', 'main.js'));
  return {
    gateway,
    files: recorder.files,
    atStart: recorder.atListening,
    read: () => recorder.atListening().map((file) => fs.readFileSync(file, 'utf8')),
  };
}

describe('start-up', () => {
  it('the mcp-gateway command is one bundle (main.js and its chunks), the demo server one file: nothing of ours or of a package is loaded beside them but better-sqlite3', async () => {
    const command = await filesLoadedBy([built('main.js'), '--version']);
    expect(command[0]).toBe(path.join('dist', 'server', 'main.js'));
    const chunk = (file: string) => path.dirname(file) === path.join('dist', 'server', 'chunks') && file.endsWith('.js');
    const sqlite = (file: string) => file.startsWith(path.join('node_modules', 'better-sqlite3') + path.sep);
    expect(command.slice(1).filter((file) => !chunk(file) && !sqlite(file))).toEqual([]);
    expect(await filesLoadedBy([built('demo/demo-server.js')])).toEqual([path.join('dist', 'server', 'demo', 'demo-server.js')]);
  });

  it("the bundles hold zod's English messages only: its other locales, which nothing configures, are not compiled at start", () => {
    const text = builtCode();
    // zod's English messages (its default) are there, its German and French ones not (esbuild writes non-ASCII letters as escapes).
    expect(text).toContain('Invalid input: expected ');
    expect(text).not.toContain('Eingabe: erwartet');
    expect(text).not.toContain(' attendu, ');
  });

  it("the bundle holds transliterate's own table, not its locale tables (the gateway passes no locale): they are not built at start", () => {
    const text = builtCode();
    expect(text).toContain('function transliterate(');
    // Its own replacements are there; the locale tables (the Danish and Norwegian ones, …) not.
    expect(text).toMatch(/\["\\xDF", "ss"\]/);
    expect(text).not.toContain('danishNorwegianReplacements');
  });

  it("Express' MIME table is built on first use, not at start: mime-types is a file of its own, loaded by a stand-in at the first call", async () => {
    // esbuild names each bundled file in a comment: no chunk holds mime-types or its table.
    const chunks = fs.readdirSync(built('chunks')).filter((name) => name.endsWith('.js'));
    const mime = (code: string) => /^\/\/ node_modules\/mime-(?:types|db)\//m.test(code);
    expect(chunks.filter((name) => mime(fs.readFileSync(built(path.join('chunks', name)), 'utf8')))).toEqual([]);
    const { gateway, files, atStart } = await startRecorded(true);
    const file = path.join('dist', 'server', 'chunks', 'mime-types.cjs');
    expect(atStart()).not.toContain(file);
    // The answers name their types as before.
    const script = await fetch(`${gateway.url}/static/ui.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    await script.text();
    expect(files()).toContain(file);
  });

  it('building the HTTP app loads no management-document generator, QR code or pretty-log library (they load on first use)', async () => {
    const script = [built('http/app.js'), built('logging/logger.js')]
      .map((file) => `await import(${JSON.stringify(pathToFileURL(file).href)});`)
      .join('\n');
    const loaded = await filesLoadedBy(['--input-type=module', '-e', script]);
    // The check sees the modules of the app: express and our own modules are in the list.
    expect(loaded).toContain(path.join('dist', 'server', 'http', 'api', 'documents.js'));
    expect(loaded.some((file) => file.includes(`${path.sep}express${path.sep}`))).toBe(true);
    const lazy = loaded.filter((file) =>
      [
        path.join('dist', 'server', 'openapi', 'management.js'),
        path.join('node_modules', '@asteasolutions', 'zod-to-openapi') + path.sep,
        path.join('node_modules', 'qrcode') + path.sep,
        path.join('node_modules', 'pino-pretty') + path.sep,
      ].some((part) => file.includes(part)),
    );
    expect(lazy).toEqual([]);
  });

  it("loading the management API's routes builds none of its answer schemas: they are built when the document is generated or they parse", async () => {
    // A fresh process, from the built modules: zod's registry holds every schema given an id (`.meta({ id })`) once it is built.
    const url = (file: string) => JSON.stringify(pathToFileURL(built(file)).href);
    const script = `import { z } from 'zod';
const ids = () => [...z.globalRegistry._idmap.keys()];
const { MANAGEMENT_ROUTES } = await import(${url('http/api/index.js')});
const { ServerListSchema } = await import(${url('http/api-schemas.js')});
const atLoad = ids();
ServerListSchema.parse({ servers: [] });
const afterParse = ids();
const { managementDocument } = await import(${url('openapi/management.js')});
const document = managementDocument('1.0.0');
console.log(JSON.stringify({ routes: MANAGEMENT_ROUTES.length, atLoad, afterParse, afterDocument: ids(), components: Object.keys(document.components.schemas) }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    const { routes, atLoad, afterParse, afterDocument, components } = JSON.parse(stdout) as {
      routes: number;
      atLoad: string[];
      afterParse: string[];
      afterDocument: string[];
      components: string[];
    };
    expect(routes).toBeGreaterThan(20);
    // The request schemas are there from the start (routes validate with them) …
    expect(atLoad).toEqual(expect.arrayContaining(['ServerPatch', 'KeyCreate', 'Decision', 'Answer']));
    // … the answer schemas are not: the first parse builds the one it needs (and those it is made of), the document all of them.
    const answers = ['Health', 'Ready', 'NotReadyProblem', 'ServerList', 'ServerDetail', 'ToolList', 'ToolCallResult', 'CallSnapshot'];
    answers.push('ActivityPage', 'KeyList', 'CreatedKey', 'ApprovalList', 'DeviceList', 'ResourcePage', 'PromptList', 'Completion');
    answers.push('QuestionList', 'CallEventStream', 'ResourceEventStream', 'OpenApiDocument');
    expect(atLoad.filter((id) => answers.includes(id) || id === 'ServerStatus')).toEqual([]);
    expect(afterParse.filter((id) => answers.includes(id))).toEqual(['ServerList']);
    expect(afterDocument).toEqual(expect.arrayContaining(answers));
    expect(components).toEqual(expect.arrayContaining(answers));
  });

  it('building the HTTP app makes no JSON Schema validator (ajv instance): the first arguments and default to check make theirs', async () => {
    // A fresh process, from the built modules; every ajv instance adds its meta-schemas as it is made.
    const url = (file: string) => JSON.stringify(pathToFileURL(built(file)).href);
    const script = `import { Ajv } from 'ajv';
const core = Object.getPrototypeOf(Ajv.prototype);
const made = new Set();
const addMetaSchema = core.addMetaSchema;
core.addMetaSchema = function (...args) { made.add(this); return addMetaSchema.apply(this, args); };
await import(${url('http/app.js')});
const { checkArguments } = await import(${url('calls/arguments.js')});
const atLoad = made.size;
const schema = { type: 'object', properties: { n: { type: 'integer', minimum: 0, default: 1 } }, required: ['n'] };
const checked = checkArguments(schema, {});
console.log(JSON.stringify({ atLoad, afterCheck: made.size, checked }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({
      atLoad: 0,
      // One for the arguments (2020-12), one for the default.
      afterCheck: 2,
      checked: { errors: [], args: { n: 1 } },
    });
  });

  it('the command listens without loading the MCP endpoint (the 2.x SDK), and loads it on the first /mcp request', async () => {
    const recorder = loadRecorder();
    const gateway = await startCommand(process.execPath, [...recorder.args, MAIN, '--port', '0', '--state-dir', tempDir()], recorder.env);
    running.push(gateway);
    const endpoint = (file: string) =>
      /^endpoint-.+\.js$/.test(path.basename(file)) && path.dirname(file) === path.join('dist', 'server', 'chunks');
    expect(recorder.files()).toContain(path.join('dist', 'server', 'main.js'));
    expect(recorder.files().filter(endpoint)).toEqual([]);
    // Nor the 2.x client (0.7 MB), which loads with the first server spoken to in the 2026-07-28 era.
    const withClient = recorder
      .files()
      .filter((file) => file.endsWith('.js') && fs.readFileSync(file, 'utf8').includes('node_modules/@modelcontextprotocol/client/'));
    expect(withClient).toEqual([]);

    const res = await fetch(`${gateway.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
      }),
    });
    expect(res.status).toBe(200);
    await res.text();
    await waitUntil(() => recorder.files().some(endpoint));
  });

  it("iconv-lite's encodings are a file of their own, not in what start-up reads: the chunk that requires them has them beside it, as in the package", async () => {
    const { read } = await startRecorded();
    // esbuild names each bundled file in a comment: start-up reads express, not iconv-lite's encodings.
    expect(read().some((code) => code.includes('// node_modules/express/lib/express.js'))).toBe(true);
    expect(read().filter((code) => code.includes('// node_modules/iconv-lite/encodings/'))).toEqual([]);
    // iconv-lite requires them at its first use, from the folder of the file it is in (a chunk, or one of its own).
    const chunks = fs.readdirSync(built('chunks')).filter((name) => /\.c?js$/.test(name));
    const requiring = chunks.filter((name) =>
      fs.readFileSync(built(path.join('chunks', name)), 'utf8').includes('require("./iconv-lite-encodings.cjs")'),
    );
    expect(requiring).toHaveLength(1);
    const require = module.createRequire(built(path.join('chunks', requiring[0]!)));
    const apart = require('./iconv-lite-encodings.cjs') as Record<string, unknown>;
    const own = module.createRequire(import.meta.url)('iconv-lite/encodings') as Record<string, unknown>;
    expect(Object.keys(apart)).toEqual(Object.keys(own));
    expect(apart.latin1).toEqual(own.latin1);
    // A multi-byte table, which stays JSON in the package, loaded for such a charset only.
    const table = (encodings: Record<string, unknown>) => (encodings.shiftjis as { table: () => unknown }).table();
    expect(table(apart)).toEqual(table(own));
  });

  it('the command listens without loading ajv (a file of its own): the first arguments to check load it, and are checked as before', async () => {
    const { gateway, files, atStart, read } = await startRecorded(true);
    const file = path.join('dist', 'server', 'chunks', 'ajv.cjs');
    const ajv = (code: string) => /^\/\/ node_modules\/(?:ajv|ajv-formats|fast-uri)\//m.test(code);
    expect(read().filter(ajv)).toEqual([]);
    expect(atStart()).not.toContain(file);
    // Until then its importers have stand-ins; the demo server is ready, its tools listed by the SDK's client.
    await gateway.waitForLog((entry) => entry.msg === 'server demo: ready');
    const wrong = await fetch(`${gateway.url}/demo/add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 'x' }),
    });
    expect(wrong.status).toBe(422);
    expect(((await wrong.json()) as { errors: unknown[] }).errors).toEqual([
      { field: 'b', message: 'is required' },
      { field: 'a', message: 'must be number' },
    ]);
    const right = await fetch(`${gateway.url}/demo/add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1, b: 2 }),
    });
    expect(await right.json()).toEqual({ sum: 3 });
    expect(files()).toContain(file);
  });

  it("express' body parsers (body-parser, qs, raw-body, iconv-lite: the gateway reads bodies itself) are a file of their own, not required at start", async () => {
    const { atStart, read } = await startRecorded(true);
    const parsers = (code: string) => /^\/\/ node_modules\/(?:body-parser|qs|raw-body|iconv-lite)\//m.test(code);
    expect(read().some((code) => code.includes('// node_modules/express/lib/express.js'))).toBe(true);
    expect(read().filter(parsers)).toEqual([]);
    expect(atStart()).not.toContain(path.join('dist', 'server', 'chunks', 'body-parser.cjs'));
    // Express takes its parsers from the stand-in; the file has them (with qs, which the stand-in of express' query parser loads).
    const apart = module.createRequire(built(path.join('chunks', 'x.js')))('./body-parser.cjs') as Record<string, Record<string, unknown>>;
    expect(Object.keys(apart['body-parser']!)).toEqual(['json', 'raw', 'text', 'urlencoded']);
    expect((apart.qs!.parse as (text: string) => unknown)('a[b]=1')).toEqual({ a: { b: '1' } });
  });

  it("prom-client's @opentelemetry/api (for exemplars, which the gateway does not turn on) is a file of its own, not required at start", async () => {
    const { gateway, atStart, read } = await startRecorded(true);
    expect(read().some((code) => code.includes('// node_modules/prom-client/index.js'))).toBe(true);
    expect(read().filter((code) => code.includes('// node_modules/@opentelemetry/api/'))).toEqual([]);
    expect(atStart()).not.toContain(path.join('dist', 'server', 'chunks', 'opentelemetry-api.cjs'));
    const metrics = await fetch(`${gateway.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('mcp_gateway_server_state{server="demo"');
  });

  it("keeps V8's compiled code of the gateway in the state directory from the second start on, where Node has a compile cache (22 and later)", async () => {
    const stateDir = path.join(tempDir(), 'state');
    const start = async () => {
      const gateway = await startCli(['--state-dir', stateDir]);
      running.push(gateway);
      expect(await gateway.stop()).toBe(0);
    };
    // The first start makes the state directory itself (private): no cache yet.
    await start();
    expect(fs.readdirSync(stateDir)).not.toContain('compile-cache');
    await start();
    const cache = path.join(stateDir, 'compile-cache');
    if (typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function') {
      // One folder per Node version, with the compiled code of the files start-up loaded.
      const [versionDir] = fs.readdirSync(cache);
      expect(fs.readdirSync(path.join(cache, versionDir!)).length).toBeGreaterThan(0);
    } else {
      expect(fs.existsSync(cache)).toBe(false);
    }
  });
});
