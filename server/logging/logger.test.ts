// The log line's `time` field: formatted once per second, it must stay what pino's own isoTime writes;
// and the batching of log lines before they reach stdout.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { garbagePerCall } from '../../test/helpers/garbage.js';
import { BufferedStdout, LOG_BUFFER_BYTES, batchStream, createLogger, infoLineWriter, isoTime } from './logger.js';

describe('isoTime', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("writes what pino's isoTime writes, across milliseconds, seconds, days and years", () => {
    const instants = [
      Date.UTC(2026, 0, 2, 3, 4, 5, 0),
      Date.UTC(2026, 0, 2, 3, 4, 5, 7),
      Date.UTC(2026, 0, 2, 3, 4, 5, 42),
      Date.UTC(2026, 0, 2, 3, 4, 5, 999),
      Date.UTC(2026, 0, 2, 3, 4, 6, 0),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1, 0, 0, 0, 1),
      // back in time (the clock was set back): the cached second must not be reused
      Date.UTC(2026, 0, 2, 3, 4, 5, 300),
      0,
    ];
    const now = vi.spyOn(Date, 'now');
    for (const instant of instants) {
      now.mockReturnValue(instant);
      expect(isoTime()).toBe(pino.stdTimeFunctions.isoTime());
    }
  });
});

