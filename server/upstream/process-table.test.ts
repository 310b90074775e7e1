import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { isSignallablePid, signalGroup, signalProcess } from './process-table.js';

describe('signalling processes', () => {
  // Signal 0 sends nothing and only checks: kill(0, 0) and kill(-1, 0) would succeed, because they
  // name the caller's own group and every process. A pid read from an empty file is Number('') = 0.
  it('never signals pid 0 or 1, nor their groups (the own group, every process)', () => {
    for (const pid of [0, 1, -1, Number(''), Number('x'), 1.5]) {
      expect(isSignallablePid(pid), String(pid)).toBe(false);
      expect(signalProcess(pid, 0), String(pid)).toBe(false);
      expect(signalGroup(pid, 0), String(pid)).toBe(false);
    }
  });

  it('signals a live process and its group, and answers false once they are gone', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    await once(child, 'spawn');
    const pid = child.pid!;
    expect(signalProcess(pid, 0)).toBe(true);
    expect(signalGroup(pid, 0)).toBe(true);
    const exited = once(child, 'exit');
    expect(signalGroup(pid, 'SIGKILL')).toBe(true);
    expect(await exited).toEqual([null, 'SIGKILL']);
    expect(signalProcess(pid, 0)).toBe(false);
    expect(signalGroup(pid, 'SIGKILL')).toBe(false);
  });
});
