// Open WebUI's own MCP client (`npm run test:interop`, not part of `npm test`):
// backend/open_webui/utils/mcp/client.py, driven by openwebui_mcp.py as Open WebUI's chat middleware
// drives it, lists and calls the tools of a stdio server (server-memory) through `/mcp`, with the
// headers Open WebUI sends: `Authorization: Bearer <the connection's key>` (auth type Bearer), or none
// (auth type None); and with the user and chat headers its `build_tool_server_headers` adds when
// ENABLE_FORWARD_USER_INFO_HEADERS is on (openwebui_call.py), which reach the activity log through a
// key that trusts them.
//
// Needs python3 (with venv and pip, and pip's configured package index or wheelhouse for the
// client's dependencies) and:
//   OPEN_WEBUI_DIR  a clone (or bare git directory) of Open WebUI; OPEN_WEBUI_REF the commit to read
//                   (default f9590b8, v0.11.0);
//   PYTHON_MCP_DIR  a clone (or bare git directory) of github.com/modelcontextprotocol/python-sdk, for
//                   the `mcp` package at the version Open WebUI pins (backend/requirements.txt;
//                   PYTHON_MCP_REF overrides the tag, default v<that version>); its dependencies
//                   come from pip into a virtual environment in a temporary folder.
// Open WebUI's settings module (open_webui.env, which imports most of Open WebUI) is replaced by a
// stand-in holding the three settings client.py reads, with Open WebUI's defaults.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { callKit, node } from '../helpers/calls.js';
import { tempDir } from '../helpers/gateway.js';
import { pythonWithMcp } from './fetched-tools.js';

const kit = callKit();
const KEY = 'interop-owui-key-0123456789abcdef';
const MEMORY_BIN = path.resolve('node_modules/@modelcontextprotocol/server-memory/dist/index.js');
const CLIENT_PY = 'backend/open_webui/utils/mcp/client.py';
const ENV_STANDIN = `# A stand-in for open_webui.env: the settings client.py reads, with Open WebUI's defaults.
AIOHTTP_CLIENT_SESSION_TOOL_SERVER_SSL = True
AIOHTTP_CLIENT_TIMEOUT_TOOL_SERVER = 300
MCP_INITIALIZE_TIMEOUT = 10
`;

