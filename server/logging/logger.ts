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

/** Where the loggers made by `createLogger` write: `infoLineWriter` writes their lines itself. */
const DESTINATIONS = new WeakMap<Logger, pino.DestinationStream>();

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const logger = pino(
    {
      level,
      base: { name: 'mcp-gateway' },
      timestamp: isoTime,
      // Belt and braces: should a header object ever reach a log call, its secrets do not.
      redact: {
        paths: ['headers.authorization', 'headers.cookie', 'req.headers.authorization', 'req.headers.cookie', '*.env', '*.headers'],
        censor: '[redacted]',
      },
    },
    destination,
  );
  if (destination) DESTINATIONS.set(logger, destination);
  return logger;
}

/** The fields of a line of `infoLineWriter`: strings and numbers, a value left undefined is left out. */
export type FlatFields = Readonly<Record<string, string | number | undefined>>;

/**
 * A string as pino writes it: through `JSON.stringify` when it is longer than 100 characters or
 * holds a control character, else quoted with only `"` and `\\` escaped (pino leaves the rest, a
 * lone surrogate too, as it is).
 */
const CONTROL_CHARACTER = /[\u0000-\u001f]/;
const QUOTE_OR_BACKSLASH = /["\\]/;
const QUOTES_AND_BACKSLASHES = /["\\]/g;
/** pino (lib/tools.js) writes every string through `JSON.stringify` from Node 25 on. */
const STRINGIFY_ALL = Number(process.versions.node.split('.')[0]) >= 25;
function quoted(text: string): string {
  if (STRINGIFY_ALL || text.length > 100 || CONTROL_CHARACTER.test(text)) return JSON.stringify(text);
  return QUOTE_OR_BACKSLASH.test(text) ? `"${text.replace(QUOTES_AND_BACKSLASHES, '\\$&')}"` : `"${text}"`;
}
/**
 * A character that makes a string more than plain: `"`, `\\`, a control character or one beyond
 * ASCII. A plain string is written as `"text"` by `quoted` and by `JSON.stringify` alike (one test
 * instead of `quoted`'s two), and its UTF-8 bytes are its length.
 */
const NOT_PLAIN = /["\\\u0000-\u001f\u0080-\uffff]/;

/**
 * Writes `info` lines whose fields are `keys` (strings and numbers) and whose message is `msg`:
 * the text pino writes for `logger.info(fields, msg)` (without its redaction paths, which such
 * fields never need), made here for a logger of `createLogger`, whose options are known. For a
 * line written on every tool call: pino's general formatter (a key and a value quoted at a time)
 * made about 2 KB of garbage and took about 1 µs per line, this about a third of each (README,
 * "Performance"). Any other logger writes the lines through pino.
 */
export function infoLineWriter(logger: Logger, msg: string, keys: readonly string[]): (fields: FlatFields) => void {
  const destination = DESTINATIONS.get(logger);
  const plain = logger.child({}, { redact: { paths: [] } });
  if (!destination) return (fields) => plain.info(fields, msg);
  // `{"level":30` (pino's default level formatter), then the time, then the bindings (`,"name":…`).
  const head = `{"level":${plain.levels.values.info}`;
  const bindings = (plain as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '';
  const names = keys.map((key) => `,${quoted(key)}:`);
  const tail = `,"msg":${quoted(msg)}}\n`;
  // Whether the fixed parts are ASCII: then so is a line whose strings are plain, and its length is
  // its UTF-8 size, which the destination need not measure (about 1% of a tool call's CPU).
  const fixedAscii = [head, bindings, tail, ...names].every((part) => Buffer.byteLength(part) === part.length);
  // Only `BufferedStdout` takes a line's size; to a Node stream a second argument is an encoding.
  const sized = destination instanceof BufferedStdout ? destination : undefined;
  return (fields) => {
    if (!plain.isLevelEnabled('info')) return;
    let line = head + isoTime() + bindings;
    let ascii = fixedAscii;
    for (let i = 0; i < keys.length; i++) {
      const value = fields[keys[i]!];
      if (value === undefined) continue;
      let text: string;
      if (typeof value === 'string') {
        if (NOT_PLAIN.test(value)) {
          text = quoted(value);
          ascii = false;
        } else text = `"${value}"`;
      } else if (typeof value === 'number') text = Number.isFinite(value) ? String(value) : 'null';
      // Not a string or a number despite the type (a null, a boolean): as pino writes it.
      else {
        text = JSON.stringify(value) ?? 'null';
        ascii = false;
      }
      line += names[i]! + text;
    }
    line += tail;
    if (ascii && sized) sized.write(line, line.length);
    else destination.write(line);
  };
}

/**
 * The `time` field as pino's `stdTimeFunctions.isoTime` writes it (`,"time":"2026-01-02T03:04:05.678Z"`),
 * with the part up to the second formatted once per second: formatting a Date for every line
 * was a measurable part of a tool call's cost.
 */
export const isoTime = (() => {
  let second = Number.NaN;
  let prefix = '';
  return (): string => {
    const now = Date.now();
    const ms = now % 1000;
    if (now - ms !== second) {
      second = now - ms;
      // `YYYY-MM-DDTHH:MM:SS.` (dates from year 0 to 9999, as toISOString writes them).
      prefix = `,"time":"${new Date(second).toISOString().slice(0, 20)}`;
    }
    return `${prefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
  };
})();

/** How long a log line may wait in the buffer before it is written anyway. */
export const LOG_FLUSH_MS = 100;
/**
 * Buffered bytes that are written at once, without waiting for the flush timer: under load about
 * 200 tool-call lines per write (each write, done on libuv's thread pool, and the wake-up of the
 * reader cost about 45 µs of CPU whatever its size up to 64 KiB: at 16 KiB that was 0.7 µs per line,
 * at 48 KiB about 0.2 µs). Below 64 KiB, the capacity of a Linux pipe, so a batch fits in one write.
 */
export const LOG_BUFFER_BYTES = 48 * 1024;
/** Most bytes written at once (sonic-boom's default is 16 KiB, which must exceed `LOG_BUFFER_BYTES`). */
const LOG_MAX_WRITE_BYTES = 64 * 1024;

/**
 * Stdout written asynchronously and in batches: a log line never holds up a tool call, and under
 * load many lines go out in one write (one wake-up of the reader) instead of one write each. A
 * line is written at the latest `LOG_FLUSH_MS` after it was logged, or at once when
 * `LOG_BUFFER_BYTES` are buffered, or when `flush` is called (main.ts does once it listens, so
 * that the start-up lines are seen at once). Call `flushOnExit` from a `process.on('exit')`
 * handler so that nothing buffered is lost.
 *
 * Each line is encoded into a byte buffer as it comes, and a batch is handed to sonic-boom (in its
 * buffer mode) as a slice of it. Gathered as one string instead, a batch of ~280 lines was a rope
 * that sonic-boom flattened to measure its UTF-8 length, measured again, and Node encoded once
 * more to write it: about 1.5% of a tool call's CPU under load (README, "Performance"). One line
 * at a time, sonic-boom measured all it held on every `write`, which cost more than the line itself.
 */
/**
 * The file descriptor `fd` written asynchronously, each batch (bytes) as it is handed over, in writes of at
 * most `LOG_MAX_WRITE_BYTES`. No `minLength` of its own: `BufferedStdout` batches already, and
 * sonic-boom's `flush` does nothing while a write is under way, so with a `minLength` a batch handed
 * over during a write stayed buffered until the next one came (a start-up line could wait forever).
 */
export function batchStream(fd: number): BatchStream {
  return pino.destination({
    dest: fd,
    sync: false,
    minLength: 0,
    maxWrite: LOG_MAX_WRITE_BYTES,
    contentMode: 'buffer',
  }) as unknown as BatchStream;
}

/** Where `BufferedStdout` hands its batches: each a slice of bytes it no longer writes to. */
export interface BatchStream {
  write(batch: Buffer): unknown;
  flush(): void;
  flushSync(): void;
}

/** Bytes of each buffer the lines are encoded into: a batch is handed over at `LOG_BUFFER_BYTES`, so a line of up to 16 KiB fits after it. */
const LOG_BUFFER_CAPACITY = LOG_MAX_WRITE_BYTES;
/** Room below which the rest of a buffer is not used for the next batch: a new one is made. */
const LOG_BUFFER_MIN_ROOM = 16 * 1024;

export class BufferedStdout implements pino.DestinationStream {
  /** Where lines are encoded: `start` to `used` is the batch not yet handed over; before `start`, handed over. */
  private buffer = Buffer.allocUnsafeSlow(LOG_BUFFER_CAPACITY);
  private start = 0;
  private used = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly flushNow = () => {
    this.flushTimer = undefined;
    this.handOver();
    this.stream.flush();
  };

  constructor(
    /** Where the batches go. Default: stdout (`batchStream(1)`). */
    private readonly stream: BatchStream = batchStream(1),
  ) {}

  /** Bytes gathered and not yet handed over. */
  get pendingBytes(): number {
    return this.used - this.start;
  }

  /**
   * `bytes`: the line's exact UTF-8 size when the caller knows it (infoLineWriter does for an ASCII
   * line), else measured here. A size equal to the line's length says it is ASCII: it is copied as
   * Latin-1, so a wrong size would garble a line that is not.
   */
  write(line: string, bytes?: number): void {
    const size = bytes ?? Buffer.byteLength(line);
    if (size > LOG_BUFFER_CAPACITY) {
      // A line larger than a buffer (a huge error) goes as it is, after what came before it.
      this.handOver();
      this.stream.write(Buffer.from(line, 'utf8'));
      return;
    }
    if (this.used + size > this.buffer.length) {
      this.handOver();
      if (this.used + size > this.buffer.length) this.renew();
    }
    // An ASCII line (as many bytes as characters) is copied byte for byte, without UTF-8's checks.
    this.used += this.buffer.write(line, this.used, size === line.length ? 'latin1' : 'utf8');
    if (this.used - this.start >= LOG_BUFFER_BYTES) this.handOver();
    else this.flushTimer ??= setTimeout(this.flushNow, LOG_FLUSH_MS).unref();
  }

  /** Writes what is buffered now (asynchronously), without waiting for the flush timer. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushNow();
  }

  flushOnExit(): void {
    try {
      this.handOver();
      this.stream.flushSync();
    } catch {
      // stdout is gone or full at exit: nothing more can be done.
    }
  }

  /** Hands the gathered lines to the stream, which writes them at once or, during a write, right after it. */
  private handOver(): void {
    if (this.used === this.start) return;
    // The stream keeps this slice until it is written: nothing is encoded into it again.
    const batch = this.buffer.subarray(this.start, this.used);
    this.start = this.used;
    if (this.buffer.length - this.used < LOG_BUFFER_MIN_ROOM) this.renew();
    this.stream.write(batch);
  }

  /** A fresh buffer (call with nothing gathered). */
  private renew(): void {
    this.buffer = Buffer.allocUnsafeSlow(LOG_BUFFER_CAPACITY);
    this.start = this.used = 0;
  }
}

export class PrettyLines implements pino.DestinationStream {
  static async create(out: pino.DestinationStream, colorize: boolean): Promise<PrettyLines> {
    // pino-pretty is CommonJS: bundled into a chunk of its own (scripts/bundle.mjs), it has only a
    // default export, so its functions are read from that.
    const { prettyFactory } = (await import('pino-pretty')).default;
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
