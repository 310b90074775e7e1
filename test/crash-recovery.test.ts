// After `kill -9` of the gateway (no chance to clean up), the next start on the same state dir
// finds what the crash left: leftover server processes are ended, and every tool call that
// reached its server has an activity row.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../server/state/db.js';
import { ProcessGroupRecords } from '../server/state/process-groups.js';
import { bootId, pidNamespace, processInfo, signalProcess } from '../server/upstream/process-table.js';
import { startCli, type RunningGateway } from './helpers/cli.js';
import { FAST, fixture, tempDir } from './helpers/gateway.js';
import { isAlive, waitUntil } from './helpers/process.js';

const running: RunningGateway[] = [];
/** Processes a test started or may have left; killed after it, whatever happened. */
const strays: number[] = [];
afterEach(async () => {
  for (const gateway of running.splice(0)) await gateway.stop('SIGTERM');
  for (const pid of strays.splice(0)) signalProcess(pid, 'SIGKILL'); // false if gone already
});

async function start(args: string[]): Promise<RunningGateway> {
  const gateway = await startCli(args);
  running.push(gateway);
  return gateway;
}

/** Kills the gateway as `kill -9` would; its servers get no signal. */
async function crash(gateway: RunningGateway): Promise<void> {
  running.splice(running.indexOf(gateway), 1);
  await gateway.stop('SIGKILL');
}

function writeConfig(dir: string, config: object): string {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify({ approval: { default: 'allow' }, gateway: FAST, ...config }));
  return file;
}

async function serverJson(gateway: RunningGateway, name: string, test: (server: any) => boolean): Promise<any> {
  return waitUntil(
    async () => {
      const res = await fetch(`${gateway.url}/api/servers/${name}`);
      const body = await res.json();
      return res.status === 200 && test(body) ? body : undefined;
    },
    15_000,
    `server ${name}`,
  );
}

