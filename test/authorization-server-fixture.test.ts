// The authorization server fixture (test/fixtures/authorization-server.mjs) does what its header
// says, for the tests of the gateway as a resource server and as an OAuth client: metadata at both
// well-known paths, dynamic registration, the authorization code with PKCE signed in without a
// person (and with one click when interactive), refresh tokens rotated, the token lifetime setting.
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpFixture, type HttpServer } from './helpers/http-server.js';

const running: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

async function start(args: string[] = []): Promise<HttpServer> {
  const server = await startHttpFixture(['authorization-server.mjs', ...args], '');
  running.push(server);
  return server;
}

const REDIRECT = 'http://127.0.0.1:1/callback';
const RESOURCE = 'https://gateway.example/mcp';

interface Metadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  registration_endpoint: string;
  code_challenge_methods_supported: string[];
}

/** Registers a public client (RFC 7591) and builds an authorization request for it with PKCE. */
async function authorizationRequest(metadata: Metadata) {
  const registered = await fetch(metadata.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  expect(registered.status).toBe(201);
  const { client_id: clientId } = (await registered.json()) as { client_id: string };
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(metadata.authorization_endpoint);
  for (const [name, value] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    scope: 'tools:call',
    resource: RESOURCE,
    state: 'the-state',
  }))
    url.searchParams.set(name, value);
  return { clientId, verifier, url };
}

const tokenRequest = (metadata: Metadata, fields: Record<string, string>) =>
  fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/** Requests with a browser's cookie jar, by hand: `visit(url, method?, form?)`. */
function browserLike() {
  const jar = new Map<string, string>();
  return async (target: URL, method = 'GET', form?: Record<string, string>) => {
    const answer = await fetch(target, {
      method,
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      ...(form && { body: new URLSearchParams(form) }),
    });
    for (const line of answer.headers.getSetCookie()) {
      const [pair] = line.split(';');
      jar.set(pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1));
    }
    return answer;
  };
}

describe('authorization-server.mjs', () => {
  it('signs the test user in without a person, issues a JWT for the resource, and rotates refresh tokens', async () => {
    const server = await start(['--access-token-ttl', '120', '--test-user', 'alice']);
    const metadata = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Metadata;
    expect(metadata.issuer).toBe(server.url);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(((await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Metadata).issuer).toBe(server.url);

    const { clientId, verifier, url } = await authorizationRequest(metadata);
    const redirect = await fetch(url, { redirect: 'manual' }); // no cookies kept
    expect(redirect.status).toBe(303);
    const back = new URL(redirect.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('the-state');
    expect(back.searchParams.get('iss')).toBe(server.url);

    const exchange = {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      client_id: clientId,
    };
    expect((await tokenRequest(metadata, { ...exchange, code_verifier: 'x'.repeat(43) })).status).toBe(400); // PKCE checked
    const issued = (await (await tokenRequest(metadata, { ...exchange, code_verifier: verifier })).json()) as Record<string, string>;
    expect(issued).toMatchObject({ token_type: 'Bearer', expires_in: 120, scope: 'tools:call' });
    expect(claimsOf(issued.access_token!)).toMatchObject({ iss: server.url, aud: RESOURCE, sub: 'alice', scope: 'tools:call' });

    const refresh = { grant_type: 'refresh_token', client_id: clientId };
    const renewed = (await (await tokenRequest(metadata, { ...refresh, refresh_token: issued.refresh_token! })).json()) as Record<
      string,
      string
    >;
    expect(renewed.refresh_token).toBeTruthy();
    expect(renewed.refresh_token).not.toBe(issued.refresh_token);
    expect(claimsOf(renewed.access_token!)).toMatchObject({ aud: RESOURCE, sub: 'alice' });
    const reused = await tokenRequest(metadata, { ...refresh, refresh_token: issued.refresh_token! });
    expect(reused.status).toBe(400);
    expect(((await reused.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('grants AS_DEFAULT_SCOPE to an authorization request that names no scope', async () => {
    const server = await start();
    const metadata = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Metadata;
    const { url } = await authorizationRequest(metadata);
    url.searchParams.delete('scope');
    url.searchParams.delete('resource');
    const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    expect(back.searchParams.get('error')).toBeNull();
    expect(back.searchParams.get('code')).toBeTruthy();
  });

  it('waits for a click on "Sign in" when interactive', async () => {
    const server = await start(['--interactive=1']);
    const metadata = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Metadata;
    const { url } = await authorizationRequest(metadata);
    const visit = browserLike();
    let answer = await visit(url);
    let target = url;
    while (answer.status === 303) {
      target = new URL(answer.headers.get('location')!, target);
      answer = await visit(target);
    }
    const page = await answer.text();
    expect(page).toContain('id="sign-in"');
    target = new URL(/action="([^"]+)"/.exec(page)![1]!, server.url);
    answer = await visit(target, 'POST');
    while (answer.status === 303 && new URL(answer.headers.get('location')!, target).origin === server.url) {
      target = new URL(answer.headers.get('location')!, target);
      answer = await visit(target);
    }
    expect(new URL(answer.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it('signs in the account typed, waits for "Allow" with AS_CONSENT, and reports what it issued; revoke-grants refuses the refresh token', async () => {
    const server = await start(['--interactive=1', '--consent=1']);
    const metadata = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Metadata;
    const { clientId, verifier, url } = await authorizationRequest(metadata);
    const visit = browserLike();
    /** Follows redirects on the server's own origin; the last answer (a page, or the redirect to the client). */
    const follow = async (first: Response, from: URL) => {
      let [answer, target] = [first, from];
      while (answer.status === 303 && new URL(answer.headers.get('location')!, target).origin === server.url) {
        target = new URL(answer.headers.get('location')!, target);
        answer = await visit(target);
      }
      return answer;
    };
    const actionOf = (page: string) => new URL(/action="([^"]+)"/.exec(page)![1]!, server.url);
    const signIn = await (await follow(await visit(url), url)).text();
    expect(signIn).toContain('id="login"');
    const consent = await (await follow(await visit(actionOf(signIn), 'POST', { login: 'bob' }), url)).text();
    expect(consent).toContain('id="allow"');
    expect(consent).toContain(`${RESOURCE}: tools:call`);
    const back = await follow(await visit(actionOf(consent), 'POST'), url);
    const code = new URL(back.headers.get('location')!).searchParams.get('code')!;
    const answer = await tokenRequest(metadata, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
    });
    const tokens = (await answer.json()) as Record<string, string>;
    expect(claimsOf(tokens.access_token!)).toMatchObject({ sub: 'bob', aud: RESOURCE });

    const hook = async (name: string, method = 'GET') => (await fetch(`${server.url}/test/${name}`, { method })).json();
    expect(await hook('issued')).toEqual([code, tokens.access_token, tokens.refresh_token]);
    expect(await hook('stats')).toMatchObject({ registrations: 1, authorizations: 1, codeExchanges: 1, refreshes: 0 });
    expect(await hook('revoke-grants', 'POST')).toEqual({ revoked: 1 });
    const refused = await tokenRequest(metadata, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: tokens.refresh_token!,
    });
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_grant');
    expect(await hook('stats')).toMatchObject({ refreshes: 0, refusedRefreshes: 1 });
  });
});
