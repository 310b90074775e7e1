/**
 * One MCP server as a client of the gateway sees it: the SDK's low-level `Server` (it routes
 * methods and speaks either protocol era), with the gateway's tools behind `tools/list` and
 * `tools/call`. A 2025-era session gets one for its lifetime; a 2026-07-28 request gets a fresh
 * one (endpoint.ts). A `tools/call` is an ordinary call of the gateway (`ToolCaller.start`, surface
 * `mcp`): validation, policy, approval, limits, timeouts, activity and metrics as for REST.
 * While it runs, the call's progress and the server's log messages reach the client; while it
 * waits for a person, progress notifications (when the client sent a `progressToken`) and a log
 * message say so, with the approval card's URL. A client's `notifications/cancelled` cancels it.
 */
import { ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';
import type { Approval } from '../approvals/book.js';
import type { Identity } from '../auth/identity.js';
import { hasScope } from '../auth/identity.js';
import type { ToolCaller } from '../calls/call-tool.js';
import { toMcpResult } from './call-result.js';
import { toolDefinition, type Catalog, type EndpointTarget } from './catalog.js';

/** Everything a served MCP server needs, for one session or one request. */
export interface ServedContext {
  target: EndpointTarget;
  identity: Identity;
  caller: ToolCaller;
  version: string;
  /** The endpoint's tools now (cached until a server changes). */
  catalog: () => Catalog;
  /** The instructions of the one server behind `/mcp/{server}`, when it has some. */
  instructions?: string;
  /** The URL of an approval's card on the orchestrator. */
  approvalUrl: (approvalId: string) => string;
  /** The id of the HTTP request a message came in (for the call's log line). */
  requestIdOf: (req: Request | undefined) => string;
}

const LOGGER = 'mcp-gateway';

function serverName(target: EndpointTarget): string {
  if (target.kind === 'server') return target.server;
  if (target.kind === 'group') return target.group.name;
  return 'mcp-gateway';
}

/** The client's name and version, as it told them (initialize, or the request's envelope). */
function clientOf(server: Server, envelope: Record<string, unknown> | undefined): string | undefined {
  const info = (server.getClientVersion() ?? envelope?.['io.modelcontextprotocol/clientInfo']) as
    { name?: unknown; version?: unknown } | undefined;
  if (!info || typeof info.name !== 'string') return undefined;
  return typeof info.version === 'string' ? `${info.name} ${info.version}` : info.name;
}

export function buildMcpServer(context: ServedContext): Server {
  const { target, identity, caller } = context;
  const server = new Server(
    { name: serverName(target), version: context.version },
    {
      capabilities: { tools: { listChanged: true }, logging: {} },
      ...(context.instructions ? { instructions: context.instructions } : {}),
    },
  );
  const aggregate = target.kind !== 'server';

  server.setRequestHandler('tools/list', async () => ({
    tools: context.catalog().tools.map((entry) => toolDefinition(entry, aggregate)) as never,
  }));

  server.setRequestHandler('tools/call', async (request, ctx) => {
    if (!hasScope(identity, 'tools:call')) {
      throw new ProtocolError(ProtocolErrorCode.InvalidRequest, 'forbidden: the credentials lack the scope tools:call');
    }
    const name = request.params.name;
    const entry = context.catalog().byName.get(name);
    if (!entry) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const client = clientOf(server, ctx.mcpReq.envelope as Record<string, unknown> | undefined);
    const call = caller.start({
      server: entry.server,
      tool: entry.tool,
      args: request.params.arguments ?? {},
      surface: 'mcp',
      mode: 'stream',
      caller: identity.id,
      callerLabel: client ? `${identity.label} (${client})` : identity.label,
      requestId: context.requestIdOf(ctx.http?.req),
    });
    const cancel = () => call.cancel();
    ctx.mcpReq.signal.addEventListener('abort', cancel, { once: true });
    const token = request.params._meta?.progressToken;
    const notifyProgress = (progress: number, total: number | undefined, message: string | undefined): void => {
      if (token === undefined) return;
      const params = { progressToken: token, progress, ...(total === undefined ? {} : { total }), ...(message ? { message } : {}) };
      ctx.mcpReq.notify({ method: 'notifications/progress', params }).catch(() => undefined);
    };
    // A client that can open URLs (URL-mode elicitation, 2025 era) is sent to the approval card;
    // when the approval is decided it is told the elicitation is complete.
    const elicitsUrls = server.getClientCapabilities()?.elicitation?.url !== undefined;
    let elicited: string | undefined;
    const waiting = (approval: Approval): void => {
      if (approval.state !== 'pending') {
        if (elicited === approval.id)
          server
            .createElicitationCompletionNotifier(approval.id)()
            .catch(() => undefined);
        elicited = undefined;
        return;
      }
      const url = context.approvalUrl(approval.id);
      const message = `waiting for approval: ${url}`;
      notifyProgress(0, undefined, message);
      ctx.mcpReq.log('info', { message, approval: approval.id, url }, LOGGER).catch(() => undefined);
      if (elicitsUrls && elicited === undefined) {
        elicited = approval.id;
        ctx.mcpReq
          .elicitInput({
            mode: 'url',
            message: `A person must approve ${entry.server}/${entry.tool} before it runs. Open the approval to decide.`,
            url,
            elicitationId: approval.id,
          })
          .catch(() => undefined);
      }
    };
    const unfollow = call.follow({
      approval: waiting,
      progress(progress) {
        notifyProgress(progress.progress, progress.total, progress.message);
      },
      log(message) {
        const level = message.level as Parameters<typeof ctx.mcpReq.log>[0];
        ctx.mcpReq.log(level, message.data, message.logger).catch(() => undefined);
      },
      end() {},
    });
    // The policy may have held the call before `start` returned.
    if (call.approval) waiting(call.approval);
    try {
      return toMcpResult(await call.done) as never;
    } finally {
      unfollow();
      ctx.mcpReq.signal.removeEventListener('abort', cancel);
    }
  });

  return server;
}
