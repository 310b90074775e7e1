// The gateway as an OAuth 2.1 resource server (`gateway.resourceServer`), against a real
// authorization server (test/fixtures/authorization-server.mjs, oidc-provider on 127.0.0.1): JWT
// access tokens checked against its JWKS, or opaque ones by introspection; the protected resource
// metadata; the challenges; the token never passed upstream nor written down.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../server/logging/logger.js';
import { callKit, node } from './helpers/calls.js';
import { runCli, startCli } from './helpers/cli.js';
import { fixture, tempDir } from './helpers/gateway.js';
import { startEverythingHttp, startHttpFixture, type HttpServer } from './helpers/http-server.js';
import { waitUntil } from './helpers/process.js';

const kit = callKit();

/** A running authorization server fixture; `url` is its issuer. */
const authorizationServer = (env: NodeJS.ProcessEnv = {}) => startHttpFixture(['authorization-server.mjs'], '', env);

let jwtIssuer: HttpServer; // JWT access tokens, an hour long
let otherIssuer: HttpServer; // JWT access tokens of another issuer
let opaqueIssuer: HttpServer; // opaque access tokens, for introspection

beforeAll(async () => {
  [jwtIssuer, otherIssuer, opaqueIssuer] = await Promise.all([
    authorizationServer(),
    authorizationServer(),
    authorizationServer({ AS_ACCESS_TOKEN_FORMAT: 'opaque' }),
  ]);
});
afterAll(async () => {
  await Promise.all([jwtIssuer, otherIssuer, opaqueIssuer].map((server) => server?.stop()));
});

const CLIENT = 'Basic ' + Buffer.from('test-client:test-secret').toString('base64');
const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { authorization: CLIENT, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields),
});

/** A client-credentials access token of `issuer` for `resource` with `scope`. */
async function tokenFor(issuer: HttpServer, resource: string, scope = 'tools:call tools:read'): Promise<string> {
  const answer = await fetch(`${issuer.url}/token`, form({ grant_type: 'client_credentials', resource, scope }));
  const body = (await answer.json()) as { access_token?: string; error_description?: string };
  if (!body.access_token) throw new Error(`no token: ${answer.status} ${body.error_description}`);
  return body.access_token;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A gateway with no servers taking tokens of `issuer` (more `resourceServer` settings in `extra`); resolves with its URL. */
async function gatewayOf(issuer: HttpServer, extra: object = {}, options: { apiKey?: string } = {}): Promise<string> {
  const { app } = await kit.gateway({}, { resourceServer: { issuer: issuer.url, ...extra } }, options);
  return kit.listen(app);
}

/** The status of `GET url` sent with `headers` as given (`Host` included, which fetch would not send). */
function statusWith(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (answer) => {
        answer.resume();
        resolve(answer.statusCode!);
      })
      .on('error', reject);
  });
}

/**
 * An issuer of our own for odd tokens: ES256 keys made here, their JWKS served on 127.0.0.1, and
 * `sign` to make a token with any claims and `typ` (a real signature the gateway verifies).
 */
async function selfSignedIssuer(issuer = 'https://issuer.example') {
  const { SignJWT, exportJWK, generateKeyPair } = await import('jose');
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
  const keys = http.createServer((_request, response) => response.setHeader('content-type', 'application/json').end(jwks));
  await new Promise<void>((resolve) => keys.listen(0, '127.0.0.1', resolve));
  kit.defer(() => new Promise<void>((resolve) => keys.close(() => resolve())));
  const settings = {
    issuer,
    audience: 'https://gateway.example',
    jwksUri: `http://127.0.0.1:${(keys.address() as AddressInfo).port}/jwks`,
  };
  const now = () => Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>, typ?: string) =>
    new SignJWT({ sub: 'alice', scope: 'tools:read', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', ...(typ !== undefined && { typ }) })
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .sign(privateKey);
  return { settings, now, sign };
}

/** The parameters of a `WWW-Authenticate: Bearer …` value. */
function challengeOf(answer: Response): Record<string, string> {
  const value = answer.headers.get('www-authenticate') ?? '';
  expect(value).toMatch(/^Bearer /);
  return Object.fromEntries([...value.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1]!, match[2]!]));
}

