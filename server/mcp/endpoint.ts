/**
 * The gateway as an MCP server over streamable HTTP: `/mcp` (every enabled server's tools),
 * `/mcp/{server}` (one server's, under their own names) and `/mcp/{group}` (a config group).
 * This folder is the only place the SDK's serving side is imported.
 *
 * Both protocol eras, told apart per request by the SDK's own classification:
 * - 2025-era clients (`initialize`; 2025-11-25, 2025-06-18, 2025-03-26 …) get a session: an SDK
 *   transport and server for its lifetime, `Mcp-Session-Id`, the GET stream for notifications,
 *   DELETE to end it. Sessions are bounded (sessions.ts). Their event streams are resumable: each
 *   session keeps its messages in a bounded event store (event-store.ts, SEP-1699), so a client
 *   that reconnects with `Last-Event-ID` gets what it missed.
 * - 2026-07-28 clients are served statelessly: a fresh server per request (`server/discover`,
 *   `subscriptions/listen` for list changes), by one SDK handler per endpoint.
 *
 * The HTTP concerns (Host/Origin checks, authentication, the JSON body, the request log) ran before
 * `handle` (http/mcp-route.ts). A paired device's token is refused here: devices decide approvals,
 * they do not call tools.
 *
 * When an endpoint's servers change (a server lists anew, is enabled, disabled, goes down, is
 * removed, or a reload changes the groups), its clients are told, debounced: the tools, resources
 * and prompts `list_changed` notifications on the 2025-era sessions (those two where the session
 * declared them), and the same events on 2026-07-28 listen streams. The resources a listen stream
 * names are watched upstream while it is open (`ListenWatches`, resources.ts).
 *
 * A 2025-era client of `/mcp/{server}` that declared roots is, while its GET stream is open, a
 * candidate for the server's client roots (client-roots.ts; servers with `clientRoots`).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createMcpHandler, createRequestStateCodec, isLegacyRequest, type Server } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport, toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import type { Logger } from 'pino';
import type { ForwardedUser } from '../auth/forwarded-user.js';
import { hasScope, type Identity } from '../auth/identity.js';
import type { ToolCaller } from '../calls/call-tool.js';
import type { GatewaySettings, ToolGroup } from '../config/types.js';
import type { GatewayEvents } from '../events.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { modelVisible } from '../apps/tool-ui.js';
import { ProblemError } from '../errors.js';
import type { UpstreamConnection } from '../upstream/connection.js';
import type { Supervisor } from '../upstream/supervisor.js';
import { ClientRootsBook, rootsOfAnswer } from './client-roots.js';
import { buildCatalog, groupUses, servesServer, targetOf, type Catalog, type EndpointTarget, type ToolSource } from './catalog.js';
import { EventBudget, SessionEvents, RETRY_MS, resumesCallStream } from './event-store.js';
import { cancelFastCall, cancelFastCalls, fastToolCall, resumeFastStream, serveFastCall, type FastSession } from './fast-call.js';
import { buildMcpServer, type ParkedState, type ServedContext } from './mcp-server.js';
import { ParkedCalls } from './parked-calls.js';
import { UsedNonces } from './input-relay.js';
import { ListenWatches, subscribedUris } from './resources.js';
import { INVALID_REQUEST, featureCapabilities, type FeatureCapabilities } from './upstream-requests.js';
import { McpSessions, type SessionRecord } from './sessions.js';

export interface McpEndpointDeps {
  caller: ToolCaller;
  supervisor: Supervisor;
  groups: () => ToolGroup[];
  settings: () => GatewaySettings;
  events: GatewayEvents;
  metrics: GatewayMetrics;
  logger: Logger;
  version: string;
}

/** What the HTTP layer tells about a request: who sent it, its id, and where its answers point. */
export interface McpRequestInfo {
  identity: Identity;
  requestId: string;
  /** `scheme://host[:port]` plus the base path: the orchestrator's URL. */
  baseUrl: string;
  /** Who the request is made for, when its key is trusted to say so (auth/forwarded-user.ts `forwardedUserOf`). */
  user?: ForwardedUser;
}

type McpHttpHandler = ReturnType<typeof createMcpHandler>;
type NodeHandler = ReturnType<typeof toNodeHandler>;

/** The header that carries our request id into the SDK's web request, for the call's log line. */
const REQUEST_ID_HEADER = 'x-mcp-gateway-request-id';

