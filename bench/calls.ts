/**
 * Tool-call benchmark: throughput and latency of `echo` on the built-in demo MCP server, called
 * (a) directly with the MCP SDK client over stdio — the floor — and (b) through the gateway as
 * `POST /echo/echo`, at concurrency 1 and 16. The echo server may run 16 calls at once
 * (`maxConcurrent` 16, default 8), as the direct client does; everything else is default.
 * For reference it also measures (c) `bench/relay.ts`, the least any HTTP-to-stdio gateway can
 * do (forward and answer, nothing else), so that the cost of the two extra process hops on
 * this machine is visible apart from the cost of the gateway's own work.
 * It also measures the CPU time the gateway process and the relay process use per call (from
 * /proc/PID/stat over each measured window: the process the bench spawned, not the echo server
 * it runs) and compares the gateway with the relay against issue 16's targets: CPU per call at
 * most 2x the relay's, calls/s at concurrency 16 at least 0.6x the relay's, p50 at concurrency 1
 * at most 1.3x the relay's. The three are measured in turns of half a second (after each has been
 * warmed up) so that a change in the load of a shared machine hits them alike.
 *
 * Run with `npm run bench` (builds first) or `node dist/bench/calls.js` after a build.
 * Env: BENCH_SECONDS (measured seconds per scenario, default 3), BENCH_WARMUP (warm-up calls per
 * scenario, default 2000: after only 300, V8 had not yet optimized the gateway's code when its
 * concurrency-1 scenario was measured, which then took about 1.6x the CPU per call of the warm
 * gateway), BENCH_LOG_LEVEL (gateway --log-level, default info, the gateway's own default), BENCH_JSON=1 or `--json` (also print one JSON summary line), BENCH_CPU_PROF=<dir> (run the
 * gateway and the relay with `node --cpu-prof`, each writing its profile there when it stops;
 * default: no profiles), BENCH_COMPARE=<another build's dist/server/main.js> (also run that build's
 * gateway, in the same turns, and compare this build with it: builds are compared side by side,
 * since the load of a shared machine moves more between runs than most changes save; default: none),
 * BENCH_COMPARE_NODE_ARGS=<node options> (space-separated, for the compared gateway alone, e.g. to
 * compare a V8 flag: BENCH_COMPARE=dist/server/main.js BENCH_COMPARE_NODE_ARGS=--max-semi-space-size=32;
 * default: none).
 * Exits 1 if any call failed; a missed target is reported but does not fail the run.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { DEMO_SERVER_SCRIPT } from '../server/package-info.js';
import { cpuMsOf } from './process-cpu.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(HERE, '..', 'server', 'main.js');
const RELAY = path.join(HERE, 'relay.js');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const WARMUP_CALLS = Number(process.env.BENCH_WARMUP ?? 2000);
/** The scenarios are measured in turns of about this many seconds each (see `runInTurns`). */
const WINDOW_SECONDS = 0.5;
/**
 * After each window the bench waits this long before it reads the CPU time, so that what the
 * gateway does after its calls (the activity rows written in a batch up to 100 ms later, the log
 * lines written within 100 ms) is counted in its own window and not done while the next scenario
 * is measured.
 */
const SETTLE_MS = 150;
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF;
const PROFILE_ARGS = CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [];
const COMPARE_MAIN = process.env.BENCH_COMPARE ? path.resolve(process.env.BENCH_COMPARE) : undefined;
/** Node.js options for the compared build's gateway only (BENCH_COMPARE_NODE_ARGS, space-separated; default none). */
const COMPARE_NODE_ARGS = (process.env.BENCH_COMPARE_NODE_ARGS ?? '').split(' ').filter(Boolean);
const JSON_OUTPUT = process.argv.includes('--json') || process.env.BENCH_JSON === '1';
const CONCURRENCIES = [1, 16] as const;
const MAX_CONCURRENCY = Math.max(...CONCURRENCIES);
const READY_TIMEOUT_MS = 30_000;
const POLL_MS = 25;
// The demo server's echo tool takes {message} and answers it as one text item; the gateway's
// mcpo-style surface returns that text as a JSON string.
const ARGS = { message: 'hello' };
const GATEWAY_BODY = JSON.stringify(ARGS);
const GATEWAY_EXPECTED = JSON.stringify(ARGS.message);

/** One call: resolves when it succeeded, throws (or rejects) when it failed. */
type Call = () => Promise<void>;

