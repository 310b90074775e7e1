/**
 * Reading plain JSON values that come from untrusted servers (tool schemas, their `default`s and
 * `enum`s): own properties only, keys such as `__proto__` kept as ordinary keys, and nothing that
 * is not JSON let through. The one copy of these helpers for every JSON Schema walker in
 * `server/` (the OpenAPI converter, the test form, the schema tree, the Python types).
 */

export type JsonObject = Record<string, unknown>;

/** Deepest nesting {@link copyJson} copies. */
const MAX_VALUE_NESTING = 64;

/** An object made by JSON (or `{}` / `Object.create(null)`): not an array, not a class instance. */
export function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** An own property only: `constructor` or `toString` of a plain object reads as undefined. */
export function own(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** Defines `key` as an ordinary own property: `__proto__` stays a key and no prototype is touched. */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `target` with every own key of `source` set on it (existing keys keep their place). */
export function assignOwn(target: JsonObject, source: JsonObject): JsonObject {
  for (const key of Object.keys(source)) setOwn(target, key, own(source, key));
  return target;
}

/** An object of these entries, each an own key (see {@link setOwn}). */
export function fromEntries(entries: [string, unknown][]): JsonObject {
  const object: JsonObject = {};
  for (const [key, value] of entries) setOwn(object, key, value);
  return object;
}

/**
 * A copy of a plain JSON value (objects get own keys, even `__proto__`), or undefined when it
 * holds anything else (functions, undefined, NaN, Infinity, class instances) or nests deeper
 * than {@link MAX_VALUE_NESTING} levels.
 */
export function copyJson(value: unknown): unknown {
  return copyAt(value, 0);
}

function copyAt(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (depth >= MAX_VALUE_NESTING) return undefined;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = copyAt(value[i], depth + 1);
      if (item === undefined) return undefined;
      copy.push(item);
    }
    return copy;
  }
  if (!isPlainObject(value)) return undefined;
  const copy: JsonObject = {};
  for (const key of Object.keys(value)) {
    const item = copyAt(own(value, key), depth + 1);
    if (item === undefined) return undefined;
    setOwn(copy, key, item);
  }
  return copy;
}

/** Compact JSON text, or undefined when the value is not JSON (or cannot be written: cyclic, a BigInt…). */
export function jsonText(value: unknown): string | undefined {
  try {
    const text = JSON.stringify(value) as string | undefined;
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}

export function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** null, a string, a boolean or a finite number. */
export function isJsonPrimitive(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || isFiniteNumber(value);
}

/** A keyword value that must be a finite number (`minimum`, `multipleOf`…), or undefined. */
export function finiteOf(value: unknown): number | undefined {
  return isFiniteNumber(value) ? value : undefined;
}

/** A keyword value that must be a non-negative integer (`minLength`, `maxItems`…), or undefined. */
export function countOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** A value as text for people: its compact JSON, or `String(value)` for what JSON cannot write (undefined, a function…). */
export function valueText(value: unknown): string {
  return jsonText(value) ?? String(value);
}
