// The MCP Inspector's command line (`npm run test:interop`, not part of `npm test`): the newest
// @modelcontextprotocol/inspector from the npm registry, installed into a temporary folder, in its
// `--cli` mode, lists and calls tools of stdio servers through `/mcp` and `/mcp/{server}`, with the
// gateway's key as a Bearer header (and is refused without it).
//
// Needs npm (the registry, or npm's cache) and a Node.js 22.19 or later for the Inspector:
// CONFORMANCE_NODE (a path to its `node`; default: this Node if it is one, else the
// `node-linux-<arch>@22` package from the npm registry).
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING_BIN, fixture, startTestGateway, tempDir, waitForServer, type TestGateway } from '../helpers/gateway.js';
import { nodeOfAtLeast, npmInstall } from './fetched-tools.js';

const KEY = 'interop-inspector-key-0123456789';

describe('the MCP Inspector CLI through /mcp', () => {
  let gateway: TestGateway;
  let listener: http.Server;
  let base = '';
  let inspector: (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

  beforeAll(async () => {
    const node22 = nodeOfAtLeast(22);
    const env = {
      ...process.env,
      PATH: `${path.dirname(node22)}${path.delimiter}${process.env.PATH}`,
      // Its catalog (~/.mcp-inspector) and Node's compile cache go to folders removed after the file.
      HOME: tempDir('mcp-gateway-inspector-home-'),
      TMPDIR: tempDir('mcp-gateway-inspector-tmp-'),
    };
    // With Node 22 first on PATH, npm picks the newest Inspector (its engines want Node 22.19 or later).
    const dir = npmInstall(['@modelcontextprotocol/inspector'], env);
    const launcher = path.join(dir, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');
    inspector = async (args) => {
      try {
        const { stdout, stderr } = await promisify(execFile)(node22, [launcher, '--cli', ...args], { env, maxBuffer: 16 * 1024 * 1024 });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
      }
    };

    gateway = await startTestGateway(
      {
        approval: { default: 'allow' },
        mcpServers: {
          fx: { command: process.execPath, args: [fixture('fixture-server.mjs')] },
          everything: { command: process.execPath, args: [EVERYTHING_BIN] },
        },
      },
      { apiKey: KEY },
    );
    await waitForServer(gateway.supervisor, 'fx', 'ready');
    await waitForServer(gateway.supervisor, 'everything', 'ready');
    listener = http.createServer(gateway.app).listen(0, '127.0.0.1');
    await new Promise((resolve) => listener.once('listening', resolve));
    base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  }, 300_000);

  afterAll(async () => {
    listener?.closeAllConnections();
    await new Promise((resolve) => (listener ? listener.close(resolve) : resolve(undefined)));
    await gateway?.close();
  });

  const auth = ['--header', `Authorization: Bearer ${KEY}`];

  async function listed(target: string[]): Promise<string[]> {
    const run = await inspector([...target, ...auth, '--method', 'tools/list']);
    expect(run.code, run.stderr).toBe(0);
    return (JSON.parse(run.stdout) as { tools: { name: string }[] }).tools.map((tool) => tool.name);
  }

  async function called(target: string[], tool: string, args: string[]): Promise<unknown> {
    const run = await inspector([...target, ...auth, '--method', 'tools/call', '--tool-name', tool, '--tool-arg', ...args]);
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout);
  }

  it('lists every server’s tools on /mcp and calls one', async () => {
    const names = await listed([`${base}/mcp`]);
    expect(names).toContain('fx__echo');
    expect(names).toContain('everything__echo');
    expect(await called([`${base}/mcp`], 'fx__echo', ['message=from the inspector'])).toMatchObject({
      content: [{ type: 'text', text: 'from the inspector' }],
    });
    const entry = gateway.gateway.activity.list({ limit: 1 }).items[0];
    expect(entry).toMatchObject({ server: 'fx', tool: 'echo', surface: 'mcp', outcome: 'ok' });
  });

  it('lists and calls one server’s tools under their own names on /mcp/{server}', async () => {
    // The Inspector tells the transport from a URL ending in /mcp only: elsewhere it must be named.
    const target = [`${base}/mcp/everything`, '--transport', 'http'];
    expect(await listed(target)).toContain('get-sum');
    expect(await called(target, 'get-sum', ['a=2', 'b=3'])).toMatchObject({
      content: [{ type: 'text', text: 'The sum of 2 and 3 is 5.' }],
    });
  });

  it('is refused without the key (the Inspector takes the 401 for an OAuth challenge it cannot answer here)', async () => {
    const refused = await inspector([`${base}/mcp`, '--method', 'tools/list']);
    expect(refused.code).not.toBe(0);
    const output = `${refused.stdout}${refused.stderr}`;
    expect(output).toContain('"code":"auth_required"');
    expect(output).not.toContain('fx__echo');
  });
});
