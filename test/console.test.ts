// What a person sees on the console: JSON lines when stdout is piped, readable lines with
// --log-format pretty (secrets redacted all the same), the UI's address in the start-up line, and
// no info line for the requests that pages and probes repeat. The built command, as a user runs it.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveLogFormat } from '../server/logging/logger.js';
import { startCli, type RunningGateway } from './helpers/cli.js';
import { fixture, tempDir } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';

const running: RunningGateway[] = [];
afterEach(async () => {
  for (const gateway of running.splice(0)) await gateway.stop('SIGKILL');
});

async function start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningGateway> {
  const gateway = await startCli(['--state-dir', tempDir(), ...args], env);
  running.push(gateway);
  return gateway;
}

function writeConfig(config: object): string {
  const file = path.join(tempDir(), 'config.json');
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

describe('the log format', () => {
  it('auto is pretty on a terminal and JSON otherwise; an explicit format always wins', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it("piped, every line is JSON, and the start-up line names the UI's address with the base path", async () => {
    const config = writeConfig({ gateway: { basePath: '/mcp' }, mcpServers: {} });
    const gateway = await start(['--config', config]);
    const listening = await gateway.waitForLog((line) => typeof line.ui === 'string');
    const ui = `${gateway.url}/mcp/`;
    expect(listening.ui).toBe(ui);
    expect(listening.msg).toMatch(/^mcp-gateway \S+ listening on http:\/\/127\.0\.0\.1:\d+; open the UI at /);
    expect(String(listening.msg).endsWith(`open the UI at ${ui}`)).toBe(true);
    const page = await fetch(ui);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    await gateway.waitForLog((line) => line.path === '/' && line.status === 200);
    expect(gateway.logs.filter((line) => 'raw' in line)).toEqual([]);
  });

  it('--log-format pretty writes readable lines without colour codes when piped, and redacts secrets as JSON does', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'remote-token'), 'file-secret-5b2e\n');
    const keyFile = path.join(dir, 'key');
    fs.writeFileSync(keyFile, 'api-key-e71d-0b5c7a90');
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        approval: { default: 'allow' },
        gateway: { pingIntervalMs: 0, backoffInitialMs: 100, backoffMaxMs: 1000 },
        mcpServers: {
          local: { command: process.execPath, args: [fixture('fixture-server.mjs')], env: { TOKEN: '${ENV_SECRET}' } },
          remote: { url: 'http://127.0.0.1:9/mcp', headers: { Authorization: 'Bearer ${file:remote-token}' } },
        },
      }),
    );
    const gateway = await start(['--config', config, '--api-key-file', keyFile, '--log-format', 'pretty', '--log-level', 'trace'], {
      ENV_SECRET: 'env-secret-c09a',
    });
    const auth = { headers: { Authorization: 'Bearer api-key-e71d-0b5c7a90' } };
    await waitUntil(
      async () => (await (await fetch(`${gateway.url}/api/servers/local`, auth)).json()).state === 'ready',
      15_000,
      'local ready',
    );
    expect((await fetch(`${gateway.url}/api/servers`, { headers: { Authorization: 'Bearer wrong-key-3f60' } })).status).toBe(403);
    await fetch(`${gateway.url}/api/servers`, auth);
    const lines = () => gateway.logs.map((line) => String(line.raw));
    await waitUntil(() => lines().some((line) => line.includes('INFO: GET /api/servers 200 ')), 10_000, 'the request line');
    expect(await gateway.stop('SIGTERM')).toBe(0);

    const text = lines().join('\n');
    const time = String.raw`^\[\d\d:\d\d:\d\d\.\d{3}\]`;
    expect(text).toMatch(
      new RegExp(
        `${time} INFO: mcp-gateway \\S+ listening on http://127\\.0\\.0\\.1:\\d+; open the UI at http://127\\.0\\.0\\.1:\\d+/ `,
        'm',
      ),
    );
    expect(text).toMatch(new RegExp(`${time} INFO: GET /api/servers 200 [\\d.]+ ms \\{"reqId":"[^"]+"\\}$`, 'm'));
    expect(text).toMatch(new RegExp(`${time} WARN: a request with a key that is not valid `, 'm'));
    expect(gateway.logs.filter((line) => !('raw' in line))).toEqual([]); // not one JSON line
    expect(text).not.toContain('\u001b[');
    expect(lines().length).toBeGreaterThan(10); // it did log, at trace level
    for (const secret of ['file-secret-5b2e', 'api-key-e71d-0b5c7a90', 'env-secret-c09a', 'wrong-key-3f60']) {
      expect(text + gateway.stderr()).not.toContain(secret);
    }
  });
});

describe('routine requests', () => {
  it('static files, the badge poll and health probes are logged at debug; other requests at info', async () => {
    const gateway = await start(['--config', writeConfig({ mcpServers: {} }), '--log-level', 'debug']);
    for (const route of ['/static/ui.css', '/static/ui.js?v=2', '/ui/approvals/badge', '/healthz', '/readyz']) {
      expect((await fetch(`${gateway.url}${route}`)).status).toBe(200);
    }
    await fetch(`${gateway.url}/api/servers`);
    await gateway.waitForLog((line) => line.msg === 'request' && line.path === '/api/servers');
    const levels = Object.fromEntries(gateway.logs.filter((line) => line.msg === 'request').map((line) => [line.path, line.level]));
    expect(levels).toEqual({
      '/static/ui.css': 20,
      '/static/ui.js': 20,
      '/ui/approvals/badge': 20,
      '/healthz': 20,
      '/readyz': 20,
      '/api/servers': 30,
    });
  });
});
