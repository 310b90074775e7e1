// A state database (`<state-dir>/gateway.db`) that cannot be used: at start the gateway exits 1
// with one line naming the file and what to do; at run time a failed query is one such log line
// (no stack trace) and a 500, and the gateway goes on.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../server/logging/logger.js';
import { openDatabase } from '../server/state/db.js';
import { runCli, type RunResult } from './helpers/cli.js';
import { startTestGateway, tempDir, type TestGateway } from './helpers/gateway.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Exit 1, and stderr is exactly one line (no stack trace) matching `line`. */
function expectOneLine(result: RunResult, line: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(line);
}

/**
 * Runs the gateway without the power to ignore file permissions: as root (as in a container) the
 * capabilities that bypass them are dropped with util-linux `setpriv`.
 */
function runWithoutOverride(args: string[]): Promise<RunResult> {
  return runCli(args, {}, undefined, process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--'] : []);
}

describe('at start', () => {
  it('a file that is not a database: exit 1, one line naming the file and what to do', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'gateway.db'), 'these are not the pages you are looking for\n'.repeat(200));
    const result = await runCli(['--state-dir', dir, '--port', '0']);
    expectOneLine(
      result,
      new RegExp(`^mcp-gateway: ${path.join(dir, 'gateway.db')} is not a SQLite database .*: restore it from a backup, or move it aside`),
    );
  });

  it('a database whose pages are damaged (its header intact): exit 1, one line naming the file and what to do', async () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    const insert = db.prepare(
      "INSERT INTO activity (id, started_at, server, tool, caller, surface, mode, arguments, outcome) VALUES (?, 0, 's', 't', 'c', 'api', 'sync', ?, 'ok')",
    );
    for (let i = 0; i < 50; i++) insert.run(`row-${i}`, 'x'.repeat(3000));
    db.close();
    const file = path.join(dir, 'gateway.db');
    const bytes = fs.readFileSync(file);
    bytes.fill(0xee, 2 * 4096); // everything after the first two pages (the header and the schema)
    fs.writeFileSync(file, bytes);
    const result = await runCli(['--state-dir', dir, '--port', '0']);
    expectOneLine(result, new RegExp(`^mcp-gateway: ${file} is damaged \\(.*\\): restore it from a backup, or move it aside`));
  });

  it('a folder where the file should be: exit 1, one line saying so', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'gateway.db'));
    const result = await runCli(['--state-dir', dir, '--port', '0']);
    expectOneLine(result, new RegExp(`^mcp-gateway: ${path.join(dir, 'gateway.db')} is a folder, but the state database must be a file`));
  });

  it('a file the gateway may not read: exit 1, one line saying so', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'gateway.db');
    const db = new Database(file);
    db.exec('CREATE TABLE t (x)');
    db.close();
    fs.chmodSync(file, 0o000);
    const result = await runWithoutOverride(['--state-dir', dir, '--port', '0']);
    expectOneLine(
      result,
      new RegExp(`^mcp-gateway: cannot open ${file}: permission denied for .*; change the permissions, or choose another --state-dir`),
    );
  });

  it('a state folder that cannot be made: exit 1, one line saying so', async () => {
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, '');
    const result = await runCli(['--state-dir', path.join(file, 'state'), '--port', '0']);
    expectOneLine(result, new RegExp(`^mcp-gateway: cannot create the state folder ${path.join(file, 'state')} \\(ENOTDIR\\)`));
  });
});

describe('at run time', () => {
  it('a query that fails is a 500 and one log line naming the file and what to do, no stack; the gateway goes on', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
    const started: TestGateway = await startTestGateway({ mcpServers: {} }, { logger });
    cleanups.push(() => started.close());
    const file = path.join(started.stateDir, 'gateway.db');
    started.gateway.db.pragma('busy_timeout = 50');
    // Another program holds the write lock (as a backup tool or a second gateway would).
    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE');
    cleanups.push(() => {
      other.exec('ROLLBACK');
      other.close();
    });

    const res = await request(started.app).post('/api/keys').send({ label: 'ci' });
    expect(res.status).toBe(500);
    expect(res.body.type).toBe('internal-error');
    const errors = lines.filter((entry) => entry.level === 50 && entry.reqId === res.headers['x-request-id']);
    expect(errors).toEqual([
      expect.objectContaining({
        code: 'SQLITE_BUSY',
        msg: `${file} is locked by another program (database is locked); is another gateway using the same --state-dir?`,
      }),
    ]);
    expect(errors[0]).not.toHaveProperty('err'); // no stack trace
    expect((await request(started.app).get('/healthz')).status).toBe(200);
  });
});
