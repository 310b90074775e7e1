/**
 * `mcp-gateway oauth login <server>`: signs a server behind OAuth in from a terminal, for gateways
 * without a browser at hand. It asks the RUNNING gateway to start the sign-in
 * (`POST /api/servers/{name}/oauth/connect`), prints the authorization URL, and waits until the
 * gateway holds the server's tokens. The browser comes back to that gateway's own callback, at the
 * URL given with `--gateway` (so it must be one the browser reaches: the tailnet name behind
 * `tailscale serve`, or a `ssh -L` forward to the loopback port); the tokens are stored by the
 * gateway that uses them, encrypted in its state database, with nothing for this process to write.
 *
 * Exit codes: 0 signed in; 1 the gateway refused or the sign-in did not finish in time; 2 bad
 * arguments (with the usage).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_PORT } from './args.js';
import { SIGN_IN_TTL_MS } from '../upstream/oauth-client.js';

export const OAUTH_USAGE = `Usage: mcp-gateway oauth login <server> [--gateway URL] [--api-key-file FILE]

Signs a server behind OAuth in through the running gateway: prints the URL to open in a browser
and waits (up to 10 minutes) until the gateway holds the server's tokens.

  --gateway URL        the running gateway, as the browser reaches it (default http://127.0.0.1:${DEFAULT_PORT})
  --api-key-file FILE  the gateway's API key (default: $MCP_GATEWAY_API_KEY, or none)
`;

/** What the command prints and how it ends; `env` is the process environment (main.ts reads it). */
export async function oauthCommand(args: string[], env: NodeJS.ProcessEnv, out: (text: string) => void, pollMs = 1000): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { gateway: { type: 'string' }, 'api-key-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    out(`mcp-gateway oauth: ${(error as Error).message}\n\n${OAUTH_USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    out(OAUTH_USAGE);
    return 0;
  }
  const [verb, server, ...rest] = parsed.positionals;
  if (verb !== 'login' || !server || rest.length > 0) {
    out(`mcp-gateway oauth: expected "login <server>"\n\n${OAUTH_USAGE}`);
    return 2;
  }
  const base = (parsed.values.gateway ?? `http://127.0.0.1:${DEFAULT_PORT}`).replace(/\/+$/, '');
  let key: string | undefined;
  try {
    key = parsed.values['api-key-file'] ? readFileSync(parsed.values['api-key-file'], 'utf8').trim() : env.MCP_GATEWAY_API_KEY;
  } catch (error) {
    out(`mcp-gateway oauth: cannot read the API key file (${(error as NodeJS.ErrnoException).code ?? String(error)})\n`);
    return 2;
  }
  const headers = key ? { Authorization: `Bearer ${key}` } : undefined;
  const api = `${base}/api/servers/${encodeURIComponent(server)}`;
  const status = () =>
    fetch(api, { headers })
      .then((response) => (response.ok ? (response.json() as Promise<{ state?: string; oauth?: OAuthStatus | null }>) : undefined))
      .catch(() => undefined);
  // The connection before: a server already connected (a step-up asks for a new sign-in) is signed
  // in by this command only once a sign-in finished after it (`signedInAt`: a background refresh,
  // which moves `obtainedAt`, is no sign-in). Without it, "connected" alone would pass for the
  // sign-in's end: the gateway must answer it.
  const first = await ask<{ oauth?: OAuthStatus | null }>(base, api, { headers }, out);
  if (!first) return 1;
  const before = first.oauth;

  const answer = await ask<{ authorizationUrl?: string | null }>(base, `${api}/oauth/connect`, { method: 'POST', headers }, out);
  if (!answer) return 1;
  if (answer.authorizationUrl) {
    out(`Open this URL in a browser and allow the gateway:\n\n  ${answer.authorizationUrl}\n\nWaiting for the sign-in…\n`);
  }
  const deadline = Date.now() + SIGN_IN_TTL_MS;
  while (Date.now() < deadline) {
    const now = await status();
    if (now?.oauth?.connected && (!answer.authorizationUrl || newTokens(before, now.oauth))) {
      out(`Signed in: server ${server} is ${now.state}.\n`);
      return 0;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  out(`mcp-gateway oauth: the sign-in did not finish within ${SIGN_IN_TTL_MS / 60_000} minutes; run the command again\n`);
  return 1;
}

/**
 * A request to the gateway's API: its JSON answer, or `undefined` once the reason it failed is
 * printed (unreachable, or a problem's detail).
 */
async function ask<T extends object>(base: string, url: string, init: RequestInit, out: (text: string) => void): Promise<T | undefined> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    out(`mcp-gateway oauth: cannot reach the gateway at ${base} (${(error as Error).message}); is it running? (--gateway URL)\n`);
    return undefined;
  }
  const body = (await response.json().catch(() => ({}))) as T & { detail?: string; title?: string };
  if (response.ok) return body;
  out(`mcp-gateway oauth: ${body.detail ?? body.title ?? `the gateway answered ${response.status}`}\n`);
  return undefined;
}

/** A server's OAuth connection as the API shows it (`ServerOAuth`). */
interface OAuthStatus {
  connected: boolean;
  expiresAt?: string | null;
  obtainedAt?: string | null;
  /** When a person's sign-in last finished; absent from a gateway older than this command. */
  signedInAt?: string | null;
}

/**
 * Whether a sign-in finished since `before`: `signedInAt` moved (a refresh does not move it). With a
 * gateway that does not show it, whether the connection holds other tokens (none then, or obtained since).
 */
function newTokens(before: OAuthStatus | null | undefined, now: OAuthStatus): boolean {
  if (now.signedInAt !== undefined) return now.signedInAt !== null && now.signedInAt !== before?.signedInAt;
  return !before?.connected || before.obtainedAt !== now.obtainedAt || before.expiresAt !== now.expiresAt;
}
