import { describe, expect, it } from 'vitest';
import { CliUsageError, HELP_TEXT, deriveServerName, parseCliArgs, type CliOptions } from '../server/cli/args.js';

const DEFAULTS: CliOptions = {
  help: false,
  version: false,
  port: 8085,
  host: '127.0.0.1',
  stateDir: './.mcp-gateway',
  logLevel: 'info',
  logFormat: 'auto',
  insecureNoAuth: false,
  allowedHosts: [],
};

function usageError(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseCliArgs(argv, env);
  } catch (err) {
    if (err instanceof CliUsageError) return err.message;
    throw err;
  }
  throw new Error('expected a CliUsageError');
}

describe('options', () => {
  it('uses the defaults with no arguments and no environment', () => {
    expect(parseCliArgs([], {})).toEqual(DEFAULTS);
  });

  it.each<[string[], Partial<CliOptions>]>([
    [['-c', 'gw.json'], { configFile: 'gw.json' }],
    [['--config=gw.json'], { configFile: 'gw.json' }],
    [['-p', '9000'], { port: 9000 }],
    [['--port', '0'], { port: 0 }],
    [['--port', '65535'], { port: 65535 }],
    [['--host', '0.0.0.0'], { host: '0.0.0.0' }],
    [['--state-dir', '/var/lib/gw'], { stateDir: '/var/lib/gw' }],
    [['--api-key-file', '/run/secrets/key'], { apiKeyFile: '/run/secrets/key' }],
    [['--log-level', 'debug'], { logLevel: 'debug' }],
    [['--log-level', 'WARN'], { logLevel: 'warn' }],
    [['--log-format', 'pretty'], { logFormat: 'pretty' }],
    [['--log-format=JSON'], { logFormat: 'json' }],
    [['--insecure-no-auth'], { insecureNoAuth: true }],
    [['--allowed-host', 'a.example', '--allowed-host', 'b.example'], { allowedHosts: ['a.example', 'b.example'] }],
    [['--approval-default', 'allow'], { approvalDefault: 'allow' }],
    [['--approval-default=deny'], { approvalDefault: 'deny' }],
    [['--approval-default', 'ASK'], { approvalDefault: 'ask' }],
    [['-h'], { help: true }],
    [['--version'], { version: true }],
  ])('%j', (argv, expected) => {
    expect(parseCliArgs(argv, {})).toEqual({ ...DEFAULTS, ...expected });
  });

  it('reads every setting from the environment, the API key only from there', () => {
    const env = {
      MCP_GATEWAY_CONFIG: '/etc/gw.json',
      MCP_GATEWAY_PORT: '7000',
      MCP_GATEWAY_HOST: '::1',
      MCP_GATEWAY_STATE_DIR: '/var/lib/gw',
      MCP_GATEWAY_API_KEY_FILE: '/run/key',
      MCP_GATEWAY_API_KEY: 'k-123',
      MCP_GATEWAY_LOG_LEVEL: 'trace',
      MCP_GATEWAY_LOG_FORMAT: 'json',
      MCP_GATEWAY_APPROVAL_DEFAULT: 'deny',
    };
    expect(parseCliArgs([], env)).toEqual({
      ...DEFAULTS,
      configFile: '/etc/gw.json',
      port: 7000,
      host: '::1',
      stateDir: '/var/lib/gw',
      apiKeyFile: '/run/key',
      apiKey: 'k-123',
      logLevel: 'trace',
      logFormat: 'json',
      approvalDefault: 'deny',
    });
  });

  it('lets flags win over the environment', () => {
    const env = {
      MCP_GATEWAY_CONFIG: '/etc/gw.json',
      MCP_GATEWAY_PORT: '7000',
      MCP_GATEWAY_HOST: '::1',
      MCP_GATEWAY_LOG_LEVEL: 'trace',
      MCP_GATEWAY_LOG_FORMAT: 'json',
      MCP_GATEWAY_APPROVAL_DEFAULT: 'deny',
    };
    expect(
      parseCliArgs(
        [
          '-c',
          'mine.json',
          '-p',
          '1',
          '--host',
          'localhost',
          '--log-level',
          'error',
          '--log-format',
          'pretty',
          '--approval-default',
          'allow',
        ],
        env,
      ),
    ).toMatchObject({
      configFile: 'mine.json',
      port: 1,
      host: 'localhost',
      logLevel: 'error',
      logFormat: 'pretty',
      approvalDefault: 'allow',
    });
  });

  it("treats empty environment variables as unset, except the key's: an empty key is a mistake", () => {
    expect(parseCliArgs([], { MCP_GATEWAY_PORT: '', MCP_GATEWAY_CONFIG: '', MCP_GATEWAY_APPROVAL_DEFAULT: '' })).toEqual(DEFAULTS);
    for (const name of ['MCP_GATEWAY_API_KEY', 'MCP_GATEWAY_API_KEY_FILE']) {
      for (const value of ['', ' \t\n']) expect(() => parseCliArgs([], { [name]: value })).toThrow(`${name} is set but empty`);
    }
  });

  it('answers --help even when the environment holds a bad value', () => {
    expect(parseCliArgs(['--help'], { MCP_GATEWAY_PORT: 'nope' }).help).toBe(true);
  });
});

