/** `/api/servers`: list, inspect, enable/disable and restart upstream servers. */
import type { IncomingMessage } from 'node:http';
import { hasScope } from '../../auth/identity.js';
import type { Supervisor, ServerView } from '../../upstream/supervisor.js';
import type { ServerDisplay } from '../../config/types.js';
import { ProblemError } from '../../errors.js';
import { BODY, SERVER_NOT_FOUND, json, problem } from '../../openapi/responses.js';
import { PatchServerBody, ServerDetailSchema, ServerListSchema, ServerLogSchema, ServerNameParams } from '../api-schemas.js';
import type { RouteServices } from '../app.js';
import { defineRoute } from '../route.js';
import { CONNECT_LINK_PATH, connectLinkUrl, oauthCallbackUrl } from '../base-path.js';
import { OAuthConnectBody, OAuthConnectSchema, OAuthDisconnectSchema, ServerUserParams } from '../api-schemas.js';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * The JSON shape of a server; `detail` adds the stderr tail, instructions and the config as written;
 * `admin` (the caller is an admin) the users of a `perUserAuth` server, who are not every key's business.
 */
export function serverJson(view: ServerView, detail: boolean, display?: ServerDisplay, admin = true) {
  const lastError = view.lastError
    ? {
        message: view.lastError.message,
        at: iso(view.lastError.at),
        exitCode: view.lastError.exitCode ?? null,
        signal: view.lastError.signal ?? null,
        ...(detail ? { stderrTail: view.lastError.stderrTail } : {}),
      }
    : null;
  return {
    name: view.name,
    description: view.description ?? null,
    transport: view.transport,
    enabled: view.enabled,
    enabledSource: view.enabledSource,
    state: view.state,
    since: iso(view.since),
    pid: view.pid ?? null,
    restarts: view.restarts,
    consecutiveFailures: view.consecutiveFailures,
    crashLooping: view.crashLooping,
    nextRetryAt: iso(view.nextRetryAt),
    lastError,
    counts: view.counts,
    serverInfo: view.serverInfo ?? null,
    protocolVersion: view.protocolVersion ?? null,
    oauth: view.oauth
      ? {
          connected: view.oauth.connected,
          expiresAt: iso(view.oauth.expiresAt),
          obtainedAt: iso(view.oauth.obtainedAt),
          signedInAt: iso(view.oauth.signedInAt),
          scopes: view.oauth.scopes,
          ...(view.oauth.users &&
            admin && {
              users: view.oauth.users.map((user) => ({
                user: user.user,
                connected: user.connected,
                expiresAt: iso(user.expiresAt),
                obtainedAt: iso(user.obtainedAt),
                signedInAt: iso(user.signedInAt),
                scopes: user.scopes,
                account: user.account ?? null,
              })),
            }),
        }
      : null,
    ...(detail ? { instructions: view.instructions ?? null, stderrTail: view.stderrTail, config: display ?? null } : {}),
  };
}

type Services = Pick<RouteServices, 'supervisor'>;

const detail = (supervisor: Supervisor, name: string, admin = true) =>
  serverJson(supervisor.status(name)!, true, supervisor.require(name).currentConfig.display, admin);

/** Whether the request's caller is an admin (sees a `perUserAuth` server's users). */
const isAdmin = (req: IncomingMessage) => req.identity !== undefined && hasScope(req.identity, 'admin');

