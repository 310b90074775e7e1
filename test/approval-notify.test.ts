// Approval webhooks over real HTTP: body, headers and signature, several targets, failing targets
// (500, no answer, closed port) that are logged once and never delay the caller, header
// injection through a hostile tool name, and notices folded per target within the interval.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApprovalNotifier, type ApprovalNotice, type NotifyTarget } from '../server/approvals/notify.js';
import { createLogger } from '../server/logging/logger.js';
import { waitUntil } from './helpers/process.js';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

interface Receiver {
  base: string;
  received: Received[];
  /** Requests that arrived, answered or not. */
  arrived: number;
  /** When each request of `received` arrived (epoch ms). */
  arrivedAt: number[];
  close(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A webhook receiver on 127.0.0.1; `answer` is the status to send, or 'never' to leave the request hanging. */
async function startReceiver(answer: number | 'never' = 204): Promise<Receiver> {
  const received: Received[] = [];
  const receiver = { received, arrived: 0, arrivedAt: [] as number[] } as Receiver;
  const server = http.createServer((req, res) => {
    receiver.arrived++;
    receiver.arrivedAt.push(Date.now());
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (answer !== 'never') res.writeHead(answer).end(answer === 204 ? undefined : 'nope');
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.base = `http://127.0.0.1:${port}`;
  receiver.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  cleanups.push(receiver.close);
  return receiver;
}

/** A port nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function setup(targets: NotifyTarget[], timeoutMs?: number) {
  const logText: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void logText.push(line) });
  const notifier = new ApprovalNotifier(() => targets, logger, timeoutMs === undefined ? undefined : { timeoutMs });
  cleanups.push(async () => notifier.close());
  const warnings = () =>
    logText
      .map((line) => JSON.parse(line) as { level: number; msg: string; target?: string; status?: number; error?: string })
      .filter((line) => line.level === 40);
  return { notifier, logText, warnings };
}

const notice: ApprovalNotice = {
  id: 'apr_abc123',
  server: 'files',
  tool: 'delete_file',
  caller: 'Open WebUI key',
  createdAt: '2025-01-02T03:04:05.000Z',
  expiresAt: '2025-01-02T03:09:05.000Z',
  path: '/approvals/apr_abc123',
};

describe('ApprovalNotifier', () => {
  it('posts the notice as JSON with the ntfy headers and an HMAC over timestamp.body', async () => {
    const receiver = await startReceiver();
    const secret = 'webhook-secret-xyz';
    const { notifier, warnings } = setup([{ url: `${receiver.base}/hooks/approvals`, secret }]);

    const before = Math.floor(Date.now() / 1000);
    notifier.approvalCreated(notice);
    await notifier.idle();

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received as [Received];
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hooks/approvals');
    expect(JSON.parse(request.body)).toEqual({ event: 'approval.created', ...notice, count: 1 });
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('mcp-gateway');
    expect(request.headers['x-mcp-gateway-event']).toBe('approval.created');
    expect(request.headers['title']).toBe('Approval needed: files/delete_file');
    expect(request.headers['tags']).toBe('lock');
    expect(request.headers['priority']).toBe('high');

    const timestamp = request.headers['x-mcp-gateway-timestamp'] as string;
    expect(timestamp).toMatch(/^\d+$/);
    expect(Number(timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(timestamp)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    const expected = createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex');
    expect(request.headers['x-mcp-gateway-signature']).toBe(`sha256=${expected}`);
    expect(warnings()).toEqual([]);
  });

  it('sends no signature without a secret', async () => {
    const receiver = await startReceiver();
    const { notifier, warnings } = setup([{ url: `${receiver.base}/plain` }]);
    notifier.approvalCreated(notice);
    await notifier.idle();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.headers['x-mcp-gateway-signature']).toBeUndefined();
    expect(receiver.received[0]!.headers['x-mcp-gateway-timestamp']).toBeUndefined();
    expect(warnings()).toEqual([]);
  });

  it('notifies every target', async () => {
    const first = await startReceiver(200);
    const second = await startReceiver(202);
    const { notifier, warnings } = setup([{ url: `${first.base}/a` }, { url: `${second.base}/b`, secret: 's' }]);
    notifier.approvalCreated(notice);
    await notifier.idle();
    expect(first.received.map((r) => r.url)).toEqual(['/a']);
    expect(second.received.map((r) => r.url)).toEqual(['/b']);
    expect(JSON.parse(first.received[0]!.body)).toEqual(JSON.parse(second.received[0]!.body));
    expect(warnings()).toEqual([]);
  });

  it('logs one warning per failing target (500, no answer, closed port) without delaying or throwing', async () => {
    const failing = await startReceiver(500);
    const hanging = await startReceiver('never');
    const port = await closedPort();
    const secret = 'top-secret-signing-key';
    const timeoutMs = 300;
    const { notifier, logText, warnings } = setup(
      [
        { url: `${failing.base}/fail?token=query-token-1`, secret },
        { url: `${hanging.base}/hang?token=query-token-2`, secret },
        { url: `http://127.0.0.1:${port}/gone?token=query-token-3`, secret },
      ],
      timeoutMs,
    );

    const started = Date.now();
    expect(() => notifier.approvalCreated(notice)).not.toThrow();
    expect(Date.now() - started).toBeLessThan(timeoutMs);
    // Returned before any delivery settled: nothing can have been logged yet.
    expect(logText).toEqual([]);
    let settled = false;
    const idle = notifier.idle().then(() => (settled = true));
    await waitUntil(() => hanging.arrived === 1, 5000, 'the hanging request');
    expect(settled).toBe(false);
    await idle;

    const lines = warnings();
    expect(lines).toHaveLength(3);
    const byTarget = new Map(lines.map((line) => [line.target, line]));
    expect(byTarget.get(`${failing.base}/fail`)?.status).toBe(500);
    expect(byTarget.get(`${hanging.base}/hang`)?.error).toBe('timeout');
    expect(byTarget.get(`http://127.0.0.1:${port}/gone`)?.error).toBe('ECONNREFUSED');
    const text = logText.join('');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('query-token');
    expect(text).not.toContain('token=');
    expect(failing.received).toHaveLength(1);
  });

  it('never throws, even when the targets cannot be read or a URL is invalid', async () => {
    const logText: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void logText.push(line) });
    const broken = new ApprovalNotifier(() => {
      throw new Error('config gone');
    }, logger);
    expect(() => broken.approvalCreated(notice)).not.toThrow();
    const invalid = new ApprovalNotifier(
      () => [{ url: 'not a url ?token=query-token-4' }, { url: 'file:///etc/passwd?token=query-token-5' }],
      logger,
    );
    expect(() => invalid.approvalCreated(notice)).not.toThrow();
    await Promise.all([broken.idle(), invalid.idle()]);
    expect(logText.map((line) => JSON.parse(line).level)).toEqual([40, 40, 40]);
    expect(logText.join('')).not.toContain('query-token');
  });

  it('sanitizes the Title header so a hostile tool name cannot inject headers', async () => {
    const receiver = await startReceiver();
    const { notifier, warnings } = setup([{ url: `${receiver.base}/hook` }]);
    const tool = `evil\r\nX-Injected: yes\r\n\r\nsmuggled \u00e9\u2028\u0000 ${'x'.repeat(300)}`;
    notifier.approvalCreated({ ...notice, tool });
    await notifier.idle();

    expect(warnings()).toEqual([]);
    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received as [Received];
    expect(request.headers['x-injected']).toBeUndefined();
    const title = request.headers['title'] as string;
    expect(title).toMatch(/^[\x20-\x7e]+$/);
    expect(title.length).toBeLessThanOrEqual(200);
    expect(title.startsWith('Approval needed: files/evil?X-Injected: yes?smuggled ?')).toBe(true);
    // Only the headers the notifier sets (plus what fetch adds itself) arrive.
    const names = request.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
    expect(names.filter((name) => name === 'title')).toHaveLength(1);
    // The body carries the name unchanged, safely JSON-encoded.
    expect(JSON.parse(request.body).tool).toBe(tool);
  });
});

describe('ApprovalNotifier folding', () => {
  const numbered = (n: number): ApprovalNotice => ({ ...notice, id: `apr_${n}`, tool: `tool_${n}`, path: `/approvals/apr_${n}` });

  /** A notifier whose targets and interval the test changes as it goes. */
  function folding(targets: NotifyTarget[], intervalMs: number) {
    const settings = { targets, intervalMs };
    const logText: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void logText.push(line) });
    const notifier = new ApprovalNotifier(() => settings.targets, logger, { intervalMs: () => settings.intervalMs });
    cleanups.push(async () => notifier.close());
    const lines = () => logText.map((line) => JSON.parse(line) as { level: number; msg: string; target?: string; count?: number });
    return { notifier, settings, logText, lines };
  }

  it('sends the first notice at once and folds the rest of the interval into one, with their count and the newest', async () => {
    const receiver = await startReceiver();
    const intervalMs = 300;
    const { notifier } = folding([{ url: `${receiver.base}/phone` }], intervalMs);
    const started = Date.now();
    for (let n = 1; n <= 5; n++) notifier.approvalCreated(numbered(n));
    await waitUntil(() => receiver.received.length >= 2, 10_000, 'the folded notice');
    await notifier.idle();
    expect(receiver.received).toHaveLength(2);
    const [first, folded] = receiver.received.map((r) => ({
      body: JSON.parse(r.body) as Record<string, unknown>,
      title: r.headers['title'],
    }));
    expect(first!.body).toMatchObject({ id: 'apr_1', count: 1, path: '/approvals/apr_1' });
    expect(first!.title).toBe('Approval needed: files/tool_1');
    expect(folded!.body).toEqual({ event: 'approval.created', ...numbered(5), count: 4 });
    expect(folded!.title).toBe('4 approvals needed, newest: files/tool_5');
    // Not before the interval since the first notice was up.
    expect(receiver.arrivedAt[1]!).toBeGreaterThanOrEqual(started + intervalMs - 1);
  });

  it('keeps an interval per target: a target added by a reload is told at once', async () => {
    const first = await startReceiver();
    const second = await startReceiver();
    const { notifier, settings } = folding([{ url: `${first.base}/a` }], 60_000);
    notifier.approvalCreated(numbered(1));
    settings.targets = [{ url: `${first.base}/a` }, { url: `${second.base}/b` }];
    notifier.approvalCreated(numbered(2));
    await notifier.idle();
    expect(first.received.map((r) => JSON.parse(r.body).id)).toEqual(['apr_1']);
    expect(second.received.map((r) => JSON.parse(r.body).id)).toEqual(['apr_2']);
  });

  it('reads the interval at each approval: 0 sends every notice at once', async () => {
    const receiver = await startReceiver();
    const { notifier, settings } = folding([{ url: `${receiver.base}/phone` }], 60_000);
    settings.intervalMs = 0;
    for (let n = 1; n <= 3; n++) notifier.approvalCreated(numbered(n));
    await notifier.idle();
    expect(receiver.received.map((r) => JSON.parse(r.body))).toEqual(
      [1, 2, 3].map((n) => ({ event: 'approval.created', ...numbered(n), count: 1 })),
    );
  });

  it("drops a fold not yet sent at shutdown, and logs it without the URL's query", async () => {
    const receiver = await startReceiver();
    const { notifier, logText, lines } = folding([{ url: `${receiver.base}/phone?auth=query-token-6` }], 60_000);
    for (let n = 1; n <= 3; n++) notifier.approvalCreated(numbered(n));
    notifier.close();
    notifier.approvalCreated(numbered(4)); // after close: nothing more goes out
    await notifier.idle();
    expect(receiver.received.map((r) => JSON.parse(r.body).id)).toEqual(['apr_1']);
    const dropped = lines().filter((line) => line.msg.startsWith('dropped the approval notice'));
    expect(dropped).toEqual([expect.objectContaining({ level: 30, target: `${receiver.base}/phone`, count: 2 })]);
    expect(logText.join('')).not.toContain('query-token');
  });

  it('drops a fold whose target a reload removed, and logs it', async () => {
    const receiver = await startReceiver();
    const { notifier, settings, lines } = folding([{ url: `${receiver.base}/gone` }], 200);
    notifier.approvalCreated(numbered(1));
    notifier.approvalCreated(numbered(2));
    settings.targets = [];
    const line = await waitUntil(
      () => lines().find((l) => l.msg.includes('no longer an approval.notify target')),
      10_000,
      'the drop log line',
    );
    expect(line).toMatchObject({ target: `${receiver.base}/gone`, count: 1 });
    await notifier.idle();
    expect(receiver.received.map((r) => JSON.parse(r.body).id)).toEqual(['apr_1']);
  });
});
