/**
 * The floor of any HTTP-to-stdio gateway on this machine, for `bench/calls.ts`: a node:http
 * server that forwards `POST /{server}/{tool}` to the demo MCP server over stdio with
 * hand-written JSON-RPC and answers the first text item as JSON. It does nothing else (no
 * validation, limits, timeouts, activity log, metrics or logs, no error handling to speak of):
 * it measures the two extra process hops and the HTTP handling every gateway pays.
 *
 * Run by the call benchmark: `node dist/bench/relay.js <port>` prints `ready` once it listens.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { DEMO_SERVER_SCRIPT } from '../server/package-info.js';

interface RpcResponse {
  id: number;
  result?: { content?: Array<{ text?: string }> };
  error?: { message: string };
}

const port = Number(process.argv[2] ?? 0);
const child = spawn(process.execPath, [DEMO_SERVER_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
child.on('exit', () => process.exit(1));
process.on('SIGTERM', () => {
  child.removeAllListeners('exit');
  child.kill('SIGTERM');
  process.exit(0);
});

const waiting = new Map<number, (response: RpcResponse) => void>();
let nextId = 0;
let buffered = '';
child.stdout.setEncoding('utf8').on('data', (text: string) => {
  buffered += text;
  let newline: number;
  while ((newline = buffered.indexOf('\n')) !== -1) {
    const response = JSON.parse(buffered.slice(0, newline)) as RpcResponse;
    buffered = buffered.slice(newline + 1);
    waiting.get(response.id)?.(response);
    waiting.delete(response.id);
  }
});

function rpc(method: string, params: unknown): Promise<RpcResponse> {
  const id = ++nextId;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
  });
}

await rpc('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'relay', version: '1.0.0' } });
child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const tool = req.url!.split('/')[2]!;
    void rpc('tools/call', { name: tool, arguments: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }).then((response) => {
      const body = JSON.stringify(response.result?.content?.[0]?.text ?? response.error?.message);
      res.writeHead(response.result ? 200 : 502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
});
server.listen(port, '127.0.0.1', () => console.log(`ready ${(server.address() as { port: number }).port}`));
