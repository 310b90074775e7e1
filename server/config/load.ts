/**
 * Reads and validates the config file: a superset of the Claude Desktop / mcpo `mcpServers` JSON,
 * so an mcpo config works unchanged. Every problem is collected and thrown at once as a
 * `ConfigError`; no message ever contains an expanded `${…}` value.
 */
import { printParseErrorCode, visit, type ParseErrorCode } from 'jsonc-parser';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { pathToFileURL } from 'node:url';
import { errorCode, expandReferences, type ExpandContext } from './expand.js';
import {
  REMOTE_ONLY_KEYS,
  SERVER_NAME_PATTERN,
  SERVER_NAME_RULE,
  RESERVED_NAME_RULE,
  RESERVED_SERVER_NAMES,
  SERVER_TYPES,
  STDIO_ONLY_KEYS,
  configFileSchema,
  gatewaySchema,
  groupEntrySchema,
  formatPath,
  isServerType,
  issuesToProblems,
  samplingSchema,
  serverEntrySchema,
  type ServerEntry,
} from './schema.js';
import {
  ACCESS_TOKEN_ALGORITHMS,
  ConfigError,
  type ApprovalAction,
  type ApprovalRule,
  type ApprovalSettings,
  type ArgumentCondition,
  type RuleCondition,
  type ConfigProblem,
  type GatewayConfig,
  type GatewaySettings,
  type IntrospectionSettings,
  type NotifyTarget,
  type ResourceServerSettings,
  type OAuthSettings,
  type Root,
  type SamplingSettings,
  type RemoteServerConfig,
  type ServerApproval,
  type ServerConfig,
  type ServerDisplay,
  type StdioServerConfig,
  type ToolGroup,
} from './types.js';

export const DEFAULT_GATEWAY_SETTINGS: GatewaySettings = {
  toolTimeoutMs: 60_000,
  maxTimeoutMs: 600_000,
  maxTotalTimeoutMs: 600_000,
  questionTimeoutMs: 600_000,
  initTimeoutMs: 30_000,
  maxConcurrent: 8,
  maxQueue: 64,
  userConnectionIdleMs: 600_000,
  maxUserConnections: 50,
  pingIntervalMs: 30_000,
  pingTimeoutMs: 10_000,
  backoffInitialMs: 1_000,
  backoffMaxMs: 60_000,
  stopGraceMs: 5_000,
  allowedHosts: [],
  maxBodyBytes: 1_048_576,
  maxJsonDepth: 64,
  maxConnections: 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxResultBytes: 4_194_304,
  maxMessageBytes: 67_108_864,
  heartbeatMs: 15_000,
  finishedCallTtlMs: 900_000,
  asyncCalls: { maxFinished: 1000, maxFinishedBytes: 268_435_456, maxPerCaller: 32 },
  mcp: { maxSessions: 1000, sessionIdleMs: 600_000 },
  activity: { maxRows: 100_000, maxAgeDays: 30 },
  cors: { origins: [] },
  publicSpecs: false,
  basePath: '',
  sessionTtlMs: 7 * 24 * 3_600_000,
  openapi: { maxRefDepth: 3 },
  trustTailscaleHeaders: false,
  redact: { keys: [] },
  serverLogLines: 200,
};

export const DEFAULT_SAMPLING_MAX_TOKENS = 1024;
/** The client name the gateway registers with an authorization server (`auth.clientName`). */
export const DEFAULT_OAUTH_CLIENT_NAME = 'mcp-gateway';
export const DEFAULT_SAMPLING_TIMEOUT_MS = 120_000;

export const DEFAULT_APPROVAL_SETTINGS: ApprovalSettings = {
  default: 'ask',
  timeoutMs: 120_000,
  rules: [],
  notify: [],
  maxPending: 200,
  maxPendingPerCaller: 20,
  notifyIntervalMs: 30_000,
};

function defaultApproval(): ApprovalSettings {
  return { ...DEFAULT_APPROVAL_SETTINGS, rules: [], notify: [] };
}

function defaultSettings(): GatewaySettings {
  return {
    ...DEFAULT_GATEWAY_SETTINGS,
    allowedHosts: [...DEFAULT_GATEWAY_SETTINGS.allowedHosts],
    activity: { ...DEFAULT_GATEWAY_SETTINGS.activity },
    asyncCalls: { ...DEFAULT_GATEWAY_SETTINGS.asyncCalls },
    mcp: { ...DEFAULT_GATEWAY_SETTINGS.mcp },
    cors: { origins: [...DEFAULT_GATEWAY_SETTINGS.cors.origins] },
    openapi: { ...DEFAULT_GATEWAY_SETTINGS.openapi },
    redact: { keys: [...DEFAULT_GATEWAY_SETTINGS.redact.keys] },
  };
}

