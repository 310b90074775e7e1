// The `mcp-gateway` command as a user runs it: the built dist/server/main.js in a child process.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningGateway } from './helpers/cli.js';
import { fixture, tempDir } from './helpers/gateway.js';
import { startEverythingHttp } from './helpers/http-server.js';
import { isAlive, readPid, waitUntil } from './helpers/process.js';
import { rawRequest } from './helpers/raw-http.js';

const running: RunningGateway[] = [];
afterEach(async () => {
  for (const gateway of running.splice(0)) await gateway.stop('SIGKILL');
});

async function start(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<RunningGateway> {
  const gateway = await startCli(args, env, cwd);
  running.push(gateway);
  return gateway;
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

/** Polls the API until `test` holds for the server's JSON; the gateway's state is only visible over HTTP here. */
async function waitForServerJson(gateway: RunningGateway, name: string, test: (server: any) => boolean, timeoutMs = 15_000) {
  return waitUntil(
    async () => {
      const { status, body } = await getJson(`${gateway.url}/api/servers/${name}`);
      return status === 200 && test(body) ? body : undefined;
    },
    timeoutMs,
    `server ${name}`,
  );
}

const FAST = { backoffInitialMs: 100, backoffMaxMs: 1000, stopGraceMs: 1000, pingIntervalMs: 0 };

function writeConfig(dir: string, config: object, name = 'config.json'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

describe('starting', () => {
  it('with no arguments runs the built-in demo server, ready with its tools', async () => {
    const cwd = tempDir();
    const gateway = await start(['--approval-default', 'allow'], {}, cwd);
    const demo = await waitForServerJson(gateway, 'demo', (s) => s.state === 'ready');
    expect(demo.counts.tools).toBe(6);
    const tools = await getJson(`${gateway.url}/api/tools?server=demo`);
    const byName = Object.fromEntries(tools.body.tools.map((t: any) => [t.name, t]));
    expect(Object.keys(byName).sort()).toEqual(['add', 'add_note', 'countdown', 'delete_note', 'echo', 'list_notes']);
    expect(byName.delete_note.annotations.destructiveHint).toBe(true);
    expect(byName.echo.annotations.readOnlyHint).toBe(true);
    // State lives in ./.mcp-gateway by default.
    expect(fs.existsSync(path.join(cwd, '.mcp-gateway', 'gateway.db'))).toBe(true);
  });

  it('says in the start-up log which approval default is in force, and --approval-default wins over the file', async () => {
    const dir = tempDir();
    const asks = await start(['--state-dir', dir]);
    const line = await asks.waitForLog((entry) => typeof entry.approvalDefault === 'string');
    expect(line).toMatchObject({ approvalDefault: 'ask' });
    expect(String(line.msg)).toContain('approval default: ask');
    await asks.stop('SIGTERM');
    const config = writeConfig(dir, { approval: { default: 'deny' }, mcpServers: {} });
    const allows = await start(['--state-dir', dir, '--config', config, '--approval-default', 'allow']);
    expect(await allows.waitForLog((entry) => typeof entry.approvalDefault === 'string')).toMatchObject({ approvalDefault: 'allow' });
  });

  it('quick mode runs the command after -- as one server named after it', async () => {
    const gateway = await start([
      '--approval-default',
      'allow',
      '--state-dir',
      tempDir(),
      '--',
      process.execPath,
      fixture('fixture-server.mjs'),
    ]);
    const server = await waitForServerJson(gateway, 'fixture-server', (s) => s.state === 'ready');
    expect(server.counts.tools).toBe(6);
  });

  it('quick mode with a URL connects over streamable HTTP, or SSE with --transport sse', async () => {
    const http = await startEverythingHttp('streamable-http');
    const sse = await startEverythingHttp('sse');
    try {
      const viaHttp = await start(['--approval-default', 'allow', '--state-dir', tempDir(), '--', http.url]);
      expect(await waitForServerJson(viaHttp, '127-0-0-1', (s) => s.state === 'ready')).toMatchObject({ transport: 'streamable-http' });
      // An SSE endpoint whose path does not end in /sse is reached only because --transport says so.
      const viaSse = await start([
        '--approval-default',
        'allow',
        '--state-dir',
        tempDir(),
        '--name',
        'legacy',
        '--transport',
        'sse',
        '--',
        sse.url.replace(/\/sse$/, '/events'),
      ]);
      expect(await waitForServerJson(viaSse, 'legacy', (s) => s.state === 'ready')).toMatchObject({ transport: 'sse' });
    } finally {
      await http.stop();
      await sse.stop();
    }
  });

  it('--help and --version print and exit 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--config');
    expect(help.stdout).toContain('--api-key-file');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^mcp-gateway \d+\.\d+\.\d+/);
  });

  it('refuses a non-loopback bind without an API key (exit 2), and allows it with one', async () => {
    const refused = await runCli(['--host', '0.0.0.0', '--state-dir', tempDir()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refusing to listen on 0.0.0.0 without an API key');
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    const keyFile = path.join(tempDir(), 'key');
    fs.writeFileSync(keyFile, 'the-key-0f3b9e27c1\n');
    const config = writeConfig(tempDir(), { approval: { default: 'allow' }, mcpServers: {} });
    const gateway = await start(['--host', '0.0.0.0', '--api-key-file', keyFile, '-c', config, '--state-dir', tempDir()]);
    const port = new URL(gateway.url).port;
    expect((await fetch(`http://127.0.0.1:${port}/api/servers`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/api/servers`, { headers: { Authorization: 'Bearer the-key-0f3b9e27c1' } })).status).toBe(
      200,
    );
    // A key never reaches the log.
    expect(JSON.stringify(gateway.logs)).not.toContain('the-key-0f3b9e27c1');
  });

  it('a missing or empty API key file is exit 2 with the file named', async () => {
    const dir = tempDir();
    const missing = await runCli(['--api-key-file', path.join(dir, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${path.join(dir, 'nope')}: cannot read the API key file (ENOENT)`);
    fs.writeFileSync(path.join(dir, 'empty'), '\n');
    const empty = await runCli(['--api-key-file', path.join(dir, 'empty')]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('the API key file is empty');
  });
});

describe('an API key that is set but empty', () => {
  it('is exit 2 naming the variable or file, never a gateway without a key', async () => {
    // A config that would stop the start anyway, later: a build that ignored the empty key cannot hang here.
    const dir = tempDir();
    const broken = writeConfig(dir, { mcpServers: { x: { command: 42 } } });
    for (const [env, name] of [
      [{ MCP_GATEWAY_API_KEY: '' }, 'MCP_GATEWAY_API_KEY'],
      [{ MCP_GATEWAY_API_KEY: ' \n' }, 'MCP_GATEWAY_API_KEY'],
      [{ MCP_GATEWAY_API_KEY_FILE: '' }, 'MCP_GATEWAY_API_KEY_FILE'],
    ] as const) {
      const result = await runCli(['-c', broken, '--state-dir', dir], env);
      expect(result.code, JSON.stringify(env)).toBe(2);
      expect(result.stderr).toContain(`${name} is set but empty`);
      expect(result.stderr).not.toContain('invalid configuration');
    }
    const flag = await runCli(['--api-key-file', '', '-c', broken, '--state-dir', dir]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--api-key-file needs a non-empty value');
    fs.writeFileSync(path.join(dir, 'blank'), '  \n\t\n');
    const blank = await runCli(['--api-key-file', path.join(dir, 'blank'), '-c', broken, '--state-dir', dir]);
    expect(blank.code).toBe(2);
    expect(blank.stderr).toContain('the API key file is empty');
    // --help still works.
    expect((await runCli(['--help'], { MCP_GATEWAY_API_KEY: '' })).code).toBe(0);
  });
});

describe('a weak start-up key', () => {
  it('is exit 2 when shorter than 16 characters or holding whitespace, from the variable or the file, without saying the key', async () => {
    const dir = tempDir();
    // A config that stops the start later: a key that is accepted gets as far as it.
    const broken = writeConfig(dir, { mcpServers: { x: { command: 42 } } });
    const file = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const refused: [NodeJS.ProcessEnv, string[], string, string][] = [
      [{ MCP_GATEWAY_API_KEY: 'a' }, [], 'MCP_GATEWAY_API_KEY: the API key has 1 character, too few', 'a'],
      [{ MCP_GATEWAY_API_KEY: 'fifteen-chars-x' }, [], 'MCP_GATEWAY_API_KEY: the API key has 15 characters, too few', 'fifteen-chars-x'],
      [{ MCP_GATEWAY_API_KEY: 'correct horse battery staple' }, [], 'MCP_GATEWAY_API_KEY: the API key contains whitespace', 'horse'],
      [
        {},
        ['--api-key-file', file('short', 'short-key-42\n')],
        `${path.join(dir, 'short')}: the API key has 12 characters, too few`,
        'short-key-42',
      ],
      [
        {},
        ['--api-key-file', file('spaced', 'correct\thorse battery staple\n')],
        `${path.join(dir, 'spaced')}: the API key contains whitespace`,
        'horse',
      ],
    ];
    for (const [env, args, message, secret] of refused) {
      const result = await runCli([...args, '-c', broken, '--state-dir', dir], env);
      expect(result.code, message).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain('randomBytes(32)');
      expect(result.stderr).not.toContain('invalid configuration');
      if (secret.length > 1) expect(result.stderr).not.toContain(secret);
    }
    // 16 characters, and a file's surrounding whitespace (its final newline), are fine.
    for (const [env, args] of [
      [{ MCP_GATEWAY_API_KEY: 'sixteen-chars-xy' }, []],
      [{}, ['--api-key-file', file('good', '  sixteen-chars-xy\n')]],
    ] as const) {
      const accepted = await runCli([...args, '-c', broken, '--state-dir', dir], env);
      expect(accepted.code).toBe(2);
      expect(accepted.stderr).toContain('invalid configuration');
    }
  });
});

describe('secrets', () => {
  it('never logs expanded ${VAR} or ${file:} values, header values or the API key, even at trace level', async () => {
    const dir = tempDir();
    const secretFile = path.join(dir, 'remote-token');
    fs.writeFileSync(secretFile, 'file-secret-7f3a\n');
    const keyFile = path.join(dir, 'key');
    fs.writeFileSync(keyFile, 'api-key-9c1e-4d20f6a1');
    const file = writeConfig(dir, {
      approval: { default: 'allow' },
      gateway: FAST,
      mcpServers: {
        local: { command: process.execPath, args: [fixture('fixture-server.mjs'), '${ARG_SECRET}'], env: { TOKEN: '${ENV_SECRET}' } },
        remote: { url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer ${file:remote-token}' } },
      },
    });
    const gateway = await start(['-c', file, '--state-dir', dir, '--log-level', 'trace', '--api-key-file', keyFile], {
      ENV_SECRET: 'env-secret-41d2',
      ARG_SECRET: 'arg-secret-88b0',
    });
    const auth = { headers: { Authorization: 'Bearer api-key-9c1e-4d20f6a1' } };
    await waitUntil(async () => (await getJson(`${gateway.url}/api/servers/local`, auth)).body.state === 'ready', 15_000, 'local ready');
    await waitUntil(async () => (await getJson(`${gateway.url}/api/servers/remote`, auth)).body.lastError, 15_000, 'remote failed');
    await fetch(`${gateway.url}/api/servers`, { headers: { Authorization: 'Bearer wrong-key-0000' } });
    const detail = (await getJson(`${gateway.url}/api/servers/remote`, auth)).body;
    expect(detail.config.headerNames).toEqual(['Authorization']);
    expect(await gateway.stop()).toBe(0);
    const everything = JSON.stringify(gateway.logs) + gateway.stderr() + JSON.stringify(detail);
    for (const secret of ['file-secret-7f3a', 'api-key-9c1e-4d20f6a1', 'env-secret-41d2', 'arg-secret-88b0', 'wrong-key-0000']) {
      expect(everything).not.toContain(secret);
    }
    expect(gateway.logs.length).toBeGreaterThan(10); // it did log, at trace level
  });
});

describe('configuration mistakes', () => {
  const cases: [string, object | string, string[]][] = [
    ['invalid JSON', '{ "mcpServers": { "a": { "command": "x", } } }', ['$: invalid JSON at line 1']],
    ['unknown key', { mcpServers: { a: { command: 'x', colour: 'red' } } }, ['$.mcpServers.a.colour: unknown key "colour"']],
    ['wrong type', { mcpServers: { a: { command: 'x', args: 'not-an-array' } } }, ['$.mcpServers.a.args: expected array']],
    ['bad name', { mcpServers: { 'bad name!': { command: 'x' } } }, ['$.mcpServers["bad name!"]: server name must match']],
    [
      'missing variable',
      { mcpServers: { a: { command: 'x', env: { T: '${NOT_SET_ANYWHERE_4711}' } } } },
      ['$.mcpServers.a.env.T: environment variable NOT_SET_ANYWHERE_4711 is not set'],
    ],
    [
      'missing secret file',
      { mcpServers: { a: { url: 'http://127.0.0.1:1/mcp', headers: { A: '${file:/nonexistent/secret}' } } } },
      ['$.mcpServers.a.headers.A: cannot read secret file /nonexistent/secret (ENOENT)'],
    ],
    [
      'several at once',
      { gateway: { toolTimeoutMs: -1 }, mcpServers: { a: {}, b: { command: 'x', enabled: 'yes' } } },
      ['$.gateway.toolTimeoutMs', '$.mcpServers.a', '$.mcpServers.b.enabled'],
    ],
  ];
  for (const [title, content, expected] of cases) {
    it(`${title}: exit 2, one line per problem naming the file and the JSON path, no stack trace`, async () => {
      const dir = tempDir();
      const file = path.join(dir, 'gateway.json');
      fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
      const result = await runCli(['-c', file, '--state-dir', dir]);
      expect(result.code).toBe(2);
      for (const line of expected) expect(result.stderr).toContain(`${file}: ${line}`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).toBe('');
      expect(fs.existsSync(path.join(dir, 'gateway.db'))).toBe(false); // nothing was started
    });
  }

  it('a usage mistake is exit 2 with a hint', async () => {
    const result = await runCli(['--port', 'eighty']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--port');
    expect(result.stderr).toContain('--help');
  });
});

describe('hot reload', () => {
  it('adds, restarts only changed servers, and removes (routes 404 at once); an invalid edit keeps the running config', async () => {
    const dir = tempDir();
    const stable = { command: process.execPath, args: [fixture('fixture-server.mjs')] };
    const file = writeConfig(dir, {
      approval: { default: 'allow' },
      gateway: FAST,
      mcpServers: { stable, changing: { ...stable, env: { V: '1' } } },
    });
    const gateway = await start(['-c', file, '--state-dir', dir]);
    const stableBefore = await waitForServerJson(gateway, 'stable', (s) => s.state === 'ready');
    const changingBefore = await waitForServerJson(gateway, 'changing', (s) => s.state === 'ready');

    // Add one, change one's env, keep one.
    writeConfig(dir, {
      approval: { default: 'allow' },
      gateway: FAST,
      mcpServers: { stable, changing: { ...stable, env: { V: '2' } }, added: stable },
    });
    await gateway.waitForLog((line) => line.msg === 'configuration applied' && (line.added as string[])?.includes('added'));
    const added = await waitForServerJson(gateway, 'added', (s) => s.state === 'ready');
    expect(added.pid).toBeGreaterThan(0);
    const changingAfter = await waitForServerJson(gateway, 'changing', (s) => s.state === 'ready' && s.pid !== changingBefore.pid);
    expect(changingAfter.restarts).toBe(1);
    const stableAfter = (await getJson(`${gateway.url}/api/servers/stable`)).body;
    expect(stableAfter.pid).toBe(stableBefore.pid);
    expect(stableAfter.restarts).toBe(0);

    // An invalid edit is logged and changes nothing.
    fs.writeFileSync(file, '{ "mcpServers": { "stable": { "command": 42 } } }');
    const rejected = await gateway.waitForLog((line) => String(line.msg).includes('keeping the running one'));
    expect(JSON.stringify(rejected.problems)).toContain('$.mcpServers.stable.command');
    expect((await getJson(`${gateway.url}/api/servers`)).body.servers.map((s: any) => s.name)).toEqual(['stable', 'changing', 'added']);

    // Remove one: its routes answer 404 as soon as the change is applied, and its process ends.
    writeConfig(dir, { approval: { default: 'allow' }, gateway: FAST, mcpServers: { stable, changing: { ...stable, env: { V: '2' } } } });
    await gateway.waitForLog((line) => line.msg === 'configuration applied' && (line.removed as string[])?.includes('added'));
    expect((await getJson(`${gateway.url}/api/servers/added`)).status).toBe(404);
    expect((await getJson(`${gateway.url}/api/tools?server=added`)).status).toBe(404);
    await waitUntil(() => !isAlive(added.pid), 5000, 'the removed server to stop');
  });
});

describe('hot reload of the gateway settings', () => {
  it('applies a changed gateway.allowedHosts at once, and logs what every reload changed, or that nothing did', async () => {
    const dir = tempDir();
    const config = (allowedHosts: string[], extra: object = {}) => ({
      approval: { default: 'allow' },
      gateway: { ...FAST, allowedHosts, ...extra },
      mcpServers: {},
    });
    const file = writeConfig(dir, config(['old.tailnet.ts.net']));
    const gateway = await start(['-c', file, '--state-dir', dir]);
    const asHost = async (host: string) => (await rawRequest(gateway.url, { target: '/api/servers', headers: { Host: host } })).status;
    expect(await asHost('old.tailnet.ts.net')).toBe(200);
    expect(await asHost('new.tailnet.ts.net')).toBe(403);

    // The tailnet is renamed (the NixOS module rewrites the file and the gateway reloads it).
    writeConfig(dir, config(['new.tailnet.ts.net'], { maxConnections: 100 }));
    const applied = await gateway.waitForLog((line) => String(line.msg).startsWith('configuration reloaded'));
    expect(applied.settings).toEqual(['gateway.allowedHosts', 'gateway.maxConnections']);
    expect(applied.msg).toBe('configuration reloaded: settings gateway.allowedHosts, gateway.maxConnections');
    expect(await asHost('new.tailnet.ts.net')).toBe(200);
    expect(await asHost('old.tailnet.ts.net')).toBe(403);

    // SIGHUP without a change says so.
    const before = gateway.logs.length;
    gateway.child.kill('SIGHUP');
    const unchanged = await gateway.waitForLog(
      (line) => gateway.logs.indexOf(line) >= before && String(line.msg).startsWith('configuration reloaded'),
    );
    expect(unchanged.msg).toBe('configuration reloaded: nothing changed');

    // A removed file is logged, and the running configuration stays.
    fs.rmSync(file);
    const removed = await gateway.waitForLog((line) => String(line.msg).includes('config file was removed'));
    expect(removed.file).toBe(file);
    expect(await asHost('new.tailnet.ts.net')).toBe(200);
    // When it is back, it is read again.
    const beforeBack = gateway.logs.length;
    writeConfig(dir, config(['new.tailnet.ts.net', 'third.example']));
    const back = await gateway.waitForLog(
      (line) => gateway.logs.indexOf(line) >= beforeBack && String(line.msg).startsWith('configuration reloaded'),
    );
    expect(back.settings).toEqual(['gateway.allowedHosts', 'gateway.maxConnections']);
    expect(await asHost('third.example')).toBe(200);
  });
});

describe('shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${signal} no child process survives, grandchildren included, and the exit code is 0`, async () => {
      const dir = tempDir();
      const server = (n: number, extra: Record<string, string> = {}) => ({
        command: process.execPath,
        args: [fixture('fixture-server.mjs')],
        env: { FIXTURE_GRANDCHILD_PID_FILE: path.join(dir, `grandchild-${n}`), ...extra },
      });
      const file = writeConfig(dir, {
        approval: { default: 'allow' },
        gateway: FAST,
        mcpServers: { one: server(1), two: server(2), stubborn: server(3, { FIXTURE_IGNORE_SIGTERM: '1' }) },
      });
      const gateway = await start(['-c', file, '--state-dir', dir]);
      const pids: number[] = [];
      for (const name of ['one', 'two', 'stubborn']) pids.push((await waitForServerJson(gateway, name, (s) => s.state === 'ready')).pid);
      for (const n of [1, 2, 3]) pids.push(readPid(path.join(dir, `grandchild-${n}`))!);
      expect(pids.every(isAlive)).toBe(true);

      expect(await gateway.stop(signal)).toBe(0);
      await waitUntil(() => pids.every((pid) => !isAlive(pid)), 5000, 'every server process to be gone');
    });
  }
});