describe('BufferedStdout', () => {
  it('hands the lines to the stream in batches of LOG_BUFFER_BYTES, in order, and the rest on flush and at exit', () => {
    const calls: string[] = [];
    const stream = {
      write: (batch: Buffer) => calls.push(`write:${batch.toString('utf8')}`) > 0,
      flush: () => calls.push('flush'),
      flushSync: () => calls.push('flushSync'),
    };
    const out = new BufferedStdout(stream);
    const line = (i: number) => `${JSON.stringify({ i, msg: 'tool call', pad: 'x'.repeat(200) })}\n`;
    const lines = Array.from({ length: Math.ceil((1.4 * LOG_BUFFER_BYTES) / line(0).length) }, (_, i) => line(i));
    for (const text of lines) out.write(text);
    // about 1.4 x LOG_BUFFER_BYTES: one batch of at least LOG_BUFFER_BYTES went out, the rest waits
    expect(calls).toHaveLength(1);
    const first = calls[0]!.slice('write:'.length);
    expect(Buffer.byteLength(first)).toBeGreaterThanOrEqual(LOG_BUFFER_BYTES);
    expect(Buffer.byteLength(first)).toBeLessThan(LOG_BUFFER_BYTES + Buffer.byteLength(lines[0]!));
    out.flush();
    expect(calls.slice(1, 3).map((call) => call.slice(0, 6))).toEqual(['write:', 'flush']);
    out.write(line(100));
    out.flushOnExit();
    expect(calls.slice(3)).toEqual([`write:${line(100)}`, 'flushSync']);
    const written = calls.filter((call) => call.startsWith('write:')).map((call) => call.slice('write:'.length));
    expect(written.join('')).toBe([...lines, line(100)].join(''));
  });

  it('keeps every byte and the order of lines of any size and script, across batches and buffers', () => {
    const batches: Buffer[] = [];
    // Kept as handed over, not copied: a slice must not be written to again after it was handed over.
    const out = new BufferedStdout({ write: (batch) => batches.push(batch), flush: () => {}, flushSync: () => {} });
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      // ASCII, two- to four-byte UTF-8, now and then a line larger than a whole buffer.
      const text = i % 997 === 5 ? 'z'.repeat(70 * 1024) : i % 3 === 0 ? 'ünï €𝄞'.repeat(i % 40) : 'a'.repeat(i % 300);
      const line = `${JSON.stringify({ i, text })}\n`;
      lines.push(line);
      if (i % 2 === 0) out.write(line, Buffer.byteLength(line));
      else out.write(line);
    }
    out.flushOnExit();
    expect(Buffer.concat(batches).toString('utf8')).toBe(lines.join(''));
    expect(Math.max(...batches.map((batch) => batch.length))).toBeGreaterThan(64 * 1024);
  });

  it('writes a line flushed while an earlier write is still under way (a start-up line never stays buffered)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-log-'));
    const file = path.join(dir, 'out.log');
    const fd = fs.openSync(file, 'w');
    try {
      const out = new BufferedStdout(batchStream(fd));
      out.write('{"msg":"needs sign-in"}\n');
      out.flush(); // the write starts on the thread pool
      out.write('{"msg":"listening"}\n');
      out.flush(); // while it is under way
      const deadline = Date.now() + 5000;
      while (!fs.readFileSync(file, 'utf8').includes('listening') && Date.now() < deadline) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(fs.readFileSync(file, 'utf8')).toBe('{"msg":"needs sign-in"}\n{"msg":"listening"}\n');
    } finally {
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes about 200 tool-call lines at once under load, in one write to a pipe', () => {
    // Each write costs about the same up to 64 KiB (thread pool, the reader's wake-up): the more lines it
    // carries the less each costs; a tool call's line is about 230 bytes. A Linux pipe takes 64 KiB at once.
    expect(LOG_BUFFER_BYTES / 230).toBeGreaterThanOrEqual(200);
    expect(LOG_BUFFER_BYTES + 1024).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('infoLineWriter', () => {
  const KEYS = ['reqId', 'callId', 'server', 'tool', 'mode', 'outcome', 'status', 'durationMs'] as const;
  const capture = () => {
    const lines: string[] = [];
    return { lines, destination: { write: (line: string) => lines.push(line) > 0 } };
  };
  const withoutTime = (line: string) => line.replace(/,"time":"[^"]*"/, '');

  it("writes the text pino writes for the same fields, whatever the strings hold, and keeps to the logger's level", () => {
    const { lines, destination } = capture();
    const logger = createLogger('info', destination);
    const write = infoLineWriter(logger, 'tool call', KEYS);
    const viaPino = logger.child({}, { redact: { paths: [] } });
    const odd = [
      'echo',
      'quote " and backslash \\',
      'tab\tnewline\ncontrol \u0001 \u001f',
      'ünïcödé 名前 🎉',
      'lone surrogate \ud800 end',
      'x'.repeat(100),
      `${'x'.repeat(100)}\ud800 "`,
      '</script><b>',
      '',
    ];
    const cases = odd.map((text, i) => ({
      reqId: `request-${i}`,
      callId: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
      server: text,
      tool: text,
      mode: 'sync',
      outcome: 'ok',
      status: 200 + i,
      durationMs: i === 1 ? Number.NaN : 1.25 * i,
    }));
    cases.push({ ...cases[0]!, tool: undefined as unknown as string });
    // Values the type rules out, should one slip through: written as pino writes them, not as `null`/`[object Object]` text.
    cases.push({ ...cases[0]!, mode: null as unknown as string, outcome: true as unknown as string });
    for (const fields of cases) {
      write(fields);
      viaPino.info(fields, 'tool call');
    }
    expect(lines).toHaveLength(2 * cases.length);
    for (let i = 0; i < cases.length; i++) {
      expect(withoutTime(lines[2 * i]!)).toBe(withoutTime(lines[2 * i + 1]!));
      expect(lines[2 * i]).toMatch(/^\{"level":30,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","name":"mcp-gateway",/);
    }

    const quiet = capture();
    const warnOnly = createLogger('warn', quiet.destination);
    infoLineWriter(warnOnly, 'tool call', KEYS)(cases[0]!);
    expect(quiet.lines).toEqual([]);
  });

  it("makes well under pino's garbage per line (pino's general formatter made about 2.2 KB for a tool call's)", () => {
    const logger = createLogger('info', { write: () => true });
    const write = infoLineWriter(logger, 'tool call', KEYS);
    const viaPino = logger.child({}, { redact: { paths: [] } });
    const fields = (i: number) => ({
      reqId: '0193a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b',
      callId: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
      server: 'echo',
      tool: 'echo',
      mode: 'sync',
      outcome: 'ok',
      status: 200,
      durationMs: 1.25 + (i % 8),
    });
    let i = 0;
    for (let warm = 0; warm < 2000; warm++) {
      write(fields(warm));
      viaPino.info(fields(warm), 'tool call');
    }
    const ours = garbagePerCall(() => write(fields(i++)), 300)!;
    const pinos = garbagePerCall(() => viaPino.info(fields(i++), 'tool call'), 300)!;
    expect(ours).toBeLessThan(0.7 * pinos);
  });

  it("tells its destination a line's UTF-8 size when the line is ASCII, so that BufferedStdout need not measure it", () => {
    const writes: [string, number | undefined][] = [];
    const out = new BufferedStdout({ write: () => true, flush: () => {}, flushSync: () => {} });
    const buffer = out.write.bind(out);
    out.write = (line: string, bytes?: number) => {
      writes.push([line, bytes]);
      buffer(line, bytes);
    };
    const write = infoLineWriter(createLogger('info', out), 'tool call', KEYS);
    const base = { reqId: 'r1', callId: 'c1', mode: 'sync', outcome: 'ok', status: 200, durationMs: 1.5 };
    write({ ...base, server: 'echo', tool: 'echo' });
    write({ ...base, server: 'ünï', tool: 'echo' });
    write({ ...base, server: 'quote "', tool: 'echo' });
    expect(writes).toHaveLength(3);
    expect(writes[0]![1]).toBe(Buffer.byteLength(writes[0]![0]));
    // Not plain ASCII: left to the destination to measure.
    expect(writes[1]![1]).toBeUndefined();
    expect(writes[2]![1]).toBeUndefined();
    expect((out as unknown as { pendingBytes: number }).pendingBytes).toBe(
      writes.reduce((sum, [line]) => sum + Buffer.byteLength(line), 0),
    );
  });

  it('writes to a Node stream given to createLogger (which would take a size for an encoding)', () => {
    const stream = new PassThrough();
    const logger = createLogger('info', stream);
    infoLineWriter(logger, 'tool call', KEYS)({ reqId: 'plain-ascii', status: 200 });
    expect(JSON.parse(String(stream.read()))).toMatchObject({ level: 30, reqId: 'plain-ascii', status: 200, msg: 'tool call' });
  });

  it('writes through pino for a logger made elsewhere', () => {
    const { lines, destination } = capture();
    const other = pino({ base: { app: 'other' } }, destination);
    infoLineWriter(other, 'tool call', KEYS)({ reqId: 'r', status: 200 });
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, app: 'other', reqId: 'r', status: 200, msg: 'tool call' });
  });
});
