/**
 * Command-line parsing: `mcp-gateway [options] [-- <command> [args…] | -- <url>]`.
 *
 * Flags win over environment variables, which win over defaults. The API key is only read from the
 * environment (or a file): a key in argv would be visible to every user through `ps`.
 */
import { parseArgs } from 'node:util';
import { APPROVAL_ACTIONS, RESERVED_NAME_RULE, RESERVED_SERVER_NAMES } from '../config/schema.js';
import type { ApprovalAction } from '../config/types.js';
import { LOG_FORMATS, type LogFormat } from '../logging/logger.js';

/** A mistake on the command line; `main` prints the message plus "see --help" and exits with 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type QuickServer =
  { name: string; command: string; args: string[] } | { name: string; url: string; transport: 'sse' | 'streamable-http' };

export interface CliOptions {
  help: boolean;
  version: boolean;
  configFile?: string;
  port: number;
  host: string;
  stateDir: string;
  apiKeyFile?: string;
  /** From MCP_GATEWAY_API_KEY only. */
  apiKey?: string;
  logLevel: string;
  /** From --log-format or MCP_GATEWAY_LOG_FORMAT. Default `auto` (pretty on a terminal, JSON when piped). */
  logFormat: LogFormat;
  insecureNoAuth: boolean;
  allowedHosts: string[];
  /** Set when a server follows `--`. */
  quick?: QuickServer;
  /** From --approval-default or MCP_GATEWAY_APPROVAL_DEFAULT; replaces the config's top-level `approval.default`. */
  approvalDefault?: ApprovalAction;
}

export const DEFAULT_PORT = 8085;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_STATE_DIR = './.mcp-gateway';
export const DEFAULT_LOG_LEVEL = 'info';
export const DEFAULT_LOG_FORMAT: LogFormat = 'auto';

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  'state-dir': { type: 'string' },
  'api-key-file': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  name: { type: 'string' },
  transport: { type: 'string' },
  'allowed-host': { type: 'string', multiple: true },
  'insecure-no-auth': { type: 'boolean' },
  'approval-default': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

const SERVER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const HELP_TEXT = `Usage: mcp-gateway [options] [-- <command> [args...] | -- <url>]
       mcp-gateway oauth login <server> [--gateway URL] [--api-key-file FILE]   (sign a server behind OAuth in)

Runs MCP servers and exposes their tools as REST endpoints with OpenAPI.
With neither --config nor a server after "--", runs the built-in demo server.
A server after "--" (quick mode) overrides MCP_GATEWAY_CONFIG. Flags override environment variables.

Options:
  -c, --config FILE        config file (JSON with "mcpServers"); env MCP_GATEWAY_CONFIG
  -p, --port N             port, 0 = any free port (default ${DEFAULT_PORT}); env MCP_GATEWAY_PORT
      --host H             address to listen on (default ${DEFAULT_HOST}); env MCP_GATEWAY_HOST
      --state-dir DIR      where state is kept (default ${DEFAULT_STATE_DIR}); env MCP_GATEWAY_STATE_DIR
      --api-key-file FILE  file holding the API key; env MCP_GATEWAY_API_KEY_FILE
                           (or the key itself in env MCP_GATEWAY_API_KEY; there is no flag for it)
      --log-level LEVEL    ${LOG_LEVELS.join('|')} (default ${DEFAULT_LOG_LEVEL}); env MCP_GATEWAY_LOG_LEVEL
      --log-format F       ${LOG_FORMATS.join('|')}: readable lines or JSON (default ${DEFAULT_LOG_FORMAT}: pretty on a
                           terminal, JSON when piped); env MCP_GATEWAY_LOG_FORMAT
      --name NAME          quick mode: server name (default derived from the command or URL)
      --transport T        quick mode with a URL: sse|streamable-http
                           (default streamable-http, or sse if the URL path ends in /sse)
      --allowed-host NAME  also accept this Host header; repeatable (loopback names always work)
      --insecure-no-auth   allow a non-loopback --host without an API key
      --approval-default ACTION
                           ${APPROVAL_ACTIONS.join('|')}: the answer to a tool call no approval rule matches;
                           replaces the config's top-level approval.default (default ask);
                           env MCP_GATEWAY_APPROVAL_DEFAULT
  -h, --help               show this help
  -v, --version            show the version

Examples:
  mcp-gateway                                    # demo server on http://${DEFAULT_HOST}:${DEFAULT_PORT}
  mcp-gateway --config ./mcp.json --port 9000    # the servers in a config file
  mcp-gateway -- npx -y @modelcontextprotocol/server-everything    # quick mode: one server
`;

