/**
 * Runs test/fixtures/everything-http.mjs (the real server-everything over HTTP on 127.0.0.1), or
 * another HTTP fixture that prints `LISTENING <port>` (modern-only-server.mjs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fixture } from './gateway.js';

export interface HttpServer {
  child: ChildProcess;
  port: number;
  /** The MCP endpoint: `/sse` or `/mcp`. */
  url: string;
  stop(): Promise<void>;
}

export async function startEverythingHttp(mode: 'sse' | 'streamable-http', env: NodeJS.ProcessEnv = {}, port = 0): Promise<HttpServer> {
  return startHttpFixture(['everything-http.mjs', mode], mode === 'sse' ? '/sse' : '/mcp', env, port);
}

/** Runs the HTTP fixture `script` (with `args`); `path`: its MCP endpoint. */
export async function startHttpFixture(
  [script, ...args]: string[],
  path: string,
  env: NodeJS.ProcessEnv = {},
  port = 0,
): Promise<HttpServer> {
  const child = spawn(process.execPath, [fixture(script!), ...args], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const listening = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const match = out.match(/LISTENING (\d+)/);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    port: listening,
    url: `http://127.0.0.1:${listening}${path}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
