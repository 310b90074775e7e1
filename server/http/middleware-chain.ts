/**
 * The fronts served before Express (the tool calls, the MCP endpoint) run the app's shared
 * middlewares themselves, in order, then their handler. Whatever fails on the way — a middleware
 * that throws or passes an error on, or the handler's promise — is answered as a problem
 * (`sendError`, which only ends an answer that has already begun).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './problems.js';
import type { Middleware } from './request-log.js';

export function runMiddlewares(
  req: IncomingMessage,
  res: ServerResponse,
  middlewares: readonly Middleware[],
  handle: () => Promise<void>,
): void {
  let index = 0;
  const next = (error?: unknown): void => {
    if (error !== undefined) return sendError(req, res, error);
    const middleware = middlewares[index++];
    if (!middleware) {
      handle().catch((failure: unknown) => sendError(req, res, failure));
      return;
    }
    try {
      middleware(req, res, next);
    } catch (failure) {
      sendError(req, res, failure);
    }
  };
  next();
}
