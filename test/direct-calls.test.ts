// Tool calls to a stdio server go past the MCP SDK client (server/upstream/direct-calls.ts): their
// own ids, their answers and progress routed before the SDK sees them, and every behaviour of a call
// kept — timeouts reset by progress, cancellation upstream, a server that dies mid-call.
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_WENT_AWAY, UpstreamCallError, type CallProgress, type ToolCallResult } from '../server/upstream/types.js';
import { FAST, fixture, startTestGateway, waitForServer } from './helpers/gateway.js';
import type { UpstreamConnection } from '../server/upstream/connection.js';
import { waitUntil } from './helpers/process.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connection(): Promise<{ connection: UpstreamConnection; restart: () => Promise<void> }> {
  const gateway = await startTestGateway({
    approval: { default: 'allow' },
    gateway: FAST,
    mcpServers: { d: { command: process.execPath, args: [fixture('direct-calls-server.mjs')] } },
  });
  cleanups.push(() => gateway.close());
  await waitForServer(gateway.supervisor, 'd', 'ready');
  return { connection: gateway.supervisor.get('d')!, restart: async () => void (await waitForServer(gateway.supervisor, 'd', 'ready')) };
}

const OPTIONS = { timeoutMs: 10_000, maxTotalTimeoutMs: 10_000 };
const text = (result: ToolCallResult) => (result.content[0] as unknown as { text: string }).text;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('the call should have failed'),
    (error: unknown) => {
      expect(error).toBeInstanceOf(UpstreamCallError);
      return error as UpstreamCallError;
    },
  );

