/**
 * The process groups of running stdio servers, remembered in the `process_groups` table so that
 * the next start ends what a gateway killed with SIGKILL (no chance to clean up) left behind:
 * background children of a server, such as `sh -c 'sleep 300 & exec node server.js'`, outlive its
 * leader in the server's own process group.
 *
 * A recorded group is ended only when it is certainly still ours. A pid names one process only
 * together with its start time, within one boot and one pid namespace, so each record keeps the
 * leader's start time, the boot id and the pid namespace:
 * - another boot or pid namespace: the record is forgotten (nothing of ours can be left);
 * - the leader is alive with the recorded start time: the group is ours;
 * - the leader is alive with another start time: the pid was reused; the group is left alone;
 * - the leader is gone but members remain: Linux does not hand out a pid while it is still some
 *   group's id, so the group is still ours, provided each member is in the leader's session (the
 *   group was made with setsid) and started after the leader did.
 * Linux only (/proc): elsewhere nothing is recorded and nothing ended.
 */
import type { Logger } from 'pino';
import { bootId, pidNamespace, processInfo, processesByGroup } from '../upstream/process-table.js';
import type { Db } from './db.js';

/** What the stdio transport reports about the process groups it starts (see `StdioTransportOptions.processGroups`). */
export interface ProcessGroupListener {
  /** A server's process group (its leader's pid) has started. */
  started(pgid: number): void;
  /** The group's leader has exited and the group has been killed. */
  ended(pgid: number): void;
}

interface GroupRow {
  pgid: number;
  server: string;
  start_time: number;
  boot_id: string;
  pid_namespace: string;
}

export class ProcessGroupRecords {
  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  /** The listener for one server's transports. Recording never fails a start: errors are logged. */
  listener(server: string): ProcessGroupListener {
    return {
      started: (pgid) => this.started(pgid, server),
      ended: (pgid) => this.ended(pgid),
    };
  }

  /**
   * Ends the leftover process groups of an earlier run (see the top of this file) and forgets
   * every record. Call once at start-up, before any server starts. Returns how many groups were ended.
   */
  endLeftovers(): number {
    const rows = this.db.prepare('SELECT pgid, server, start_time, boot_id, pid_namespace FROM process_groups').all() as GroupRow[];
    if (rows.length === 0) return 0;
    const boot = bootId();
    const namespace = pidNamespace();
    const groups = processesByGroup();
    let ended = 0;
    for (const row of rows) {
      const members = groups.get(row.pgid) ?? [];
      if (members.length === 0 || row.boot_id !== boot || row.pid_namespace !== namespace) continue;
      if (!isOurs(row, members)) {
        this.logger.info({ server: row.server, pgid: row.pgid }, `process group ${row.pgid} once of server ${row.server} now belongs to another program; left alone`);
        continue;
      }
      try {
        process.kill(-row.pgid, 'SIGKILL');
        ended++;
        this.logger.warn(
          { server: row.server, pgid: row.pgid, pids: members.map((member) => member.pid) },
          `ended ${members.length} leftover process${members.length === 1 ? '' : 'es'} of server ${row.server} (process group ${row.pgid}) from before the gateway last stopped`,
        );
      } catch (error) {
        this.logger.warn({ server: row.server, pgid: row.pgid, err: error }, `could not end the leftover process group ${row.pgid} of server ${row.server}`);
      }
    }
    this.db.prepare('DELETE FROM process_groups').run();
    return ended;
  }

  private started(pgid: number, server: string): void {
    const leader = processInfo(pgid);
    const boot = bootId();
    const namespace = pidNamespace();
    if (!leader || boot === undefined || namespace === undefined) return; // exited already, or no /proc
    try {
      this.db
        .prepare('INSERT OR REPLACE INTO process_groups (pgid, server, start_time, boot_id, pid_namespace, recorded_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(pgid, server, leader.startTime, boot, namespace, Date.now());
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

function isOurs(row: GroupRow, members: { pid: number; sid: number; startTime: number }[]): boolean {
  if (members.some((member) => member.pid === process.pid)) return false; // never the gateway itself
  const leader = members.find((member) => member.pid === row.pgid);
  if (leader) return leader.startTime === row.start_time;
  return members.every((member) => member.sid === row.pgid && member.startTime >= row.start_time);
}