/**
 * The header that carries the request's forwarded user, as its key's trust stands now
 * (`McpRequestInfo.user`), into the SDK's web request: percent-encoded JSON, set or removed by us
 * on every request the SDK serves, so a client cannot send its own.
 */
const USER_HEADER = 'x-mcp-gateway-forwarded-user';

/** Puts the request's own forwarded user (or none) where `userOf` reads it. */
function carryUser(req: IncomingMessage, user: ForwardedUser | undefined): void {
  if (user) req.headers[USER_HEADER] = encodeURIComponent(JSON.stringify(user));
  else delete req.headers[USER_HEADER];
}

/** The forwarded user `carryUser` put on a request. */
function carriedUser(request: Request): ForwardedUser | undefined {
  const carried = request.headers.get(USER_HEADER);
  return carried ? (JSON.parse(decodeURIComponent(carried)) as ForwardedUser) : undefined;
}

/** The time list changes are gathered before clients are told. */
const LIST_CHANGED_DEBOUNCE_MS = 100;

/** A 2025-era session: its SDK transport and server, and what the fast path of its tool calls needs. */
interface LegacySession extends SessionRecord, FastSession {
  transport: NodeStreamableHTTPServerTransport;
}

interface ModernContext extends McpRequestInfo {
  endpoint: string;
  target: EndpointTarget;
}

/**
 * Whether a POST without a session starts a 2025-era session (`initialize`). The plain cases are
 * told at once — an `initialize`, or a request that names the 2026-07-28 revision in its envelope —
 * and the SDK's own classification decides the rest.
 */
async function isLegacy(req: IncomingMessage, body: unknown): Promise<boolean> {
  const message = body as { method?: unknown; params?: { _meta?: Record<string, unknown> } } | undefined;
  // A 2026-07-28 request names its revision in its envelope (an `initialize` too: that revision
  // answers it as a removed method, 404 with -32601).
  if (typeof message?.params?._meta?.['io.modelcontextprotocol/protocolVersion'] === 'string') return false;
  if (message?.method === 'initialize') return true;
  return isLegacyRequest(await toWebRequest(req, body));
}

function endpointKey(target: EndpointTarget): string {
  return target.kind === 'all' ? '' : target.kind === 'server' ? target.server : target.group.name;
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string, id: unknown = null): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id }));
}