describe('gateway.resourceServer: JWT access tokens', () => {
  it('publishes the protected resource metadata for the gateway, /mcp and /mcp/{name}, under a base path too', async () => {
    const base = await gatewayOf(jwtIssuer);
    const read = async (suffix: string) => {
      const answer = await fetch(`${base}/.well-known/oauth-protected-resource${suffix}`);
      expect(answer.status).toBe(200);
      return (await answer.json()) as { resource: string; authorization_servers: string[]; scopes_supported: string[] };
    };
    const root = await read('');
    expect(root).toMatchObject({ resource: base, authorization_servers: [jwtIssuer.url], bearer_methods_supported: ['header'] });
    expect(root.scopes_supported).toEqual(expect.arrayContaining(['tools:call', 'tools:read', 'approvals:decide', 'admin']));
    expect((await read('/mcp')).resource).toBe(`${base}/mcp`);
    expect((await read('/mcp/everything')).resource).toBe(`${base}/mcp/everything`);
    // Under gateway.basePath (a proxy that keeps the prefix, or one that strips it and says so):
    // the prefix is part of the resource and of the metadata URL, and a token for it works there.
    const { app } = await kit.gateway({}, { basePath: '/gw', resourceServer: { issuer: jwtIssuer.url } });
    const proxied = await kit.listen(app);
    const metadata = await fetch(`${proxied}/gw/.well-known/oauth-protected-resource/mcp`);
    expect(((await metadata.json()) as { resource: string }).resource).toBe(`${proxied}/gw/mcp`);
    const stripped = await fetch(`${proxied}/.well-known/oauth-protected-resource`, { headers: { 'X-Forwarded-Prefix': '/gw' } });
    expect(((await stripped.json()) as { resource: string }).resource).toBe(`${proxied}/gw`);
    const refused = await fetch(`${proxied}/gw/mcp`, { method: 'POST' });
    expect(refused.status).toBe(401);
    expect(challengeOf(refused).resource_metadata).toBe(`${proxied}/gw/.well-known/oauth-protected-resource/mcp`);
    const token = await tokenFor(jwtIssuer, `${proxied}/gw`);
    expect((await fetch(`${proxied}/gw/openapi.json`, { headers: bearer(token) })).status).toBe(200);
    expect((await fetch(`${proxied}/gw/openapi.json`, { headers: bearer(await tokenFor(jwtIssuer, proxied)) })).status).toBe(401);
  });

  it('without gateway.resourceServer there is no metadata and a bearer that is no key is refused as before', async () => {
    const { app } = await kit.gateway({}, {}, { apiKey: 'the-start-up-key-7c1e' });
    const base = await kit.listen(app);
    expect((await fetch(`${base}/.well-known/oauth-protected-resource`)).status).toBe(404);
    const token = await tokenFor(jwtIssuer, base);
    expect((await fetch(`${base}/openapi.json`, { headers: bearer(token) })).status).toBe(403);
  });

  it('answers a request without credentials 401 with the resource metadata URL of what it asked for', async () => {
    const base = await gatewayOf(jwtIssuer);
    const mcp = await fetch(`${base}/mcp/everything`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(mcp.status).toBe(401);
    expect(challengeOf(mcp)).toMatchObject({ resource_metadata: `${base}/.well-known/oauth-protected-resource/mcp/everything` });
    const rest = await fetch(`${base}/openapi.json`);
    expect(rest.status).toBe(401);
    expect(challengeOf(rest).resource_metadata).toBe(`${base}/.well-known/oauth-protected-resource`);
  });

  it('takes a token for the gateway on REST and for /mcp on /mcp, maps its scopes, and keeps API keys working', async () => {
    const { app } = await kit.gateway(
      { fx: { command: node, args: [fixture('fixture-server.mjs')] } },
      { resourceServer: { issuer: jwtIssuer.url } },
      { apiKey: 'the-start-up-key-7c1e' },
    );
    const base = await kit.listen(app);
    const token = await tokenFor(jwtIssuer, base);

    const call = await fetch(`${base}/fx/echo`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: '{"message":"hi"}',
    });
    expect(call.status).toBe(200);
    expect((await fetch(`${base}/fx/openapi.json`, { headers: bearer(token) })).status).toBe(200);
    // The API key still works, and is no access token.
    expect((await fetch(`${base}/api/servers`, { headers: bearer('the-start-up-key-7c1e') })).status).toBe(200);

    // `tools:call tools:read` is not `admin`: 403 with the scope to ask for.
    const admin = await fetch(`${base}/api/keys`, { headers: bearer(token) });
    expect(admin.status).toBe(403);
    expect(challengeOf(admin)).toMatchObject({
      error: 'insufficient_scope',
      scope: 'admin',
      resource_metadata: `${base}/.well-known/oauth-protected-resource`,
    });

    // An MCP client with the token of the /mcp resource; the gateway's own audience does too.
    const mcpToken = await tokenFor(jwtIssuer, `${base}/mcp`);
    for (const used of [mcpToken, token]) {
      const client = new Client({ name: 'oauth-client', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: bearer(used) } }));
      kit.defer(() => client.close());
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('fx__echo');
      const result = await client.callTool({ name: 'fx__echo', arguments: { message: 'over mcp' } });
      expect(JSON.stringify(result.content)).toContain('over mcp');
    }
    // Over MCP the scope is checked per message too: a tools:read token lists, but may not call.
    const reader = new Client({ name: 'oauth-reader', version: '1.0.0' });
    const readToken = await tokenFor(jwtIssuer, `${base}/mcp`, 'tools:read');
    await reader.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: bearer(readToken) } }));
    kit.defer(() => reader.close());
    expect((await reader.listTools()).tools.map((tool) => tool.name)).toContain('fx__echo');
    const refused = await reader.callTool({ name: 'fx__echo', arguments: { message: 'no' } }).catch((error: Error) => error);
    expect(JSON.stringify(refused instanceof Error ? refused.message : refused)).toMatch(/tools:call/);
    // A token for /mcp is not one for the REST surfaces.
    expect((await fetch(`${base}/fx/openapi.json`, { headers: bearer(mcpToken) })).status).toBe(401);
  });

  it('answers a tool call (the fast path, POST /{server}/{tool}) without a token or with a bad one 401 with the challenge', async () => {
    const { app } = await kit.gateway(
      { fx: { command: node, args: [fixture('fixture-server.mjs')] } },
      { resourceServer: { issuer: jwtIssuer.url } },
    );
    const base = await kit.listen(app);
    const call = (headers: Record<string, string>) =>
      fetch(`${base}/fx/echo`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"message":"hi"}' });
    const none = await call({});
    expect(none.status).toBe(401);
    expect(challengeOf(none).resource_metadata).toBe(`${base}/.well-known/oauth-protected-resource`);
    const token = await tokenFor(jwtIssuer, base);
    const bad = await call(bearer(`${token.slice(0, -4)}AAAA`));
    expect(bad.status).toBe(401);
    expect(challengeOf(bad)).toMatchObject({ error: 'invalid_token' });
    const foreign = await call(bearer(await tokenFor(jwtIssuer, 'https://elsewhere.example/api')));
    expect(foreign.status).toBe(401);
    expect((await call(bearer(token))).status).toBe(200);
  });

  it("lets the SDK's OAuth client find the authorization server from the 401, sign in (DCR, PKCE, resource) and use /mcp", async () => {
    const { app } = await kit.gateway(
      { fx: { command: node, args: [fixture('fixture-server.mjs')] } },
      { resourceServer: { issuer: jwtIssuer.url } },
    );
    const base = await kit.listen(app);
    let client: OAuthClientInformationMixed | undefined;
    let tokens: OAuthTokens | undefined;
    let verifier = '';
    let authorizationUrl: URL | undefined;
    const provider: OAuthClientProvider = {
      redirectUrl: 'http://127.0.0.1:1/callback',
      clientMetadata: {
        client_name: 'sdk client',
        redirect_uris: ['http://127.0.0.1:1/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
      clientInformation: () => client,
      saveClientInformation: (information) => void (client = information),
      tokens: () => tokens,
      saveTokens: (saved) => void (tokens = saved),
      redirectToAuthorization: (url) => void (authorizationUrl = url),
      saveCodeVerifier: (saved) => void (verifier = saved),
      codeVerifier: () => verifier,
    };
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { authProvider: provider });
    await expect(new Client({ name: 'sdk', version: '1.0.0' }).connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(authorizationUrl!.origin).toBe(jwtIssuer.url);
    expect(authorizationUrl!.searchParams.get('resource')).toBe(`${base}/mcp`);
    // The fixture signs its test user in at once: the answer is the redirect with the code.
    const redirect = await fetch(authorizationUrl!, { redirect: 'manual' });
    const code = new URL(redirect.headers.get('location')!).searchParams.get('code')!;
    await transport.finishAuth(code);

    const signedIn = new Client({ name: 'sdk', version: '1.0.0' });
    await signedIn.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { authProvider: provider }));
    kit.defer(() => signedIn.close());
    const result = await signedIn.callTool({ name: 'fx__echo', arguments: { message: 'signed in' } });
    expect(JSON.stringify(result.content)).toContain('signed in');
  });

  it('refuses a wrong audience, a bad signature, another issuer and an expired token with 401 invalid_token', async () => {
    const base = await gatewayOf(jwtIssuer);
    const expectRefused = async (token: string, reason: RegExp) => {
      const answer = await fetch(`${base}/openapi.json`, { headers: bearer(token) });
      expect(answer.status).toBe(401);
      const challenge = challengeOf(answer);
      expect(challenge).toMatchObject({ error: 'invalid_token', resource_metadata: `${base}/.well-known/oauth-protected-resource` });
      expect(challenge.error_description).toMatch(reason);
      expect(((await answer.json()) as { type: string }).type).toMatch(/invalid-token$/);
    };
    await expectRefused(await tokenFor(jwtIssuer, 'https://elsewhere.example/api'), /audience/);
    const good = await tokenFor(jwtIssuer, base);
    const [header, payload, signature] = good.split('.');
    const flipped = `${signature!.slice(0, 10)}${signature![10] === 'A' ? 'B' : 'A'}${signature!.slice(11)}`;
    await expectRefused(`${header}.${payload}.${flipped}`, /does not verify/);
    expect((await fetch(`${base}/openapi.json`, { headers: bearer(good) })).status).toBe(200);

    // Signed by keys the gateway trusts (jwksUri), but of another issuer: `iss` decides.
    const crossed = await gatewayOf(jwtIssuer, { jwksUri: `${otherIssuer.url}/jwks` });
    const foreign = await fetch(`${crossed}/openapi.json`, { headers: bearer(await tokenFor(otherIssuer, crossed)) });
    expect(foreign.status).toBe(401);
    expect(challengeOf(foreign).error_description).toMatch(/issuer/);

    // Expired (beyond the 30 s of clock skew allowed), of an issuer of our own.
    const own = await selfSignedIssuer();
    const ownBase = await gatewayOf(jwtIssuer, own.settings);
    const expired = await fetch(`${ownBase}/openapi.json`, { headers: bearer(await own.sign({ exp: own.now() - 60 })) });
    expect(expired.status).toBe(401);
    expect(challengeOf(expired).error_description).toMatch(/expired/);
  });

  it('slows bad tokens from an address after 10 failures, but a token that verifies always passes', async () => {
    const base = await gatewayOf(jwtIssuer);
    const good = await tokenFor(jwtIssuer, base);
    const bad = (i: number) => `${good.slice(0, -6)}${String(i).padStart(6, 'x')}`;
    for (let i = 0; i < 10; i++) expect((await fetch(`${base}/openapi.json`, { headers: bearer(bad(i)) })).status).toBe(401);
    const limited = await fetch(`${base}/openapi.json`, { headers: bearer(bad(10)) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await fetch(`${base}/openapi.json`, { headers: bearer(good) })).status).toBe(200);
  });

  it('answers an expired token of the issuer 401 with the challenge every time: it counts as no failure', async () => {
    const { settings, now, sign } = await selfSignedIssuer();
    const base = await gatewayOf(jwtIssuer, settings);
    const token = await sign({ exp: now() - 60 });
    // Beyond the failure limit (10) from one address, as behind a proxy.
    for (let i = 0; i < 12; i++) {
      const answer = await fetch(`${base}/openapi.json`, { headers: bearer(token) });
      expect(answer.status).toBe(401);
      expect(challengeOf(answer)).toMatchObject({ error: 'invalid_token', error_description: 'the access token has expired' });
    }
  });

  it('requires exp, allows 30 s of clock skew, and takes a JWT or at+jwt access token but no ID token', async () => {
    const { settings, now: clock, sign } = await selfSignedIssuer();
    const base = await gatewayOf(jwtIssuer, settings);
    const now = clock();
    const status = async (token: string) => (await fetch(`${base}/openapi.json`, { headers: bearer(token) })).status;
    expect(await status(await sign({ exp: now + 300 }, 'at+jwt'))).toBe(200);
    expect(await status(await sign({ exp: now + 300 }, 'JWT'))).toBe(200);
    expect(await status(await sign({ exp: now + 300 }))).toBe(200);
    expect(await status(await sign({ exp: now - 10 }, 'at+jwt'))).toBe(200); // within the clock skew
    expect(await status(await sign({ exp: now - 120 }, 'at+jwt'))).toBe(401);
    expect(await status(await sign({}, 'at+jwt'))).toBe(401); // no exp: never expires, refused
    expect(await status(await sign({ exp: now + 300 }, 'logout+jwt'))).toBe(401);
    // An ID token of the issuer (which a client holds too) is no access token.
    expect(await status(await sign({ exp: now + 300, nonce: 'n-1', at_hash: 'abc' }, 'JWT'))).toBe(401);
    expect(await status(await sign({ exp: now + 300, typ: 'ID' }))).toBe(401);
  });

  it("keeps the issuer as written (Auth0's ends with '/'), reads scp as a list or a string, and maps only scopeMap's own keys", async () => {
    const { settings, now, sign } = await selfSignedIssuer('https://tenant.example/');
    const base = await gatewayOf(jwtIssuer, settings);
    const status = async (token: string) => (await fetch(`${base}/openapi.json`, { headers: bearer(token) })).status;
    expect(await status(await sign({ exp: now() + 300 }))).toBe(200);
    expect(await status(await sign({ exp: now() + 300, scope: undefined, scp: 'tools:read tools:call' }))).toBe(200);
    expect(await status(await sign({ exp: now() + 300, scope: undefined, scp: ['tools:read'] }))).toBe(200);

    const { AccessTokens } = await import('../server/auth/access-tokens.js');
    const tokens = new AccessTokens(() => ({ ...settings, algorithms: ['ES256'], scopeMap: { write: ['admin'] }, requiredScopes: [] }));
    const identity = await tokens.verify(await sign({ exp: now() + 300, scope: 'constructor toString __proto__ tools:read' }), [
      settings.audience,
    ]);
    expect(identity.scopes).toEqual(['tools:read']);
  });

  it('answers 503 when the authorization server cannot be asked, and logs no token', async () => {
    const gone = await authorizationServer();
    await gone.stop();
    let logText = '';
    const logger = createLogger('debug', new Writable({ write: (chunk, _encoding, done) => ((logText += String(chunk)), done()) }));
    const { app } = await kit.gateway({}, { resourceServer: { issuer: gone.url } }, { logger });
    const base = await kit.listen(app);
    const token = await tokenFor(jwtIssuer, base);
    const answer = await fetch(`${base}/openapi.json`, { headers: bearer(token) });
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { type: string }).type).toMatch(/authorization-server-unavailable$/);
    expect(logText).toContain('cannot check an access token');
    expect(logText).not.toContain(token.split('.')[2]!);

    // Keys that cannot be read (not a JWK set) say nothing about the token either.
    const notKeys = await gatewayOf(jwtIssuer, { jwksUri: `${jwtIssuer.url}/.well-known/openid-configuration` });
    expect((await fetch(`${notKeys}/openapi.json`, { headers: bearer(await tokenFor(jwtIssuer, notKeys)) })).status).toBe(503);
  });

  it('answers 503 when the JWKS endpoint answers 500 or no JSON, and counts no failure for it', async () => {
    let answer = { status: 500, body: 'oops' };
    const keys = http.createServer((_request, response) => {
      response.statusCode = answer.status;
      response.end(answer.body);
    });
    await new Promise<void>((resolve) => keys.listen(0, '127.0.0.1', resolve));
    kit.defer(() => new Promise<void>((resolve) => keys.close(() => resolve())));
    const base = await gatewayOf(jwtIssuer, { jwksUri: `http://127.0.0.1:${(keys.address() as AddressInfo).port}/jwks` });
    const token = await tokenFor(jwtIssuer, base);
    // More than the failure limit (10): none counts, so none gets 429.
    for (let i = 0; i < 12; i++) {
      if (i === 6) answer = { status: 200, body: 'not json' };
      const refused = await fetch(`${base}/openapi.json`, { headers: bearer(token) });
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { type: string }).type).toMatch(/authorization-server-unavailable$/);
    }
  });

  it('refuses a token without a required scope with 403 insufficient_scope, and maps scopes through scopeMap', async () => {
    const base = await gatewayOf(jwtIssuer, { requiredScopes: ['read'], scopeMap: { write: ['admin'] } });
    const without = await fetch(`${base}/openapi.json`, { headers: bearer(await tokenFor(jwtIssuer, base, 'tools:read')) });
    expect(without.status).toBe(403);
    expect(challengeOf(without)).toMatchObject({ error: 'insufficient_scope', scope: 'read' });
    const mapped = await tokenFor(jwtIssuer, base, 'read write');
    expect((await fetch(`${base}/api/keys`, { headers: bearer(mapped) })).status).toBe(200);
  });
});

