import { describe, expect, it } from 'vitest';
import type { ToolCallResult } from '../upstream/types.js';
import { unwrapResult } from './result-mapping.js';

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
