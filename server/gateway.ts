/**
 * The gateway without its HTTP listener: state database, supervisor, configuration and the call
 * pipeline (`ToolCaller`, its recorder, the metrics), wired together; the one place that wires the
 * event bus (events.ts). `main.ts` and the tests both start it through `startGateway`; `buildApp`
 * only receives what it builds (`gatewayServices`).
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { AppServices } from './http/app.js';
import { answeredProblem } from './http/call-answer.js';
import { ActivityLog } from './activity/log.js';
import type { GatewayConfig } from './config/types.js';
import { toolDefinitionHash } from './approvals/binding.js';
import { ApprovalBook } from './approvals/book.js';
import { ApprovalNotifier } from './approvals/notify.js';
import { DeviceStore, deviceSubject } from './auth/devices.js';
import { KeyStore } from './auth/keys.js';
import { Pairings } from './auth/pairing.js';
import { SessionStore } from './auth/sessions.js';
import { ToolCaller } from './calls/call-tool.js';
import { QuestionBook } from './questions/book.js';
import { CallRecorder } from './calls/recording.js';
import { GatewayEvents } from './events.js';
import { GatewayMetrics } from './observability/metrics.js';
import { StateDatabaseError, isSqliteError, openDatabase, stateDatabaseErrorText, type Db } from './state/db.js';
import { GatewaySecret, loadGatewaySecret, loadKeyFile, type LoadedSecret } from './state/secret.js';
import { OAuthRecords } from './state/oauth-records.js';
import { OverrideStore } from './state/overrides.js';
import { ProcessGroupRecords } from './state/process-groups.js';
import { SAMPLING_TOOL, createSampler } from './sampling/sampler.js';
import { Supervisor, type ApplyResult } from './upstream/supervisor.js';
import { featureTool } from './calls/feature-tools.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Folder of `gateway.db` and `gateway.secret`; created when missing. */
  stateDir: string;
  logger: Logger;
  /** The gateway's version, for the metrics' `mcp_gateway_info`. Default: that metric is left out. */
  version?: string;
  /** The pairing manager (a test gives it a clock). Default: a new `Pairings` with its defaults (2 min, 5 tries). */
  pairings?: Pairings;
  /**
   * The systemd credential holding the secrets key (`$CREDENTIALS_DIRECTORY/secrets-key`, when it
   * exists: main.ts looks). `gateway.secretsKeyFile` wins over it. Default: none (`<stateDir>/secrets.key`).
   */
  credentialKeyFile?: string;
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
  /** What servers ask a person during calls (elicitation). */
  readonly questions: QuestionBook;
  /** The pairing of a phone under way (one at a time). */
  readonly pairings: Pairings;
  /** Runs every tool call, whichever surface it came in by. */
  readonly caller: ToolCaller;
  /** The Prometheus metrics (`GET /metrics`). */
  readonly metrics: GatewayMetrics;
  /** What happened: calls finished, servers changed, approvals, revocations, sessions ended. */
  readonly events: GatewayEvents;
  /** The configuration in force. */
  readonly config: GatewayConfig;
  /** Applies a new configuration (hot reload). */
  reload(config: GatewayConfig): Promise<ApplyResult>;
  /** Stops every server (no process survives), writes the last activity rows and closes the database. */
  close(): Promise<void>;
}

/** What `buildApp` receives of a running gateway (main.ts and the tests add logger, version and security). */
export function gatewayServices(
  gateway: Gateway,
): Pick<
  AppServices,
  | 'supervisor'
  | 'activity'
  | 'sessions'
  | 'keys'
  | 'devices'
  | 'approvals'
  | 'approvalPolicy'
  | 'questions'
  | 'settings'
  | 'pairings'
  | 'caller'
  | 'metrics'
  | 'events'
  | 'groups'
