/**
 * The lists an upstream server serves (tools, resources, resource templates, prompts): fetched page by page and
 * reduced to what the gateway keeps. Which listing is stored, and when, is the connection's
 * business (`connection.ts`).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { PromptInfo, ResourceInfo, ResourceTemplateInfo, ToolInfo } from './types.js';

/** Paging through a list stops after this many pages, in case a server hands out cursors forever. */
const MAX_LIST_PAGES = 100;

export type ListKind = 'tools' | 'resources' | 'resourceTemplates' | 'prompts';

type ListItem = ToolInfo | ResourceInfo | ResourceTemplateInfo | PromptInfo;

/** The capability a server declares for each kind, and the field of the list result that holds the items. */
const KINDS: Record<ListKind, { capability: 'tools' | 'resources' | 'prompts'; field: string }> = {
  tools: { capability: 'tools', field: 'tools' },
  resources: { capability: 'resources', field: 'resources' },
  resourceTemplates: { capability: 'resources', field: 'resourceTemplates' },
  prompts: { capability: 'prompts', field: 'prompts' },
};

/**
 * The lists of one server as last stored. The first listing after connecting and the
 * `list_changed` refreshes may overlap: each listing takes a ticket when it begins, and a result
 * is stored only when no listing that began later has been stored already (the newer one wins).
 */
export class ServerLists {
  tools: ToolInfo[] = [];
  resources: ResourceInfo[] = [];
  resourceTemplates: ResourceTemplateInfo[] = [];
  prompts: PromptInfo[] = [];
  private toolsByName = new Map<string, ToolInfo>();
  private lastTicket = 0;
  private readonly storedTicket: Record<ListKind, number> = { tools: 0, resources: 0, resourceTemplates: 0, prompts: 0 };

  /** One tool by name (a map lookup: this is on every call's path). */
  tool(name: string): ToolInfo | undefined {
    return this.toolsByName.get(name);
  }

  /** The ticket of a listing about to begin. */
  begin(): number {
    return ++this.lastTicket;
  }

  /** Stores the result of the listing with `ticket`, unless a later one is stored; whether it was stored. */
  store(kind: ListKind, ticket: number, list: ListItem[]): boolean {
    if (ticket < this.storedTicket[kind]) return false;
    this.storedTicket[kind] = ticket;
    if (kind === 'tools') this.setTools(list as ToolInfo[]);
    else if (kind === 'resources') this.resources = list as ResourceInfo[];
    else if (kind === 'resourceTemplates') this.resourceTemplates = list as ResourceTemplateInfo[];
    else this.prompts = list as PromptInfo[];
    return true;
  }

  /** Empties every list (a disabled server serves none). */
  clear(): void {
    this.setTools([]);
    this.resources = [];
    this.resourceTemplates = [];
    this.prompts = [];
  }

  private setTools(tools: ToolInfo[]): void {
    this.tools = tools;
    this.toolsByName = new Map(tools.map((tool) => [tool.name, tool]));
  }
}

/**
 * One kind of list of a server, every page of it (at most {@link MAX_LIST_PAGES}), as the gateway
 * keeps it: tools without the names `hiddenTools()` gives when the listing ends (read then, so a
 * config reload during the listing applies), each item with only the fields the gateway uses.
 * A server that does not announce the capability has an empty list.
 */
export async function fetchList(client: Client, kind: ListKind, hiddenTools: () => readonly string[]): Promise<ListItem[]> {
  const capabilities = client.getServerCapabilities() ?? {};
  if (!capabilities[KINDS[kind].capability]) return [];
  const items: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const params = cursor ? { cursor } : undefined;
    const result =
      kind === 'tools'
        ? await client.listTools(params)
        : kind === 'resources'
          ? await client.listResources(params)
          : kind === 'resourceTemplates'
            ? await client.listResourceTemplates(params)
            : await client.listPrompts(params);
    items.push(...((result as unknown as Record<string, unknown[]>)[KINDS[kind].field] ?? []));
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  if (kind === 'tools') {
    const hidden = new Set(hiddenTools());
    return (items as ToolInfo[]).filter((tool) => !hidden.has(tool.name)).map(toToolInfo);
  }
  if (kind === 'resources') return (items as ResourceInfo[]).map(toResourceInfo);
  if (kind === 'resourceTemplates') return (items as ResourceTemplateInfo[]).map(toTemplateInfo);
  return (items as PromptInfo[]).map(toPromptInfo);
}

function toToolInfo(tool: ToolInfo): ToolInfo {
  return {
    name: tool.name,
    title: tool.title ?? tool.annotations?.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
    annotations: tool.annotations,
    definition: tool as unknown as Record<string, unknown>,
  };
}

function toResourceInfo(resource: ResourceInfo): ResourceInfo {
  const { uri, name, title, description, mimeType, size } = resource;
  return { uri, name, title, description, mimeType, size, definition: resource as unknown as Record<string, unknown> };
}

function toTemplateInfo(template: ResourceTemplateInfo): ResourceTemplateInfo {
  const { uriTemplate, name, title, description, mimeType } = template;
  return { uriTemplate, name, title, description, mimeType, definition: template as unknown as Record<string, unknown> };
}

function toPromptInfo(prompt: PromptInfo): PromptInfo {
  const { name, title, description, arguments: args } = prompt;
  return { name, title, description, arguments: args, definition: prompt as unknown as Record<string, unknown> };
}
