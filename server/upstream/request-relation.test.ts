// StreamRelations on its own, against a real HTTP server on 127.0.0.1: a server request on a POST's
// event stream is noted as belonging to the POSTed request before the reader sees it, even when its
// event is split across chunks; the note goes when the stream ends; other answers pass untouched.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamRelations } from './request-relation.js';

let server: http.Server;
let url: string;
/** Lets the SSE answer go on after its first event (so the test can look while the stream is open). */
let goOn: () => void = () => {};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":1,"result":{}}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    const event = `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 'srv-1', method: 'elicitation/create', params: {} })}\n\n`;
    if (req.url === '/short') {
      res.end(event);
      return;
    }
    // One event in two chunks, cut inside its data.
    res.write(event.slice(0, 30));
    setImmediate(() => {
      res.write(event.slice(30));
      goOn = () => res.end(`data: ${JSON.stringify({ jsonrpc: '2.0', id: 7, result: {} })}\n\n`);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (relations: StreamRelations, path: string) =>
  relations.fetch(`${url}${path}`, {
    method: 'POST',
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'x' } }),
  });

describe('StreamRelations', () => {
  it("notes a server request on a POST's event stream as the POSTed request's, before the reader sees it", async () => {
    const relations = new StreamRelations();
    const reader = (await post(relations, '/sse')).body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('\n\n')) text += (await reader.read()).value ?? '';
    expect(text).toContain('"method":"elicitation/create"');
    // Noted by the time the bytes reached the reader; a look takes the note.
    expect(relations.relatedRequest('srv-1')).toBe(7);
    expect(relations.relatedRequest('srv-1')).toBeUndefined();
    goOn();
    while (!(await reader.read()).done);
  });

  it('forgets what a stream noted when it ends, and leaves other answers untouched', async () => {
    const relations = new StreamRelations();
    const text = await (await post(relations, '/short')).text();
    expect(text).toContain('"id":"srv-1"');
    expect(relations.relatedRequest('srv-1')).toBeUndefined();

    const json = await post(relations, '/json');
    expect(await json.json()).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
  });
});
