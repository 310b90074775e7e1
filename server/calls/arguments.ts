/**
 * Checks tool arguments against the tool's `inputSchema` (JSON Schema, draft-07 or 2020-12 by
 * its `$schema`; 2020-12 when absent, as MCP says) before anything is sent upstream.
 * Validators are compiled once per schema object: a refreshed tool list brings new objects.
 *
 * A property that is `required` but has a `default` (zod's `.default()` lists it so, as
 * Playwright's MCP server does) is not an error when left out: its default is filled in and
 * sent on, so the server gets what its schema asks for. Where and which defaults are filled in
 * is decided by `defaultsReach` and `requiredDefaults` of `server/openapi/tool-schema.ts`, which
 * list the same properties as optional in the tool documents: both accept the same arguments.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FieldError } from '../errors.js';
import { defaultsReach, requiredDefaults } from '../openapi/tool-schema.js';
import { isPlainObject, own } from '../schema/json.js';
import { pointerTokens } from '../schema/pointer.js';
import { SchemaReferences } from '../schema/refs.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;

function makeValidator<T extends Ajv | Ajv2020>(ajv: T): T {
  addFormats(ajv);
  return ajv;
}

// `strict: false`: schemas come from third parties and may use keywords ajv does not know.
// `addUsedSchema: false`: a compiled schema is not registered by its `$id`, so two tools whose
// schemas share an `$id` are both checked (the second would not compile otherwise).
// Each is made at its first use (a schema to compile), not at start: making one costs a few ms.
const options = { allErrors: true, strict: false, validateFormats: true, addUsedSchema: false } as const;
let draft07: Ajv | undefined;
let draft2020: Ajv2020 | undefined;

/** `undefined` when a schema cannot be compiled: the server then validates on its own. */
const compiled = new WeakMap<object, ValidateFunction | undefined>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction | undefined {
  if (compiled.has(schema)) return compiled.get(schema);
  const { $schema, ...rest } = schema;
  const ajv =
    typeof $schema === 'string' && /draft-0[467]/.test($schema)
      ? (draft07 ??= makeValidator(new Ajv(options)))
      : (draft2020 ??= makeValidator(new Ajv2020(options)));
  let validate: ValidateFunction | undefined;
  try {
    validate = ajv.compile(rest);
  } catch {
    validate = undefined;
  }
  // The validator keeps what it needs; ajv's own cache would keep every schema of every tool
  // list a server ever sent (a refreshed list brings new objects).
  ajv.removeSchema(rest);
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
  const filled = structuredClone(args);
  if (fillDefaults(schema, schema, filled) && validate(filled)) return { errors: [], args: filled };
  return { errors: (validate.errors ?? []).map(fieldError), args };
}

/**
 * Fills the defaults of missing required properties into `value` (in place), at the places
 * `schema` (part of `root`) reaches, then inside the values there; true when it filled any.
 */
function fillDefaults(root: Record<string, unknown>, schema: unknown, value: unknown): boolean {
  const nodes = applying(root, schema);
  let filled = false;
  if (isPlainObject(value)) {
    for (const node of nodes) {
      for (const [name, fallback] of requiredDefaults(root, node)) {
        if (Object.hasOwn(value, name)) continue;
        Object.defineProperty(value, name, { value: structuredClone(fallback), enumerable: true, writable: true, configurable: true });
        filled = true;
      }
    }
  }
  for (const node of nodes) {
    const properties = own(node, 'properties');
    if (isPlainObject(value) && isPlainObject(properties) && defaultsReach('properties', node)) {
      for (const name of Object.keys(properties)) {
        if (Object.hasOwn(value, name) && fillDefaults(root, own(properties, name), value[name])) filled = true;
      }
    }
    if (Array.isArray(value) && Object.hasOwn(node, 'items') && defaultsReach('items', node)) {
      for (const item of value) if (fillDefaults(root, own(node, 'items'), item)) filled = true;
    }
  }
  return filled;
}

/** The schema nodes that apply to one value: `schema`, and those its `allOf` and `$ref` lead to (each once). */
function applying(root: Record<string, unknown>, schema: unknown): Record<string, unknown>[] {
  const nodes: Record<string, unknown>[] = [];
  const pending = [schema];
  while (pending.length > 0) {
    const node = pending.pop();
    if (!isPlainObject(node) || nodes.includes(node)) continue;
    nodes.push(node);
    const allOf = own(node, 'allOf');
    if (Array.isArray(allOf) && defaultsReach('allOf', node)) pending.push(...allOf);
    const ref = own(node, '$ref');
    if (typeof ref === 'string' && defaultsReach('$ref', node)) pending.push(SchemaReferences.of(root).resolve(ref)?.value);
  }
  return nodes;
}

function fieldError(error: ErrorObject): FieldError {
  const segments = pointerTokens(error.instancePath);
  const params = error.params as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] };
  if (error.keyword === 'required' && params.missingProperty) {
    return { field: [...segments, params.missingProperty].join('.'), message: 'is required' };
  }
  if (error.keyword === 'additionalProperties' && params.additionalProperty) {
    return { field: [...segments, params.additionalProperty].join('.'), message: 'is not an allowed field' };
  }
  const allowed =
    error.keyword === 'enum' && params.allowedValues ? `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` : '';
  return { field: segments.join('.') || '(arguments)', message: `${error.message ?? 'is invalid'}${allowed}` };
}
