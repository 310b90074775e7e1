// Proves the demo server and the test fixtures behave as advertised, using the SDK client directly.
// Needs `npm run build` first (npm test does it via pretest) for dist/server/demo/demo-server.js.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StdioProcessTransport, safeEnvironment } from '../server/upstream/stdio-transport.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ToolListChangedNotificationSchema, type Progress } from '@modelcontextprotocol/sdk/types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const demoServer = fileURLToPath(new URL('../dist/server/demo/demo-server.js', import.meta.url));

const clients: Client[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  await Promise.all(
    children.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }),
  );
});

async function connect(transport: Transport): Promise<Client> {
  const client = new Client({ name: 'fixtures-test', version: '1.0.0' });
  clients.push(client);
  await client.connect(transport);
  return client;
}

// The gateway's own stdio transport: it is what talks to these servers in production.
const connectStdio = (script: string, env: Record<string, string> = {}) =>
  connect(new StdioProcessTransport({ command: process.execPath, args: [script], env: safeEnvironment(env), cwd: root }));

const textOf = (result: Awaited<ReturnType<Client['callTool']>>) =>
  (result.content as Array<{ type: string; text?: string }>).map((part) => part.text ?? '').join('');

type HttpMode = 'sse' | 'streamable-http';

/** Starts everything-http.mjs and resolves with its port once it printed `LISTENING <port>`. */
async function startEverythingHttp(mode: HttpMode, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [fixture('everything-http.mjs'), mode], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^LISTENING (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`everything-http exited early (${code}): ${stderr}`)));
  });
  return { port, child };
}

function httpTransport(mode: HttpMode, port: number, headers?: Record<string, string>): Transport {
  const opts = headers ? { requestInit: { headers } } : {};
  return mode === 'sse'
    ? new SSEClientTransport(new URL(`http://127.0.0.1:${port}/sse`), opts)
    : new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), opts);
}

describe('demo server', () => {
  it('lists exactly the six tools with their annotations', async () => {
    const client = await connectStdio(demoServer);
    expect(client.getServerVersion()?.name).toBe('mcp-gateway-demo');
    expect(client.getInstructions()).toMatch(/demo/);

    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    expect(Object.keys(byName).sort()).toEqual(['add', 'add_note', 'countdown', 'delete_note', 'echo', 'list_notes']);
    for (const tool of tools) {
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description, tool.name).toBeTruthy();
    }
    expect(byName.echo!.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
    expect(byName.add!.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
    expect(byName.countdown!.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: false });
    expect(byName.add_note!.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
    });
    expect(byName.list_notes!.annotations).toMatchObject({ readOnlyHint: true });
    expect(byName.delete_note!.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: true,
    });
    expect(byName.countdown!.inputSchema.properties).toHaveProperty('seconds');
    expect(byName.add!.outputSchema?.properties).toHaveProperty('sum');
  });

  it('add returns structured content', async () => {
    const client = await connectStdio(demoServer);
    const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3.5 } });
    expect(result.structuredContent).toEqual({ sum: 5.5 });
    expect(textOf(result)).toBe('5.5');
  });

  it('countdown reports progress each second, then lifts off', async () => {
    const client = await connectStdio(demoServer);
    const progress: Progress[] = [];
    const result = await client.callTool({ name: 'countdown', arguments: { seconds: 2 } }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(progress).toEqual([
      { progress: 1, total: 2, message: '1 s left' },
      { progress: 2, total: 2, message: '0 s left' },
    ]);
    expect(textOf(result)).toBe('Liftoff!');
  });

  it('manages notes, exposes them as a resource and a prompt', async () => {
    const client = await connectStdio(demoServer);
    const id = textOf(await client.callTool({ name: 'add_note', arguments: { title: 'T', text: 'hello' } }));
    expect(JSON.parse(textOf(await client.callTool({ name: 'list_notes' })))).toMatchObject([{ id, title: 'T' }]);

    const resource = await client.readResource({ uri: 'demo://notes' });
    expect(resource.contents[0]).toMatchObject({ uri: 'demo://notes', mimeType: 'application/json' });
    const prompt = await client.getPrompt({ name: 'summarize_notes' });
    expect(JSON.stringify(prompt.messages)).toContain('hello');

    expect((await client.callTool({ name: 'delete_note', arguments: { id } })).isError).toBeFalsy();
    const again = await client.callTool({ name: 'delete_note', arguments: { id } });
    expect(again.isError).toBe(true);
  });
});

describe.each(['sse', 'streamable-http'] as const)('everything-http (%s)', (mode) => {
  it("lists server-everything's tools and calls one", async () => {
    const { port } = await startEverythingHttp(mode);
    const client = await connect(httpTransport(mode, port));
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum', 'trigger-long-running-operation']));
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'hi there' } }))).toContain('hi there');
  });

  it('honours REQUIRE_HEADER', async () => {
    const { port } = await startEverythingHttp(mode, { REQUIRE_HEADER: 'X-Api-Key: s3cret' });
    // SseError and StreamableHTTPError both carry the HTTP status as `code`.
    await expect(connect(httpTransport(mode, port))).rejects.toMatchObject({ code: 401 });
    await expect(connect(httpTransport(mode, port, { 'X-Api-Key': 'wrong' }))).rejects.toMatchObject({ code: 401 });
    const client = await connect(httpTransport(mode, port, { 'X-Api-Key': 's3cret' }));
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('exits cleanly on SIGTERM with a session open', async () => {
    const { port, child } = await startEverythingHttp(mode);
    await connect(httpTransport(mode, port));
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
  });
});

describe('fixture-server', () => {
  it('add_tool sends tools/list_changed and the new tool appears', async () => {
    const client = await connectStdio(fixture('fixture-server.mjs'), { FIXTURE_TOOLS: 'echo,add_tool,remove_tool' });
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['add_tool', 'echo', 'remove_tool']);

    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    await client.callTool({ name: 'add_tool', arguments: { name: 'shiny' } });
    await changed;
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('shiny');
    expect(textOf(await client.callTool({ name: 'shiny' }))).toBe('shiny called');
  });
});

describe('garbage-stdout', () => {
  it('still initializes past non-protocol stdout lines, and echo works', async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [fixture('garbage-stdout.mjs')] });
    const errors: Error[] = [];
    transport.onerror = (error) => errors.push(error);
    const client = await connect(transport);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'still here' } }))).toBe('still here');
    expect(errors.length).toBeGreaterThan(0); // the garbage was seen and reported, not silently dropped
  });
});
