/**
 * What one MCP endpoint of the gateway serves, worked out afresh from the running servers each
 * time it is asked (a listing, a call): so the tools of a server that was disabled, removed or
 * reloaded are gone from the next answer at once, with nothing to invalidate.
 *
 * - `/mcp`: every enabled server's tools, named `{server}__{tool}` (names.ts);
 * - `/mcp/{server}`: one server's tools under their own names, as a transparent proxy would;
 * - `/mcp/{group}`: the tools a group's patterns pick (config `groups`), named as on `/mcp`.
 *
 * Definitions pass through as the server listed them (`inputSchema`, `outputSchema`,
 * `annotations`, `title`, `icons`, `_meta` …); on the aggregate endpoints the name changes and
 * `_meta` says which server and tool it stands for (`ORIGIN_META_KEY`), and an MCP App's
 * `_meta.ui.resourceUri` is namespaced as that endpoint lists the resource (resource-uris.ts).
 * One exception: `execution.taskSupport` is listed only to a 2025-era client that declared the
 * `tasks` capability (the gateway serves it tasks: tasks.ts). To any other client it is left out:
 * the gateway runs a task-only tool's task itself (server/upstream/task-calls.ts), and a client
 * must not call a tool listed with `taskSupport: "required"` without a task.
 */
import type { ToolGroup } from '../config/types.js';
import type { ToolInfo } from '../upstream/types.js';
import { aggregateNames, originMeta, type ToolRef } from './names.js';
import { namespacedToolMeta } from './resource-uris.js';

/** Which endpoint: all servers, one server, or a group. */
export type EndpointTarget = { kind: 'all' } | { kind: 'server'; server: string } | { kind: 'group'; group: ToolGroup };

/** What the catalog needs of the running gateway. */
export interface ToolSource {
  /** The enabled servers and the tools each has listed, in config order. */
  servedTools(): { server: string; tools: readonly ToolInfo[] }[];
  /** Whether a server of this name exists (enabled or not). */
  hasServer(name: string): boolean;
  group(name: string): ToolGroup | undefined;
}

export interface CatalogEntry extends ToolRef {
  /** The name on this endpoint. */
  name: string;
  info: ToolInfo;
}

export interface Catalog {
  tools: CatalogEntry[];
  byName: Map<string, CatalogEntry>;
}

/** `/mcp/{name}`: a server's endpoint, a group's, or none (`undefined`). A server and a group never share a name (config). */
export function targetOf(name: string | undefined, source: ToolSource): EndpointTarget | undefined {
  if (name === undefined) return { kind: 'all' };
  if (source.hasServer(name)) return { kind: 'server', server: name };
  const group = source.group(name);
  return group ? { kind: 'group', group } : undefined;
}

/** `*` matches any run of characters; everything else itself. */
function globMatcher(pattern: string): (value: string) => boolean {
  if (!pattern.includes('*')) return (value) => value === pattern;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`);
  return (value) => regex.test(value);
}

/** Whether a group's patterns pick a tool. */
export function groupPicks(group: ToolGroup): (ref: ToolRef) => boolean {
  const rules = group.tools.map((pattern) => {
    const slash = pattern.indexOf('/');
    return { server: globMatcher(pattern.slice(0, slash)), tool: globMatcher(pattern.slice(slash + 1)) };
  });
  return (ref) => rules.some((rule) => rule.server(ref.server) && rule.tool(ref.tool));
}

/** Whether a group may pick tools of a server (a server part of one of its patterns matches the name). */
export function groupUses(group: ToolGroup, server: string): boolean {
  return group.tools.some((pattern) => globMatcher(pattern.slice(0, pattern.indexOf('/')))(server));
}

/** Whether an endpoint serves a server's resources and prompts: its own, every one on `/mcp`, those a group's patterns name. */
export function servesServer(target: EndpointTarget, server: string): boolean {
  if (target.kind === 'all') return true;
  return target.kind === 'server' ? target.server === server : groupUses(target.group, server);
}

export function buildCatalog(target: EndpointTarget, source: ToolSource): Catalog {
  const served = source.servedTools();
  let picked: { server: string; info: ToolInfo }[];
  if (target.kind === 'server') {
    picked = (served.find((entry) => entry.server === target.server)?.tools ?? []).map((info) => ({ server: target.server, info }));
  } else {
    const all = served.flatMap((entry) => entry.tools.map((info) => ({ server: entry.server, info })));
    if (target.kind === 'all') picked = all;
    else {
      const picks = groupPicks(target.group);
      picked = all.filter((entry) => picks({ server: entry.server, tool: entry.info.name }));
    }
  }
  const tools: CatalogEntry[] = [];
  if (target.kind === 'server') {
    for (const entry of picked) tools.push({ name: entry.info.name, server: entry.server, tool: entry.info.name, info: entry.info });
  } else {
    const names = aggregateNames(picked.map((entry) => ({ server: entry.server, tool: entry.info.name })));
    picked.forEach((entry, index) => tools.push({ name: names[index]!, server: entry.server, tool: entry.info.name, info: entry.info }));
  }
  return { tools, byName: new Map(tools.map((entry) => [entry.name, entry])) };
}

/**
 * The MCP definition of a catalog entry: the server's own, renamed on aggregate endpoints, with its
 * origin in `_meta`; with `execution.taskSupport` only for a client served tasks (`tasks`).
 */
export function toolDefinition(entry: CatalogEntry, aggregate: boolean, tasks = false): Record<string, unknown> {
  const { info } = entry;
  const listed: Record<string, unknown> = info.definition
    ? { ...info.definition }
    : {
        name: info.name,
        ...(info.title === undefined ? {} : { title: info.title }),
        ...(info.description === undefined ? {} : { description: info.description }),
        inputSchema: info.inputSchema,
        ...(info.outputSchema === undefined ? {} : { outputSchema: info.outputSchema }),
        ...(info.annotations === undefined ? {} : { annotations: info.annotations }),
      };
  if (!tasks) servedPlainly(listed);
  if (!aggregate) return listed;
  return {
    ...listed,
    name: entry.name,
    title: typeof listed.title === 'string' ? listed.title : `${entry.server}/${entry.tool}`,
    // An MCP App's `ui://` resource is listed namespaced here: the tool names it so.
    _meta: namespacedToolMeta(originMeta(listed, { server: entry.server, tool: entry.tool }), entry.server),
  };
}

/** Leaves out a listed `execution.taskSupport` (see the top of this file); other `execution` fields stay. */
function servedPlainly(listed: Record<string, unknown>): void {
  const execution = listed.execution;
  if (typeof execution !== 'object' || execution === null || !('taskSupport' in execution)) return;
  const { taskSupport: _dropped, ...rest } = execution as Record<string, unknown>;
  if (Object.keys(rest).length > 0) listed.execution = rest;
  else delete listed.execution;
}
