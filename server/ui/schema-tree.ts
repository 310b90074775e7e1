/**
 * A tool's input schema as a readable tree for the tool page: one node per property or array
 * item, with its type, whether it is required, its description and its constraints. The schema
 * is untrusted: every value is checked before use, and the tree is cut at a depth and a size.
 */

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
  'format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength',
  'pattern', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'const', 'default', 'contentMediaType',
] as const;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function short(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function typeOf(schema: Json): string {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.filter((t) => typeof t === 'string').join(' | ') || 'any';
  for (const key of ['oneOf', 'anyOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches)) return `${key === 'oneOf' ? 'one' : 'any'} of ${branches.length} shapes`;
  }
  if (Array.isArray(schema.allOf)) return `all of ${schema.allOf.length} shapes`;
  if (isObject(schema.properties)) return 'object';
  if (Array.isArray(schema.enum)) return 'enum';
  return 'any';
}

export function schemaTree(schema: unknown): SchemaNode {
  let budget = MAX_NODES;
  const build = (name: string, node: unknown, required: boolean, depth: number): SchemaNode => {
    budget--;
    const s = isObject(node) ? node : {};
    const constraints: string[] = [];
    if (Array.isArray(s.enum)) constraints.push(`one of: ${s.enum.slice(0, 20).map(short).join(', ')}${s.enum.length > 20 ? ` … (${s.enum.length})` : ''}`);
    for (const key of SHOWN) if (s[key] !== undefined) constraints.push(`${key}: ${short(s[key])}`);
    if (s.additionalProperties === false) constraints.push('no other properties');
    const children: SchemaNode[] = [];
    if (depth < MAX_DEPTH) {
      const requiredNames = new Set(Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === 'string') : []);
      if (isObject(s.properties)) {
        for (const [key, value] of Object.entries(s.properties)) {
          if (budget <= 0) break;
          children.push(build(key, value, requiredNames.has(key), depth + 1));
        }
      }
      if (isObject(s.items) && budget > 0) children.push(build('[item]', s.items, false, depth + 1));
      for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
        const branches = s[key];
        if (!Array.isArray(branches)) continue;
        branches.forEach((branch, index) => {
          if (budget > 0) children.push(build(`(${key === 'allOf' ? 'part' : 'shape'} ${index + 1})`, branch, false, depth + 1));
        });
      }
    } else if (isObject(s.properties) || isObject(s.items)) {
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
  return build('', schema, true, 0);
}
