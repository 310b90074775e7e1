/**
 * The URIs resources get on an aggregate MCP endpoint (`/mcp` and groups), where resources of
 * several servers meet and two servers may use the same URI: `mcpgw://{server}/{original}`, the
 * server's own URI (or URI template) after the prefix, unchanged. So a URI maps back by cutting
 * the prefix, whatever the original holds (`?`, `#`, `%`, another `://`), and a template stays a
 * template: a client expands `mcpgw://e/demo://resource/{id}` into the namespaced form of what
 * the server's `demo://resource/{id}` expands to. `/mcp/{server}` passes URIs through unchanged.
 *
 * MCP Apps (SEP-1865) hosts look for the `ui://` scheme, so a `ui://` URI keeps it and gets the
 * server as its first part instead: `ui://{server}/{the rest}` (`ui://weather/app.html` of server
 * `w` is `ui://w/weather/app.html`), and a tool's `_meta.ui.resourceUri` is rewritten to match.
 *
 * What a server returns that names a resource — `resource_link` and embedded `resource` items in
 * tool results and prompt messages, the contents of a read — carries the server's URI; on an
 * aggregate endpoint it is rewritten here, so a client can read what a tool linked.
 */

/** The scheme of namespaced URIs. */
export const URI_SCHEME = 'mcpgw';

const PREFIX = `${URI_SCHEME}://`;
/** MCP Apps' scheme, which a namespaced URI keeps. */
const APP_PREFIX = 'ui://';

/** The URI (or template) of a server's resource on an aggregate endpoint. */
export function namespacedUri(server: string, uri: string): string {
  if (uri.startsWith(APP_PREFIX)) return `${APP_PREFIX}${server}/${uri.slice(APP_PREFIX.length)}`;
  return `${PREFIX}${server}/${uri}`;
}

/** The server and original URI a namespaced URI stands for; undefined when it is not one. */
export function originalUri(uri: string): { server: string; uri: string } | undefined {
  const prefix = uri.startsWith(PREFIX) ? PREFIX : uri.startsWith(APP_PREFIX) ? APP_PREFIX : undefined;
  if (!prefix) return undefined;
  const slash = uri.indexOf('/', prefix.length);
  if (slash <= prefix.length) return undefined;
  const rest = uri.slice(slash + 1);
  return { server: uri.slice(prefix.length, slash), uri: prefix === APP_PREFIX ? `${APP_PREFIX}${rest}` : rest };
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

/**
 * A tool's `_meta` with its MCP App (`ui.resourceUri`, and the older flat `ui/resourceUri`)
 * namespaced for `server`; the same object when it names none.
 */
export function namespacedToolMeta(meta: Record<string, unknown>, server: string): Record<string, unknown> {
  const ui = meta.ui as Record<string, unknown> | undefined;
  const nested = ui && typeof ui === 'object' && typeof ui.resourceUri === 'string';
  const flat = typeof meta['ui/resourceUri'] === 'string';
  if (!nested && !flat) return meta;
  return {
    ...meta,
    ...(nested ? { ui: { ...ui, resourceUri: namespacedUri(server, ui.resourceUri as string) } } : {}),
    ...(flat ? { 'ui/resourceUri': namespacedUri(server, meta['ui/resourceUri'] as string) } : {}),
  };
}
