/**
 * The servers page (`/`): every server with its state, a switch to enable or disable it and a
 * restart button. Each server is one partial (`partials/server`), served alone for htmx swaps
 * and live updates (`GET /ui/servers/{name}`). The switch and the button run the very same
 * supervisor calls as `PATCH /api/servers/{name}` and `POST /api/servers/{name}/restart`
 * (`Supervisor.setEnabled`, `Supervisor.restart`). A card's "Server log" opens the server's last
 * log messages (`partials/server-log`, `GET /ui/servers/{name}/log`, newest first) with a select
 * that sets its log level until the gateway restarts (`POST /ui/servers/{name}/log-level`).
 */
import type { Request, Response } from 'express';
import type { PageRouter } from '../http/route.js';
import type { ServerView } from '../upstream/supervisor.js';
import { LOG_LEVELS, type LogLevel } from '../config/types.js';
import { ProblemError } from '../errors.js';
import { prefixOf } from '../http/base-path.js';
import { ageText } from './display.js';
import { isSwap, pageContext, sendView } from './render.js';
import type { UiDeps } from './routes.js';
import { oauthPages } from './oauth-pages.js';

/** What `partials/server` shows of a server. */
export function serverModel(view: ServerView, now = Date.now(), resourceTemplates = 0) {
  return {
    name: view.name,
    description: view.description ?? '',
    transport: view.transport,
    enabled: view.enabled,
    state: view.state,
    stateLabel:
      view.crashLooping && view.state === 'backoff'
        ? 'backoff (crash loop)'
        : view.state === 'needs-sign-in'
          ? 'needs sign-in'
          : view.state,
    /**
     * A server behind OAuth: Connect while it needs a person, Disconnect while it holds tokens. A
     * `perUserAuth` server instead lists its users (each with Disconnect) and makes connect links.
     */
    oauth: view.oauth
      ? view.oauth.users
        ? {
            connected: false,
            needsSignIn: false,
            users: view.oauth.users.map((user) => ({
              user: user.user,
              connected: user.connected,
              expires: user.expiresAt === undefined ? '' : ageText(user.expiresAt - now),
              account: user.account ?? '',
            })),
          }
        : { connected: view.oauth.connected, needsSignIn: view.state === 'needs-sign-in', users: null }
      : null,
    since: ageText(now - view.since),
    restarts: view.restarts,
    tools: view.counts.tools,
    /** Resources and templates, and prompts: the card links to their pages when there are some. */
    resources: view.counts.resources + resourceTemplates,
    prompts: view.counts.prompts,
    nextRetry: view.nextRetryAt ? ageText(view.nextRetryAt - now) : '',
    lastError: view.lastError?.message ?? '',
    lastErrorAge: view.lastError ? ageText(now - view.lastError.at) : '',
    stderrTail: view.stderrTail.join('\n'),
    serverInfo: view.serverInfo ? `${view.serverInfo.title ?? view.serverInfo.name} ${view.serverInfo.version}` : '',
  };
}

export function serverPages(pages: PageRouter, deps: UiDeps): void {
  const { supervisor } = deps;
  const view = (name: string): ServerView => supervisor.status(supervisor.require(name).name)!;
  const modelOf = (server: ServerView) => serverModel(server, Date.now(), supervisor.get(server.name)?.resourceTemplates().length ?? 0);
  const readyCount = (servers: ServerView[]) => servers.filter((server) => server.state === 'ready').length;
  const listModel = () => {
    const servers = supervisor.list();
    return { servers: servers.map(modelOf), ready: readyCount(servers) };
  };

  pages.get('/', 'tools:read', (req, res) => {
    const page = pageContext(req, 'servers');
    if (isSwap(req, 'servers')) return sendView(res, 'partials/server-list', listModel(), page);
    sendView(res, 'pages/servers', listModel(), page);
  });

  /** One server's card, with the page's summary line out of band (its counts may have changed too). */
  const cardModel = (name: string) => {
    const servers = supervisor.list();
    return { server: modelOf(view(name)), count: servers.length, ready: readyCount(servers) };
  };

  pages.get('/ui/servers/{name}', 'tools:read', (req, res) => {
    sendView(res, 'partials/server-card', cardModel(req.params.name!), pageContext(req, 'servers'));
  });

  /** After a change: the server's partial for htmx, or back to the page for a plain form post. */
  const answer = (req: Request, res: Response, name: string) => {
    if (req.headers['hx-request']) {
      sendView(res, 'partials/server-card', cardModel(name), pageContext(req, 'servers'));
      return;
    }
    res.redirect(303, `${prefixOf(req)}/`);
  };

  pages.post('/ui/servers/{name}/enabled', 'admin', async (req, res) => {
    const name = req.params.name!;
    view(name);
    const wanted = req.form?.get('enabled');
    if (wanted !== 'true' && wanted !== 'false') {
      throw new ProblemError('invalid-request', 'enabled must be "true" or "false"', {
        errors: [{ field: 'enabled', message: 'must be "true" or "false"' }],
      });
    }
    await supervisor.setEnabled(name, wanted === 'true');
    answer(req, res, name);
  });

  pages.post('/ui/servers/{name}/restart', 'admin', async (req, res) => {
    const name = req.params.name!;
    const restarted = await supervisor.restart(name);
    if (!restarted.ok && restarted.why === 'not-found') throw new ProblemError('server-not-found', `no server named "${name}"`);
    if (!restarted.ok) throw new ProblemError('server-disabled', `server "${name}" is disabled; enable it first`);
    answer(req, res, name);
  });

  const connectionOf = (name: string) => supervisor.require(name);

  /** The server's log partial: its last log messages (untrusted, escaped by the view) and its log level. */
  const logModel = (name: string) => {
    const connection = connectionOf(name);
    return {
      log: {
        name,
        logging: connection.features().logging,
        configLevel: connection.currentConfig.logLevel ?? '',
        override: connection.levelOverride ?? '',
        levels: LOG_LEVELS,
        entries: connection
          .logMessages()
          .reverse()
          .map((entry) => ({
            ...entry,
            at: new Date(entry.at).toISOString(),
            time: new Date(entry.at).toISOString().slice(11, 19),
            levelClass: (LOG_LEVELS as readonly string[]).includes(entry.level) ? entry.level : 'other',
          })),
      },
    };
  };

  pages.get('/ui/servers/{name}/log', 'approvals:decide', (req, res) => {
    sendView(res, 'partials/server-log', logModel(req.params.name!), pageContext(req, 'servers'));
  });

  /** Sets the server's log level until the gateway restarts; "" goes back to the config's `logLevel`. */
  pages.post('/ui/servers/{name}/log-level', 'admin', (req, res) => {
    const name = req.params.name!;
    const connection = connectionOf(name);
    const wanted = req.form?.get('level') ?? '';
    if (wanted !== '' && !(LOG_LEVELS as readonly string[]).includes(wanted)) {
      const message = `must be "" or one of ${LOG_LEVELS.join(', ')}`;
      throw new ProblemError('invalid-request', `level ${message}`, { errors: [{ field: 'level', message }] });
    }
    connection.setLogLevel(wanted === '' ? undefined : (wanted as LogLevel));
    if (req.headers['hx-request']) return sendView(res, 'partials/server-log', logModel(name), pageContext(req, 'servers'));
    res.redirect(303, `${prefixOf(req)}/`);
  });

  oauthPages(pages, deps, answer);

  // Used by the live stream's fallback and by list changes (a server added or removed).
  pages.get('/ui/servers', 'tools:read', (req, res) => {
    sendView(res, 'partials/server-list', listModel(), pageContext(req, 'servers'));
  });
}
