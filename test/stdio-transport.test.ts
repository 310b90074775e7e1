// The gateway's stdio transport against real processes: message framing, progress ordering,
// oversized lines, stderr tail, and start failures.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MESSAGE_TOO_LARGE } from '../server/upstream/oversized-message.js';
import { StdioProcessTransport, safeEnvironment } from '../server/upstream/stdio-transport.js';
import { fixture } from './helpers/gateway.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const closable of open.splice(0)) await closable.close();
});

function transportFor(script: string, args: string[] = [], options: Partial<ConstructorParameters<typeof StdioProcessTransport>[0]> = {}) {
  const transport = new StdioProcessTransport({ command: process.execPath, args: [script, ...args], env: safeEnvironment({}), ...options });
  open.push(transport);
  return transport;
}

describe('StdioProcessTransport', () => {
  it('delivers a progress notification that shares a chunk with the result before the result', async () => {
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(transportFor(fixture('same-chunk-progress.mjs')));
    open.push(client);
    const progress: unknown[] = [];
    const result = await client.callTool({ name: 'tick' }, undefined, { onprogress: (p) => progress.push(p) });
    expect(result.content).toEqual([{ type: 'text', text: 'ticked' }]);
    expect(progress).toEqual([{ progress: 1, total: 1, message: 'done' }]);
  });

  it('drops a line longer than maxLineBytes, reports it, and keeps reading', async () => {
    const script = `process.stdout.write('x'.repeat(5000) + '\\n' + JSON.stringify({ jsonrpc: '2.0', method: 'after' }) + '\\n'); setInterval(() => {}, 1000);`;
    const transport = new StdioProcessTransport({
      command: process.execPath,
      args: ['-e', script],
      env: safeEnvironment({}),
      maxLineBytes: 1000,
    });
    open.push(transport);
    const errors: string[] = [];
    const received = new Promise((resolve) => (transport.onmessage = resolve));
    transport.onerror = (error) => errors.push(error.message);
    await transport.start();
    expect(await received).toEqual({ jsonrpc: '2.0', method: 'after' });
    expect(errors).toEqual([expect.stringContaining('dropped a message of more than')]);
  });

  it('answers the request a dropped response was for, with its id from the start or the end, never for a dropped request', async () => {
    const big = "'x'.repeat(5000)";
    const script = [
      `process.stdout.write('{"result":{"text":"' + ${big} + '","id":99},"jsonrpc":"2.0","id":7}\\n');`,
      `process.stdout.write('{"jsonrpc":"2.0","id":"a-1","error":{"code":1,"message":"' + ${big} + '"}}\\n');`,
      `process.stdout.write('{"method":"sampling/createMessage","params":{"text":"' + ${big} + '"},"jsonrpc":"2.0","id":8}\\n');`,
      `process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'after' }) + '\\n'); setInterval(() => {}, 1000);`,
    ].join('\n');
    const transport = transportFor('-e', [script], { maxLineBytes: 1000 });
    const messages: any[] = [];
    const after = new Promise<void>((resolve) => {
      transport.onmessage = (message) => {
        messages.push(message);
        if ((message as { method?: string }).method === 'after') resolve();
      };
    });
    await transport.start();
    await after;
    expect(messages.map((message) => [message.id, message.error?.code, message.method])).toEqual([
      [7, MESSAGE_TOO_LARGE, undefined],
      ['a-1', MESSAGE_TOO_LARGE, undefined],
      [undefined, undefined, 'after'],
    ]);
  });

  it('passes only the safe environment plus the server env', async () => {
    process.env.GATEWAY_TEST_SECRET = 'do-not-leak';
    const env = safeEnvironment({ EXTRA: 'yes' });
    delete process.env.GATEWAY_TEST_SECRET;
    expect(env.EXTRA).toBe('yes');
    expect(env.PATH).toBe(process.env.PATH);
    expect(env).not.toHaveProperty('GATEWAY_TEST_SECRET');
  });

  it('writes the messages sent together in one write, before the next turn of the event loop', async () => {
    const transport = transportFor('-e', ['process.stdin.resume(); setInterval(() => {}, 1000);']);
    await transport.start();
    const stdin = (transport as unknown as { child: { stdin: { write(text: string): boolean } } }).child.stdin;
    const writes: string[] = [];
    const write = stdin.write.bind(stdin);
    stdin.write = (text: string) => {
      writes.push(text);
      return write(text);
    };
    const nextTurn = new Promise<number>((resolve) => setImmediate(() => resolve(writes.length)));
    await Promise.all([transport.send({ jsonrpc: '2.0', method: 'one' }), transport.send({ jsonrpc: '2.0', method: 'two' })]);
    // A lone call (concurrency 1) must not wait a turn of the event loop for its write.
    expect(await nextTurn).toBe(1);
    expect(writes).toEqual(['{"jsonrpc":"2.0","method":"one"}\n{"jsonrpc":"2.0","method":"two"}\n']);
  });

  it('fails to start a missing command with a clear message', async () => {
    const transport = new StdioProcessTransport({ command: 'no-such-command-4711', args: [], env: safeEnvironment({}) });
    await expect(transport.start()).rejects.toThrow('cannot start "no-such-command-4711": command not found');
  });
});
