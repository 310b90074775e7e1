import { describe, expect, it } from 'vitest';
import type { ToolCallResult } from '../upstream/types.js';
import { unwrapResult, withResourceUrls } from './result-mapping.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const image = { type: 'image', data: PNG, mimeType: 'image/png' };
const audio = { type: 'audio', data: 'UklGRg==', mimeType: 'audio/wav' };

function result(content: ToolCallResult['content'], structuredContent?: Record<string, unknown>): ToolCallResult {
  return { content, isError: false, ...(structuredContent ? { structuredContent } : {}) };
}

describe('unwrapResult (the mcpo surface)', () => {
  it('answers structuredContent when the content holds no image or audio', () => {
    expect(unwrapResult(result([{ type: 'text', text: 'total 2' }], { total: 2 }))).toEqual({ total: 2 });
  });

  it('answers one image alone as its bare data: URL, even beside structuredContent, so Open WebUI shows it to the model', () => {
    // As server-filesystem's read_media_file answers: the same image in structuredContent, as base64 inside JSON.
    expect(unwrapResult(result([image], { content: [image] }))).toBe(`data:image/png;base64,${PNG}`);
  });

  it('answers audio, and media beside text, from content as well', () => {
    expect(unwrapResult(result([audio], { content: [audio] }))).toBe('data:audio/wav;base64,UklGRg==');
    expect(unwrapResult(result([{ type: 'text', text: 'a chart' }, image], { chart: PNG }))).toEqual([
      'a chart',
      `data:image/png;base64,${PNG}`,
    ]);
  });

  it('unwraps content without structuredContent as before', () => {
    expect(unwrapResult(result([image]))).toBe(`data:image/png;base64,${PNG}`);
    expect(unwrapResult(result([{ type: 'text', text: '{"a":1}' }]))).toEqual({ a: 1 });
    expect(unwrapResult(result([]))).toEqual([]);
  });
});

describe('resource links on the REST surfaces', () => {
  const link = { type: 'resource_link', uri: 'file:///srv/a b.png', name: 'a b', mimeType: 'image/png' };
  const base = { server: 'my server', prefix: '/gw' };
  const url = '/gw/api/servers/my%20server/resource?uri=file%3A%2F%2F%2Fsrv%2Fa%20b.png&raw=1';

  it('gives a resource_link a gatewayUrl that reads it under the base path, keeping its uri (mcpo surface)', () => {
    expect(unwrapResult(result([link]), base)).toEqual({ uri: link.uri, name: 'a b', mimeType: 'image/png', gatewayUrl: url });
  });

  it('adds the gatewayUrl to the full result, and leaves a result without links as it was (management surface)', () => {
    const plain = result([{ type: 'text', text: 'x' }]);
    expect(withResourceUrls(plain, base)).toBe(plain);
    expect(withResourceUrls(result([{ type: 'text', text: 'x' }, link]), base).content[1]).toEqual({ ...link, gatewayUrl: url });
  });
});
