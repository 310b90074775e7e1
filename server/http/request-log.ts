/**
 * A request id for every request (`X-Request-Id`, echoed back) and one log line per response,
 * unless the request logged a line of its own (a tool call does: see `ownLogLine`). Routine
 * requests that a page or a probe repeats (static files, the nav's approvals badge, health
 * probes) are logged at `debug`, so that `info` shows what people and agents do.
 *
 * The middlewares in this folder take plain `node:http` requests and responses, so that the
 * tool-call front (call-front.ts) and the Express app share them.
 */
import { IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { newRequestId } from '../calls/call-id.js';
import './request-context.js';

/** A plain `node:http` middleware; Express accepts it as is. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The path of a request URL, without the query. */
export function pathOf(req: IncomingMessage): string {
  return pathOfUrl(req.url ?? '/');
}

function pathOfUrl(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** A user's connect link (`/ui/oauth/connect/{token}`, base-path.ts): its token is a credential. */
const CONNECT_LINK_PREFIX = '/ui/oauth/connect/';

/** The path as the log shows it: a connect link's token is left out (`/ui/oauth/connect/[redacted]`). */
export function loggedPath(path: string): string {
  return path.startsWith(CONNECT_LINK_PREFIX) ? `${CONNECT_LINK_PREFIX}[redacted]` : path;
}

/** Says that this request writes its own log line (with its request id), so the generic one is left out. */
export function ownLogLine(req: IncomingMessage): void {
  req.ownLogLine = true;
}

/** Paths requested over and over by pages and probes, not by a person's action. */
const ROUTINE_PATHS: ReadonlySet<string> = new Set(['/ui/approvals/badge', '/healthz', '/readyz']);

/** Whether a request is routine (logged at `debug`): a GET or HEAD of a static file, the badge poll or a health probe. */
export function isRoutineRequest(method: string | undefined, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && (path.startsWith('/static/') || ROUTINE_PATHS.has(path));
}

/** The logger a request's `log` is made from (set by `requestLog`), and that `log` once made. */
const BASE_LOG = Symbol('base logger');
const LOG = Symbol('request logger');
type WithLog = IncomingMessage & { [BASE_LOG]?: Logger; [LOG]?: Logger };

// `req.log` (a child logger with the request id) is made on first use: most requests, tool calls
// among them, never log through it, and making a pino child costs a few microseconds per request.
Object.defineProperty(IncomingMessage.prototype, 'log', {
  configurable: true,
  get(this: WithLog): Logger | undefined {
    return (this[LOG] ??= this[BASE_LOG]?.child({ reqId: this.id }));
  },
  set(this: WithLog, logger: Logger) {
    this[LOG] = logger;
  },
});

/** When the request came in (`performance.now()`) and its URL as it arrived, for its log line. */
const STARTED = Symbol('started');
const ARRIVED_URL = Symbol('arrived url');
type Logged = WithLog & { [STARTED]: number; [ARRIVED_URL]: string };

/**
 * The generic log line of a finished response (a `finish` listener, one function for all
 * requests: a closure per request was garbage on every tool call, which never uses it).
 */
function logResponse(this: ServerResponse): void {
  const req = this.req as Logged;
  if (req.ownLogLine) return;
  const ms = performance.now() - req[STARTED];
  const path = loggedPath(pathOfUrl(req[ARRIVED_URL]));
  const level = isRoutineRequest(req.method, path) ? 'debug' : 'info';
  // Through the base logger, not `req.log`: the same line, without making a child logger for it.
  req[BASE_LOG]![level]({ reqId: req.id, method: req.method, path, status: this.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
}

export function requestLog(logger: Logger): Middleware {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && VALID_ID.test(incoming) ? incoming : newRequestId();
    req.id = id;
    const logged = req as Logged;
    logged[BASE_LOG] = logger;
    logged[STARTED] = performance.now();
    // As it arrived (less the base path): a mounted router rewrites req.url while it handles it.
    logged[ARRIVED_URL] = req.url ?? '/';
    res.setHeader('X-Request-Id', id);
    res.on('finish', logResponse);
    next();
  };
}