/** Reads `file` synchronously and validates it; throws `ConfigError` listing every problem. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const source = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (err) {
    throw new ConfigError(source, [{ path: '$', message: `cannot read config file (${errorCode(err)})` }]);
  }
  return parseConfigText(text, source, env);
}

/**
 * Validates config text as if read from `file`, whose directory anchors relative `${file:…}` paths
 * and relative `cwd`s. Throws `ConfigError` listing every problem.
 */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const source = path.resolve(file);
  const document = parseJsonDocument(text);
  if (!document.ok) throw new ConfigError(source, [document.problem]);

  const problems: ConfigProblem[] = [...document.duplicates];
  const top = configFileSchema.safeParse(document.value);
  if (!top.success) problems.push(...issuesToProblems(top.error.issues));

  const gateway = defaultSettings();
  if (top.success && top.data.gateway) {
    const { activity, cors, openapi, redact, asyncCalls, mcp, resourceServer: _resolvedBelow, ...rest } = top.data.gateway;
    Object.assign(gateway, rest);
    Object.assign(gateway.mcp, mcp);
    Object.assign(gateway.activity, activity);
    Object.assign(gateway.asyncCalls, asyncCalls);
    if (cors?.origins) gateway.cors.origins = cors.origins.map((value) => new URL(value).origin);
    Object.assign(gateway.openapi, openapi);
    if (redact?.keys) gateway.redact.keys = redact.keys;
    if (gateway.secretsKeyFile !== undefined) gateway.secretsKeyFile = path.resolve(path.dirname(source), gateway.secretsKeyFile);
  }

  const baseDir = path.dirname(source);
  const rawResourceServer = top.success ? top.data.gateway?.resourceServer : undefined;
  if (rawResourceServer)
    gateway.resourceServer = resolveResourceServer(rawResourceServer, baseDir, reporter(['gateway', 'resourceServer'], problems));
  const approval = defaultApproval();
  const rawApproval = isPlainObject(document.value) ? document.value.approval : undefined;
  if (isPlainObject(rawApproval)) {
    const report = reporter(['approval'], problems);
    Object.assign(approval, approvalLimits(rawApproval), approvalCaps(rawApproval));
    approval.rules = resolveRules(rawApproval.rules, undefined, report);
    approval.notify = resolveNotify(rawApproval.notify, baseDir, report);
  }

  const servers: ServerConfig[] = [];
  const rawServers = isPlainObject(document.value) ? document.value.mcpServers : undefined;
  const rawSampling = isPlainObject(document.value) ? document.value.sampling : undefined;
  const sampling = rawSampling !== undefined ? resolveSampling(rawSampling, rawServers, baseDir, problems) : undefined;
  if (isPlainObject(rawServers)) {
    const ctx: ExpandContext = { env, baseDir };
    for (const [name, entry] of Object.entries(rawServers)) {
      const server = buildServer(name, entry, gateway, ctx, problems);
      if (server) servers.push({ ...server, sampling: samplingAllowed(sampling, name) });
    }
  }

  const rawGroups = isPlainObject(document.value) ? document.value.groups : undefined;
  const groups = isPlainObject(rawGroups) ? buildGroups(rawGroups, servers, problems) : [];

  if (problems.length > 0) throw new ConfigError(source, problems);
  return { source, gateway, approval, servers, groups, ...(sampling && { sampling }) };
}

export type QuickServerSpec = { name: string } & (
  { command: string; args: string[] } | { url: string; transport: 'sse' | 'streamable-http' }
);

/**
 * A one-server config for `mcp-gateway -- <command|url>` and the demo; the values come from argv,
 * unexpanded. `approvalOverrides` replaces parts of the default approval settings (e.g. the
 * `default` of `--approval-default`).
 */
export function quickModeConfig(
  spec: QuickServerSpec,
  overrides: Partial<GatewaySettings> = {},
  approvalOverrides: Partial<ApprovalSettings> = {},
): GatewayConfig {
  const gateway: GatewaySettings = { ...defaultSettings(), ...overrides };
  const approval: ApprovalSettings = { ...defaultApproval(), ...approvalOverrides };
  const common = {
    name: spec.name,
    enabled: true,
    timeoutMs: gateway.toolTimeoutMs,
    toolTimeouts: {},
    initTimeoutMs: gateway.initTimeoutMs,
    maxConcurrent: gateway.maxConcurrent,
    maxQueue: gateway.maxQueue,
    disabledTools: [],
    exposeAsTools: { resources: false, prompts: false },
    approval: { rules: [] },
    roots: [],
    sampling: false,
  };
  const server: ServerConfig =
    'command' in spec
      ? {
          ...common,
          transport: 'stdio',
          command: spec.command,
          args: [...spec.args],
          env: {},
          display: { command: spec.command, args: [...spec.args], envNames: [] },
        }
      : {
          ...common,
          transport: spec.transport,
          url: spec.url,
          headers: {},
          protocol: '2025-11-25',
          perUserAuth: false,
          display: { url: spec.url, headerNames: [] },
        };
  return { source: null, gateway, approval, servers: [server], groups: [] };
}

