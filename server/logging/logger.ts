/**
 * Logs (pino) on stdout: JSON lines, or readable lines for a person at a terminal (`pretty`).
 * Nothing secret is logged: requests are logged by method, path, status and id only (never
 * headers or bodies), and the config is never logged expanded. Redaction happens before a line
 * is formatted, so it holds in both formats.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

/** `auto` is `pretty` when stdout is a terminal, else `json`. */
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The format in force: `auto` becomes `pretty` on a terminal and `json` when stdout is piped or a file. */
export function resolveLogFormat(format: LogFormat, stdoutIsTTY: boolean): 'pretty' | 'json' {
  return format === 'auto' ? (stdoutIsTTY ? 'pretty' : 'json') : format;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { name: 'mcp-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Belt and braces: should a header object ever reach a log call, its secrets do not.
      redact: {
        paths: ['headers.authorization', 'headers.cookie', 'req.headers.authorization', 'req.headers.cookie', '*.env', '*.headers'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** How long a log line may wait in the buffer before it is written anyway. */
export const LOG_FLUSH_MS = 100;
/** Buffered bytes that are written at once, without waiting for the flush timer. */
export const LOG_BUFFER_BYTES = 4096;

/**
 * Stdout written asynchronously and in batches: a log line never holds up a tool call, and under
 * load many lines go out in one write (one wake-up of the reader) instead of one write each. A
 * line is written at the latest `LOG_FLUSH_MS` after it was logged, or at once when
 * `LOG_BUFFER_BYTES` are buffered, or when `flush` is called (main.ts does once it listens, so
 * that the start-up lines are seen at once). Call `flushOnExit` from a `process.on('exit')`
 * handler so that nothing buffered is lost.
 */
export class BufferedStdout implements pino.DestinationStream {
  private readonly stream = pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES });
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly flushNow = () => {
    this.flushTimer = undefined;
    this.stream.flush();
  };

  write(line: string): void {
    this.stream.write(line);
    this.flushTimer ??= setTimeout(this.flushNow, LOG_FLUSH_MS).unref();
  }

  /** Writes what is buffered now (asynchronously), without waiting for the flush timer. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushNow();
  }

  flushOnExit(): void {
    try {
      this.stream.flushSync();
    } catch {
      // stdout is gone or full at exit: nothing more can be done.
    }
  }
}

/**
 * Writes each JSON line to `out` as one readable line: local time, level, message, and the other
 * fields as compact JSON (`12:00:01.250 INFO: GET /api/servers 200 1.4 ms {"reqId":"…"}`); an
 * error's stack follows on its own lines. Colours only when `colorize`. Made by `create`, which
 * loads `pino-pretty` (only a console that shows readable lines needs it, so start-up with JSON
 * logs never loads it).
 */
export class PrettyLines implements pino.DestinationStream {
  static async create(out: pino.DestinationStream, colorize: boolean): Promise<PrettyLines> {
    const { prettyFactory } = await import('pino-pretty');
    return new PrettyLines(
      out,
      prettyFactory({ colorize, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' }),
    );
  }

  private constructor(
    private readonly out: pino.DestinationStream,
    private readonly prettify: (line: Record<string, unknown>) => string,
  ) {}

  write(line: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.out.write(line);
      return;
    }
    this.out.write(this.prettify(readableMessage(entry)));
  }
}

/**
 * The two lines a console sees most, a request and a tool call, with their main fields in the
 * message: `GET /api/servers 200 1.4 ms`, `tool call demo/echo ok 200 2.1 ms`.
 */
function readableMessage(entry: Record<string, unknown>): Record<string, unknown> {
  if (entry.msg === 'request' && typeof entry.method === 'string') {
    const { method, path, status, ms, ...rest } = entry;
    return { ...rest, msg: `${method} ${String(path)} ${String(status)} ${String(ms)} ms` };
  }
  if (entry.msg === 'tool call' && typeof entry.server === 'string') {
    const { server, tool, outcome, status, durationMs, ...rest } = entry;
    return { ...rest, msg: `tool call ${server}/${String(tool)} ${String(outcome)} ${String(status)} ${String(durationMs)} ms` };
  }
  return entry;
}
