import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_APPROVAL_SETTINGS,
  DEFAULT_GATEWAY_SETTINGS,
  loadConfigFile,
  parseConfigText,
  quickModeConfig,
} from '../server/config/load.js';
import {
  ConfigError,
  type ArgumentCondition,
  type ConfigProblem,
  type RemoteServerConfig,
  type StdioServerConfig,
} from '../server/config/types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-config-'));
const FILE = path.join(dir, 'gateway.json');
const SECRET_FILE = path.join(dir, 'remote-secret');
const FILE_SECRET = 'file-secret-Zq81';
fs.writeFileSync(SECRET_FILE, `  ${FILE_SECRET}\n\n`);

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

type Env = Record<string, string>;

function parse(config: unknown, env: Env = {}) {
  return parseConfigText(typeof config === 'string' ? config : JSON.stringify(config), FILE, env);
}

function configError(config: unknown, env: Env = {}): ConfigError {
  try {
    parse(config, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const problemsOf = (config: unknown, env: Env = {}): ConfigProblem[] => configError(config, env).problems;

/** A config with the one server `x`. */
const server = (entry: unknown) => ({ mcpServers: { x: entry } });

const MCPO_EXAMPLE = {
  gateway: { toolTimeoutMs: 45000 },
  mcpServers: {
    everything: {
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-everything'],
      env: { TOKEN: '${TOKEN}' },
      cwd: '/srv',
    },
    remote: {
      type: 'streamable-http',
      url: 'https://example.com/mcp',
      headers: { Authorization: `Bearer \${file:${SECRET_FILE}}` },
    },
    legacy: { type: 'sse', url: 'http://127.0.0.1:9000/sse', enabled: false },
  },
};

describe('valid config', () => {
  it('reads an mcpo-style config, expanding ${VAR} and ${file:…}', () => {
    const config = parse(MCPO_EXAMPLE, { TOKEN: 'env-token-value' });
    expect(config.source).toBe(FILE);
    expect(config.gateway).toEqual({ ...DEFAULT_GATEWAY_SETTINGS, toolTimeoutMs: 45000 });
    expect(config.servers.map((s) => s.name)).toEqual(['everything', 'remote', 'legacy']);

    const [everything, remote, legacy] = config.servers as [StdioServerConfig, RemoteServerConfig, RemoteServerConfig];
    expect(everything).toMatchObject({
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-everything'],
      env: { TOKEN: 'env-token-value' },
      cwd: '/srv',
      enabled: true,
    });
    expect(remote).toMatchObject({
      transport: 'streamable-http',
      url: 'https://example.com/mcp',
      headers: { Authorization: `Bearer ${FILE_SECRET}` },
      enabled: true,
    });
    expect(legacy).toMatchObject({ transport: 'sse', url: 'http://127.0.0.1:9000/sse', headers: {}, enabled: false });
  });

  it('keeps only unexpanded strings and names in display', () => {
    const config = parse(MCPO_EXAMPLE, { TOKEN: 'env-token-value' });
    const [everything, remote] = config.servers;
    expect(everything?.display).toEqual({
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-everything'],
      cwd: '/srv',
      envNames: ['TOKEN'],
    });
    expect(remote?.display).toEqual({ url: 'https://example.com/mcp', headerNames: ['Authorization'] });

    const withSecrets = parse(server({ command: '${CMD}', args: ['--token=${TOKEN}'], cwd: '${DIR}' }), {
      CMD: '/opt/bin/srv',
      TOKEN: 'env-token-value',
      DIR: '/var/lib/srv',
    });
    expect(withSecrets.servers[0]?.display).toEqual({
      command: '${CMD}',
      args: ['--token=${TOKEN}'],
      cwd: '${DIR}',
      envNames: [],
    });
    expect(JSON.stringify(config.servers.map((s) => s.display))).not.toMatch(/env-token-value|file-secret/);
  });

  it('loadConfigFile reads from disk and records the absolute path', () => {
    const file = path.join(dir, 'on-disk.json');
    fs.writeFileSync(file, JSON.stringify(server({ command: 'srv' })));
    const config = loadConfigFile(path.join(dir, 'sub', '..', 'on-disk.json'), {});
    expect(config.source).toBe(file);
    expect(config.servers).toHaveLength(1);
  });

  it('accepts an empty mcpServers object and a UTF-8 byte order mark', () => {
    expect(parse('\uFEFF{"mcpServers": {}}').servers).toEqual([]);
  });

  it.each([
    ['streamable-http', 'streamable-http'],
    ['streamableHttp', 'streamable-http'],
    ['http', 'streamable-http'],
    ['sse', 'sse'],
  ] as const)('type %s means transport %s', (type, transport) => {
    const [s] = parse(server({ type, url: 'https://example.com/mcp' })).servers;
    expect(s?.transport).toBe(transport);
  });

  it('type stdio is allowed with command', () => {
    expect(parse(server({ type: 'stdio', command: 'srv' })).servers[0]?.transport).toBe('stdio');
  });

  it.each([
    ['https://example.com/mcp', 'streamable-http'],
    ['https://example.com/', 'streamable-http'],
    ['https://example.com/ssefoo', 'streamable-http'],
    ['http://127.0.0.1:9000/sse', 'sse'],
    ['http://127.0.0.1:9000/v1/sse/', 'sse'],
    ['http://127.0.0.1:9000/sse?session=1', 'sse'],
  ] as const)('url %s without type is %s', (url, transport) => {
    expect(parse(server({ url })).servers[0]?.transport).toBe(transport);
  });

  it('an explicit type beats inference from the url', () => {
    expect(parse(server({ type: 'http', url: 'https://example.com/sse' })).servers[0]?.transport).toBe('streamable-http');
  });
});

describe('defaults', () => {
  it('documents the gateway defaults', () => {
    expect(DEFAULT_GATEWAY_SETTINGS).toEqual({
      toolTimeoutMs: 60000,
      maxTimeoutMs: 600000,
      maxTotalTimeoutMs: 600000,
      questionTimeoutMs: 600000,
      initTimeoutMs: 30000,
      maxConcurrent: 8,
      maxQueue: 64,
      userConnectionIdleMs: 600000,
      maxUserConnections: 50,
      pingIntervalMs: 30000,
      pingTimeoutMs: 10000,
      backoffInitialMs: 1000,
      backoffMaxMs: 60000,
      stopGraceMs: 5000,
      allowedHosts: [],
      maxBodyBytes: 1048576,
      maxJsonDepth: 64,
      maxConnections: 1024,
      headersTimeoutMs: 10000,
      requestTimeoutMs: 30000,
      maxResultBytes: 4194304,
      maxMessageBytes: 67108864,
      heartbeatMs: 15000,
      finishedCallTtlMs: 900000,
      asyncCalls: { maxFinished: 1000, maxFinishedBytes: 268435456, maxPerCaller: 32 },
      mcp: { maxSessions: 1000, sessionIdleMs: 600000 },
      activity: { maxRows: 100000, maxAgeDays: 30 },
      cors: { origins: [] },
      publicSpecs: false,
      basePath: '',
      sessionTtlMs: 604_800_000,
      openapi: { maxRefDepth: 3 },
      trustTailscaleHeaders: false,
      redact: { keys: [] },
      serverLogLines: 200,
    });
    expect(DEFAULT_APPROVAL_SETTINGS).toEqual({
      default: 'ask',
      timeoutMs: 120000,
      rules: [],
      notify: [],
      maxPending: 200,
      maxPendingPerCaller: 20,
      notifyIntervalMs: 30000,
    });
  });

  it('fills every gateway setting and server field from defaults', () => {
    const config = parse(server({ command: 'srv' }));
    expect(config.gateway).toEqual(DEFAULT_GATEWAY_SETTINGS);
    expect(config.approval).toEqual(DEFAULT_APPROVAL_SETTINGS);
    expect(config.servers[0]).toEqual({
      name: 'x',
      transport: 'stdio',
      command: 'srv',
      args: [],
      env: {},
      enabled: true,
      timeoutMs: 60000,
      toolTimeouts: {},
      initTimeoutMs: 30000,
      maxConcurrent: 8,
      maxQueue: 64,
      disabledTools: [],
      exposeAsTools: { resources: false, prompts: false },
      approval: { rules: [] },
      display: { command: 'srv', args: [], envNames: [] },
      roots: [],
      sampling: false,
    });
    config.gateway.allowedHosts.push('changed');
    expect(DEFAULT_GATEWAY_SETTINGS.allowedHosts).toEqual([]);
    config.approval.rules.push({ server: '*', tool: '*', action: 'deny', when: [], source: 'changed' });
    config.approval.notify.push({ url: 'https://changed.example' });
    expect(DEFAULT_APPROVAL_SETTINGS).toMatchObject({ rules: [], notify: [] });
  });

  it('merges a partial gateway.activity section over its defaults', () => {
    const config = parse({ gateway: { activity: { maxRows: 10 } }, mcpServers: {} });
    expect(config.gateway.activity).toEqual({ maxRows: 10, maxAgeDays: 30 });
    expect(DEFAULT_GATEWAY_SETTINGS.activity.maxRows).toBe(100000);
  });

  it('merges a partial gateway.asyncCalls section over its defaults, and names a bad value', () => {
    const config = parse({ gateway: { asyncCalls: { maxPerCaller: 4 } }, mcpServers: {} });
    expect(config.gateway.asyncCalls).toEqual({ maxFinished: 1000, maxFinishedBytes: 268435456, maxPerCaller: 4 });
    expect(DEFAULT_GATEWAY_SETTINGS.asyncCalls.maxPerCaller).toBe(32);
    expect(problemsOf({ gateway: { asyncCalls: { maxPerCaller: 0 } }, mcpServers: {} })).toEqual([
      { path: '$.gateway.asyncCalls.maxPerCaller', message: 'expected positive integer, got 0' },
    ]);
  });

  it('servers inherit the gateway section and may override it', () => {
    const config = parse({
      gateway: { toolTimeoutMs: 1000, initTimeoutMs: 2000, maxConcurrent: 3, maxQueue: 0, pingIntervalMs: 0, allowedHosts: ['gw.example'] },
      mcpServers: {
        inherits: { command: 'a' },
        overrides: {
          url: 'https://example.com/mcp',
          timeoutMs: 5,
          initTimeoutMs: 6,
          maxConcurrent: 7,
          maxQueue: 9,
          disabledTools: ['rm'],
          description: 'remote one',
          toolTimeouts: { slow: 120000 },
        },
      },
    });
    expect(config.servers[1]!.toolTimeouts).toEqual({ slow: 120000 });
    expect(config.gateway).toMatchObject({ pingIntervalMs: 0, maxQueue: 0, allowedHosts: ['gw.example'] });
    expect(config.servers[0]).toMatchObject({ timeoutMs: 1000, initTimeoutMs: 2000, maxConcurrent: 3, maxQueue: 0 });
    expect(config.servers[1]).toMatchObject({
      timeoutMs: 5,
      initTimeoutMs: 6,
      maxConcurrent: 7,
      maxQueue: 9,
      disabledTools: ['rm'],
      description: 'remote one',
    });
  });
});

describe('${…} expansion', () => {
  const expandArg = (arg: string, env: Env = {}) =>
    (parse(server({ command: 'srv', args: [arg] }), env).servers[0] as StdioServerConfig).args[0];

  it.each([
    ['$${HOME}', '${HOME}'],
    ['a$${X}b${X}', 'a${X}b1'],
    ['${X}-${Y}', '1-2'],
    ['${EMPTY}', ''],
    ['cost: $5 and $$ and $', 'cost: $5 and $$ and $'],
  ])('%s → %s', (raw, expanded) => {
    expect(expandArg(raw, { X: '1', Y: '2', EMPTY: '' })).toBe(expanded);
  });

  it('expands command, env, cwd, url and header values', () => {
    const env = { BIN: 'srv', V: 'value', HOST: 'example.com' };
    const config = parse(
      {
        mcpServers: {
          s: { command: '/opt/${BIN}', env: { K: '${V}' }, cwd: '/srv/${BIN}' },
          r: { url: 'https://${HOST}/mcp', headers: { 'X-Key': 'k-${V}' } },
        },
      },
      env,
    );
    const [s, r] = config.servers as [StdioServerConfig, RemoteServerConfig];
    expect(s).toMatchObject({ command: '/opt/srv', env: { K: 'value' }, cwd: '/srv/srv' });
    expect(r).toMatchObject({ url: 'https://example.com/mcp', headers: { 'X-Key': 'k-value' } });
  });

  it('reads ${file:…} relative to the config file and trims it', () => {
    expect(expandArg('--key=${file:remote-secret}')).toBe(`--key=${FILE_SECRET}`);
  });

  it('resolves a relative cwd against the config file', () => {
    expect((parse(server({ command: 'srv', cwd: 'work' })).servers[0] as StdioServerConfig).cwd).toBe(path.join(dir, 'work'));
  });

  it('does not expand description or the gateway section', () => {
    const config = parse({ gateway: { allowedHosts: ['${HOST}'] }, mcpServers: { x: { command: 'srv', description: 'uses ${TOKEN}' } } });
    expect(config.gateway.allowedHosts).toEqual(['${HOST}']);
    expect(config.servers[0]?.description).toBe('uses ${TOKEN}');
  });
});

describe('problems', () => {
  const LONG_NAME = 'a'.repeat(65);
  const cases: Array<[string, unknown, Env, string, string]> = [
    [
      'unknown top-level key',
      { mcpServers: {}, servers: {} },
      {},
      '$.servers',
      'unknown key "servers" (expected one of: gateway, approval, sampling, mcpServers, groups)',
    ],
    [
      'unknown gateway key',
      { gateway: { timeout: 1 }, mcpServers: {} },
      {},
      '$.gateway.timeout',
      'unknown key "timeout" (expected one of: toolTimeoutMs',
    ],
    [
      'unknown server key',
      server({ command: 'srv', foo: 1 }),
      {},
      '$.mcpServers.x.foo',
      'unknown key "foo" (expected one of: command, args, env, cwd, url',
    ],
    [
      'bad server name',
      { mcpServers: { 'bad name': { command: 'srv' } } },
      {},
      '$.mcpServers["bad name"]',
      'server name must match ^[A-Za-z0-9_-]{1,64}$',
    ],
    [
      'reserved server name',
      { mcpServers: { api: { command: 'srv' } } },
      {},
      '$.mcpServers.api',
      'server name must not be one of "api", "ui", "static", "mcp" (the gateway\'s own routes)',
    ],
    ['server name too long', { mcpServers: { [LONG_NAME]: { command: 'srv' } } }, {}, `$.mcpServers.${LONG_NAME}`, 'at most 64'],
    ['gateway not an object', { gateway: [], mcpServers: {} }, {}, '$.gateway', 'expected object, got array'],
    [
      'gateway number not positive',
      { gateway: { toolTimeoutMs: 0 }, mcpServers: {} },
      {},
      '$.gateway.toolTimeoutMs',
      'expected positive integer, got 0',
    ],
    [
      'gateway pingIntervalMs negative',
      { gateway: { pingIntervalMs: -1 }, mcpServers: {} },
      {},
      '$.gateway.pingIntervalMs',
      'expected non-negative integer, got -1',
    ],
    [
      'gateway maxQueue fractional',
      { gateway: { maxQueue: 0.5 }, mcpServers: {} },
      {},
      '$.gateway.maxQueue',
      'expected non-negative integer, got 0.5',
    ],
    [
      'gateway allowedHosts a string',
      { gateway: { allowedHosts: 'a' }, mcpServers: {} },
      {},
      '$.gateway.allowedHosts',
      'expected array of strings, got string',
    ],
    [
      'gateway allowedHosts element',
      { gateway: { allowedHosts: ['a', 1] }, mcpServers: {} },
      {},
      '$.gateway.allowedHosts[1]',
      'expected string, got number',
    ],
    [
      'cors origins a string',
      { gateway: { cors: { origins: 'https://a.example' } }, mcpServers: {} },
      {},
      '$.gateway.cors.origins',
      'expected array of origins, got string',
    ],
    [
      'cors origin a wildcard',
      { gateway: { cors: { origins: ['*'] } }, mcpServers: {} },
      {},
      '$.gateway.cors.origins[0]',
      '"*" is not allowed), got "*"',
    ],
    [
      'cors origin with a path',
      { gateway: { cors: { origins: ['https://a.example/chat'] } }, mcpServers: {} },
      {},
      '$.gateway.cors.origins[0]',
      'expected an origin like',
    ],
    [
      'publicSpecs not a boolean',
      { gateway: { publicSpecs: 'yes' }, mcpServers: {} },
      {},
      '$.gateway.publicSpecs',
      'expected boolean, got string',
    ],
    [
      'openapi maxRefDepth zero',
      { gateway: { openapi: { maxRefDepth: 0 } }, mcpServers: {} },
      {},
      '$.gateway.openapi.maxRefDepth',
      'expected positive integer, got 0',
    ],
    ['mcpServers missing', { gateway: {} }, {}, '$.mcpServers', 'missing'],
    ['mcpServers an array', { mcpServers: [] }, {}, '$.mcpServers', 'expected object, got array'],
    ['top level an array', [], {}, '$', 'expected object, got array'],
    ['top level null', null, {}, '$', 'expected object, got null'],
    ['server not an object', server('npx srv'), {}, '$.mcpServers.x', 'expected object, got string'],
    ['neither command nor url', server({ args: [] }), {}, '$.mcpServers.x', 'expected "command" (stdio server) or "url" (remote server)'],
    ['both command and url', server({ command: 'srv', url: 'https://example.com/mcp' }), {}, '$.mcpServers.x', 'not both'],
    ['command a number', server({ command: 5 }), {}, '$.mcpServers.x.command', 'expected string, got number'],
    ['command empty', server({ command: '' }), {}, '$.mcpServers.x.command', 'expected non-empty string'],
    ['command expands to nothing', server({ command: '${CMD}' }), { CMD: '' }, '$.mcpServers.x.command', 'expands to an empty string'],
    ['args an object', server({ command: 'srv', args: { a: 1 } }), {}, '$.mcpServers.x.args', 'expected array of strings, got object'],
    ['args element', server({ command: 'srv', args: ['a', 2] }), {}, '$.mcpServers.x.args[1]', 'expected string, got number'],
    ['env an array', server({ command: 'srv', env: ['A=1'] }), {}, '$.mcpServers.x.env', 'expected object of strings, got array'],
    ['env value', server({ command: 'srv', env: { A: 1 } }), {}, '$.mcpServers.x.env.A', 'expected string, got number'],
    ['cwd a boolean', server({ command: 'srv', cwd: true }), {}, '$.mcpServers.x.cwd', 'expected string, got boolean'],
    [
      'header value',
      server({ url: 'https://example.com/mcp', headers: { 'X-Api-Key': true } }),
      {},
      '$.mcpServers.x.headers["X-Api-Key"]',
      'expected string, got boolean',
    ],
    ['url not http', server({ url: 'ftp://example.com/x' }), {}, '$.mcpServers.x.url', 'expected an http: or https: URL, got ftp:'],
    ['url not a URL', server({ url: 'example.com/mcp' }), {}, '$.mcpServers.x.url', 'expected an absolute http:// or https:// URL'],
    ['url a number', server({ url: 8080 }), {}, '$.mcpServers.x.url', 'expected string, got number'],
    [
      'unknown type',
      server({ type: 'websocket', url: 'https://example.com/mcp' }),
      {},
      '$.mcpServers.x.type',
      'expected one of "stdio", "sse", "streamable-http", "streamableHttp", "http", "streamable_http", "streamablehttp", got "websocket"',
    ],
    [
      'type sse with command',
      server({ type: 'sse', command: 'srv' }),
      {},
      '$.mcpServers.x.type',
      'type "sse" is for remote servers with "url"',
    ],
    [
      'type stdio with url',
      server({ type: 'stdio', url: 'https://example.com/mcp' }),
      {},
      '$.mcpServers.x.type',
      'type "stdio" is for servers with "command"',
    ],
    [
      'headers on a stdio server',
      server({ command: 'srv', headers: {} }),
      {},
      '$.mcpServers.x.headers',
      '"headers" only applies to remote servers',
    ],
    [
      'protocol on a stdio server',
      server({ command: 'srv', protocol: '2026-07-28' }),
      {},
      '$.mcpServers.x.protocol',
      '"protocol" only applies to remote servers',
    ],
    [
      'protocol 2026-07-28 over SSE',
      server({ url: 'https://example.com/sse', protocol: '2026-07-28' }),
      {},
      '$.mcpServers.x.protocol',
      'protocol "2026-07-28" needs streamable HTTP, but this server uses SSE',
    ],
    [
      'protocol unknown',
      server({ url: 'https://example.com/mcp', protocol: '2024-11-05' }),
      {},
      '$.mcpServers.x.protocol',
      'expected one of',
    ],
    [
      'env on a remote server',
      server({ url: 'https://example.com/mcp', env: {} }),
      {},
      '$.mcpServers.x.env',
      '"env" only applies to stdio servers',
    ],
    ['enabled a string', server({ command: 'srv', enabled: 'yes' }), {}, '$.mcpServers.x.enabled', 'expected boolean, got string'],
    ['timeoutMs negative', server({ command: 'srv', timeoutMs: -5 }), {}, '$.mcpServers.x.timeoutMs', 'expected positive integer, got -5'],
    [
      'timeoutMs a string',
      server({ command: 'srv', timeoutMs: '100' }),
      {},
      '$.mcpServers.x.timeoutMs',
      'expected positive integer, got string',
    ],
    [
      'toolTimeouts value zero',
      server({ command: 'srv', toolTimeouts: { slow: 0 } }),
      {},
      '$.mcpServers.x.toolTimeouts.slow',
      'expected positive integer, got 0',
    ],
    [
      'toolTimeouts not an object',
      server({ command: 'srv', toolTimeouts: [1] }),
      {},
      '$.mcpServers.x.toolTimeouts',
      'expected object of tool names to positive integers, got array',
    ],
    [
      'gateway activity unknown key',
      { gateway: { activity: { maxRow: 5 } }, mcpServers: {} },
      {},
      '$.gateway.activity.maxRow',
      'unknown key "maxRow" (expected one of: maxRows, maxAgeDays)',
    ],
    [
      'gateway maxBodyBytes zero',
      { gateway: { maxBodyBytes: 0 }, mcpServers: {} },
      {},
      '$.gateway.maxBodyBytes',
      'expected positive integer, got 0',
    ],
    [
      'initTimeoutMs zero',
      server({ command: 'srv', initTimeoutMs: 0 }),
      {},
      '$.mcpServers.x.initTimeoutMs',
      'expected positive integer, got 0',
    ],
    [
      'maxConcurrent fractional',
      server({ command: 'srv', maxConcurrent: 1.5 }),
      {},
      '$.mcpServers.x.maxConcurrent',
      'expected positive integer, got 1.5',
    ],
    ['maxQueue negative', server({ command: 'srv', maxQueue: -1 }), {}, '$.mcpServers.x.maxQueue', 'expected non-negative integer, got -1'],
    [
      'disabledTools a string',
      server({ command: 'srv', disabledTools: 'rm' }),
      {},
      '$.mcpServers.x.disabledTools',
      'expected array of strings, got string',
    ],
    ['description a number', server({ command: 'srv', description: 1 }), {}, '$.mcpServers.x.description', 'expected string, got number'],
    [
      'exposeAsTools with a string',
      server({ command: 'srv', exposeAsTools: { resources: 'yes' } }),
      {},
      '$.mcpServers.x.exposeAsTools.resources',
      'expected boolean, got string',
    ],
    [
      'exposeAsTools with an unknown key',
      server({ command: 'srv', exposeAsTools: { tools: true } }),
      {},
      '$.mcpServers.x.exposeAsTools.tools',
      'unknown key "tools" (expected one of: resources, prompts)',
    ],
    [
      'missing env variable',
      server({ command: 'srv', env: { TOKEN: '${TOKEN}' } }),
      {},
      '$.mcpServers.x.env.TOKEN',
      'environment variable TOKEN is not set',
    ],
    [
      'missing variable in a header',
      server({ url: 'https://example.com/mcp', headers: { Authorization: 'Bearer ${API_TOKEN}' } }),
      {},
      '$.mcpServers.x.headers.Authorization',
      'environment variable API_TOKEN is not set',
    ],
    [
      'missing variable in the url',
      server({ url: '${REMOTE_URL}' }),
      {},
      '$.mcpServers.x.url',
      'environment variable REMOTE_URL is not set',
    ],
    [
      'missing secret file',
      server({ command: 'srv', args: ['${file:/nonexistent/mcp-gateway-secret}'] }),
      {},
      '$.mcpServers.x.args[0]',
      'cannot read secret file /nonexistent/mcp-gateway-secret (ENOENT)',
    ],
    [
      'secret file is a directory',
      server({ command: 'srv', cwd: `\${file:${dir}}` }),
      {},
      '$.mcpServers.x.cwd',
      `cannot read secret file ${dir} (EISDIR)`,
    ],
    [
      'invalid reference',
      server({ command: 'srv', args: ['a${bad-name}'] }),
      {},
      '$.mcpServers.x.args[0]',
      'invalid reference at character 2',
    ],
    ['empty file reference', server({ command: 'srv', args: ['${file:}'] }), {}, '$.mcpServers.x.args[0]', 'empty path in "${file:}"'],
    ['unterminated reference', server({ command: '${CMD' }), { CMD: 'srv' }, '$.mcpServers.x.command', 'unterminated "${" at character 1'],
    ['duplicate server', '{"mcpServers": {"a": {"command": "x"}, "a": {"command": "y"}}}', {}, '$.mcpServers.a', 'duplicate key "a"'],
    [
      'duplicate env name',
      '{"mcpServers": {"a": {"command": "x", "env": {"K": "1", "K": "2"}}}}',
      {},
      '$.mcpServers.a.env.K',
      'duplicate key "K"',
    ],
  ];

  it.each(cases)('%s', (_label, config, env, problemPath, message) => {
    const problems = problemsOf(config, env);
    expect(problems).toEqual([{ path: problemPath, message: expect.stringContaining(message) }]);
  });

  it('reports a missing config file as one problem with its absolute path', () => {
    const missing = path.join(dir, 'nope', '..', 'missing.json');
    let error: unknown;
    try {
      loadConfigFile(missing, {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configErr = error as ConfigError;
    expect(configErr.file).toBe(path.join(dir, 'missing.json'));
    expect(configErr.problems).toEqual([{ path: '$', message: 'cannot read config file (ENOENT)' }]);
  });

  it('reports every mistake at once, and formats lines as file: path: message', () => {
    const error = configError(
      {
        gateway: { maxConcurrent: 0, colour: 'blue' },
        mcpServers: {
          'bad name': { command: 'srv' },
          a: { command: 'srv', args: 'x', timeoutMs: -1, env: { T: '${T}' } },
          b: { type: 'sse', url: 'ftp://example.com' },
          c: {},
        },
      },
      {},
    );
    expect(error.problems.map((p) => p.path).sort()).toEqual(
      [
        '$.gateway.maxConcurrent',
        '$.gateway.colour',
        '$.mcpServers["bad name"]',
        '$.mcpServers.a.args',
        '$.mcpServers.a.timeoutMs',
        '$.mcpServers.a.env.T',
        '$.mcpServers.b.url',
        '$.mcpServers.c',
      ].sort(),
    );
    expect(error.lines()).toContain(`${FILE}: $.mcpServers.a.args: expected array of strings, got string`);
    expect(error.message.split('\n')).toHaveLength(8);
  });

  it('never puts an expanded value in a message', () => {
    const env = { SECRET_TOKEN: 'env-secret-Xy77', SECRET_URL: 'ftp://user:url-secret-Pw12@example.com/mcp' };
    const error = configError(
      {
        mcpServers: {
          s: { command: 'srv', env: { TOKEN: '${SECRET_TOKEN}', OTHER: '${UNSET}' }, args: ['--key=${SECRET_TOKEN}', 5] },
          r: { url: '${SECRET_URL}', headers: { Authorization: `Bearer \${file:${SECRET_FILE}}` }, timeoutMs: 'soon' },
          u: { url: 'https://x/${SECRET_TOKEN}/${file:remote-secret}', command: '${SECRET_TOKEN}' },
        },
      },
      env,
    );
    expect(error.problems.length).toBeGreaterThanOrEqual(4);
    const text = `${error.message}\n${JSON.stringify(error.problems)}`;
    for (const secret of ['env-secret-Xy77', 'url-secret-Pw12', FILE_SECRET]) expect(text).not.toContain(secret);
  });
});

describe('file-level problems', () => {
  const single = (text: string): ConfigProblem => {
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    return problems[0] as ConfigProblem;
  };

  it.each(['', '  \n\t\n'])('an empty file (%j) says what is expected', (text) => {
    expect(single(text)).toEqual({ path: '$', message: 'file is empty (expected a JSON object with "mcpServers")' });
  });

  it.each([
    ['a trailing comma', '{\n  "mcpServers": {\n    "a": {"x": 1,}\n  }\n}', 'invalid JSON at line 3, column 18: '],
    ['a bare word', '{\n  "mcpServers": {\n    "a": nope\n  }\n}', 'invalid JSON at line 3, column 10: invalid symbol'],
    ['a missing value', '{\n  "mcpServers": {\n    "a": }\n}', 'invalid JSON at line 3, column 10: '],
    ['a truncated file', '{"mcpServers": {', 'invalid JSON at line 1, column 17: '],
    ['trailing text', '{"mcpServers": {}} x', 'invalid JSON at line 1, column 20: invalid symbol'],
  ])('invalid JSON with %s gives line and column', (_label, text, prefix) => {
    const problem = single(text);
    expect(problem.path).toBe('$');
    expect(problem.message.startsWith(prefix)).toBe(true);
    expect(problem.message).toMatch(/^invalid JSON at line \d+, column \d+: \S/);
    expect(problem.message).not.toMatch(/position|is not valid JSON/);
  });

  it('does not quote the file text in a JSON syntax error', () => {
    // V8 quotes the text around an unexpected token: here the unquoted header value.
    const problem = single('{"mcpServers": {"r": {"url": "https://x", "headers": {"Authorization": Bearer Kq3}}}}');
    expect(problem.message).toMatch(/^invalid JSON at line 1, column \d+: /);
    expect(problem.message).not.toMatch(/Bearer|Kq3/);
  });
});

describe('approval', () => {
  const HOOK_SECRET = 'hook-secret-Vb93';
  const HOOK_FILE = path.join(dir, 'hook-secret');
  fs.writeFileSync(HOOK_FILE, `${HOOK_SECRET}\n`);

  const POLICY = {
    default: 'deny',
    timeoutMs: 30000,
    rules: [
      { server: 'fs*', tool: 'write_*', action: 'ask', when: [{ pointer: '/path', matches: '^/etc/' }] },
      {
        action: 'allow',
        when: [
          { pointer: '/mode', in: ['r', { deep: [1] }] },
          { pointer: '', equals: null },
        ],
      },
      { tool: 'read_?', action: 'allow' },
    ],
    notify: [{ url: 'https://ntfy.sh/my-topic', secretFile: 'hook-secret' }, { url: 'http://127.0.0.1:9/hook' }],
    maxPending: 50,
    maxPendingPerCaller: 5,
    notifyIntervalMs: 0,
  };

  it('resolves the top-level section, with globs defaulting to "*" and each rule\'s source', () => {
    const config = parse({ approval: POLICY, mcpServers: {} });
    expect(config.approval).toEqual({
      default: 'deny',
      timeoutMs: 30000,
      rules: [
        { server: 'fs*', tool: 'write_*', action: 'ask', when: [{ pointer: '/path', matches: /^\/etc\// }], source: '$.approval.rules[0]' },
        {
          server: '*',
          tool: '*',
          action: 'allow',
          when: [
            { pointer: '/mode', in: ['r', { deep: [1] }] },
            { pointer: '', equals: null },
          ],
          source: '$.approval.rules[1]',
        },
        { server: '*', tool: 'read_?', action: 'allow', when: [], source: '$.approval.rules[2]' },
      ],
      notify: [{ url: 'https://ntfy.sh/my-topic', secret: HOOK_SECRET }, { url: 'http://127.0.0.1:9/hook' }],
      maxPending: 50,
      maxPendingPerCaller: 5,
      notifyIntervalMs: 0,
    });
    const matching = config.approval.rules[0]!.when[0] as ArgumentCondition;
    expect(matching.matches).toBeInstanceOf(RegExp);
    expect(matching.matches!.test('/etc/passwd')).toBe(true);
    expect(Object.hasOwn(config.approval.rules[1]!.when[1]!, 'equals')).toBe(true);
    expect(Object.hasOwn(config.approval.notify[1]!, 'secret')).toBe(false);
  });

  it('fills missing top-level fields from the defaults', () => {
    expect(parse({ approval: { timeoutMs: 5 }, mcpServers: {} }).approval).toEqual({ ...DEFAULT_APPROVAL_SETTINGS, timeoutMs: 5 });
    expect(parse({ approval: {}, mcpServers: {} }).approval).toEqual(DEFAULT_APPROVAL_SETTINGS);
  });

  it("resolves a server's own section: its rules name the server", () => {
    const config = parse({
      approval: { default: 'allow' },
      mcpServers: {
        'my-fs': {
          command: 'srv',
          approval: { default: 'ask', timeoutMs: 1000, rules: [{ tool: 'rm', action: 'deny' }, { action: 'ask' }] },
        },
        plain: { command: 'srv', approval: {} },
      },
    });
    expect(config.approval.default).toBe('allow');
    expect(config.servers[0]!.approval).toEqual({
      default: 'ask',
      timeoutMs: 1000,
      rules: [
        { server: 'my-fs', tool: 'rm', action: 'deny', when: [], source: '$.mcpServers["my-fs"].approval.rules[0]' },
        { server: 'my-fs', tool: '*', action: 'ask', when: [], source: '$.mcpServers["my-fs"].approval.rules[1]' },
      ],
    });
    expect(config.servers[1]!.approval).toEqual({ rules: [] });
  });

  it('reads gateway.trustTailscaleHeaders', () => {
    expect(parse({ gateway: { trustTailscaleHeaders: true }, mcpServers: {} }).gateway.trustTailscaleHeaders).toBe(true);
  });

  it('reads conditions on the forwarded user, as a list or one condition alone', () => {
    const config = parse({
      approval: {
        rules: [
          { tool: 'delete_*', action: 'deny', when: { role: 'pending' } },
          { action: 'allow', when: [{ user: ['alice@example.com', 'u-1'] }, { pointer: '/dry', equals: true }] },
        ],
      },
      mcpServers: { fs: { command: 'srv', approval: { rules: [{ action: 'ask', when: { user: 'bob@example.com' } }] } } },
    });
    expect(config.approval.rules.map((r) => r.when)).toEqual([
      [{ role: ['pending'] }],
      [{ user: ['alice@example.com', 'u-1'] }, { pointer: '/dry', equals: true }],
    ]);
    expect(config.servers[0]!.approval.rules[0]!.when).toEqual([{ user: ['bob@example.com'] }]);
  });

  it('reads gateway.redact.keys', () => {
    expect(parse({ gateway: { redact: { keys: ['ssn', 'member_number'] } }, mcpServers: {} }).gateway.redact).toEqual({
      keys: ['ssn', 'member_number'],
    });
    expect(parse({ gateway: { redact: {} }, mcpServers: {} }).gateway.redact).toEqual({ keys: [] });
  });

  const top = (approval: unknown) => ({ approval, mcpServers: {} });
  const rule = (r: object) => top({ rules: [r] });
  const condition = (c: object) => rule({ action: 'ask', when: [c] });
  const own = (approval: unknown) => server({ command: 'srv', approval });

  const cases: Array<[string, unknown, string, string]> = [
    ['approval not an object', top([]), '$.approval', 'expected object, got array'],
    [
      'unknown approval key',
      top({ defaults: 'ask' }),
      '$.approval.defaults',
      'unknown key "defaults" (expected one of: default, timeoutMs, maxPending, maxPendingPerCaller, notifyIntervalMs, rules, notify)',
    ],
    ['maxPending zero', top({ maxPending: 0 }), '$.approval.maxPending', 'expected positive integer, got 0'],
    [
      'maxPendingPerCaller a string',
      top({ maxPendingPerCaller: '20' }),
      '$.approval.maxPendingPerCaller',
      'expected positive integer, got string',
    ],
    ['notifyIntervalMs negative', top({ notifyIntervalMs: -1 }), '$.approval.notifyIntervalMs', 'expected non-negative integer, got -1'],
    [
      'caps in a server',
      own({ maxPending: 5 }),
      '$.mcpServers.x.approval.maxPending',
      'unknown key "maxPending" (expected one of: default, timeoutMs, rules)',
    ],
    ['bad default', top({ default: 'yes' }), '$.approval.default', 'expected one of "allow", "ask", "deny", got "yes"'],
    ['default not a string', top({ default: true }), '$.approval.default', 'expected one of "allow", "ask", "deny", got boolean'],
    ['timeoutMs zero', top({ timeoutMs: 0 }), '$.approval.timeoutMs', 'expected positive integer, got 0'],
    ['rules an object', top({ rules: {} }), '$.approval.rules', 'expected array of rules, got object'],
    ['rule not an object', top({ rules: ['deny'] }), '$.approval.rules[0]', 'expected object, got string'],
    ['bad action', rule({ action: 'maybe' }), '$.approval.rules[0].action', 'expected one of "allow", "ask", "deny", got "maybe"'],
    ['missing action', rule({ tool: 'x' }), '$.approval.rules[0].action', 'expected one of "allow", "ask", "deny", got undefined'],
    [
      'unknown rule key',
      rule({ action: 'ask', tools: 'x' }),
      '$.approval.rules[0].tools',
      'unknown key "tools" (expected one of: server, tool, action, when)',
    ],
    ['tool empty', rule({ action: 'ask', tool: '' }), '$.approval.rules[0].tool', 'expected non-empty string'],
    ['server a number', rule({ action: 'ask', server: 1 }), '$.approval.rules[0].server', 'expected string, got number'],
    [
      'when a string',
      rule({ action: 'ask', when: 'alice' }),
      '$.approval.rules[0].when',
      'expected an array of conditions or one condition, got string',
    ],
    [
      'unknown key in one condition alone',
      rule({ action: 'ask', when: { user: 'alice', users: 'bob' } }),
      '$.approval.rules[0].when.users',
      'unknown key "users" (expected one of: pointer, equals, in, matches, user, role)',
    ],
    [
      'unknown condition key',
      condition({ pointer: '/a', equals: 1, regex: 'x' }),
      '$.approval.rules[0].when[0].regex',
      'unknown key "regex" (expected one of: pointer, equals, in, matches, user, role)',
    ],
    [
      'pointer missing',
      condition({ equals: 1 }),
      '$.approval.rules[0].when[0].pointer',
      'expected string, got undefined (or "user" or "role" for a condition on the forwarded user)',
    ],
    ['user a number', condition({ user: 7 }), '$.approval.rules[0].when[0].user', 'expected a string or an array of strings, got number'],
    ['user list with a number', condition({ user: ['a', 7] }), '$.approval.rules[0].when[0].user[1]', 'expected string, got number'],
    ['user list empty', condition({ role: [] }), '$.approval.rules[0].when[0].role', 'expected at least one name'],
    ['user empty', rule({ action: 'ask', when: { user: '' } }), '$.approval.rules[0].when.user', 'expected non-empty string'],
    [
      'user and pointer together',
      condition({ user: 'a', pointer: '/a', equals: 1 }),
      '$.approval.rules[0].when[0]',
      'expected one condition each: "user", "role", or "pointer" with one of "equals", "in", "matches"; got "user" and "pointer" and "equals" together',
    ],
    [
      'user and role together',
      rule({ action: 'ask', when: { user: 'a', role: 'admin' } }),
      '$.approval.rules[0].when',
      'expected one condition each: "user", "role", or "pointer" with one of "equals", "in", "matches"; got "user" and "role" together',
    ],
    [
      'pointer without a slash',
      condition({ pointer: 'path', equals: 1 }),
      '$.approval.rules[0].when[0].pointer',
      'expected a JSON pointer ("" for the whole arguments object, or starting with "/"), got "path"',
    ],
    [
      'pointer with a bad escape',
      condition({ pointer: '/a~2b', equals: 1 }),
      '$.approval.rules[0].when[0].pointer',
      'expected a JSON pointer ("~" only in "~0" for "~" and "~1" for "/"), got "/a~2b"',
    ],
    ['none of equals/in/matches', condition({ pointer: '/a' }), '$.approval.rules[0].when[0]', 'expected one of "equals", "in", "matches"'],
    [
      'equals and matches',
      condition({ pointer: '/a', equals: 'x', matches: 'x' }),
      '$.approval.rules[0].when[0]',
      'expected exactly one of "equals", "in", "matches", got "equals" and "matches"',
    ],
    [
      'equals null and in',
      condition({ pointer: '/a', equals: null, in: [] }),
      '$.approval.rules[0].when[0]',
      'expected exactly one of "equals", "in", "matches", got "equals" and "in"',
    ],
    [
      'in not an array',
      condition({ pointer: '/a', in: 'x' }),
      '$.approval.rules[0].when[0].in',
      'expected array of JSON values, got string',
    ],
    [
      'matches not a string',
      condition({ pointer: '/a', matches: 5 }),
      '$.approval.rules[0].when[0].matches',
      'expected string, got number',
    ],
    [
      'invalid regex',
      condition({ pointer: '/a', matches: '^(/etc' }),
      '$.approval.rules[0].when[0].matches',
      'expected a JavaScript regular expression, got "^(/etc" (unterminated group)',
    ],
    ['notify not an array', top({ notify: 'https://ntfy.sh/x' }), '$.approval.notify', 'expected array of notify targets, got string'],
    ['notify url missing', top({ notify: [{}] }), '$.approval.notify[0].url', 'expected string, got undefined'],
    [
      'notify url not http',
      top({ notify: [{ url: 'ftp://example.com/x' }] }),
      '$.approval.notify[0].url',
      'expected an http: or https: URL, got ftp:',
    ],
    [
      'notify url not a URL',
      top({ notify: [{ url: 'ntfy.sh/topic' }] }),
      '$.approval.notify[0].url',
      'expected an absolute http:// or https:// URL',
    ],
    [
      'unknown notify key',
      top({ notify: [{ url: 'https://x.example', secret: 's' }] }),
      '$.approval.notify[0].secret',
      'unknown key "secret" (expected one of: url, secretFile)',
    ],
    [
      'unreadable secretFile',
      top({ notify: [{ url: 'https://x.example', secretFile: '/nonexistent/hook' }] }),
      '$.approval.notify[0].secretFile',
      'cannot read secret file /nonexistent/hook (ENOENT)',
    ],
    [
      'secretFile a directory',
      top({ notify: [{ url: 'https://x.example', secretFile: dir }] }),
      '$.approval.notify[0].secretFile',
      `cannot read secret file ${dir} (EISDIR)`,
    ],
    ['server approval not an object', own('ask'), '$.mcpServers.x.approval', 'expected object, got string'],
    [
      'notify in a server',
      own({ notify: [] }),
      '$.mcpServers.x.approval.notify',
      'unknown key "notify" (expected one of: default, timeoutMs, rules)',
    ],
    [
      'server default bad',
      own({ default: 'never' }),
      '$.mcpServers.x.approval.default',
      'expected one of "allow", "ask", "deny", got "never"',
    ],
    ['server timeoutMs negative', own({ timeoutMs: -1 }), '$.mcpServers.x.approval.timeoutMs', 'expected positive integer, got -1'],
    [
      'server in a server rule',
      own({ rules: [{ server: 'x', action: 'ask' }] }),
      '$.mcpServers.x.approval.rules[0].server',
      'a rule inside a server entry applies to that server only: remove "server", or move the rule to $.approval.rules',
    ],
    [
      'unknown server rule key',
      own({ rules: [{ action: 'ask', servers: 'x' }] }),
      '$.mcpServers.x.approval.rules[0].servers',
      'unknown key "servers" (expected one of: tool, action, when)',
    ],
    [
      'server rule bad action',
      own({ rules: [{ action: 'block' }] }),
      '$.mcpServers.x.approval.rules[0].action',
      'expected one of "allow", "ask", "deny", got "block"',
    ],
    [
      'server rule invalid regex',
      own({ rules: [{ action: 'ask', when: [{ pointer: '/p', matches: '[' }] }] }),
      '$.mcpServers.x.approval.rules[0].when[0].matches',
      'expected a JavaScript regular expression, got "["',
    ],
    [
      'server rule two kinds',
      own({ rules: [{ action: 'ask', when: [{ pointer: '/p', in: [1], matches: 'x' }] }] }),
      '$.mcpServers.x.approval.rules[0].when[0]',
      'got "in" and "matches"',
    ],
    [
      'trustTailscaleHeaders not a boolean',
      { gateway: { trustTailscaleHeaders: 'yes' }, mcpServers: {} },
      '$.gateway.trustTailscaleHeaders',
      'expected boolean, got string',
    ],
    [
      'redact.keys a string',
      { gateway: { redact: { keys: 'ssn' } }, mcpServers: {} },
      '$.gateway.redact.keys',
      'expected array of argument names, got string',
    ],
    [
      'redact.keys entry a number',
      { gateway: { redact: { keys: ['ssn', 7] } }, mcpServers: {} },
      '$.gateway.redact.keys[1]',
      'expected string, got number',
    ],
    [
      'redact.keys entry only separators',
      { gateway: { redact: { keys: ['ssn', '_-'] } }, mcpServers: {} },
      '$.gateway.redact.keys[1]',
      'expected an argument name such as "ssn" or "member_number", got "_-"',
    ],
    [
      'redact unknown key',
      { gateway: { redact: { key: ['ssn'] } }, mcpServers: {} },
      '$.gateway.redact.key',
      'unknown key "key" (expected one of: keys)',
    ],
  ];

  it.each(cases)('%s', (_label, config, problemPath, message) => {
    const problems = problemsOf(config);
    expect(problems).toEqual([{ path: problemPath, message: expect.stringContaining(message) }]);
  });

  it('gives the exact message for a bad action', () => {
    expect(problemsOf(rule({ action: 'maybe' }))).toEqual([
      { path: '$.approval.rules[0].action', message: 'expected one of "allow", "ask", "deny", got "maybe"' },
    ]);
  });

  it('reports approval problems with every other problem at once', () => {
    const error = configError({
      approval: {
        default: 'maybe',
        rules: [{ action: 'ask', when: [{ pointer: 'x', matches: '(' }] }],
        notify: [{ url: 'ftp://a' }],
      },
      gateway: { toolTimeoutMs: 0 },
      mcpServers: { a: { command: 'srv', approval: { rules: [{ server: 'b', action: 'ask', when: [{ pointer: '/p' }] }] } } },
    });
    expect(error.problems.map((p) => p.path).sort()).toEqual(
      [
        '$.approval.default',
        '$.approval.rules[0].when[0].pointer',
        '$.approval.rules[0].when[0].matches',
        '$.approval.notify[0].url',
        '$.gateway.toolTimeoutMs',
        '$.mcpServers.a.approval.rules[0].server',
        '$.mcpServers.a.approval.rules[0].when[0]',
      ].sort(),
    );
  });

  it('never puts the content of a secret file or a notify URL in a message', () => {
    const error = configError({
      approval: {
        default: 'maybe',
        notify: [
          { url: 'https://ntfy.sh/topic-Secret-Qp55', secretFile: HOOK_FILE },
          { url: 'gopher://ntfy.sh/topic-Secret-Qp55', secretFile: HOOK_FILE },
          { url: 'not a url topic-Secret-Qp55', secretFile: path.join(dir, 'missing-hook') },
        ],
      },
      mcpServers: {},
    });
    expect(error.problems.map((p) => p.path)).toEqual([
      '$.approval.default',
      '$.approval.notify[1].url',
      '$.approval.notify[2].url',
      '$.approval.notify[2].secretFile',
    ]);
    const text = `${error.message}\n${JSON.stringify(error.problems)}`;
    expect(text).not.toContain(HOOK_SECRET);
    expect(text).not.toContain('Secret-Qp55');
  });

  it('reads a secret file relative to the config file, without its trailing line break', () => {
    fs.writeFileSync(path.join(dir, 'crlf-secret'), 'crlf-Secret\r\n');
    const config = parse(top({ notify: [{ url: 'https://x.example', secretFile: 'crlf-secret' }] }));
    expect(config.approval.notify).toEqual([{ url: 'https://x.example', secret: 'crlf-Secret' }]);
  });

  it('refuses an empty secret file', () => {
    fs.writeFileSync(path.join(dir, 'empty-secret'), '\n');
    expect(problemsOf(top({ notify: [{ url: 'https://x.example', secretFile: 'empty-secret' }] }))).toEqual([
      { path: '$.approval.notify[0].secretFile', message: `secret file ${path.join(dir, 'empty-secret')} is empty` },
    ]);
  });
});

describe('quickModeConfig', () => {
  it('builds a one-server stdio config with defaults', () => {
    const config = quickModeConfig({ name: 'everything', command: 'npx', args: ['-y', 'pkg'] });
    expect(config).toEqual({
      source: null,
      gateway: DEFAULT_GATEWAY_SETTINGS,
      approval: DEFAULT_APPROVAL_SETTINGS,
      servers: [
        {
          name: 'everything',
          transport: 'stdio',
          command: 'npx',
          args: ['-y', 'pkg'],
          env: {},
          enabled: true,
          timeoutMs: 60000,
          toolTimeouts: {},
          initTimeoutMs: 30000,
          maxConcurrent: 8,
          maxQueue: 64,
          disabledTools: [],
          exposeAsTools: { resources: false, prompts: false },
          approval: { rules: [] },
          display: { command: 'npx', args: ['-y', 'pkg'], envNames: [] },
          roots: [],
          sampling: false,
        },
      ],
      groups: [],
    });
  });

  it('builds a remote server and applies overrides to gateway and server', () => {
    const config = quickModeConfig(
      { name: 'remote', url: 'https://example.com/sse', transport: 'sse' },
      { toolTimeoutMs: 1234, maxQueue: 0, allowedHosts: ['box.tailnet'] },
    );
    expect(config.gateway).toMatchObject({ toolTimeoutMs: 1234, maxQueue: 0, allowedHosts: ['box.tailnet'], maxConcurrent: 8 });
    expect(config.servers).toEqual([
      expect.objectContaining({
        name: 'remote',
        transport: 'sse',
        url: 'https://example.com/sse',
        headers: {},
        timeoutMs: 1234,
        maxQueue: 0,
        display: { url: 'https://example.com/sse', headerNames: [] },
      }),
    ]);
  });

  it('applies approval overrides', () => {
    const config = quickModeConfig({ name: 'demo', command: 'node', args: [] }, {}, { default: 'allow' });
    expect(config.approval).toEqual({ ...DEFAULT_APPROVAL_SETTINGS, default: 'allow' });
    expect(config.servers[0]!.approval).toEqual({ rules: [] });
  });
});

describe('tool groups', () => {
  const servers = { fs: { command: 'fs-server' }, git: { url: 'http://127.0.0.1:9/mcp' } };

  it('are read in file order with their patterns and description', () => {
    const config = parse({
      mcpServers: servers,
      groups: { coding: { tools: ['fs/*', 'git/status', '*/read_*'], description: 'for coding' } },
    });
    expect(config.groups).toEqual([{ name: 'coding', tools: ['fs/*', 'git/status', '*/read_*'], description: 'for coding' }]);
    expect(parse({ mcpServers: servers }).groups).toEqual([]);
  });

  it("name what is wrong: a server's name, a bad pattern, an unknown server, an empty list, unknown keys", () => {
    expect(
      problemsOf({
        mcpServers: servers,
        groups: {
          fs: { tools: ['git/*'] },
          bad: { tools: ['no-slash', 'nosuch/tool', 'fs/'] },
          empty: { tools: [] },
          odd: { tools: ['fs/*'], color: 'red' },
          mcp: { tools: ['fs/*'] },
        },
      }),
    ).toEqual([
      { path: '$.groups.fs', message: 'group name "fs" is also a server\'s name (both would be /mcp/fs): rename one' },
      { path: '$.groups.bad.tools[0]', message: 'expected "server/tool" (e.g. "fs/*" or "memory/read_graph"), got "no-slash"' },
      { path: '$.groups.bad.tools[1]', message: 'no server named "nosuch" in mcpServers' },
      { path: '$.groups.bad.tools[2]', message: 'expected "server/tool" (e.g. "fs/*" or "memory/read_graph"), got "fs/"' },
      { path: '$.groups.empty.tools', message: 'expected at least one "server/tool" pattern' },
      { path: '$.groups.odd.color', message: 'unknown key "color" (expected one of: tools, description)' },
      { path: '$.groups.mcp', message: expect.stringContaining('group name must not be one of') },
    ]);
  });

  it('reserve the name "mcp" for servers too (it is the MCP endpoint\'s path)', () => {
    expect(problemsOf({ mcpServers: { mcp: { command: 'x' } } })).toEqual([
      { path: '$.mcpServers.mcp', message: expect.stringContaining('"mcp"') },
    ]);
  });
});
