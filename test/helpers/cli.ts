/** Runs the built `mcp-gateway` command (dist/server/main.js) as a user would. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { once } from 'node:events';
import { signalGroup } from '../../server/upstream/process-table.js';

export const MAIN = path.resolve(import.meta.dirname, '..', '..', 'dist', 'server', 'main.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the command to completion (for usage and config errors, --help, --version). `launcher` is
 * a command that runs node for it (e.g. `setpriv … --`). Default: none.
 */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string, launcher: string[] = []): Promise<RunResult> {
  const [command, ...before] = [...launcher, process.execPath];
  const child = spawn(command!, [...before, MAIN, ...args], { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout, stderr };
}

export interface RunningGateway {
  child: ChildProcess;
  url: string;
  /** Parsed JSON log lines so far. */
  logs: Record<string, unknown>[];
  stderr(): string;
  waitForLog(test: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the gateway on a free port (`--port 0`) and resolves once it listens. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<RunningGateway> {
  return startCommand(process.execPath, [MAIN, '--port', '0', ...args], env, cwd);
}

/** The start-up line in the pretty log format: `… listening on http://127.0.0.1:PORT; …`. */
const LISTENING_LINE = /listening on (http:\/\/\S+?);/;

/**
 * Starts the gateway as `command args` (e.g. `sh -c '<a line from the README>'`) and resolves once
 * it listens, in either log format. Lines that are not JSON are kept as `{raw: line}`.
 */
export async function startCommand(command: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<RunningGateway> {
  // A process group of its own: `stop` ends the whole tree (`npm start` runs the gateway as a
  // grandchild, which must not outlive the test, nor write into its folders after it).
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let buffer = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    buffer += text;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ raw: line });
      }
    }
    for (const waiter of waiters) waiter();
  });
  const exited = once(child, 'exit');

  const waitForLog: RunningGateway['waitForLog'] = (test, timeoutMs = 15_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = logs.find(test);
        if (found) {
          done();
          resolve(found);
        } else if (child.exitCode !== null) {
          done();
          reject(new Error(`gateway exited (${child.exitCode}) before the expected log line; stderr: ${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no expected log line within ${timeoutMs} ms; stderr: ${stderr}; logs: ${JSON.stringify(logs.slice(-5))}`));
      }, timeoutMs);
      const onExit = () => check();
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', onExit);
      };
      waiters.add(check);
      child.on('exit', onExit);
      check();
    });

  const listening = await waitForLog(
    (line) => (typeof line.url === 'string' && String(line.msg).includes('listening')) || LISTENING_LINE.test(String(line.raw)),
  );
  return {
    child,
    url: typeof listening.url === 'string' ? listening.url : LISTENING_LINE.exec(String(listening.raw))![1]!,
    logs,
    stderr: () => stderr,
    waitForLog,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code] = (await exited) as [number | null];
      // What is left of the group (a grandchild that outlived its parent) goes too.
      signalGroup(child.pid!, 'SIGKILL'); // false once the group is gone
      return code;
    },
  };
}