describe('gateway.resourceServer: introspection', () => {
  it('takes an active token, and refuses it once revoked', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'secret'), 'test-secret\n');
    const introspection = { clientId: 'test-client', clientSecretFile: path.join(dir, 'secret'), cacheMs: 0 };
    const base = await gatewayOf(opaqueIssuer, { introspection });
    const token = await tokenFor(opaqueIssuer, base);
    expect(token.split('.')).toHaveLength(1); // opaque
    expect((await fetch(`${base}/openapi.json`, { headers: bearer(token) })).status).toBe(200);
    expect((await fetch(`${base}/api/keys`, { headers: bearer(token) })).status).toBe(403);

    const other = await fetch(`${base}/openapi.json`, { headers: bearer(await tokenFor(opaqueIssuer, 'https://elsewhere.example/api')) });
    expect(other.status).toBe(401);
    expect(challengeOf(other).error_description).toMatch(/audience/);

    // With a cache (the default 30 s), an answer is kept: the same token is not asked about again.
    const cached = await gatewayOf(opaqueIssuer, { introspection: { ...introspection, cacheMs: 60_000 } });
    const cachedToken = await tokenFor(opaqueIssuer, cached);
    expect((await fetch(`${cached}/openapi.json`, { headers: bearer(cachedToken) })).status).toBe(200);
    expect((await fetch(`${opaqueIssuer.url}/token/revocation`, form({ token: cachedToken }))).status).toBe(200);
    expect((await fetch(`${cached}/openapi.json`, { headers: bearer(cachedToken) })).status).toBe(200);

    expect((await fetch(`${opaqueIssuer.url}/token/revocation`, form({ token }))).status).toBe(200);
    const revoked = await fetch(`${base}/openapi.json`, { headers: bearer(token) });
    expect(revoked.status).toBe(401);
    expect(challengeOf(revoked)).toMatchObject({ error: 'invalid_token', error_description: 'the access token is not active' });
  });
});