interface Result {
  scenario: 'direct' | 'relay' | 'gateway' | 'compared' | 'mcp' | 'mcp-stateless';
  concurrency: number;
  calls: number;
  errors: number;
  firstError?: string;
  callsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time the serving process (gateway or relay) used per completed call in the measured window, in µs; absent for direct. */
  cpuUsPerCall?: number;
}

// ---------------------------------------------------------------------------------------------
// The gateway

interface Gateway {
  port: number;
  /** The pid of the process that serves the calls (whose CPU time is measured). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** A free port on loopback, for log levels above info (they do not log the listening line). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts `node <nodeArgs> dist/server/main.js` with a config holding one stdio server `echo` (the demo
 * server), reads the port from the listening log line (or picks one when that line is not
 * logged at this level), and keeps draining stdout so the gateway never blocks on the pipe.
 */
async function startGateway(tempDir: string, main = MAIN, nodeArgs: string[] = []): Promise<Gateway> {
  fs.mkdirSync(tempDir, { recursive: true });
  const configFile = path.join(tempDir, 'config.json');
  const stateDir = path.join(tempDir, 'state');
  // maxConcurrent 16: the gateway may run as many calls at once as the direct client does.
  const server = { command: process.execPath, args: [DEMO_SERVER_SCRIPT], maxConcurrent: MAX_CONCURRENCY };
  // Calls run without asking a person: the benchmark measures the gateway, not approvals.
  fs.writeFileSync(configFile, JSON.stringify({ approval: { default: 'allow' }, mcpServers: { echo: server } }));
  const logsListening = ['info', 'debug', 'trace'].includes(LOG_LEVEL);
  const requestedPort = logsListening ? 0 : await freePort();
  const args = [
    ...nodeArgs,
    ...PROFILE_ARGS,
    main,
    '--config',
    configFile,
    '--port',
    String(requestedPort),
    '--state-dir',
    stateDir,
    '--log-level',
    LOG_LEVEL,
  ];
  const { child, exited, stop } = spawnNode(args);
  try {
    let port = requestedPort;
    if (logsListening) port = await portFromLog(child.stdout, exited);
    else drain(child.stdout);
    await waitUntilReady(port, 'echo', exited);
    return { port, pid: child.pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Reads JSON log lines until the listening line, then just drains stdout. */
function portFromLog(stdout: Readable, exited: Promise<number | null>): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (text: string) => {
      buffer += text;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        let entry: { msg?: string; url?: string };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue;
        }
        const match = entry.msg?.includes('listening on') ? /:(\d+)\/?$/.exec(entry.url ?? entry.msg) : null;
        if (match) {
          stdout.removeListener('data', onData);
          drain(stdout);
          resolve(Number(match[1]));
          return;
        }
      }
    };
    stdout.setEncoding('utf8').on('data', onData);
    void exited.then((code) => reject(new Error(`the gateway exited with code ${code} before it listened`)));
  });
}

function drain(stream: Readable): void {
  stream.on('data', () => {});
}

/** `node <args>` with stdout piped, killed when the bench exits; `stop` ends it with SIGTERM. */
function spawnNode(args: string[]) {
  const child: ChildProcessByStdio<null, Readable, null> = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    process.removeListener('exit', killOnExit);
  };
  return { child, exited, stop };
}

/** Starts `dist/bench/relay.js` on a free port and waits for its `ready <port>` line. */
async function startRelay(): Promise<Gateway> {
  const { child, exited, stop } = spawnNode([...PROFILE_ARGS, RELAY, '0']);
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const match = /ready (\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    void exited.then((code) => reject(new Error(`the relay exited with code ${code} before it listened`)));
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { port, pid: child.pid, stop };
}

/** Polls `GET /api/servers/{name}` until its state is `ready`. */
async function waitUntilReady(port: number, name: string, exited: Promise<number | null>): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`the gateway exited with code ${exitCode} before server ${name} was ready`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/servers/${name}`);
      const body = (await res.json()) as { state?: string; lastError?: { message?: string } | null };
      if (body.state === 'ready') return;
      last = `state ${body.state}${body.lastError?.message ? ` (${body.lastError.message})` : ''}`;
    } catch (error) {
      last = String(error);
    }
    await delay(POLL_MS);
  }
  throw new Error(`server ${name} was not ready after ${READY_TIMEOUT_MS} ms: ${last}`);
}

/** One `POST /echo/echo` over a keep-alive agent; fails unless 200 with the echoed text. */
function gatewayCall(port: number, agent: http.Agent): Call {
  const options: http.RequestOptions = {
    host: '127.0.0.1',
    port,
    path: '/echo/echo',
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(GATEWAY_BODY) },
  };
  return () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(options, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('error', reject);
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`));
          else if (body !== GATEWAY_EXPECTED) reject(new Error(`unexpected body: ${body.slice(0, 200)}`));
          else resolve();
        });
      });
      req.on('error', reject);
      req.end(GATEWAY_BODY);
    });
}