// ---------------------------------------------------------------------------------------------
// Tool groups

/**
 * The `groups` section: names as for servers but not a server's name (both are `/mcp/{name}`),
 * and every pattern `server/tool` whose server part names a server of the file (or has a `*`),
 * so that a typo is an error rather than a group that quietly lacks tools.
 */
function buildGroups(raw: Record<string, unknown>, servers: readonly ServerConfig[], problems: ConfigProblem[]): ToolGroup[] {
  const serverNames = new Set(servers.map((server) => server.name));
  const groups: ToolGroup[] = [];
  for (const [name, entry] of Object.entries(raw)) {
    const base = ['groups', name];
    const report = (segments: readonly PropertyKey[], message: string): void => {
      problems.push({ path: formatPath([...base, ...segments]), message });
    };
    if (!SERVER_NAME_PATTERN.test(name)) report([], SERVER_NAME_RULE.replace('server name', 'group name'));
    else if (RESERVED_SERVER_NAMES.has(name)) report([], RESERVED_NAME_RULE.replace('server name', 'group name'));
    else if (serverNames.has(name)) report([], `group name "${name}" is also a server's name (both would be /mcp/${name}): rename one`);
    const parsed = groupEntrySchema.safeParse(entry);
    if (!parsed.success) {
      problems.push(...issuesToProblems(parsed.error.issues, base));
      continue;
    }
    parsed.data.tools.forEach((pattern, index) => {
      const slash = pattern.indexOf('/');
      const server = pattern.slice(0, slash);
      if (slash <= 0 || slash === pattern.length - 1) {
        report(['tools', index], `expected "server/tool" (e.g. "fs/*" or "memory/read_graph"), got ${JSON.stringify(pattern)}`);
      } else if (!server.includes('*') && !serverNames.has(server)) {
        report(['tools', index], `no server named "${server}" in mcpServers`);
      }
    });
    groups.push({
      name,
      tools: parsed.data.tools,
      ...(parsed.data.description === undefined ? {} : { description: parsed.data.description }),
    });
  }
  return groups;
}

// ---------------------------------------------------------------------------------------------
// Server entries