describe('gateway.resourceServer: introspection load', () => {
  /** An introspection endpoint that counts questions and answers them once `release` is called. */
  async function introspectionEndpoint(answer: () => object) {
    let asked = 0;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const server = http.createServer((request, response) => {
      asked++;
      request.resume();
      void released.then(() => response.setHeader('content-type', 'application/json').end(JSON.stringify(answer())));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    kit.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`, asked: () => asked, release };
  }

  /** A gateway introspecting at `endpoint`, listening on a server of the test's own that counts the requests it got. */
  async function introspectingGateway(endpoint: string, cacheMs: number) {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'secret'), 'test-secret\n');
    const introspection = { endpoint, clientId: 'test-client', clientSecretFile: path.join(dir, 'secret'), cacheMs };
    const { app } = await kit.gateway({}, { resourceServer: { issuer: jwtIssuer.url, introspection } });
    let received = 0;
    const server = http.createServer(app).on('request', () => received++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    kit.defer(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
    return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received: () => received };
  }

  it('asks once about a token sent many times at once', async () => {
    let audience = '';
    const endpoint = await introspectionEndpoint(() => ({ active: true, aud: audience, sub: 'alice', scope: 'tools:read' }));
    const { base, received } = await introspectingGateway(endpoint.url, 0);
    audience = base;
    const answers = Array.from({ length: 5 }, () => fetch(`${base}/openapi.json`, { headers: bearer('opaque-token-1') }));
    // All five are in the gateway (each asked, or waiting on the one question) before the answer comes.
    await waitUntil(() => received() === 5 && endpoint.asked() >= 1, 10_000, 'the five requests');
    endpoint.release();
    expect((await Promise.all(answers)).map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(endpoint.asked()).toBe(1);
  });

  it('asks nothing about a new token from an address held by the failure limit', async () => {
    const endpoint = await introspectionEndpoint(() => ({ active: false }));
    endpoint.release();
    const { base } = await introspectingGateway(endpoint.url, 30_000);
    for (let i = 0; i < 10; i++) expect((await fetch(`${base}/openapi.json`, { headers: bearer(`guess-${i}`) })).status).toBe(401);
    expect(endpoint.asked()).toBe(10);
    const limited = await fetch(`${base}/openapi.json`, { headers: bearer('guess-10') });
    expect(limited.status).toBe(429);
    expect(endpoint.asked()).toBe(10);
  });
});

describe('gateway.resourceServer: who a token is', () => {
  it('gives every subject an id of its own: not shared by look-alike subjects, a client id, another issuer or a long prefix', async () => {
    const claims: Record<string, object> = {
      accented: { sub: 'José' },
      graved: { sub: 'Josè' },
      client: { client_id: 'José' },
      long: { sub: `${'x'.repeat(200)}a` },
      longer: { sub: `${'x'.repeat(200)}b` },
    };
    const endpoint = http.createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const token = new URLSearchParams(body).get('token')!;
        response
          .setHeader('content-type', 'application/json')
          .end(JSON.stringify({ active: true, aud: 'https://gw.example', ...claims[token] }));
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    kit.defer(() => new Promise<void>((resolve) => endpoint.close(() => resolve())));
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'secret'), 'test-secret\n');
    const { AccessTokens } = await import('../server/auth/access-tokens.js');
    const { parseConfigText } = await import('../server/config/load.js');
    const settingsOf = (issuer: string) =>
      parseConfigText(
        JSON.stringify({
          gateway: {
            resourceServer: {
              issuer,
              introspection: {
                endpoint: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/`,
                clientId: 'gw',
                clientSecretFile: path.join(dir, 'secret'),
                cacheMs: 0,
              },
            },
          },
          mcpServers: {},
        }),
        path.join(dir, 'config.json'),
      ).gateway.resourceServer;
    const one = new AccessTokens(() => settingsOf('https://one.example'));
    const other = new AccessTokens(() => settingsOf('https://other.example'));
    const identities = await Promise.all(Object.keys(claims).map((token) => one.verify(token, ['https://gw.example'])));
    const ids = identities.map((identity) => identity.id);
    expect(ids[0]).toBe('oauth:Jos%C3%A9@one.example');
    expect(ids[2]).toBe('oauth-client:Jos%C3%A9@one.example');
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id.length <= 128)).toBe(true);
    expect(identities[0]!.label).toBe('Jos');
    expect((await other.verify('accented', ['https://gw.example'])).id).not.toBe(ids[0]);
  });
});

