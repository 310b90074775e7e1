/**
 * What the mcpo-compatible surface returns for a tool result, as mcpo does (so Open WebUI sees
 * the same): `structuredContent` when present, unless `content` holds an image or audio item;
 * otherwise each content item unwrapped — text parsed as JSON when it parses, images and audio
 * as data URLs, embedded resources as their text or blob — one item bare, several as an array,
 * none as `[]`. Open WebUI shows the model an image only when the whole answer is one bare
 * `data:image/…` string; the same image as base64 inside structured JSON reaches it as text.
 *
 * A `resource_link` names a resource by the server's own URI, which a REST caller cannot open: on
 * both REST surfaces it gets a `gatewayUrl`, the gateway's path that reads it raw
 * (`{basePath}/api/servers/{server}/resource?uri=…&raw=1`), next to its `uri` (kept: it is what
 * `read_resource` and `/mcp` take).
 */
import type { ContentItem, ToolCallResult } from '../upstream/types.js';

/** Where the links of a result point: the server it came from, and the gateway's path prefix ('' for none). */
export interface LinkBase {
  server: string;
  prefix: string;
}

/** The gateway's path that reads `uri` of `server` raw (GET /api/servers/{server}/resource). */
export function resourceUrl(base: LinkBase, uri: string): string {
  return `${base.prefix}/api/servers/${encodeURIComponent(base.server)}/resource?uri=${encodeURIComponent(uri)}&raw=1`;
}

export function unwrapResult(result: ToolCallResult, links?: LinkBase): unknown {
  if (result.structuredContent !== undefined && !result.content.some(isMedia)) return result.structuredContent;
  const items = result.content.map((item) => unwrapItem(item, links));
  if (items.length === 0) return [];
  return items.length === 1 ? items[0] : items;
}

/** The result with a `gatewayUrl` on each `resource_link`; the same object when it has none. */
export function withResourceUrls(result: ToolCallResult, links: LinkBase): ToolCallResult {
  if (!result.content.some(isLink)) return result;
  return { ...result, content: result.content.map((item) => (isLink(item) ? linkWithUrl(item, links) : item)) };
}

function isLink(item: ContentItem): boolean {
  return item.type === 'resource_link' && typeof item.uri === 'string';
}

function linkWithUrl(item: ContentItem, links: LinkBase): ContentItem {
  return { ...item, gatewayUrl: resourceUrl(links, item.uri as string) };
}

function unwrapItem(item: ContentItem, links: LinkBase | undefined): unknown {
  switch (item.type) {
    case 'text':
      return parseJsonText(String(item.text ?? ''));
    case 'image':
    case 'audio':
      return `data:${String(item.mimeType ?? 'application/octet-stream')};base64,${String(item.data ?? '')}`;
    case 'resource': {
      const resource = (item.resource ?? {}) as { text?: string; blob?: string; mimeType?: string };
      if (typeof resource.text === 'string') return resource.text;
      return `data:${resource.mimeType ?? 'application/octet-stream'};base64,${resource.blob ?? ''}`;
    }
    case 'resource_link': {
      const { type: _type, ...link } = links && isLink(item) ? linkWithUrl(item, links) : item;
      return link;
    }
    default:
      return item;
  }
}

function isMedia(item: ContentItem): boolean {
  return item.type === 'image' || item.type === 'audio';
}

/** Characters a JSON text can start with (after whitespace): plain prose skips a failing, costly parse. */
const JSON_START = /^\s*[[{"\d\-tfn]/;

function parseJsonText(text: string): unknown {
  if (!JSON_START.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The readable text of an error result, for the problem's `detail`. */
export function errorText(result: ToolCallResult): string {
  const texts = result.content.filter((item) => item.type === 'text').map((item) => String(item.text ?? ''));
  return texts.join('\n').trim() || 'the tool reported an error';
}
