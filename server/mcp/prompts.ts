/**
 * Prompts and completions on the gateway's MCP endpoint: `prompts/list`, `prompts/get` and
 * `completion/complete`, answered from the servers behind it (their cached prompt lists; a get or
 * a completion goes to the server).
 *
 * `/mcp/{server}` passes names through; on `/mcp` and groups a prompt is named like a tool,
 * `{server}__{prompt}` with the same shortening rules (names.ts), and carries its origin in
 * `_meta` (`ORIGIN_META_KEY`: `{server, prompt}`); the resources its messages name get namespaced
 * URIs (resource-uris.ts). A group serves the prompts of every server one of its tool patterns
 * names. A completion's `ref/prompt` is mapped back by name, its `ref/resource` by template URI.
 */
import { ProtocolError, inputRequired, type Server } from '@modelcontextprotocol/server';
import type { UpstreamConnection } from '../upstream/connection.js';
import type { CompletionRef, PromptInfo, PromptResult } from '../upstream/types.js';
import { relayState, requestRelay } from './input-relay.js';
import type { ServedContext } from './mcp-server.js';
import { aggregateNames, originMeta } from './names.js';
import { namespacedContentItem } from './resource-uris.js';
import { resolveUri } from './resources.js';
import {
  INVALID_PARAMS,
  requestOptions,
  requireCall,
  requireRead,
  upstreamError,
  withinLimit,
  type FeatureCapabilities,
} from './upstream-requests.js';

interface PromptEntry {
  /** The name on this endpoint. */
  name: string;
  connection: UpstreamConnection;
  prompt: PromptInfo;
}

/** The endpoint's prompts now, named for it. */
function promptEntries(connections: readonly UpstreamConnection[], aggregate: boolean): PromptEntry[] {
  const picked = connections.flatMap((connection) => connection.prompts().map((prompt) => ({ connection, prompt })));
  if (!aggregate) return picked.map((entry) => ({ ...entry, name: entry.prompt.name }));
  const names = aggregateNames(picked.map((entry) => ({ server: entry.connection.name, tool: entry.prompt.name })));
  return picked.map((entry, index) => ({ ...entry, name: names[index]! }));
}

/** A prompt as the endpoint lists it: renamed on aggregate endpoints, with its origin in `_meta`. */
function promptDefinition(entry: PromptEntry, aggregate: boolean): Record<string, unknown> {
  const { prompt } = entry;
  const plain: Record<string, unknown> = prompt.definition
    ? { ...prompt.definition }
    : {
        name: prompt.name,
        ...(prompt.title === undefined ? {} : { title: prompt.title }),
        ...(prompt.description === undefined ? {} : { description: prompt.description }),
        ...(prompt.arguments === undefined ? {} : { arguments: prompt.arguments }),
      };
  if (!aggregate) return plain;
  const server = entry.connection.name;
  return {
    ...plain,
    name: entry.name,
    title: typeof plain.title === 'string' ? plain.title : `${server}/${prompt.name}`,
    _meta: originMeta(plain, { server, prompt: prompt.name }),
  };
}

function promptNamed(context: ServedContext, aggregate: boolean, name: string): PromptEntry {
  const entry = promptEntries(context.connections(), aggregate).find((candidate) => candidate.name === name);
  if (!entry) throw new ProtocolError(INVALID_PARAMS, `Unknown prompt: ${name}`);
  return entry;
}

/** A prompt's messages with the resources they name namespaced for `server`. */
function promptResult(result: PromptResult, server: string, aggregate: boolean): PromptResult {
  if (!aggregate) return result;
  return {
    ...result,
    messages: result.messages.map((message) => ({ ...message, content: namespacedContentItem(message.content, server) })),
  };
}

/** Serves prompts and completions on `server`, as far as `capabilities` declares them. */
export function servePrompts(server: Server, context: ServedContext, capabilities: FeatureCapabilities): void {
  const aggregate = context.target.kind !== 'server';
  const { identity } = context;

  if (capabilities.prompts) {
    server.setRequestHandler('prompts/list', async () => {
      requireRead(identity);
      return { prompts: promptEntries(context.connections(), aggregate).map((entry) => promptDefinition(entry, aggregate)) as never };
    });

    server.setRequestHandler('prompts/get', async (request, ctx) => {
      requireCall(identity);
      const { connection, prompt } = promptNamed(context, aggregate, request.params.name);
      context.logger.debug({ server: connection.name, prompt: prompt.name, caller: identity.id }, 'MCP prompt get');
      const args = request.params.arguments ?? {};
      // A 2026-07-28 server's own input_required rounds that the client can answer go to it as they are (input-relay.ts).
      const target = { server: connection.name, target: `prompts/get ${prompt.name}` };
      const { relay } = requestRelay(ctx, identity, target, args, context.usedNonces);
      const modern =
        (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.['io.modelcontextprotocol/protocolVersion'] !== undefined;
      let result: PromptResult;
      try {
        result = await connection.getPrompt(prompt.name, args, requestOptions(connection, ctx.mcpReq.signal), relay);
      } catch (error) {
        // A 2026-07-28 caller's declaration goes upstream with its prompts/get (a relayed one when it declares any).
        throw upstreamError(error, connection.name, modern ? { connection, declared: relay?.capabilities } : undefined);
      }
      const round = result.inputRequired;
      if (round) {
        const sealed = relayState(round.requestState, identity, target, args, undefined, round.inputRequests);
        return inputRequired({
          inputRequests: round.inputRequests as never,
          requestState: await context.mintState({ relay: sealed }, ctx),
        });
      }
      const what = `getting the prompt ${prompt.name}`;
      return withinLimit(promptResult(result, connection.name, aggregate), context.maxResultBytes(), connection.name, what) as never;
    });
  }

  if (capabilities.completions) {
    server.setRequestHandler('completion/complete', async (request, ctx) => {
      requireCall(identity);
      const { ref, argument } = request.params;
      let connection: UpstreamConnection;
      let upstreamRef: CompletionRef;
      if (ref.type === 'ref/prompt') {
        const entry = promptNamed(context, aggregate, ref.name);
        connection = entry.connection;
        upstreamRef = { type: 'ref/prompt', name: entry.prompt.name };
      } else {
        const resolved = resolveUri(context.connections(), aggregate, ref.uri);
        if (!resolved) throw new ProtocolError(INVALID_PARAMS, `Unknown resource template: ${ref.uri}`);
        connection = resolved.connection;
        upstreamRef = { type: 'ref/resource', uri: resolved.uri };
      }
      try {
        const completion = await connection.complete(
          upstreamRef,
          { name: argument.name, value: argument.value },
          request.params.context?.arguments,
          requestOptions(connection, ctx.mcpReq.signal),
        );
        return { completion } as never;
      } catch (error) {
        throw upstreamError(error, connection.name);
      }
    });
  }
}