describe('quick mode', () => {
  it('takes a command and its arguments after --, unparsed', () => {
    const options = parseCliArgs(['-p', '9000', '--', 'npx', '-y', '@modelcontextprotocol/server-everything', '--port', '1'], {});
    expect(options.port).toBe(9000);
    expect(options.quick).toEqual({
      name: 'server-everything',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-everything', '--port', '1'],
    });
  });

  it.each<[string[], CliOptions['quick']]>([
    [['--', 'https://mcp.example.com/mcp'], { name: 'mcp-example-com', url: 'https://mcp.example.com/mcp', transport: 'streamable-http' }],
    [['--', 'http://127.0.0.1:9000/sse'], { name: '127-0-0-1', url: 'http://127.0.0.1:9000/sse', transport: 'sse' }],
    [
      ['--transport', 'sse', '--', 'https://example.com/events'],
      { name: 'example-com-events', url: 'https://example.com/events', transport: 'sse' },
    ],
    [
      ['--transport', 'streamable-http', '--', 'https://example.com/sse'],
      { name: 'example-com', url: 'https://example.com/sse', transport: 'streamable-http' },
    ],
    [['--name', 'my_srv-1', '--', 'uvx', 'mcp-server-time'], { name: 'my_srv-1', command: 'uvx', args: ['mcp-server-time'] }],
  ])('%j', (argv, quick) => {
    expect(parseCliArgs(argv, {}).quick).toEqual(quick);
  });

  it('takes --approval-default with a server after --', () => {
    expect(parseCliArgs(['--approval-default', 'allow', '--', 'my-server'], {})).toMatchObject({
      approvalDefault: 'allow',
      quick: { name: 'my-server', command: 'my-server', args: [] },
    });
  });

  it('ignores MCP_GATEWAY_CONFIG when a server follows --', () => {
    const options = parseCliArgs(['--', 'my-server'], { MCP_GATEWAY_CONFIG: '/etc/gw.json' });
    expect(options.configFile).toBeUndefined();
    expect(options.quick).toEqual({ name: 'my-server', command: 'my-server', args: [] });
  });
});

