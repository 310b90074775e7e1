// The MCP TypeScript SDK's clients of both lines — 1.x (`@modelcontextprotocol/sdk`) and 2.x
// (`@modelcontextprotocol/client`) — against `/mcp`, `/mcp/{server}` and a group: list, call,
// progress, cancellation, list_changed after a hot reload, a held call approved through
// `/api/approvals` and one denied, Bearer auth and refusal. Real servers, real HTTP.
import fs from 'node:fs';
import path from 'node:path';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../server/config/load.js';
import { callKit, node, results } from './helpers/calls.js';
import { FAST, fixture, startTestGateway, tempDir, waitForServer } from './helpers/gateway.js';
import { waitUntil } from './helpers/process.js';
import { pendingApprovals } from './helpers/ui-session.js';

const kit = callKit();
const KEY = 'mcp-clients-test-key-0123456789';

type Line = 'v1' | 'v2';

interface AnyClient {
  listTools(): Promise<string[]>;
  call(
    name: string,
    args: object,
    options?: { onProgress?: (progress: number) => void; signal?: AbortSignal },
  ): Promise<{
    content: { type: string; text?: string }[];
    isError?: boolean;
  }>;
  onToolsChanged(listener: () => void): void;
}

/** One client of either SDK line, closed after the test. */
async function connect(line: Line, url: string, token?: string): Promise<AnyClient> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (line === 'v1') {
    const client = new ClientV1({ name: 'sdk-v1', version: '1.0.0' });
    await client.connect(new HttpV1(new URL(url), { requestInit: { headers } }));
    kit.defer(() => client.close());
    return {
      listTools: async () => (await client.listTools()).tools.map((tool) => tool.name),
      call: async (name, args, options = {}) =>
        (await client.callTool({ name, arguments: args as Record<string, unknown> }, undefined, {
          ...(options.onProgress ? { onprogress: (update) => options.onProgress!(update.progress) } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        })) as never,
      onToolsChanged: (listener) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => listener()),
    };
  }
  const client = new ClientV2({ name: 'sdk-v2', version: '2.0.0' });
  await client.connect(new HttpV2(new URL(url), { requestInit: { headers } }));
  kit.defer(() => client.close());
  return {
    listTools: async () => (await client.listTools()).tools.map((tool) => tool.name),
    call: async (name, args, options = {}) =>
      (await client.callTool(
        { name, arguments: args as Record<string, unknown> },
        {
          ...(options.onProgress ? { onprogress: (update: { progress: number }) => options.onProgress!(update.progress) } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        },
      )) as never,
    onToolsChanged: (listener) => client.setNotificationHandler('notifications/tools/list_changed', () => listener()),
  };
}

const fx = { command: node, args: [fixture('fixture-server.mjs')] };

for (const line of ['v1', 'v2'] as const) {
  describe(`the SDK's ${line === 'v1' ? '1.x' : '2.x'} client`, () => {
    it('lists and calls on /mcp, /mcp/{server} and a group, with progress; Bearer auth and refusal', async () => {
      const started = await startTestGateway(
        {
          approval: { default: 'allow' },
          gateway: FAST,
          mcpServers: { fx, res: results() },
          groups: { mixed: { tools: ['fx/echo', 'res/chatty'] } },
        },
        { apiKey: KEY },
      );
      kit.defer(() => started.close());
      await waitForServer(started.supervisor, 'fx', 'ready');
      await waitForServer(started.supervisor, 'res', 'ready');
      const base = await kit.listen(started.app);

      await expect(connect(line, `${base}/mcp`)).rejects.toThrow();
      await expect(connect(line, `${base}/mcp`, 'wrong-key-0123456789')).rejects.toThrow();

      const all = await connect(line, `${base}/mcp`, KEY);
      expect(await all.listTools()).toEqual(expect.arrayContaining(['fx__echo', 'res__chatty']));
      expect((await all.call('fx__echo', { message: 'all' })).content).toEqual([{ type: 'text', text: 'all' }]);

      const one = await connect(line, `${base}/mcp/fx`, KEY);
      expect(await one.listTools()).toContain('echo');
      expect((await one.call('echo', { message: 'one' })).content).toEqual([{ type: 'text', text: 'one' }]);

      const group = await connect(line, `${base}/mcp/mixed`, KEY);
      expect((await group.listTools()).sort()).toEqual(['fx__echo', 'res__chatty']);
      const steps: number[] = [];
      const chatty = await group.call('res__chatty', { steps: 2, everyMs: 1 }, { onProgress: (progress) => steps.push(progress) });
      expect(chatty.isError).toBeFalsy();
      expect(steps).toEqual([1, 2]);
    });

    it('cancels a call upstream when the client aborts it', async () => {
      const cancelLog = path.join(tempDir(), 'cancel.log');
      const started = await kit.gateway({ res: results({ RESULTS_CANCEL_LOG: cancelLog }) });
      const base = await kit.listen(started.app);
      const client = await connect(line, `${base}/mcp/res`);
      const controller = new AbortController();
      const waiting = client.call('wait', { ms: 60_000 }, { signal: controller.signal });
      await waitUntil(
        () => fs.existsSync(cancelLog) && fs.readFileSync(cancelLog, 'utf8').includes('started'),
        10_000,
        'the call to start',
      );
      controller.abort();
      await expect(waiting).rejects.toThrow();
      await waitUntil(() => fs.readFileSync(cancelLog, 'utf8').includes('cancelled'), 10_000, 'the server to see the cancellation');
    });

    it('hears tools/list_changed after a hot reload that removes a server, whose tools are gone at once', async () => {
      const dir = tempDir();
      const config = (servers: object) =>
        parseConfigText(JSON.stringify({ gateway: FAST, mcpServers: servers }), path.join(dir, 'config.json'));
      const started = await kit.gateway({ fx, res: results() });
      const base = await kit.listen(started.app);
      const client = await connect(line, `${base}/mcp`);
      let changes = 0;
      client.onToolsChanged(() => changes++);
      expect(await client.listTools()).toContain('fx__echo');
      await started.gateway.reload(config({ res: results() }));
      await waitUntil(() => changes > 0, 10_000, 'tools/list_changed');
      const names = await client.listTools();
      expect(names).not.toContain('fx__echo');
      expect(names).toContain('res__plain_text');
    });

    it('waits for a held call approved through /api/approvals, and reads a denial as an isError text', async () => {
      const started = await kit.gateway({ res: results() }, {}, { apiKey: KEY, approval: { default: 'ask', timeoutMs: 60_000 } });
      const base = await kit.listen(started.app);
      const client = await connect(line, `${base}/mcp`, KEY);
      const approved = client.call('res__plain_text', {});
      const first = (await pendingApprovals(started.app, KEY))[0]!;
      await request(started.app).post(`/api/approvals/${first.id}/approve`).set('Authorization', `Bearer ${KEY}`).expect(200);
      expect((await approved).content).toEqual([{ type: 'text', text: 'hello there' }]);
      const denied = client.call('res__plain_text', {});
      const second = (await pendingApprovals(started.app, KEY))[0]!;
      await request(started.app)
        .post(`/api/approvals/${second.id}/deny`)
        .set('Authorization', `Bearer ${KEY}`)
        .send({ reason: 'no' })
        .expect(200);
      expect(await denied).toMatchObject({ isError: true, content: [{ type: 'text', text: 'denied by start-up key: no' }] });
    });
  });
}
