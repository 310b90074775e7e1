/**
 * A tool's input schema as a readable tree for the tool page: one node per property or array
 * item, with its type, whether it is required, its description and its constraints. The schema
 * is untrusted: every value is checked before use, and the tree is cut at a depth and a size.
 */
import { NodeBudget } from '../schema/budget.js';
import { isPlainObject, valueText, type JsonObject } from '../schema/json.js';
import { requiredNames } from '../schema/required.js';
import { typeNames } from '../schema/types.js';

export interface SchemaNode {
  /** Property name, `[item]` for array items, or '' for the root. */
  name: string;
  /** e.g. `string`, `integer`, `array`, `string | null`, `one of 3 shapes`. */
  type: string;
  required: boolean;
  description: string;
  /** e.g. `minimum: 1`, `one of: "a", "b"`, `default: 3`, `format: uri`. */
  constraints: string[];
  children: SchemaNode[];
}

const MAX_DEPTH = 8;
const MAX_NODES = 500;
/** Constraint keywords shown as `keyword: value`. */
const SHOWN = [
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'const',
  'default',
  'contentMediaType',
] as const;

function short(value: unknown): string {
  const text = valueText(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function typeOf(schema: JsonObject): string {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return typeNames(schema).join(' | ') || 'any';
  for (const key of ['oneOf', 'anyOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches)) return `${key === 'oneOf' ? 'one' : 'any'} of ${branches.length} shapes`;
  }
  if (Array.isArray(schema.allOf)) return `all of ${schema.allOf.length} shapes`;
  if (isPlainObject(schema.properties)) return 'object';
  if (Array.isArray(schema.enum)) return 'enum';
  return 'any';
}

export function schemaTree(schema: unknown): SchemaNode {
  const budget = new NodeBudget(MAX_NODES);
  const build = (name: string, node: unknown, required: boolean, depth: number): SchemaNode => {
    const s = isPlainObject(node) ? node : {};
    const constraints: string[] = [];
    if (Array.isArray(s.enum))
      constraints.push(`one of: ${s.enum.slice(0, 20).map(short).join(', ')}${s.enum.length > 20 ? ` … (${s.enum.length})` : ''}`);
    for (const key of SHOWN) if (s[key] !== undefined) constraints.push(`${key}: ${short(s[key])}`);
    if (s.additionalProperties === false) constraints.push('no other properties');
    const children: SchemaNode[] = [];
    if (depth < MAX_DEPTH) {
      const required = requiredNames(s);
      if (isPlainObject(s.properties)) {
        for (const [key, value] of Object.entries(s.properties)) {
          if (!budget.take()) break;
          children.push(build(key, value, required.has(key), depth + 1));
        }
      }
      if (isPlainObject(s.items) && budget.take()) children.push(build('[item]', s.items, false, depth + 1));
      for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
        const branches = s[key];
        if (!Array.isArray(branches)) continue;
        branches.forEach((branch, index) => {
          if (budget.take()) children.push(build(`(${key === 'allOf' ? 'part' : 'shape'} ${index + 1})`, branch, false, depth + 1));
        });
      }
    } else if (isPlainObject(s.properties) || isPlainObject(s.items)) {
      constraints.push('… (nested deeper than shown)');
    }
    return {
      name,
      type: typeOf(s),
      required,
      description: typeof s.description === 'string' ? s.description : typeof s.title === 'string' ? s.title : '',
      constraints,
      children,
    };
  };
  budget.take(); // the root
  return build('', schema, true, 0);
}