function buildServer(
  name: string,
  raw: unknown,
  gateway: GatewaySettings,
  ctx: ExpandContext,
  problems: ConfigProblem[],
): ServerConfig | undefined {
  const base = ['mcpServers', name];
  const countBefore = problems.length;
  const report = (segments: readonly PropertyKey[], message: string): void => {
    problems.push({ path: formatPath([...base, ...segments]), message });
  };

  if (!SERVER_NAME_PATTERN.test(name)) report([], SERVER_NAME_RULE);
  else if (RESERVED_SERVER_NAMES.has(name)) report([], RESERVED_NAME_RULE);
  const parsed = serverEntrySchema.safeParse(raw);
  if (!parsed.success) problems.push(...issuesToProblems(parsed.error.issues, base));
  if (!isPlainObject(raw)) return undefined;

  // Decide the kind from which keys are present (not whether their values are valid), so a
  // wrongly typed `command` is reported once, as a type error, and not again as "missing".
  const hasCommand = Object.hasOwn(raw, 'command');
  const hasUrl = Object.hasOwn(raw, 'url');
  const type = isServerType(raw.type) ? SERVER_TYPES[raw.type] : undefined;
  let kind: 'stdio' | 'remote' | undefined;
  if (hasCommand && hasUrl) {
    report([], 'give either "command" (stdio server) or "url" (remote server), not both');
  } else if (!hasCommand && !hasUrl) {
    report([], 'expected "command" (stdio server) or "url" (remote server)');
  } else {
    kind = hasCommand ? 'stdio' : 'remote';
    if (kind === 'stdio' && type !== undefined && type !== 'stdio') {
      report(['type'], `type ${JSON.stringify(raw.type)} is for remote servers with "url", but this entry has "command"`);
    } else if (kind === 'remote' && type === 'stdio') {
      report(['type'], 'type "stdio" is for servers with "command", but this entry has "url"');
    }
    const misplaced = kind === 'stdio' ? REMOTE_ONLY_KEYS : STDIO_ONLY_KEYS;
    const belongsTo = kind === 'stdio' ? 'remote servers ("url")' : 'stdio servers ("command")';
    for (const key of misplaced) {
      if (Object.hasOwn(raw, key)) report([key], `"${key}" only applies to ${belongsTo}`);
    }
  }

  const expand = (value: unknown, segments: readonly PropertyKey[]): string | undefined => {
    if (typeof value !== 'string') return undefined;
    const expansion = expandReferences(value, ctx);
    for (const message of expansion.problems) report(segments, message);
    return expansion.problems.length === 0 ? expansion.value : undefined;
  };
  const expandList = (value: unknown, key: string): string[] =>
    Array.isArray(value) ? value.map((item: unknown, i) => expand(item, [key, i]) ?? '') : [];
  const expandRecord = (value: unknown, key: string): Record<string, string> =>
    isPlainObject(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v, [key, k]) ?? ''])) : {};

  // Stdio fields are expanded unless the entry is clearly remote, and vice versa, so that
  // missing variables are reported even when the entry has another problem.
  let stdio: Pick<StdioServerConfig, 'command' | 'args' | 'env' | 'cwd'> | undefined;
  if (kind !== 'remote') {
    const command = expand(raw.command, ['command']);
    if (command === '' && raw.command !== '') report(['command'], 'expands to an empty string');
    const cwd = expand(raw.cwd, ['cwd']);
    stdio = {
      command: command ?? '',
      args: expandList(raw.args, 'args'),
      env: expandRecord(raw.env, 'env'),
      ...(cwd !== undefined && { cwd: path.resolve(ctx.baseDir, cwd) }),
    };
  }
  let remote: Pick<RemoteServerConfig, 'url' | 'transport' | 'headers' | 'protocol' | 'auth' | 'perUserAuth'> | undefined;
  if (kind !== 'stdio') {
    const url = expand(raw.url, ['url']);
    let transport: RemoteServerConfig['transport'] = type === 'sse' ? 'sse' : 'streamable-http';
    if (url !== undefined && raw.url !== '') {
      const parsedUrl = parseHttpUrl(url);
      if (typeof parsedUrl === 'string') report(['url'], parsedUrl);
      else if (type === undefined && /\/sse\/?$/.test(parsedUrl.pathname)) transport = 'sse';
    }
    const protocol = (raw.protocol as RemoteServerConfig['protocol'] | undefined) ?? '2025-11-25';
    if (protocol !== '2025-11-25' && transport === 'sse')
      report(['protocol'], `protocol ${JSON.stringify(protocol)} needs streamable HTTP, but this server uses SSE`);
    const auth = resolveAuth(raw, ctx.baseDir, report);
    const perUserAuth = raw.perUserAuth === true;
    if (perUserAuth && auth?.grant !== 'authorization_code')
      report(
        ['perUserAuth'],
        auth
          ? 'needs the authorization code grant (each user signs in); grant "client_credentials" has no user'
          : 'needs "auth": "oauth" (each user signs in to the server with OAuth)',
      );
    remote = { url: url ?? '', transport, headers: expandRecord(raw.headers, 'headers'), protocol, ...(auth && { auth }), perUserAuth };
  }

  const approval: ServerApproval = { rules: [] };
  if (isPlainObject(raw.approval)) {
    const report = reporter([...base, 'approval'], problems);
    Object.assign(approval, approvalLimits(raw.approval));
    approval.rules = resolveRules(raw.approval.rules, name, report);
  }
  approval.rules.push(...alwaysAllowRules(raw, name));
  if (typeof raw.enabled === 'boolean' && raw.disabled === raw.enabled) {
    report(['disabled'], `"disabled": ${String(raw.disabled)} contradicts "enabled": ${String(raw.enabled)} (give only one of them)`);
  }

  if (problems.length > countBefore || !parsed.success) return undefined;
  const entry = parsed.data;
  const common = {
    name,
    ...(entry.description !== undefined && { description: entry.description }),
    enabled: entry.enabled ?? (entry.disabled === undefined ? true : !entry.disabled),
    timeoutMs: entry.timeoutMs ?? gateway.toolTimeoutMs,
    toolTimeouts: { ...entry.toolTimeouts },
    initTimeoutMs: entry.initTimeoutMs ?? gateway.initTimeoutMs,
    maxConcurrent: entry.maxConcurrent ?? gateway.maxConcurrent,
    maxQueue: entry.maxQueue ?? gateway.maxQueue,
    disabledTools: entry.disabledTools ?? [],
    exposeAsTools: { resources: entry.exposeAsTools?.resources ?? false, prompts: entry.exposeAsTools?.prompts ?? false },
    ...(entry.elicitation !== undefined && { elicitation: entry.elicitation }),
    approval,
    display: displayOf(entry),
    roots: resolveRoots(entry.roots ?? [], report),
    ...(entry.clientRoots !== undefined && { clientRoots: entry.clientRoots }),
    ...(entry.logLevel !== undefined && { logLevel: entry.logLevel }),
    sampling: false,
  };
  if (problems.length > countBefore) return undefined;
  if (kind === 'stdio' && stdio) return { ...common, transport: 'stdio', ...stdio };
  if (kind === 'remote' && remote) return { ...common, ...remote };
  return undefined;
}

/**
 * A remote server's OAuth settings, from `auth` (ours) or `oauth` (mcpo's shape), with their
 * defaults; the secret file must be readable, and `client_credentials` needs a client id and secret.
 */
