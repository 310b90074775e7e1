// The OAuth client against a hostile server (issue 19): a 401 may name any URL as its resource
// metadata, and the authorization server's metadata comes from wherever that says. A URL that never
// answers, or answers without end (metadata, or the token endpoint), must fail in bounded time and memory.
// A real HTTP server on 127.0.0.1; the limits are made short through the client's own option.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { RemoteServerConfig } from '../config/types.js';
import { OAuthClient } from './oauth-client.js';
import { MemoryOAuthStore } from './oauth-store.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server whose MCP endpoint answers 401 naming `/metadata` as its resource metadata, which `metadata` answers. */
async function hostileServer(metadata: (res: http.ServerResponse, req: http.IncomingMessage, base: string) => void): Promise<string> {
  const server = http.createServer((req, res) => {
    if (req.url === '/mcp') {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.writeHead(401, { 'WWW-Authenticate': `Bearer resource_metadata="${base}/metadata"` }).end();
      return;
    }
    // The resource metadata, and every metadata URL the client falls back to.
    metadata(res, req, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

async function signInAt(url: string, timeoutMs = 300): Promise<unknown> {
  const config = { name: 'hostile', transport: 'streamable-http', url } as RemoteServerConfig;
  const client = new OAuthClient(() => config, new MemoryOAuthStore(), Date.now, { timeoutMs, maxBytes: 4096 });
  // The server's 401 names the metadata URL (the transport's first request).
  const first = await client.fetch(fetch)(url, { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"initialize"}' });
  expect(first.status).toBe(401);
  return client.beginSignIn('http://127.0.0.1/ui/oauth/callback').then(
    () => 'signed in',
    (error: Error) => error.message,
  );
}

describe('OAuth discovery against a hostile server', () => {
  it('gives up on metadata that never comes, within the timeout', async () => {
    const url = await hostileServer(() => {
      // Never answers.
    });
    const started = Date.now();
    expect(await signInAt(url)).toMatch(/did not answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('gives up on headers that come but a body that never ends', async () => {
    const url = await hostileServer((res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"resource": "');
    });
    expect(await signInAt(url)).toMatch(/did not answer within 300 ms/);
  });

  it('stops reading metadata larger than the cap', async () => {
    const url = await hostileServer((res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = 'x'.repeat(1024);
      const flood = () => {
        while (res.write(chunk));
        res.once('drain', flood);
      };
      res.write('{"resource": "');
      flood();
    });
    // A timeout long enough not to end it first on a loaded machine: the cap ends it.
    expect(await signInAt(url, 30_000)).toMatch(/answered more than 4096 bytes/);
  });
});

describe("the 1.x streamable transport's step-up after a 403 insufficient_scope (its auth() runs with the transport's fetch)", () => {
  /** A server whose endpoint answers 403 `insufficient_scope` naming `/prm`, which `prm` answers; records every request. */
  async function steppingUpServer(prm: (res: http.ServerResponse, base: string) => void): Promise<{ url: string; seen: string[] }> {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      seen.push(`${req.method} ${req.url}`);
      if (req.url === '/mcp')
        return res
          .writeHead(403, { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="more", resource_metadata="${base}/prm"` })
          .end();
      if (req.url === '/prm') return prm(res, base);
      if (req.url === '/.well-known/oauth-authorization-server/as')
        return res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            issuer: 'https://legit-as.example',
            authorization_endpoint: `${base}/authorize`,
            token_endpoint: `${base}/token`,
            response_types_supported: ['code'],
            grant_types_supported: ['client_credentials'],
          }),
        );
      if (req.url === '/token')
        return res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"x","token_type":"Bearer"}');
      res.writeHead(404).end();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, seen };
  }

  /** Sends a ping through a 1.x streamable transport wired as connection.ts wires it; the error's message. */
  async function ping(url: string): Promise<string> {
    const config = { name: 'hostile', transport: 'streamable-http', url, auth: { grant: 'client_credentials', clientId: 'gateway' } };
    const oauth = new OAuthClient(() => config as unknown as RemoteServerConfig, new MemoryOAuthStore(), Date.now, {
      timeoutMs: 300,
      maxBytes: 4096,
    });
    const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: oauth, fetch: oauth.fetch(fetch) });
    try {
      return await transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' }).then(
        () => 'sent',
        (error: Error) => error.message,
      );
    } finally {
      await transport.close();
    }
  }

  it('gives up on resource metadata that never comes, within the timeout', async () => {
    const { url } = await steppingUpServer(() => {
      // Never answers.
    });
    const started = Date.now();
    expect(await ping(url)).toMatch(/403/); // the step-up failed: the server's refusal stands
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses authorization server metadata naming another issuer, and sends it no token request', async () => {
    const { url, seen } = await steppingUpServer((res, base) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ resource: `${base}/mcp`, authorization_servers: [`${base}/as`] })),
    );
    expect(await ping(url)).toMatch(/names the issuer "https:\/\/legit-as.example"/);
    expect(seen).not.toContain('POST /token');
  });
});

describe('OAuth discovery of an authorization server (SEP-2468)', () => {
  it('refuses metadata whose issuer is not the one its well-known URL was made from, and uses none of its endpoints', async () => {
    const asked: string[] = [];
    const url = await hostileServer((res, req, base) => {
      asked.push(req.url!);
      res.setHeader('Content-Type', 'application/json');
      if (req.url === '/metadata') return res.end(JSON.stringify({ resource: `${base}/mcp`, authorization_servers: [base] }));
      if (req.url === '/.well-known/oauth-authorization-server')
        return res.end(
          JSON.stringify({
            issuer: 'https://attacker.example',
            authorization_endpoint: `${base}/evil/authorize`,
            token_endpoint: `${base}/evil/token`,
            registration_endpoint: `${base}/evil/register`,
            response_types_supported: ['code'],
            code_challenge_methods_supported: ['S256'],
          }),
        );
      res.statusCode = 404;
      res.end('{}');
    });
    expect(await signInAt(url)).toMatch(/names the issuer "https:\/\/attacker.example", not http:\/\/127.0.0.1:\d+ \(RFC 8414, SEP-2468\)/);
    expect(asked.filter((path) => path.startsWith('/evil/'))).toEqual([]);
  });
});

describe('requests to the authorization server', () => {
  it('a token endpoint that hangs, or whose answer never ends, fails the refresh in bounded time; later ones work once it recovers', async () => {
    let mode: 'hang' | 'stream' | 'answer' = 'hang';
    const server = http.createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/token') {
        if (mode === 'hang') return; // never answers
        res.writeHead(200, { 'Content-Type': 'application/json' });
        if (mode === 'stream') return void res.write('{"access_token": "'); // and never ends
        return res.end(
          JSON.stringify({ access_token: 'new-access', token_type: 'Bearer', expires_in: 3600, refresh_token: 'new-refresh' }),
        );
      }
      res.writeHead(404).end('{}');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const issuer = `${base}/`;
    const url = `${base}/mcp`;
    const store = new MemoryOAuthStore();
    // Signed in, the access token about to expire.
    store.save('slow', {
      url,
      client: { client_id: 'gateway', redirect_uris: ['http://127.0.0.1/ui/oauth/callback'], issuer },
      tokens: { access_token: 'old-access', token_type: 'Bearer', refresh_token: 'old-refresh', issuer },
      obtainedAt: Date.now() - 3_600_000,
      expiresAt: Date.now() + 1_000,
      discovery: {
        authorizationServerUrl: issuer,
        authorizationServerMetadata: {
          issuer: base,
          authorization_endpoint: `${base}/authorize`,
          token_endpoint: `${base}/token`,
          response_types_supported: ['code'],
        },
      },
    });
    const config = { name: 'slow', transport: 'streamable-http', url, auth: 'oauth' } as unknown as RemoteServerConfig;
    const client = new OAuthClient(() => config, store, Date.now, { timeoutMs: 300, maxBytes: 4096 });
    const within = async <T>(promise: Promise<T>) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no answer in 5 s')), 5_000)));
      return Promise.race([promise, late]).finally(() => clearTimeout(timer));
    };

    for (const failing of ['hang', 'stream'] as const) {
      mode = failing;
      const started = Date.now();
      // The refresh failed (the old tokens are still held); nothing waits for it any more.
      expect((await within(Promise.resolve(client.tokens())))?.access_token).toBe('old-access');
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    mode = 'answer';
    expect((await within(Promise.resolve(client.tokens())))?.access_token).toBe('new-access');
  });
});

describe('redirects of metadata fetches', () => {
  it("a cross-origin redirect does not take the server's configured headers along", async () => {
    const seen: (string | undefined)[] = [];
    const elsewhere = http.createServer((req, res) => {
      seen.push(req.headers['x-api-key'] as string | undefined);
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{}');
    });
    servers.push(elsewhere);
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const away = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/metadata`;
    const url = await hostileServer((res) => res.writeHead(302, { Location: away }).end());
    const origin = new URL(url).origin;
    // As connection.ts sends them: the configured headers on the server's own origin only.
    const withKey: typeof fetch = (input, init) => {
      if (new URL(String(input)).origin !== origin) return fetch(input, init);
      const headers = new Headers(init?.headers);
      headers.set('X-Api-Key', 'server-only-key');
      return fetch(input, { ...init, headers });
    };
    const config = { name: 'redirecting', transport: 'streamable-http', url } as RemoteServerConfig;
    const client = new OAuthClient(() => config, new MemoryOAuthStore(), Date.now, { timeoutMs: 2_000, maxBytes: 4096 });
    expect((await client.fetch(withKey)(url, { method: 'POST' })).status).toBe(401);
    const metadata = await client.flowFetch(withKey)(`${origin}/metadata`);
    expect(metadata.status).toBe(404);
    expect(seen).toEqual([undefined]);
  });
});

describe('Disconnect after the server moved', () => {
  it('revokes the tokens where they were issued, even after the SDK dropped the discovery', async () => {
    const revoked: string[] = [];
    const issuing = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        if (req.url === '/revoke') revoked.push(new URLSearchParams(body).get('token') ?? '');
        res.writeHead(200).end();
      });
    });
    servers.push(issuing);
    await new Promise<void>((resolve) => issuing.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(issuing.address() as AddressInfo).port}`;
    const metadataOf = (origin: string) => ({
      authorizationServerUrl: `${origin}/`,
      authorizationServerMetadata: {
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        revocation_endpoint: `${origin}/revoke`,
        response_types_supported: ['code'],
      },
    });
    const url = 'http://127.0.0.1:9/mcp';
    const store = new MemoryOAuthStore();
    store.save('moved', {
      url,
      client: { client_id: 'gateway', redirect_uris: ['http://127.0.0.1/ui/oauth/callback'], issuer: `${base}/` },
      tokens: { access_token: 'old-access', token_type: 'Bearer', refresh_token: 'old-refresh', issuer: `${base}/` },
      discovery: metadataOf(base),
    });
    const config = { name: 'moved', transport: 'streamable-http', url, auth: 'oauth' } as unknown as RemoteServerConfig;
    const client = new OAuthClient(() => config, store, Date.now, { timeoutMs: 2_000, maxBytes: 4096 });
    // The SDK drops the discovery; the next one finds another authorization server (nobody listens there).
    client.invalidateCredentials('discovery');
    client.saveDiscoveryState(metadataOf('http://127.0.0.1:9'));
    expect(await client.revoke()).toBeUndefined();
    expect(revoked).toEqual(['old-refresh', 'old-access']);
  });
});

describe('a recovery from a 401 that nobody finishes', () => {
  /** A server that refuses every token, its authorization server issuing client-credentials tokens (or failing with `tokenStatus`). */
  async function refusingServer(): Promise<{ url: string; tokenStatus: { value: number } }> {
    const tokenStatus = { value: 200 };
    let issued = 0;
    const server = http.createServer((req, res) => {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      req.resume();
      res.setHeader('Content-Type', 'application/json');
      if (req.url === '/mcp')
        return res.writeHead(401, { 'WWW-Authenticate': `Bearer error="invalid_token", resource_metadata="${base}/metadata"` }).end('{}');
      if (req.url === '/metadata') return res.end(JSON.stringify({ resource: `${base}/mcp`, authorization_servers: [base] }));
      if (req.url === '/.well-known/oauth-authorization-server')
        return res.end(
          JSON.stringify({
            issuer: base,
            authorization_endpoint: `${base}/authorize`,
            token_endpoint: `${base}/token`,
            response_types_supported: ['code'],
            grant_types_supported: ['client_credentials'],
          }),
        );
      if (req.url === '/token' && req.method === 'POST') {
        if (tokenStatus.value !== 200) return res.writeHead(tokenStatus.value).end('{"error": "server_error"}');
        return res.end(JSON.stringify({ access_token: `T${++issued}`, token_type: 'Bearer', expires_in: 3600 }));
      }
      res.writeHead(404).end('{}');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, tokenStatus };
  }

  // Long enough that a call held until the timer would fail the `< 10 s` checks by far.
  const limits = { timeoutMs: 30_000, maxBytes: 4096 };
  const configOf = (url: string) =>
    ({
      name: 'refusing',
      transport: 'streamable-http',
      url,
      auth: { grant: 'client_credentials', clientId: 'gateway' },
    }) as RemoteServerConfig;
  const call = (send: FetchLike, url: string, token: string) =>
    send(url, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
  const timed = async (promise: Promise<Response>) => {
    const started = Date.now();
    const response = await promise;
    return { status: response.status, ms: Date.now() - started };
  };

  it("the token a recovery got, refused again (the SDK's retry, after which it gives up), holds no later call", async () => {
    const { url } = await refusingServer();
    const store = new MemoryOAuthStore();
    store.save('refusing', { url, tokens: { access_token: 'T0', token_type: 'Bearer' } });
    const client = new OAuthClient(() => configOf(url), store, Date.now, limits);
    const send = client.fetch(fetch);
    expect((await call(send, url, 'T0')).status).toBe(401); // a recovery for T0 starts
    expect(await client.beginSignIn('http://127.0.0.1/ui/oauth/callback')).toBeUndefined(); // its auth(): client credentials → T1
    expect(store.load('refusing')?.tokens?.access_token).toBe('T1');
    expect((await call(send, url, 'T1')).status).toBe(401); // the SDK's one retry, refused too: it throws, no auth()
    const next = await timed(call(send, url, 'T1')); // the next call
    expect(next.status).toBe(401);
    expect(next.ms).toBeLessThan(10_000);
  }, 40_000);

  it("a call waiting for a recovery goes on when that recovery's auth() fails (the token endpoint's 5xx)", async () => {
    const { url, tokenStatus } = await refusingServer();
    const store = new MemoryOAuthStore();
    store.save('refusing', { url, tokens: { access_token: 'T0', token_type: 'Bearer' } });
    const client = new OAuthClient(() => configOf(url), store, Date.now, limits);
    const send = client.fetch(fetch);
    expect((await call(send, url, 'T0')).status).toBe(401); // a recovery for T0 starts
    const waiting = timed(call(send, url, 'T0')); // refused for T0 too: waits for that recovery
    tokenStatus.value = 503;
    await expect(client.beginSignIn('http://127.0.0.1/ui/oauth/callback')).rejects.toThrow();
    const waited = await waiting;
    expect(waited.status).toBe(401);
    expect(waited.ms).toBeLessThan(10_000);
  }, 40_000);
});
