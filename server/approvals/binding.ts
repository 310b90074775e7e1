/**
 * The `binding` of an approval: what a person's decision applies to. It is a hex HMAC-SHA256,
 * keyed with the gateway's secret (its `approval-binding` key), of the approval's id, the server,
 * the tool, the canonical arguments and the hash of the tool's definition (book.ts says why it is
 * keyed and why it covers the id). A decider sends back the binding it saw; a tool whose
 * definition hash changed since the call asked voids the approval.
 */
import { createHash, createHmac } from 'node:crypto';
import type { ToolInfo } from '../upstream/types.js';

/** JSON with object keys sorted, so that equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The hash of what a tool is: the parts a person's decision depends on. */
export function toolDefinitionHash(tool: ToolInfo): string {
  const { name, title, description, inputSchema, outputSchema, annotations } = tool;
  return sha256(canonicalJson({ name, title, description, inputSchema, outputSchema, annotations }));
}

/** Hex HMAC-SHA256, keyed with `key`, of the approval's id, server, tool, the canonical arguments and the tool's definition hash. */
export function bindingOf(key: Buffer, id: string, server: string, tool: string, args: unknown, toolHash: string): string {
  return createHmac('sha256', key)
    .update(canonicalJson({ id, server, tool, arguments: args, toolHash }), 'utf8')
    .digest('hex');
}
