/**
 * The names tools get on an aggregate MCP endpoint (`/mcp` and groups), where tools of several
 * servers meet: `{server}__{tool}`. Two underscores, because server names are letters, digits,
 * `_` and `-` (config/schema.ts) and most tool names are too, and clients such as OpenAI-compatible
 * models accept only `[A-Za-z0-9_-]{1,64}` as a function name.
 *
 * A name that would break that rule — too long, other characters, or the same as another tool's
 * name — is shortened instead: its legal characters, cut, then `_` and eight hex digits of the
 * SHA-256 of `server/tool`. Such a name depends on the server and tool names alone, so it stays
 * the same from one listing to the next. The endpoint keeps the map from names back to tools, and
 * every tool carries its origin in `_meta` (`ORIGIN_META_KEY`), so nothing is lost by shortening.
 */
import { createHash } from 'node:crypto';

export const NAME_SEPARATOR = '__';

/** What clients accept as a tool name (OpenAI's function names): the names we make keep to it. */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Where each tool says which server and tool it stands for. */
export const ORIGIN_META_KEY = 'mcp-gateway/origin';

/** An item's `_meta` as listed, with the origin of a renamed item (tool, prompt, resource) added under `ORIGIN_META_KEY`. */
export function originMeta(listed: Record<string, unknown>, origin: Record<string, string>): Record<string, unknown> {
  const meta = listed._meta && typeof listed._meta === 'object' ? (listed._meta as Record<string, unknown>) : {};
  return { ...meta, [ORIGIN_META_KEY]: origin };
}

export interface ToolRef {
  server: string;
  tool: string;
}

const MAX_LENGTH = 64;
const HASH_LENGTH = 8;

function hashOf(ref: ToolRef): string {
  return createHash('sha256').update(`${ref.server}/${ref.tool}`).digest('hex').slice(0, HASH_LENGTH);
}

/** The shortened name of a tool: stable, legal, at most 64 characters. */
export function shortName(ref: ToolRef): string {
  const legal = `${ref.server}${NAME_SEPARATOR}${ref.tool}`.replace(/[^A-Za-z0-9_-]+/g, '_');
  return `${legal.slice(0, MAX_LENGTH - HASH_LENGTH - 1)}_${hashOf(ref)}`;
}

/**
 * Names for tools of several servers, in the order given: unique and legal. A plain name shared
 * by two tools (e.g. server `a__b` tool `c` and server `a` tool `b__c`) goes to neither: both get
 * their short name.
 */
export function aggregateNames(refs: readonly ToolRef[]): string[] {
  const plain = refs.map((ref) => `${ref.server}${NAME_SEPARATOR}${ref.tool}`);
  const counts = new Map<string, number>();
  for (const name of plain) counts.set(name, (counts.get(name) ?? 0) + 1);
  return refs.map((ref, index) => {
    const name = plain[index]!;
    return TOOL_NAME_PATTERN.test(name) && counts.get(name) === 1 ? name : shortName(ref);
  });
}