export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  const separator = argv.indexOf('--');
  const optionArgs = separator < 0 ? argv : argv.slice(0, separator);
  const serverArgs = separator < 0 ? undefined : argv.slice(separator + 1);
  const values = parseOptions(optionArgs);

  const help = values.help ?? false;
  const version = values.version ?? false;
  const fromEnv = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);

  // --help and --version must work even if the environment holds a bad value.
  if (help || version) {
    return {
      help,
      version,
      port: DEFAULT_PORT,
      host: DEFAULT_HOST,
      stateDir: DEFAULT_STATE_DIR,
      logLevel: DEFAULT_LOG_LEVEL,
      logFormat: DEFAULT_LOG_FORMAT,
      insecureNoAuth: false,
      allowedHosts: [],
    };
  }

  for (const [key, value] of Object.entries(values)) {
    if (value === '' || (Array.isArray(value) && value.includes(''))) throw new CliUsageError(`--${key} needs a non-empty value`);
  }

  const portFromEnv = fromEnv('MCP_GATEWAY_PORT');
  let port = DEFAULT_PORT;
  if (values.port !== undefined) port = parsePort(values.port, '--port');
  else if (portFromEnv !== undefined) port = parsePort(portFromEnv, 'MCP_GATEWAY_PORT');

  const logLevelSource = values['log-level'] !== undefined ? '--log-level' : 'MCP_GATEWAY_LOG_LEVEL';
  const logLevel = (values['log-level'] ?? fromEnv('MCP_GATEWAY_LOG_LEVEL') ?? DEFAULT_LOG_LEVEL).toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new CliUsageError(`${logLevelSource} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  }

  const logFormatSource = values['log-format'] !== undefined ? '--log-format' : 'MCP_GATEWAY_LOG_FORMAT';
  const logFormatRaw = values['log-format'] ?? fromEnv('MCP_GATEWAY_LOG_FORMAT') ?? DEFAULT_LOG_FORMAT;
  const logFormat = LOG_FORMATS.find((format) => format === logFormatRaw.toLowerCase());
  if (logFormat === undefined) {
    throw new CliUsageError(`${logFormatSource} must be one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(logFormatRaw)}`);
  }

  const approvalSource = values['approval-default'] !== undefined ? '--approval-default' : 'MCP_GATEWAY_APPROVAL_DEFAULT';
  const approvalRaw = values['approval-default'] ?? fromEnv('MCP_GATEWAY_APPROVAL_DEFAULT');
  const approvalDefault = APPROVAL_ACTIONS.find((action) => action === approvalRaw?.toLowerCase());
  if (approvalRaw !== undefined && approvalDefault === undefined) {
    throw new CliUsageError(`${approvalSource} must be one of ${APPROVAL_ACTIONS.join(', ')}, got ${JSON.stringify(approvalRaw)}`);
  }

  const transport = values.transport;
  if (transport !== undefined && transport !== 'sse' && transport !== 'streamable-http') {
    throw new CliUsageError(`--transport must be sse or streamable-http, got ${JSON.stringify(transport)}`);
  }

  let quick: QuickServer | undefined;
  if (serverArgs === undefined) {
    if (transport !== undefined) throw new CliUsageError('--transport only applies to a server URL after --');
    if (values.name !== undefined) throw new CliUsageError('--name only applies to a server after --');
  } else {
    if (values.config !== undefined) throw new CliUsageError('give either --config FILE or a server after --, not both');
    quick = parseQuickServer(serverArgs, values.name, transport);
  }

  const options: CliOptions = {
    help,
    version,
    port,
    host: values.host ?? fromEnv('MCP_GATEWAY_HOST') ?? DEFAULT_HOST,
    stateDir: values['state-dir'] ?? fromEnv('MCP_GATEWAY_STATE_DIR') ?? DEFAULT_STATE_DIR,
    logLevel,
    logFormat,
    insecureNoAuth: values['insecure-no-auth'] ?? false,
    allowedHosts: values['allowed-host'] ?? [],
  };
  // A server after "--" replaces a config file named only in the environment.
  const configFile = quick ? undefined : (values.config ?? fromEnv('MCP_GATEWAY_CONFIG'));
  if (configFile !== undefined) options.configFile = configFile;
  // A key variable that is set but empty (a failed `$(cat …)`, an empty secret) is a mistake, not "no key".
  for (const name of ['MCP_GATEWAY_API_KEY', 'MCP_GATEWAY_API_KEY_FILE']) {
    if (env[name] !== undefined && env[name].trim() === '') {
      throw new CliUsageError(`${name} is set but empty; give the key (or unset ${name} to run without one)`);
    }
  }
  const apiKeyFile = values['api-key-file'] ?? env.MCP_GATEWAY_API_KEY_FILE;
  if (apiKeyFile !== undefined) options.apiKeyFile = apiKeyFile;
  const apiKey = env.MCP_GATEWAY_API_KEY;
  if (apiKey !== undefined) options.apiKey = apiKey;
  if (quick) options.quick = quick;
  if (approvalDefault !== undefined) options.approvalDefault = approvalDefault;
  return options;
}

function parseOptions(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new CliUsageError(describeParseError(args, err));
  }
}

/**
 * `parseArgs` messages are long and suggest quoting tricks; find the offending token with a
 * lenient pass and say what is wrong in one line.
 */
function describeParseError(args: string[], err: unknown): string {
  const { tokens } = parseArgs({ args, options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'positional') {
      return `unexpected argument ${JSON.stringify(token.value)} (a server command goes after "--", e.g. mcp-gateway -- npx -y <package>)`;
    }
    if (token.kind !== 'option') continue;
    if (!Object.hasOwn(OPTIONS, token.name)) {
      if (token.name === 'api-key') {
        return '--api-key is not an option: set MCP_GATEWAY_API_KEY or use --api-key-file (keys in argv are visible to other users)';
      }
      return `unknown option ${token.rawName}`;
    }
    const type = OPTIONS[token.name as keyof typeof OPTIONS].type;
    if (type === 'string' && token.value === undefined) return `${token.rawName} needs a value`;
    if (type === 'string' && !token.inlineValue && token.value?.startsWith('-')) {
      return `${token.rawName} needs a value, got option-like ${JSON.stringify(token.value)} (write --${token.name}=${token.value} if you mean it)`;
    }
    if (type === 'boolean' && token.value !== undefined) return `${token.rawName} does not take a value`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}

function parsePort(raw: string, label: string): number {
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new CliUsageError(`${label} must be an integer from 0 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

