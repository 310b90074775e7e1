/**
 * Webhooks fired when a tool call waits for a person's approval (`approval.notify` in the config).
 *
 * Each target gets a `POST` with the JSON body
 *
 *   { "event": "approval.created", "id", "server", "tool", "caller", "createdAt", "expiresAt", "path", "count" }
 *
 * where `path` is relative to the gateway's base URL ("/approvals/apr_..."). The body never holds
 * the call's argument values. Headers:
 *
 *   Content-Type: application/json
 *   User-Agent: mcp-gateway
 *   X-MCP-Gateway-Event: approval.created
 *   Title: Approval needed: <server>/<tool>     (for ntfy, https://docs.ntfy.sh/publish/; printable
 *   Tags: lock                                   ASCII only, at most 200 characters; with a count
 *   Priority: high                               above 1: "<count> approvals needed, newest: …")
 *
 * One caller must not be able to flood a phone: a target (told apart by its URL) gets at most one
 * notice per `approval.notifyIntervalMs` (default 30 s, read at each approval). The first goes out
 * at once; approvals created within the interval after it are folded into one notice, sent when the
 * interval is up, that names the newest of them and carries their `count` (1 in a notice of its
 * own). At shutdown a fold not yet sent is dropped, and logged: the gateway stopped, so the
 * approvals it names were interrupted and there is nothing left to decide.
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
/** Least time between two notices to one target, in ms, when the caller gives none (as `approval.notifyIntervalMs`). */
export const DEFAULT_NOTIFY_INTERVAL_MS = 30_000;
const MAX_HEADER_LENGTH = 200;

/** A header value that cannot inject headers: printable ASCII only, at most 200 characters. */
export function headerSafe(text: string): string {
  return text
    .replace(/[^\x20-\x7e]+/g, '?')
    .trim()
    .slice(0, MAX_HEADER_LENGTH);
}

/** Hex HMAC-SHA256 of `${timestamp}.${body}`, as sent in X-MCP-Gateway-Signature after "sha256=". */
export function signNotice(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** Approvals folded into the next notice to one target. */
interface Fold {
  count: number;
  newest: ApprovalNotice;
  timer: NodeJS.Timeout;
}

/** What a target was last sent, and what waits to be sent to it. */
interface TargetState {
  lastSentAt: number;
  fold?: Fold;
}

export class ApprovalNotifier {
  private readonly pending = new Set<Promise<void>>();
  private readonly timeoutMs: number;
  private readonly intervalMs: () => number;
  /** By target URL. */
  private readonly states = new Map<string, TargetState>();
  private closed = false;

  constructor(
    private readonly targets: () => readonly NotifyTarget[],
    private readonly logger: Logger,
    /** `timeoutMs`: per delivery, default 5000; `intervalMs`: read at each approval, default 30000. */
    options: { timeoutMs?: number; intervalMs?: () => number } = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS;
    this.intervalMs = options.intervalMs ?? (() => DEFAULT_NOTIFY_INTERVAL_MS);
  }

  /**
   * Fire-and-forget: returns at once; never throws; failures are logged (warn) without the URL's
   * query string, secrets or argument values. A target notified less than the interval ago gets
   * this approval folded into its next notice.
   */
  approvalCreated(notice: ApprovalNotice): void {
    try {
      if (this.closed) return;
      const targets = this.targets();
      this.forgetOthers(targets);
      if (targets.length === 0) return;
      const now = Date.now();
      const interval = this.intervalMs();
      for (const target of targets) {
        const state = this.states.get(target.url);
        if (state?.fold) {
          state.fold.count++;
          state.fold.newest = notice;
        } else if (state && now - state.lastSentAt < interval) {
          const timer = setTimeout(() => this.sendFold(target.url), state.lastSentAt + interval - now);
          timer.unref();
          state.fold = { count: 1, newest: notice, timer };
        } else {
          this.states.set(target.url, { lastSentAt: now });
          this.send(target, notice, 1);
        }
      }
    } catch (error) {
      this.logger.warn({ approval: notice?.id, error: errorCode(error) }, 'approval notification failed');
    }
  }

  /**
   * Stops notifying (at shutdown): folds not sent yet are dropped and logged, since the approvals
   * they name were interrupted with the gateway. Deliveries under way go on: await `idle()`.
   */
  close(): void {
    this.closed = true;
    for (const [url, state] of this.states) {
      if (!state.fold) continue;
      clearTimeout(state.fold.timer);
      const where = targetName(url);
      this.logger.info(
        { target: where, count: state.fold.count },
        `dropped the approval notice to ${where} for ${state.fold.count} approvals: the gateway stopped, so they were interrupted`,
      );
    }
    this.states.clear();
  }

  /** Resolves when every delivery started so far has settled (for tests and shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** Sends the fold of a target whose interval is up. */
  private sendFold(url: string): void {
    const state = this.states.get(url);
    const fold = state?.fold;
    if (!state || !fold) return;
    state.fold = undefined;
    const target = this.targets().find((candidate) => candidate.url === url);
    if (!target) {
      const where = targetName(url);
      this.logger.info(
        { target: where, count: fold.count },
        `dropped the approval notice to ${where}: it is no longer an approval.notify target`,
      );
      this.states.delete(url);
      return;
    }
    state.lastSentAt = Date.now();
    this.send(target, fold.newest, fold.count);
  }

  /** Forgets the targets a reload removed (their folds are sent, or dropped, when due). */
  private forgetOthers(targets: readonly NotifyTarget[]): void {
    for (const [url, state] of this.states) {
      if (!state.fold && !targets.some((target) => target.url === url)) this.states.delete(url);
    }
  }

  private send(target: NotifyTarget, notice: ApprovalNotice, count: number): void {
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
      count,
    });
    const name = `${notice.server}/${notice.tool}`;
    const title = headerSafe(count > 1 ? `${count} approvals needed, newest: ${name}` : `Approval needed: ${name}`);
    const delivery = this.deliver(target, body, title, notice.id);
    this.pending.add(delivery);
    void delivery.finally(() => this.pending.delete(delivery));
  }

  private async deliver(target: NotifyTarget, body: string, title: string, approval: string): Promise<void> {
    let where = 'invalid URL';
    try {
      const url = new URL(target.url);
      where = targetName(target.url);
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

/** A target as logs name it: origin and path only (never the URL: its query or user info may carry a token). */
function targetName(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.origin + parsed.pathname;
  } catch {
    return 'invalid URL';
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