interface Output {
  error?: string;
  tools?: { name: string; description: string; parameters: Record<string, any> }[];
  results?: { content?: { type: string; text?: string }[]; error?: string }[];
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: see the top of test/interop/openwebui-mcp.interop.ts`);
  return value;
}

const gitShow = (dir: string, ref: string, file: string) =>
  execFileSync('git', ['-C', dir, 'show', `${ref}:${file}`], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });

describe("Open WebUI's MCP client through /mcp", () => {
  let python = '';
  let pythonPath = '';

  beforeAll(() => {
    const openWebUi = required('OPEN_WEBUI_DIR');
    const openWebUiRef = process.env.OPEN_WEBUI_REF || 'f9590b8';
    const sdk = required('PYTHON_MCP_DIR');
    const dir = tempDir('mcp-gateway-owui-mcp-');

    // Open WebUI's client under its own module path.
    const owui = path.join(dir, 'owui');
    fs.mkdirSync(path.join(owui, 'open_webui/utils/mcp'), { recursive: true });
    for (const pkg of ['open_webui', 'open_webui/utils', 'open_webui/utils/mcp']) fs.writeFileSync(path.join(owui, pkg, '__init__.py'), '');
    fs.writeFileSync(path.join(owui, 'open_webui/env.py'), ENV_STANDIN);
    fs.writeFileSync(path.join(owui, 'open_webui/utils/mcp/client.py'), gitShow(openWebUi, openWebUiRef, CLIENT_PY));

    // The MCP Python SDK at the version Open WebUI pins, with the metadata its `version("mcp")` reads.
    const pinned = /^mcp==(\S+)$/m.exec(gitShow(openWebUi, openWebUiRef, 'backend/requirements.txt'))?.[1];
    if (!pinned) throw new Error(`backend/requirements.txt at ${openWebUiRef} pins no mcp version`);
    const sdkRef = process.env.PYTHON_MCP_REF || `v${pinned}`;
    const withMcp = pythonWithMcp(sdk, sdkRef, pinned, dir);
    python = withMcp.python;
    pythonPath = [owui, withMcp.pythonPath].join(path.delimiter);
  }, 300_000);

  async function openWebUi(
    url: string,
    headers: Record<string, string> | null,
    calls: { name: string; arguments: object }[] = [],
  ): Promise<Output> {
    const script = path.resolve(import.meta.dirname, 'openwebui_mcp.py');
    const { stdout } = await promisify(execFile)(python, [script, JSON.stringify({ url, headers, calls })], {
      env: { ...process.env, PYTHONPATH: pythonPath },
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(stdout) as Output;
  }

  async function memoryGateway(options: { apiKey?: string } = {}) {
    const memory = { command: node, args: [MEMORY_BIN], env: { MEMORY_FILE_PATH: path.join(tempDir(), 'memory.jsonl') } };
    const started = await kit.gateway({ memory }, {}, options);
    return { ...started, base: await kit.listen(started.app) };
  }

  const remember = [
    {
      name: 'memory__create_entities',
      arguments: { entities: [{ name: 'gateway', entityType: 'project', observations: ['speaks MCP'] }] },
    },
    { name: 'memory__read_graph', arguments: {} },
  ];

  function expectRemembered(output: Output): void {
    expect(output.error).toBeUndefined();
    const read = output.tools!.find((tool) => tool.name === 'memory__read_graph');
    expect(read).toBeDefined();
    const create = output.tools!.find((tool) => tool.name === 'memory__create_entities')!;
    expect(create.parameters).toMatchObject({ type: 'object', properties: { entities: { type: 'array' } }, required: ['entities'] });
    expect(output.results!.map((result) => result.error)).toEqual([undefined, undefined]);
    expect(output.results![1]!.content![0]!.text).toContain('speaks MCP');
  }

  it('lists and calls the tools of a stdio server on a gateway without a key (auth type None: no header)', async () => {
    const { base, gateway } = await memoryGateway();
    expectRemembered(await openWebUi(`${base}/mcp`, null, remember));
    expect(gateway.activity.list({ limit: 1 }).items[0]).toMatchObject({
      server: 'memory',
      tool: 'read_graph',
      surface: 'mcp',
      outcome: 'ok',
    });
    // Auth type Bearer with an empty key makes Open WebUI send `Bearer `, which its HTTP library
    // refuses to send at all: README tells to choose None for a gateway without a key.
    expect((await openWebUi(`${base}/mcp`, { Authorization: 'Bearer ' })).error).toMatch(/Illegal header value b'Bearer '/);
  });

  it("sends the connection's key as a Bearer header to a gateway with a key, and cannot connect without it or with a wrong one", async () => {
    const { base } = await memoryGateway({ apiKey: KEY });
    expectRemembered(await openWebUi(`${base}/mcp`, { Authorization: `Bearer ${KEY}` }, remember));
    // As on every route: no key is 401, a wrong one 403 (README "Authentication").
    for (const [headers, status] of [
      [{ Authorization: 'Bearer not-the-key-0123456789' }, /403 Forbidden/],
      [null, /401 Unauthorized/],
    ] as const) {
      const refused = await openWebUi(`${base}/mcp`, headers);
      expect(refused.tools).toBeUndefined();
      expect(refused.error).toMatch(status);
    }
  });

  it('records the user and chat Open WebUI forwards with ENABLE_FORWARD_USER_INFO_HEADERS, through a key that trusts them', async () => {
    const { base, gateway } = await memoryGateway({ apiKey: KEY });
    const made = await fetch(`${base}/api/keys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ label: 'Open WebUI', trustForwardedUser: true }),
    });
    expect(made.status).toBe(201);
    const trusted = ((await made.json()) as { token: string }).token;
    // The headers Open WebUI's backend builds for the connection (its own code, from OPEN_WEBUI_DIR).
    const openWebUiDir = required('OPEN_WEBUI_DIR');
    const ref = process.env.OPEN_WEBUI_REF || 'f9590b8';
    const dir = tempDir('mcp-gateway-owui-headers-');
    const files = [
      ['tools.py', 'backend/open_webui/utils/tools.py'],
      ['headers.py', 'backend/open_webui/utils/headers.py'],
      ['env.py', 'backend/open_webui/env.py'],
    ].map(([name, file]) => {
      fs.writeFileSync(path.join(dir, name!), gitShow(openWebUiDir, ref, file!));
      return path.join(dir, name!);
    });
    const user = { id: '9c4d2b1a-user', name: 'Zoë', email: 'zoe@example.com', role: 'admin' };
    const env: NodeJS.ProcessEnv = { ...process.env, ENABLE_FORWARD_USER_INFO_HEADERS: 'true' };
    delete env.FORWARD_USER_INFO_HEADER_JWT_SECRET;
    const built = await promisify(execFile)(
      'python3',
      [
        path.resolve(import.meta.dirname, 'openwebui_call.py'),
        ...files,
        JSON.stringify({ key: trusted, user, metadata: { chat_id: 'chat-9', message_id: 'message-9' } }),
      ],
      { encoding: 'utf8', env },
    );
    const sent = (JSON.parse(built.stdout) as { sent: Record<string, string> }).sent;
    expect(Object.keys(sent).sort()).toEqual([
      'X-OpenWebUI-Chat-Id',
      'X-OpenWebUI-Message-Id',
      'X-OpenWebUI-User-Email',
      'X-OpenWebUI-User-Id',
      'X-OpenWebUI-User-Name',
      'X-OpenWebUI-User-Role',
    ]);
    expectRemembered(await openWebUi(`${base}/mcp`, { Authorization: `Bearer ${trusted}`, ...sent }, remember));
    const calls = gateway.activity.list({ limit: 2 }).items;
    expect(calls.map((call) => call.user)).toEqual([
      { ...user, chatId: 'chat-9', messageId: 'message-9' },
      { ...user, chatId: 'chat-9', messageId: 'message-9' },
    ]);
    // The start-up key does not vouch for them.
    const read = await openWebUi(`${base}/mcp`, { Authorization: `Bearer ${KEY}`, ...sent }, [remember[1]!]);
    expect(read.results).toEqual([{ content: expect.any(Array) }]);
    expect(gateway.activity.list({ limit: 1 }).items[0]).toMatchObject({ tool: 'read_graph', user: null });
  });
});
