#!/usr/bin/env node
/**
 * The `mcp-gateway` command: reads the command line and environment, loads the configuration,
 * starts the gateway, listens, reloads the config file when it changes, and stops every server
 * on SIGINT/SIGTERM. Everything else lives in modules that never read the environment.
 *
 * Exit codes: 0 after a clean shutdown, 1 when the gateway cannot run (e.g. the port is taken, or
 * the state database cannot be used: one line naming the file and what to do), 2 for a usage or
 * configuration mistake (nothing is started then).
 *
 * Start-up order is for speed (`npm run bench`): the command line and config are read with
 * little code loaded, so `--help`, `--version` and a config mistake answer at once; the gateway
 * (and with it the MCP client) is loaded next and starts the servers, whose processes then boot
 * while the HTTP app is loaded and built.
 */
import fs from 'node:fs';
import module from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CliUsageError, HELP_TEXT, parseCliArgs, type CliOptions } from './cli/args.js';
import { loadConfigFile, parseConfigText, quickModeConfig } from './config/load.js';
import { ConfigError, type GatewayConfig } from './config/types.js';
import { changedSettings } from './config/changes.js';
import { watchConfigFile, type ConfigWatcher } from './config/watch.js';
import { applyLimits, createListener } from './http/listener.js';
import { isLoopbackHost } from './http/security.js';
import { BufferedStdout, PrettyLines, createLogger, resolveLogFormat, type Logger } from './logging/logger.js';
import { DEMO_SERVER_SCRIPT, VERSION } from './package-info.js';
import { isSqliteError, stateDatabaseErrorText } from './state/db.js';
import { killAllProcessGroupsSync } from './upstream/stdio-transport.js';
import type { ApplyResult } from './upstream/supervisor.js';

class StartupError extends Error {}

function fail(lines: string[], code: number): never {
  for (const line of lines) process.stderr.write(`${line}\n`);
  process.exit(code);
}

/**
 * The shortest start-up key accepted. A key that verifies always passes the failure limit
 * (auth/failures.ts), so it is the key's length that keeps guessing it out of reach.
 */
const MIN_STARTUP_KEY_LENGTH = 16;

/** How to make a good key, for the messages below. */
const MAKE_A_KEY = "make one with: node -e \"process.stdout.write(require('node:crypto').randomBytes(32).toString('base64url'))\"";

/** Refuses a start-up key that is too short to resist guessing, or that `Authorization: Bearer <key>` cannot carry. Never says the key. */
function checkStartupKey(key: string, source: string): string {
  if (/\s/.test(key)) {
    throw new StartupError(`${source}: the API key contains whitespace, which "Authorization: Bearer <key>" cannot carry; ${MAKE_A_KEY}`);
  }
  const length = [...key].length;
  if (length < MIN_STARTUP_KEY_LENGTH) {
    const has = `${length} character${length === 1 ? '' : 's'}`;
    throw new StartupError(
      `${source}: the API key has ${has}, too few to resist guessing; use at least ${MIN_STARTUP_KEY_LENGTH}: ${MAKE_A_KEY}`,
    );
  }
  return key;
}

