/**
 * An MCP transport over a child process's stdin/stdout.
 *
 * It knows processes and bytes, not MCP: it spawns the server in its own process group, splits
 * stdout into newline-delimited JSON-RPC messages, keeps the tail of stderr, and ends the whole
 * process group on close (SIGTERM, then SIGKILL after a grace period). We use our own instead of
 * the SDK's StdioClientTransport because that one kills only the direct child (so `npx`/`uvx`
 * grandchildren outlive it) and gives up on a message larger than 10 MiB.
 *
 * Each start puts a fresh random token in the child's environment (`MCP_GATEWAY_GROUP`), which
 * its children inherit: after a crash of the gateway it tells the server's leftover processes
 * apart from strangers (state/process-groups.ts).
 *
 * A line over `maxLineBytes` is dropped, and the request it answers gets an error response at
 * once (oversized-message.ts) instead of waiting for its timeout. A spawn that fails — a missing
 * command, or no file descriptor left (EMFILE) — rejects `start()`; it never throws past it.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { ProcessGroupListener } from '../state/process-groups.js';
import { signalGroup } from './process-table.js';
import { DroppedLine, OversizedMessageError } from './oversized-message.js';

/**
 * Environment variables passed through from the gateway to every stdio server; a server's own
 * `env` is added on top. Everything else (and in particular the gateway's own secrets) stays out.
 */
export const INHERITED_ENV_VARS = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;

/** The environment variable that carries a server's group token (see the top of this file). */
export const GROUP_TOKEN_VARIABLE = 'MCP_GATEWAY_GROUP';

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
  /** The environment of the child (see `safeEnvironment`); `MCP_GATEWAY_GROUP` is added to it. */
  env: Record<string, string>;
  /** Working directory. Default: the gateway's. */
  cwd?: string;
  /** Time between SIGTERM and SIGKILL on close, in ms. Default 5000. */
  stopGraceMs?: number;
  /** Lines of stderr kept. Default 100. */
  stderrLines?: number;
  /**
   * A line longer than this is dropped and reported through `onerror` (an `OversizedMessageError`),
   * and the request it answers gets an error response at once, in bytes; a function is read at each
   * chunk (so a config reload applies it). Default 64 MiB.
   */
  maxLineBytes?: number | (() => number);
  /** Told when the server's process group starts and ends (to end leftovers after a crash). Default: nobody. */
  processGroups?: ProcessGroupListener;
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
  signalGroup(pgid, signal); // false once the group is gone
}

const MAX_STDERR_LINE_CHARS = 2000;
/** Character codes `handleLine` looks at. */
const CR = 13;
const SPACE = 32;

/** What a spawn error code means, for `lastError`. */
const SPAWN_ERROR_HINTS: Record<string, string> = {
  EMFILE: ' (the gateway has too many open files; it retries with backoff)',
  ENFILE: ' (the system has too many open files; the gateway retries with backoff)',
  EACCES: ' (permission denied)',
  EAGAIN: ' (too many processes)',
};

