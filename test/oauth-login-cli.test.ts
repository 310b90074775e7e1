// `mcp-gateway oauth login <server>` (issue 19): a headless sign-in through the running gateway, with
// the built command, a real gateway process and a server behind OAuth (test/fixtures/oauth-server.mjs).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN, runCli, startCli } from './helpers/cli.js';
import { tempDir } from './helpers/gateway.js';
import { startHttpFixture } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

describe('mcp-gateway oauth login', () => {
  it('prints the authorization URL, waits for the callback on the running gateway, and ends once it holds the tokens', async () => {
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
