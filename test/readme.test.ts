// The README works as written: its quick-mode commands and the making of a key run from a clone
// (only the example URLs are swapped for local servers), it never sends anyone to `npx
// mcp-gateway` (that name on npm is someone else's), and its lists match the code.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ANONYMOUS, API_KEY_CALLER, UI_CALLER } from '../server/auth/identity.js';
import { ACTIVITY_OUTCOMES } from '../server/calls/outcome.js';
import { HELP_TEXT } from '../server/cli/args.js';
import { startCommand, type RunningGateway } from './helpers/cli.js';
import { tempDir } from './helpers/gateway.js';
import { startEverythingHttp, type HttpServer } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The commands of the first ```sh block after `marker`: [command, comment] per line. */
function shBlockAfter(marker: string): [string, string][] {
  const at = README.indexOf(marker);
  expect(at, `README has ${marker}`).toBeGreaterThanOrEqual(0);
  const block = /```sh\n([\s\S]*?)```/.exec(README.slice(at));
  return block![1]!
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [command, comment = ''] = line.split(/\s+# /);
      return [command!.trim(), comment.trim()];
    });
}

/**
 * Runs a README line in the repository, as a user in a clone would (`exec`, so that stopping it
 * stops the gateway). It gets a temporary folder of its own: on Node 22 and later, npm and npx
 * keep a compile cache there (`node-compile-cache`), which goes with the test's folders. It is
 * stopped as a user stops it (SIGTERM): the gateway then ends its servers and waits for them. A
 * SIGKILL would leave its stdio server (`npx …`, in a process group of its own) to exit later and
 * write its compile cache into a folder the test is removing (ENOTEMPTY, seen on Node 22).
 */
async function run(line: string, env: NodeJS.ProcessEnv): Promise<RunningGateway> {
  const gateway = await startCommand(
    'sh',
    ['-c', `exec ${line}`],
    { MCP_GATEWAY_PORT: '0', MCP_GATEWAY_STATE_DIR: tempDir(), TMPDIR: tempDir(), ...env },
    ROOT,
  );
  cleanups.push(() => gateway.stop('SIGTERM'));
  return gateway;
}

async function local(mode: 'sse' | 'streamable-http'): Promise<HttpServer> {
  const server = await startEverythingHttp(mode);
  cleanups.push(() => server.stop());
  return server;
}

describe('quick mode', () => {
  it('runs each documented command from a clone, with the name and transport its comment says', async () => {
    const lines = shBlockAfter('### Quick mode');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    const [http, sse] = await Promise.all([local('streamable-http'), local('sse')]);
    // The example servers, swapped for local ones; the stdio example runs as written (npx finds
    // server-everything among the clone's dev dependencies).
    const swaps: [string, string][] = [
      ['https://example.com/mcp', http.url],
      ['http://127.0.0.1:9000/', `http://127.0.0.1:${sse.port}/`],
    ];
    const transports: Record<string, string> = { stdio: 'stdio', 'streamable HTTP': 'streamable-http', SSE: 'sse' };
    await Promise.all(
      lines.map(async ([command, comment]) => {
        expect(command).toMatch(/^node dist\/server\/main\.js /);
        const line = swaps.reduce((text, [from, to]) => text.replace(from, to), command);
        expect(line).not.toMatch(/example\.com|:9000/);
        const gateway = await run(line, { MCP_GATEWAY_APPROVAL_DEFAULT: 'allow' });
        const servers = await waitUntil(
          async () => {
            const body = (await (await fetch(`${gateway.url}/api/servers`)).json()) as {
              servers: { name: string; state: string; transport: string }[];
            };
            return body.servers.length === 1 && body.servers[0]!.state === 'ready' ? body.servers : undefined;
          },
          20_000,
          `the server of "${command}" ready`,
        );
        const transport = Object.entries(transports).find(([word]) => comment.startsWith(word))?.[1];
        expect(servers[0]!.transport, comment).toBe(transport);
        const named = /named "([^"]+)"/.exec(comment);
        if (named) expect(servers[0]!.name).toBe(named[1]);
      }),
    );
  });

  it('npm start passes its arguments on to the gateway', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    // `npm start -- <args>` appends <args> to the script: they reach main.js only if it comes last.
    expect(pkg.scripts.start).toMatch(/&& node dist\/server\/main\.js$/);
  });

  it('never tells anyone to run "npx mcp-gateway", whose npm package is a stranger\'s', () => {
    const nixDocs = fs
      .readdirSync(path.join(ROOT, 'nix'), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.(nix|md|json)$/.test(file))
      .map((file) => fs.readFileSync(path.join(ROOT, 'nix', file), 'utf8'));
    for (const text of [HELP_TEXT, ...nixDocs]) expect(text).not.toContain('npx mcp-gateway');
    // The README names it once: to warn against it.
    expect(README.match(/npx mcp-gateway/g)).toHaveLength(1);
    expect(README.replace(/\s+/g, ' ')).toContain("Not `npx mcp-gateway`: the package of that name on npm is someone else's");
  });
});

describe('an API key', () => {
  it('is made and used as documented: readable only by its owner, and the gateway then asks for it', async () => {
    const [makeKey, startWithKey] = shBlockAfter('**An API key.**').map(([command]) => command);
    const home = tempDir();
    const made = spawnSync('sh', ['-c', makeKey!], { env: { ...process.env, HOME: home }, cwd: ROOT, encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const keyFile = path.join(home, '.mcp-gateway-key');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = fs.readFileSync(keyFile, 'utf8');
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const gateway = await run(startWithKey!, { HOME: home });
    expect((await fetch(`${gateway.url}/api/servers`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/api/servers`, { headers: { Authorization: `Bearer ${key}` } })).status).toBe(200);
  });
});

describe('the activity log section', () => {
  const section = README.slice(README.indexOf('### Activity log'), README.indexOf('### Metrics and logs'));

  it('lists every outcome the code records, and no other', () => {
    const table = section.slice(section.indexOf('| `outcome` |'));
    const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
    const documented = rows.map((row) => /^\| `([a-z_]+)` \|/.exec(row)?.[1]);
    expect([...documented].sort()).toEqual([...ACTIVITY_OUTCOMES].sort());
  });

  it('names every form of caller id and the approvalId field', () => {
    for (const id of [API_KEY_CALLER, 'key:<id>', UI_CALLER, 'ui:<key id>', 'device:<id>', ANONYMOUS])
      expect(section).toContain(`\`${id}\``);
    expect(section).toContain('`approvalId`');
  });
});
