/**
 * The check of a `tools/call` result, as the SDK client's result schema: a cheap path for the
 * common result (text items only, no `_meta` or annotations) that gives exactly what the SDK's
 * `CallToolResultSchema` would, and that schema itself for everything else, so a bad result fails
 * with the same error as before. Zod's parse of the whole result cost about a tenth of a call's
 * CPU in the gateway (see the README's performance section).
 */
import { CallToolResultSchema, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

export type CallToolResult = ReturnType<typeof CallToolResultSchema.parse>;
type ParseResult = ReturnType<typeof CallToolResultSchema.safeParse>;

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The parts of the result the gateway reads, when the result is one the fast path can vouch for;
 * undefined otherwise. Text items are rebuilt as `{type, text}`, as zod's parse rebuilds them (in
 * the schema's key order, unknown keys dropped); `structuredContent` is passed on as it is, which
 * is what zod's record gives for a JSON object (unless it has an own `__proto__` key).
 */
function fastParse(data: unknown): CallToolResult | undefined {
  if (!isRecord(data) || data._meta !== undefined) return undefined;
  const { content, structuredContent, isError } = data;
  if (isError !== undefined && typeof isError !== 'boolean') return undefined;
  if (structuredContent !== undefined && (!isRecord(structuredContent) || Object.hasOwn(structuredContent, '__proto__'))) return undefined;
  let items: CallToolResult['content'] = [];
  if (content !== undefined) {
    if (!Array.isArray(content)) return undefined;
    items = new Array(content.length);
    for (let i = 0; i < content.length; i++) {
      const item: unknown = content[i];
      if (!isRecord(item) || item.type !== 'text' || typeof item.text !== 'string') return undefined;
      if (item.annotations !== undefined || item._meta !== undefined) return undefined;
      items[i] = { type: 'text', text: item.text };
    }
  }
  const result: CallToolResult = { content: items };
  if (structuredContent !== undefined) result.structuredContent = structuredContent;
  if (isError !== undefined) result.isError = isError;
  return result;
}

/**
 * A result schema for `Client.callTool` (the SDK takes any schema with `safeParse`, the shape of
 * a zod 3 schema): the fast path, else `CallToolResultSchema`'s own parse and error.
 */
export const CALL_RESULT_SCHEMA = {
  safeParse(data: unknown): ParseResult {
    const result = fastParse(data);
    return result ? ({ success: true, data: result } as ParseResult) : CallToolResultSchema.safeParse(data);
  },
} as unknown as typeof CallToolResultSchema;

/** A compiled outputSchema check, as the SDK client keeps one per listed tool. */
export type OutputValidator = (input: unknown) => { valid: boolean; errorMessage?: string };

/**
 * The SDK client's check of a result against the tool's `outputSchema` (as `Client.callTool`
 * does it, with its errors, which `classifyCallError` knows): a tool with an outputSchema must
 * return `structuredContent` unless the result is an error, and that content must fit.
 */
export function checkOutputSchema(name: string, result: CallToolResult, validator: OutputValidator | undefined): void {
  if (!validator) return;
  if (!result.structuredContent && !result.isError) {
    throw new McpError(ErrorCode.InvalidRequest, `Tool ${name} has an output schema but did not return structured content`);
  }
  if (!result.structuredContent) return;
  let validation: ReturnType<OutputValidator>;
  try {
    validation = validator(result.structuredContent);
  } catch (error) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `Failed to validate structured content: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!validation.valid) {
    throw new McpError(ErrorCode.InvalidParams, `Structured content does not match the tool's output schema: ${validation.errorMessage}`);
  }
}
