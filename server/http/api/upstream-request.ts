/**
 * A request to an upstream server other than a tool call (a resource read, a prompt, a completion),
 * made by a management route: the server looked up (404 `server-not-found`), the request sent with
 * the server's `timeoutMs` and cancelled when the client goes away, its failure turned into a
 * problem as a tool call's would be (503 `server-unavailable`, 504 `timeout`, 502 `upstream-error`
 * / `result-too-large`), and its answer held to `gateway.maxResultBytes` like a tool's result.
 * These requests are not tool calls: no approval policy, no concurrency slot, no activity entry.
 */
import type { Response } from 'express';
import { ProblemError, UPSTREAM_ANSWERED_TITLE } from '../../errors.js';
import type { UpstreamConnection } from '../../upstream/connection.js';
import type { Supervisor } from '../../upstream/supervisor.js';
import { UpstreamCallError, type RequestOptions } from '../../upstream/types.js';

export function connectionNamed(supervisor: Supervisor, name: string): UpstreamConnection {
  const connection = supervisor.get(name);
  if (!connection) throw new ProblemError('server-not-found', `no server named "${name}"`);
  return connection;
}

/**
 * Sends `send` upstream with the server's timeout, cancelled when the client goes away. `what`
 * names the request in problems ("reading demo://x"); `notFound` is the problem a JSON-RPC error of
 * the server becomes (a resource or prompt it does not have), else `upstream-error`.
 */
export async function upstreamRequest<T>(
  res: Response,
  connection: UpstreamConnection,
  what: string,
  send: (options: RequestOptions) => Promise<T>,
  notFound?: 'resource-not-found' | 'prompt-not-found',
): Promise<T> {
  const aborter = new AbortController();
  const cancel = () => {
    if (!res.writableFinished) aborter.abort();
  };
  res.on('close', cancel);
  const timeoutMs = connection.currentConfig.timeoutMs;
  try {
    return await send({ timeoutMs, signal: aborter.signal });
  } catch (error) {
    throw requestProblem(error, connection.name, what, timeoutMs, notFound);
  } finally {
    res.off('close', cancel);
  }
}

function requestProblem(
  error: unknown,
  server: string,
  what: string,
  timeoutMs: number,
  notFound: 'resource-not-found' | 'prompt-not-found' | undefined,
): ProblemError {
  if (!(error instanceof UpstreamCallError))
    return new ProblemError('upstream-error', error instanceof Error ? error.message : String(error));
  switch (error.kind) {
    case 'not-ready':
      return new ProblemError('server-unavailable', error.message, { retryAfter: 2 });
    case 'timeout':
      return new ProblemError('timeout', `${what} on server "${server}" took longer than ${timeoutMs} ms; it was cancelled`);
    case 'cancelled':
      return new ProblemError('cancelled', `${what} was cancelled (the client went away)`);
    case 'too-large':
      return new ProblemError('result-too-large', `the answer to ${what} was dropped: ${error.message}`);
    case 'invalid-params':
    case 'server-error':
      // MCP servers answer an unknown resource with -32002 (or invalid params, as the SDK's McpServer does).
      if (notFound) return new ProblemError(notFound, `server "${server}" answered ${what}: ${error.message}`);
      return new ProblemError('upstream-error', error.message, { title: UPSTREAM_ANSWERED_TITLE });
    default:
      return new ProblemError('upstream-error', error.message);
  }
}

/** The answer as JSON text, refused as `result-too-large` beyond `maxBytes` (`gateway.maxResultBytes`). */
export function limitedJson(value: unknown, maxBytes: number, what: string): string {
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) {
    throw new ProblemError('result-too-large', `the answer to ${what} is ${bytes} bytes, more than gateway.maxResultBytes (${maxBytes})`, {
      size: bytes,
      limit: maxBytes,
    });
  }
  return json;
}
