/**
 * JSON logs (pino) on stdout. Nothing secret is logged: requests are logged by method, path,
 * status and id only (never headers or bodies), and the config is never logged expanded.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

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
 * `LOG_BUFFER_BYTES` are buffered. Call `flushOnExit` from a `process.on('exit')` handler so
 * that nothing buffered is lost.
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

  flushOnExit(): void {
    try {
      this.stream.flushSync();
    } catch {
      // stdout is gone or full at exit: nothing more can be done.
    }
  }
}
