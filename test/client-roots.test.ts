// Roots (issue 18 item 5): the gateway offers a server its configured roots and tells it when a
// reload changes them, without restarting it. server-filesystem started without folders takes
// its allowed folders from the client's roots.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../server/config/load.js';
import { FAST, EVERYTHING_BIN, startTestGateway, tempDir, waitForServer, type TestGateway } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';

const FILESYSTEM_BIN = path.resolve(
  import.meta.dirname,
  '..',
  'node_modules',
  '@modelcontextprotocol',
  'server-filesystem',
  'dist',
  'index.js',
);
const CALL = { timeoutMs: 10_000, maxTotalTimeoutMs: 10_000 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function fileConfig(roots: unknown[] | undefined) {
  return {
    approval: { default: 'allow' },
    gateway: FAST,
    mcpServers: { fs: { command: process.execPath, args: [FILESYSTEM_BIN], ...(roots && { roots }) } },
  };
}

async function allowed(gateway: TestGateway): Promise<string> {
  const result = await gateway.supervisor.get('fs')!.callTool('list_allowed_directories', {}, CALL);
  return result.content.map((item) => String(item.text)).join('\n');
}

describe('roots', () => {
  it("server-filesystem's allowed folders follow the configured roots, and a reload changes them without a restart", async () => {
    const first = fs.realpathSync(tempDir());
    const second = fs.realpathSync(tempDir());
    const gateway = await startTestGateway(fileConfig([first]));
    cleanups.push(() => gateway.close());
    const ready = await waitForServer(gateway.supervisor, 'fs', 'ready');
    await waitUntil(async () => (await allowed(gateway)).includes(first), 10_000, 'the first root to be allowed');

    const config = parseConfigText(
      JSON.stringify(fileConfig([{ uri: pathToFileURL(second).href, name: 'second' }])),
      path.join(gateway.stateDir, 'config.json'),
    );
    const applied = await gateway.gateway.reload(config);
    expect(applied).toMatchObject({ restarted: [], updated: ['fs'] });
    await waitUntil(
      async () => {
        const text = await allowed(gateway);
        return text.includes(second) && !text.includes(first);
      },
      10_000,
      'the allowed folders to follow the new roots',
    );
    const after = gateway.supervisor.status('fs')!;
    expect(after.pid).toBe(ready.pid);
    expect(after.restarts).toBe(ready.restarts);
  });

  it('declares roots only when the server has some, and answers roots/list with them', async () => {
    const root = tempDir();
    const gateway = await startTestGateway({
      approval: { default: 'allow' },
      gateway: FAST,
      mcpServers: {
        with: { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'], roots: [root] },
        without: { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'] },
      },
    });
    cleanups.push(() => gateway.close());
    await waitForServer(gateway.supervisor, 'with', 'ready');
    await waitForServer(gateway.supervisor, 'without', 'ready');
    // server-everything lists get-roots-list only to a client that declared roots.
    expect(gateway.supervisor.get('without')!.tool('get-roots-list')).toBeUndefined();
    const connection = gateway.supervisor.get('with')!;
    expect(connection.tool('get-roots-list')).toBeDefined();
    const text = await waitUntil(
      async () => {
        const result = await connection.callTool('get-roots-list', {}, CALL);
        const out = result.content.map((item) => String(item.text)).join('\n');
        return out.includes(pathToFileURL(root).href) ? out : undefined;
      },
      10_000,
      'server-everything to have the roots',
    );
    expect(text).toContain(pathToFileURL(root).href);
  });
});

describe('roots, logLevel and sampling in the config file', () => {
  const problems = (file: object) => {
    try {
      parseConfigText(JSON.stringify(file), path.join(tempDir(), 'config.json'));
    } catch (error) {
      return (error as Error).message;
    }
    return '';
  };

  it('makes a path a file:// URI and refuses relative paths and other schemes, naming the place', () => {
    const ok = parseConfigText(
      JSON.stringify({ mcpServers: { fs: { command: 'x', roots: ['/srv/my data', 'file:///tmp', { uri: 'file:///opt', name: 'opt' }] } } }),
      path.join(tempDir(), 'config.json'),
    );
    expect(ok.servers[0]!.roots).toEqual([{ uri: 'file:///srv/my%20data' }, { uri: 'file:///tmp' }, { uri: 'file:///opt', name: 'opt' }]);
    const text = problems({ mcpServers: { fs: { command: 'x', roots: ['data', 'https://x.example/', { uri: 'ftp://y' }] } } });
    expect(text).toContain('$.mcpServers.fs.roots[0]: expected a file:// URI or an absolute path, got the relative path "data"');
    expect(text).toContain('$.mcpServers.fs.roots[1]: expected a file:// URI or an absolute path, got "https://x.example/"');
    expect(text).toContain('$.mcpServers.fs.roots[2].uri: expected a file:// URI or an absolute path, got "ftp://y"');
    expect(problems({ mcpServers: { fs: { command: 'x', roots: [3] } } })).toContain(
      '$.mcpServers.fs.roots[0]: expected a file:// URI, an absolute path or {"uri", "name"}, got number',
    );
  });

  it('checks logLevel and the sampling section', () => {
    expect(problems({ mcpServers: { a: { command: 'x', logLevel: 'loud' } } })).toContain(
      '$.mcpServers.a.logLevel: expected one of "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency", got "loud"',
    );
    const text = problems({
      sampling: { url: 'ftp://m', model: 'm', apiKeyFile: 'missing.key', servers: ['a', 'ghost'] },
      mcpServers: { a: { command: 'x' } },
    });
    expect(text).toContain('$.sampling.url: expected an http: or https: URL, got ftp:');
    expect(text).toMatch(/\$\.sampling\.apiKeyFile: cannot read key file .*missing\.key \(ENOENT\)/);
    expect(text).toContain('$.sampling.servers[1]: no server named "ghost" in mcpServers');
    expect(problems({ sampling: { url: 'http://m/v1', model: 'm', servers: 'all' }, mcpServers: {} })).toContain(
      '$.sampling.servers: expected "*" or an array of server names, got "all"',
    );
    expect(problems({ sampling: 5, mcpServers: {} })).toContain('$.sampling: expected object, got number');
    const ok = parseConfigText(
      JSON.stringify({
        sampling: { url: 'http://m/v1/', model: 'm', servers: ['b'] },
        mcpServers: { a: { command: 'x' }, b: { command: 'y' } },
      }),
      path.join(tempDir(), 'config.json'),
    );
    expect(ok.sampling).toEqual({ url: 'http://m/v1', model: 'm', maxTokens: 1024, servers: ['b'], timeoutMs: 120_000 });
    expect(ok.servers.map((server) => server.sampling)).toEqual([false, true]);
  });
});
