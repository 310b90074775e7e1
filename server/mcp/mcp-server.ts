/**
 * One MCP server as a client of the gateway sees it: the SDK's low-level `Server` (it routes
 * methods and speaks either protocol era), with the gateway's tools behind `tools/list` and
 * `tools/call`. A 2025-era session gets one for its lifetime; a 2026-07-28 request gets a fresh
 * one (endpoint.ts). A `tools/call` is an ordinary call of the gateway (`ToolCaller.start`, surface
 * `mcp`): validation, policy, approval, limits, timeouts, activity and metrics as for REST.
 * While it runs, the call's progress and the server's log messages reach the client; while it
 * waits for a person, progress notifications (when the client sent a `progressToken`) and a log
 * message say so, with the approval card's URL. A client's `notifications/cancelled` cancels it.
 * Resources (resources.ts), prompts and completions (prompts.ts) are served, and declared, when a
 * server behind the endpoint offers them (upstream-requests.ts). Tasks are served too (tasks.ts): to a
 * 2025-era session a `tools/call` with `params.task` answers a task at once, and to a 2026-07-28
 * request that declares the tasks extension a `tools/call` of a tool that runs as a task does.
 */
import {
  ProtocolError,
  Server,
  inputRequired,
  type InputRequiredResult,
  type LoggingLevel,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import { toolDefinitionHash } from '../approvals/binding.js';
import type { ForwardedUser } from '../auth/forwarded-user.js';
import type { Identity } from '../auth/identity.js';
import type { ToolCaller } from '../calls/call-tool.js';
import type { RunningCall } from '../calls/running-call.js';
import type { UpstreamConnection } from '../upstream/connection.js';
import type { RelayedInputRequired } from '../upstream/types.js';
import { toMcpResult, type McpToolResult } from './call-result.js';
import { clientElicitor, elicitationModes } from './elicitation.js';
import { clientSampler } from './sampling.js';
import { relayState, requestRelay, type RelayState, type RelayTarget, type UsedNonces } from './input-relay.js';
import { applyResponses, modernQuestions, nextInputRequest, questionsOf, rememberQuestions } from './modern-questions.js';
import type { ParkedCalls } from './parked-calls.js';
import { toolDefinition, type Catalog, type EndpointTarget } from './catalog.js';
import { servePrompts } from './prompts.js';
import {
  TASKS_CAPABILITY,
  TASKS_EXTENSION,
  asksForTask,
  createModernTask,
  createTask,
  declaresTasks,
  runsAsTask,
  serveTasks,
} from './tasks.js';
import { serveResources } from './resources.js';
import { missingCapabilityError, type FeatureCapabilities } from './upstream-requests.js';
import {
  approvalMessage,
  clientName,
  followToolCall,
  isLogLevel,
  logPasses,
  progressParams,
  startToolCall,
  tellWaiting,
  toolToCall,
  type LogLevel,
} from './tool-call.js';

/**
 * What a 2026-07-28 client carries back in `requestState`: the parked call it returns for, or a
 * relayed round of a 2026-07-28 server's own `input_required` (input-relay.ts).
 */
export type ParkedState = { call: string } | { relay: RelayState };

/** The elicitation capability a 2026-07-28 request's envelope declares, if any. */
function elicitationOf(envelope: Record<string, unknown> | undefined): { form?: unknown; url?: unknown } | undefined {
  return capabilitiesOf(envelope)?.elicitation;
}

/** The client capabilities a 2026-07-28 request's envelope declares. */
function capabilitiesOf(
  envelope: Record<string, unknown> | undefined,
): { elicitation?: { form?: unknown; url?: unknown }; sampling?: unknown } | undefined {
  return envelope?.['io.modelcontextprotocol/clientCapabilities'] as never;
}

/** The answer to a retry whose parked call is no longer kept. */
function gone(callId: string): McpToolResult {
  return {
    content: [
      {
        type: 'text',
        text: `the call ${callId} is no longer kept (it was not sent again in time, or the gateway restarted); call the tool again`,
      },
    ],
    isError: true,
  };
}

/** Everything a served MCP server needs, for one session or one request. */
export interface ServedContext {
  target: EndpointTarget;
  identity: Identity;
  caller: ToolCaller;
  version: string;
  /** The endpoint's tools now (cached until a server changes). */
  catalog: () => Catalog;
  /** The enabled servers behind the endpoint now, in config order (their resources and prompts). */
  connections: () => UpstreamConnection[];
  /** What the endpoint declares for those servers' resources, prompts and completions now (cached until a server changes). */
  features: () => FeatureCapabilities;
  /** The largest answer to a resource read or prompt get passed on, as JSON bytes (read at use: `gateway.maxResultBytes`). */
  maxResultBytes: () => number;
  logger: Logger;
  /** The instructions of the one server behind `/mcp/{server}`, when it has some. */
  instructions?: string;
  /** The URL of an approval's card on the orchestrator. */
  approvalUrl: (approvalId: string) => string;
  /** The id of the HTTP request a message came in (for the call's log line). */
  requestIdOf: (req: Request | undefined) => string;
  /** Who the request a message came in is made for, when the identity is trusted to say so (auth/forwarded-user.ts). */
  userOf: (req: Request | undefined) => ForwardedUser | undefined;
  /** Calls 2026-07-28 clients were sent to the approval card for, until they come back. */
  parked: ParkedCalls;
  /** The nonces of sealed approvals a relayed retry used (input-relay.ts). */
  usedNonces: UsedNonces;
  /** Seals a `requestState` for a parked call (HMAC, bound to the caller). */
  mintState: (state: ParkedState, ctx: ServerContext) => Promise<string>;
  /** Checks a `requestState` a client sent back (the SDK calls it before the handler). */
  verifyState: (state: string, ctx: ServerContext) => Promise<ParkedState>;
  /** The level a 2025-era client set for log messages (`logging/setLevel`); none set: every message goes. */
  logLevel?: LogLevel;
  /** Which tasks are served (tasks.ts): the 2025 utility to a session, the extension to a 2026-07-28 request. Default: none. */
  tasks?: 'legacy' | 'modern';
  /** How long a finished task is kept, in ms (read at use: `gateway.finishedCallTtlMs`). */
  finishedCallTtlMs: () => number;
  /** How long a client has to answer a question, in ms (read at use: `gateway.questionTimeoutMs`); a relayed round's approval counts that long. */
  questionTimeoutMs: () => number;
}

type ToolsCallHandler = ReturnType<Server['_wrapHandler']>;

/**
 * The SDK's server, but a `tools/call` that runs as a task answers the task (`CreateTaskResult`),
 * which the SDK's check of `tools/call` results (a `CallToolResult`) would refuse.
 */
class GatewayServer extends Server {
  /** Whether a `tools/call` is answered with a task (tasks.ts). Default: never. */
  answersTask: (...args: Parameters<ToolsCallHandler>) => boolean = () => false;

  protected override _wrapHandler(method: string, handler: Parameters<Server['_wrapHandler']>[1]): ToolsCallHandler {
    const wrapped = super._wrapHandler(method, handler);
    if (method !== 'tools/call') return wrapped;
    return (request, ctx) => (this.answersTask(request, ctx) ? handler(request, ctx) : wrapped(request, ctx));
  }
}

/** The envelope of a 2026-07-28 request (none for a 2025-era one). */
const envelopeOf = (ctx: ServerContext) => ctx.mcpReq.envelope as Record<string, unknown> | undefined;

function serverName(target: EndpointTarget): string {
  if (target.kind === 'server') return target.server;
  if (target.kind === 'group') return target.group.name;
  return 'mcp-gateway';
}

export function buildMcpServer(context: ServedContext): Server {
  const { target, identity, caller } = context;
  // Resources, prompts and completions are declared when a server behind the endpoint offers them.
  const features = context.features();
  const tasks = context.tasks;
  const taskCapability =
    tasks === 'legacy' ? { tasks: TASKS_CAPABILITY } : tasks === 'modern' ? { extensions: { [TASKS_EXTENSION]: {} } } : {};
  const server = new GatewayServer(
    { name: serverName(target), version: context.version },
    {
      capabilities: { tools: { listChanged: true }, logging: {}, ...features, ...taskCapability },
      ...(context.instructions ? { instructions: context.instructions } : {}),
      requestState: { verify: context.verifyState },
    },
  );
  // A 2025-era session's call asks for its task; a 2026-07-28 request that declared the extension gets one for a task tool.
  const modernTask = (name: string, ctx: ServerContext): boolean => {
    if (!declaresTasks(envelopeOf(ctx))) return false;
    const entry = toolToCall(identity, context.catalog(), name);
    return !('code' in entry) && runsAsTask(entry);
  };
  if (tasks === 'legacy') server.answersTask = (request) => asksForTask(request.params);
  else if (tasks === 'modern') server.answersTask = (request, ctx) => modernTask(String(request.params?.name), ctx);
  const aggregate = target.kind !== 'server';
  serveResources(server, context, features);
  servePrompts(server, context, features);
  serveTasks(server, context);

  server.setRequestHandler('tools/list', async () => {
    // A 2025-era client that takes part in tasks sees which tools run as tasks; to others they are
    // plain tools (the 2026-07-28 revision has no `execution` on a tool: the server decides).
    const listsTasks = tasks === 'legacy' && server.getClientCapabilities()?.tasks !== undefined;
    return { tools: context.catalog().tools.map((entry) => toolDefinition(entry, aggregate, listsTasks)) as never };
  });

  // The client's level for log messages (`logging/setLevel`), kept where the fast path reads it too.
  server.setRequestHandler('logging/setLevel', async (request) => {
    if (isLogLevel(request.params.level)) context.logLevel = request.params.level;
    return {};
  });

  server.setRequestHandler('tools/call', async (request, ctx) => {
    const entry = toolToCall(identity, context.catalog(), request.params.name);
    if ('code' in entry) throw new ProtocolError(entry.code, entry.message);
    const from = ctx.http?.req;
    if (tasks === 'legacy' && asksForTask(request.params))
      return (await createTask(server, context, entry, request.params.arguments, context.requestIdOf(from), context.userOf(from))) as never;
    const envelope = envelopeOf(ctx);
    const modern = envelope?.['io.modelcontextprotocol/protocolVersion'] !== undefined;
    if (tasks === 'modern' && modernTask(request.params.name, ctx)) {
      const client = clientName(envelope?.['io.modelcontextprotocol/clientInfo'] as never);
      return (await createModernTask(
        context,
        entry,
        request.params.arguments,
        client,
        context.requestIdOf(from),
        context.userOf(from),
      )) as never;
    }

    // A 2026-07-28 client back for a call it was sent to the approval card for, or with its answers
    // to a server's own input_required round (`requestState`, verified by the SDK: input-relay.ts).
    const state = ctx.mcpReq.requestState<ParkedState>();
    const resumed = state && typeof state === 'object' && 'call' in state ? state : undefined;
    let relayTarget: RelayTarget = {
      server: entry.server,
      target: `tools/call ${entry.tool}`,
      definition: () => toolDefinitionHash(entry.info),
      user: context.userOf(from)?.id,
    };
    let args = request.params.arguments;
    const { relay, approvedBefore } = requestRelay(ctx, identity, relayTarget, args, context.usedNonces);
    let call: RunningCall;
    if (resumed) {
      // The parked call's own tool and arguments (a retry of others is refused): its rounds are sealed for them.
      const parked = context.parked.take(resumed.call, identity.id, relayTarget, args);
      if (!parked) return gone(resumed.call) as never;
      ({ call, target: relayTarget, args } = parked);
    } else {
      // The client's name and version, as it told them (initialize, or the request's envelope).
      const client = clientName((server.getClientVersion() ?? envelope?.['io.modelcontextprotocol/clientInfo']) as never);
      // A client that declared elicitation answers the servers' questions itself, and one that
      // declared sampling their sampling requests with its own model: a 2025-era one by requests on
      // the call's stream (elicitation.ts, sampling.ts), a 2026-07-28 one by input_required (modern-questions.ts).
      const declared = modern ? elicitationOf(envelope) : server.getClientCapabilities()?.elicitation;
      const samples = (modern ? capabilitiesOf(envelope) : server.getClientCapabilities())?.sampling !== undefined;
      const asked = modern && (declared || samples) ? modernQuestions(declared, samples) : undefined;
      const elicit =
        asked?.elicit ?? (declared && clientElicitor(declared, (params, options) => ctx.mcpReq.elicitInput(params as never, options)));
      const sample =
        asked?.sample ??
        (!modern && samples ? clientSampler((params, options) => ctx.mcpReq.requestSampling(params as never, options)) : undefined);
      // A 2026-07-28 server's own input_required rounds that the client can answer go to it as they are (`relay`: input-relay.ts).
      call = startToolCall(caller, identity, entry, args, client, context.requestIdOf(from), {
        elicit,
        sample,
        relay,
        ...(approvedBefore && { approvedBefore: approvedBefore.id }),
        user: context.userOf(from),
      });
      if (asked) rememberQuestions(call, asked.state);
    }
    const cancel = () => call.cancel();
    ctx.mcpReq.signal.addEventListener('abort', cancel, { once: true });
    const token = request.params._meta?.progressToken;
    // A client that can open URLs (URL-mode elicitation) is sent to the approval card: a 2025-era
    // one by an `elicitation/create` while the call waits (and told when it is decided), a
    // 2026-07-28 one by an `input_required` result; it sends the call again to wait for its end.
    const legacyUrls = !modern && elicitationModes(server.getClientCapabilities()?.elicitation).url;
    const modernUrls = modern && !resumed && elicitationModes(elicitationOf(envelope)).url;
    let elicited: string | undefined;
    let park: ((inputRequests: Parameters<typeof inputRequired>[0]['inputRequests'], waiting: string) => void) | undefined;
    const parkedAnswer = new Promise<McpToolResult | InputRequiredResult>((resolve) => {
      park = (inputRequests, waiting) => {
        context.parked.put(call, identity.id, relayTarget, args);
        ctx.mcpReq.signal.removeEventListener('abort', cancel);
        context
          .mintState({ call: call.id }, ctx)
          .then((requestState) => resolve(inputRequired({ inputRequests, requestState })))
          .catch(() => resolve({ content: [{ type: 'text', text: waiting }], isError: true }));
      };
    });
    // A 2026-07-28 client's answer to a server's question comes in its retry; a question asked
    // while it waits is sent to it as input_required (modern-questions.ts).
    const questions = questionsOf(call);
    if (questions) {
      if (resumed) applyResponses(questions, ctx.mcpReq.inputResponses);
      questions.ask = () => {
        const inputRequests = park && nextInputRequest(questions);
        if (!inputRequests) return;
        park!(inputRequests, 'waiting for an answer to the server');
        park = undefined;
      };
      questions.ask();
    }
    const unfollow = followToolCall(call, context.approvalUrl, {
      progress(progress, total, message) {
        if (token === undefined) return;
        ctx.mcpReq
          .notify({ method: 'notifications/progress', params: progressParams(token, progress, total, message) as never })
          .catch(() => undefined);
      },
      log(level, data, logger) {
        // A 2026-07-28 request carries its level in its envelope: the SDK applies it.
        if (modern) ctx.mcpReq.log(level as LoggingLevel, data, logger).catch(() => undefined);
        else if (logPasses(level, context.logLevel))
          ctx.mcpReq
            .notify({
              method: 'notifications/message',
              params: { level: level as LoggingLevel, data, ...(logger === undefined ? {} : { logger }) },
            })
            .catch(() => undefined);
      },
      approval(approval, url) {
        if (approval.state !== 'pending') {
          if (elicited === approval.id)
            server
              .createElicitationCompletionNotifier(approval.id)()
              .catch(() => undefined);
          elicited = undefined;
          return;
        }
        if (modernUrls && park) {
          park(
            { approval: inputRequired.elicitUrl({ message: approvalMessage(entry.server, entry.tool), url }) },
            `waiting for approval: ${url}`,
          );
          park = undefined;
          return;
        }
        tellWaiting(this, approval, url);
        if (legacyUrls && elicited === undefined) {
          elicited = approval.id;
          ctx.mcpReq
            .elicitInput({ mode: 'url', message: approvalMessage(entry.server, entry.tool), url, elicitationId: approval.id })
            .catch(() => undefined);
        }
      },
    });
    // A round of the server's own input_required goes to the client under the gateway's seal.
    // An approval of an earlier round keeps its deadline; one given in this round counts for gateway.questionTimeoutMs.
    const relayedRound = async (round: RelayedInputRequired): Promise<InputRequiredResult> => {
      const approval =
        approvedBefore ??
        (call.approval?.state === 'approved' ? { id: call.approval.id, until: Date.now() + context.questionTimeoutMs() } : undefined);
      const sealed = relayState(round.requestState, identity, relayTarget, args, approval, round.inputRequests);
      return inputRequired({ inputRequests: round.inputRequests as never, requestState: await context.mintState({ relay: sealed }, ctx) });
    };
    const answer = call.done.then<McpToolResult | InputRequiredResult>((end) => {
      // A 2026-07-28 server's -32021 reaches a 2026-07-28 client as the server would give it (HTTP 400)
      // when its declaring what the server requires makes the call declare it upstream (input-relay.ts
      // `callerWouldSupply`); otherwise it is an error result, as to a 2025-era client: the gateway cannot offer it.
      if (modern && end.error?.type === 'missing-client-capability') {
        const required = end.error.extra.requiredCapabilities as Record<string, unknown>;
        const connection = context.connections().find((candidate) => candidate.name === entry.server);
        if (connection?.callerWouldSupply(capabilitiesOf(envelope) as never, required))
          throw missingCapabilityError(required, entry.server, end.error.detail ?? end.error.message);
      }
      return end.result?.result.inputRequired
        ? relayedRound(end.result.result.inputRequired)
        : toMcpResult(end, aggregate ? entry.server : undefined);
    });
    try {
      return (await Promise.race([answer, parkedAnswer])) as never;
    } finally {
      unfollow();
      ctx.mcpReq.signal.removeEventListener('abort', cancel);
      if (questions) questions.ask = undefined;
    }
  });

  return server;
}
