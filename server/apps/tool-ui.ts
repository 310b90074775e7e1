/**
 * MCP Apps (SEP-1865, `io.modelcontextprotocol/ui`): what a tool's `_meta.ui` says, read from the
 * definition the server listed.
 * - `resourceUri` (`ui://…`): the HTML resource (`text/html;profile=mcp-app`) that renders the tool's
 *   input and result; the orchestrator serves it sandboxed (server/ui/apps-pages.ts);
 * - `visibility` (`["model", "app"]` by default): a tool with `["app"]` only is there for its app's
 *   calls: it is left out of the OpenAPI documents and the `/mcp` listings, and stays callable; one
 *   with `["model"]` only is not for apps: an app's call of it is refused.
 * Everything here comes from the server and is untrusted: anything malformed reads as "no app".
 */
import type { ToolInfo } from '../upstream/types.js';

export interface ToolUi {
  /** The `ui://` URI of the tool's app, when it has one. */
  resourceUri?: string;
  /** Whether only apps may see the tool (`visibility: ["app"]`). Default false. */
  appOnly: boolean;
  /** Whether apps may call the tool (`visibility` without `"app"` says no). Default true. */
  forApps: boolean;
}

const NO_UI: ToolUi = { appOnly: false, forApps: true };
const cache = new WeakMap<ToolInfo, ToolUi>();

/** The tool's `_meta.ui` (computed once per listed tool). */
export function toolUi(tool: ToolInfo): ToolUi {
  let ui = cache.get(tool);
  if (ui) return ui;
  const meta = tool.definition?._meta;
  const raw = meta && typeof meta === 'object' ? (meta as Record<string, unknown>).ui : undefined;
  if (!raw || typeof raw !== 'object') ui = NO_UI;
  else {
    const { resourceUri, visibility } = raw as Record<string, unknown>;
    ui = {
      ...(typeof resourceUri === 'string' && resourceUri.startsWith('ui://') ? { resourceUri } : {}),
      appOnly: Array.isArray(visibility) && visibility.length > 0 && !visibility.includes('model'),
      forApps: !(Array.isArray(visibility) && visibility.length > 0 && !visibility.includes('app')),
    };
  }
  cache.set(tool, ui);
  return ui;
}

/** The tools a model may see: without those only an app may call. The same array when none is app-only. */
export function modelVisible(tools: ToolInfo[]): ToolInfo[] {
  return tools.some((tool) => toolUi(tool).appOnly) ? tools.filter((tool) => !toolUi(tool).appOnly) : tools;
}
