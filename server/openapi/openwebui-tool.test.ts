// The rendered Open WebUI Tool is checked with the real python3: it must compile (warnings as
// errors), and its structure is read back with the standard library's `ast` module, never by
// importing it (Open WebUI's pydantic and aiohttp need not be installed here). One test runs the
// generated code against stand-in `aiohttp`/`pydantic` modules to check what a call sends.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { renderOpenWebUiTool, type OpenWebUiToolEntry, type OpenWebUiToolOptions } from './openwebui-tool.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let workDir = '';
let fileCounter = 0;

beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), 'openwebui-tool-'));
  writeFileSync(path.join(workDir, 'inspect_tool.py'), INSPECT_SCRIPT);
  writeFileSync(path.join(workDir, 'run_tool.py'), RUN_SCRIPT);
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const OPTIONS: OpenWebUiToolOptions = {
  gatewayUrl: 'http://127.0.0.1:8085',
  title: 'MCP Gateway: test',
  version: '0.1.0',
};

// ---------------------------------------------------------------------------------------------
// Helpers: python3, the ast inspection, and what each entry's method must look like.
// ---------------------------------------------------------------------------------------------

/**
 * Reads a generated file with `ast` only. Besides the structure it applies Open WebUI's own
 * parsing rules (backend/open_webui/utils/plugin.py `extract_frontmatter`, tools.py
 * `parse_description` / `parse_docstring`), to see what Open WebUI would make of the file.
 */
const INSPECT_SCRIPT = String.raw`
import ast, builtins, json, keyword, re, sys

path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    source = handle.read()
tree = ast.parse(source)


def frontmatter(content):
    lines = content.splitlines()
    if not lines or lines[0].strip() != '"""':
        return {}
    pattern = re.compile(r"^\s*([a-z_]+):\s*(.*)\s*$", re.IGNORECASE)
    fields = {}
    for line in lines[1:]:
        if '"""' in line:
            break
        match = pattern.match(line)
        if match:
            fields[match.group(1).strip()] = match.group(2).strip()
    return fields


def parse_description(docstring):
    lines = [line.strip() for line in docstring.strip().split("\n")]
    kept = []
    for line in lines:
        if re.match(r":param", line) or re.match(r":return", line):
            break
        kept.append(line)
    return "\n".join(kept)


def parse_params(docstring):
    pattern = re.compile(r":param (\w+):\s*(.+)")
    found = {}
    for line in docstring.splitlines():
        match = pattern.match(line.strip())
        if match and not match.group(1).startswith("__"):
            found[match.group(1)] = match.group(2)
    return found


def call_name(node):
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def pairs(node):
    return [[key.value, value.id] for key, value in zip(node.keys, node.values)]


def gateway_call(function):
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and call_name(node) == "_call_gateway":
            return {"path": node.args[1].value, "required": pairs(node.args[2]), "optional": pairs(node.args[3])}
    return None


def reserved(name):
    return keyword.iskeyword(name) or keyword.issoftkeyword(name) or hasattr(builtins, name)


tools = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "Tools")
methods = []
for node in tools.body:
    if not isinstance(node, ast.AsyncFunctionDef):
        continue
    args = node.args.posonlyargs + node.args.args
    first_default = len(args) - len(node.args.defaults)
    docstring = ast.get_docstring(node, clean=False) or ""
    methods.append({
        "name": node.name,
        "reserved": reserved(node.name),
        "self": args[0].arg if args else None,
        "args": [arg.arg for arg in args[1:]],
        "keywordArgs": [arg.arg for arg in args[1:] if keyword.iskeyword(arg.arg)],
        "hasDefault": [index >= first_default for index in range(1, len(args))],
        "defaults": [ast.unparse(value) for value in node.args.defaults],
        "annotations": [ast.unparse(arg.annotation) if arg.annotation else None for arg in args[1:]],
        "otherArgs": [arg.arg for arg in node.args.kwonlyargs] + [a.arg for a in (node.args.vararg, node.args.kwarg) if a],
        "docstring": docstring,
        "description": parse_description(docstring),
        "params": parse_params(docstring),
        "call": gateway_call(node),
    })

imports = []
for node in ast.walk(tree):
    if isinstance(node, ast.Import):
        imports += [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        imports.append(node.module)

print(json.dumps({
    "frontmatter": frontmatter(source),
    "moduleDocstring": ast.get_docstring(tree, clean=False),
    "topLevel": [[type(node).__name__, getattr(node, "name", None)] for node in tree.body],
    "members": [[type(node).__name__, getattr(node, "name", None)] for node in tools.body],
    "imports": imports,
    "calls": sorted({call_name(node) for node in ast.walk(tree) if isinstance(node, ast.Call)} - {None}),
    "methods": methods,
}))
`;

