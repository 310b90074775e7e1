/**
 * The gateway without its HTTP listener: state database, supervisor and configuration, wired
 * together. `main.ts` and the tests both start it through `startGateway`.
 */
import type { Logger } from 'pino';
import { ActivityLog } from './activity/log.js';
import type { GatewayConfig } from './config/types.js';
import { SessionStore } from './auth/sessions.js';
import { openDatabase, type Db } from './state/db.js';
import { OverrideStore } from './state/overrides.js';
import { Supervisor, type ApplyResult } from './upstream/supervisor.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Folder of `gateway.db`; created when missing. */
  stateDir: string;
  logger: Logger;
}

export interface Gateway {
  readonly supervisor: Supervisor;
  readonly db: Db;
  /** One row per tool call. */
  readonly activity: ActivityLog;
  /** UI sign-ins. */
  readonly sessions: SessionStore;
  /** The configuration in force. */
  readonly config: GatewayConfig;
  /** Applies a new configuration (hot reload). */
  reload(config: GatewayConfig): Promise<ApplyResult>;
  /** Stops every server (no process survives), writes the last activity rows and closes the database. */
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const db = openDatabase(options.stateDir);
  let config = options.config;
  const activity = new ActivityLog(db, () => config.gateway.activity, options.logger);
  const interrupted = activity.markInterrupted();
  if (interrupted > 0) options.logger.warn({ interrupted }, `${interrupted} tool calls were still running when the gateway last stopped; marked interrupted`);
  activity.startBackground();
  const sessions = new SessionStore(db, () => config.gateway.sessionTtlMs);
  const supervisor = new Supervisor(new OverrideStore(db), options.logger);
  // Servers start in the background: a slow or broken one never holds up the others or start-up.
  await supervisor.apply(config);
  let closed = false;
  return {
    supervisor,
    db,
    activity,
    sessions,
    get config() {
      return config;
    },
    async reload(next) {
      config = next;
      return supervisor.apply(next);
    },
    async close() {
      if (closed) return;
      closed = true;
      await supervisor.stopAll();
      activity.close();
      db.close();
    },
  };
}
