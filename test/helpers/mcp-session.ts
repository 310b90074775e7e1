/** A 2025-era `/mcp` session over raw HTTP (fetch), to see the wire: initialize, notifications/initialized, then requests. */
import { expect } from 'vitest';

const ACCEPT = 'application/json, text/event-stream';

export interface RawMcpSession {
  /** Its `Mcp-Session-Id`. */
  id: string;
  /** POSTs a message in the session (with these extra headers, and this abort signal). */
  post(message: unknown, headers?: Record<string, string>, signal?: AbortSignal): Promise<Response>;
  /** GETs the session's stream (with these extra headers, e.g. `last-event-id`, and this abort signal). */
  get(headers?: Record<string, string>, signal?: AbortSignal): Promise<Response>;
  /** Ends the session (DELETE). */
  end(): Promise<Response>;
}

export interface RawMcpSessionOptions {
  /** Sent with every request (e.g. `authorization`). Default none. */
  headers?: Record<string, string>;
  /** The client's capabilities. Default none. */
  capabilities?: object;
  /** Its `clientInfo`. Default `{name: "raw-client", version: "3.1"}`. */
  clientInfo?: { name: string; version: string };
  /** Its protocol revision. Default 2025-11-25. */
  version?: string;
}

/** Opens a session on `url` (e.g. `${base}/mcp/res`); the caller ends it. */
export async function openRawMcpSession(url: string, options: RawMcpSessionOptions = {}): Promise<RawMcpSession> {
  const version = options.version ?? '2025-11-25';
  const send = (message: unknown, headers: Record<string, string>, signal?: AbortSignal) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, ...options.headers, ...headers },
      body: JSON.stringify(message),
      ...(signal ? { signal } : {}),
    });
  const clientInfo = options.clientInfo ?? { name: 'raw-client', version: '3.1' };
  const init = await send(
    {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: version, capabilities: options.capabilities ?? {}, clientInfo },
    },
    {},
  );
  expect(init.status).toBe(200);
  await init.text();
  const id = init.headers.get('mcp-session-id')!;
  expect(id).toBeTruthy();
  const session = { 'mcp-session-id': id, 'mcp-protocol-version': version };
  expect((await send({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).status).toBe(202);
  return {
    id,
    post: (message, headers = {}, signal) => send(message, { ...session, ...headers }, signal),
    get: (headers = {}, signal) =>
      fetch(url, { headers: { accept: 'text/event-stream', ...options.headers, ...session, ...headers }, ...(signal ? { signal } : {}) }),
    end: () => fetch(url, { method: 'DELETE', headers: { ...options.headers, ...session } }),
  };
}
