// `mcp-gateway oauth login <server>` (issue 19): a headless sign-in through the running gateway, with
// the built command, a real gateway process and a server behind OAuth (test/fixtures/oauth-server.mjs).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN, runCli, startCli, type RunningGateway } from './helpers/cli.js';
import { tempDir } from './helpers/gateway.js';
import { startHttpFixture } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';
import { oauthCommand } from '../server/cli/oauth-login.js';

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

/** A gateway (the built command) with one server behind OAuth (`remote`), waiting for its sign-in. */
async function gatewayNeedingSignIn(): Promise<RunningGateway> {
  const upstream = await startHttpFixture(['oauth-server.mjs'], '/mcp');
  running.push(upstream);
  const dir = tempDir();
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({ approval: { default: 'allow' }, mcpServers: { remote: { url: upstream.url, auth: 'oauth' } } }),
  );
  const gateway = await startCli(['--config', config, '--state-dir', path.join(dir, 'state')]);
  running.push(gateway);
  await waitUntil(
    async () => ((await (await fetch(`${gateway.url}/api/servers/remote`)).json()) as { state: string }).state === 'needs-sign-in',
    15_000,
    'the server to need a sign-in',
  );
  return gateway;
}

describe('mcp-gateway oauth login', () => {
  it('prints the authorization URL, waits for the callback on the running gateway, and ends once it holds the tokens', async () => {
    const gateway = await gatewayNeedingSignIn();

    const login = spawn(process.execPath, [MAIN, 'oauth', 'login', 'remote', '--gateway', gateway.url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push({ stop: async () => login.exitCode === null && login.kill() });
    let stdout = '';
    login.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    const exited = once(login, 'exit');
    const url = await waitUntil(() => stdout.match(/^ {2}(http\S+)$/m)?.[1], 15_000, 'the authorization URL');

    // The person's browser: the authorization server approves and sends it to the gateway's callback.
    const approved = await fetch(url, { redirect: 'manual' });
    const callback = approved.headers.get('location')!;
    expect(callback.startsWith(`${gateway.url}/ui/oauth/callback?`)).toBe(true);
    expect((await fetch(callback, { redirect: 'manual' })).status).toBe(303);

    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(stdout).toMatch(/Signed in: server remote is (starting|ready)\./);
    const call = () =>
      fetch(`${gateway.url}/remote/echo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"hi"}' });
    await waitUntil(async () => (await call()).status === 200, 15_000, 'a tool call on the signed-in server');
  });

  it('on a server already connected that needs a new sign-in (another origin), waits for it rather than ending at once', async () => {
    const gateway = await gatewayNeedingSignIn();
    const status = async () =>
      (await (await fetch(`${gateway.url}/api/servers/remote`)).json()) as { state: string; oauth: { connected: boolean } };
    // Signed in once, through 127.0.0.1.
    const connect = (await (await fetch(`${gateway.url}/api/servers/remote/oauth/connect`, { method: 'POST' })).json()) as {
      authorizationUrl: string;
    };
    const first = await fetch(connect.authorizationUrl, { redirect: 'manual' });
    await fetch(first.headers.get('location')!, { redirect: 'manual' });
    await waitUntil(async () => (await status()).oauth.connected, 15_000, 'the first sign-in');

    // Signed in again through localhost: another callback URL, so another registration and a person's sign-in.
    const polls = () =>
      gateway.logs.filter((line) => line.msg === 'request' && line.method === 'GET' && line.path === '/api/servers/remote').length;
    const before = polls();
    const other = gateway.url.replace('127.0.0.1', 'localhost');
    const login = spawn(process.execPath, [MAIN, 'oauth', 'login', 'remote', '--gateway', other], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.push({ stop: async () => login.exitCode === null && login.kill() });
    let stdout = '';
    login.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    const exited = once(login, 'exit');
    const url = await waitUntil(() => stdout.match(/^ {2}(http\S+)$/m)?.[1], 15_000, 'the authorization URL');
    // It polls the gateway, and goes on waiting while the old tokens are all the gateway holds.
    await waitUntil(() => polls() >= before + 4 || login.exitCode !== null, 15_000, 'the command to poll');
    expect(login.exitCode).toBeNull();

    const approved = await fetch(url, { redirect: 'manual' });
    const callback = approved.headers.get('location')!;
    expect(callback.startsWith(`${other}/ui/oauth/callback?`)).toBe(true);
    expect((await fetch(callback, { redirect: 'manual' })).status).toBe(303);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(stdout).toMatch(/Signed in: server remote is/);
  });

  it('stops when the gateway does not answer the status before the sign-in, rather than taking "connected" for its end', async () => {
    // A gateway whose first answer about the server fails, and which then shows it connected (tokens held before).
    let statuses = 0;
    const connected = JSON.stringify({ state: 'ready', oauth: { connected: true, obtainedAt: '2026-01-01T00:00:00.000Z' } });
    const gateway = http.createServer((req, res) => {
      if (req.method === 'POST')
        return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"authorizationUrl":"http://127.0.0.1:9/authorize"}');
      if (statuses++ === 0) return res.writeHead(503, { 'Content-Type': 'text/plain' }).end('busy');
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(connected);
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    running.push({ stop: () => new Promise((resolve) => gateway.close(resolve)) });
    const lines: string[] = [];
    const base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    const code = await oauthCommand(['login', 'remote', '--gateway', base], {}, (text) => void lines.push(text), 10);
    expect(lines.join('')).not.toContain('Signed in');
    expect(lines.join('')).toContain('the gateway answered 503');
    expect(code).toBe(1);
  });

  it('takes a background refresh during the sign-in for no sign-in: it ends only once signedInAt moves', async () => {
    // A gateway showing the server connected; during the sign-in a refresh moves obtainedAt and
    // expiresAt (after the third status), and only later (from the sixth) the sign-in ends.
    let statuses = 0;
    const state = (refreshed: boolean, signedIn: boolean) =>
      JSON.stringify({
        state: 'ready',
        oauth: {
          connected: true,
          obtainedAt: refreshed ? '2026-01-01T01:00:00.000Z' : '2026-01-01T00:00:00.000Z',
          expiresAt: refreshed ? '2026-01-01T02:00:00.000Z' : '2026-01-01T01:00:00.000Z',
          signedInAt: signedIn ? '2026-01-01T01:30:00.000Z' : '2026-01-01T00:00:00.000Z',
        },
      });
    const gateway = http.createServer((req, res) => {
      if (req.method === 'POST')
        return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"authorizationUrl":"http://127.0.0.1:9/authorize"}');
      statuses++;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(state(statuses > 2, statuses > 5));
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    running.push({ stop: () => new Promise((resolve) => gateway.close(resolve)) });
    const lines: string[] = [];
    const base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    const code = await oauthCommand(['login', 'remote', '--gateway', base], {}, (text) => void lines.push(text), 10);
    expect(code).toBe(0);
    expect(lines.join('')).toContain('Signed in: server remote is ready.');
    expect(statuses).toBe(6);
  });

  it('answers bad arguments with exit 2 and the usage, and an unknown server with exit 1 and the reason', async () => {
    const usage = await runCli(['oauth', 'logout']);
    expect(usage.code).toBe(2);
    expect(usage.stdout).toContain('Usage: mcp-gateway oauth login <server>');
    const gateway = await startCli(['--state-dir', path.join(tempDir(), 'state'), '--', process.execPath, '-e', '']);
    running.push(gateway);
    const unknown = await runCli(['oauth', 'login', 'nope', '--gateway', gateway.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('no server named "nope"');
  });
});
