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
