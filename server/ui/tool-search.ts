/**
 * The tools page's search: every word of the query must appear in the tool's server, name,
 * title or description (case-insensitive), optionally on one server only; results stay in
 * server order and are cut into pages, so 5,000 tools never make one huge page.
 */
import type { ToolInfo } from '../upstream/types.js';

export interface ToolEntry {
  server: string;
  tool: ToolInfo;
}

export interface ToolQuery {
  /** Free text; words separated by spaces. */
  q?: string;
  server?: string;
  /** 1-based. */
  page?: number;
  pageSize: number;
}

export interface ToolGroup {
  server: string;
  tools: ToolInfo[];
}

export interface ToolPage {
  groups: ToolGroup[];
  /** Tools matching the query, on every page. */
  total: number;
  page: number;
  pages: number;
  /** 1-based positions of the first and last tool shown (0 when none). */
  from: number;
  to: number;
}

/** The lowercased text a tool is searched in, computed once per tool list. */
const haystacks = new WeakMap<ToolInfo, string>();

function haystack(server: string, tool: ToolInfo): string {
  let text = haystacks.get(tool);
  if (text === undefined) {
    text = `${server}\n${tool.name}\n${tool.title ?? ''}\n${tool.description ?? ''}`.toLowerCase();
    haystacks.set(tool, text);
  }
  return text;
}

export function searchTools(entries: readonly ToolEntry[], query: ToolQuery): ToolPage {
  const words = (query.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const matches = entries.filter(
    (entry) => (!query.server || entry.server === query.server) && words.every((word) => haystack(entry.server, entry.tool).includes(word)),
  );
  const pageSize = Math.max(1, query.pageSize);
  const pages = Math.max(1, Math.ceil(matches.length / pageSize));
  const page = Math.min(pages, Math.max(1, Math.floor(query.page ?? 1)));
  const shown = matches.slice((page - 1) * pageSize, page * pageSize);
  const groups: ToolGroup[] = [];
  for (const entry of shown) {
    const last = groups[groups.length - 1];
    if (last && last.server === entry.server) last.tools.push(entry.tool);
    else groups.push({ server: entry.server, tools: [entry.tool] });
  }
  const from = shown.length === 0 ? 0 : (page - 1) * pageSize + 1;
  return { groups, total: matches.length, page, pages, from, to: from === 0 ? 0 : from + shown.length - 1 };
}