function resolveAuth(raw: Record<string, unknown>, baseDir: string, report: Report): OAuthSettings | undefined {
  if (Object.hasOwn(raw, 'auth') && Object.hasOwn(raw, 'oauth')) {
    report(['oauth'], 'give either "auth" or mcpo\'s "oauth", not both');
    return undefined;
  }
  const defaults: OAuthSettings = { grant: 'authorization_code', clientName: DEFAULT_OAUTH_CLIENT_NAME };
  if (isPlainObject(raw.oauth)) {
    const metadata = isPlainObject(raw.oauth.client_metadata) ? raw.oauth.client_metadata : {};
    const scope = typeof metadata.scope === 'string' ? metadata.scope.split(' ').filter(Boolean) : [];
    return {
      ...defaults,
      ...(scope.length > 0 && { scopes: scope }),
      ...(typeof metadata.client_name === 'string' && metadata.client_name !== '' && { clientName: metadata.client_name }),
    };
  }
  if (raw.auth === 'oauth') return defaults;
  if (!isPlainObject(raw.auth)) return undefined;
  const entry = raw.auth as {
    grant?: OAuthSettings['grant'];
    clientId?: string;
    clientSecretFile?: string;
    clientKeyFile?: string;
    scopes?: string[];
    clientMetadataUrl?: string;
    clientName?: string;
  };
  const settings: OAuthSettings = {
    ...defaults,
    grant: entry.grant ?? defaults.grant,
    clientName: entry.clientName ?? defaults.clientName,
  };
  if (typeof entry.clientId === 'string') settings.clientId = entry.clientId;
  if (Array.isArray(entry.scopes)) settings.scopes = entry.scopes;
  if (typeof entry.clientSecretFile === 'string' && entry.clientSecretFile !== '') {
    const file = path.resolve(baseDir, entry.clientSecretFile);
    try {
      if (readFileSync(file, 'utf8').trim() === '') report(['auth', 'clientSecretFile'], `secret file ${file} is empty`);
    } catch (err) {
      report(['auth', 'clientSecretFile'], `cannot read secret file ${file} (${errorCode(err)})`);
    }
    settings.clientSecretFile = file;
  }
  if (typeof entry.clientKeyFile === 'string' && entry.clientKeyFile !== '') {
    const file = path.resolve(baseDir, entry.clientKeyFile);
    let pem: string | undefined;
    try {
      pem = readFileSync(file, 'utf8');
    } catch (err) {
      report(['auth', 'clientKeyFile'], `cannot read key file ${file} (${errorCode(err)})`);
    }
    try {
      // Checked only for what it is; the key itself is never put in a message.
      if (pem !== undefined) createPrivateKey(pem);
    } catch {
      report(['auth', 'clientKeyFile'], `key file ${file} holds no PEM private key`);
    }
    settings.clientKeyFile = file;
    if (settings.clientSecretFile) report(['auth', 'clientKeyFile'], 'give "clientSecretFile" or "clientKeyFile", not both');
    if (!settings.clientId) report(['auth', 'clientKeyFile'], 'needs "clientId" (the client the authorization server knows the key of)');
  }
  if (typeof entry.clientMetadataUrl === 'string') {
    const url = parseHttpUrl(entry.clientMetadataUrl);
    if (typeof url === 'string' || url.protocol !== 'https:' || url.pathname === '/')
      report(
        ['auth', 'clientMetadataUrl'],
        `expected an https URL with a path (the Client ID Metadata Document), got ${JSON.stringify(entry.clientMetadataUrl)}`,
      );
    settings.clientMetadataUrl = entry.clientMetadataUrl;
  }
  if (settings.grant === 'client_credentials' && (!settings.clientId || !(settings.clientSecretFile || settings.clientKeyFile)))
    report(['auth'], 'grant "client_credentials" needs "clientId" and "clientSecretFile" or "clientKeyFile"');
  return settings;
}

// ---------------------------------------------------------------------------------------------
// Approval policy
//
// The zod schemas check the types; these functions check what the schemas cannot (exactly one
// of equals/in/matches, pointer syntax, regular expressions, notify URLs, secret files) on the
// raw value, so those problems are reported even when a type is wrong elsewhere, and build the
// resolved values (used only when there is no problem at all).

type Report = (segments: readonly PropertyKey[], message: string) => void;

function reporter(base: readonly PropertyKey[], problems: ConfigProblem[]): Report {
  return (segments, message) => void problems.push({ path: formatPath([...base, ...segments]), message });
}

/** The `default` and `timeoutMs` written, as far as they are present. */
function approvalLimits(raw: Record<string, unknown>): { default?: ApprovalAction; timeoutMs?: number } {
  return {
    ...(typeof raw.default === 'string' && { default: raw.default as ApprovalAction }),
    ...(typeof raw.timeoutMs === 'number' && { timeoutMs: raw.timeoutMs }),
  };
}

/** The top-level section's caps and notice interval written, as far as they are present. */
function approvalCaps(
  raw: Record<string, unknown>,
): Partial<Pick<ApprovalSettings, 'maxPending' | 'maxPendingPerCaller' | 'notifyIntervalMs'>> {
  const caps: Partial<Pick<ApprovalSettings, 'maxPending' | 'maxPendingPerCaller' | 'notifyIntervalMs'>> = {};
  for (const key of ['maxPending', 'maxPendingPerCaller', 'notifyIntervalMs'] as const)
    if (typeof raw[key] === 'number') caps[key] = raw[key];
  return caps;
}

