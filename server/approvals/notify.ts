/**
 * Webhooks fired when a tool call waits for a person's approval (`approval.notify` in the config).
 *
 * Each target gets one `POST` with the JSON body
 *
 *   { "event": "approval.created", "id", "server", "tool", "caller", "createdAt", "expiresAt", "path" }
 *
 * where `path` is relative to the gateway's base URL ("/approvals/apr_..."). The body never holds
 * the call's argument values. Headers:
 *
 *   Content-Type: application/json
 *   User-Agent: mcp-gateway
 *   X-MCP-Gateway-Event: approval.created
 *   Title: Approval needed: <server>/<tool>     (for ntfy, https://docs.ntfy.sh/publish/; printable
 *   Tags: lock                                   ASCII only, at most 200 characters)
 *   Priority: high
 *
 * With a `secretFile`, the request is signed as well:
 *
 *   X-MCP-Gateway-Timestamp: <unix seconds>
 *   X-MCP-Gateway-Signature: sha256=<hex HMAC-SHA256, keyed with the secret, of timestamp + "." + body>
 *
 * To verify, a receiver computes HMAC-SHA256(secret, `${timestamp}.${rawBody}`) over the exact body
 * bytes as received (before any JSON parsing), compares it in constant time with the hex after
 * "sha256=", and rejects timestamps too far from its own clock (to refuse replays).
 *
 * Delivery is fire-and-forget, best effort and never retried: a redirect (not followed), any other
 * non-2xx answer, a network error or a timeout (default 5 s) is logged as one warning naming the
 * target by origin and path only (its query string may carry a token), and the notice is dropped.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from '../logging/logger.js';

/** One `approval.notify` entry as resolved by the config loader. */
export interface NotifyTarget {
  url: string;
  /** The secret file's content; undefined without secretFile. */
  secret?: string;
}

export interface ApprovalNotice {
  /** Approval id, e.g. "apr_...". */
  id: string;
  server: string;
  tool: string;
  /** The caller's label, e.g. "Open WebUI key". */
  caller: string;
  /** ISO time. */
  createdAt: string;
  /** ISO time. */
  expiresAt: string;
  /** Where to decide, relative to the gateway's base: "/approvals/apr_...". */
  path: string;
}

export const NOTIFY_EVENT = 'approval.created';
export const DEFAULT_NOTIFY_TIMEOUT_MS = 5000;
const MAX_HEADER_LENGTH = 200;

/** A header value that cannot inject headers: printable ASCII only, at most 200 characters. */
export function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]+/g, '?').trim().slice(0, MAX_HEADER_LENGTH);
}

/** Hex HMAC-SHA256 of `${timestamp}.${body}`, as sent in X-MCP-Gateway-Signature after "sha256=". */
export function signNotice(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

export class ApprovalNotifier {
  private readonly pending = new Set<Promise<void>>();
  private readonly timeoutMs: number;

  constructor(
    private readonly targets: () => readonly NotifyTarget[],
    private readonly logger: Logger,
    options: { timeoutMs?: number } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS;
  }

  /** Fire-and-forget: returns at once; never throws; failures are logged (warn) without the URL's query string, secrets or argument values. */
  approvalCreated(notice: ApprovalNotice): void {
    try {
      const targets = this.targets();
      if (targets.length === 0) return;
      // Only the known fields, so nothing else riding on the object (arguments, say) is ever sent.
      const body = JSON.stringify({
        event: NOTIFY_EVENT,
        id: notice.id,
        server: notice.server,
        tool: notice.tool,
        caller: notice.caller,
        createdAt: notice.createdAt,
        expiresAt: notice.expiresAt,
        path: notice.path,
      });
      const title = headerSafe(`Approval needed: ${notice.server}/${notice.tool}`);
      for (const target of targets) {
        const delivery = this.deliver(target, body, title, notice.id);
        this.pending.add(delivery);
        void delivery.finally(() => this.pending.delete(delivery));
      }
    } catch (error) {
      this.logger.warn({ approval: notice?.id, error: errorCode(error) }, 'approval notification failed');
    }
  }

  /** Resolves when every delivery started so far has settled (for tests and shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async deliver(target: NotifyTarget, body: string, title: string, approval: string): Promise<void> {
    let where = 'invalid URL';
    try {
      // Never log the URL itself: the query string (or user info) may carry a token.
      const url = new URL(target.url);
      where = url.origin + url.pathname;
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        this.logger.warn({ approval, target: where, error: 'unsupported protocol' }, `approval notification to ${where} failed`);
        return;
      }
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'User-Agent': 'mcp-gateway',
        'X-MCP-Gateway-Event': NOTIFY_EVENT,
        Title: title,
        Tags: 'lock',
        Priority: 'high',
      };
      if (target.secret) {
        const timestamp = String(Math.floor(Date.now() / 1000));
        headers['X-MCP-Gateway-Timestamp'] = timestamp;
        headers['X-MCP-Gateway-Signature'] = `sha256=${signNotice(target.secret, timestamp, body)}`;
      }
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // The answer's body is of no interest; release the connection.
      await response.body?.cancel().catch(() => {});
      if (response.status < 200 || response.status > 299) {
        this.logger.warn({ approval, target: where, status: response.status }, `approval notification to ${where} failed`);
      }
    } catch (error) {
      this.logger.warn({ approval, target: where, error: errorCode(error) }, `approval notification to ${where} failed`);
    }
  }
}

/** A short code for a failure (never its message, which may quote the URL). */
function errorCode(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timeout';
    if (error.name === 'AbortError') return 'aborted';
    const cause = (error as { cause?: unknown }).cause;
    const code = (cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    return error.name;
  }
  return 'unknown error';
}