> {
  return {
    supervisor: gateway.supervisor,
    activity: gateway.activity,
    sessions: gateway.sessions,
    keys: gateway.keys,
    devices: gateway.devices,
    approvals: gateway.approvals,
    approvalPolicy: () => gateway.config.approval,
    questions: gateway.questions,
    settings: () => gateway.config.gateway,
    pairings: gateway.pairings,
    caller: gateway.caller,
    metrics: gateway.metrics,
    events: gateway.events,
    groups: () => gateway.config.groups,
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
    options.logger.warn(
      { file: secret.file },
      `the gateway secret was readable by others (mode ${secret.tightened.toString(8)}); narrowed it to 600`,
    );
  }
  const redactKeys = () => config.gateway.redact.keys;
  const activity = new ActivityLog(db, () => config.gateway.activity, options.logger, undefined, undefined, redactKeys);
  const interrupted = activity.markInterrupted();
  if (interrupted > 0)
    options.logger.warn({ interrupted }, `${interrupted} tool calls were still running when the gateway last stopped; marked interrupted`);
  activity.startBackground();
  const sessions = new SessionStore(db, () => config.gateway.sessionTtlMs);
  const keys = new KeyStore(db);
  const devices = new DeviceStore(db, sessions);
  // What a gateway killed with SIGKILL left running goes before any server starts again.
  const processGroups = new ProcessGroupRecords(db, options.logger);
  processGroups.endLeftovers();
  const oauthRecords = new OAuthRecords(db, secretsKey(options).key('oauth-records'), options.logger);
  const supervisor = new Supervisor(new OverrideStore(db), options.logger, (server) => processGroups.listener(server), oauthRecords);
  const approvals = new ApprovalBook(
    db,
    options.logger,
    (server, tool) => {
      const connection = supervisor.get(server);
      // A server's own tool, or the feature tool (read_resource, get_prompt) its exposeAsTools adds.
      const info = tool === SAMPLING_TOOL.name ? SAMPLING_TOOL : connection && (connection.tool(tool) ?? featureTool(connection, tool));
      return info && toolDefinitionHash(info);
    },
    { bindingKey: secret.secret.key('approval-binding'), settings: () => config.approval, redactKeys },
  );
  supervisor.sampler = createSampler({ config: () => config, approvals, logger: options.logger });
  const orphans = approvals.markInterrupted();
  approvals.prune(config.gateway.activity.maxAgeDays * 86_400_000);
  if (orphans > 0)
    options.logger.warn(
      { interrupted: orphans },
      `${orphans} calls were waiting for approval when the gateway last stopped; they will not run`,
    );
  const settings = () => config.gateway;
  const questions = new QuestionBook(options.logger);
  // A question about no one call (several in flight, or none) is a card about the server.
  supervisor.elicitation = (server, elicitation, signal) =>
    questions.ask({ server, elicitation, timeoutMs: config.gateway.questionTimeoutMs, signal });
  const events = wireEvents({ supervisor, approvals, questions, keys, devices, sessions });
  const notifier = new ApprovalNotifier(() => config.approval.notify, options.logger, {
    intervalMs: () => config.approval.notifyIntervalMs,
  });
  events.on('approval.changed', (approval) => {
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
  const metrics = new GatewayMetrics(
    {
      servers: () => supervisor.list(),
      // Read when Prometheus scrapes, so after `caller` below exists.
      load: (server) => caller.load(server),
      activity: () => activity.health(),
    },
    { version: options.version },
  );
  // What each call is recorded with (status, error) is how its surface answers it.
  const recorder = new CallRecorder(activity, metrics, options.logger, answeredProblem);
  const caller: ToolCaller = new ToolCaller(
    supervisor,
    settings,
    {
      started: (call, args, who) => recorder.started(call, args, who),
      committed: (call) => recorder.committed(call),
      finished: (call, end) => {
        recorder.finished(call, end);
        // The activity page's live tail; nobody listens unless a page has it open.
        if (events.has('call.finished')) events.emit('call.finished', call);
      },
    },
    { policy: () => config.approval, pending: approvals },
    { book: questions, timeoutMs: () => config.gateway.questionTimeoutMs },
  );
  const pairings = options.pairings ?? new Pairings();
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
    questions,
    pairings,
    caller,
    metrics,
    events,
    get config() {
      return config;
    },
    async reload(next) {
      config = next;
      const applied = await supervisor.apply(next);
      events.emit('config.reloaded');
      return applied;
    },
    async close() {
      if (closed) return;
      closed = true;
      approvals.close();
      questions.close();
      notifier.close();
      await supervisor.stopAll();
      await notifier.idle();
      activity.close();
      db.close();
    },
  };
}

/**
 * The bus and what follows from its events, in one place: the domain objects' own events are
 * forwarded to it, and a revoked key or device ends its sessions (next request refused, live
 * streams closed).
 */
function wireEvents(from: {
  supervisor: Supervisor;
  approvals: ApprovalBook;
  questions: QuestionBook;
  keys: KeyStore;
  devices: DeviceStore;
  sessions: SessionStore;
}): GatewayEvents {
  const events = new GatewayEvents();
  const { supervisor, approvals, questions, keys, devices, sessions } = from;
  supervisor.on('change', (status) => events.emit('server.changed', { kind: 'state', status }));
  supervisor.on('lists', (name) => events.emit('server.changed', { kind: 'lists', name }));
  supervisor.on('removed', (name) => events.emit('server.changed', { kind: 'removed', name }));
  approvals.on('change', (approval) => events.emit('approval.changed', approval));
  questions.on('change', (question) => events.emit('question.changed', question));
  keys.on('revoked', (key) => events.emit('key.revoked', key));
  devices.on('revoked', (device) => events.emit('device.revoked', device));
  sessions.on('ended', (tokenHash) => events.emit('session.ended', tokenHash));

  events.on('key.revoked', (key) => sessions.endSubject(`key:${key.id}`));
  events.on('device.revoked', (device) => sessions.endSubject(deviceSubject(device.id)));
  return events;
}

/** The file of the secrets key, when not the one in the state folder. */
export const SECRETS_KEY_FILE = 'secrets.key';

/**
 * The key that encrypts what the gateway must keep secret at rest (OAuth tokens):
 * `gateway.secretsKeyFile`, else the systemd credential, else `<stateDir>/secrets.key` (made when missing).
 */
function secretsKey(options: GatewayOptions): GatewaySecret {
  const given = options.config.gateway.secretsKeyFile ?? options.credentialKeyFile;
  const loaded = loadKeyFile(given ?? path.join(options.stateDir, SECRETS_KEY_FILE), { what: 'secrets key', create: given === undefined });
  if (loaded.created) options.logger.info({ file: loaded.file }, 'made a new secrets key (it encrypts OAuth tokens in the state database)');
  if (loaded.tightened !== undefined)
    options.logger.warn(
      { file: loaded.file },
      `the secrets key was readable by others (mode ${loaded.tightened.toString(8)}); narrowed it to 600`,
    );
  return loaded.secret;
}
