/**
 * Resources on the gateway's MCP endpoint: `resources/list`, `resources/templates/list`,
 * `resources/read`, and `resources/subscribe` / `unsubscribe` for 2025-era sessions (a
 * 2026-07-28 client names the URIs it watches in `subscriptions/listen`: `ListenWatches`). The
 * lists are the servers' cached ones (upstream/connection.ts), in config order, whole (no paging);
 * a read, and a subscription, go to the server with its own URI.
 *
 * `/mcp/{server}` passes URIs through; on `/mcp` and groups they are namespaced (resource-uris.ts)
 * and each item carries its origin in `_meta` (`ORIGIN_META_KEY`: `{server, uri}`). A group
 * serves the resources of every server one of its tool patterns names (catalog.ts `groupUses`).
 */
import { ResourceNotFoundError, type Server } from '@modelcontextprotocol/server';
import type { UpstreamConnection } from '../upstream/connection.js';
import type { ResourceInfo, ResourceReadResult, ResourceTemplateInfo } from '../upstream/types.js';
import type { ServedContext } from './mcp-server.js';
import { originMeta } from './names.js';
import { namespacedUri, originalUri } from './resource-uris.js';
import {
  INVALID_PARAMS,
  RESOURCE_NOT_FOUND,
  requestOptions,
  requireCall,
  requireRead,
  upstreamError,
  withinLimit,
  type FeatureCapabilities,
} from './upstream-requests.js';

/** A resource URI on an endpoint, resolved: the server behind it and the server's own URI. */
export interface ResolvedUri {
  connection: UpstreamConnection;
  uri: string;
}

/** The server and original URI an endpoint's URI names; undefined when none of its servers has it. */
export function resolveUri(connections: readonly UpstreamConnection[], aggregate: boolean, uri: string): ResolvedUri | undefined {
  if (!aggregate) return connections[0] ? { connection: connections[0], uri } : undefined;
  const original = originalUri(uri);
  const connection = original && connections.find((candidate) => candidate.name === original.server);
  return connection ? { connection, uri: original.uri } : undefined;
}

/** A listed item (resource or template) as the endpoint lists it: namespaced on aggregate endpoints. */
function listed(
  server: string,
  item: ResourceInfo | ResourceTemplateInfo,
  key: 'uri' | 'uriTemplate',
  aggregate: boolean,
): Record<string, unknown> {
  const own = (item as unknown as Record<string, string>)[key]!;
  const plain: Record<string, unknown> = item.definition
    ? { ...item.definition }
    : {
        [key]: own,
        name: item.name,
        ...(item.title === undefined ? {} : { title: item.title }),
        ...(item.description === undefined ? {} : { description: item.description }),
        ...(item.mimeType === undefined ? {} : { mimeType: item.mimeType }),
      };
  if (!aggregate) return plain;
  return { ...plain, [key]: namespacedUri(server, own), _meta: originMeta(plain, { server, [key]: own }) };
}

/** A read's contents with their URIs as the endpoint names them. */
function readResult(result: ResourceReadResult, server: string, aggregate: boolean): ResourceReadResult {
  if (!aggregate) return result;
  return { ...result, contents: result.contents.map((contents) => ({ ...contents, uri: namespacedUri(server, contents.uri) })) };
}

/**
 * Resource not found, for the URI the client named: the SDK answers it as the 2026-07-28 revision
 * says on every era (-32602 with `data: {uri}`; clients also take a server's -32002).
 */
function notFound(uri: string): ResourceNotFoundError {
  return new ResourceNotFoundError(uri, `Resource not found: ${uri}`);
}

/** A read's upstream failure: the server's "not found" (-32002, or invalid params) for the client's URI; others as they are. */
function readError(error: unknown, server: string, uri: string): Error {
  const failure = upstreamError(error, server);
  return failure.code === RESOURCE_NOT_FOUND || failure.code === INVALID_PARAMS ? notFound(uri) : failure;
}