describe('gateway.resourceServer: the token stays here', () => {
  it('never passes the token upstream, never logs it nor writes it in the activity log, which names its subject', async () => {
    const headersFile = path.join(tempDir(), 'headers.jsonl');
    const upstream = await startEverythingHttp('streamable-http', { HEADERS_FILE: headersFile });
    kit.defer(() => upstream.stop());
    let logText = '';
    const logger = createLogger('debug', new Writable({ write: (chunk, _encoding, done) => ((logText += String(chunk)), done()) }));
    const started = await kit.gateway(
      { everything: { type: 'streamable-http', url: upstream.url } },
      { resourceServer: { issuer: jwtIssuer.url } },
      { logger },
    );
    const base = await kit.listen(started.app);
    const token = await tokenFor(jwtIssuer, base);
    const mcpToken = await tokenFor(jwtIssuer, `${base}/mcp/everything`);

    const call = await fetch(`${base}/everything/echo`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: '{"message":"rest"}',
    });
    expect(call.status).toBe(200);
    const client = new Client({ name: 'oauth-client', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp/everything`), { requestInit: { headers: bearer(mcpToken) } }),
    );
    kit.defer(() => client.close());
    expect(JSON.stringify((await client.callTool({ name: 'echo', arguments: { message: 'mcp' } })).content)).toContain('mcp');

    const upstreamHeaders = fs.readFileSync(headersFile, 'utf8');
    expect(upstreamHeaders.split('\n').filter(Boolean).length).toBeGreaterThan(0);
    for (const secret of [token, mcpToken, token.split('.')[2]!, mcpToken.split('.')[2]!]) {
      expect(upstreamHeaders).not.toContain(secret);
      expect(logText).not.toContain(secret);
    }
    expect(upstreamHeaders.toLowerCase()).not.toContain('authorization');

    const page = started.gateway.activity.list({ limit: 10 });
    const issuer = jwtIssuer.url.replace('http://', '');
    expect(page.items.map((entry) => entry.caller)).toEqual(expect.arrayContaining([`oauth:test-client@${issuer}`]));
    expect(JSON.stringify(page)).not.toContain(token.split('.')[2]!);
    const database = fs
      .readdirSync(started.stateDir)
      .filter((name) => name.includes('.db') || name.includes('.sqlite'))
      .map((name) => fs.readFileSync(path.join(started.stateDir, name)).toString('latin1'))
      .join('');
    expect(database.length).toBeGreaterThan(0);
    expect(database).not.toContain(token.split('.')[2]!);
  });

  it('lets the gateway listen beyond loopback without an API key when it is a resource server, and refuses a reload that would open it', async () => {
    const dir = tempDir();
    const config = path.join(dir, 'config.json');
    const resourceServer = { issuer: jwtIssuer.url, audience: 'https://gateway.example' };
    fs.writeFileSync(config, JSON.stringify({ gateway: { resourceServer }, mcpServers: {} }));
    const gateway = await startCli(['--host', '0.0.0.0', '-c', config, '--state-dir', tempDir()]);
    kit.defer(async () => void (await gateway.stop()));
    const port = new URL(gateway.url).port;
    const refused = await fetch(`http://127.0.0.1:${port}/api/servers`);
    expect(refused.status).toBe(401);
    expect(challengeOf(refused).resource_metadata).toBe(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource`);

    // A reload that would leave it without credentials or without an audience is refused; the running config stays.
    const keys = `http://127.0.0.1:${port}/api/keys`;

    const reloadRefused = async (file: object, problem: string) => {
      fs.writeFileSync(config, JSON.stringify(file));
      await gateway.waitForLog(
        (entry) => String(entry.msg).includes('keeping the running one') && JSON.stringify(entry.problems).includes(problem),
      );
      expect((await fetch(keys)).status).toBe(401);
    };
    // Removing gateway.resourceServer would turn authentication off.
    await reloadRefused({ gateway: {}, mcpServers: {} }, 'without an API key');
    // Dropping the audience leaves nothing but the Host header to name it.
    await reloadRefused({ gateway: { resourceServer: { issuer: jwtIssuer.url } }, mcpServers: {} }, '$.gateway.resourceServer.audience');
    const token = await tokenFor(jwtIssuer, resourceServer.audience);
    expect((await fetch(keys.replace('/api/keys', '/openapi.json'), { headers: bearer(token) })).status).toBe(200);
  });
});

describe('gateway.resourceServer: the start-up key and introspection', () => {
  it('warns at start when the start-up key lacks "mgw_" (a former one would be sent to the introspection endpoint), not when it has it', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'secret'), 'introspection-secret\n');
    const config = path.join(dir, 'config.json');
    const introspection = { endpoint: 'http://127.0.0.1:9/introspect', clientId: 'gw', clientSecretFile: path.join(dir, 'secret') };
    fs.writeFileSync(
      config,
      JSON.stringify({ gateway: { resourceServer: { issuer: 'https://issuer.example', introspection } }, mcpServers: {} }),
    );
    const warned = (gateway: { logs: Record<string, unknown>[] }) =>
      gateway.logs.some((line) => String(line.msg).includes('does not start with "mgw_"'));
    const plain = await startCli(['-c', config, '--state-dir', tempDir()], { MCP_GATEWAY_API_KEY: 'a-start-up-key-of-the-operator' });
    kit.defer(async () => void (await plain.stop()));
    expect(warned(plain)).toBe(true);
    const prefixed = await startCli(['-c', config, '--state-dir', tempDir()], { MCP_GATEWAY_API_KEY: `mgw_${'k'.repeat(43)}` });
    kit.defer(async () => void (await prefixed.stop()));
    expect(warned(prefixed)).toBe(false);
  });
});

