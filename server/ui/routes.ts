/**
 * The orchestrator: server-rendered HTML pages for a person with a browser, apart from the JSON
 * API but on the same services (a form post and a REST call run the same code).
 *
 * - `/` servers, `/servers/{name}/resources`, `/servers/{name}/resource?uri=…` and
 *   `/servers/{name}/prompts` (a server's resources and prompts), `/tools` and `/tools/{server}/{tool}` tools, `/activity` and `/activity/{id}`,
 *   `/approvals` and `/approvals/{id}` (calls waiting for a person's decision), `/connect` (the
 *   URLs to give Open WebUI and other clients);
 * - `/ui/...` the pages' actions and fragments, the sign-in, `/ui/events` (live updates), and
 *   `/ui/apps/...` the sandboxed documents of MCP Apps and their calls (apps-pages.ts);
 * - `/static/...` htmx (vendored from the `htmx.org` package), the stylesheet, the script, icons.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { ActivityLog } from '../activity/log.js';
import { sessionCookie, type SessionStore } from '../auth/sessions.js';
import type { ToolCaller } from '../calls/call-tool.js';
import type { ApprovalSettings, GatewaySettings, ToolGroup } from '../config/types.js';
import type { GatewayEvents } from '../events.js';
import { prefixOf } from '../http/base-path.js';
import type { RouteTable } from '../http/route.js';
import { ProblemError } from '../errors.js';
import type { ApprovalBook } from '../approvals/book.js';
import type { QuestionBook } from '../questions/book.js';
import type { DeviceStore } from '../auth/devices.js';
import type { FailureLimiter } from '../auth/failures.js';
import type { Pairings } from '../auth/pairing.js';
import { ANONYMOUS, hasScope } from '../auth/identity.js';
import type { KeyStore } from '../auth/keys.js';
import type { Supervisor } from '../upstream/supervisor.js';
import { accessPages } from './access-pages.js';
import { activityPages } from './activity-pages.js';
import { appPages } from './apps-pages.js';
import { pairingPages } from './pairing-pages.js';
import { approvalPages } from './approvals-pages.js';
import { connectPages } from './connect-pages.js';
import { LiveVersions, liveEvents } from './live-events.js';
import { serverPages } from './servers-pages.js';
import { pageContext, sendView } from './render.js';
import { promptPages } from './prompts-pages.js';
import { resourcePages } from './resources-pages.js';
import { listsStatusPages } from './server-lists.js';
import { signInPages } from './sign-in.js';
import { toolPages } from './tools-pages.js';

export interface UiDeps {
  supervisor: Supervisor;
  caller: ToolCaller;
  activity: ActivityLog;
  sessions: SessionStore;
  settings: () => GatewaySettings;
  /** The gateway's start-up key, when one is configured: then the UI needs a sign-in. */
  apiKey?: string;
  /** API keys: an admin key signs in too. */
  keys: KeyStore;
  /** Failed sign-ins and pairing claims, per address (shared with the API's key checks). */
  failures: FailureLimiter;
  /** What happened (calls finished, servers, approvals, sessions): the pages' live streams follow it. */
  events: GatewayEvents;
  /** Calls held for a person's decision. */
  approvals: ApprovalBook;
  /** What servers ask a person during calls: question cards on the approvals pages. */
  questions: QuestionBook;
  /** The approval policy in force (it changes with a config reload): the tools' "asks for approval" marks. */
  approvalPolicy: () => ApprovalSettings;
  /** Paired devices, and the pairing under way (one at a time). */
  devices: DeviceStore;
  pairings: Pairings;
  /** The tool groups in force (their `/mcp/{group}` URLs on the Connect page). */
  groups: () => ToolGroup[];
}

const HTMX_FILE = path.join(path.dirname(createRequire(import.meta.url).resolve('htmx.org/package.json')), 'dist', 'htmx.min.js');

/** Whether a request asks for a page of the UI (which then gets a session for its CSRF token). */
const PAGE_PATHS = /^\/(?:$|tools(?:\/|$)|servers\/|activity(?:\/|$)|approvals(?:\/|$)|connect$)/;

/** The pages on a router of their own; each page is declared with its scope in `table` (http/route.ts). */
export function uiRoutes(deps: UiDeps, table: RouteTable): Router {
  const router = Router();
  const pages = table.pages(router);

  pages.get('/static/htmx.min.js', 'tools:read', (_req, res) => res.sendFile(HTMX_FILE, { maxAge: '1d' }));

  // Without a key nobody signs in, but forms still need a CSRF token: a page view starts an
  // anonymous session for it (in memory only; after a gateway restart the page is reloaded). Only
  // for an anonymous request: a key's or an access token's page view must not become an admin session.
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (!req.session && !deps.apiKey && req.identity?.kind === 'anonymous' && req.method === 'GET' && PAGE_PATHS.test(req.path)) {
      const { token, session } = deps.sessions.create(
        { caller: ANONYMOUS, label: ANONYMOUS, scopes: ['admin'], subject: null },
        { persist: false },
      );
      req.session = session;
      res.append('Set-Cookie', sessionCookie(req, token, deps.settings().sessionTtlMs, `${prefixOf(req)}/`));
    }
    next();
  });

  // approvals: every page's nav shows the pending count to those who may decide (read when the page renders).
  const pendingCount = () => deps.approvals.pendingCount + deps.questions.pendingCount;
  // Every page carries the versions of what it shows live, for the stream to catch up on (live-events.ts).
  const versions = new LiveVersions(deps.events);
  const liveVersions = () => versions.text();
  router.use((req: Request, _res: Response, next: NextFunction) => {
    if (req.identity && hasScope(req.identity, 'approvals:decide')) req.pendingApprovals = pendingCount;
    req.liveVersions = liveVersions;
    next();
  });

  signInPages(pages, deps);
  serverPages(pages, deps);
  toolPages(pages, deps);
  resourcePages(pages, deps);
  promptPages(pages, deps);
  appPages(pages, deps);
  listsStatusPages(pages, deps);
  activityPages(pages, deps);
  approvalPages(pages, deps);
  connectPages(pages, deps);
  liveEvents(pages, deps, versions);
  accessPages(pages, deps);
  pairingPages(pages, deps);

  // A page that fails (a server or tool that is not there) is a page too; swaps and scripts get the problem JSON.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    const wantsPage = req.method === 'GET' && !req.headers['hx-request'] && (req.headers.accept ?? '').includes('text/html');
    if (!(error instanceof ProblemError) || !wantsPage) return next(error);
    sendView(res, 'pages/error', { title: error.body().title, detail: error.detail ?? '' }, pageContext(req, 'servers'), error.status);
  });
  return router;
}
