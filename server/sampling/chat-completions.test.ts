// The mapping of a sampling request to an OpenAI chat completion and back, and what the server is
// told when the endpoint fails (never the key), against a real HTTP server on 127.0.0.1.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SamplingSettings } from '../config/types.js';
import { tempDir } from '../../test/helpers/temp.js';
import { chatCompletion, toChatRequest } from './chat-completions.js';

const SETTINGS: SamplingSettings = { url: 'http://127.0.0.1:9/v1', model: 'm', maxTokens: 100, servers: '*', timeoutMs: 5000 };
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An endpoint that answers every request with `handler`; resolves with its base URL. */
async function endpoint(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

const ask = { messages: [{ role: 'user' as const, content: { type: 'text', text: 'hi' } }], maxTokens: 10 };

describe('toChatRequest', () => {
  it('maps text, images, the system prompt, temperature, stop sequences, and caps maxTokens', () => {
    const body = toChatRequest(
      {
        systemPrompt: 'Be brief.',
        maxTokens: 500,
        temperature: 0.2,
        stopSequences: ['END'],
        messages: [
          { role: 'user', content: { type: 'text', text: 'What is this?' } },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Look:' },
              { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
            ],
          },
          { role: 'assistant', content: { type: 'text', text: 'A cat.' } },
        ],
      },
      SETTINGS,
    );
    expect(body).toEqual({
      model: 'm',
      max_tokens: 100,
      temperature: 0.2,
      stop: ['END'],
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is this?' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look:' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
        { role: 'assistant', content: 'A cat.' },
      ],
    });
  });

  it('refuses audio and other content with a message that says what it takes', () => {
    expect(() =>
      toChatRequest(
        { messages: [{ role: 'user', content: { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' } }], maxTokens: 5 },
        SETTINGS,
      ),
    ).toThrow(/takes text and images only, not "audio" content/);
  });
});

describe('chatCompletion', () => {
  it('maps the reply and its finish reason', async () => {
    const url = await endpoint((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ model: 'served', choices: [{ message: { content: 'cut' }, finish_reason: 'length' }] }));
    });
    expect(await chatCompletion(ask, { ...SETTINGS, url }, new AbortController().signal)).toEqual({
      role: 'assistant',
      content: { type: 'text', text: 'cut' },
      model: 'served',
      stopReason: 'maxTokens',
    });
  });

  it('says what went wrong without the key: an error status, an unreachable endpoint, a timeout', async () => {
    const apiKeyFile = path.join(tempDir(), 'key');
    fs.writeFileSync(apiKeyFile, 'sk-never-shown\n');
    const signal = new AbortController().signal;

    const failing = await endpoint((req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `bad key ${req.headers.authorization === 'Bearer sk-never-shown' ? 'seen' : 'missing'}` }));
    });
    const refused = await chatCompletion(ask, { ...SETTINGS, url: failing, apiKeyFile }, signal).catch((error: Error) => error);
    expect((refused as Error).message).toBe('the sampling endpoint answered 401: {"error":"bad key seen"}');

    // An endpoint that echoes the key in its error: the quote (which goes back to the server) leaves it out.
    const echoing = await endpoint((req, res) => {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(`forbidden for ${req.headers.authorization}`);
    });
    const echoed = await chatCompletion(ask, { ...SETTINGS, url: echoing, apiKeyFile }, signal).catch((error: Error) => error);
    expect((echoed as Error).message).toBe('the sampling endpoint answered 403: forbidden for Bearer [redacted]');

    // An answer larger than any chat completion fails the request instead of filling memory.
    const flooding = await endpoint((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.alloc(5 * 1024 * 1024, 'x'));
    });
    const flooded = await chatCompletion(ask, { ...SETTINGS, url: flooding, apiKeyFile }, signal).catch((error: Error) => error);
    expect((flooded as Error).message).toBe('the sampling endpoint answered with more than 4194304 bytes');

    const closed = await endpoint(() => undefined);
    const closedPort = new URL(closed).port;
    await cleanups.pop()!();
    const unreachable = await chatCompletion(ask, { ...SETTINGS, url: `http://127.0.0.1:${closedPort}/v1`, apiKeyFile }, signal).catch(
      (error: Error) => error,
    );
    expect((unreachable as Error).message).toBe('the sampling endpoint cannot be reached (ECONNREFUSED)');

    const silent = await endpoint(() => undefined);
    const late = await chatCompletion(ask, { ...SETTINGS, url: silent, apiKeyFile, timeoutMs: 200 }, signal).catch((error: Error) => error);
    expect((late as Error).message).toBe('the sampling endpoint did not answer within 200 ms (sampling.timeoutMs)');

    for (const error of [refused, echoed, unreachable, late])
      expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('sk-never-shown');
  });
});