describe('gateway.resourceServer: the UI', () => {
  const page = { Accept: 'text/html' };
  const cookieOf = (answer: Response) =>
    answer.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');

  it('makes no admin session from a token, sends a browser to the sign-in page, and drops anonymous sessions once tokens are needed', async () => {
    const started = await kit.gateway({}, { resourceServer: { issuer: jwtIssuer.url } });
    const base = await kit.listen(started.app);
    const home = await fetch(`${base}/`, { headers: page, redirect: 'manual' });
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toBe('/ui/login');
    const signIn = await fetch(`${base}/ui/login`, { headers: page, redirect: 'manual' });
    expect(signIn.status).toBe(200); // the page, not a redirect back (a loop)
    expect(cookieOf(signIn)).not.toContain('mcpgw_session');

    // A tools:read token's page view is that token's, and leaves no session behind that would be admin.
    const token = await tokenFor(jwtIssuer, base, 'tools:read');
    const viewed = await fetch(`${base}/`, { headers: { ...page, ...bearer(token) }, redirect: 'manual' });
    expect(viewed.status).toBe(200);
    const cookie = cookieOf(viewed);
    expect(cookie).not.toContain('mcpgw_session');
    expect((await fetch(`${base}/api/keys`, { headers: cookie ? { cookie } : {} })).status).toBe(401);

    // A gateway that needed nothing gives a page view an anonymous session; once it takes tokens, that session is nobody.
    const open = await kit.gateway({}, {});
    const openBase = await kit.listen(open.app);
    const anonymous = cookieOf(await fetch(`${openBase}/`, { headers: page }));
    expect(anonymous).toContain('mcpgw_session');
    expect((await fetch(`${openBase}/api/keys`, { headers: { cookie: anonymous } })).status).toBe(200);
    const { config } = open.gateway;
    await open.gateway.reload({ ...config, gateway: { ...config.gateway, resourceServer: started.gateway.config.gateway.resourceServer } });
    expect((await fetch(`${openBase}/api/keys`, { headers: { cookie: anonymous } })).status).toBe(401);
  });
});

