/**
 * Start-up benchmark: how long from spawning `mcp-gateway` (no config, so the built-in demo
 * server) until it listens, and until the demo server is `ready` with its tools listed.
 * Run with `npm run bench`; `BENCH_RUNS` sets the number of runs (default 10).
 *
 * On Linux it also gives the CPU time the gateway process had used when it logged that it
 * listens (from /proc, to the nanosecond where the kernel keeps scheduler statistics, else in steps
 * of 10 ms): unlike the wall-clock times, that hardly changes when other work shares the machine,
 * so it compares builds on a busy machine too. `BENCH_COMPARE=<another build's
 * dist/server/main.js>` starts that build too, in turns with this one, and prints both and the
 * differences of the medians.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { preciseCpuMsOf } from './process-cpu.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'server', 'main.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
/** Another build's `dist/server/main.js`, started in turns with this one; none by default. */
const COMPARE = process.env.BENCH_COMPARE ? path.resolve(process.env.BENCH_COMPARE) : undefined;

interface Run {
  listeningMs: number;
  readyMs: number;
  /** CPU time (user + system) of the gateway process when it logged that it listens; undefined where /proc is not there. */
  listeningCpuMs: number | undefined;
}

function once(main: string): Promise<Run> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-bench-'));
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
  const child = spawn(process.execPath, [main, '--port', '0', '--state-dir', stateDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let listeningMs: number | undefined;
    let listeningCpuMs: number | undefined;
    let readyMs: number | undefined;
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      buffer += text;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const entry = JSON.parse(line) as { msg?: string; to?: string };
        if (entry.msg?.includes('listening on')) {
          listeningMs = elapsed();
          listeningCpuMs = preciseCpuMsOf(child.pid);
        }
        if (entry.msg === 'server demo: ready' && readyMs === undefined) {
          readyMs = elapsed();
          child.kill('SIGTERM');
        }
      }
    });
    child.once('exit', (code) => {
      fs.rmSync(stateDir, { recursive: true, force: true });
      if (readyMs === undefined) reject(new Error(`the gateway exited with code ${code} before the demo server was ready`));
      else resolve({ listeningMs: listeningMs ?? readyMs, readyMs, listeningCpuMs });
    });
  });
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const fmt = (ms: number) => `${ms.toFixed(0).padStart(5)} ms`;

const runs: Run[] = [];
const compared: Run[] = [];
for (let i = 0; i < RUNS; i++) {
  runs.push(await once(MAIN));
  if (COMPARE) compared.push(await once(COMPARE));
}

/** The table of `runs`' figures: median, p90, min and max. */
function report(title: string, runs: Run[]): void {
  const listening = runs.map((run) => run.listeningMs);
  const ready = runs.map((run) => run.readyMs);
  console.log(title);
  console.log(`                      median      p90      min      max`);
  console.log(
    `spawn → listening  ${fmt(percentile(listening, 50))} ${fmt(percentile(listening, 90))} ${fmt(Math.min(...listening))} ${fmt(Math.max(...listening))}`,
  );
  console.log(
    `spawn → demo ready ${fmt(percentile(ready, 50))} ${fmt(percentile(ready, 90))} ${fmt(Math.min(...ready))} ${fmt(Math.max(...ready))}`,
  );
  const cpu = cpuOf(runs);
  if (cpu) {
    console.log(
      `CPU to listening   ${fmt(percentile(cpu, 50))} ${fmt(percentile(cpu, 90))} ${fmt(Math.min(...cpu))} ${fmt(Math.max(...cpu))}`,
    );
  }
}

/** The CPU times to listening, or undefined where /proc did not give them all. */
function cpuOf(runs: Run[]): number[] | undefined {
  const cpu = runs.flatMap((run) => (run.listeningCpuMs === undefined ? [] : [run.listeningCpuMs]));
  return cpu.length === runs.length ? cpu : undefined;
}

report(`start-up of mcp-gateway with the demo server, ${RUNS} runs (node ${process.version}, ${os.cpus().length} cores)`, runs);
if (COMPARE) {
  report(`the same, of ${COMPARE} (started in turns with this build)`, compared);
  const median = (values: number[]) => percentile(values, 50);
  const delta = (mine: number[], theirs: number[]) => `${(median(mine) - median(theirs)).toFixed(0)} ms`;
  const mineCpu = cpuOf(runs);
  const theirCpu = cpuOf(compared);
  console.log(
    `this build - the other: listening ${delta(
      runs.map((run) => run.listeningMs),
      compared.map((run) => run.listeningMs),
    )}, ready ${delta(
      runs.map((run) => run.readyMs),
      compared.map((run) => run.readyMs),
    )}${mineCpu && theirCpu ? `, CPU to listening ${delta(mineCpu, theirCpu)}` : ''} (medians)`,
  );
}
