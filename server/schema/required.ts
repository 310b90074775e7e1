/** The `required` keyword of an object schema. */
import { own, type JsonObject } from './json.js';

/** The names listed in a schema's `required` (entries that are not strings ignored); empty when it has none. */
export function requiredNames(schema: JsonObject): Set<string> {
  const required = own(schema, 'required');
  return new Set(Array.isArray(required) ? required.filter((name): name is string => typeof name === 'string') : []);
}
