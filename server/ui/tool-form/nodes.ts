/**
 * The nodes of a tool form: what both building and decoding know about each field of the schema,
 * one node per schema position (every row of an array shares its item's node).
 */
import type { FieldBase, NumberField, SelectOption, TextField } from './fields.js';

/** What both building and decoding know about one field of the schema (one per schema position, rows share it). */
export interface NodeBase {
  name: string;
  key?: string;
  label: string;
  description?: string;
  /** Shown as required: `schemaRequired` and not nullable. */
  required: boolean;
  /** Listed in the parent's `required`, or an array item. */
  schemaRequired: boolean;
  nullable: boolean;
  /** An array item (always present once its row is). */
  isItem: boolean;
  hints: string[];
  /** The schema `default` (read, never changed); undefined when none. */
  fallback: unknown;
}

export type TextNode = NodeBase & Omit<TextField, keyof FieldBase | 'value'> & { kind: 'text' };
export type NumberNode = NodeBase & Omit<NumberField, keyof FieldBase | 'value'> & { kind: 'number' };
export interface BooleanNode extends NodeBase {
  kind: 'boolean';
}
export interface SelectNode extends NodeBase {
  kind: 'select';
  options: SelectOption[];
  /** The option values, for lookups. */
  texts: Set<string>;
}
export interface ObjectNode extends NodeBase {
  kind: 'object';
  props: { key: string; node: Node }[];
  byKey: Map<string, Node>;
}
export interface ArrayNode extends NodeBase {
  kind: 'array';
  rowStart: string;
  itemNode: Node;
  minItems?: number;
  maxItems?: number;
}
export interface JsonNode extends NodeBase {
  kind: 'json';
  reason: string;
}
export type Node = TextNode | NumberNode | BooleanNode | SelectNode | ObjectNode | ArrayNode | JsonNode;
export type LeafNode = TextNode | NumberNode | BooleanNode | SelectNode | JsonNode;

export function isLeaf(node: Node): node is LeafNode {
  return node.kind !== 'object' && node.kind !== 'array';
}
