/**
 * The process groups of running stdio servers, remembered in the `process_groups` table so that
 * the next start ends what a gateway killed with SIGKILL (no chance to clean up) left behind:
 * background children of a server, such as `sh -c 'sleep 300 & exec node server.js'`, outlive its
 * leader in the server's own process group.
 *
 * A recorded group is ended only when it is certainly still ours. A pid names one process only
 * together with its start time, within one boot and one pid namespace, so each record keeps the
 * leader's start time, the boot id and the pid namespace, and the random token the stdio transport
 * put in the server's environment (`MCP_GATEWAY_GROUP`, inherited by its children):
 * - another boot or pid namespace: the record is forgotten (nothing of ours can be left);
 * - the leader is alive with the recorded start time: the group is ours and is ended whole (only
 *   processes of the leader's own session can be in it, and the leader is ours);
 * - the leader is alive with another start time: the pid was reused; the group is left alone;
 * - the leader is gone but members remain: each member that carries the token in the environment
 *   it started with (/proc/<pid>/environ) is ended, any other is left alone. A group id alone
 *   proves nothing here: once the group has emptied, its pid can go to a program that makes a
 *   group of its own (a daemon: setsid, fork, exit), whose processes look just like ours did.
 *   So a child that a server started with a cleared environment (`env -i`) is not ended once its
 *   server is gone; nor is anything of a group recorded by a gateway older than the token.
 * Linux only (/proc): elsewhere nothing is recorded and nothing ended.
 */
import type { Logger } from 'pino';
import {
  bootId,
  environmentHas,
  isSignallablePid,
  pidNamespace,
  processInfo,
  processesByGroup,
  signalGroup,
  signalProcess,
  type ProcessInfo,
} from '../upstream/process-table.js';
import { GROUP_TOKEN_VARIABLE } from '../upstream/stdio-transport.js';
import type { Db } from './db.js';

/** What the stdio transport reports about the process groups it starts (see `StdioTransportOptions.processGroups`). */
export interface ProcessGroupListener {
  /** A server's process group (its leader's pid) has started; `token` is in its environment as `MCP_GATEWAY_GROUP`. */
  started(pgid: number, token: string): void;
  /** The group's leader has exited and the group has been killed. */
  ended(pgid: number): void;
}

interface GroupRow {
  pgid: number;
  server: string;
  start_time: number;
  boot_id: string;
  pid_namespace: string;
  /** Null in rows of a gateway older than the token. */
  token: string | null;
}

export class ProcessGroupRecords {
  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  /** The listener for one server's transports. Recording never fails a start: errors are logged. */
  listener(server: string): ProcessGroupListener {
    return {
      started: (pgid, token) => this.started(pgid, server, token),
      ended: (pgid) => this.ended(pgid),
    };
  }

  /**
   * Ends the leftover process groups of an earlier run (see the top of this file) and forgets
   * every record. Call once at start-up, before any server starts. Returns in how many groups
   * something was ended.
   */
  endLeftovers(): number {
    const rows = this.db.prepare('SELECT pgid, server, start_time, boot_id, pid_namespace, token FROM process_groups').all() as GroupRow[];
    if (rows.length === 0) return 0;
    const boot = bootId();
    const namespace = pidNamespace();
    const groups = processesByGroup();
    let ended = 0;
    for (const row of rows) {
      const members = groups.get(row.pgid) ?? [];
      // A pgid of 0 or 1 (a damaged row) names no server's group: kill(-1) would reach every process.
      if (!isSignallablePid(row.pgid) || members.length === 0 || row.boot_id !== boot || row.pid_namespace !== namespace) continue;
      const { ours, others } = sortMembers(row, members);
      if (others.length > 0) {
        this.logger.info(
          { server: row.server, pgid: row.pgid, pids: others.map((member) => member.pid) },
          `process group ${row.pgid} once of server ${row.server} holds ${others.length} process${others.length === 1 ? '' : 'es'} not shown to be the server's; left alone`,
        );
      }
      if (ours.length === 0) continue;
      // The whole group while its leader (ours) lives; otherwise only the members that carry the token.
      const wholeGroup = others.length === 0 && ours.some((member) => member.pid === row.pgid);
      const signalled = wholeGroup
        ? signalGroup(row.pgid, 'SIGKILL')
        : ours.map((member) => signalProcess(member.pid, 'SIGKILL')).some(Boolean);
      if (!signalled) continue; // ended meanwhile (or not ours to signal after all)
      ended++;
      this.logger.warn(
        { server: row.server, pgid: row.pgid, pids: ours.map((member) => member.pid) },
        `ended ${ours.length} leftover process${ours.length === 1 ? '' : 'es'} of server ${row.server} (process group ${row.pgid}) from before the gateway last stopped`,
      );
    }
    this.db.prepare('DELETE FROM process_groups').run();
    return ended;
  }

  private started(pgid: number, server: string, token: string): void {
    const leader = processInfo(pgid);
    const boot = bootId();
    const namespace = pidNamespace();
    if (!leader || boot === undefined || namespace === undefined) return; // exited already, or no /proc
    try {
      this.db
        .prepare(
          'INSERT OR REPLACE INTO process_groups (pgid, server, start_time, boot_id, pid_namespace, token, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(pgid, server, leader.startTime, boot, namespace, token, Date.now());
    } catch (error) {
      this.logger.warn({ err: error, server, pgid }, 'could not record the process group of a server');
    }
  }

  private ended(pgid: number): void {
    try {
      this.db.prepare('DELETE FROM process_groups WHERE pgid = ?').run(pgid);
    } catch (error) {
      this.logger.warn({ err: error, pgid }, 'could not forget the process group of a server');
    }
  }
}

/** The members of a recorded group that are shown to be the server's, and the others (see the top of this file). */
function sortMembers(row: GroupRow, members: ProcessInfo[]): { ours: ProcessInfo[]; others: ProcessInfo[] } {
  if (members.some((member) => member.pid === process.pid)) return { ours: [], others: members }; // never the gateway itself
  const leader = members.find((member) => member.pid === row.pgid);
  if (leader) return leader.startTime === row.start_time ? { ours: members, others: [] } : { ours: [], others: members };
  const sorted = { ours: [] as ProcessInfo[], others: [] as ProcessInfo[] };
  for (const member of members) {
    const carries = row.token !== null && environmentHas(member.pid, GROUP_TOKEN_VARIABLE, row.token);
    (carries ? sorted.ours : sorted.others).push(member);
  }
  return sorted;
}
