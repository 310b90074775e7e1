/**
 * HTTP/1.1 over a plain socket, byte for byte as written: request targets no client library would
 * send (absolute form, dot segments, `//`, raw `%`), a chosen local address, and slow senders.
 */
import net from 'node:net';

export interface RawRequest {
  method?: string;
  /** The request target exactly as sent, e.g. `/x/../api/keys` or `http://127.0.0.1:1234/api/keys`. */
  target: string;
  headers?: Record<string, string>;
  body?: string;
  /** The client's address: any of 127.0.0.0/8 on Linux. Default 127.0.0.1. */
  localAddress?: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `base` is `http://127.0.0.1:PORT`; `Host` defaults to its host, and the connection closes after the answer. */
export function rawRequest(base: string, request: RawRequest): Promise<RawResponse> {
  const url = new URL(base);
  const headers: Record<string, string> = { Host: url.host, Connection: 'close', ...request.headers };
  if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
  const head = [
    `${request.method ?? 'GET'} ${request.target} HTTP/1.1`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port), localAddress: request.localAddress });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.write(`${head.join('\r\n')}\r\n\r\n${request.body ?? ''}`);
  });
}

export function parseResponse(data: Buffer): RawResponse {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no complete response: ${JSON.stringify(data.subarray(0, 200).toString('latin1'))}`);
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(statusLine!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = data.subarray(end + 4);
  return { status, headers, body: (headers['transfer-encoding'] === 'chunked' ? unchunk(body) : body).toString('utf8') };
}

function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) return Buffer.concat(parts);
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