/** `server` is the name of the server whose entry holds the rules, or undefined at the top level. */
function resolveRules(raw: unknown, server: string | undefined, report: Report): ApprovalRule[] {
  if (!Array.isArray(raw)) return [];
  const base = server === undefined ? ['approval'] : ['mcpServers', server, 'approval'];
  return raw.map((item: unknown, i): ApprovalRule => {
    const rule = isPlainObject(item) ? item : {};
    // A list of conditions, or one condition alone (`"when": {"user": "…"}`).
    const when = Array.isArray(rule.when)
      ? rule.when.map((condition: unknown, j) => resolveCondition(condition, ['rules', i, 'when', j], report))
      : isPlainObject(rule.when)
        ? [resolveCondition(rule.when, ['rules', i, 'when'], report)]
        : [];
    return {
      server: server ?? (typeof rule.server === 'string' ? rule.server : '*'),
      tool: typeof rule.tool === 'string' ? rule.tool : '*',
      action: rule.action as ApprovalAction,
      when,
      source: formatPath([...base, 'rules', i]),
    };
  });
}

/**
 * Cline's and Roo Code's `alwaysAllow` / `autoApprove` (tool names that run without asking) as
 * allow rules of the server, each with its own JSON path as `source`. They are ordinary rules, so
 * a matching `deny` or `ask` rule still wins over them.
 */
function alwaysAllowRules(raw: Record<string, unknown>, server: string): ApprovalRule[] {
  return (['alwaysAllow', 'autoApprove'] as const).flatMap((key) => {
    const names = raw[key];
    if (!Array.isArray(names)) return [];
    return names.map((tool: unknown, i): ApprovalRule => ({
      server,
      tool: typeof tool === 'string' ? tool : '',
      action: 'allow',
      when: [],
      source: formatPath(['mcpServers', server, key, i]),
    }));
  });
}

const CONDITION_KINDS = ['equals', 'in', 'matches'] as const;
const CONDITION_KINDS_TEXT = CONDITION_KINDS.map((k) => JSON.stringify(k)).join(', ');

const ARGUMENT_KEYS = ['pointer', ...CONDITION_KINDS] as const;
const USER_KINDS = ['user', 'role'] as const;

function resolveCondition(raw: unknown, at: readonly PropertyKey[], report: Report): RuleCondition {
  if (!isPlainObject(raw)) return { pointer: '' };
  const userKinds = USER_KINDS.filter((kind) => Object.hasOwn(raw, kind));
  if (userKinds.length > 0) {
    const mixed = ARGUMENT_KEYS.filter((key) => Object.hasOwn(raw, key));
    if (userKinds.length > 1 || mixed.length > 0) {
      const given = [...userKinds, ...mixed].map((k) => JSON.stringify(k)).join(' and ');
      report(at, `expected one condition each: "user", "role", or "pointer" with one of ${CONDITION_KINDS_TEXT}; got ${given} together`);
    }
    const kind = userKinds[0]!;
    const value = raw[kind];
    return { [kind]: typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [] };
  }
  if (!Object.hasOwn(raw, 'pointer'))
    report([...at, 'pointer'], 'expected string, got undefined (or "user" or "role" for a condition on the forwarded user)');
  const condition: ArgumentCondition = { pointer: typeof raw.pointer === 'string' ? raw.pointer : '' };
  if (typeof raw.pointer === 'string') {
    const problem = pointerProblem(raw.pointer);
    if (problem) report([...at, 'pointer'], problem);
  }
  const given = CONDITION_KINDS.filter((kind) => Object.hasOwn(raw, kind));
  if (given.length === 0) report(at, `expected one of ${CONDITION_KINDS_TEXT}`);
  else if (given.length > 1) {
    report(at, `expected exactly one of ${CONDITION_KINDS_TEXT}, got ${given.map((k) => JSON.stringify(k)).join(' and ')}`);
  }
  if (Object.hasOwn(raw, 'equals')) condition.equals = raw.equals;
  if (Array.isArray(raw.in)) condition.in = raw.in;
  if (typeof raw.matches === 'string') {
    try {
      condition.matches = new RegExp(raw.matches);
    } catch (err) {
      report([...at, 'matches'], `expected a JavaScript regular expression, got ${JSON.stringify(raw.matches)} (${regexReason(err)})`);
    }
  }
  return condition;
}

/** A problem message for a pointer that is not RFC 6901 syntax, or undefined. */
function pointerProblem(pointer: string): string | undefined {
  if (pointer !== '' && !pointer.startsWith('/')) {
    return `expected a JSON pointer ("" for the whole arguments object, or starting with "/"), got ${JSON.stringify(pointer)}`;
  }
  if (/~(?![01])/.test(pointer)) {
    return `expected a JSON pointer ("~" only in "~0" for "~" and "~1" for "/"), got ${JSON.stringify(pointer)}`;
  }
  return undefined;
}