export const SERVER_ROUTES = [
  defineRoute({
    method: 'get',
    path: '/api/servers',
    scope: 'tools:read',
    operationId: 'listServers',
    summary: 'List servers',
    description: 'Every configured server with its state, in the order of the config file.',
    tag: 'servers',
    responses: { '200': json('The servers.', ServerListSchema) },
    handler: (req, res, _input, { supervisor }: Services) => {
      const admin = isAdmin(req);
      res.json({ servers: supervisor.list().map((view) => serverJson(view, false, undefined, admin)) });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/servers/{name}',
    scope: 'tools:read',
    operationId: 'getServer',
    summary: 'Show a server',
    description: 'One server in detail: its state, last error and stderr tail, instructions, and its config as written (no secrets).',
    tag: 'servers',
    request: { params: ServerNameParams },
    responses: { '200': json('The server.', ServerDetailSchema), '404': SERVER_NOT_FOUND },
    handler: (req, res, _input, { supervisor }: Services) => {
      supervisor.require(req.params.name);
      res.json(detail(supervisor, req.params.name, isAdmin(req)));
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/servers/{name}',
    scope: 'admin',
    operationId: 'updateServer',
    summary: 'Enable or disable a server',
    description:
      'Starts (`enabled: true`) or stops (`enabled: false`) the server and answers its new state. The choice is a run-time ' +
      'override, kept in the state directory across gateway restarts until the config file changes its own `enabled`.',
    tag: 'servers',
    request: {
      params: ServerNameParams,
      body: { description: 'The new `enabled`.', required: true, schema: PatchServerBody },
    },
    responses: {
      ...BODY,
      '200': json('The server, after the change.', ServerDetailSchema),
      '404': SERVER_NOT_FOUND,
      '422': problem(
        '`invalid-request`: the body is not `{"enabled": <boolean>}`; `errors` names each field (an unknown one is "unknown field").',
      ),
    },
    handler: async (req, res, input, { supervisor }: Services) => {
      supervisor.require(req.params.name);
      const body = input.body();
      await supervisor.setEnabled(req.params.name, body.enabled);
      res.json(detail(supervisor, req.params.name));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/servers/{name}/restart',
    scope: 'admin',
    operationId: 'restartServer',
    summary: 'Restart a server',
    description: 'Stops the server and starts it again at once, forgetting earlier failures. Answers once the new start has begun.',
    tag: 'servers',
    request: { params: ServerNameParams },
    responses: {
      '202': json('The restart has begun; the server, now `starting`.', ServerDetailSchema),
      '404': SERVER_NOT_FOUND,
      '409': problem('`server-disabled`: the server is disabled; enable it with `PATCH {"enabled": true}`.'),
    },
    handler: async (req, res, _input, { supervisor }: Services) => {
      const restarted = await supervisor.restart(req.params.name);
      if (!restarted.ok && restarted.why === 'not-found')
        throw new ProblemError('server-not-found', `no server named "${req.params.name}"`);
      if (!restarted.ok)
        throw new ProblemError('server-disabled', `server "${req.params.name}" is disabled; enable it with PATCH {"enabled": true}`);
      res.status(202).json(detail(supervisor, req.params.name));
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/servers/{name}/oauth/connect',
    scope: 'admin',
    operationId: 'connectServerOAuth',
    summary: 'Start signing a server in (OAuth)',
    description:
      'For a remote server behind OAuth: discovers its authorization server, registers the gateway where needed and answers the ' +
      "`authorizationUrl` to open in a browser. The authorization server sends the browser back to the gateway's " +
      '`/ui/oauth/callback` on the origin and base path of this request, within 10 minutes (the `state` it carries binds it). When no person is needed (tokens could be refreshed; client credentials) the server ' +
      'connects at once and `authorizationUrl` is null. For a `perUserAuth` server, name the `user`: the answer is a ' +
      `\`connectUrl\` (\`${CONNECT_LINK_PATH}\`, on the origin and base path of this request) for that user to open, valid for an hour, ` +
      'that signs them in with their own account.',
    tag: 'servers',
    request: {
      params: ServerNameParams,
      body: {
        description: 'For a `perUserAuth` server: the user to connect. May be left out otherwise.',
        required: false,
        schema: OAuthConnectBody,
      },
    },
    responses: {
      ...BODY,
      '200': json('Where to sign in, or null when the server is connecting already; or the connect link for the user.', OAuthConnectSchema),
      '404': SERVER_NOT_FOUND,
      '409': problem(
        '`feature-not-offered`: a stdio server has no OAuth, or a `user` was named for a server without `perUserAuth`; `server-disabled`: the server is disabled.',
      ),
      '422': problem('`invalid-request`: the body is not `{"user": <string>}`, or a `perUserAuth` server was given no `user`.'),
      '502': problem('`upstream-error`: the server or its authorization server failed (discovery, registration).'),
    },
    handler: async (req, res, input, { supervisor }: Services) => {
      const user = input.body()?.user;
      if (user !== undefined) {
        const link = supervisor.users(req.params.name).createLink(user);
        res.json({ authorizationUrl: null, connectUrl: connectLinkUrl(req, link.token), expiresAt: iso(link.expiresAt) });
        return;
      }
      const url = await supervisor.beginSignIn(req.params.name, oauthCallbackUrl(req));
      res.json({ authorizationUrl: url?.href ?? null });
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/servers/{name}/oauth/users/{user}',
    scope: 'admin',
    operationId: 'disconnectServerOAuthUser',
    summary: "Disconnect one user's account from a server (OAuth)",
    description:
      "For a `perUserAuth` server: revokes the user's tokens where the authorization server offers revocation (RFC 7009), " +
      'forgets them and closes their connection; their calls get 403 `connect-first` until they connect again.',
    tag: 'servers',
    request: { params: ServerUserParams },
    responses: {
      '200': json('The server after the change, and whether revoking failed.', OAuthDisconnectSchema),
      '404': SERVER_NOT_FOUND,
      '409': problem('`feature-not-offered`: the server does not have `perUserAuth`.'),
    },
    handler: async (req, res, _input, { supervisor }: Services) => {
      const failure = await supervisor.signOutUser(req.params.name, req.params.user);
      res.json({ revokeError: failure ?? null, server: detail(supervisor, req.params.name) });
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/servers/{name}/oauth',
    scope: 'admin',
    operationId: 'disconnectServerOAuth',
    summary: 'Disconnect a server (OAuth)',
    description:
      "Revokes the server's tokens where its authorization server offers revocation (RFC 7009), forgets them and the " +
      'registration, and connects anew: a server that needs a person then waits in `needs-sign-in`.',
    tag: 'servers',
    request: { params: ServerNameParams },
    responses: {
      '200': json('The server after the change, and whether revoking failed.', OAuthDisconnectSchema),
      '404': SERVER_NOT_FOUND,
      '409': problem('`feature-not-offered`: a stdio server has no OAuth.'),
    },
    handler: async (req, res, _input, { supervisor }: Services) => {
      const failure = await supervisor.signOut(req.params.name);
      res.json({ revokeError: failure ?? null, server: detail(supervisor, req.params.name) });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/servers/{name}/logs',
    scope: 'approvals:decide',
    operationId: 'getServerLogs',
    summary: "Read a server's log messages",
    description:
      'The last log messages (`notifications/message`) the server sent, oldest first, at most `gateway.serverLogLines`; ' +
      'kept in memory since the gateway started. A server sends them at the level set by its `logLevel` (or chosen on its page).',
    tag: 'servers',
    request: { params: ServerNameParams },
    responses: { '200': json("The server's log.", ServerLogSchema), '404': SERVER_NOT_FOUND },
    handler: (req, res, _input, { supervisor, settings }: Services & Pick<RouteServices, 'settings'>) => {
      const connection = supervisor.require(req.params.name);
      res.json({
        level: connection.logLevel ?? null,
        capacity: settings().serverLogLines,
        entries: connection.logMessages().map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() })),
      });
    },
  }),
];