/**
 * Executes a generated file with stand-ins for aiohttp (records each POST, answers from a
 * script) and pydantic (Field gives its default), then runs the calls described in argv[2].
 */
const RUN_SCRIPT = String.raw`
import asyncio, json, sys, types

requests = []
answers = []


class ClientTimeout:
    def __init__(self, total=None):
        self.total = total


class ClientError(Exception):
    pass


class Response:
    def __init__(self, status, reason, text):
        self.status, self.reason, self._text = status, reason, text

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    async def text(self):
        return self._text


class ClientSession:
    def __init__(self, timeout=None):
        self.timeout = timeout

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    def post(self, url, json=None, headers=None):
        requests.append({"url": url, "json": json, "headers": headers, "timeout": self.timeout.total})
        answer = answers.pop(0)
        if answer is None:
            raise ClientError("connection refused")
        return Response(*answer)


aiohttp = types.ModuleType("aiohttp")
aiohttp.ClientTimeout, aiohttp.ClientError, aiohttp.ClientSession = ClientTimeout, ClientError, ClientSession
pydantic = types.ModuleType("pydantic")
pydantic.BaseModel = type("BaseModel", (), {})
pydantic.Field = lambda default=None, description=None: default
sys.modules["aiohttp"], sys.modules["pydantic"] = aiohttp, pydantic

with open(sys.argv[1], encoding="utf-8") as handle:
    namespace = {"__name__": "generated_tool"}
    exec(compile(handle.read(), sys.argv[1], "exec"), namespace)

defaults = namespace["Tools"]().valves
results = []
for step in json.loads(sys.argv[2]):
    tools = namespace["Tools"]()
    for key, value in step.get("valves", {}).items():
        setattr(tools.valves, key, value)
    answers.append(step["answer"])
    result = asyncio.run(getattr(tools, step["method"])(**step["kwargs"]))
    results.append({"result": result, "request": requests.pop()})

print(json.dumps({
    "valves": {"gateway_url": defaults.gateway_url, "api_key": defaults.api_key, "timeout_seconds": defaults.timeout_seconds},
    "results": results,
}))
`;

function writeSource(source: string): string {
  fileCounter += 1;
  const file = path.join(workDir, `tool_${fileCounter}.py`);
  writeFileSync(file, source);
  return file;
}