/** Serves resources on `server` (declared in `capabilities`): the lists, reads, and a 2025-era session's subscriptions. */
export function serveResources(server: Server, context: ServedContext, capabilities: FeatureCapabilities): void {
  if (!capabilities.resources) return;
  const aggregate = context.target.kind !== 'server';
  const { identity } = context;

  server.setRequestHandler('resources/list', async () => {
    requireRead(identity);
    return {
      resources: context
        .connections()
        .flatMap((connection) => connection.resources().map((resource) => listed(connection.name, resource, 'uri', aggregate))) as never,
    };
  });

  server.setRequestHandler('resources/templates/list', async () => {
    requireRead(identity);
    return {
      resourceTemplates: context
        .connections()
        .flatMap((connection) =>
          connection.resourceTemplates().map((template) => listed(connection.name, template, 'uriTemplate', aggregate)),
        ) as never,
    };
  });

  server.setRequestHandler('resources/read', async (request, ctx) => {
    requireCall(identity);
    const resolved = resolveUri(context.connections(), aggregate, request.params.uri);
    if (!resolved) throw notFound(request.params.uri);
    const { connection, uri } = resolved;
    context.logger.debug({ server: connection.name, uri, caller: identity.id }, 'MCP resource read');
    let result: ResourceReadResult;
    try {
      result = await connection.readResource(uri, requestOptions(connection, ctx.mcpReq.signal));
    } catch (error) {
      throw readError(error, connection.name, request.params.uri);
    }
    return withinLimit(
      readResult(result, connection.name, aggregate),
      context.maxResultBytes(),
      connection.name,
      `reading ${uri}`,
    ) as never;
  });

  if (!capabilities.resources.subscribe) return;
  // This session's subscriptions, by the URI the client named: each ends with the session.
  const watches = new Map<string, Promise<() => void>>();
  const endWatch = (uri: string): void => {
    const watch = watches.get(uri);
    watches.delete(uri);
    void watch?.then((end) => end()).catch(() => undefined);
  };
  const onclose = server.onclose;
  server.onclose = () => {
    for (const uri of [...watches.keys()]) endWatch(uri);
    onclose?.();
  };

  server.setRequestHandler('resources/subscribe', async (request) => {
    requireRead(identity);
    const exposed = request.params.uri;
    if (watches.has(exposed)) return {};
    const resolved = resolveUri(context.connections(), aggregate, exposed);
    if (!resolved) throw notFound(exposed);
    const watch = resolved.connection.watchResource(resolved.uri, () => {
      server.sendResourceUpdated({ uri: exposed }).catch(() => undefined);
    });
    watches.set(exposed, watch);
    try {
      await watch;
    } catch (error) {
      watches.delete(exposed);
      throw upstreamError(error, resolved.connection.name);
    }
    return {};
  });

  server.setRequestHandler('resources/unsubscribe', async (request) => {
    endWatch(request.params.uri);
    return {};
  });
}

/**
 * The upstream watches behind the resource subscriptions of an endpoint's 2026-07-28 listen
 * streams: one per URI however many streams name it, ended when the last of them closes. Each
 * update is published once on the endpoint's event bus, which delivers it to the streams that
 * named the URI.
 */
export class ListenWatches {
  private readonly watches = new Map<string, { streams: number; end: Promise<(() => void) | undefined> }>();

  constructor(private readonly updated: (uri: string) => void) {}

  /**
   * Watches the URIs a `subscriptions/listen` message names (`params.notifications.resourceSubscriptions`),
   * until the function returned is called. URIs no server behind the endpoint has, or whose server
   * refuses, are skipped (the stream just hears nothing for them).
   */
  watch(message: unknown, connections: () => readonly UpstreamConnection[], aggregate: boolean): () => void {
    const uris = subscribedUris(message);
    if (uris.length === 0) return () => undefined;
    const behind = connections();
    for (const uri of uris) {
      const known = this.watches.get(uri);
      if (known) {
        known.streams++;
        continue;
      }
      const resolved = resolveUri(behind, aggregate, uri);
      const end = resolved
        ? resolved.connection.watchResource(resolved.uri, () => this.updated(uri)).catch(() => undefined)
        : Promise.resolve(undefined);
      this.watches.set(uri, { streams: 1, end });
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      for (const uri of uris) {
        const known = this.watches.get(uri);
        if (!known || --known.streams > 0) continue;
        this.watches.delete(uri);
        void known.end.then((end) => end?.());
      }
    };
  }
}

/** The resource URIs a `subscriptions/listen` message names (none for any other message). */
export function subscribedUris(message: unknown): string[] {
  const request = message as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } } | undefined;
  if (request?.method !== 'subscriptions/listen') return [];
  const uris = request.params?.notifications?.resourceSubscriptions;
  return Array.isArray(uris) ? [...new Set(uris.filter((uri): uri is string => typeof uri === 'string'))] : [];
}
