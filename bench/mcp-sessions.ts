/**
 * MCP sessions benchmark: whether many short sessions on `/mcp` leave anything behind. Open WebUI
 * opens a session per chat request, so the gateway (`mcp-gateway` with the demo server, as `npm
 * start` runs it) gets rounds of 2,000 (`BENCH_SESSIONS`), 8 at a time, each `initialize`,
 * `tools/list`, one `tools/call`, then `DELETE`; then as many again that are never ended (clients
 * that go away). After each round the bench reads the gateway's resident memory (from /proc), its
 * JavaScript heap after a full garbage collection (the gateway runs with `--expose-gc` and
 * `--inspect` on loopback for this; the bench asks through the inspector protocol), and the open
 * sessions (`mcp_gateway_mcp_sessions`). The heap after a collection is what a leak would grow;
 * RSS also holds what V8 and the allocator keep for later, which grows over the first rounds and
 * then levels off. On Node.js 20 the bench needs `--experimental-websocket` (npm run bench gives it).
 * Run with `npm run bench` (the last part) or `node dist/bench/mcp-sessions.js` after a build.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'server', 'main.js');
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 2000);
const CONCURRENCY = 8;
/** Rounds of ended sessions; the first is the warm-up. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const VERSION = '2025-06-18';

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

async function rpc(base: string, body: object, session?: string): Promise<Response> {
  const headers: Record<string, string> = {
    ...HEADERS,
    ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': VERSION } : {}),
  };
  const res = await fetch(`${base}/mcp`, { method: 'POST', headers, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${JSON.stringify(body).slice(0, 60)}: HTTP ${res.status}`);
  return res;
}

/** One session as Open WebUI runs it: initialize, list, call, and (unless abandoned) end it. */
async function session(base: string, end: boolean): Promise<void> {
  const init = await rpc(base, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
  });
  await init.text();
  const id = init.headers.get('mcp-session-id')!;
  await (await rpc(base, { jsonrpc: '2.0', method: 'notifications/initialized' }, id)).text();
  await (await rpc(base, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, id)).text();
  const call = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'demo__echo', arguments: { message: 'hi' } } };
  await (await rpc(base, call, id)).text();
  if (end) {
    const res = await fetch(`${base}/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': id, 'mcp-protocol-version': VERSION } });
    await res.text();
  }
}

async function many(base: string, count: number, end: boolean): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await session(base, end);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** A minimal inspector-protocol client: evaluates an expression in the gateway. */
async function inspector(url: string): Promise<{ evaluate(expression: string): Promise<unknown>; close(): void }> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let nextId = 0;
  const waiting = new Map<number, (value: unknown) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: { result?: { value?: unknown } } };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result?.result?.value);
  };
  return {
    evaluate: (expression) =>
      new Promise((resolve) => {
        const id = ++nextId;
        waiting.set(id, resolve);
        socket.send(JSON.stringify({ id, method: 'Runtime.evaluate', params: { expression } }));
      }),
    close: () => socket.close(),
  };
}

async function openSessions(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^mcp_gateway_mcp_sessions (\d+)$/m.exec(text)?.[1]);
}

async function main(): Promise<void> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-bench-'));
  const child = spawn(process.execPath, ['--expose-gc', '--inspect=127.0.0.1:0', MAIN, '--port', '0', '--state-dir', stateDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const inspectorUrl = new Promise<string>((resolve) => {
    let text = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const url = /ws:\/\/\S+/.exec(text)?.[0];
      if (url) resolve(url);
    });
  });
  try {
    const base = await new Promise<string>((resolve, reject) => {
      let buffer = '';
      let url: string | undefined;
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        buffer += text;
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) {
          const entry = JSON.parse(line) as { msg?: string };
          url ??= /listening on (http:\/\/[^;\s]+)/.exec(entry.msg ?? '')?.[1];
          if (entry.msg === 'server demo: ready' && url) resolve(url.replace(/\/$/, ''));
        }
      });
      child.once('exit', (code) => reject(new Error(`the gateway exited with code ${code}`)));
    });
    const pid = child.pid!;
    const gateway = await inspector(await inspectorUrl);
    const heapMiB = async () => Number(await gateway.evaluate('gc(), gc(), process.memoryUsage().heapUsed')) / 1048576;
    console.log(
      `MCP sessions on /mcp: ${ROUNDS} rounds of ${SESSIONS} ended, then ${SESSIONS} abandoned, ${CONCURRENCY} at a time (node ${process.version})`,
    );
    const row = async (what: string) => {
      const rss = rssMiB(pid);
      const heap = await heapMiB();
      console.log(
        `${what.padEnd(40)} ${rss.toFixed(1).padStart(7)} MiB ${heap.toFixed(1).padStart(7)} MiB ${String(await openSessions(base)).padStart(6)}`,
      );
      return heap;
    };
    console.log(`${'after'.padEnd(40)} ${'RSS'.padStart(11)} ${'heap (GC)'.padStart(11)} ${'open'.padStart(6)}`);
    const heaps: number[] = [];
    let seconds = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const started = performance.now();
      await many(base, SESSIONS, true);
      seconds += (performance.now() - started) / 1000;
      heaps.push(await row(`round ${round}: ${SESSIONS} ended sessions`));
    }
    await many(base, SESSIONS, false);
    await row(`then ${SESSIONS} abandoned sessions`);
    gateway.close();
    console.log(
      `ended sessions: ${((SESSIONS * ROUNDS) / seconds).toFixed(0)} sessions/s; heap after GC from round 1 to ${ROUNDS}: ` +
        `${heaps[0]!.toFixed(1)} → ${heaps.at(-1)!.toFixed(1)} MiB (${(heaps.at(-1)! - heaps[0]!).toFixed(1)} MiB over ${(ROUNDS - 1) * SESSIONS} sessions)`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

await main();