describe('tool calls to a stdio server, past the SDK client', () => {
  it('use ids of their own ("g:<n>", also the progress token) that never clash with the SDK numeric ids', async () => {
    const { connection: d } = await connection();
    // Each call makes the SDK list the tools again (numeric ids), while the calls are in flight.
    const answers = await Promise.all(Array.from({ length: 5 }, () => d.callTool('whoami', {}, OPTIONS)));
    const seen = answers.map((answer) => JSON.parse(text(answer)) as { id: unknown; token: unknown; listIds: unknown[] });
    for (const { id, token } of seen) {
      expect(id).toMatch(/^g:\d+$/);
      expect(token).toBe(id);
    }
    expect(new Set(seen.map(({ id }) => id)).size).toBe(5);
    // The same numbers in both spaces, each answer reaching its own request.
    const listIds = seen.at(-1)!.listIds;
    expect(listIds.every((id) => typeof id === 'number')).toBe(true);
    expect(seen.some(({ id }) => listIds.includes(Number(String(id).slice(2))))).toBe(true);
    expect(d.currentState).toBe('ready');
    expect(d.tools().map((tool) => tool.name)).toContain('whoami');
  });

  it('ignore answers and progress for ids never sent, and malformed progress; the call gets its own answer', async () => {
    const { connection: d } = await connection();
    const progress: CallProgress[] = [];
    const result = await d.callTool('stray', {}, { ...OPTIONS, onProgress: (update) => progress.push(update) });
    expect(text(result)).toBe('the real answer');
    expect(progress).toEqual([]);
    expect(text(await d.callTool('whoami', {}, OPTIONS))).toMatch(/"id":"g:\d+"/);
    expect(d.currentState).toBe('ready');
  });

  it('ignore progress for a call that has ended', async () => {
    const { connection: d } = await connection();
    const progress: CallProgress[] = [];
    expect(text(await d.callTool('late', {}, { ...OPTIONS, onProgress: (update) => progress.push(update) }))).toBe('done');
    // The late progress was written before this answer: it has been read by now.
    await d.callTool('whoami', {}, OPTIONS);
    expect(progress).toEqual([]);
    expect(d.currentState).toBe('ready');
  });

  it('reset their timeout on progress, up to maxTotalTimeoutMs; a timeout cancels the call upstream with its id', async () => {
    const { connection: d } = await connection();
    const progress: CallProgress[] = [];
    const result = await d.callTool(
      'progress',
      { steps: 6, everyMs: 250 },
      {
        timeoutMs: 1000,
        maxTotalTimeoutMs: 60_000,
        onProgress: (update) => progress.push(update),
      },
    );
    expect(text(result)).toBe('finished');
    expect(progress).toEqual([1, 2, 3, 4, 5, 6].map((step) => ({ progress: step, total: 6, message: `step ${step}` })));

    const capped = await failure(d.callTool('progress', { steps: 100, everyMs: 50 }, { timeoutMs: 5000, maxTotalTimeoutMs: 300 }));
    expect(capped.kind).toBe('timeout');
    expect(capped.message).toMatch(/Maximum total timeout exceeded/);

    const silent = await failure(d.callTool('hang', {}, { timeoutMs: 100, maxTotalTimeoutMs: 60_000 }));
    expect(silent.kind).toBe('timeout');
    expect(silent.message).toMatch(/Request timed out/);

    const cancels = JSON.parse(text(await d.callTool('cancels', {}, OPTIONS))) as { requestId: unknown; reason: string }[];
    expect(cancels).toHaveLength(2);
    for (const cancel of cancels) expect(cancel.requestId).toMatch(/^g:\d+$/);
    expect(cancels[0]!.reason).toMatch(/Maximum total timeout exceeded/);
    expect(cancels[1]!.reason).toMatch(/Request timed out/);
  });

  it('cancelled by their signal, tell the server; a signal aborted before the call sends nothing', async () => {
    const { connection: d } = await connection();
    const controller = new AbortController();
    const running = failure(d.callTool('hang', {}, { ...OPTIONS, signal: controller.signal }));
    controller.abort(new Error('the client went away'));
    expect((await running).kind).toBe('cancelled');
    expect((await failure(d.callTool('hang', {}, { ...OPTIONS, signal: AbortSignal.abort() }))).kind).toBe('cancelled');
    const cancels = JSON.parse(text(await d.callTool('cancels', {}, OPTIONS))) as { requestId: unknown; reason: string }[];
    expect(cancels).toEqual([{ requestId: expect.stringMatching(/^g:\d+$/), reason: 'Error: the client went away' }]);
  });

  it('cancelled through their cancellation, tell the server as an aborted signal does, without reading the signal', async () => {
    const { connection: d } = await connection();
    const listeners = new Set<() => void>();
    let signalReads = 0;
    const cancellation = {
      isCancelled: false,
      onCancel: (listener: () => void) => (listeners.add(listener), () => listeners.delete(listener)),
    };
    const options = {
      ...OPTIONS,
      cancellation,
      get signal() {
        signalReads++;
        return cancellation.isCancelled ? AbortSignal.abort() : undefined;
      },
    };
    expect(text(await d.callTool('late', {}, options))).toBe('done');
    expect(listeners.size).toBe(0);
    const running = failure(d.callTool('hang', {}, options));
    await waitUntil(() => listeners.size === 1, 5000, 'the call to listen');
    cancellation.isCancelled = true;
    for (const listener of listeners) listener();
    expect((await running).kind).toBe('cancelled');
    expect(listeners.size).toBe(0);
    expect(signalReads).toBe(1); // only to say why the call failed (upstream/call-errors.ts)
    // Cancelled before it is made: nothing is sent.
    expect((await failure(d.callTool('hang', {}, options))).kind).toBe('cancelled');
    const cancels = JSON.parse(text(await d.callTool('cancels', {}, OPTIONS))) as { requestId: unknown; reason: string }[];
    expect(cancels).toEqual([{ requestId: expect.stringMatching(/^g:\d+$/), reason: 'AbortError: This operation was aborted' }]);
  });

  it('all fail at once with disconnected, and the reason, when the server dies with 16 in flight; the next session calls again', async () => {
    const { connection: d, restart } = await connection();
    const hanging = Array.from({ length: 16 }, () => failure(d.callTool('hang', {}, OPTIONS)));
    const dying = failure(d.callTool('die', {}, OPTIONS));
    const errors = await Promise.all([...hanging, dying]);
    for (const error of errors) {
      expect(error.kind).toBe('disconnected');
      expect(error.message).toContain(SERVER_WENT_AWAY);
      expect(error.message).toContain('process exited with code 3');
    }
    await restart();
    expect(JSON.parse(text(await d.callTool('whoami', {}, OPTIONS)))).toMatchObject({ id: 'g:1' });
  });
});
