/**
 * The upstream layer alone: CPU time of the gateway's `UpstreamConnection.callTool` per call,
 * `echo` on the demo server at concurrency 16, in this process (no HTTP, activity log, metrics or
 * log line; the echo server's CPU not counted). It compares builds of the stdio call path (the
 * direct JSON-RPC path of server/upstream/direct-calls.ts) where the whole bench is too noisy:
 * run it for each build, alternating. `node dist/bench/upstream-calls.js` after `npm run build`;
 * `BENCH_CALLS` calls per window (default 5000), 5 windows after as many warm-up calls.
 */
import pino from 'pino';
import { parseConfigText } from '../server/config/load.js';
import { DEMO_SERVER_SCRIPT } from '../server/package-info.js';
import { UpstreamConnection } from '../server/upstream/connection.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 5000);
const WINDOWS = 5;
const CONCURRENCY = 16;
const OPTIONS = { timeoutMs: 10_000, maxTotalTimeoutMs: 10_000 };

const config = parseConfigText(
  JSON.stringify({ mcpServers: { echo: { command: process.execPath, args: [DEMO_SERVER_SCRIPT], maxConcurrent: CONCURRENCY } } }),
  'bench.json',
);
const connection = new UpstreamConnection(config.servers[0]!, config.gateway, true, pino({ level: 'silent' }));
await new Promise<void>((resolve, reject) => {
  connection.on('change', (status) => {
    if (status.state === 'ready') resolve();
    if (status.state === 'backoff') reject(new Error(`the echo server did not start: ${status.lastError?.message}`));
  });
  connection.start();
});

async function calls(count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next++ < count) await connection.callTool('echo', { message: 'hello' }, OPTIONS);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

await calls(CALLS);
const figures: string[] = [];
for (let window = 0; window < WINDOWS; window++) {
  const before = process.cpuUsage();
  await calls(CALLS);
  const used = process.cpuUsage(before);
  figures.push(((used.user + used.system) / CALLS).toFixed(1));
}
console.log(
  `upstream callTool, echo at concurrency ${CONCURRENCY}: CPU µs per call in ${WINDOWS} windows of ${CALLS}: ${figures.join(' ')}`,
);
await connection.stop();
