/**
 * One item of a resource read sent as its bytes, for every route that does it (the API's
 * `GET /api/servers/{server}/resource?raw=1`, the orchestrator's `/ui/servers/{name}/resource/raw`):
 * text as UTF-8, a base64 blob decoded, with the item's MIME type when it is a valid one.
 *
 * What a server sends is untrusted, so the answer is never sniffed (`nosniff`), is a document of
 * its own in an opaque origin that may run and load nothing (`Content-Security-Policy: sandbox;
 * default-src 'none'`), sends no referrer, is not cached, and is a download (`attachment`) unless
 * it is a raster image or plain text: an HTML or SVG resource is a download too.
 */
import type { ServerResponse } from 'node:http';
import type { ResourceContents } from '../upstream/types.js';

/** The Content-Security-Policy of a resource's bytes. */
export const RESOURCE_BYTES_CSP = "sandbox; default-src 'none'";

/** Raster images and plain text show inline; everything else (HTML, SVG, PDF, …) is a download. */
const INLINE = /^(image\/(png|jpeg|gif|webp|avif|bmp)|text\/plain)(;|$)/i;

/** A MIME type safe to put in a header (`type/subtype`, parameters allowed), else `fallback`. */
function safeMimeType(mimeType: unknown, fallback: string): string {
  const type = typeof mimeType === 'string' ? mimeType.trim() : '';
  return type &&
    /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"\r\n]*"|[A-Za-z0-9!#$&^_.+-]+))*$/.test(type)
    ? type
    : fallback;
}

/** The file name of a download: the URI's last path segment, decoded, reduced to safe characters. */
function fileName(uri: string): string {
  const last = uri.split(/[?#]/)[0]!.split('/').filter(Boolean).pop() ?? '';
  let decoded = last;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    // keep it encoded
  }
  return (
    decoded
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^\.+/, '')
      .slice(0, 100) || 'resource'
  );
}

/** Sends `item`'s bytes with status 200 under the headers above; `uri` names the download when the item has none. */
export function sendResourceBytes(res: ServerResponse, item: ResourceContents, uri = ''): void {
  const isText = typeof item.text === 'string';
  const body = isText ? Buffer.from(item.text!, 'utf8') : Buffer.from(typeof item.blob === 'string' ? item.blob : '', 'base64');
  let type = safeMimeType(item.mimeType, isText ? 'text/plain' : 'application/octet-stream');
  // Text is sent as UTF-8, whatever charset the server named.
  if (isText) type = `${type.split(';')[0]!.trim()}; charset=utf-8`;
  const name = fileName(typeof item.uri === 'string' && item.uri ? item.uri : uri);
  res.statusCode = 200;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', body.length);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', RESOURCE_BYTES_CSP);
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Disposition', `${INLINE.test(type) ? 'inline' : 'attachment'}; filename="${name}"`);
  res.end(body);
}
