/**
 * What Linux's /proc says about processes: process group, session and start time of each, the
 * boot and the pid namespace they belong to. Elsewhere (no /proc) every answer is "unknown"
 * (undefined or empty), and callers then do nothing.
 */
import fs from 'node:fs';

export interface ProcessInfo {
  pid: number;
  /** Process group id. */
  pgid: number;
  /** Session id. */
  sid: number;
  /** Start time, in clock ticks after boot (field 22 of /proc/<pid>/stat): with the pid, it names one process. */
  startTime: number;
}

/** One process, or undefined when it does not exist (or there is no /proc). */
export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every process visible now, by process group. */
export function processesByGroup(): Map<number, ProcessInfo[]> {
  const groups = new Map<number, ProcessInfo[]>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return groups;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const info = processInfo(Number(entry));
    if (!info) continue; // gone meanwhile
    const members = groups.get(info.pgid);
    if (members) members.push(info);
    else groups.set(info.pgid, [info]);
  }
  return groups;
}

/**
 * Whether the environment `pid` started with holds `name=value` (`/proc/<pid>/environ`); false
 * when it does not, when the process is gone, or when it is not ours to read (another user's).
 */
export function environmentHas(pid: number, name: string, value: string): boolean {
  let environ: string;
  try {
    environ = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return false;
  }
  return environ.split('\0').includes(`${name}=${value}`);
}

let bootIdCache: string | undefined;

/** The id of the current boot (a reboot changes it), or undefined without /proc. */
export function bootId(): string | undefined {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      return undefined;
    }
  }
  return bootIdCache;
}

/** The pid namespace this process sees pids in (e.g. `pid:[4026531836]`), or undefined without /proc. */
export function pidNamespace(): string | undefined {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** `pid (comm) state ppid pgrp session … starttime …`; `comm` may hold spaces and parentheses. */
function parseStat(stat: string): ProcessInfo | undefined {
  const close = stat.lastIndexOf(')');
  if (close === -1) return undefined;
  const pid = Number(stat.slice(0, stat.indexOf(' ')));
  // After ") ": field 3 (state) is index 0, so field n is index n - 3.
  const fields = stat.slice(close + 2).split(' ');
  const pgid = Number(fields[5 - 3]);
  const sid = Number(fields[6 - 3]);
  const startTime = Number(fields[22 - 3]);
  if (![pid, pgid, sid, startTime].every(Number.isSafeInteger)) return undefined;
  return { pid, pgid, sid, startTime };
}

/**
 * Whether `pid` can name one process or process group to signal: an integer above 1. `kill(0)`
 * would reach the caller's own process group and `kill(-1)` every process it may signal, so a
 * pid of 0 or 1 — an empty read (`Number('') === 0`), a bad row — must never get that far.
 */
export function isSignallablePid(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 1;
}

/** Sends `signal` to process `pid`; false when it is gone or `pid` is no signallable pid (see `isSignallablePid`). */
export function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  if (!isSignallablePid(pid)) return false;
  try {
    return process.kill(pid, signal);
  } catch {
    return false; // ESRCH: gone; EPERM: not ours
  }
}

/** Sends `signal` to every process of group `pgid`; false when the group is gone or `pgid` is no signallable pid. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  if (!isSignallablePid(pgid)) return false;
  try {
    return process.kill(-pgid, signal);
  } catch {
    return false;
  }
}
