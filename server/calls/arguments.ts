/**
 * Checks tool arguments against the tool's `inputSchema` (JSON Schema, draft-07 or 2020-12 by
 * its `$schema`; 2020-12 when absent, as MCP says) before anything is sent upstream.
 * Validators are compiled once per schema object: a refreshed tool list brings new objects.
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
const options = { allErrors: true, strict: false, validateFormats: true } as const;
const draft07 = makeValidator(new Ajv(options));
const draft2020 = makeValidator(new Ajv2020(options));

/** `undefined` when a schema cannot be compiled: the server then validates on its own. */
const compiled = new WeakMap<object, ValidateFunction | undefined>();

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

/** The failing fields, or an empty list when the arguments fit the schema. */
export function checkArguments(schema: Record<string, unknown>, args: Record<string, unknown>): FieldError[] {
  const validate = validatorFor(schema);
  if (!validate || validate(args)) return [];
  return (validate.errors ?? []).map(fieldError);
}

function fieldError(error: ErrorObject): FieldError {
  const segments = error.instancePath.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
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
