// How the fast path's answer goes out on a real HTTP response: JSON in one piece, or an event
// stream once something must go first (a notification, a keep-alive comment).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SessionEvents } from './event-store.js';
import { FastAnswer } from './fast-call.js';

/** Serves one request with `respond`; resolves with the answer as the client read it. */
async function answered(respond: (answer: FastAnswer) => void): Promise<{ type: string | undefined; session: unknown; body: string }> {
  const server = http
    .createServer((_req, res) => respond(new FastAnswer(res, { id: 'session-1', events: new SessionEvents(), streams: new Map() })))
    .listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return {
      type: response.headers.get('content-type') ?? undefined,
      session: response.headers.get('mcp-session-id'),
      body: await response.text(),
    };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const RESPONSE = { jsonrpc: '2.0', id: 1, result: { content: [] } };

describe('the fast path answer', () => {
  it('is JSON when nothing went out first', async () => {
    const got = await answered((answer) => answer.finish(RESPONSE));
    expect(got).toEqual({ type: 'application/json', session: 'session-1', body: JSON.stringify(RESPONSE) });
  });

  it('turns into an event stream at a keep-alive comment or a notification, and ends with the response', async () => {
    const got = await answered((answer) => {
      answer.keepAlive();
      answer.notify('notifications/progress', { progressToken: 1, progress: 1 });
      answer.finish(RESPONSE);
    });
    expect(got.type).toBe('text/event-stream');
    expect(got.body).toBe(
      ': keepalive\n\n' +
        `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } })}\n\n` +
        `event: message\ndata: ${JSON.stringify(RESPONSE)}\n\n`,
    );
  });

  it('ends as an empty event stream when abandoned (a cancelled call has no response)', async () => {
    const got = await answered((answer) => answer.abandon());
    expect(got).toEqual({ type: 'text/event-stream', session: 'session-1', body: '' });
  });
});
