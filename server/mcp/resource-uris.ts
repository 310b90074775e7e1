/**
 * The URIs resources get on an aggregate MCP endpoint (`/mcp` and groups), where resources of
 * several servers meet and two servers may use the same URI: `mcpgw://{server}/{original}`, the
 * server's own URI (or URI template) after the prefix, unchanged. So a URI maps back by cutting
 * the prefix, whatever the original holds (`?`, `#`, `%`, another `://`), and a template stays a
 * template: a client expands `mcpgw://e/demo://resource/{id}` into the namespaced form of what
 * the server's `demo://resource/{id}` expands to. `/mcp/{server}` passes URIs through unchanged.
 *
 * What a server returns that names a resource — `resource_link` and embedded `resource` items in
 * tool results and prompt messages, the contents of a read — carries the server's URI; on an
 * aggregate endpoint it is rewritten here, so a client can read what a tool linked.
 */

/** The scheme of namespaced URIs. */
export const URI_SCHEME = 'mcpgw';

const PREFIX = `${URI_SCHEME}://`;

/** The URI (or template) of a server's resource on an aggregate endpoint. */
export function namespacedUri(server: string, uri: string): string {
  return `${PREFIX}${server}/${uri}`;
}

/** The server and original URI a namespaced URI stands for; undefined when it is not one. */
export function originalUri(uri: string): { server: string; uri: string } | undefined {
  if (!uri.startsWith(PREFIX)) return undefined;
  const slash = uri.indexOf('/', PREFIX.length);
  if (slash <= PREFIX.length) return undefined;
  return { server: uri.slice(PREFIX.length, slash), uri: uri.slice(slash + 1) };
}

type Item = { type: string } & Record<string, unknown>;

/** One content item with the URI it names namespaced (`resource_link`, embedded `resource`); others as they are. */
function namespacedItem(item: Item, server: string): Item {
  if (item.type === 'resource_link' && typeof item.uri === 'string') return { ...item, uri: namespacedUri(server, item.uri) };
  if (item.type === 'resource' && typeof item.resource === 'object' && item.resource !== null) {
    const resource = item.resource as Record<string, unknown>;
    if (typeof resource.uri === 'string') return { ...item, resource: { ...resource, uri: namespacedUri(server, resource.uri) } };
  }
  return item;
}

/**
 * Content items (a tool result's, a prompt message's) with the URIs they name namespaced for
 * `server`. The same array when no item names a resource: the common case costs one pass.
 */
export function namespacedContent<T extends Item>(items: T[], server: string): T[] {
  if (!items.some((item) => item.type === 'resource_link' || item.type === 'resource')) return items;
  return items.map((item) => namespacedItem(item, server) as T);
}

/** One content item (a prompt message's) with the URI it names namespaced. */
export function namespacedContentItem<T extends Item>(item: T, server: string): T {
  return namespacedItem(item, server) as T;
}
