/** Process checks and a waiter for conditions that have no event to listen to. */
import fs from 'node:fs';
import { signalProcess } from '../../server/upstream/process-table.js';

/** True while `pid` is a live process (a zombie waiting to be reaped counts as gone). */
export function isAlive(pid: number): boolean {
  if (!signalProcess(pid, 0)) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Re-checks `condition` every 20 ms until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitUntil<T>(
  condition: () => T | Promise<T>,
  timeoutMs = 10_000,
  /** What is waited for, in the error; a function is asked at the time out (to tell what was seen then). */
  what: string | (() => string) = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