function readApiKey(options: CliOptions): string | undefined {
  if (options.apiKeyFile) {
    let key: string;
    try {
      key = fs.readFileSync(options.apiKeyFile, 'utf8').trim();
    } catch (error) {
      throw new StartupError(`${options.apiKeyFile}: cannot read the API key file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!key) throw new StartupError(`${options.apiKeyFile}: the API key file is empty`);
    return checkStartupKey(key, options.apiKeyFile);
  }
  const key = options.apiKey?.trim();
  return key === undefined ? undefined : checkStartupKey(key, 'MCP_GATEWAY_API_KEY');
}

/** `--approval-default` wins over the file's `approval.default` (at start and at every reload). */
function withCliOverrides(config: GatewayConfig, options: CliOptions): GatewayConfig {
  if (options.approvalDefault) config.approval.default = options.approvalDefault;
  return config;
}

function initialConfig(options: CliOptions): GatewayConfig {
  if (options.configFile) return loadConfigFile(options.configFile);
  if (options.quick) return quickModeConfig(options.quick);
  if (!fs.existsSync(DEMO_SERVER_SCRIPT)) {
    throw new StartupError(`the built-in demo server is missing (${DEMO_SERVER_SCRIPT}); run "npm run build" first`);
  }
  return quickModeConfig({ name: 'demo', command: process.execPath, args: [DEMO_SERVER_SCRIPT] });
}

/** Where, in the state directory, V8's compiled code of the gateway's modules is kept (Node 22 and later; see below). */
const COMPILE_CACHE_DIR = 'compile-cache';

/**
 * Keeps V8's compiled code of the modules loaded from here on (the gateway and the HTTP app, about
 * 70% of the code start-up runs) in the state directory, so that later starts need not compile them
 * again: `module.enableCompileCache`, in Node >= 22.8, so in every Node 22 and 24 the gateway runs
 * on (Node checks each entry against its file's content and its own version); Node 20 has no such
 * cache. Only where the state directory exists already: Node would make a missing one with default
 * permissions, the gateway makes it private. Never fails the start: a cache that cannot be written
 * is simply not used.
 */
function useCompileCache(stateDir: string): void {
  const enable = (module as { enableCompileCache?: (directory: string) => unknown }).enableCompileCache;
  if (!enable || !fs.existsSync(stateDir)) return;
  try {
    enable(path.join(stateDir, COMPILE_CACHE_DIR));
  } catch {
    // Start without it: it only saves time.
  }
}

async function main(): Promise<void> {
  let options: CliOptions;
  let config: GatewayConfig;
  let apiKey: string | undefined;
  // `mcp-gateway oauth …`: a command of its own (server/cli/oauth-login.ts), loaded only then.
  if (process.argv[2] === 'oauth') {
    const { oauthCommand } = await import('./cli/oauth-login.js');
    process.exitCode = await oauthCommand(process.argv.slice(3), process.env, (text) => process.stdout.write(text));
    return;
  }
  try {
    options = parseCliArgs(process.argv.slice(2), process.env);
    if (options.help) {
      process.stdout.write(HELP_TEXT);
      return;
    }
    if (options.version) {
      process.stdout.write(`mcp-gateway ${VERSION}\n`);
      return;
    }
    apiKey = readApiKey(options);
    config = withCliOverrides(initialConfig(options), options);
    const refused = listenerProblem(config, options, Boolean(apiKey));
    if (refused) throw new StartupError(`refusing to listen on ${options.host} ${refused}`);
  } catch (error) {
    if (error instanceof CliUsageError) fail([`mcp-gateway: ${error.message}`, 'Run "mcp-gateway --help" for usage.'], 2);
    if (error instanceof ConfigError) fail(['mcp-gateway: invalid configuration:', ...error.lines()], 2);
    if (error instanceof StartupError) fail([`mcp-gateway: ${error.message}`], 2);
    throw error;
  }

  const logDestination = new BufferedStdout();
  const pretty = resolveLogFormat(options.logFormat, process.stdout.isTTY === true) === 'pretty';
  const colorize = pretty && process.stdout.isTTY === true && !process.env.NO_COLOR;
  const logger = createLogger(options.logLevel, pretty ? await PrettyLines.create(logDestination, colorize) : logDestination);
  process.on('exit', () => {
    killAllProcessGroupsSync();
    logDestination.flushOnExit();
  });

  useCompileCache(options.stateDir);
  const { gatewayServices, startGateway } = await import('./gateway.js');
  const gateway = await startGateway({
    config,
    stateDir: options.stateDir,
    logger,
    version: VERSION,
    credentialKeyFile: systemdCredential('secrets-key'),
  });
  const { buildApp } = await import('./http/app.js');
  const app = buildApp({
    ...gatewayServices(gateway),
    logger,
    version: VERSION,
    // `gateway.allowedHosts` is read per request (buildApp), so that a reload applies it.
    security: { apiKey, allowedHosts: options.allowedHosts, restrictHosts: isLoopbackHost(options.host) },
  });
  apiKey = undefined;

  const server = createListener(app, config.gateway, logger).listen(options.port, options.host);
  server.on('error', (error: NodeJS.ErrnoException) => {
    const reason = error.code === 'EADDRINUSE' ? `port ${options.port} is already in use (choose another with --port)` : error.message;
    logger.fatal({ code: error.code }, `cannot listen on ${options.host}:${options.port}: ${reason}`);
    process.stderr.write(`mcp-gateway: cannot listen on ${options.host}:${options.port}: ${reason}\n`);
    // Exit 1 whether or not closing succeeds: a gateway that cannot listen must not stay up.
    void gateway.close().then(
      () => process.exit(1),
      (closeError: unknown) => {
        logger.error({ err: closeError }, 'could not close the gateway');
        process.exit(1);
      },
    );
  });
  server.on('listening', () => {
    const { port } = server.address() as AddressInfo;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    const ui = uiUrl(host, port, config.gateway.basePath);
    logger.info(
      {
        url: `http://${host}:${port}`,
        ui,
        servers: config.servers.length,
        auth: Boolean(options.apiKeyFile || options.apiKey),
        source: config.source ?? (options.quick ? 'quick mode' : 'demo'),
      },
      `mcp-gateway ${VERSION} listening on http://${host}:${port}; open the UI at ${ui}`,
    );
    logger.info({ approvalDefault: config.approval.default }, approvalDefaultText(config.approval.default));
    // Whoever waits for the gateway (a person, a script, a service manager's log) sees it listen at once.
    logDestination.flush();
  });

  let watcher: ConfigWatcher | undefined;
  const hasApiKey = Boolean(options.apiKeyFile || options.apiKey);
  const reload = async (text?: string) => {
    const file = options.configFile!;
    try {
      const next = withCliOverrides(text === undefined ? loadConfigFile(file) : parseConfigText(text, file, process.env), options);
      // A reload may not leave a gateway beyond loopback open (e.g. by removing gateway.resourceServer).
      const refused = listenerProblem(next, options, hasApiKey);
      if (refused) {
        const problem = `listening on ${options.host} ${refused}`;
        logger.error({ problems: [problem] }, 'the changed configuration is refused; keeping the running one');
        return;
      }
      const settings = changedSettings(gateway.config, next);
      const servers = await gateway.reload(next);
      applyLimits(server, next.gateway);
      logReload(logger, servers, settings);
    } catch (error) {
      if (error instanceof ConfigError) {
        logger.error({ problems: error.lines() }, 'the changed configuration is invalid; keeping the running one');
      } else {
        logger.error({ err: error }, 'reloading the configuration failed');
      }
    }
  };
  if (options.configFile) {
    const file = options.configFile;
    watcher = watchConfigFile(file, {
      changed: (text) => void reload(text),
      removed: () => logger.warn({ file }, 'the config file was removed; keeping the running configuration until it is back'),
      error: (error) => logger.warn({ err: error }, 'config watch failed'),
    });
    process.on('SIGHUP', () => void reload());
  }

  installShutdown(logger, async () => {
    watcher?.close();
    server.close();
    server.closeAllConnections();
    await app.close();
    await gateway.close();
  });
}

