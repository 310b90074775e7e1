// After `kill -9` of the gateway (no chance to clean up), the next start on the same state dir
// finds what the crash left: leftover server processes are ended, and every tool call that
// reached its server has an activity row.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../server/state/db.js';
import { bootId, pidNamespace, processInfo } from '../server/upstream/process-table.js';
import { startCli, type RunningGateway } from './helpers/cli.js';
import { FAST, fixture, tempDir } from './helpers/gateway.js';
import { isAlive, waitUntil } from './helpers/process.js';

const running: RunningGateway[] = [];
/** Processes a test started or may have left; killed after it, whatever happened. */
const strays: number[] = [];
afterEach(async () => {
  for (const gateway of running.splice(0)) await gateway.stop('SIGTERM');
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
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
  return waitUntil(async () => {
    const res = await fetch(`${gateway.url}/api/servers/${name}`);
    const body = await res.json();
    return res.status === 200 && test(body) ? body : undefined;
  }, 15_000, `server ${name}`);
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
    await serverJson(first, 'leaky', (server) => server.state === 'ready');
    const [sleep] = sleeps();
    strays.push(sleep!);
    await crash(first);
    expect(isAlive(sleep!)).toBe(true); // the crash left it

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
    const record = db.prepare('INSERT INTO process_groups (pgid, server, start_time, boot_id, pid_namespace, recorded_at) VALUES (?, ?, ?, ?, ?, ?)');
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
          await fetch(`${first.url}/counted/echo`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ message: `m-${next++}` }) });
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
    const ran = executed().filter((line) => line.startsWith('echo ')).map((line) => JSON.parse(line.slice(5)).message as string);
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
    expect(new Set(ran.map((message) => rows.get(message)))).toSatisfy((outcomes: Set<string>) => [...outcomes].every((outcome) => outcome === 'ok' || outcome === 'interrupted'));
  });
});
