// Config files written for mcpo, Claude Desktop / Claude Code and Cline work unchanged: their
// `type` spellings, `disabled`, and `alwaysAllow` / `autoApprove` (allow rules that never beat an
// explicit deny or ask). The loader through parseConfigText, then a real gateway with a real MCP
// server that counts how often a tool really ran.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../server/config/load.js';
import { ConfigError, type ConfigProblem, type RemoteServerConfig } from '../server/config/types.js';
import { callKit, expectProblem, node } from './helpers/calls.js';
import { fixture, startTestGateway, tempDir, waitForServer, type TestGateway } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';

const FILE = '/etc/mcp/gateway.json';
const parse = (config: object) => parseConfigText(JSON.stringify(config), FILE, {});
const one = (entry: object) => parse({ mcpServers: { x: entry } }).servers[0]!;

function problemsOf(config: object): ConfigProblem[] {
  try {
    parse(config);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('type spellings', () => {
  it.each(['streamable_http', 'streamablehttp', 'streamable-http', 'streamableHttp', 'http'])('%s is streamable HTTP', (type) => {
    // Even at a path ending in /sse: the type says what it is.
    const server = one({ type, url: 'http://127.0.0.1:9000/sse' }) as RemoteServerConfig;
    expect(server.transport).toBe('streamable-http');
  });
});

describe('disabled', () => {
  it.each<[object, boolean]>([
    [{ disabled: true }, false],
    [{ disabled: false }, true],
    [{ enabled: false, disabled: true }, false],
    [{ enabled: true, disabled: false }, true],
    [{}, true],
  ])('%j → enabled %s', (fields, enabled) => {
    expect(one({ command: 'node', ...fields }).enabled).toBe(enabled);
  });

  it.each([
    [{ enabled: true, disabled: true }, '"disabled": true contradicts "enabled": true (give only one of them)'],
    [{ enabled: false, disabled: false }, '"disabled": false contradicts "enabled": false (give only one of them)'],
  ])('%j is a problem at the JSON path of "disabled"', (fields, message) => {
    expect(problemsOf({ mcpServers: { fs: { command: 'node', ...fields } } })).toEqual([{ path: '$.mcpServers.fs.disabled', message }]);
  });

  it('must be a boolean', () => {
    expect(problemsOf({ mcpServers: { fs: { command: 'node', disabled: 'yes' } } })).toEqual([
      { path: '$.mcpServers.fs.disabled', message: 'expected boolean, got string' },
    ]);
  });
});

describe('alwaysAllow and autoApprove', () => {
  it('become allow rules of the server, after its own, each with its JSON path as source', () => {
    const server = one({
      command: 'node',
      approval: { rules: [{ tool: 'delete_*', action: 'ask' }] },
      alwaysAllow: ['read_file', 'list_directory'],
      autoApprove: ['search_files'],
    });
    expect(server.approval.rules).toEqual([
      { server: 'x', tool: 'delete_*', action: 'ask', when: [], source: '$.mcpServers.x.approval.rules[0]' },
      { server: 'x', tool: 'read_file', action: 'allow', when: [], source: '$.mcpServers.x.alwaysAllow[0]' },
      { server: 'x', tool: 'list_directory', action: 'allow', when: [], source: '$.mcpServers.x.alwaysAllow[1]' },
      { server: 'x', tool: 'search_files', action: 'allow', when: [], source: '$.mcpServers.x.autoApprove[0]' },
    ]);
    expect(one({ command: 'node', alwaysAllow: [] }).approval.rules).toEqual([]);
  });

  it('must be arrays of tool names', () => {
    expect(problemsOf({ mcpServers: { fs: { command: 'node', alwaysAllow: 'read_file', autoApprove: ['ok', 3, ''] } } })).toEqual([
      { path: '$.mcpServers.fs.alwaysAllow', message: 'expected array of tool names, got string' },
      { path: '$.mcpServers.fs.autoApprove[1]', message: 'expected string, got number' },
      { path: '$.mcpServers.fs.autoApprove[2]', message: 'expected non-empty string' },
    ]);
  });

  it('other keys of those clients are still unknown keys', () => {
    const problems = problemsOf({ mcpServers: { fs: { command: 'node', timeout: 60, transportType: 'stdio' } } });
    expect(problems.map((p) => p.path)).toEqual(['$.mcpServers.fs.timeout', '$.mcpServers.fs.transportType']);
    expect(problems[0]!.message).toMatch(/^unknown key "timeout" \(expected one of: .*\bdisabled\b.*\balwaysAllow, autoApprove\)$/);
  });
});

describe('a Cline-style config on a real gateway', () => {
  const kit = callKit();
  const started: TestGateway[] = [];
  afterEach(async () => {
    for (const gateway of started.splice(0)) await gateway.close();
  });

  it('runs alwaysAllow tools at once, but a matching ask or deny rule still wins over them', async () => {
    const calls = path.join(tempDir(), 'calls.log');
    const runs = (tool: string) =>
      fs.existsSync(calls)
        ? fs
            .readFileSync(calls, 'utf8')
            .split('\n')
            .filter((line) => line.startsWith(`${tool} `)).length
        : 0;
    const { app } = await kit.gateway(
      {
        fx: {
          command: node,
          args: [fixture('fixture-server.mjs')],
          env: { FIXTURE_TOOLS: 'echo,slow,add_tool,remove_tool', FIXTURE_CALLS_FILE: calls },
          alwaysAllow: ['echo', 'slow'],
          autoApprove: ['remove_tool'],
          approval: { rules: [{ tool: 'remove_tool', action: 'deny' }] },
        },
      },
      {},
      { approval: { default: 'ask', timeoutMs: 60_000, rules: [{ server: 'fx', tool: 'slow', action: 'ask' }] } },
    );

    // Listed, and no other rule matches: it runs without asking, although the default asks.
    const echo = await request(app).post('/fx/echo').send({ message: 'hi' });
    expect(echo.status).toBe(200);
    expect(echo.body).toBe('hi');
    expect(runs('echo')).toBe(1);

    // Listed, but an explicit deny rule matches: deny wins.
    const removed = await request(app).post('/fx/remove_tool').send({ name: 'echo' });
    expectProblem(removed, 403, 'denied-by-policy');
    expect(removed.body.rule).toBe('$.mcpServers.fx.approval.rules[0]');

    // Listed, but an explicit ask rule matches: the call waits. add_tool is not listed: the default asks.
    const slow = request(app)
      .post('/fx/slow')
      .send({ steps: 0, delayMs: 0 })
      .then((res) => res);
    const added = request(app)
      .post('/fx/add_tool')
      .send({ name: 'extra' })
      .then((res) => res);
    const held = await waitUntil(
      async () => {
        const res = await request(app).get('/api/approvals?state=pending');
        return res.body.items?.length === 2 ? (res.body.items as { id: string; tool: string; rule: string }[]) : undefined;
      },
      10_000,
      'two pending approvals',
    );
    expect(Object.fromEntries(held.map((item) => [item.tool, item.rule]))).toEqual({ slow: '$.approval.rules[0]', add_tool: 'default' });
    for (const item of held) await request(app).post(`/api/approvals/${item.id}/deny`).send({}).expect(200);
    expectProblem(await slow, 403, 'approval-denied');
    expectProblem(await added, 403, 'approval-denied');
    expect([runs('slow'), runs('add_tool'), runs('remove_tool')]).toEqual([0, 0, 0]);
  });

  it('does not start a server with "disabled": true; it can be switched on at run time', async () => {
    const gateway = await startTestGateway({
      approval: { default: 'allow' },
      mcpServers: { off: { command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_TOOLS: 'echo' }, disabled: true } },
    });
    started.push(gateway);
    const status = await waitForServer(gateway.supervisor, 'off', 'disabled');
    expect(status).toMatchObject({ state: 'disabled', enabled: false });
    expect(status.pid).toBeUndefined();
    expectProblem(await request(gateway.app).post('/off/echo').send({ message: 'x' }), 503, 'server-unavailable');

    await request(gateway.app).patch('/api/servers/off').send({ enabled: true }).expect(200);
    await waitForServer(gateway.supervisor, 'off', 'ready');
    expect((await request(gateway.app).post('/off/echo').send({ message: 'on' })).body).toBe('on');
  });
});