/** The id of a JSON-RPC request (null when it has none that may be echoed). */
function requestId(body: unknown): string | number | null {
  const id = (body as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

export class McpEndpoint {
  private readonly sessions: McpSessions<LegacySession>;
  private readonly catalogs = new Map<string, { catalog: Catalog; group?: ToolGroup }>();
  /** The capabilities each endpoint declares beyond tools, as of its servers' last change (a 2026-07-28 request would rebuild them each time). */
  private readonly features = new Map<string, { features: FeatureCapabilities; group?: ToolGroup }>();
  /** The instructions of the servers behind `/mcp/{server}`, as of their last change (`undefined`: none). */
  private readonly instructions = new Map<string, string | undefined>();
  private readonly modern = new Map<string, { handler: McpHttpHandler; node: NodeHandler; watches: ListenWatches }>();
  private readonly servers = new Map<string, Server>();
  private readonly source: ToolSource;
  private readonly parked: ParkedCalls;
  private readonly usedNonces = new UsedNonces();
  /** What the sessions' event stores keep together (event-store.ts). */
  private readonly eventBudget = new EventBudget();
  /** The roots of each server's one `/mcp/{server}` client (client-roots.ts). */
  private readonly roots: ClientRootsBook;
  /** Seals and checks the `requestState` of parked calls; its key lives as long as the process (as do the calls). */
  private readonly states = createRequestStateCodec<ParkedState>({
    key: randomBytes(32),
    ttlSeconds: 24 * 3600,
    bind: (ctx) => ctx.http?.authInfo?.clientId ?? '',
  });
  private pending: Set<string> | 'all' | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly deps: McpEndpointDeps) {
    this.sessions = new McpSessions<LegacySession>({
      maxSessions: () => deps.settings().mcp.maxSessions,
      idleMs: () => deps.settings().mcp.sessionIdleMs,
    });
    this.source = {
      servedTools: () =>
        deps.supervisor
          .all()
          .filter((connection) => connection.isEnabled)
          // Tools only an app may call (`_meta.ui.visibility: ["app"]`) are not listed to a model.
          .map((connection) => ({ server: connection.name, tools: modelVisible(connection.tools()) })),
      hasServer: (name) => deps.supervisor.get(name) !== undefined,
      group: (name) => deps.groups().find((group) => group.name === name),
    };
    deps.events.on('server.changed', (change) => {
      this.changed(change.kind === 'state' ? change.status.name : change.name);
    });
    deps.events.on('config.reloaded', () => this.changed(undefined));
    deps.metrics.observeMcpSessions(() => this.sessions.size);
    this.parked = new ParkedCalls(() => deps.settings().finishedCallTtlMs);
    // Servers with `clientRoots` get the roots of their one client from here (client-roots.ts).
    this.roots = new ClientRootsBook((name) => deps.supervisor.get(name)?.clientRootsChanged());
    deps.supervisor.clientRoots = (name) => this.roots.rootsOf(name);
    deps.events.on('key.revoked', (key) => {
      for (const session of [...this.sessions.matching(() => true)])
        if (session.owner === `key:${key.id}`) void this.sessions.end(session.id);
    });
  }

  /** Sessions open now (2025-era clients). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** The endpoint's tools now: built once per change of its servers. */
  private catalog(target: EndpointTarget): Catalog {
    // A session outlives reloads: its group is looked up anew (a changed or removed group's tools go with it).
    let current: EndpointTarget | undefined = target;
    if (target.kind === 'group') {
      const group = this.source.group(target.group.name);
      current = group ? { kind: 'group', group } : undefined;
    }
    if (!current) return { tools: [], byName: new Map() };
    const key = endpointKey(current);
    const group = current.kind === 'group' ? current.group : undefined;
    const cached = this.catalogs.get(key);
    if (cached && cached.group === group) return cached.catalog;
    const catalog = buildCatalog(current, this.source);
    this.catalogs.set(key, { catalog, ...(group ? { group } : {}) });
    return catalog;
  }

  /** What the endpoint declares for its servers' resources, prompts and completions: built once per change of its servers. */
  private featuresOf(target: EndpointTarget): FeatureCapabilities {
    const group = target.kind === 'group' ? this.source.group(target.group.name) : undefined;
    const key = endpointKey(target);
    const cached = this.features.get(key);
    if (cached && cached.group === group) return cached.features;
    const features = featureCapabilities(this.connections(target));
    this.features.set(key, { features, ...(group ? { group } : {}) });
    return features;
  }

  /** A server's tools may have changed (`undefined`: anything may have, e.g. the groups). */
  private changed(server: string | undefined): void {
    this.catalogs.clear();
    this.features.clear();
    this.instructions.clear();
    if (server === undefined || this.pending === 'all') this.pending = 'all';
    else {
      this.pending ??= new Set();
      this.pending.add(server);
    }
    this.debounce ??= setTimeout(() => this.notify(), LIST_CHANGED_DEBOUNCE_MS);
    this.debounce.unref();
  }

  /** Tells the clients of every endpoint whose tools may have changed. */
  private notify(): void {
    this.debounce = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if (!pending || this.closed) return;
    const groups = this.deps.groups();
    const affects = (endpoint: string): boolean => {
      if (pending === 'all' || endpoint === '' || pending.has(endpoint)) return true;
      const group = groups.find((candidate) => candidate.name === endpoint);
      return group !== undefined && [...pending].some((server) => groupUses(group, server));
    };
    for (const session of this.sessions.matching(affects)) {
      const server = this.servers.get(session.id);
      if (!server) continue;
      server.sendToolListChanged().catch(() => undefined);
      // Told only to sessions whose server declared them (the SDK refuses the others).
      const capabilities = server.getCapabilities();
      if (capabilities.resources) server.sendResourceListChanged().catch(() => undefined);
      if (capabilities.prompts) server.sendPromptListChanged().catch(() => undefined);
    }
    for (const [endpoint, modern] of this.modern) {
      if (!affects(endpoint)) continue;
      modern.handler.notify.toolsChanged();
      modern.handler.notify.resourcesChanged();
      modern.handler.notify.promptsChanged();
    }
  }

  /**
   * Serves one request to `/mcp` (`name` undefined) or `/mcp/{name}`. The body, when there is one,
   * was parsed already (`body`).
   */
  async handle(req: IncomingMessage, res: ServerResponse, name: string | undefined, body: unknown, info: McpRequestInfo): Promise<void> {
    if (info.identity.kind === 'device') {
      throw new ProblemError('forbidden', "a paired device decides approvals; it cannot use the gateway's MCP endpoint", {
        scope: ['tools:read', 'tools:call'],
      });
    }
    const target = targetOf(name, this.source);
    if (!target) throw new ProblemError('not-found', `no server or group named "${name}"`);
    const endpoint = endpointKey(target);
    req.headers[REQUEST_ID_HEADER] = info.requestId;

    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = this.sessions.find(sessionId, info.identity.id, endpoint);
      if (!session) return jsonRpcError(res, 404, -32001, 'Session not found');
      const leave = this.sessions.enter(session);
      res.on('close', leave);
      // The hot message, a plain `tools/call`, is served by our own code (fast-call.ts); the rest by the SDK.
      const call = fastToolCall(req, body, session);
      if (call) return serveFastCall(session, call, res, info.requestId, info.user);
      if (cancelFastCall(req, res, body, session)) return;
      // A client resuming a stream of the fast path whose call is under way (event-store.ts).
      if (resumeFastStream(req, res, session)) return;
      // The session outlives the request that opened it, and its key's trust may change since: each
      // request's own user, as its key is trusted now.
      carryUser(req, info.user);
      const serving = session.transport.handleRequest(req, res, body);
      // The GET stream is in place once the SDK has taken the request (its checks are synchronous):
      // the client can be asked for its roots from then on.
      const target = session.served.target;
      // A client that stops listening cannot be asked any more. A GET that resumes a call's stream is not the GET stream.
      if (req.method === 'GET' && target.kind === 'server' && !resumesCallStream(req, session.events)) {
        setImmediate(() => {
          if (!res.writableEnded && !res.destroyed) this.offerRoots(session, target.server, res);
        });
        // Only the stream that was offered ends it: a second GET the SDK refuses (409) closes too.
        res.on('close', () => this.roots.closed(target.server, session.id, res));
      }
      await serving;
      return;
    }

    carryUser(req, info.user);
    if (req.method === 'POST' && (await isLegacy(req, body))) return this.openSession(req, res, body, target, endpoint, info);
    // The SDK hands `req.auth` to the factory (as `authInfo`): it carries who asked, on which endpoint.
    const context: ModernContext = { ...info, endpoint, target };
    (req as IncomingMessage & { auth?: unknown }).auth = {
      token: '',
      clientId: info.identity.id,
      scopes: [...info.identity.scopes],
      extra: { gateway: context },
    };
    const modern = this.modernHandler(endpoint);
    // Watching resources needs what `resources/subscribe` needs (upstream-requests.ts `requireRead`).
    if (subscribedUris(body).length > 0 && !hasScope(info.identity, 'tools:read')) {
      return jsonRpcError(res, 200, INVALID_REQUEST, 'forbidden: the credentials lack the scope tools:read', requestId(body));
    }
    // The resources a `subscriptions/listen` stream watches are watched upstream while it is open.
    const unwatch = modern.watches.watch(body, () => this.connections(target), target.kind !== 'server');
    res.on('close', unwatch);
    await modern.node(req, res, body);
  }

  /** A 2025-era `initialize`: a new session with its own transport and server. */
  private async openSession(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    target: EndpointTarget,
    endpoint: string,
    info: McpRequestInfo,
  ): Promise<void> {
    if (!this.sessions.makeRoom()) {
      return jsonRpcError(res, 503, -32000, 'too many MCP sessions are busy; try again shortly (gateway.mcp.maxSessions)');
    }
    const served = this.served(target, info);
    served.tasks = 'legacy';
    const server = buildMcpServer(served);
    // The session's streams are resumable (SEP-1699): its messages are kept, bounded, while it lasts.
    const events = new SessionEvents({ budget: this.eventBudget });
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: events,
      retryInterval: RETRY_MS,
      onsessioninitialized: (id) => {
        this.servers.set(id, server);
        const record: LegacySession = {
          id,
          owner: info.identity.id,
          endpoint,
          busy: 0,
          lastSeen: Date.now(),
          transport,
          server,
          served,
          calls: new Map(),
          events,
          streams: new Map(),
          close: async () => {
            this.servers.delete(id);
            if (target.kind === 'server') this.roots.closed(target.server, id);
            cancelFastCalls(record);
            await transport.close();
            events.clear();
          },
        };
        this.sessions.add(record);
        const leave = this.sessions.enter(record);
        res.on('close', leave);
      },
    });
    // Its client's roots/list_changed, when it is the one whose roots a server gets (client-roots.ts).
    if (target.kind === 'server') {
      const name = target.server;
      server.setNotificationHandler('notifications/roots/list_changed', () => {
        if (transport.sessionId !== undefined) this.roots.listChanged(name, transport.sessionId);
      });
    }
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id === undefined) return events.clear();
      if (target.kind === 'server') this.roots.closed(target.server, id);
      const session = this.sessions.get(id);
      if (session) cancelFastCalls(session);
      events.clear();
      this.servers.delete(id);
      this.sessions.forget(id);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    // An `initialize` that failed leaves no session: close what was built for it.
    if (transport.sessionId === undefined) {
      events.clear();
      await server.close().catch(() => undefined);
    }
  }

  /**
   * A session's client of `/mcp/{server}` listens on its GET stream: when it declared roots, it may
   * be the one whose roots the server gets (client-roots.ts).
   */
  private offerRoots(session: LegacySession, name: string, stream: object): void {
    const { server, id } = session;
    if (!server.getClientCapabilities()?.roots || this.servers.get(id) !== server) return;
    this.roots.opened(name, id, {
      owner: session.owner,
      stream,
      list: (signal) => server.listRoots(undefined, { signal, timeout: this.deps.settings().toolTimeoutMs }).then(rootsOfAnswer),
    });
  }

  /** The 2026-07-28 handler of an endpoint: a fresh server per request, built for its caller. */
  private modernHandler(endpoint: string): { handler: McpHttpHandler; node: NodeHandler; watches: ListenWatches } {
    let modern = this.modern.get(endpoint);
    if (!modern) {
      const handler = createMcpHandler(
        ({ authInfo }) => {
          const context = authInfo?.extra?.gateway as ModernContext;
          return buildMcpServer({ ...this.served(context.target, context), tasks: 'modern' });
        },
        {
          legacy: 'reject',
          onerror: (error) => this.deps.logger.warn({ err: error, endpoint }, 'MCP request failed'),
        },
      );
      modern = { handler, node: toNodeHandler(handler), watches: new ListenWatches((uri) => handler.notify.resourceUpdated(uri)) };
      this.modern.set(endpoint, modern);
    }
    return modern;
  }

  /** A server's instructions, looked up once per change of the server (its status is not cheap to build). */
  private instructionsOf(server: string): string | undefined {
    if (this.instructions.has(server)) return this.instructions.get(server);
    const instructions = this.deps.supervisor.get(server)?.status().instructions;
    this.instructions.set(server, instructions);
    return instructions;
  }

  /** The enabled servers behind an endpoint now, in config order (a group is looked up anew). */
  private connections(target: EndpointTarget): UpstreamConnection[] {
    const group = target.kind === 'group' ? this.source.group(target.group.name) : undefined;
    if (target.kind === 'group' && !group) return [];
    return this.deps.supervisor
      .all()
      .filter((connection) => connection.isEnabled && servesServer(group ? { kind: 'group', group } : target, connection.name));
  }

  private served(target: EndpointTarget, info: McpRequestInfo): ServedContext {
    const instructions = target.kind === 'server' ? this.instructionsOf(target.server) : undefined;
    return {
      target,
      identity: info.identity,
      caller: this.deps.caller,
      version: this.deps.version,
      catalog: () => this.catalog(target),
      connections: () => this.connections(target),
      finishedCallTtlMs: () => this.deps.settings().finishedCallTtlMs,
      questionTimeoutMs: () => this.deps.settings().questionTimeoutMs,
      features: () => this.featuresOf(target),
      maxResultBytes: () => this.deps.settings().maxResultBytes,
      logger: this.deps.logger,
      ...(instructions ? { instructions } : {}),
      approvalUrl: (id) => `${info.baseUrl}/approvals/${encodeURIComponent(id)}`,
      requestIdOf: (request) => request?.headers.get(REQUEST_ID_HEADER) ?? info.requestId,
      // Each request's own user (`carryUser`), as its key's trust stands now: a session outlives the request that opened it.
      userOf: (request) => (request ? carriedUser(request) : undefined),
      parked: this.parked,
      usedNonces: this.usedNonces,
      mintState: (state, ctx) => this.states.mint(state, ctx),
      verifyState: (state, ctx) => this.states.verify(state, ctx),
    };
  }

  /** Ends every session and stops serving. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.debounce) clearTimeout(this.debounce);
    await this.sessions.endAll();
    await Promise.all([...this.modern.values()].map((modern) => modern.handler.close().catch(() => undefined)));
    this.modern.clear();
    this.eventBudget.close();
  }
}
