// The upstream supervisor against real MCP servers: server-everything over all three transports,
// server-filesystem, and fixture servers that crash, hang or print garbage.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EVERYTHING_BIN,
  FAST,
  fixture,
  recordStates,
  startTestGateway,
  tempDir,
  waitForServer,
  type TestGateway,
} from './helpers/gateway.js';
import { ProblemError } from '../server/errors.js';
import { signalProcess } from '../server/upstream/process-table.js';
import { startEverythingHttp, type HttpServer } from './helpers/http-server.js';
import { isAlive, readPid, waitUntil } from './helpers/process.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gatewayWith(servers: Record<string, object>, gateway: object = {}): Promise<TestGateway> {
  const started = await startTestGateway({ approval: { default: 'allow' }, gateway: { ...FAST, ...gateway }, mcpServers: servers });
  cleanups.push(() => started.close());
  return started;
}

async function httpServer(mode: 'sse' | 'streamable-http', env: NodeJS.ProcessEnv = {}, port = 0): Promise<HttpServer> {
  const server = await startEverythingHttp(mode, env, port);
  cleanups.push(() => server.stop());
  return server;
}

const node = process.execPath;

describe('real servers over every transport', () => {
  it('connects server-everything over stdio: starting → ready, with its tools, resources and prompts', async () => {
    const { supervisor } = await gatewayWith({ everything: { command: node, args: [EVERYTHING_BIN, 'stdio'] } });
    const states = recordStates(supervisor, 'everything');
    const status = await waitForServer(supervisor, 'everything', 'ready');
    expect(supervisor.status('everything')!.state).toBe('ready');
    expect(states.at(-1)).toBe('ready');
    expect(states).not.toContain('error');
    expect(status.pid).toBeGreaterThan(0);
    expect(status.serverInfo?.name).toBeTruthy();
    expect(status.protocolVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(status.counts.tools).toBeGreaterThan(5);
    expect(status.counts.resources).toBeGreaterThan(0);
    expect(status.counts.prompts).toBeGreaterThan(0);
    const names = supervisor
      .get('everything')!
      .tools()
      .map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum']));
  });

  for (const mode of ['sse', 'streamable-http'] as const) {
    it(`connects server-everything over ${mode} with custom headers, and fails clearly without them`, async () => {
      const http = await httpServer(mode, { REQUIRE_HEADER: 'X-Api-Token:s3cret' });
      const { supervisor } = await gatewayWith({
        good: { type: mode, url: http.url, headers: { 'X-Api-Token': 's3cret' } },
        bad: { type: mode, url: http.url, headers: { 'X-Api-Token': 'wrong' } },
      });
      const good = await waitForServer(supervisor, 'good', 'ready');
      expect(good.transport).toBe(mode);
      expect(
        supervisor
          .get('good')!
          .tools()
          .map((tool) => tool.name),
      ).toContain('echo');
      const bad = await waitForServer(supervisor, 'bad', (status) => status.lastError !== undefined);
      expect(bad.lastError!.message).toMatch(/401|nauthorized/);
      expect(supervisor.status('bad')!.state).not.toBe('ready');
    });

    it(`reconnects a ${mode} server that went away once it is back`, async () => {
      const first = await httpServer(mode);
      const { supervisor } = await gatewayWith({ remote: { type: mode, url: first.url } }, { pingIntervalMs: 100, pingTimeoutMs: 500 });
      await waitForServer(supervisor, 'remote', 'ready');
      await first.stop();
      const failed = await waitForServer(supervisor, 'remote', 'backoff');
      expect(failed.lastError!.message).toMatch(/ping failed|fetch failed|ECONNREFUSED|closed/i);
      await httpServer(mode, {}, first.port);
      const back = await waitForServer(supervisor, 'remote', 'ready');
      expect(back.restarts).toBeGreaterThan(0);
      expect(back.counts.tools).toBeGreaterThan(5);
    });
  }

  it('ends the streamable HTTP session when the server is disabled or the gateway stops', async () => {
    const http = await httpServer('streamable-http');
    const sessions = async () => ((await (await fetch(`http://127.0.0.1:${http.port}/sessions`)).json()) as { open: number }).open;
    const { supervisor } = await gatewayWith({ remote: { type: 'streamable-http', url: http.url } });
    await waitForServer(supervisor, 'remote', 'ready');
    expect(await sessions()).toBe(1);
    await supervisor.setEnabled('remote', false);
    expect(await sessions()).toBe(0);
    await supervisor.setEnabled('remote', true);
    await waitForServer(supervisor, 'remote', 'ready');
    expect(await sessions()).toBe(1);
    await supervisor.stopAll();
    expect(await sessions()).toBe(0);
  });

  it('ends the session of a streamable HTTP server stopped while its initialize was unanswered, once answered', async () => {
    // The server opens the session on receiving initialize; its id comes with the answer.
    const http = await httpServer('streamable-http', { HOLD_INITIALIZE: '1' });
    const counts = async () => (await (await fetch(`http://127.0.0.1:${http.port}/sessions`)).json()) as { open: number; held: number };
    const { supervisor } = await gatewayWith({ remote: { type: 'streamable-http', url: http.url } });
    await waitUntil(async () => (await counts()).held === 1, 10_000, 'initialize to reach the server');
    expect(supervisor.status('remote')!.state).toBe('starting');
    const stopped = supervisor.setEnabled('remote', false);
    // Answered (the session open) while the stop waits.
    expect(await (await fetch(`http://127.0.0.1:${http.port}/release-initialize`, { method: 'POST' })).json()).toEqual({ released: 1 });
    await stopped;
    expect(supervisor.status('remote')!.state).toBe('disabled');
    expect(await counts()).toEqual({ open: 0, held: 0 });
  });

  it('connects server-filesystem on a temp folder', async () => {
    const root = tempDir('mcp-fs-');
    const bin = path.resolve('node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
    const { supervisor } = await gatewayWith({ files: { command: node, args: [bin, root] } });
    await waitForServer(supervisor, 'files', 'ready');
    expect(
      supervisor
        .get('files')!
        .tools()
        .map((tool) => tool.name),
    ).toEqual(expect.arrayContaining(['read_text_file', 'write_file', 'list_directory']));
  });
});

describe('failures', () => {
  it('a server that crashes at start goes error → backoff → starting again, with exit code and stderr, and is marked crash-looping', async () => {
    const { supervisor } = await gatewayWith({ broken: { command: node, args: [fixture('crash-at-start.mjs')] } });
    const states = recordStates(supervisor, 'broken');
    const status = await waitForServer(supervisor, 'broken', (s) => s.crashLooping, 20_000);
    expect(status.lastError!.exitCode).toBe(3);
    expect(status.lastError!.message).toContain('process exited with code 3');
    expect(status.lastError!.stderrTail).toContain('fatal: missing configuration FOO_TOKEN');
    expect(status.consecutiveFailures).toBeGreaterThanOrEqual(5);
    expect(status.restarts).toBeGreaterThanOrEqual(4);
    // The cycle, in order, at least twice.
    expect(states.join(' ')).toContain('error backoff starting error backoff starting');
    expect(states).not.toContain('ready');
  });

  it('a server that dies later is restarted after a backoff, with a new pid', async () => {
    const { supervisor } = await gatewayWith({ fragile: { command: node, args: [fixture('fixture-server.mjs')] } });
    const ready = await waitForServer(supervisor, 'fragile', 'ready');
    const states = recordStates(supervisor, 'fragile');
    expect(signalProcess(ready.pid!, 'SIGKILL')).toBe(true);
    const failed = await waitForServer(supervisor, 'fragile', 'backoff');
    expect(failed.lastError!.signal).toBe('SIGKILL');
    expect(failed.nextRetryAt).toBeGreaterThan(failed.lastError!.at);
    const again = await waitForServer(supervisor, 'fragile', 'ready');
    expect(states).toEqual(['error', 'backoff', 'starting', 'ready']);
    expect(again.pid).not.toBe(ready.pid);
    expect(again.restarts).toBe(1);
    expect(isAlive(ready.pid!)).toBe(false);
  });

  it('reports the exit code and stderr of a server that exits on its own', async () => {
    const { supervisor } = await gatewayWith({
      crashy: { command: node, args: [fixture('fixture-server.mjs')], env: { FIXTURE_CRASH_AFTER_MS: '300', FIXTURE_STDERR_LINES: '150' } },
    });
    const status = await waitForServer(supervisor, 'crashy', (s) => s.lastError?.exitCode === 4);
    expect(status.lastError!.stderrTail.at(-1)).toBe('fixture: crashing on purpose');
    expect(status.lastError!.stderrTail).toHaveLength(100); // the last 100 lines only
    expect(status.lastError!.stderrTail[0]).toBe('stderr line 52');
  });

  it('a hung initialize ends in error within initTimeoutMs, and the process is ended', async () => {
    const pidFile = path.join(tempDir(), 'pid');
    const started = Date.now();
    const { supervisor } = await gatewayWith({
      hung: { command: node, args: [fixture('hang-initialize.mjs')], env: { FIXTURE_PID_FILE: pidFile }, initTimeoutMs: 500 },
    });
    const states = recordStates(supervisor, 'hung');
    const status = await waitForServer(supervisor, 'hung', (s) => s.lastError !== undefined);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(status.lastError!.message).toContain('no answer to initialize within 500 ms');
    expect(states.slice(0, 2)).toEqual(['error', 'backoff']);
    const pid = readPid(pidFile)!;
    await waitUntil(() => !isAlive(pid), 5000, 'the hung process to be ended');
  });

  it('ignores garbage on stdout and still gets ready', async () => {
    const { supervisor } = await gatewayWith({ noisy: { command: node, args: [fixture('garbage-stdout.mjs')] } });
    await waitForServer(supervisor, 'noisy', 'ready');
    expect(
      supervisor
        .get('noisy')!
        .tools()
        .map((tool) => tool.name),
    ).toEqual(['echo']);
  });

  it('a server that only prints garbage ends in error after initTimeoutMs', async () => {
    const { supervisor } = await gatewayWith({
      garbage: { command: node, args: [fixture('garbage-stdout.mjs')], env: { GARBAGE_ONLY: '1' }, initTimeoutMs: 400 },
    });
    const status = await waitForServer(supervisor, 'garbage', (s) => s.lastError !== undefined);
    expect(status.lastError!.message).toContain('initialize');
  });

  it('a command that does not exist is an error naming the command, and other servers are unaffected', async () => {
    const { supervisor } = await gatewayWith({
      missing: { command: 'definitely-not-a-command-4711' },
      fine: { command: node, args: [fixture('fixture-server.mjs')] },
    });
    const status = await waitForServer(supervisor, 'missing', (s) => s.lastError !== undefined);
    expect(status.lastError!.message).toContain('cannot start "definitely-not-a-command-4711": command not found');
    await waitForServer(supervisor, 'fine', 'ready');
  });

  it('a periodic ping detects a hung server and restarts it', async () => {
    const { supervisor } = await gatewayWith(
      { frozen: { command: node, args: [fixture('fixture-server.mjs')] } },
      { pingIntervalMs: 100, pingTimeoutMs: 300, stopGraceMs: 300 },
    );
    const ready = await waitForServer(supervisor, 'frozen', 'ready');
    expect(signalProcess(ready.pid!, 'SIGSTOP')).toBe(true); // alive but answering nothing
    const failed = await waitForServer(supervisor, 'frozen', (s) => s.lastError !== undefined);
    expect(failed.lastError!.message).toMatch(/ping failed/);
    const again = await waitForServer(supervisor, 'frozen', (s) => s.state === 'ready' && s.pid !== ready.pid);
    expect(again.restarts).toBe(1);
    await waitUntil(() => !isAlive(ready.pid!), 5000, 'the frozen process to be killed');
  });
});

describe('lists', () => {
  it('refreshes the tool list on tools/list_changed, and hides disabledTools', async () => {
    const { supervisor } = await gatewayWith({
      growing: {
        command: node,
        args: [fixture('fixture-server.mjs')],
        env: { FIXTURE_ADD_TOOL_AFTER_MS: '50' },
        disabledTools: ['hang', 'crash'],
      },
    });
    await waitForServer(supervisor, 'growing', 'ready');
    await waitForServer(supervisor, 'growing', (s) => s.counts.tools === 5);
    const names = supervisor
      .get('growing')!
      .tools()
      .map((tool) => tool.name);
    expect(names).toContain('late_tool');
    expect(names).not.toContain('hang');
    expect(names).not.toContain('crash');
    expect(supervisor.tools().filter((entry) => entry.server === 'growing')).toHaveLength(5);
  });
});

describe('restart', () => {
  it('restarts a server with a new process and counts it; leaves a disabled one alone and says why, as for an unknown name', async () => {
    const { supervisor } = await gatewayWith({
      fx: { command: node, args: [fixture('fixture-server.mjs')] },
      off: { command: node, args: [fixture('fixture-server.mjs')], enabled: false },
    });
    const before = await waitForServer(supervisor, 'fx', 'ready');
    const restarted = await supervisor.restart('fx');
    expect(restarted.ok).toBe(true);
    expect(restarted.ok && restarted.server).toMatchObject({ name: 'fx', restarts: before.restarts + 1, enabledSource: 'config' });
    await waitUntil(() => !isAlive(before.pid!), 5000, 'the old process to be gone');
    const again = await waitForServer(supervisor, 'fx', 'ready');
    expect(again.pid).not.toBe(before.pid);

    expect(await supervisor.restart('off')).toEqual({ ok: false, why: 'disabled' });
    expect(supervisor.status('off')).toMatchObject({ state: 'disabled', restarts: 0 });
    expect(await supervisor.restart('nope')).toEqual({ ok: false, why: 'not-found' });
  });
});

describe('stopping', () => {
  it('ends the child and its whole process group, escalating to SIGKILL after the grace period', async () => {
    const dir = tempDir();
    const { supervisor } = await gatewayWith(
      {
        stubborn: {
          command: node,
          args: [fixture('fixture-server.mjs')],
          env: { FIXTURE_IGNORE_SIGTERM: '1', FIXTURE_GRANDCHILD_PID_FILE: path.join(dir, 'grandchild') },
        },
        polite: {
          command: node,
          args: [fixture('fixture-server.mjs')],
          env: { FIXTURE_GRANDCHILD_PID_FILE: path.join(dir, 'grandchild2') },
        },
      },
      { stopGraceMs: 300 },
    );
    const stubborn = await waitForServer(supervisor, 'stubborn', 'ready');
    const polite = await waitForServer(supervisor, 'polite', 'ready');
    const pids = [stubborn.pid!, polite.pid!, readPid(path.join(dir, 'grandchild'))!, readPid(path.join(dir, 'grandchild2'))!];
    expect(pids.every(isAlive)).toBe(true);
    const started = Date.now();
    await supervisor.stopAll();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250); // the stubborn one needed SIGKILL
    await waitUntil(() => pids.every((pid) => !isAlive(pid)), 5000, 'every process to be gone');
    expect(supervisor.status('stubborn')!.state).toBe('stopped');
    expect(fs.existsSync(dir)).toBe(true);
  });
});

describe('lookup', () => {
  it('require(name) gives the server, or throws the catalog 404 server-not-found every surface answers with', async () => {
    const { supervisor } = await gatewayWith({ off: { command: node, args: [fixture('fixture-server.mjs')], enabled: false } });
    expect(supervisor.require('off')).toBe(supervisor.get('off'));
    let thrown: unknown;
    try {
      supervisor.require('nope');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProblemError);
    expect((thrown as ProblemError).body()).toEqual({
      type: 'server-not-found',
      title: 'No such server',
      status: 404,
      detail: 'no server named "nope"',
    });
  });
});