describe("gateway.resourceServer: the audience is never the caller's to say", () => {
  it('takes no audience from X-Forwarded-Prefix or X-Forwarded-Proto: a /mcp token stays off the REST surfaces', async () => {
    const base = await gatewayOf(jwtIssuer);
    const mcpToken = await tokenFor(jwtIssuer, `${base}/mcp`);
    const spoofed: Record<string, string>[] = [
      { 'X-Forwarded-Prefix': '/mcp' },
      { 'X-Forwarded-Prefix': '/mcp', 'X-Forwarded-Proto': 'https' },
    ];
    for (const headers of spoofed) {
      const answer = await fetch(`${base}/openapi.json`, { headers: { ...bearer(mcpToken), ...headers } });
      expect(answer.status).toBe(401);
      expect(challengeOf(answer).error_description).toMatch(/audience/);
      expect((await fetch(`${base}/api/servers`, { headers: { ...bearer(mcpToken), ...headers } })).status).toBe(401);
    }
    // The host's https URL is the gateway's too (a TLS proxy in front), whatever X-Forwarded-Proto says.
    const httpsToken = await tokenFor(jwtIssuer, base.replace('http:', 'https:'));
    expect((await fetch(`${base}/openapi.json`, { headers: bearer(httpsToken) })).status).toBe(200);
  });

  it('takes no audience from an unchecked Host; `audience` decides whatever Host says', async () => {
    // Host checks off (a listener beyond loopback without allowed hosts): a token for another API refused.
    const { app } = await kit.gateway({}, { resourceServer: { issuer: jwtIssuer.url } }, { restrictHosts: false });
    const base = await kit.listen(app);
    const foreign = await tokenFor(jwtIssuer, 'https://other-api.example');
    expect(await statusWith(`${base}/openapi.json`, { host: 'other-api.example', ...bearer(foreign) })).toBe(401);
    expect(await statusWith(`${base}/openapi.json`, { ...bearer(await tokenFor(jwtIssuer, base)) })).toBe(401);

    const audience = 'https://gateway.example';
    const { app: configured } = await kit.gateway({}, { resourceServer: { issuer: jwtIssuer.url, audience } }, { restrictHosts: false });
    const configuredBase = await kit.listen(configured);
    expect(await statusWith(`${configuredBase}/openapi.json`, { host: 'other-api.example', ...bearer(foreign) })).toBe(401);
    const own = await tokenFor(jwtIssuer, audience);
    expect(await statusWith(`${configuredBase}/openapi.json`, { host: 'other-api.example', ...bearer(own) })).toBe(200);
  });

  it('refuses to start beyond loopback without `audience` unless host names are allowed', async () => {
    const dir = tempDir();
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(config, JSON.stringify({ gateway: { resourceServer: { issuer: jwtIssuer.url } }, mcpServers: {} }));
    const refused = await runCli(['--host', '0.0.0.0', '--port', '0', '-c', config, '--state-dir', tempDir()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('$.gateway.resourceServer.audience');
    const allowed = await startCli(['--host', '0.0.0.0', '--allowed-host', 'gateway.example', '-c', config, '--state-dir', tempDir()]);
    kit.defer(async () => void (await allowed.stop()));
    expect((await fetch(`http://127.0.0.1:${new URL(allowed.url).port}/api/servers`)).status).toBe(401);
  });
});

describe('gateway.resourceServer: the settings', () => {
  it('names the field and what was expected for a bad issuer, algorithm, scope or secret file', async () => {
    const { parseConfigText } = await import('../server/config/load.js');
    const dir = tempDir();
    const parse = (resourceServer: object) => () =>
      parseConfigText(JSON.stringify({ gateway: { resourceServer }, mcpServers: {} }), path.join(dir, 'config.json'));
    expect(parse({ issuer: 'ftp://issuer.example' })).toThrow(/\$\.gateway\.resourceServer\.issuer: expected an http: or https: URL/);
    expect(parse({ issuer: 'https://issuer.example', algorithms: ['HS256'] })).toThrow(
      /\$\.gateway\.resourceServer\.algorithms\[0\]: expected one of "RS256"/,
    );
    expect(parse({ issuer: 'https://issuer.example', scopeMap: { write: ['root'] } })).toThrow(
      /\$\.gateway\.resourceServer\.scopeMap\.write\[0\]: expected one of "tools:call"/,
    );
    expect(parse({ issuer: 'https://issuer.example', introspection: { clientId: 'gw', clientSecretFile: 'nope' } })).toThrow(
      /\$\.gateway\.resourceServer\.introspection\.clientSecretFile: cannot read secret file .*nope \(ENOENT\)/,
    );
    expect(parse({ audience: 'https://gw.example' })).toThrow(/\$\.gateway\.resourceServer\.issuer/);
    const config = parseConfigText(
      JSON.stringify({ gateway: { resourceServer: { issuer: 'https://issuer.example/' } }, mcpServers: {} }),
      path.join(dir, 'c.json'),
    );
    expect(config.gateway.resourceServer).toEqual({
      issuer: 'https://issuer.example/',
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      scopeMap: {},
      requiredScopes: [],
    });
    expect(parseConfigText('{"mcpServers": {}}', path.join(dir, 'd.json')).gateway.resourceServer).toBeUndefined();
  });
});