describe('usage errors', () => {
  it.each<[string[], NodeJS.ProcessEnv, string]>([
    [['--bogus'], {}, 'unknown option --bogus'],
    [['-x'], {}, 'unknown option -x'],
    [['--api-key', 'k'], {}, 'MCP_GATEWAY_API_KEY'],
    [['--config'], {}, '--config needs a value'],
    [['-c', '-p', '80'], {}, '-c needs a value'],
    [['--help=yes'], {}, '--help does not take a value'],
    [['serve'], {}, 'unexpected argument "serve"'],
    [['--port', 'abc'], {}, '--port must be an integer from 0 to 65535, got "abc"'],
    [['--port', '65536'], {}, '--port must be an integer from 0 to 65535, got "65536"'],
    [['--port=-1'], {}, '--port must be an integer from 0 to 65535, got "-1"'],
    [['-p', '1.5'], {}, '--port must be an integer from 0 to 65535, got "1.5"'],
    [[], { MCP_GATEWAY_PORT: 'http' }, 'MCP_GATEWAY_PORT must be an integer from 0 to 65535, got "http"'],
    [['--host='], {}, '--host needs a non-empty value'],
    [['--log-level', 'loud'], {}, '--log-level must be one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
    [[], { MCP_GATEWAY_LOG_LEVEL: 'verbose' }, 'MCP_GATEWAY_LOG_LEVEL must be one of'],
    [['--log-format', 'colour'], {}, '--log-format must be one of auto, pretty, json, got "colour"'],
    [[], { MCP_GATEWAY_LOG_FORMAT: 'text' }, 'MCP_GATEWAY_LOG_FORMAT must be one of auto, pretty, json, got "text"'],
    [['--config', 'gw.json', '--', 'npx', 'srv'], {}, 'give either --config FILE or a server after --, not both'],
    [['--'], {}, 'nothing after "--"'],
    [['--transport', 'sse'], {}, '--transport only applies to a server URL after --'],
    [['--transport', 'sse', '--', 'npx', 'srv'], {}, '--transport only applies to a server URL after --'],
    [['--transport', 'websocket', '--', 'https://example.com/mcp'], {}, '--transport must be sse or streamable-http, got "websocket"'],
    [['--name', 'x'], {}, '--name only applies to a server after --'],
    [['--name', 'bad name', '--', 'srv'], {}, '--name must match ^[A-Za-z0-9_-]{1,64}$'],
    [['--name', 'api', '--', 'srv'], {}, '--name: server name must not be one of "api", "ui", "static"'],
    [['--', 'https://example.com/mcp', 'extra'], {}, 'a server URL takes no arguments, got "extra"'],
    [['--', 'http://'], {}, 'the server URL after "--" is not a valid URL'],
    [['--approval-default', 'maybe'], {}, '--approval-default must be one of allow, ask, deny, got "maybe"'],
    [['--approval-default'], {}, '--approval-default needs a value'],
    [['--approval-default='], {}, '--approval-default needs a non-empty value'],
    [[], { MCP_GATEWAY_APPROVAL_DEFAULT: 'yes' }, 'MCP_GATEWAY_APPROVAL_DEFAULT must be one of allow, ask, deny, got "yes"'],
    [
      ['--approval-default', 'allowed'],
      { MCP_GATEWAY_APPROVAL_DEFAULT: 'allow' },
      '--approval-default must be one of allow, ask, deny, got "allowed"',
    ],
  ])('%j %j', (argv, env, message) => {
    const text = usageError(argv, env);
    expect(text).toContain(message);
    expect(text).not.toContain('\n');
  });

  it('is a named Error', () => {
    const error = new CliUsageError('x');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CliUsageError');
  });
});

describe('deriveServerName', () => {
  it.each<[string, string[], string]>([
    ['npx', ['-y', '@modelcontextprotocol/server-everything'], 'server-everything'],
    ['uvx', ['mcp-server-time', '--local-timezone=UTC'], 'mcp-server-time'],
    ['node', ['./build/index.js'], 'index'],
    ['/usr/bin/my-server', [], 'my-server'],
    ['docker', ['run', '-i', '--rm', 'mcp/fetch'], 'fetch'],
    ['npx', ['-y', '@scope/pkg@1.2.3'], 'pkg'],
    ['bunx', ['some-server@latest'], 'some-server'],
    ['pnpm', ['dlx', 'tool-server'], 'tool-server'],
    ['uv', ['run', 'server.py'], 'server'],
    ['python3', ['-m', 'mcp_server_fetch'], 'mcp_server_fetch'],
    ['deno', ['run', '-A', 'main.ts'], 'main'],
    ['yarn', ['exec', '--', 'x.mjs'], 'x'],
    ['npx', ['-y'], 'npx'],
    ['./my server!.js', [], 'my-server'],
    ['...', [], 'server'],
    ['a'.repeat(70), [], 'a'.repeat(64)],
    ['https://mcp.example.com/mcp', [], 'mcp-example-com'],
    ['https://example.com/github/mcp', [], 'example-com-github'],
    ['http://localhost:3000/sse', [], 'localhost'],
    ['https://example.com', [], 'example-com'],
    ['/opt/bin/api', [], 'api-server'],
    ['npx', ['-y', 'ui'], 'ui-server'],
  ])('%s %j → %s', (command, args, name) => {
    expect(deriveServerName(command, args)).toBe(name);
  });
});

describe('HELP_TEXT', () => {
  it('lists every option, its environment variable and the defaults', () => {
    for (const word of [
      '--config',
      '-c',
      '--port',
      '-p',
      '--host',
      '--state-dir',
      '--api-key-file',
      '--log-level',
      '--log-format',
      '--name',
      '--transport',
      '--allowed-host',
      '--insecure-no-auth',
      '--approval-default',
      '--help',
      '-h',
      '--version',
      '-v',
      'MCP_GATEWAY_CONFIG',
      'MCP_GATEWAY_PORT',
      'MCP_GATEWAY_HOST',
      'MCP_GATEWAY_STATE_DIR',
      'MCP_GATEWAY_API_KEY_FILE',
      'MCP_GATEWAY_API_KEY',
      'MCP_GATEWAY_LOG_LEVEL',
      'MCP_GATEWAY_LOG_FORMAT',
      'auto|pretty|json',
      'MCP_GATEWAY_APPROVAL_DEFAULT',
      'allow|ask|deny',
      '8085',
      '127.0.0.1',
      './.mcp-gateway',
      'default info',
      'Examples:',
    ]) {
      expect(HELP_TEXT).toContain(word);
    }
  });
});
