/**
 * A server's resources and prompts offered as tools (`exposeAsTools` in its config entry), for
 * callers that can only call tools (Open WebUI's OpenAPI tool servers):
 * - `read_resource` (`{uri}`) reads a resource (`resources/read`); its result is the contents as
 *   embedded resources, so the mcpo route answers a text resource as its text and an image as its
 *   `data:` URL;
 * - `get_prompt` (`{name, arguments}`) fills a prompt in (`prompts/get`); its result holds the
 *   messages as structured content.
 * They are tools in every other way: the tool documents list them (tool-documents.ts) and a call
 * goes through the whole pipeline of call-tool.ts (argument check, approval policy, concurrency
 * limit, timeout, activity entry under this name). A server whose own tools include one of these
 * names keeps its tool: the feature tool is then not offered. `disabledTools` hides them too.
 * Their descriptions list what the server offers (its resources, templates and prompts), so that a
 * model can choose; they are made anew when a list changes.
 */
import type { ServerConfig } from '../config/types.js';
import type { UpstreamConnection } from '../upstream/connection.js';
import type { PromptInfo, RequestOptions, ResourceInfo, ResourceTemplateInfo, ToolCallResult, ToolInfo } from '../upstream/types.js';

export const READ_RESOURCE = 'read_resource';
export const GET_PROMPT = 'get_prompt';

/** How many resources and prompts a description lists by name before it says "and N more". */
const LISTED = 50;

/** Tools by the lists they describe: a new listing brings new arrays, so nothing goes stale. */
const resourceTools = new WeakMap<ResourceInfo[], WeakMap<ResourceTemplateInfo[], ToolInfo>>();
const promptTools = new WeakMap<PromptInfo[], ToolInfo>();

/** The feature tools `connection` offers now, in a fixed order (none unless its config asks). */
export function featureTools(connection: UpstreamConnection): ToolInfo[] {
  const tools: ToolInfo[] = [];
  for (const name of [READ_RESOURCE, GET_PROMPT]) {
    const tool = featureTool(connection, name);
    if (tool) tools.push(tool);
  }
  return tools;
}

/** The feature tool of this name, when `connection` offers it. */
export function featureTool(connection: UpstreamConnection, name: string): ToolInfo | undefined {
  const config = connection.currentConfig;
  if (name !== READ_RESOURCE && name !== GET_PROMPT) return undefined;
  if (config.disabledTools.includes(name) || connection.tool(name)) return undefined;
  if (name === READ_RESOURCE) return offersResources(connection, config) ? readResourceTool(connection) : undefined;
  return offersPrompts(connection, config) ? getPromptTool(connection.prompts()) : undefined;
}

function offersResources(connection: UpstreamConnection, config: ServerConfig): boolean {
  if (!config.exposeAsTools.resources) return false;
  return connection.features().resources || connection.resources().length > 0 || connection.resourceTemplates().length > 0;
}

function offersPrompts(connection: UpstreamConnection, config: ServerConfig): boolean {
  if (!config.exposeAsTools.prompts) return false;
  return connection.features().prompts || connection.prompts().length > 0;
}

function more(total: number): string {
  return total > LISTED ? `\n(and ${total - LISTED} more)` : '';
}

function readResourceTool(connection: UpstreamConnection): ToolInfo {
  const resources = connection.resources();
  const templates = connection.resourceTemplates();
  let byTemplates = resourceTools.get(resources);
  if (!byTemplates) resourceTools.set(resources, (byTemplates = new WeakMap()));
  let tool = byTemplates.get(templates);
  if (!tool) {
    const listed = resources
      .slice(0, LISTED)
      .map(
        (resource) =>
          `- ${resource.uri}: ${resource.title ?? resource.name}${resource.description ? ` — ${oneLine(resource.description)}` : ''}`,
      );
    const made = templates.slice(0, LISTED).map((template) => `- ${template.uriTemplate}: ${template.title ?? template.name}`);
    const description = [
      `Reads a resource of the MCP server "${connection.name}" by its URI.`,
      ...(listed.length > 0 ? ['Resources:', ...listed, more(resources.length)] : []),
      ...(made.length > 0 ? ['URI templates (fill in the {variables}):', ...made, more(templates.length)] : []),
    ]
      .filter(Boolean)
      .join('\n');
    tool = {
      name: READ_RESOURCE,
      title: 'Read a resource',
      description,
      inputSchema: {
        type: 'object',
        properties: { uri: { type: 'string', description: "The resource's URI." } },
        required: ['uri'],
        additionalProperties: false,
      },
      annotations: { title: 'Read a resource', readOnlyHint: true },
    };
    byTemplates.set(templates, tool);
  }
  return tool;
}

function getPromptTool(prompts: PromptInfo[]): ToolInfo {
  let tool = promptTools.get(prompts);
  if (!tool) {
    const listed = prompts.slice(0, LISTED).map((prompt) => {
      const args = (prompt.arguments ?? []).map((argument) => `${argument.name}${argument.required ? '' : '?'}`).join(', ');
      return `- ${prompt.name}(${args})${prompt.description ? `: ${oneLine(prompt.description)}` : ''}`;
    });
    const requiring = prompts
      .map((prompt) => ({
        name: prompt.name,
        required: (prompt.arguments ?? []).filter((argument) => argument.required).map((argument) => argument.name),
      }))
      .filter((prompt) => prompt.required.length > 0)
      .map((prompt) => ({
        if: { properties: { name: { const: prompt.name } } },
        then: { required: ['arguments'], properties: { arguments: { required: prompt.required } } },
      }));
    tool = {
      name: GET_PROMPT,
      title: 'Get a prompt',
      description: [
        'Fills in a prompt of the MCP server and returns its messages.',
        'Prompts (arguments; ? = optional):',
        ...listed,
        more(prompts.length),
      ]
        .filter(Boolean)
        .join('\n'),
      inputSchema: {
        type: 'object',
        properties: {
          name: {
            type: 'string',
            description: "The prompt's name.",
            ...(prompts.length > 0 ? { enum: prompts.map((prompt) => prompt.name) } : {}),
          },
          arguments: {
            type: 'object',
            description: "The prompt's arguments, as strings.",
            additionalProperties: { type: 'string' },
          },
        },
        required: ['name'],
        additionalProperties: false,
        // Each prompt's required arguments, checked with the rest before the call goes anywhere.
        ...(requiring.length > 0 ? { allOf: requiring } : {}),
      },
      annotations: { title: 'Get a prompt', readOnlyHint: true },
    };
    promptTools.set(prompts, tool);
  }
  return tool;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Runs a feature tool upstream with arguments its input schema has accepted. */
export async function callFeatureTool(
  connection: UpstreamConnection,
  name: string,
  args: Record<string, unknown>,
  options: RequestOptions,
): Promise<ToolCallResult> {
  if (name === READ_RESOURCE) {
    const read = await connection.readResource(String(args.uri), options);
    const contents = Array.isArray(read.contents) ? read.contents : [];
    return { content: contents.map((resource) => ({ type: 'resource', resource })), isError: false };
  }
  const promptName = String(args.name);
  const values = (args.arguments ?? {}) as Record<string, string>;
  const result = await connection.getPrompt(promptName, values, options);
  const structured = { ...(result.description ? { description: result.description } : {}), messages: result.messages };
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured, isError: false };
}