function python(args: string[]): string {
  const run = spawnSync('python3', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  expect(run.error).toBeUndefined();
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

/** `python3 -m py_compile` must accept the file, with every warning (e.g. a bad escape) an error. */
function expectCompiles(file: string): void {
  python(['-W', 'error', '-m', 'py_compile', file]);
}

interface InspectedMethod {
  name: string;
  reserved: boolean;
  self: string | null;
  args: string[];
  keywordArgs: string[];
  hasDefault: boolean[];
  defaults: string[];
  annotations: Array<string | null>;
  otherArgs: string[];
  docstring: string;
  description: string;
  params: Record<string, string>;
  call: { path: string; required: Array<[string, string]>; optional: Array<[string, string]> } | null;
}

interface Inspection {
  frontmatter: Record<string, string>;
  moduleDocstring: string | null;
  topLevel: Array<[string, string | null]>;
  members: Array<[string, string | null]>;
  imports: string[];
  calls: string[];
  methods: InspectedMethod[];
}

/** Renders, writes, compiles and inspects: the one path every test goes through. */
function renderAndInspect(entries: OpenWebUiToolEntry[], options: OpenWebUiToolOptions = OPTIONS) {
  const source = renderOpenWebUiTool(entries, options);
  const file = writeSource(source);
  expectCompiles(file);
  const inspection = JSON.parse(python([path.join(workDir, 'inspect_tool.py'), file])) as Inspection;
  return { source, file, inspection };
}

function runGenerated(file: string, steps: unknown[]) {
  return JSON.parse(python([path.join(workDir, 'run_tool.py'), file, JSON.stringify(steps)])) as {
    valves: { gateway_url: string; api_key: string; timeout_seconds: number };
    results: Array<{
      result: string;
      request: { url: string; json: unknown; headers: Record<string, string>; timeout: number };
    }>;
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The documented order: required then optional, each in `properties` order; unlisted required keys last among required. */
function expectedKeys(schema: Record<string, unknown>): { required: string[]; optional: string[] } {
  const properties = isRecord(schema.properties) ? Object.keys(schema.properties) : [];
  const required = [...new Set(Array.isArray(schema.required) ? schema.required.filter((k) => typeof k === 'string') : [])];
  return {
    required: [...properties.filter((key) => required.includes(key)), ...required.filter((key) => !properties.includes(key))],
    optional: properties.filter((key) => !required.includes(key)),
  };
}

/** A path segment as the gateway decodes it; `.` and `..` fully encoded so no HTTP client collapses them. */
function pathSegment(name: string): string {
  return name === '.' || name === '..' ? name.replace(/\./g, '%2E') : encodeURIComponent(name);
}

const PYTHON_IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;
const METHOD_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** Every entry has its method, in order, whose signature and body match the entry's schema. */
function expectMethodsMatch(entries: OpenWebUiToolEntry[], inspection: Inspection): void {
  const { methods, members } = inspection;
  expect(methods).toHaveLength(entries.length);
  const names = methods.map((method) => method.name);
  expect(new Set(names).size).toBe(names.length);
  // Only the tools themselves are callable non-dunder members: Open WebUI offers every such one to the model.
  expect(members.filter(([kind]) => kind !== 'AsyncFunctionDef')).toEqual([
    ['ClassDef', 'Valves'],
    ['FunctionDef', '__init__'],
  ]);

  entries.forEach((entry, index) => {
    const method = methods[index] as InspectedMethod;
    const label = `${entry.server}/${entry.tool.name} → ${method.name}`;
    expect(method.name, label).toMatch(METHOD_NAME);
    expect(method.reserved, label).toBe(false);
    expect(['valves', 'self'], label).not.toContain(method.name);
    expect(method.self, label).toBe('self');
    expect(method.otherArgs, label).toEqual([]);

    const { required, optional } = expectedKeys(entry.tool.inputSchema);
    const call = method.call;
    expect(call, label).not.toBeNull();
    if (!call) return;
    expect(call.path, label).toBe(`/${pathSegment(entry.server)}/${pathSegment(entry.tool.name)}`);
    expect(call.required.map(([key]) => key), label).toEqual(required);
    expect(call.optional.map(([key]) => key), label).toEqual(optional);

    const identifiers = [...call.required, ...call.optional].map(([, identifier]) => identifier);
    expect(method.args, label).toEqual(identifiers);
    expect(method.hasDefault, label).toEqual([...required.map(() => false), ...optional.map(() => true)]);
    expect(method.defaults, label).toEqual(optional.map(() => 'None'));
    expect(method.keywordArgs, label).toEqual([]);
    for (const identifier of identifiers) expect(identifier, label).toMatch(PYTHON_IDENTIFIER);
    for (const annotation of method.annotations.slice(required.length)) expect(annotation, label).toMatch(/^Optional\[/);

    // Open WebUI reads one description per parameter, and a description without :param lines.
    expect(Object.keys(method.params).sort(), label).toEqual([...identifiers].sort());
    expect(method.description, label).not.toMatch(/^:(param|return)/m);
  });
}

function entry(server: string, name: string, inputSchema: Record<string, unknown>, extra: Partial<OpenWebUiToolEntry['tool']> = {}): OpenWebUiToolEntry {
  return { server, tool: { name, inputSchema, ...extra } };
}

function methodOf(inspection: Inspection, name: string): InspectedMethod {
  const method = inspection.methods.find((candidate) => candidate.name === name);
  if (!method) throw new Error(`no method ${name} in ${inspection.methods.map((m) => m.name).join(', ')}`);
  return method;
}

function annotationOf(method: InspectedMethod, identifier: string): string | null | undefined {
  return method.annotations[method.args.indexOf(identifier)];
}

// ---------------------------------------------------------------------------------------------
// The hand-written corpus.
// ---------------------------------------------------------------------------------------------

const MALICIOUS = '"""\nimport os; os.system("x")\n"""';

const HARD_CASES: OpenWebUiToolEntry[] = [
  entry('files', 'read', {
    type: 'object',
    properties: {
      class: { type: 'string', description: 'A keyword' },
      from: { type: 'string' },
      'file-path': { type: 'string', description: 'Dashed' },
      file_path: { type: 'string', description: 'Already an identifier, keeps its name' },
      é: { type: 'integer' },
      self: { type: 'boolean' },
      '1st': { type: 'number' },
      model_config: { type: 'string' },
      '': { type: 'string' },
      '__user__': { type: 'string' },
      type: { type: 'string', description: 'A soft keyword stays as it is' },
      id: { type: 'string', description: 'A builtin stays as it is' },
    },
    required: ['file-path', 'class', 'self'],
  }),
  entry('kinds', 'typed', {
    type: 'object',
    properties: {
      mode: { type: 'string', enum: ['fast', 'slow', 'it\'s "quoted"'], default: 'fast' },
      level: { type: 'integer', enum: [1, 2, 3] },
      ratio: { type: 'number', format: 'float', minimum: 0 },
      nullable: { type: ['string', 'null'] },
      maybe: { anyOf: [{ type: 'integer' }, { type: 'null' }] },
      either: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
      tags: { type: 'array', items: { type: 'string' } },
      anything: {},
      loose: { type: 'array' },
      nested: {
        type: 'object',
        properties: { inner: { type: 'object', properties: { deep: { type: 'array', items: { type: 'number' } } } } },
        required: ['inner'],
      },
      rows: {
        type: 'array',
        items: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } }, required: ['from'] },
      },
      matrix: { type: 'array', items: { type: 'array', items: { type: ['integer', 'null'] } } },
      choice: { enum: ['a', null] },
      fixed: { const: 'only' },
      mixed: { enum: ['a', true] },
    },
    required: ['mode', 'rows', 'nullable'],
  }),
  entry('empty', 'ping', { type: 'object', properties: {} }),
  entry('empty', 'bare', { type: 'object' }),
  entry('weird', 'not-a-schema', { type: 'object', properties: 'nope', required: 'all' }),
  entry('weird', 'required-only', { type: 'object', required: ['ghost', 'ghost', 7] }),
  // The same sanitised name from two servers, and the same tool twice.
  entry('my-fs', 'read', { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] }),
  entry('my_fs', 'read', { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] }),
  entry('my_fs', 'read', { type: 'object', properties: {} }),
  entry('', 'print', { type: 'object', properties: {} }),
  entry('9lives', '2fast', { type: 'object', properties: {} }),
  entry('日本語', 'ツール', { type: 'object', properties: {} }),
  entry('Café', 'Crème-Brûlée', { type: 'object', properties: { naïve: { type: 'string' } }, required: ['naïve'] }),
  entry('x'.repeat(200), 'y'.repeat(200), { type: 'object', properties: { ['p'.repeat(300)]: { type: 'string' } } }),
  entry('long-server-name-that-goes-on-and-on-and-on-and-on-for-a-while', 'get_weather', { type: 'object', properties: {} }),
  entry('..', '.', { type: 'object', properties: {} }),
  entry('a/b', 'c?d#e f', { type: 'object', properties: {} }),
  entry(
    'evil"\n{}',
    'tool\'"\n{x}\u2028\u0000',
    {
      type: 'object',
      properties: {
        [MALICIOUS]: { type: 'string', description: MALICIOUS, default: MALICIOUS, enum: [MALICIOUS] },
        'x")\nimport os\n#': { type: 'string', description: '\\"\\"\\" \\ \u0007 \u202e \ud800' },
      },
      required: [MALICIOUS],
    },
    {
      title: `Title ${MALICIOUS}`,
      description: `${MALICIOUS}\n:param fake: injected\n:return: injected\n\\N{BULLET} \\x41 \u0000 \r\nend\\`,
    },
  ),
  entry('proto', 'keys', JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"},"constructor":{"type":"string"}},"required":["__proto__"]}')),
];

describe('renderOpenWebUiTool', () => {
  it('renders a valid Tool with only the valves when there are no entries', () => {
    const { inspection } = renderAndInspect([]);
    expect(inspection.members).toEqual([
      ['ClassDef', 'Valves'],
      ['FunctionDef', '__init__'],
    ]);
    expect(inspection.methods).toEqual([]);
    expect(inspection.frontmatter).toEqual({
      title: 'MCP Gateway: test',
      author: 'mcp-gateway',
      version: '0.1.0',
      description: 'Use MCP tools through mcp-gateway.',
    });
  });

  it('has the valves Open WebUI shows to admins, with their defaults', () => {
    const { source, file } = renderAndInspect([], { ...OPTIONS, gatewayUrl: 'http://gateway:9000/' });
    expect(source).toContain('gateway_url: str = Field(');
    expect(source).toContain('api_key: str = Field(');
    expect(source).toMatch(/Authorization: Bearer/);
    expect(source).toContain('timeout_seconds: int = Field(');
    expect(source).toContain('aiohttp.ClientTimeout(total=valves.timeout_seconds)');
    expect(runGenerated(file, []).valves).toEqual({ gateway_url: 'http://gateway:9000/', api_key: '', timeout_seconds: 300 });
  });

  it('starts with the front matter (Open WebUI reads it only there), then the generated-by comment', () => {
    const { source, inspection } = renderAndInspect(
      [entry('files', 'read', { type: 'object' }), entry('memory', 'read', { type: 'object' }), entry('files', 'write', { type: 'object' })],
      { ...OPTIONS, description: 'Files and memory.' },
    );
    expect(source.startsWith('"""\ntitle: MCP Gateway: test\n')).toBe(true);
    expect(inspection.frontmatter).toEqual({
      title: 'MCP Gateway: test',
      author: 'mcp-gateway',
      version: '0.1.0',
      description: 'Files and memory.',
    });
    expect(source).toContain('# Generated by mcp-gateway 0.1.0 for the MCP servers: "files", "memory".');
  });

  it('writes the header as Open WebUI shows it: quotes as they are, no backslashes, non-ASCII spelled in ASCII', () => {
    const { source, inspection } = renderAndInspect(
      [entry('Café', 'read', { type: 'object' }), entry('files', 'read', { type: 'object' })],
      { ...OPTIONS, title: 'MCP Gateway: Café', description: 'Tools of the server "files" of mcp-gateway (C:\\tools).' },
    );
    expect(inspection.frontmatter).toEqual({
      title: 'MCP Gateway: Cafe',
      author: 'mcp-gateway',
      version: '0.1.0',
      description: 'Tools of the server "files" of mcp-gateway (C:/tools).',
    });
    const header = source.slice(0, source.indexOf('\nimport '));
    expect(header).not.toContain('\\');
    expect(header).toContain('# Generated by mcp-gateway 0.1.0 for the MCP servers: "Cafe", "files".');
    // What Python reads is what Open WebUI reads.
    expect(inspection.moduleDocstring).toBe(`\n${Object.entries(inspection.frontmatter).map(([key, value]) => `${key}: ${value}`).join('\n')}\n`);
  });

  it('spells non-ASCII tool names in ASCII, or names the method tool_<n> and tells the name in its docstring', () => {
    const entries = [
      entry('search', 'поиск', { type: 'object' }),
      entry('search', 'Καλημέρα', { type: 'object' }),
      entry('docs', '読む', { type: 'object' }, { description: 'Reads a page.' }),
      entry('docs', '書く', { type: 'object' }),
      entry('docs', '📄', { type: 'object' }),
      entry('日本', 'ツール', { type: 'object' }),
    ];
    const { inspection } = renderAndInspect(entries);
    expect(inspection.methods.map((method) => method.name)).toEqual(['search_poisk', 'search_kalimera', 'docs_tool_3', 'docs_tool_4', 'docs_tool_5', 'tool_6']);
    expect(methodOf(inspection, 'search_poisk').description.trim()).toBe('Calls the tool поиск of the MCP server search.');
    expect(methodOf(inspection, 'docs_tool_3').description.trim()).toBe('Reads a page.\n\nCalls the tool 読む of the MCP server docs.');
    expect(methodOf(inspection, 'docs_tool_4').description.trim()).toBe('Calls the tool 書く of the MCP server docs.');
    expect(methodOf(inspection, 'tool_6').call?.path).toBe(`/${encodeURIComponent('日本')}/${encodeURIComponent('ツール')}`);
  });

  it('gives every hard case a method whose signature follows its schema', () => {
    const { inspection } = renderAndInspect(HARD_CASES);
    expectMethodsMatch(HARD_CASES, inspection);
  });

  it('maps keyword and non-identifier property names to safe, unique identifiers', () => {
    const { inspection } = renderAndInspect(HARD_CASES);
    const read = methodOf(inspection, 'files_read');
    expect(read.call?.required).toEqual([
      ['class', 'class_'],
      ['file-path', 'file_path_2'],
      ['self', 'self_'],
    ]);
    expect(Object.fromEntries(read.call?.optional ?? [])).toEqual({
      from: 'from_',
      file_path: 'file_path',
      é: 'e',
      '1st': 'arg_1st',
      model_config: 'model_config_',
      '': 'arg',
      __user__: 'user',
      type: 'type',
      id: 'id',
    });
    expect(read.params.file_path_2).toBe('Dashed');
    expect(read.params.arg).toBe('(no description)');
    expect(methodOf(inspection, 'proto_keys').call?.required).toEqual([['__proto__', 'proto']]);
    expect(methodOf(inspection, 'cafe_creme_brulee').args).toEqual(['naive']);
  });

  it('turns JSON Schema types into Python type hints', () => {
    const { inspection } = renderAndInspect(HARD_CASES);
    const typed = methodOf(inspection, 'kinds_typed');
    expect(typed.args.slice(0, 3)).toEqual(['mode', 'nullable', 'rows']);
    expect(Object.fromEntries(typed.args.map((arg, index) => [arg, typed.annotations[index]]))).toEqual({
      mode: `Literal['fast', 'slow', 'it\\'s "quoted"']`,
      nullable: 'Optional[str]',
      rows: 'List[dict]',
      level: 'Optional[Literal[1, 2, 3]]',
      ratio: 'Optional[float]',
      maybe: 'Optional[int]',
      either: 'Optional[Any]',
      tags: 'Optional[List[str]]',
      anything: 'Optional[Any]',
      loose: 'Optional[list]',
      nested: 'Optional[dict]',
      matrix: 'Optional[List[List[Optional[int]]]]',
      choice: "Optional[Literal['a']]",
      fixed: "Optional[Literal['only']]",
      mixed: 'Optional[Any]',
    });
    expect(annotationOf(methodOf(inspection, 'weird_required_only'), 'ghost')).toBe('Any');
  });

  it('describes parameters with enum values, formats, defaults and hidden structure', () => {
    const { inspection } = renderAndInspect(HARD_CASES);
    const typed = methodOf(inspection, 'kinds_typed');
    expect(typed.params.mode).toBe('Allowed values: "fast", "slow", "it\'s \\"quoted\\"". Default: "fast".');
    expect(typed.params.ratio).toBe('Format: float.');
    expect(typed.params.rows).toBe('Structure: {from: string, to?: string}[].');
    expect(typed.params.nested).toBe('Structure: {inner: {deep?: number[]}}.');
    expect(typed.docstring).toMatch(/:return: /);
  });

  it('gives tools with the same sanitised name, or reserved, long and non-ASCII names, distinct valid method names', () => {
    const { inspection } = renderAndInspect(HARD_CASES);
    const names = inspection.methods.map((method) => method.name);
    expect(names).toEqual([
      'files_read',
      'kinds_typed',
      'empty_ping',
      'empty_bare',
      'weird_not_a_schema',
      'weird_required_only',
      'my_fs_read',
      'my_fs_read_2',
      'my_fs_read_3',
      'print_tool',
      'tool_9lives_2fast',
      'tool_12',
      'cafe_creme_brulee',
      `${'x'.repeat(16)}_${'y'.repeat(47)}`,
      'long_server_name_that_goes_on_and_on_and_on_and_on_f_get_weather',
      'tool_16',
      'a_b_c_d_e_f',
      'evil_tool_x',
      'proto_keys',
    ]);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(64);
    const long = inspection.methods[13] as InspectedMethod;
    expect(long.args).toEqual(['p'.repeat(64)]);
  });

  it('calls the gateway path with each segment percent-encoded', () => {
    const { inspection } = renderAndInspect(HARD_CASES);
    expect(methodOf(inspection, 'a_b_c_d_e_f').call?.path).toBe('/a%2Fb/c%3Fd%23e%20f');
    expect(methodOf(inspection, 'tool_16').call?.path).toBe('/%2E%2E/%2E');
    expect(methodOf(inspection, 'tool_12').call?.path).toBe(`/${encodeURIComponent('日本語')}/${encodeURIComponent('ツール')}`);
  });

  it('keeps untrusted text inside strings: nothing is injected, and Python reads the text back unchanged', () => {
    const evilOptions = { ...OPTIONS, title: `T\nrequirements: evil-package\n${MALICIOUS}`, version: '1"""\n', description: MALICIOUS };
    const { source, inspection } = renderAndInspect(HARD_CASES, evilOptions);

    expect(source).toMatch(/^[\x20-\x7e\n]*$/); // printable ASCII and newlines only
    expect(inspection.imports.sort()).toEqual(['aiohttp', 'asyncio', 'json', 'pydantic', 'typing']);
    expect(inspection.calls).not.toContain('system');
    expect(inspection.calls.sort()).toEqual(
      ['ClientSession', 'ClientTimeout', 'Field', 'Valves', '_call_gateway', '_error_message', '_result_text',
        'dict', 'dumps', 'get', 'isinstance', 'items', 'loads', 'post', 'rstrip', 'strip', 'text', 'update'].sort(),
    );
    expect(inspection.topLevel).toEqual([
      ['Expr', null],
      ['Import', null],
      ['Import', null],
      ['ImportFrom', null],
      ['Import', null],
      ['ImportFrom', null],
      ['FunctionDef', '_error_message'],
      ['FunctionDef', '_result_text'],
      ['AsyncFunctionDef', '_call_gateway'],
      ['ClassDef', 'Tools'],
    ]);
    // No extra front matter line (Open WebUI would pip-install `requirements:`).
    expect(Object.keys(inspection.frontmatter)).toEqual(['title', 'author', 'version', 'description']);
    // Open WebUI reads the front matter as written: no escapes there, and `"""` cannot end the docstring.
    expect(inspection.frontmatter.title).toBe(`T requirements: evil-package ''' import os; os.system("x") '''`);
    expect(inspection.frontmatter.version).toBe("1'''");
    expect(inspection.moduleDocstring).toContain(`title: ${inspection.frontmatter.title}\n`);

    const evil = methodOf(inspection, 'evil_tool_x');
    expect(evil.call?.path).toBe(`/${encodeURIComponent('evil"\n{}')}/${encodeURIComponent('tool\'"\n{x}\u2028\u0000')}`);
    expect(evil.call?.required.map(([key]) => key)).toEqual([MALICIOUS]);
    expect(evil.call?.optional.map(([key]) => key)).toEqual(['x")\nimport os\n#']);
    // The docstring holds the description verbatim (line ends normalised); injected field lines are quoted.
    expect(evil.docstring).toContain('import os; os.system("x")');
    expect(evil.docstring).toContain('\n        \\N{BULLET} \\x41 \u0000 \n        end\\\n');
    expect(evil.description).toContain('> :param fake: injected');
    expect(evil.params.fake).toBeUndefined();
    expect(Object.keys(evil.params)).toEqual(evil.args);
    expect(evil.params[evil.args[1] as string]).toBe('\\"\\"\\" \\ \u0007 \u202e \ufffd');
    expect(evil.params[evil.args[0] as string]).toContain('""" import os; os.system("x") """. Allowed values:');
  });

  it('is deterministic', () => {
    expect(renderOpenWebUiTool(HARD_CASES, OPTIONS)).toBe(renderOpenWebUiTool(HARD_CASES, OPTIONS));
  });

  it('sends the given arguments with the API key and turns answers into text for the model', () => {
    const tools = [
      entry('files', 'read', {
        type: 'object',
        properties: { 'file-path': { type: 'string' }, tail: { type: 'integer' }, encoding: { type: ['string', 'null'] } },
        required: ['file-path', 'encoding'],
      }),
    ];
    const { file } = renderAndInspect(tools, { ...OPTIONS, gatewayUrl: 'http://gateway:9000/' });
    const call = { method: 'files_read', kwargs: { file_path: 'a.txt', encoding: null } };
    const { results } = runGenerated(file, [
      { ...call, answer: [200, 'OK', '"the text"'] },
      { ...call, kwargs: { ...call.kwargs, tail: 3 }, valves: { api_key: 's3cret', timeout_seconds: 5 }, answer: [200, 'OK', '{"lines":["é"]}'] },
      { ...call, answer: [422, 'Unprocessable Entity', '{"type":"invalid-arguments","title":"Bad","detail":"tail: must be integer"}'] },
      { ...call, answer: [503, 'Service Unavailable', '{"title":"Not available"}'] },
      { ...call, answer: [502, 'Bad Gateway', 'upstream fell over'] },
      { ...call, answer: [500, 'Internal Server Error', ''] },
      { ...call, answer: [200, 'OK', 'plain text'] },
      { ...call, answer: null },
    ]);
    expect(results[0]).toEqual({
      result: 'the text',
      request: {
        url: 'http://gateway:9000/files/read',
        json: { 'file-path': 'a.txt', encoding: null },
        headers: { Accept: 'application/json' },
        timeout: 300,
      },
    });
    expect(results[1]).toEqual({
      result: '{"lines": ["é"]}',
      request: {
        url: 'http://gateway:9000/files/read',
        json: { 'file-path': 'a.txt', encoding: null, tail: 3 },
        headers: { Accept: 'application/json', Authorization: 'Bearer s3cret' },
        timeout: 5,
      },
    });
    expect(results.slice(2).map(({ result }) => result)).toEqual([
      'Error 422: tail: must be integer',
      'Error 503: Not available',
      'Error 502: upstream fell over',
      'Error 500: Internal Server Error',
      'plain text',
      'Error: could not reach the MCP gateway at http://gateway:9000/files/read: connection refused',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The real tools of the reference MCP servers.
// ---------------------------------------------------------------------------------------------

describe('renderOpenWebUiTool with real MCP servers', () => {
  const clients: Client[] = [];
  const realEntries: OpenWebUiToolEntry[] = [];
  let scratch = '';

  async function listTools(server: string, args: string[] = []): Promise<OpenWebUiToolEntry[]> {
    const entryFile = path.join(root, 'node_modules', '@modelcontextprotocol', `server-${server}`, 'dist', 'index.js');
    const client = new Client({ name: 'openwebui-tool-test', version: '1.0.0' });
    clients.push(client);
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [entryFile, ...args],
        env: { ...getDefaultEnvironment(), MEMORY_FILE_PATH: path.join(scratch, 'memory.jsonl') },
        stderr: 'ignore',
      }),
    );
    const { tools } = await client.listTools();
    return tools.map((tool) => ({
      server,
      tool: { name: tool.name, title: tool.title, description: tool.description, inputSchema: tool.inputSchema },
    }));
  }

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'openwebui-tool-servers-'));
    const lists = await Promise.all([listTools('everything'), listTools('filesystem', [scratch]), listTools('memory')]);
    realEntries.push(...lists.flat());
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('renders every tool of server-everything, server-filesystem and server-memory with a matching signature', () => {
    expect(realEntries.length).toBeGreaterThan(20);
    const { inspection } = renderAndInspect(realEntries, { ...OPTIONS, title: 'MCP Gateway: reference servers' });
    expectMethodsMatch(realEntries, inspection);

    const edit = methodOf(inspection, 'filesystem_edit_file');
    expect(edit.args.slice(0, 2)).toEqual(['path', 'edits']);
    expect(annotationOf(edit, 'edits')).toBe('List[dict]');
    expect(edit.params.edits).toMatch(/Structure: \{oldText: string, newText: string\}\[\]/);
    expect(edit.description.split('\n')[0]).toBe('Edit File');
    expect(annotationOf(methodOf(inspection, 'everything_get_sum'), 'a')).toBe('float');
    expect(annotationOf(methodOf(inspection, 'memory_create_entities'), 'entities')).toBe('List[dict]');
  });
});
