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

/**
 * Stdout written asynchronously: a log line never holds up a tool call. Call `flushOnExit` from
 * a `process.on('exit')` handler so that nothing buffered is lost.
 */
export function asyncStdout(): pino.DestinationStream & { flushOnExit(): void } {
  const stream = pino.destination({ dest: 1, sync: false });
  return Object.assign(stream, {
    flushOnExit() {
      try {
        stream.flushSync();
      } catch {
        // stdout is gone or full at exit: nothing more can be done.
      }
    },
  });
}
