/**
 * A request to an upstream server other than a tool call (a resource read, a prompt, a completion),
 * made by a management route (the server looked up with `Supervisor.require`): the request sent with
 * the server's `timeoutMs` and cancelled when the client goes away, its failure turned into a
 * problem by the one mapping the UI uses too (`upstream/feature-requests.ts`: 503
 * `server-unavailable`, 504 `timeout`, 502 `upstream-error` / `result-too-large`), and its answer
 * held to `gateway.maxResultBytes` like a tool's result.
 * These requests are not tool calls: no approval policy, no concurrency slot, no activity entry.
 */
import type { Response } from 'express';
import type { UpstreamConnection } from '../../upstream/connection.js';
import { featureRequest, type FailedRequest } from '../../upstream/feature-requests.js';
import type { RequestOptions } from '../../upstream/types.js';

/**
 * Sends `send` upstream with the server's timeout, cancelled when the client goes away. `what`
 * names the request in problems ("reading demo://x"); `refused` is the problem a JSON-RPC error of
 * the server becomes (a resource or prompt it does not have), else `upstream-error`.
 */
export async function upstreamRequest<T>(
  res: Response,
  connection: UpstreamConnection,
  what: string,
  send: (options: RequestOptions) => Promise<T>,
  refused?: FailedRequest['refused'],
): Promise<T> {
  const aborter = new AbortController();
  const cancel = () => {
    if (!res.writableFinished) aborter.abort();
  };
  res.on('close', cancel);
  try {
    return await featureRequest(connection, { what, signal: aborter.signal, ...(refused ? { refused } : {}) }, send);
  } finally {
    res.off('close', cancel);
  }
}