/** `Invalid regular expression: /(/: Unterminated group` → `unterminated group`. */
function regexReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const reason = message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '');
  return reason.charAt(0).toLowerCase() + reason.slice(1);
}

function resolveNotify(raw: unknown, baseDir: string, report: Report): NotifyTarget[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((item: unknown, i): NotifyTarget => {
    if (!isPlainObject(item)) return { url: '' };
    const target: NotifyTarget = { url: typeof item.url === 'string' ? item.url : '' };
    if (typeof item.url === 'string' && item.url !== '') {
      // The URL is not quoted: an ntfy topic in it works like a password.
      const url = parseHttpUrl(item.url);
      if (typeof url === 'string') report(['notify', i, 'url'], url);
    }
    if (typeof item.secretFile === 'string' && item.secretFile !== '') {
      const file = path.resolve(baseDir, item.secretFile);
      try {
        const secret = readFileSync(file, 'utf8').replace(/[\r\n]+$/, '');
        if (secret === '') report(['notify', i, 'secretFile'], `secret file ${file} is empty`);
        target.secret = secret;
      } catch (err) {
        report(['notify', i, 'secretFile'], `cannot read secret file ${file} (${errorCode(err)})`);
      }
    }
    return target;
  });
}

// ---------------------------------------------------------------------------------------------
// Roots and sampling

/**
 * A server's roots as `file://` URIs: a URI is kept as written (it must be `file:`), an absolute
 * path is made one (a relative path is refused: a root is the server's view, not the gateway's
 * working folder).
 */
function resolveRoots(raw: NonNullable<ServerEntry['roots']>, report: Report): Root[] {
  const roots: Root[] = [];
  raw.forEach((item, i) => {
    const written = typeof item === 'string' ? item : item.uri;
    const at = typeof item === 'string' ? ['roots', i] : ['roots', i, 'uri'];
    let uri: string | undefined;
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(written)) {
      if (written.startsWith('file://')) uri = written;
      else report(at, `expected a file:// URI or an absolute path, got ${JSON.stringify(written)}`);
    } else if (path.isAbsolute(written)) {
      uri = pathToFileURL(written).href;
    } else {
      report(at, `expected a file:// URI or an absolute path, got the relative path ${JSON.stringify(written)}`);
    }
    if (uri === undefined) return;
    const name = typeof item === 'string' ? undefined : item.name;
    roots.push({ uri, ...(name !== undefined && { name }) });
  });
  return roots;
}

/**
 * The `sampling` section, once the schema accepted it: the URL must be http(s), the key file
 * readable (its content is read again at each request, so a rotated key applies at once), and
 * every listed server one of the file's.
 */
function resolveSampling(raw: unknown, rawServers: unknown, baseDir: string, problems: ConfigProblem[]): SamplingSettings | undefined {
  const parsed = samplingSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...issuesToProblems(parsed.error.issues, ['sampling']));
    return undefined;
  }
  const report = reporter(['sampling'], problems);
  const countBefore = problems.length;
  const { url, model, apiKeyFile, maxTokens, servers, timeoutMs } = parsed.data;
  const parsedUrl = parseHttpUrl(url);
  if (typeof parsedUrl === 'string') report(['url'], parsedUrl);
  let keyFile: string | undefined;
  if (apiKeyFile !== undefined) {
    keyFile = path.resolve(baseDir, apiKeyFile);
    try {
      readFileSync(keyFile, 'utf8');
    } catch (err) {
      report(['apiKeyFile'], `cannot read key file ${keyFile} (${errorCode(err)})`);
    }
  }
  if (Array.isArray(servers) && isPlainObject(rawServers)) {
    servers.forEach((name, i) => {
      if (!Object.hasOwn(rawServers, name)) report(['servers', i], `no server named ${JSON.stringify(name)} in mcpServers`);
    });
  }
  if (problems.length > countBefore) return undefined;
  return {
    url: url.replace(/\/+$/, ''),
    model,
    ...(keyFile !== undefined && { apiKeyFile: keyFile }),
    maxTokens: maxTokens ?? DEFAULT_SAMPLING_MAX_TOKENS,
    servers: servers ?? [],
    timeoutMs: timeoutMs ?? DEFAULT_SAMPLING_TIMEOUT_MS,
  };
}

/**
 * `gateway.resourceServer`, once the schema accepted it: its URLs must be http(s) (the audience
 * any absolute URI), the client secret file readable (it is read again at each introspection).
 */
