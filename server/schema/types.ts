/**
 * The JSON Schema `type` keyword and the types of JSON values: reading the names a schema
 * declares, and the small algebra of type lists ("integer" is a part of "number").
 */
import { isPlainObject, isStringList, own, type JsonObject } from './json.js';

/** The string names in a schema's `type` (a name, or the names in a list); [] when it has none. */
export function typeNames(schema: JsonObject): string[] {
  const type = own(schema, 'type');
  if (typeof type === 'string') return [type];
  return Array.isArray(type) ? type.filter((name): name is string => typeof name === 'string') : [];
}

/** The names in a node's `type` when it is a name or a non-empty list of names only; undefined otherwise. */
export function declaredTypes(schema: JsonObject): string[] | undefined {
  const type = own(schema, 'type');
  if (typeof type === 'string') return [type];
  return isStringList(type) && type.length > 0 ? [...type] : undefined;
}

/** The JSON Schema type of a JSON value (whole numbers are integers). */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** Whether a JSON value is of a JSON Schema `type` (an unknown type name allows any value). */
export function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'string':
      return typeof value === 'string';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
    default:
      return true;
  }
}

/** Types without repeats, in first-seen order; "integer" goes where "number" is (it is a part of it). */
export function unionOfTypes(types: string[]): string[] {
  const unique = [...new Set(types)];
  return unique.includes('number') ? unique.filter((type) => type !== 'integer') : unique;
}

/** The types both lists allow ("integer" is allowed by "number"). */
export function intersectTypes(a: string[], b: string[]): string[] {
  const fits = (type: string, list: string[]) => list.includes(type) || (type === 'integer' && list.includes('number'));
  return unionOfTypes([...a, ...b].filter((type) => fits(type, a) && fits(type, b)));
}

/** A type list as the value of `type`: one name alone, several as a list. */
export function typeValue(types: string[]): string | string[] {
  return types.length === 1 ? types[0]! : types;
}
