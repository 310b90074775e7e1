/**
 * An MCP transport over a child process's stdin/stdout.
 *
 * It knows processes and bytes, not MCP: it spawns the server in its own process group, splits
 * stdout into newline-delimited JSON-RPC messages, keeps the tail of stderr, and ends the whole
 * process group on close (SIGTERM, then SIGKILL after a grace period). We use our own instead of
 * the SDK's StdioClientTransport because that one kills only the direct child (so `npx`/`uvx`
 * grandchildren outlive it) and gives up on a message larger than 10 MiB.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * Environment variables passed through from the gateway to every stdio server; a server's own
 * `env` is added on top. Everything else (and in particular the gateway's own secrets) stays out.
 */
export const INHERITED_ENV_VARS = [
  'HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR',
] as const;

export function safeEnvironment(extra: Record<string, string>, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV_VARS) {
    const value = from[key];
    if (value !== undefined && !value.startsWith('()')) env[key] = value; // skip exported shell functions
  }
  return { ...env, ...extra };
}

export interface StdioTransportOptions {
  command: string;
  args: string[];
  /** The complete environment of the child (see `safeEnvironment`). */
  env: Record<string, string>;
  /** Working directory. Default: the gateway's. */
  cwd?: string;
  /** Time between SIGTERM and SIGKILL on close, in ms. Default 5000. */
  stopGraceMs?: number;
  /** Lines of stderr kept. Default 100. */
  stderrLines?: number;
  /** A line longer than this is dropped and reported through `onerror`, in bytes. Default 64 MiB. */
  maxLineBytes?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Process groups alive right now, so that even a hard exit of the gateway can end them. */
const liveGroups = new Set<number>();

/** Sends SIGKILL to every process group still alive. Synchronous: safe in `process.on('exit')`. */
export function killAllProcessGroupsSync(): void {
  for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  liveGroups.clear();
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

const MAX_STDERR_LINE_CHARS = 2000;

export class StdioProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child?: ChildProcessWithoutNullStreams;
  private exited?: Promise<ExitInfo>;
  private exitInfo?: ExitInfo;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private dropping = false;
  private readonly stderr: string[] = [];
  private stderrPartial = '';
  private closing = false;
  private closeReported = false;
  private inbox: JSONRPCMessage[] = [];
  /** Lines `send` queued for the next write, and the pending write's handle. */
  private outbox = '';
  private outboxFlush: NodeJS.Immediate | undefined;
  /** The last write filled the pipe: sends wait for 'drain'. */
  private stdinFull = false;

  constructor(private readonly options: StdioTransportOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How the process ended, once it has. */
  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  /** The last lines the process wrote to stderr (oldest first). */
  stderrTail(): string[] {
    return this.stderrPartial ? [...this.stderr, this.stderrPartial] : [...this.stderr];
  }

  start(): Promise<void> {
    if (this.child) throw new Error('StdioProcessTransport already started');
    const { command, args, env, cwd } = this.options;
    const child = spawn(command, args, {
      env,
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      // Own process group: closing ends the server and everything it started, and a Ctrl-C in
      // the gateway's terminal reaches the gateway only, which then stops servers in order.
      detached: true,
      windowsHide: true,
    });
    this.child = child;

    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        // Whatever the leader left behind in its group goes with it: no orphans.
        if (child.pid !== undefined) {
          killGroup(child.pid, 'SIGKILL');
          liveGroups.delete(child.pid);
        }
        resolve(this.exitInfo);
      });
    });
    child.once('close', () => this.reportClosed());

    child.stdout.on('data', (chunk: Buffer) => this.onStdout(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => this.onStderr(text));
    child.stdin.on('error', (error) => {
      // EPIPE after the child died: the exit handler reports the real cause.
      if (!this.closing && !this.exitInfo) this.onerror?.(error);
    });

    return new Promise<void>((resolve, reject) => {
      child.once('spawn', () => {
        if (child.pid !== undefined) liveGroups.add(child.pid);
        resolve();
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        const reason = error.code === 'ENOENT' ? 'command not found' : error.code ?? error.message;
        const failure = new Error(`cannot start "${command}": ${reason}`);
        reject(failure);
        this.onerror?.(failure);
      });
    });
  }

  /** Writes one message line; resolves at once, or once stdin drains when the pipe is full. */
  send(message: JSONRPCMessage): Promise<void> {
    const child = this.child;
    if (!child || this.exitInfo || !child.stdin.writable) {
      return Promise.reject(new Error('the server process is not running'));
    }
    // Messages sent in one turn of the event loop go out in one write: under load that is one
    // wake-up of the server per turn instead of one per message.
    this.outbox += `${JSON.stringify(message)}\n`;
    this.outboxFlush ??= setImmediate(this.flushOutbox);
    if (!this.stdinFull) return Promise.resolve();
    return new Promise((resolve) => child.stdin.once('drain', resolve));
  }

  /** Writes what `send` queued in this turn; when the pipe is full, later sends wait for 'drain'. */
  private readonly flushOutbox = () => {
    if (this.outboxFlush) clearImmediate(this.outboxFlush);
    this.outboxFlush = undefined;
    if (this.outbox === '') return;
    const child = this.child;
    const text = this.outbox;
    this.outbox = '';
    if (!child || !child.stdin.writable) return;
    // Write errors (EPIPE once the server died) reach the stdin 'error' handler.
    if (!child.stdin.write(text)) {
      this.stdinFull = true;
      child.stdin.once('drain', () => (this.stdinFull = false));
    }
  };

  /**
   * Ends the process group: stdin is closed (the polite MCP shutdown) and SIGTERM is sent at
   * once; SIGKILL follows after `stopGraceMs`. Resolves once the process has exited.
   * `onclose` fires at once, as the SDK's Transport contract asks of `close()`: the requests in
   * flight fail now, not when a hung process finally dies.
   */
  async close(): Promise<void> {
    const child = this.child;
    if (!child || !this.exited) return;
    this.closing = true;
    this.reportClosed();
    if (!this.exitInfo && child.pid !== undefined) {
      this.flushOutbox();
      child.stdin.end();
      killGroup(child.pid, 'SIGTERM');
      const grace = this.options.stopGraceMs ?? 5000;
      const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), grace);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** Fires `onclose` once: on `close()`, or when the process's pipes close, whichever comes first. */
  private reportClosed(): void {
    if (this.closeReported) return;
    this.closeReported = true;
    this.onclose?.();
  }

  private onStdout(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(10);
    while (newline !== -1) {
      const piece = chunk.subarray(start, newline);
      if (this.dropping) {
        this.dropping = false;
      } else if (this.pendingBytes + piece.length > this.maxLineBytes) {
        this.reportOversized(this.pendingBytes + piece.length);
      } else {
        const line = this.pending.length ? Buffer.concat([...this.pending, piece]) : piece;
        this.handleLine(line);
      }
      this.pending = [];
      this.pendingBytes = 0;
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    this.deliver();
    if (start < chunk.length && !this.dropping) {
      const rest = chunk.subarray(start);
      if (this.pendingBytes + rest.length > this.maxLineBytes) {
        this.reportOversized(this.pendingBytes + rest.length);
        this.pending = [];
        this.pendingBytes = 0;
        this.dropping = true;
      } else {
        this.pending.push(rest);
        this.pendingBytes += rest.length;
      }
    }
  }

  private get maxLineBytes(): number {
    return this.options.maxLineBytes ?? 64 * 1024 * 1024;
  }

  private reportOversized(bytes: number): void {
    this.onerror?.(new Error(`dropped a message of more than ${bytes} bytes from stdout (limit ${this.maxLineBytes})`));
  }

  private handleLine(line: Buffer): void {
    const text = line.toString('utf8').replace(/\r$/, '');
    if (text.trim() === '') return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.onerror?.(new Error(`ignored a line on stdout that is not JSON: ${text.slice(0, 200)}`));
      return;
    }
    if (typeof message !== 'object' || message === null || (message as { jsonrpc?: unknown }).jsonrpc !== '2.0') {
      this.onerror?.(new Error(`ignored a line on stdout that is not JSON-RPC: ${text.slice(0, 200)}`));
      return;
    }
    // The protocol layer validates the message's shape before acting on it.
    this.inbox.push(message as JSONRPCMessage);
  }

  /**
   * Hands the messages of one chunk to the protocol one microtask apart. The SDK runs
   * notification handlers a microtask after receipt but handles a response at once (dropping
   * its progress handler), so a final progress notification that arrived in the same chunk as
   * the result would otherwise be lost.
   */
  private deliver(): void {
    const message = this.inbox.shift();
    if (!message) return;
    this.onmessage?.(message);
    if (this.inbox.length) queueMicrotask(() => this.deliver());
  }

  private onStderr(text: string): void {
    const parts = (this.stderrPartial + text).split('\n');
    this.stderrPartial = (parts.pop() ?? '').slice(0, MAX_STDERR_LINE_CHARS);
    const limit = this.options.stderrLines ?? 100;
    for (const part of parts) {
      this.stderr.push(part.replace(/\r$/, '').slice(0, MAX_STDERR_LINE_CHARS));
      if (this.stderr.length > limit) this.stderr.shift();
    }
  }
}
