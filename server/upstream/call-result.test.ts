import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { CALL_RESULT_SCHEMA } from './call-result.js';

/** Results as a server may send them (JSON), good and bad. */
const RESULTS: unknown[] = [
  {},
  { content: [] },
  { content: [{ type: 'text', text: 'hello' }] },
  { content: [{ text: 'key order', type: 'text' }] },
  {
    content: [
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
    ],
    isError: true,
  },
  { content: [{ type: 'text', text: 'extra keys are dropped', extra: 1 }], other: 'kept' },
  { content: [{ type: 'text', text: 'x', annotations: { priority: 0.5 } }] },
  { content: [{ type: 'text', text: 'x', annotations: { priority: 7 } }] },
  { content: [{ type: 'text', text: 'x', _meta: { a: 1 } }] },
  { content: [{ type: 'text', text: 'x', _meta: 'bad' }] },
  { content: [{ type: 'image', data: 'aGk=', mimeType: 'image/png' }] },
  { content: [{ type: 'image', data: 'not base64!', mimeType: 'image/png' }] },
  { content: [{ type: 'text' }] },
  { content: [{ type: 'text', text: 3 }] },
  { content: [null] },
  { content: ['text'] },
  { content: [{ type: 'video', text: 'x' }] },
  { content: null },
  { content: {} },
  { content: [], structuredContent: { a: 1, b: [2] } },
  { content: [], structuredContent: JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}') as unknown },
  { content: [], structuredContent: [1, 2] },
  { content: [], structuredContent: null },
  { content: [], structuredContent: 'text' },
  { content: [], isError: 'yes' },
  { content: [], isError: null },
  { content: [], _meta: { progressToken: 1 } },
  { content: [], _meta: 'bad' },
  null,
  [],
  'text',
];

describe('CALL_RESULT_SCHEMA', () => {
  it("gives what the SDK's CallToolResultSchema gives, and fails where it fails with its error", () => {
    for (const data of RESULTS) {
      const ours = CALL_RESULT_SCHEMA.safeParse(structuredClone(data));
      const sdk = CallToolResultSchema.safeParse(structuredClone(data));
      expect(ours.success, JSON.stringify(data)).toBe(sdk.success);
      if (sdk.success) {
        // What the gateway reads of a result, serialized as it will be.
        const read = (r: typeof sdk.data) => JSON.stringify([r.content, r.structuredContent, r.isError]);
        expect(read(ours.data!), JSON.stringify(data)).toBe(read(sdk.data));
      } else {
        expect(ours.error!.message, JSON.stringify(data)).toBe(sdk.error.message);
      }
    }
  });
});
