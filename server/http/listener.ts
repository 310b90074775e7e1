/**
 * The gateway's HTTP server (`node:http`, around `buildApp`'s listener), with the limits that keep
 * slow or greedy clients from holding it (`gateway.*`, applied again after each config reload):
 * - `maxConnections`: more open connections are closed as they arrive (and logged, at most once a minute);
 * - `headersTimeoutMs`: a connection that has not sent a request's headers by then is closed —
 *   a socket opened and left idle, or a slowloris trickling headers, never gets to authenticate;
 * - `requestTimeoutMs`: a request whose body has not fully arrived by then gets 408 and is closed.
 *   It bounds receiving the request only: a long tool call or event stream is not cut.
 *
 * Node checks both timeouts on a timer (`connectionsCheckingInterval`, fixed when the server is
 * made): a quarter of the smaller one, from 25 ms to 1 s, so that a limit holds to within that.
 */
import http from 'node:http';
import type { Logger } from 'pino';
import type { GatewaySettings } from '../config/types.js';

export type ListenerLimits = Pick<GatewaySettings, 'maxConnections' | 'headersTimeoutMs' | 'requestTimeoutMs'>;

/** How often refused connections are logged, at most, in ms. */
const DROP_LOG_INTERVAL_MS = 60_000;

export function createListener(app: http.RequestListener, limits: ListenerLimits, logger: Logger): http.Server {
  const server = http.createServer(
    {
      ...timeouts(limits),
      connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4))),
    },
    app,
  );
  applyLimits(server, limits);
  let lastDropLog = 0;
  let dropped = 0;
  server.on('drop', () => {
    dropped++;
    const now = Date.now();
    if (now - lastDropLog < DROP_LOG_INTERVAL_MS) return;
    logger.warn(
      { dropped, maxConnections: server.maxConnections },
      `refused connections beyond gateway.maxConnections (${server.maxConnections})`,
    );
    lastDropLog = now;
    dropped = 0;
  });
  return server;
}

/** Applies (changed) limits to a running server: they hold for new connections and the next timeout check. */
export function applyLimits(server: http.Server, limits: ListenerLimits): void {
  server.maxConnections = limits.maxConnections;
  Object.assign(server, timeouts(limits));
}

/** Node requires the headers timeout not to exceed the request timeout. */
function timeouts(limits: ListenerLimits): { headersTimeout: number; requestTimeout: number } {
  return { headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs), requestTimeout: limits.requestTimeoutMs };
}
