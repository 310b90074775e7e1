/** Starts a real gateway in-process (real servers, real SQLite file) for supertest. */
import path from 'node:path';
import { tempDir } from './temp.js';
import { waitUntil } from './process.js';
import { parseConfigText } from '../../server/config/load.js';
import type { Pairings } from '../../server/auth/pairing.js';
import { gatewayServices, startGateway, type Gateway } from '../../server/gateway.js';
import { buildApp, type GatewayApp } from '../../server/http/app.js';
import { createLogger, type Logger } from '../../server/logging/logger.js';
import type { Supervisor } from '../../server/upstream/supervisor.js';
import type { ServerState, ServerStatus } from '../../server/upstream/types.js';

export const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures');
export const fixture = (name: string) => path.join(FIXTURES, name);
export const EVERYTHING_BIN = path.resolve(
  import.meta.dirname,
  '..',
  '..',
  'node_modules',
  '@modelcontextprotocol',
  'server-everything',
  'dist',
  'index.js',
);

/** Gateway settings that keep tests quick: short backoff and grace, no background pings. */
export const FAST = { backoffInitialMs: 100, backoffMaxMs: 1000, stopGraceMs: 2000, pingIntervalMs: 0 };

export { tempDir } from './temp.js';

export interface TestGateway {
  gateway: Gateway;
  supervisor: Supervisor;
  app: GatewayApp;
  stateDir: string;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  stateDir?: string;
  apiKey?: string;
  allowedHosts?: string[];
  restrictHosts?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The config file's top-level `approval` section, for kits that build the config (`callKit`). */
  approval?: object;
  /** The pairing manager (to give it a clock the test controls). */
  pairings?: Pairings;
  /** Where the gateway logs (default: nowhere, unless TEST_LOG_LEVEL is set). */
  logger?: Logger;
}

/** `fileConfig` is what a config file would hold; it goes through the real loader. */
export async function startTestGateway(fileConfig: object, options: TestGatewayOptions = {}): Promise<TestGateway> {
  const stateDir = options.stateDir ?? tempDir();
  const config = parseConfigText(JSON.stringify(fileConfig), path.join(stateDir, 'config.json'), options.env ?? process.env);
  const logger = options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const gateway = await startGateway({ config, stateDir, logger, version: 'test', pairings: options.pairings });
  const app = buildApp({
    ...gatewayServices(gateway),
    logger,
    version: 'test',
    security: { apiKey: options.apiKey, allowedHosts: options.allowedHosts, restrictHosts: options.restrictHosts },
  });
  return {
    gateway,
    supervisor: gateway.supervisor,
    app,
    stateDir,
    close: async () => {
      await app.close();
      await gateway.close();
    },
  };
}

/**
 * Resolves with the server's status as soon as `want` holds (a state, or a predicate), checking
 * at once and on every change event; rejects after `timeoutMs` with the last status seen.
 */
export function waitForServer(
  supervisor: Supervisor,
  name: string,
  want: ServerState | ((status: ServerStatus) => boolean),
  timeoutMs = 15_000,
): Promise<ServerStatus> {
  const test = typeof want === 'function' ? want : (status: ServerStatus) => status.state === want;
  return new Promise((resolve, reject) => {
    const current = supervisor.status(name);
    if (current && test(current)) return resolve(current);
    const onChange = (status: ServerStatus) => {
      if (status.name !== name || !test(status)) return;
      cleanup();
      resolve(status);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(`server ${name} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(supervisor.status(name))}`),
      );
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      supervisor.off('change', onChange);
    };
    supervisor.on('change', onChange);
  });
}

/** Waits until a line of a server's stderr (its status's `stderrTail`) contains `text`. */
export function waitForStderr(supervisor: Supervisor, name: string, text: string, what: string, timeoutMs = 10_000): Promise<unknown> {
  const seen = () =>
    supervisor
      .get(name)!
      .status()
      .stderrTail.some((line) => line.includes(text));
  return waitUntil(seen, timeoutMs, what);
}

/** Records every state a server goes through, from now on. */
export function recordStates(supervisor: Supervisor, name: string): ServerState[] {
  const states: ServerState[] = [];
  supervisor.on('change', (status) => {
    if (status.name === name && states[states.length - 1] !== status.state) states.push(status.state);
  });
  return states;
}
