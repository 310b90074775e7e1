/**
 * CPU time a process has used, for the benchmarks: from /proc/PID/stat on Linux (all its
 * threads, user + system), in steps of one clock tick (10 ms), or to the nanosecond from the
 * scheduler's statistics of each thread (/proc/PID/task/TID/schedstat) where the kernel keeps them.
 * Unlike wall-clock times it hardly changes when other work shares the machine.
 */
import fs from 'node:fs';

/** The kernel's clock ticks per second, in which /proc gives CPU times (USER_HZ: 100 on Linux). */
const CLOCK_TICKS = 100;

/** CPU time (user + system) process `pid` has used so far, in ms; undefined where /proc is not there. */
export function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which is in parentheses): state is the first, utime the 12th, stime the 13th.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * CPU time process `pid` has used so far, in ms, to the nanosecond: the time on a CPU of each of its
 * threads (/proc/PID/task/TID/schedstat, first field). Falls back on {@link cpuMsOf} where the kernel
 * keeps no such statistics.
 */
export function preciseCpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let threads: string[];
  try {
    threads = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let ns = 0;
  for (const thread of threads) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended meanwhile; a kernel without scheduler statistics reads no file at all.
    }
  }
  return Number.isFinite(ns) && ns > 0 ? ns / 1e6 : cpuMsOf(pid);
}