export class StdioProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child?: ChildProcessWithoutNullStreams;
  private exited?: Promise<ExitInfo>;
  private exitInfo?: ExitInfo;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The line being dropped because it is over `maxLineBytes`. */
  private dropping: DroppedLine | undefined;
  private readonly stderr: string[] = [];
  private stderrPartial = '';
  private closing = false;
  private closeReported = false;
  private inbox: JSONRPCMessage[] = [];
  /** Lines `send` queued for the next write (a microtask after the first of them). */
  private outbox = '';
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
    const { command, args, cwd } = this.options;
    const token = randomBytes(16).toString('hex');
    const env = { ...this.options.env, [GROUP_TOKEN_VARIABLE]: token };
    const failure = (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'ENOENT' ? 'command not found' : error.code ? `${error.code}${SPAWN_ERROR_HINTS[error.code] ?? ''}` : error.message;
      return new Error(`cannot start "${command}": ${reason}`);
    };
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(command, args, {
        env,
        cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        // Own process group: closing ends the server and everything it started, and a Ctrl-C in
        // the gateway's terminal reaches the gateway only, which then stops servers in order.
        detached: true,
        windowsHide: true,
      });
    } catch (error) {
      // Most spawn failures arrive as an 'error' event; a few (e.g. a NUL byte in an argument) throw.
      return Promise.reject(failure(error as NodeJS.ErrnoException));
    }
    this.child = child;
    // Listened to first: an 'error' nobody listens to would end the gateway.
    const started = new Promise<void>((resolve, reject) => {
      child.once('spawn', () => {
        if (child.pid !== undefined) {
          liveGroups.add(child.pid);
          this.options.processGroups?.started(child.pid, token);
        }
        resolve();
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        const reported = failure(error);
        reject(reported);
        this.onerror?.(reported);
      });
    });
    // Out of file descriptors (EMFILE, ENFILE), Node reports the failure without creating the
    // pipes: there is no process and nothing to read.
    if (!child.stdin || !child.stdout || !child.stderr) return started;

    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        // Whatever the leader left behind in its group goes with it: no orphans.
        if (child.pid !== undefined) {
          killGroup(child.pid, 'SIGKILL');
          liveGroups.delete(child.pid);
          this.options.processGroups?.ended(child.pid);
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
    return started;
  }

  /** Writes one message line; resolves at once, or once stdin drains when the pipe is full. */
  send(message: JSONRPCMessage): Promise<void> {
    const child = this.child;
    if (!child || this.exitInfo || !child.stdin?.writable) {
      return Promise.reject(new Error('the server process is not running'));
    }
    // Messages sent before the next microtask go out in one write: the calls whose starts one
    // journal write committed (activity/log.ts) resume together, so under load that is one
    // wake-up of the server per turn of the event loop instead of one per message, and a lone
    // message goes out in the turn it was sent in (not one turn later, as with setImmediate).
    if (this.outbox === '') queueMicrotask(this.flushOutbox);
    this.outbox += `${JSON.stringify(message)}\n`;
    if (!this.stdinFull) return Promise.resolve();
    return new Promise((resolve) => child.stdin.once('drain', resolve));
  }

  /** Writes what `send` queued; when the pipe is full, later sends wait for 'drain'. */
  private readonly flushOutbox = () => {
    if (this.outbox === '') return;
    const child = this.child;
    const text = this.outbox;
    this.outbox = '';
    if (!child || !child.stdin?.writable) return;
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
      if (!this.dropping && this.pending.length === 0 && newline - start <= this.maxLineBytes) {
        // A whole line in this chunk (the usual case): decoded in place, without a Buffer of its own.
        this.handleLine(chunk.toString('utf8', start, newline));
      } else {
        const piece = chunk.subarray(start, newline);
        if (this.dropping) {
          this.dropping.append(piece);
          this.endDropping();
        } else if (this.pendingBytes + piece.length > this.maxLineBytes) {
          this.startDropping(piece);
          this.endDropping();
        } else {
          this.handleLine(Buffer.concat([...this.pending, piece]).toString('utf8'));
        }
      }
      this.pending = [];
      this.pendingBytes = 0;
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (this.dropping) {
        this.dropping.append(rest);
      } else if (this.pendingBytes + rest.length > this.maxLineBytes) {
        this.startDropping(rest);
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        this.pending.push(rest);
        this.pendingBytes += rest.length;
      }
    }
    this.deliver();
  }

  private get maxLineBytes(): number {
    const limit = this.options.maxLineBytes;
    return (typeof limit === 'function' ? limit() : limit) ?? 64 * 1024 * 1024;
  }

  /**
   * The line that `piece` ends or continues is over the limit: it is dropped, reported, and the
   * request it answers is answered with an error as soon as its id shows (see oversized-message.ts).
   */
  private startDropping(piece: Buffer): void {
    const limit = this.maxLineBytes;
    this.dropping = new DroppedLine([...this.pending, piece], limit);
    this.onerror?.(new OversizedMessageError(this.pendingBytes + piece.length, limit));
    this.answerDropped(false);
  }

  private endDropping(): void {
    this.answerDropped(true);
    this.dropping = undefined;
  }

  private answerDropped(ended: boolean): void {
    const answer = this.dropping?.answer(ended);
    if (answer) this.inbox.push(answer);
  }

  private handleLine(line: string): void {
    // A CR before the LF is dropped; a blank line is skipped (checked without copying a line that starts with `{`).
    const text = line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line;
    const first = text.charCodeAt(0);
    if (text === '' || ((first <= SPACE || first >= 0x80) && text.trim() === '')) return;
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