/**
 * Why `config` may not run on the listener `options.host` (a phrase to follow "listening on HOST"),
 * or undefined; checked at start (exit 2)
 * and at each reload (refused: the running configuration stays). Beyond loopback every request
 * needs credentials: the API key, OAuth access tokens (`gateway.resourceServer`), or something in
 * front that authenticates (`--insecure-no-auth`). And there `Host` is whatever the caller sends
 * unless host names are allowed (`--allowed-host`, `gateway.allowedHosts`): it cannot say which
 * tokens are for the gateway, so `gateway.resourceServer.audience` must.
 */
function listenerProblem(config: GatewayConfig, options: CliOptions, hasApiKey: boolean): string | undefined {
  if (isLoopbackHost(options.host)) return undefined;
  const { resourceServer, allowedHosts } = config.gateway;
  if (!hasApiKey && !resourceServer && !options.insecureNoAuth) {
    return (
      'without an API key: anyone who can reach it could start programs through it. ' +
      'Give --api-key-file FILE (or MCP_GATEWAY_API_KEY), set gateway.resourceServer to take OAuth access tokens, ' +
      'or --insecure-no-auth if something in front of the gateway authenticates.'
    );
  }
  if (resourceServer && resourceServer.audience === undefined && options.allowedHosts.length === 0 && allowedHosts.length === 0) {
    return (
      'without --allowed-host or gateway.allowedHosts needs $.gateway.resourceServer.audience: ' +
      'the Host header, which any caller sets, cannot say which access tokens are for the gateway. ' +
      'Set audience to its public URL (e.g. "https://gateway.example.com"), or allow its host names.'
    );
  }
  return undefined;
}

