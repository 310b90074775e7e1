/**
 * The forms in which a schema allows `null`: OpenAPI 3.0's `nullable: true`, and branches of
 * `anyOf`/`oneOf` that allow only null (a `type` list with "null" is read through `typeNames`).
 */
import { isPlainObject, own, type JsonObject } from './json.js';

/** OpenAPI 3.0 `nullable: true` on this node. */
export function isMarkedNullable(schema: JsonObject): boolean {
  return own(schema, 'nullable') === true;
}

/** A branch that allows only null: `{type: "null"}`, `{type: ["null"]}`, `{const: null}` or `{enum: [null]}`. */
export function isNullSchema(branch: unknown): boolean {
  if (!isPlainObject(branch)) return false;
  const type = own(branch, 'type');
  if (type === 'null' || (Array.isArray(type) && type.length === 1 && type[0] === 'null')) return true;
  if (Object.hasOwn(branch, 'const') && own(branch, 'const') === null) return true;
  const values = own(branch, 'enum');
  return Array.isArray(values) && values.length === 1 && values[0] === null;
}
