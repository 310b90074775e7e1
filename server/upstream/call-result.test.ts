import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { CALL_RESULT_SCHEMA, checkOutputSchema, type OutputValidator } from './call-result.js';
import { classifyCallError } from './call-errors.js';

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

describe('checkOutputSchema (the SDK client’s check, for calls that go past it)', () => {
  const needsTotal: OutputValidator = (input) =>
    typeof (input as { total?: unknown }).total === 'number' ? { valid: true } : { valid: false, errorMessage: 'total must be a number' };
  const sorted = (check: () => void) => {
    try {
      check();
    } catch (error) {
      return classifyCallError(error, undefined, undefined);
    }
    return undefined;
  };

  it('passes a fitting result, an error result without content, and any result of a tool without outputSchema', () => {
    expect(() => checkOutputSchema('t', { content: [], structuredContent: { total: 1 } }, needsTotal)).not.toThrow();
    expect(() => checkOutputSchema('t', { content: [], isError: true }, needsTotal)).not.toThrow();
    expect(() => checkOutputSchema('t', { content: [] }, undefined)).not.toThrow();
  });

  it('fails a missing or unfitting structuredContent, or a validator that throws, as the server’s fault', () => {
    expect(sorted(() => checkOutputSchema('t', { content: [] }, needsTotal))).toMatchObject({
      kind: 'server-error',
      message: 'Tool t has an output schema but did not return structured content (JSON-RPC error -32600)',
    });
    expect(sorted(() => checkOutputSchema('t', { content: [], structuredContent: { total: 'x' } }, needsTotal))).toMatchObject({
      kind: 'protocol',
      message:
        "the server's result does not match the tool's own outputSchema (Structured content does not match the tool's output schema: total must be a number)",
    });
    const broken: OutputValidator = () => {
      throw new Error('no such $ref');
    };
    expect(sorted(() => checkOutputSchema('t', { content: [], structuredContent: {} }, broken))).toMatchObject({
      kind: 'protocol',
      message: "the server's result does not match the tool's own outputSchema (Failed to validate structured content: no such $ref)",
    });
  });
});
