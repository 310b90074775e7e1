// Start-up compiles only what it needs (README "Performance"): the built command is split along its
// dynamic imports (scripts/bundle.mjs), and the MCP endpoint with the 2.x SDK is read on the first
// /mcp request, not at start.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN, startCommand, type RunningGateway } from './helpers/cli.js';
import { fixture, tempDir } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';

const running: RunningGateway[] = [];
afterEach(async () => {
  for (const gateway of running.splice(0)) await gateway.stop();
});

describe('the built command', () => {
  it('listens without loading the MCP endpoint, and loads it on the first /mcp request', async () => {
    const dir = tempDir();
    const record = path.join(dir, 'loads.txt');
    const gateway = await startCommand(
      process.execPath,
      ['--import', pathToFileURL(fixture('record-loads.mjs')).href, MAIN, '--port', '0', '--state-dir', dir],
      { RECORD_LOADS_FILE: record },
    );
    running.push(gateway);
    const loaded = () => fs.readFileSync(record, 'utf8').split('\n').filter(Boolean);
    const endpoint = (url: string) => /\/dist\/server\/chunks\/endpoint-[^/]+\.js$/.test(url);
    expect(loaded()).toContain(pathToFileURL(MAIN).href);
    expect(loaded().filter(endpoint)).toEqual([]);

    const res = await fetch(`${gateway.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
      }),
    });
    expect(res.status).toBe(200);
    await res.text();
    await waitUntil(() => loaded().some(endpoint));
  });
});