function parseQuickServer(serverArgs: string[], name: string | undefined, transport: 'sse' | 'streamable-http' | undefined): QuickServer {
  const [first, ...rest] = serverArgs;
  if (first === undefined || first === '') {
    throw new CliUsageError('nothing after "--": give a server command (e.g. -- npx -y <package>) or URL');
  }
  if (name !== undefined && !SERVER_NAME_PATTERN.test(name)) {
    throw new CliUsageError(
      `--name must match ${SERVER_NAME_PATTERN.source} (letters, digits, "_" and "-", at most 64), got ${JSON.stringify(name)}`,
    );
  }
  if (name !== undefined && RESERVED_SERVER_NAMES.has(name)) throw new CliUsageError(`--name: ${RESERVED_NAME_RULE}`);
  if (/^https?:\/\//i.test(first)) {
    let url: URL;
    try {
      url = new URL(first);
    } catch {
      throw new CliUsageError('the server URL after "--" is not a valid URL');
    }
    if (rest.length > 0) throw new CliUsageError(`a server URL takes no arguments, got ${JSON.stringify(rest[0])}`);
    return {
      name: name ?? deriveServerName(first, []),
      url: first,
      transport: transport ?? (/\/sse\/?$/.test(url.pathname) ? 'sse' : 'streamable-http'),
    };
  }
  if (transport !== undefined) throw new CliUsageError('--transport only applies to a server URL after --');
  return { name: name ?? deriveServerName(first, rest), command: first, args: rest };
}

/** Commands that run a package or script named by one of their arguments. */
const RUNNERS = new Set(['npx', 'bunx', 'pnpx', 'uvx', 'uv', 'pipx', 'node', 'python', 'python3', 'deno', 'bun', 'docker', 'pnpm', 'yarn']);
const RUNNER_SUBCOMMANDS = new Set(['run', 'dlx', 'exec', 'x', 'tool', '--']);

/**
 * A server name from a quick-mode command or URL:
 * `npx -y @modelcontextprotocol/server-everything` → `server-everything`,
 * `https://mcp.example.com/mcp` → `mcp-example-com`.
 */
export function deriveServerName(commandOrUrl: string, args: string[]): string {
  return sanitizeName(rawServerName(commandOrUrl, args));
}

function rawServerName(commandOrUrl: string, args: string[]): string {
  if (/^https?:\/\//i.test(commandOrUrl)) {
    try {
      const url = new URL(commandOrUrl);
      const segment = url.pathname.split('/').find((s) => s !== '');
      return segment === undefined || segment === 'mcp' || segment === 'sse' ? url.hostname : `${url.hostname}-${segment}`;
    } catch {
      return '';
    }
  }
  const command = basename(commandOrUrl);
  if (RUNNERS.has(command.replace(/\.(exe|cmd)$/i, '').toLowerCase())) {
    const target = args.find((arg) => !arg.startsWith('-') && !RUNNER_SUBCOMMANDS.has(arg));
    if (target !== undefined) {
      const unscoped = target.replace(/^@[^/]+\//, '');
      const unversioned = unscoped.replace(/(.)@[^/]*$/, '$1');
      return stripExtension(basename(unversioned));
    }
  }
  return stripExtension(command);
}

function basename(file: string): string {
  return (
    file
      .split(/[\\/]/)
      .filter((part) => part !== '')
      .at(-1) ?? ''
  );
}

function stripExtension(file: string): string {
  return file.replace(/\.(js|mjs|cjs|ts|py)$/i, '');
}

function sanitizeName(raw: string): string {
  const name = raw
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  if (name === '') return 'server';
  return RESERVED_SERVER_NAMES.has(name) ? `${name}-server` : name;
}
