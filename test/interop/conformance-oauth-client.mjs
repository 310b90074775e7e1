// The client command the MCP conformance suite runs in client mode for its auth/* scenarios
// (test/interop/mcp-conformance-auth.interop.ts): the BUILT gateway is the client under test.
//   node conformance-oauth-client.mjs <server-url>     (the suite appends the URL)
// Env from the suite: MCP_CONFORMANCE_SCENARIO, MCP_CONFORMANCE_CONTEXT (JSON: client_id and
// client_secret, or private_key_pem, for pre-registered and client-credentials scenarios).
// It writes a config with the scenario's server (OAuth from the 401, or the context's client; `protocol:
// "2026-07-28"` for the draft scenarios, whose servers speak only that revision), starts
// the gateway on a free port, and — where the server needs a person — does what a person's browser
// does: POST /api/servers/s/oauth/connect, follows the authorization URL (the suite's authorization
// server approves at once and redirects) to the gateway's /ui/oauth/callback. Then it calls each of
// the server's tools through REST, and stops the gateway. Exit 0 when the server got ready and no
// tool call found it unreachable.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MAIN = path.resolve(import.meta.dirname, '..', '..', 'dist', 'server', 'main.js');
const CIMD_URL = 'https://conformance-test.local/client-metadata.json';
const url = process.argv[process.argv.length - 1];
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || '{}');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-conformance-client-'));
const say = (text) => process.stderr.write(`[gateway-client] ${text}\n`);

const auth = { clientMetadataUrl: CIMD_URL };
if (context.client_id) {
  fs.writeFileSync(path.join(dir, 'secret'), String(context.client_secret ?? ''), { mode: 0o600 });
  auth.clientId = context.client_id;
  if (context.client_secret) auth.clientSecretFile = path.join(dir, 'secret');
  if (context.private_key_pem) {
    fs.writeFileSync(path.join(dir, 'client-key.pem'), context.private_key_pem, { mode: 0o600 });
    auth.clientKeyFile = path.join(dir, 'client-key.pem');
  }
  if (!String(process.env.MCP_CONFORMANCE_SCENARIO).startsWith('auth/pre-registration')) auth.grant = 'client_credentials';
}
// The draft scenarios' servers speak only the draft revision (stateless 2026-07-28; `initialize` is refused).
const DRAFT = /^auth\/(iss-|offline-access-|resource-mismatch|authorization-server-migration|metadata-issuer-mismatch)/;
const protocol = DRAFT.test(String(process.env.MCP_CONFORMANCE_SCENARIO)) ? { protocol: '2026-07-28' } : {};
const config = { approval: { default: 'allow' }, gateway: { pingIntervalMs: 0 }, mcpServers: { s: { url, auth, ...protocol } } };
fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));

const gateway = spawn(
  process.execPath,
  [MAIN, '--port', '0', '--config', path.join(dir, 'config.json'), '--state-dir', path.join(dir, 'state')],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
// The suite may end the client (a scenario's time is up): the gateway and the folder go with it.
const cleanUp = () => {
  if (gateway.exitCode === null) gateway.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
};
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    cleanUp();
    process.exit(1);
  });
}
let base;
let out = '';
gateway.stdout.setEncoding('utf8').on('data', (text) => {
  out += text;
  base ??= out.match(/listening on (http:\/\/[^;"\s]+)/)?.[1];
});

async function until(condition, what, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > end || gateway.exitCode !== null) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const server = async () => await (await fetch(`${base}/api/servers/s`)).json();

/** What a person does on Connect: the authorization server approves at once and redirects to the gateway's callback. */
async function signIn() {
  const connect = await (await fetch(`${base}/api/servers/s/oauth/connect`, { method: 'POST' })).json();
  say(`connect: ${JSON.stringify(connect)}`);
  if (!connect.authorizationUrl) return;
  const approved = await fetch(connect.authorizationUrl, { redirect: 'manual' });
  const callback = approved.headers.get('location');
  say(`authorization server answered ${approved.status}, to ${callback}`);
  const back = await fetch(callback, { redirect: 'manual' });
  say(`callback: ${back.status}`);
}

/** The server once it is ready, failing, or needing a sign-in again (a state entered after `before`). */
const settled = (before) =>
  until(async () => {
    const s = await server();
    return (s.state === 'ready' || s.state === 'backoff' || (s.state === 'needs-sign-in' && s.since !== before.since)) && s;
  }, 'the server to be ready after the sign-in');

let code = 1;
try {
  await until(() => base, 'the gateway to listen');
  let status = await until(async () => {
    const s = await server();
    return ['ready', 'needs-sign-in', 'backoff'].includes(s.state) && s;
  }, 'the server to connect or need a sign-in');
  say(`server: ${status.state}${status.lastError ? ` (${status.lastError.message})` : ''}`);
  // A server may ask again once signed in (SEP-2352: it moved to another authorization server).
  for (let attempt = 0; status.state === 'needs-sign-in' && attempt < 3; attempt++) {
    await signIn();
    status = await settled(status);
    say(`server: ${status.state}${status.lastError ? ` (${status.lastError.message})` : ''}`);
  }
  if (status.state !== 'ready') throw new Error(`the server is ${status.state}: ${status.lastError?.message}`);
  code = 0;
  const tools = (await (await fetch(`${base}/api/tools?server=s`)).json()).tools ?? [];
  for (const tool of tools) {
    let answer = await fetch(`${base}/s/${encodeURIComponent(tool.name)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    // A step-up (403 insufficient_scope) leaves the server needing a person again: sign in once more and retry.
    if (answer.status === 503 && (await server()).state === 'needs-sign-in') {
      await signIn();
      await until(async () => (await server()).state === 'ready', 'the server after the step-up');
      answer = await fetch(`${base}/s/${encodeURIComponent(tool.name)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
    }
    say(`tool ${tool.name}: ${answer.status}`);
    // A tool may answer an error of its own (502 tool-error); the gateway failing to reach it is ours.
    if (answer.status === 503 || answer.status === 401) code = 1;
  }
} catch (error) {
  say(`failed: ${error.message}`);
} finally {
  gateway.kill('SIGTERM');
  await new Promise((resolve) => gateway.once('exit', resolve));
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}