function resolveResourceServer(
  raw: NonNullable<NonNullable<z.infer<typeof gatewaySchema>>['resourceServer']>,
  baseDir: string,
  report: Report,
): ResourceServerSettings {
  const { issuer, audience, jwksUri, algorithms, introspection, scopeMap, requiredScopes } = raw;
  for (const [key, value] of [
    ['issuer', issuer],
    ['jwksUri', jwksUri],
  ] as const) {
    if (value !== undefined && typeof parseHttpUrl(value) === 'string')
      report([key], `${parseHttpUrl(value) as string}, got ${JSON.stringify(value)}`);
  }
  if (audience !== undefined && !URL.canParse(audience))
    report(['audience'], `expected an absolute URI such as "https://gateway.example.com", got ${JSON.stringify(audience)}`);
  let resolvedIntrospection: IntrospectionSettings | undefined;
  if (introspection) {
    const { endpoint, clientId, clientSecretFile, cacheMs } = introspection;
    if (endpoint !== undefined && typeof parseHttpUrl(endpoint) === 'string') {
      report(['introspection', 'endpoint'], `${parseHttpUrl(endpoint) as string}, got ${JSON.stringify(endpoint)}`);
    }
    const secretFile = path.resolve(baseDir, clientSecretFile);
    try {
      readFileSync(secretFile, 'utf8');
    } catch (err) {
      report(['introspection', 'clientSecretFile'], `cannot read secret file ${secretFile} (${errorCode(err)})`);
    }
    resolvedIntrospection = {
      ...(endpoint !== undefined && { endpoint }),
      clientId,
      clientSecretFile: secretFile,
      cacheMs: cacheMs ?? DEFAULT_INTROSPECTION_CACHE_MS,
    };
  }
  return {
    // Exactly as written: it is compared with `iss`, and some issuers end with '/' (Auth0).
    issuer,
    ...(audience !== undefined && { audience: audience.replace(/\/+$/, '') }),
    ...(jwksUri !== undefined && { jwksUri }),
    algorithms: algorithms ?? [...ACCESS_TOKEN_ALGORITHMS],
    ...(resolvedIntrospection && { introspection: resolvedIntrospection }),
    scopeMap: scopeMap ?? {},
    requiredScopes: requiredScopes ?? [],
  };
}

/** How long an introspection answer is kept by default, in ms. */
export const DEFAULT_INTROSPECTION_CACHE_MS = 30_000;

function samplingAllowed(sampling: SamplingSettings | undefined, server: string): boolean {
  if (!sampling) return false;
  return sampling.servers === '*' || sampling.servers.includes(server);
}

// ---------------------------------------------------------------------------------------------

/** What the operator wrote, with only the names of env vars and headers. */
function displayOf(entry: ServerEntry): ServerDisplay {
  if (entry.command !== undefined) {
    return {
      command: entry.command,
      args: [...(entry.args ?? [])],
      ...(entry.cwd !== undefined && { cwd: entry.cwd }),
      envNames: Object.keys(entry.env ?? {}),
    };
  }
  return { url: entry.url, headerNames: Object.keys(entry.headers ?? {}) };
}

/** The URL, or a problem message that does not quote it (it may hold an expanded secret). */
function parseHttpUrl(value: string): URL | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'expected an absolute http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `expected an http: or https: URL, got ${url.protocol}`;
  }
  return url;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// JSON text

type JsonDocument = { ok: true; value: unknown; duplicates: ConfigProblem[] } | { ok: false; problem: ConfigProblem };

/**
 * Strict JSON (no comments, no trailing commas) read with jsonc-parser, which gives the line and
 * column of a syntax error without quoting the text (which may hold a secret), and lets us report
 * duplicate keys, which `JSON.parse` silently resolves to the last one.
 */
function parseJsonDocument(rawText: string): JsonDocument {
  const text = rawText.replace(/^\uFEFF/, '');
  if (text.trim() === '') {
    return { ok: false, problem: { path: '$', message: 'file is empty (expected a JSON object with "mcpServers")' } };
  }
  const strict = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false };
  let syntax: ConfigProblem | undefined;
  const duplicates: ConfigProblem[] = [];
  const keysPerObject: Set<string>[] = [];
  visit(
    text,
    {
      onObjectBegin: () => void keysPerObject.push(new Set()),
      onObjectEnd: () => void keysPerObject.pop(),
      onObjectProperty: (property, _offset, _length, _line, _column, pathSupplier) => {
        const keys = keysPerObject[keysPerObject.length - 1];
        if (!keys) return;
        if (keys.has(property)) {
          duplicates.push({
            path: formatPath([...pathSupplier(), property]),
            message: `duplicate key ${JSON.stringify(property)} (JSON keeps only the last one)`,
          });
        }
        keys.add(property);
      },
      onError: (error, _offset, _length, line, column) => {
        syntax ??= { path: '$', message: `invalid JSON at line ${line + 1}, column ${column + 1}: ${describeSyntaxError(error)}` };
      },
    },
    strict,
  );
  if (syntax) return { ok: false, problem: syntax };
  return { ok: true, value: JSON.parse(text), duplicates };
}

/** `PropertyNameExpected` → `property name expected`. */
function describeSyntaxError(error: ParseErrorCode): string {
  return printParseErrorCode(error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}
