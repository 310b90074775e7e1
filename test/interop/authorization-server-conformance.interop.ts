// The official MCP conformance suite's authorization-server mode (`npm run test:interop`, not part
// of `npm test`) against test/fixtures/authorization-server.mjs: the fixture the tests of the
// gateway as a resource server (and as an OAuth client) rely on is a conforming authorization
// server. Its scenarios (metadata endpoint, authorization code grant) must all pass; the suite's
// "open this URL in a browser" step is done by fetching the URL, which the fixture answers with the
// redirect to the suite's callback (its automatic sign-in). The suite has no server-mode scenarios
// for a resource server (the gateway's side), so there is none to run through the gateway.
//
// Needs npm (the registry, or npm's cache) and CONFORMANCE_DIR, CONFORMANCE_REF, CONFORMANCE_NODE
// as test/interop/mcp-conformance.interop.ts describes them.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from '../helpers/temp.js';
import { startHttpFixture } from '../helpers/http-server.js';
import { waitUntil } from '../helpers/process.js';
import { nodeOfAtLeast, npmInstall } from './fetched-tools.js';

/** A port nothing listens on now (the suite's callback server takes it). */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every checks.json under `dir`: check id → status. */
function checksIn(dir: string): Map<string, string> {
  const checks = new Map<string, string>();
  for (const file of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('checks.json'))) {
    for (const check of JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { id: string; status: string }[]) {
      checks.set(check.id, check.status);
    }
  }
  return checks;
}

it('passes the conformance suite’s authorization-server scenarios', async () => {
  const repo = process.env.CONFORMANCE_DIR;
  if (!repo)
    throw new Error('Set CONFORMANCE_DIR to a clone (or bare git directory) of the conformance repository: see README "Development"');
  const ref = process.env.CONFORMANCE_REF || 'c321dd3';
  const version = (
    JSON.parse(execFileSync('git', ['-C', repo, 'show', `${ref}:package.json`], { encoding: 'utf8' })) as { version: string }
  ).version;
  const suite = path.join(
    npmInstall([`@modelcontextprotocol/conformance@${version}`]),
    'node_modules/@modelcontextprotocol/conformance/dist/index.js',
  );
  const node22 = nodeOfAtLeast(22);

  const port = await freePort();
  const client = { client_id: 'conformance', token_endpoint_auth_method: 'none', redirect_uris: [`http://127.0.0.1:${port}/callback`] };
  const server = await startHttpFixture(['authorization-server.mjs'], '', {
    AS_CLIENTS: JSON.stringify([{ ...client, grant_types: ['authorization_code'], response_types: ['code'] }]),
  });
  const output = tempDir('mcp-gateway-conformance-results-');
  try {
    const run = spawn(
      node22,
      [suite, 'authorization', '--url', server.url, '--client-id', 'conformance', '-p', String(port), '-o', output],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let printed = '';
    run.stdout.setEncoding('utf8').on('data', (text: string) => (printed += text));
    run.stderr.setEncoding('utf8').on('data', (text: string) => (printed += text));
    const exited = new Promise<number | null>((resolve) => run.once('exit', resolve));
    // The URL a person would open; the fixture signs in at once and redirects to the suite's callback.
    const url = await waitUntil(() => /(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)/.exec(printed)?.[1], 60_000, 'the authorization URL');
    await waitUntil(() => printed.includes('Callback server started'), 10_000, 'the callback server');
    const callback = (await fetch(url, { redirect: 'manual' })).headers.get('location')!;
    expect(new URL(callback).port).toBe(String(port));
    await fetch(callback);
    expect(await exited, printed).toBe(0);

    const checks = checksIn(output);
    expect([...checks.keys()]).toEqual(expect.arrayContaining(['authorization-server-metadata', 'authorization-code-grant']));
    for (const [id, status] of checks) expect(['SUCCESS', 'WARNING', 'INFO'], `${id}: ${status}`).toContain(status);
  } finally {
    await server.stop();
  }
}, 600_000);
