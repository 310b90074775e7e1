/**
 * Writes problem details (server/errors.ts, the one catalog) as HTTP responses
 * (`application/problem+json`), and JSON answers on a plain `node:http` response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROBLEMS, ProblemError, problemBody, type ProblemType } from '../errors.js';
import { isSqliteError, stateDatabaseErrorText } from '../state/db.js';

/** Answers with a problem document. Works on a plain `node:http` response as well as Express's. */
export function sendProblem(res: ServerResponse, type: ProblemType, detail?: string, extra: Record<string, unknown> = {}): void {
  if (typeof extra.retryAfter === 'number') res.setHeader('Retry-After', String(extra.retryAfter));
  sendJson(res, PROBLEMS[type].status, JSON.stringify(problemBody(type, detail, extra)), 'application/problem+json');
}

/** Answers with JSON text on a plain `node:http` response. */
export function sendJson(res: ServerResponse, status: number, json: string, type = 'application/json'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', `${type}; charset=utf-8`);
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}

/** Answers a failed request: a `ProblemError` as its problem, anything else as a logged `internal-error`. */
export function sendError(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    req.log.error({ err: error }, 'error after the answer had started');
    res.end();
    return;
  }
  if (error instanceof ProblemError) {
    sendProblem(res, error.type, error.detail, error.extra);
    return;
  }
  // Express's router cannot decode a path parameter (`/api/calls/%E0%A4%A`): the client's mistake.
  if (error instanceof URIError && (error as URIError & { status?: number }).status === 400) {
    sendProblem(res, 'invalid-path', 'the path is not valid percent-encoding');
    return;
  }
  if (isSqliteError(error)) {
    // The state database failed (damaged, locked, full…): one line saying which file and what to do, no stack.
    req.log.error({ code: error.code }, stateDatabaseErrorText(error));
  } else {
    req.log.error({ err: error }, 'unhandled error');
  }
  sendProblem(res, 'internal-error', `something went wrong; see the gateway log for request ${req.id}`);
}
