/**
 * Checks tool arguments against the tool's `inputSchema` (JSON Schema, draft-07 or 2020-12 by
 * its `$schema`; 2020-12 when absent, as MCP says) before anything is sent upstream.
 * Validators are compiled once per schema object: a refreshed tool list brings new objects.
 *
 * A property that is `required` but has a `default` (zod's `.default()` lists it so, as
 * Playwright's MCP server does) is not an error when left out: its default is filled in and
 * sent on, so the server gets what its schema asks for. The tool documents list such a
 * property as optional (`server/openapi/tool-schema.ts`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FieldError } from '../http/problems.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;

function makeValidator<T extends Ajv | Ajv2020>(ajv: T): T {
  addFormats(ajv);
  return ajv;
}

// `strict: false`: schemas come from third parties and may use keywords ajv does not know.
// `verbose`: an error carries the schema it failed in, where a missing property's default is.
const options = { allErrors: true, strict: false, validateFormats: true, verbose: true } as const;
const draft07 = makeValidator(new Ajv(options));
const draft2020 = makeValidator(new Ajv2020(options));

/** `undefined` when a schema cannot be compiled: the server then validates on its own. */
const compiled = new WeakMap<object, ValidateFunction | undefined>();

/** Most rounds of filling defaults (each round can reveal required properties inside a filled default). */
const MAX_FILL_ROUNDS = 8;
/** Most `$ref` hops followed to find a property's default. */
const MAX_REF_HOPS = 8;

function validatorFor(schema: Record<string, unknown>): ValidateFunction | undefined {
  if (compiled.has(schema)) return compiled.get(schema);
  const { $schema, ...rest } = schema;
  const ajv = typeof $schema === 'string' && /draft-0[467]/.test($schema) ? draft07 : draft2020;
  let validate: ValidateFunction | undefined;
  try {
    validate = ajv.compile(rest);
  } catch {
    validate = undefined;
  }
  compiled.set(schema, validate);
  return validate;
}

export interface CheckedArguments {
  /** The failing fields; empty when the arguments fit the schema. */
  errors: FieldError[];
  /** The arguments to send: the given ones, with the defaults of missing required properties filled in. */
  args: Record<string, unknown>;
}

/**
 * The arguments checked against the schema. `args` is never changed: when defaults are filled
 * in, the answer holds a copy.
 */
export function checkArguments(schema: Record<string, unknown>, args: Record<string, unknown>): CheckedArguments {
  const validate = validatorFor(schema);
  if (!validate || validate(args)) return { errors: [], args };
  let filled = args;
  for (let round = 0; round < MAX_FILL_ROUNDS; round++) {
    const defaults = missingDefaults(validate.errors ?? [], schema);
    if (defaults.length === 0) break;
    if (filled === args) filled = structuredClone(args);
    for (const { path, value } of defaults) setAt(filled, path, structuredClone(value));
    if (validate(filled)) return { errors: [], args: filled };
  }
  return { errors: (validate.errors ?? []).map(fieldError), args };
}

interface MissingDefault {
  path: string[];
  value: unknown;
}

/** The `required` errors whose missing property has a default: where to put which value. */
function missingDefaults(errors: ErrorObject[], root: Record<string, unknown>): MissingDefault[] {
  const found: MissingDefault[] = [];
  for (const error of errors) {
    const missing = (error.params as { missingProperty?: unknown }).missingProperty;
    if (error.keyword !== 'required' || typeof missing !== 'string' || !isRecord(error.parentSchema)) continue;
    const properties = error.parentSchema.properties;
    if (!isRecord(properties) || !Object.hasOwn(properties, missing)) continue;
    const value = defaultOf(properties[missing], root);
    if (value !== undefined) found.push({ path: [...pathSegments(error.instancePath), missing], value });
  }
  return found;
}

/** A property schema's own `default`, or that of the schema its local `$ref` (`#/…`) points to. */
function defaultOf(schema: unknown, root: Record<string, unknown>): unknown {
  let current = schema;
  for (let hop = 0; hop <= MAX_REF_HOPS && isRecord(current); hop++) {
    if (Object.hasOwn(current, 'default')) return current.default;
    const ref = current.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#')) return undefined;
    current = pointerTarget(root, ref.slice(1));
  }
  return undefined;
}

/** RFC 6901 pointer (percent-decoded) into `root`; undefined when it leads nowhere. */
function pointerTarget(root: unknown, pointer: string): unknown {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pointer);
  } catch {
    return undefined;
  }
  if (decoded === '') return root;
  if (!decoded.startsWith('/')) return undefined;
  let value = root;
  for (const token of pathSegments(decoded)) {
    if (Array.isArray(value) && /^\d+$/.test(token)) value = value[Number(token)];
    else if (isRecord(value) && Object.hasOwn(value, token)) value = value[token];
    else return undefined;
  }
  return value;
}

/** Sets `value` at `path` inside `target` when every step on the way is an object and the place is empty. */
function setAt(target: Record<string, unknown>, path: string[], value: unknown): void {
  let place: unknown = target;
  for (const segment of path.slice(0, -1)) {
    place = Array.isArray(place) ? place[Number(segment)] : isRecord(place) && Object.hasOwn(place, segment) ? place[segment] : undefined;
  }
  const key = path[path.length - 1]!;
  if (isRecord(place) && !Object.hasOwn(place, key)) {
    Object.defineProperty(place, key, { value, enumerable: true, writable: true, configurable: true });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `/a/b~1c` → `['a', 'b/c']`. */
function pathSegments(pointer: string): string[] {
  return pointer.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function fieldError(error: ErrorObject): FieldError {
  const segments = pathSegments(error.instancePath);
  const params = error.params as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] };
  if (error.keyword === 'required' && params.missingProperty) {
    return { field: [...segments, params.missingProperty].join('.'), message: 'is required' };
  }
  if (error.keyword === 'additionalProperties' && params.additionalProperty) {
    return { field: [...segments, params.additionalProperty].join('.'), message: 'is not an allowed field' };
  }
  const allowed = error.keyword === 'enum' && params.allowedValues ? `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` : '';
  return { field: segments.join('.') || '(arguments)', message: `${error.message ?? 'is invalid'}${allowed}` };
}
