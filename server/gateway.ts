/**
 * The gateway without its HTTP listener: state database, supervisor and configuration, wired
 * together. `main.ts` and the tests both start it through `startGateway`.
 */
import type { Logger } from 'pino';
import type { AppDeps } from './http/app.js';
import { ActivityLog } from './activity/log.js';
import type { GatewayConfig } from './config/types.js';
import { toolDefinitionHash } from './approvals/binding.js';
import { ApprovalBook } from './approvals/book.js';
import { ApprovalNotifier } from './approvals/notify.js';
import { DeviceStore } from './auth/devices.js';
import { KeyStore } from './auth/keys.js';
import { SessionStore } from './auth/sessions.js';
import { StateDatabaseError, isSqliteError, openDatabase, stateDatabaseErrorText, type Db } from './state/db.js';
import { loadGatewaySecret, type LoadedSecret } from './state/secret.js';
import { OverrideStore } from './state/overrides.js';
import { ProcessGroupRecords } from './state/process-groups.js';
import { Supervisor, type ApplyResult } from './upstream/supervisor.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Folder of `gateway.db` and `gateway.secret`; created when missing. */
  stateDir: string;
  logger: Logger;
}

export interface Gateway {
  readonly supervisor: Supervisor;
  readonly db: Db;
  /** One row per tool call. */
  readonly activity: ActivityLog;
  /** UI sign-ins and paired devices' sessions. */
  readonly sessions: SessionStore;
  /** API keys made through `/api/keys`. */
  readonly keys: KeyStore;
  /** Paired devices (phones that decide approvals). */
  readonly devices: DeviceStore;
  /** Calls held for a person's decision. */
  readonly approvals: ApprovalBook;
  /** The configuration in force. */
  readonly config: GatewayConfig;
  /** Applies a new configuration (hot reload). */
  reload(config: GatewayConfig): Promise<ApplyResult>;
  /** Stops every server (no process survives), writes the last activity rows and closes the database. */
  close(): Promise<void>;
}

/** What `buildApp` needs of a running gateway (main.ts and the tests add logger, version and security). */
export function gatewayDeps(gateway: Gateway): Pick<AppDeps, 'supervisor' | 'activity' | 'sessions' | 'keys' | 'devices' | 'approvals' | 'approval' | 'settings'> {
  return {
    supervisor: gateway.supervisor,
    activity: gateway.activity,
    sessions: gateway.sessions,
    keys: gateway.keys,
    devices: gateway.devices,
    approvals: gateway.approvals,
    approval: () => gateway.config.approval,
    settings: () => gateway.config.gateway,
  };
}

/**
 * Opens the state database and starts everything on it. A state database that cannot be used
 * (not a database, damaged, no permission…) is a `StateDatabaseError` naming the file and what to do.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  // The database first: it makes the state folder, or says clearly why it cannot. A bad secret
  // file then stops the start before anything runs.
  const db = openDatabase(options.stateDir);
  try {
    return await startOn(db, loadGatewaySecret(options.stateDir), options);
  } catch (error) {
    db.close();
    if (isSqliteError(error)) throw new StateDatabaseError(stateDatabaseErrorText(error, db.name), { cause: error });
    throw error;
  }
}

async function startOn(db: Db, secret: LoadedSecret, options: GatewayOptions): Promise<Gateway> {
  let config = options.config;
  if (secret.created) options.logger.info({ file: secret.file }, 'made a new gateway secret');
  if (secret.tightened !== undefined) {
    options.logger.warn({ file: secret.file }, `the gateway secret was readable by others (mode ${secret.tightened.toString(8)}); narrowed it to 600`);
  }
  const redactKeys = () => config.gateway.redact.keys;
  const activity = new ActivityLog(db, () => config.gateway.activity, options.logger, undefined, undefined, redactKeys);
  const interrupted = activity.markInterrupted();
  if (interrupted > 0) options.logger.warn({ interrupted }, `${interrupted} tool calls were still running when the gateway last stopped; marked interrupted`);
  activity.startBackground();
  const sessions = new SessionStore(db, () => config.gateway.sessionTtlMs);
  const keys = new KeyStore(db);
  const devices = new DeviceStore(db, sessions);
  // A revoked key's UI sessions end with it.
  keys.on('revoked', (key) => sessions.endSubject(`key:${key.id}`));
  // What a gateway killed with SIGKILL left running goes before any server starts again.
  const processGroups = new ProcessGroupRecords(db, options.logger);
  processGroups.endLeftovers();
  const supervisor = new Supervisor(new OverrideStore(db), options.logger, (server) => processGroups.listener(server));
  const approvals = new ApprovalBook(
    db,
    options.logger,
    (server, tool) => {
      const info = supervisor.get(server)?.tool(tool);
      return info && toolDefinitionHash(info);
    },
    { bindingKey: secret.secret.key('approval-binding'), settings: () => config.approval, redactKeys },
  );
  const orphans = approvals.markInterrupted();
  approvals.prune(config.gateway.activity.maxAgeDays * 86_400_000);
  if (orphans > 0) options.logger.warn({ interrupted: orphans }, `${orphans} calls were waiting for approval when the gateway last stopped; they will not run`);
  const notifier = new ApprovalNotifier(() => config.approval.notify, options.logger, { intervalMs: () => config.approval.notifyIntervalMs });
  approvals.on('change', (approval) => {
    if (approval.state !== 'pending' || config.approval.notify.length === 0) return;
    notifier.approvalCreated({
      id: approval.id,
      server: approval.server,
      tool: approval.tool,
      caller: approval.callerLabel,
      createdAt: new Date(approval.createdAt).toISOString(),
      expiresAt: new Date(approval.expiresAt).toISOString(),
      path: `/approvals/${approval.id}`,
    });
  });
  // Servers start in the background: a slow or broken one never holds up the others or start-up.
  await supervisor.apply(config);
  let closed = false;
  return {
    supervisor,
    db,
    activity,
    sessions,
    keys,
    devices,
    approvals,
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
      approvals.close();
      notifier.close();
      await supervisor.stopAll();
      await notifier.idle();
      activity.close();
      db.close();
    },
  };
}
