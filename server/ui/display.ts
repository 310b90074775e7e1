/**
 * How the UI shows things: times, ages and durations in words, a tool result as display blocks, and a
 * call as a curl command. Pure functions; the templates escape whatever they return.
 */
import type { ContentItem, ToolCallResult, UpstreamTaskStatus } from '../upstream/types.js';

/** "12 s", "5 min", "3 h 20 min", "2 d 4 h". */
export function ageText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/**
 * A point in time as every page shows it: `2024-05-01 14:05:10 UTC` (from epoch ms or ISO text).
 * Templates put it in `<time datetime="…">` with the ISO text.
 */
export function timeText(at: number | string): string {
  const iso = typeof at === 'number' ? new Date(at).toISOString() : at;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** The status of the task a call runs as upstream: "working — Gathering sources...", "input_required"; '' for none. */
export function taskText(task: UpstreamTaskStatus | undefined): string {
  if (!task) return '';
  return task.statusMessage ? `${task.status} — ${task.statusMessage}` : task.status;
}

/** "0.4 ms", "120 ms", "2.5 s". */
export function durationText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 10) return `${Math.round(ms * 10) / 10} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Math.round(ms / 100) / 10} s`;
}

/** "1.2 KB", "3.4 MB". */
export function sizeText(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${Math.round(bytes / 100) / 10} KB`;
  return `${Math.round(bytes / 100_000) / 10} MB`;
}

/** One block of a result as the UI shows it. */
export type ResultBlock =
  | { kind: 'text'; text: string }
  | { kind: 'json'; text: string }
  | { kind: 'image'; src: string; alt: string }
  | { kind: 'audio'; src: string }
  | { kind: 'link'; uri: string; label: string }
  | { kind: 'other'; text: string };

/** Media types shown inline as `data:` URLs; anything else is listed, not rendered. */
const IMAGE_TYPE = /^image\/(png|jpeg|gif|webp|avif|bmp)$/;
const AUDIO_TYPE = /^audio\/(wav|x-wav|mpeg|mp3|ogg|webm|aac|flac)$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Text longer than this is cut for display (the raw result stays in the API and activity log). */
const MAX_TEXT = 200_000;

/** `text`, cut to what a page shows. */
export function cutText(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}\n… (${text.length - MAX_TEXT} more characters)` : text;
}

export function prettyJson(value: unknown): string {
  return cutText(JSON.stringify(value, null, 2) ?? 'null');
}

function textBlock(text: string): ResultBlock {
  const trimmed = text.trim();
  if (/^[[{]/.test(trimmed)) {
    try {
      return { kind: 'json', text: prettyJson(JSON.parse(trimmed)) };
    } catch {
      // not JSON after all
    }
  }
  return { kind: 'text', text: cutText(text) };
}

function itemBlock(item: ContentItem): ResultBlock {
  const mimeType = typeof item.mimeType === 'string' ? item.mimeType.toLowerCase() : '';
  const data = typeof item.data === 'string' ? item.data : '';
  switch (item.type) {
    case 'text':
      return textBlock(typeof item.text === 'string' ? item.text : '');
    case 'image':
      if (IMAGE_TYPE.test(mimeType) && BASE64.test(data))
        return { kind: 'image', src: `data:${mimeType};base64,${data}`, alt: `image (${mimeType})` };
      return { kind: 'other', text: `image of type ${mimeType || 'unknown'} (${data.length} base64 characters), not shown` };
    case 'audio':
      if (AUDIO_TYPE.test(mimeType) && BASE64.test(data)) return { kind: 'audio', src: `data:${mimeType};base64,${data}` };
      return { kind: 'other', text: `audio of type ${mimeType || 'unknown'}, not played` };
    case 'resource': {
      const resource = (typeof item.resource === 'object' && item.resource !== null ? item.resource : {}) as Record<string, unknown>;
      if (typeof resource.text === 'string') return textBlock(resource.text);
      return { kind: 'other', text: `resource ${String(resource.uri ?? '')} (${String(resource.mimeType ?? 'binary')})` };
    }
    case 'resource_link':
      return { kind: 'link', uri: String(item.uri ?? ''), label: String(item.name ?? item.uri ?? 'resource') };
    default:
      return { kind: 'other', text: prettyJson(item) };
  }
}

/** The blocks of a result: its structured content when there is some, then each content item. */
export function resultBlocks(result: ToolCallResult): ResultBlock[] {
  const blocks: ResultBlock[] = [];
  if (result.structuredContent !== undefined) blocks.push({ kind: 'json', text: prettyJson(result.structuredContent) });
  for (const item of result.content) blocks.push(itemBlock(item));
  return blocks;
}

/** A POSIX shell single-quoted word. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The same call as a curl command on the management API. The key is never written out: the
 * command reads it from `$MCP_GATEWAY_KEY`.
 */
export function curlCommand(origin: string, prefix: string, server: string, tool: string, args: unknown, withKey: boolean): string {
  const url = `${origin}${prefix}/api/tools/${encodeURIComponent(server)}/${encodeURIComponent(tool)}`;
  const lines = [`curl -sS -X POST ${shellQuote(url)}`, `-H 'Content-Type: application/json'`];
  if (withKey) lines.push(`-H "Authorization: Bearer $MCP_GATEWAY_KEY"`);
  lines.push(`--data-raw ${shellQuote(JSON.stringify(args ?? {}))}`);
  return lines.join(' \\\n  ');
}