/** One JSON-RPC POST to the gateway's `/mcp/echo` (the echo server's MCP endpoint); resolves with the answer's text. */
function mcpPost(
  port: number,
  agent: http.Agent,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; session?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp/echo',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', reject);
        res.on('end', () => {
          const session = res.headers['mcp-session-id'];
          resolve({ status: res.statusCode ?? 0, text, ...(typeof session === 'string' ? { session } : {}) });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const MCP_EXPECTED = JSON.stringify({ type: 'text', text: ARGS.message });

/**
 * `tools/call` of `echo` on `/mcp/echo` as an MCP client sends it: in one 2025-era session (the
 * `initialize` handshake first; every worker's calls share the session, as an agent's do), or
 * statelessly in the 2026-07-28 revision (no session; the request carries its envelope).
 */
async function mcpCall(port: number, agent: http.Agent, era: 'legacy' | 'modern'): Promise<Call> {
  let id = 1;
  const check = (answer: { status: number; text: string }) => {
    if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${answer.text.slice(0, 200)}`);
    if (!answer.text.includes(MCP_EXPECTED) || answer.text.includes('"isError":true'))
      throw new Error(`unexpected answer: ${answer.text.slice(0, 200)}`);
  };
  if (era === 'modern') {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'mcp-gateway-bench', version: '1.0.0' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' };
    return async () => {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: id++,
        method: 'tools/call',
        params: { name: 'echo', arguments: ARGS, _meta: meta },
      });
      check(await mcpPost(port, agent, body, headers));
    };
  }
  const version = '2025-11-25';
  const init = await mcpPost(
    port,
    agent,
    JSON.stringify({
      jsonrpc: '2.0',
      id: id++,
      method: 'initialize',
      params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'mcp-gateway-bench', version: '1.0.0' } },
    }),
    {},
  );
  if (init.status !== 200 || !init.session) throw new Error(`MCP initialize failed: HTTP ${init.status}: ${init.text.slice(0, 200)}`);
  const headers = { 'mcp-session-id': init.session, 'mcp-protocol-version': version };
  await mcpPost(port, agent, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers);
  return async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name: 'echo', arguments: ARGS } });
    check(await mcpPost(port, agent, body, headers));
  };
}

// ---------------------------------------------------------------------------------------------
// The direct client

interface DirectClient {
  call: Call;
  close(): Promise<void>;
}

/** An MCP SDK client that spawns its own demo server over stdio. */
async function directClient(): Promise<DirectClient> {
  const client = new Client({ name: 'mcp-gateway-bench', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [DEMO_SERVER_SCRIPT], stderr: 'inherit' }));
  const call = async () => {
    const result = await client.callTool({ name: 'echo', arguments: ARGS });
    const content = result.content as Array<{ type: string; text?: string }> | undefined;
    if (result.isError || content?.[0]?.text !== ARGS.message)
      throw new Error(`unexpected result: ${JSON.stringify(result).slice(0, 200)}`);
  };
  return { call, close: () => client.close() };
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** The p-th percentile (nearest rank) of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** One scenario at one concurrency: its call, the process whose CPU is measured, and what its windows measured so far. */
interface Scenario {
  scenario: Result['scenario'];
  call: Call;
  pid?: number;
  errors: number;
  firstError?: string;
  latencies: number[];
  seconds: number;
  /** CPU ms of `pid` over the windows; undefined without /proc. */
  cpuMs: number | undefined;
}

function scenario(name: Result['scenario'], call: Call, pid?: number): Scenario {
  return { scenario: name, call, pid, errors: 0, latencies: [], seconds: 0, cpuMs: pid === undefined ? undefined : 0 };
}

/** Makes one call; counts a failure (and keeps the first one's message). */
async function attempt(s: Scenario): Promise<boolean> {
  try {
    await s.call();
    return true;
  } catch (error) {
    s.errors++;
    s.firstError ??= error instanceof Error ? error.message : String(error);
    return false;
  }
}

async function warmUp(s: Scenario, concurrency: number): Promise<void> {
  let left = WARMUP_CALLS;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await attempt(s);
    }),
  );
}

/**
 * One measured window: `concurrency` workers each making one call at a time until `seconds` are
 * up. Every completed call's latency is recorded, and the window's time (until the last in-flight
 * call finished) and the CPU time of the scenario's process, with what it did in the `SETTLE_MS`
 * after.
 */
async function measureWindow(s: Scenario, concurrency: number, seconds: number): Promise<void> {
  const cpuBefore = cpuMsOf(s.pid);
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (process.hrtime.bigint() < deadline) {
        const t0 = process.hrtime.bigint();
        if (await attempt(s)) s.latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  s.seconds += Number(process.hrtime.bigint() - started) / 1e9;
  if (s.pid !== undefined) await delay(SETTLE_MS);
  const cpuAfter = cpuMsOf(s.pid);
  s.cpuMs = s.cpuMs === undefined || cpuBefore === undefined || cpuAfter === undefined ? undefined : s.cpuMs + cpuAfter - cpuBefore;
}

/**
 * Warms every scenario up, then measures them in turns of `WINDOW_SECONDS` (the order rotating
 * each round) until each has had `SECONDS`: on a shared machine the load changes from second to
 * second, and the ratios between the scenarios must not depend on which ran when.
 */
async function runInTurns(scenarios: Scenario[], concurrency: number): Promise<Result[]> {
  for (const s of scenarios) await warmUp(s, concurrency);
  const rounds = Math.max(1, Math.round(SECONDS / WINDOW_SECONDS));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < scenarios.length; i++)
      await measureWindow(scenarios[(i + round) % scenarios.length]!, concurrency, SECONDS / rounds);
  }
  return scenarios.map((s) => {
    const latencies = s.latencies.sort((a, b) => a - b);
    const result: Result = {
      scenario: s.scenario,
      concurrency,
      calls: latencies.length,
      errors: s.errors,
      callsPerSec: latencies.length / s.seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    };
    if (s.cpuMs !== undefined && latencies.length > 0) result.cpuUsPerCall = (s.cpuMs * 1000) / latencies.length;
    if (s.firstError !== undefined) result.firstError = s.firstError;
    return result;
  });
}

// ---------------------------------------------------------------------------------------------
// Reporting

interface Comparison {
  concurrency: number;
  /** Gateway calls/s as a percentage of direct, and its p50 as a multiple of direct's. */
  callsPerSecPct: number;
  p50Times: number;
  /** The same for the bare relay: the best any HTTP-to-stdio gateway can do here. */
  relayCallsPerSecPct: number;
  relayP50Times: number;
  /** The gateway against the bare relay: calls/s, p50 and CPU per call (n/a without /proc), each gateway / relay. */
  vsRelay: { callsPerSec: number; p50: number; cpuPerCall: number };
  /** The MCP endpoint against the REST route, in one 2025-era session and stateless (2026-07-28): calls/s, p50, CPU per call, each MCP / REST. */
  mcpVsRest: Record<'session' | 'stateless', { callsPerSec: number; p50: number; cpuPerCall: number }>;
}

interface Target {
  name: string;
  value: number;
  pass: boolean;
  /** How the value is shown: a percentage, or a multiple. */
  unit: '%' | 'x';
}

function compare(results: Result[]): Comparison[] {
  return CONCURRENCIES.map((concurrency) => {
    const direct = results.find((r) => r.scenario === 'direct' && r.concurrency === concurrency)!;
    const gateway = results.find((r) => r.scenario === 'gateway' && r.concurrency === concurrency)!;
    const relay = results.find((r) => r.scenario === 'relay' && r.concurrency === concurrency)!;
    const vsRest = (scenario: 'mcp' | 'mcp-stateless') => {
      const mcp = results.find((r) => r.scenario === scenario && r.concurrency === concurrency)!;
      return {
        callsPerSec: mcp.callsPerSec / gateway.callsPerSec,
        p50: mcp.p50Ms / gateway.p50Ms,
        cpuPerCall: (mcp.cpuUsPerCall ?? Number.NaN) / (gateway.cpuUsPerCall ?? Number.NaN),
      };
    };
    return {
      mcpVsRest: { session: vsRest('mcp'), stateless: vsRest('mcp-stateless') },
      concurrency,
      callsPerSecPct: (100 * gateway.callsPerSec) / direct.callsPerSec,
      p50Times: gateway.p50Ms / direct.p50Ms,
      relayCallsPerSecPct: (100 * relay.callsPerSec) / direct.callsPerSec,
      relayP50Times: relay.p50Ms / direct.p50Ms,
      vsRelay: {
        callsPerSec: gateway.callsPerSec / relay.callsPerSec,
        p50: gateway.p50Ms / relay.p50Ms,
        cpuPerCall: (gateway.cpuUsPerCall ?? Number.NaN) / (relay.cpuUsPerCall ?? Number.NaN),
      },
    };
  });
}

function targets(comparisons: Comparison[]): Target[] {
  const at = (c: number) => comparisons.find((x) => x.concurrency === c)!;
  return [
    {
      name: 'concurrency 16: gateway calls/s >= 25% of direct',
      value: at(16).callsPerSecPct,
      pass: at(16).callsPerSecPct >= 25,
      unit: '%',
    },
    { name: 'concurrency 1: gateway p50 <= 3x direct p50', value: at(1).p50Times, pass: at(1).p50Times <= 3, unit: 'x' },
    // Issue 16: against the bare relay, the floor of any gateway on this machine.
    {
      name: 'concurrency 16: gateway CPU per call <= 2x the relay',
      value: at(16).vsRelay.cpuPerCall,
      pass: at(16).vsRelay.cpuPerCall <= 2,
      unit: 'x',
    },
    {
      name: 'concurrency 16: gateway calls/s >= 0.6x the relay',
      value: at(16).vsRelay.callsPerSec,
      pass: at(16).vsRelay.callsPerSec >= 0.6,
      unit: 'x',
    },
    { name: 'concurrency 1: gateway p50 <= 1.3x the relay', value: at(1).vsRelay.p50, pass: at(1).vsRelay.p50 <= 1.3, unit: 'x' },
    // Issue 17: the MCP endpoint against the REST route, in a session as Open WebUI and agents use it.
    ...CONCURRENCIES.map((c): Target => ({
      name: `concurrency ${c}: /mcp calls/s (2025 session) >= 0.8x the REST route`,
      value: at(c).mcpVsRest.session.callsPerSec,
      pass: at(c).mcpVsRest.session.callsPerSec >= 0.8,
      unit: 'x',
    })),
  ];
}

function report(results: Result[]): void {
  const comparisons = compare(results);
  const checks = targets(comparisons);
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const cores = os.availableParallelism();
  const label = {
    direct: 'direct (SDK stdio)',
    relay: 'bare relay (HTTP)',
    gateway: 'gateway (HTTP)',
    compared: 'compared build',
    mcp: 'gateway /mcp (2025)',
    'mcp-stateless': 'gateway /mcp (2026)',
  };
  const num = (value: number, digits: number, width: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a').padStart(width);

  console.log(
    `tool-call benchmark: echo on the demo MCP server, ${SECONDS} s per scenario in turns of ${WINDOW_SECONDS} s, after ${WARMUP_CALLS} warm-up calls`,
  );
  console.log(`node ${process.version}, ${cores} cores, ${cpu}`);
  console.log(
    `gateway: echo server with maxConcurrent ${MAX_CONCURRENCY} (default 8) so that 16 calls run at once as they do direct, --log-level ${LOG_LEVEL}${LOG_LEVEL === 'info' ? ' (one log line per request, drained)' : ''}`,
  );
  console.log(`client: node:http keep-alive agent (direct: one MCP SDK Client, calls multiplexed)`);
  console.log('bare relay: bench/relay.ts, HTTP in, stdio JSON-RPC out, nothing else: the floor of any gateway here');
  console.log('');
  console.log('scenario             conc     calls    calls/s    p50 ms    p99 ms  errors  CPU µs/call');
  for (const r of results) {
    const cpuUs = r.cpuUsPerCall === undefined ? '' : num(r.cpuUsPerCall, 0, 13);
    console.log(
      `${label[r.scenario].padEnd(19)} ${String(r.concurrency).padStart(5)} ${String(r.calls).padStart(9)} ${num(r.callsPerSec, 0, 10)} ${num(r.p50Ms, 3, 9)} ${num(r.p99Ms, 3, 9)} ${String(r.errors).padStart(7)}${cpuUs}`,
    );
  }
  console.log('');
  for (const c of comparisons) {
    console.log(
      `concurrency ${String(c.concurrency).padStart(2)}: gateway calls/s = ${c.callsPerSecPct.toFixed(1)}% of direct, gateway p50 = ${c.p50Times.toFixed(2)}x direct`,
    );
    console.log(
      `${''.padStart(16)}bare relay calls/s = ${c.relayCallsPerSecPct.toFixed(1)}% of direct, bare relay p50 = ${c.relayP50Times.toFixed(2)}x direct`,
    );
    console.log(
      `${''.padStart(16)}gateway / bare relay: calls/s ${num(c.vsRelay.callsPerSec, 2, 0)}x, p50 ${num(c.vsRelay.p50, 2, 0)}x, CPU per call ${num(c.vsRelay.cpuPerCall, 2, 0)}x`,
    );
    for (const [era, vs] of Object.entries(c.mcpVsRest)) {
      console.log(
        `${''.padStart(16)}/mcp ${era === 'session' ? '(2025 session)' : '(2026 stateless)'} / REST: calls/s ${num(vs.callsPerSec, 2, 0)}x, p50 ${num(vs.p50, 2, 0)}x, CPU per call ${num(vs.cpuPerCall, 2, 0)}x`,
      );
    }
  }
  for (const c of CONCURRENCIES) {
    const ours = results.find((r) => r.scenario === 'gateway' && r.concurrency === c);
    const theirs = results.find((r) => r.scenario === 'compared' && r.concurrency === c);
    if (!ours || !theirs) continue;
    console.log(
      `concurrency ${String(c).padStart(2)}: this build / compared build: calls/s ${num(ours.callsPerSec / theirs.callsPerSec, 2, 0)}x, p50 ${num(ours.p50Ms / theirs.p50Ms, 2, 0)}x, CPU per call ${num((ours.cpuUsPerCall ?? Number.NaN) / (theirs.cpuUsPerCall ?? Number.NaN), 2, 0)}x`,
    );
  }
  console.log('targets:');
  for (const t of checks) {
    const shown = t.unit === 'x' ? `${num(t.value, 2, 0)}x` : `${num(t.value, 1, 0)}%`;
    console.log(`  ${t.pass ? 'PASS' : 'MISS'}  ${t.name} (got ${shown})`);
  }
  for (const r of results.filter((x) => x.errors > 0)) {
    console.log(`ERRORS: ${label[r.scenario]} at concurrency ${r.concurrency}: ${r.errors} failed calls, first: ${r.firstError}`);
  }
  if (JSON_OUTPUT) {
    const summary = {
      bench: 'calls',
      node: process.version,
      cores,
      cpu,
      seconds: SECONDS,
      warmupCalls: WARMUP_CALLS,
      logLevel: LOG_LEVEL,
      results,
      comparisons,
      targets: checks,
      errors: results.reduce((sum, r) => sum + r.errors, 0),
    };
    console.log(JSON.stringify(summary));
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  if (!fs.existsSync(DEMO_SERVER_SCRIPT)) throw new Error(`${DEMO_SERVER_SCRIPT} is missing; run "npm run build" first`);
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-bench-calls-'));
  let gateway: Gateway | undefined;
  let direct: DirectClient | undefined;
  let relay: Gateway | undefined;
  let compared: Gateway | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(...CONCURRENCIES) });
  try {
    gateway = await startGateway(tempDir);
    direct = await directClient();
    relay = await startRelay();
    if (COMPARE_MAIN) compared = await startGateway(path.join(tempDir, 'compared'), COMPARE_MAIN, COMPARE_NODE_ARGS);
    const viaGateway = gatewayCall(gateway.port, agent);
    const viaRelay = gatewayCall(relay.port, agent);
    const viaMcp = await mcpCall(gateway.port, agent, 'legacy');
    const viaMcpStateless = await mcpCall(gateway.port, agent, 'modern');
    const results: Result[] = [];
    for (const concurrency of CONCURRENCIES) {
      const scenarios = [
        scenario('direct', direct.call),
        scenario('relay', viaRelay, relay.pid),
        scenario('gateway', viaGateway, gateway.pid),
        ...(compared ? [scenario('compared', gatewayCall(compared.port, agent), compared.pid)] : []),
        scenario('mcp', viaMcp, gateway.pid),
        scenario('mcp-stateless', viaMcpStateless, gateway.pid),
      ];
      results.push(...(await runInTurns(scenarios, concurrency)));
    }
    report(results);
    return results.some((r) => r.errors > 0) ? 1 : 0;
  } finally {
    agent.destroy();
    await direct?.close().catch((error: unknown) => console.error(`bench/calls: closing the direct client: ${String(error)}`));
    await relay?.stop();
    await compared?.stop();
    await gateway?.stop();
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`bench/calls: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