describe('leftover processes', () => {
  it("ends a server's background children that survived a kill -9 of the gateway at the next start", async () => {
    const dir = tempDir();
    const sleepPids = path.join(dir, 'sleep-pids');
    const config = writeConfig(dir, {
      mcpServers: {
        leaky: {
          command: 'sh',
          args: ['-c', 'sleep 300 & echo $! >> "$SLEEP_PIDS"; exec "$NODE" "$FIXTURE"'],
          env: { SLEEP_PIDS: sleepPids, NODE: process.execPath, FIXTURE: fixture('fixture-server.mjs') },
        },
      },
    });
    const sleeps = () => fs.readFileSync(sleepPids, 'utf8').trim().split('\n').map(Number);

    const first = await start(['-c', config, '--state-dir', dir]);
    const { pid: leader } = await serverJson(first, 'leaky', (server) => server.state === 'ready');
    const [sleep] = sleeps();
    strays.push(sleep!);
    await crash(first);
    expect(isAlive(sleep!)).toBe(true); // the crash left it
    // The server itself ends at the end of its stdin: the sleep is known as ours by the token it inherited.
    await waitUntil(() => !isAlive(leader), 5000, 'the server to exit');

    const second = await start(['-c', config, '--state-dir', dir]);
    await second.waitForLog((line) => line.server === 'leaky' && String(line.msg).includes('leftover'));
    await waitUntil(() => !isAlive(sleep!), 5000, 'the leftover sleep to be ended');
    // The new server's own child is left running, and ended with the gateway.
    await serverJson(second, 'leaky', (server) => server.state === 'ready');
    const [, fresh] = sleeps();
    strays.push(fresh!);
    expect(isAlive(fresh!)).toBe(true);
    expect(await second.stop('SIGTERM')).toBe(0);
    running.splice(running.indexOf(second), 1);
    await waitUntil(() => !isAlive(fresh!), 5000, 'the sleep of the stopped server to end');
  });

  it('leaves a recorded group alone whose pid now belongs to another process, and ends one that is still the same', async () => {
    const dir = tempDir();
    const other = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' }); // a group leader, as servers are
    const same = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    strays.push(other.pid!, same.pid!);
    const db = openDatabase(dir);
    const record = db.prepare(
      'INSERT INTO process_groups (pgid, server, start_time, boot_id, pid_namespace, recorded_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    await waitUntil(() => processInfo(other.pid!) && processInfo(same.pid!), 5000, 'the sleeps to start');
    record.run(other.pid, 'reused', processInfo(other.pid!)!.startTime - 1, bootId(), pidNamespace(), Date.now());
    record.run(same.pid, 'stale', processInfo(same.pid!)!.startTime, bootId(), pidNamespace(), Date.now());
    db.close();

    const gateway = await start(['--state-dir', dir, '-c', writeConfig(dir, { mcpServers: {} })]);
    expect(gateway.logs).toContainEqual(expect.objectContaining({ server: 'reused', msg: expect.stringContaining('left alone') }));
    await waitUntil(() => !isAlive(same.pid!), 5000, 'the still recorded group to be ended');
    expect(isAlive(other.pid!)).toBe(true);
  });
});

/**
 * A classic daemon: `sh` (a session and group leader, as servers are) starts a `sleep` in the
 * background and exits, leaving the sleep alone in a group whose id is the gone leader's pid.
 */
async function daemon(env: Record<string, string> = {}): Promise<{ pgid: number; pid: number }> {
  const sh = spawn('sh', ['-c', 'sleep 300 >/dev/null & echo $!'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { PATH: process.env.PATH, ...env },
  });
  let out = '';
  sh.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  // 'close', not 'exit': at 'exit' the pipe may still hold the pid, and Number('') is 0 (the sleep
  // keeps no copy of the pipe, or it would never close).
  await once(sh, 'close');
  const pid = Number(out.trim());
  expect(pid, `the pid sh printed: ${JSON.stringify(out)}`).toBeGreaterThan(1);
  strays.push(pid);
  const info = await waitUntil(() => processInfo(pid), 5000, 'the sleep to start');
  expect(info.pgid).toBe(sh.pid);
  return { pgid: sh.pid!, pid };
}

describe('leftover processes whose leader is gone', () => {
  it("ends only the members that carry the server's token: a pid reused by a daemon's group is left alone", async () => {
    const dir = tempDir();
    const token = 'a'.repeat(32);
    const stranger = await daemon();
    const leftover = await daemon({ MCP_GATEWAY_GROUP: token });
    const db = openDatabase(dir);
    try {
      const record = db.prepare(
        'INSERT INTO process_groups (pgid, server, start_time, boot_id, pid_namespace, token, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      // Recorded as if a server of ours had led each group before the daemon's sleep started.
      for (const [group, server] of [
        [stranger, 'gone'],
        [leftover, 'leaky'],
      ] as const) {
        record.run(group.pgid, server, processInfo(group.pid)!.startTime - 100, bootId(), pidNamespace(), token, Date.now());
      }
      const records = new ProcessGroupRecords(db, pino({ level: 'silent' }));
      expect(records.endLeftovers()).toBe(1);
      await waitUntil(() => !isAlive(leftover.pid), 5000, 'the leftover carrying the token to be ended');
      expect(isAlive(stranger.pid)).toBe(true);
      expect(db.prepare('SELECT COUNT(*) AS n FROM process_groups').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});

describe('activity rows', () => {
  it('every call that reached its server before a kill -9 has a row after the restart, with its outcome or interrupted', async () => {
    const dir = tempDir();
    const callsFile = path.join(dir, 'executed');
    const config = writeConfig(dir, {
      mcpServers: {
        counted: {
          command: process.execPath,
          args: [fixture('fixture-server.mjs')],
          env: { FIXTURE_CALLS_FILE: callsFile },
          maxConcurrent: 64,
          maxQueue: 1000,
        },
      },
    });
    const executed = () => (fs.existsSync(callsFile) ? fs.readFileSync(callsFile, 'utf8').split('\n').filter(Boolean) : []);

    const first = await start(['-c', config, '--state-dir', dir]);
    const { pid } = await serverJson(first, 'counted', (server) => server.state === 'ready');
    // A steady stream of calls, each with its own argument, until the gateway is gone.
    let next = 0;
    let stopped = false;
    const worker = async () => {
      while (!stopped) {
        try {
          await fetch(`${first.url}/counted/echo`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ message: `m-${next++}` }),
          });
        } catch {
          return; // the gateway is gone
        }
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    await waitUntil(() => executed().length >= 300, 20_000, '300 executed calls');
    await crash(first);
    stopped = true;
    await Promise.all(workers);

    const second = await start(['-c', config, '--state-dir', dir]);
    await waitUntil(() => !isAlive(pid), 5000, 'the first server process to be gone');
    const ran = executed()
      .filter((line) => line.startsWith('echo '))
      .map((line) => JSON.parse(line.slice(5)).message as string);
    const rows = new Map<string, string>();
    let cursor: string | null = null;
    do {
      const res: Response = await fetch(`${second.url}/api/activity?server=counted&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      const page = await res.json();
      for (const item of page.items) rows.set(item.arguments.message, item.outcome);
      cursor = page.nextCursor;
    } while (cursor);
    const missing = ran.filter((message) => !rows.has(message));
    expect(missing, `${missing.length} of ${ran.length} executed calls have no activity row`).toEqual([]);
    expect(new Set(ran.map((message) => rows.get(message)))).toSatisfy((outcomes: Set<string>) =>
      [...outcomes].every((outcome) => outcome === 'ok' || outcome === 'interrupted'),
    );
  });
});