/**
 * Where a browser on this machine opens the UI: the listening address (`host` as in a URL), or
 * loopback when the gateway listens on every address (`0.0.0.0`, `[::]`), plus `gateway.basePath`.
 */
function uiUrl(host: string, port: number, basePath: string): string {
  const browserHost = host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host;
  return `http://${browserHost}:${port}${basePath}/`;
}

/** One line per reload: which servers and settings changed, or that nothing did. */
function logReload(logger: Logger, result: ApplyResult, settings: string[]): void {
  const servers = Object.fromEntries(Object.entries(result).filter(([, names]) => (names as string[]).length > 0));
  const parts = [
    ...Object.entries(servers).map(([change, names]) => `${change} ${(names as string[]).join(', ')}`),
    ...(settings.length > 0 ? [`settings ${settings.join(', ')}`] : []),
  ];
  if (parts.length === 0) logger.info({ servers, settings }, 'configuration reloaded: nothing changed');
  else logger.info({ servers, settings }, `configuration reloaded: ${parts.join('; ')}`);
}

/** The start-up line that says which approval default is in force. */
function approvalDefaultText(action: GatewayConfig['approval']['default']): string {
  switch (action) {
    case 'ask':
      return 'approval default: ask (a call to a tool without a rule waits for a person, unless the tool is annotated readOnlyHint; --approval-default allow turns this off)';
    case 'allow':
      return 'approval default: allow (a call to a tool without a rule runs at once)';
    default:
      return 'approval default: deny (a call to a tool without a rule is refused)';
  }
}

function installShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) {
      // A second signal: do not wait for servers any longer.
      killAllProcessGroupsSync();
      process.exit(code || 1);
    }
    stopping = true;
    logger.info({ reason }, 'shutting down');
    try {
      await stop();
    } finally {
      logger.flush();
      process.exit(code);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.on('uncaughtException', (error) => {
    if (isSqliteError(error)) logger.fatal({ code: error.code }, stateDatabaseErrorText(error));
    else logger.fatal({ err: error }, 'uncaught exception');
    void shutdown('uncaught exception', 1);
  });
  // A stray rejection (say, from a transport of an upstream that misbehaves) is logged; it must
  // not take the gateway and every other server down with it.
  process.on('unhandledRejection', (error) => {
    logger.error({ err: error }, 'unhandled promise rejection');
  });
}

main().catch((error) => {
  process.stderr.write(`mcp-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
  killAllProcessGroupsSync();
  process.exit(1);
});

/** A systemd credential (`LoadCredential=name:…`) of this service, when systemd passed it. */
function systemdCredential(name: string): string | undefined {
  const directory = process.env.CREDENTIALS_DIRECTORY;
  const file = directory ? path.join(directory, name) : undefined;
  return file && fs.existsSync(file) ? file : undefined;
}
