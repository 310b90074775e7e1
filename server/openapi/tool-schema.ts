/**
 * Turns an MCP tool's `inputSchema` / `outputSchema` (JSON Schema draft-07 or 2020-12, from an
 * untrusted server) into a schema for an OpenAPI 3.1 document that Open WebUI turns into a
 * function-calling tool. Open WebUI resolves `$ref` only inside `properties` and `items` and has
 * no cycle guard, so the result holds no `$ref`, `$defs` or `definitions` at all: every reference
 * is inlined, recursion is cut after a few levels, and whatever had to be cut or replaced is told
 * in `notes`. Everything else keeps its meaning.
 *
 * The conversion, for each schema node:
 *  1. keywords are copied in the input's key order, each checked for the shape of its value;
 *     unknown keywords are kept when their value is plain JSON, `$`-keywords are dropped;
 *  2. old forms become 2020-12: OpenAPI 3.0 `nullable`, draft-04 boolean `exclusiveMinimum` /
 *     `exclusiveMaximum`, draft-07 array `items` / `additionalItems` and `dependencies`;
 *  3. `$ref` is resolved against the root of the schema being converted and inlined, its sibling
 *     keywords kept (see {@link combineWithReferences});
 *  4. a reference expanded more than `maxRefDepth` times inside itself is cut;
 *  5. past `maxNodes` nodes every further subschema is cut;
 *  6. boolean subschemas become `{}` (true) and `{ not: {} }` (false);
 *  7. (request bodies only) the root is made an object schema;
 *  8. input is read through own properties only and never changed; keys such as `__proto__` are
 *     defined as ordinary keys; nesting deeper than 64 levels is cut; non-JSON values are dropped;
 *  9. the result is plain JSON, the same for the same input;
 * 10. (request bodies only) shaped for callers that read less than JSON Schema, as Open WebUI's
 *     converter does (it adds `"type": "string"` to a node without `type`, `anyOf` or
 *     `properties`, and turns `anyOf [T, null]` into T): see {@link forCallers}.
 * "Cut" means replaced by a schema allowing any value whose `description` says why.
 */
import { createHash } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { NodeBudget } from '../schema/budget.js';
import { assignOwn, copyJson, countOf, finiteOf, fromEntries, isFiniteNumber, isPlainObject, isStringList, own, setOwn, type JsonObject } from '../schema/json.js';
import { isMarkedNullable } from '../schema/nullable.js';
import { quoteText } from '../schema/quote.js';
import { SchemaReferences } from '../schema/refs.js';
import { declaredTypes, hasType, intersectTypes, jsonType, typeNames, typeValue, unionOfTypes } from '../schema/types.js';
import { asciiSpelling } from './ascii-name.js';

export interface ToolSchemaOptions {
  /** How many times one $ref may be expanded inside itself (recursion) before it is cut. Default 3. */
  maxRefDepth?: number;
  /** Most schema nodes in one converted schema; beyond it subtrees are cut (guards against exponential $ref blow-up). Default 5000. */
  maxNodes?: number;
}

export interface ConvertedSchema {
  schema: Record<string, unknown>;
  /** Human-readable notes on what had to be cut or replaced (empty when nothing was). */
  notes: string[];
}

type Schema = JsonObject;

const DEFAULT_MAX_REF_DEPTH = 3;
const DEFAULT_MAX_NODES = 5000;
/** Deepest schema nesting kept (the root is level 0; an inlined `$ref` counts as a level). */
const MAX_NESTING = 64;
/** Most notes reported for one schema; the rest are counted in a last note. */
const MAX_NOTES = 20;
/** Longest name or reference quoted in a note or description. */
const MAX_QUOTED = 120;

/** A name or reference from the schema, cut to {@link MAX_QUOTED} characters, in double quotes. */
const quote = (text: string): string => quoteText(text, MAX_QUOTED);

/*
 * Keywords and how their values are read. Those with a dedicated step (type, $ref, nullable,
 * items, additionalItems, dependencies, minimum, maximum, exclusiveMinimum, exclusiveMaximum)
 * are handled in `convertKeyword` before this table is consulted.
 */
type KeywordKind =
  | 'schema' // one subschema; a boolean becomes {} or { not: {} }
  | 'schemaOrBoolean' // one subschema, where a boolean is idiomatic and kept as it is
  | 'schemaList'
  | 'schemaMap'
  | 'number'
  | 'count' // a non-negative integer
  | 'string'
  | 'boolean'
  | 'stringList'
  | 'stringListMap'
  | 'value' // any JSON value
  | 'valueList'; // an array of JSON values

const KEYWORD_KINDS: ReadonlyMap<string, KeywordKind> = new Map<string, KeywordKind>([
  ['not', 'schema'],
  ['if', 'schema'],
  ['then', 'schema'],
  ['else', 'schema'],
  ['contains', 'schema'],
  ['propertyNames', 'schema'],
  ['contentSchema', 'schema'],
  ['additionalProperties', 'schemaOrBoolean'],
  ['unevaluatedProperties', 'schemaOrBoolean'],
  ['unevaluatedItems', 'schemaOrBoolean'],
  ['allOf', 'schemaList'],
  ['anyOf', 'schemaList'],
  ['oneOf', 'schemaList'],
  ['prefixItems', 'schemaList'],
  ['properties', 'schemaMap'],
  ['patternProperties', 'schemaMap'],
  ['dependentSchemas', 'schemaMap'],
  ['multipleOf', 'number'],
  ['minLength', 'count'],
  ['maxLength', 'count'],
  ['minItems', 'count'],
  ['maxItems', 'count'],
  ['minContains', 'count'],
  ['maxContains', 'count'],
  ['minProperties', 'count'],
  ['maxProperties', 'count'],
  ['format', 'string'],
  ['pattern', 'string'],
  ['title', 'string'],
  ['description', 'string'],
  ['contentMediaType', 'string'],
  ['contentEncoding', 'string'],
  ['uniqueItems', 'boolean'],
  ['deprecated', 'boolean'],
  ['readOnly', 'boolean'],
  ['writeOnly', 'boolean'],
  ['required', 'stringList'],
  ['dependentRequired', 'stringListMap'],
  ['default', 'value'],
  ['const', 'value'],
  ['example', 'value'],
  ['enum', 'valueList'],
  ['examples', 'valueList'],
]);

/** What each kind of keyword value must be, for notes on dropped keywords. */
const KIND_EXPECTS: Record<KeywordKind, string> = {
  schema: 'a schema',
  schemaOrBoolean: 'a schema',
  schemaList: 'a list of schemas',
  schemaMap: 'an object of schemas',
  number: 'a number',
  count: 'a non-negative integer',
  string: 'a string',
  boolean: 'a boolean',
  stringList: 'a list of strings',
  stringListMap: 'an object of string lists',
  value: 'JSON',
  valueList: 'a list of JSON values',
};

/** Keywords that only annotate: next to a `$ref` they go onto the inlined copy instead of into an `allOf`. */
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', 'example', 'deprecated', 'readOnly', 'writeOnly']);

/** Reference keywords that cannot be inlined statically: treated as unresolvable. */
const DYNAMIC_REFERENCES = ['$dynamicRef', '$recursiveRef'];

/** Keys that would leave a reference behind if an unknown keyword's value carrying them were kept. */
const REFERENCE_KEYS = new Set(['$ref', '$dynamicRef', '$recursiveRef', '$defs', 'definitions']);

/** Keywords that make a request schema take arguments even without properties (see {@link takesNoArguments}). */
const ARGUMENT_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'patternProperties', 'additionalProperties', 'unevaluatedProperties'];

/**
 * For request bodies: the result is always an object schema. A root without `type` gets
 * `type: "object"`; a root typed `["object", …]` is narrowed to `"object"`; a root of another type,
 * or one whose shape cannot be known (its `$ref` cannot be resolved), becomes a free-form object
 * `{ type: "object", description, additionalProperties: true }`; input that is not a schema at all
 * (null, an array, a string…) becomes `{ type: "object", properties: {} }`, which takes no
 * arguments. Options default to `maxRefDepth` 3 and `maxNodes` 5000. Each case that changes
 * meaning adds a note.
 */
export function toRequestSchema(inputSchema: unknown, options: ToolSchemaOptions = {}): ConvertedSchema {
  const conversion = new Conversion(inputSchema, options, true);
  if (!isSchemaValue(inputSchema)) {
    conversion.note(`The tool's input schema is not a JSON Schema (it is ${kindOf(inputSchema)}); the tool is offered without arguments.`);
    return conversion.result(fromEntries([['type', 'object'], ['properties', {}]]));
  }
  return conversion.result(asRequestRoot(conversion.convertRoot(), conversion));
}

/**
 * For 200 responses from an outputSchema: any schema allowed at the root. Input that is not a
 * schema at all becomes a schema allowing any value, with a note. Options default to
 * `maxRefDepth` 3 and `maxNodes` 5000.
 */
export function toResponseSchema(outputSchema: unknown, options: ToolSchemaOptions = {}): ConvertedSchema {
  const conversion = new Conversion(outputSchema, options);
  if (!isSchemaValue(outputSchema)) {
    conversion.note(`The tool's output schema is not a JSON Schema (it is ${kindOf(outputSchema)}); any result is allowed.`);
    return conversion.result(fromEntries([['description', "Any value (the tool's output schema is not a JSON Schema)."]]));
  }
  return conversion.result(conversion.convertRoot());
}

/**
 * Whether a converted request schema takes no arguments at all: such a tool gets no requestBody.
 * True when it has no `properties` (or an empty object), nothing `required`, and none of
 * `allOf`, `anyOf`, `oneOf`, `not`, `if`, `patternProperties`, nor an `additionalProperties` or
 * `unevaluatedProperties` other than `false` (an explicit `additionalProperties: true` marks a
 * free-form object, which does take arguments).
 */
export function takesNoArguments(schema: Record<string, unknown>): boolean {
  const properties = own(schema, 'properties');
  if (isPlainObject(properties) && Object.keys(properties).length > 0) return false;
  const required = own(schema, 'required');
  if (Array.isArray(required) && required.length > 0) return false;
  return ARGUMENT_KEYWORDS.every((keyword) => {
    const value = own(schema, keyword);
    return value === undefined || value === false;
  });
}

const MAX_OPERATION_ID = 64;

/**
 * `name` made safe as an OpenAPI operationId: only [A-Za-z0-9_-], 1..64 chars, unique among
 * `taken` (which it adds to). A name that already fits is kept as it is. Otherwise non-ASCII
 * letters are transliterated when a small table can (`ascii-name.ts`), other characters replaced
 * with `_`, runs of `_` collapsed and `_` trimmed at both ends; empty → `tool`. When too long, it
 * is cut and suffixed with `_` + 8 hex chars of a sha256 of the original name, so different long
 * names stay different. On collision `_2`, `_3`, … is appended (still ≤ 64 chars).
 */
export function safeOperationId(name: string, taken: Set<string>): string {
  const base = shortened(OPERATION_ID_CHARS.test(name) ? name : sanitizedName(name), name);
  const id = unusedId(base, taken);
  taken.add(id);
  return id;
}

const OPERATION_ID_CHARS = /^[A-Za-z0-9_-]+$/;

function sanitizedName(name: string): string {
  const cleaned = asciiSpelling(name)
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  return cleaned || 'tool';
}

function shortened(id: string, original: string): string {
  if (id.length <= MAX_OPERATION_ID) return id;
  const hash = createHash('sha256').update(original).digest('hex').slice(0, 8);
  const head = id.slice(0, MAX_OPERATION_ID - hash.length - 1).replace(/_+$/, '') || 'tool';
  return `${head}_${hash}`;
}

function unusedId(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const candidate = base.slice(0, MAX_OPERATION_ID - suffix.length) + suffix;
    if (!taken.has(candidate)) return candidate;
  }
}

/** One conversion of one tool's schema: its root, its budget, its notes and its chain of references. */
class Conversion {
  private readonly maxRefDepth: number;
  private readonly nodes: NodeBudget;
  private readonly notes = new Notes();
  /** How often each reference target is being expanded in the current chain. */
  private readonly expanding = new Map<object, number>();
  /** Schemas made here to stand for an unknown shape (the request root treats them as free-form). */
  private readonly placeholders = new WeakSet<Schema>();
  private readonly references: SchemaReferences;

  constructor(
    private readonly root: unknown,
    options: ToolSchemaOptions,
    /** Whether this is a request body: its nodes are then shaped by {@link forCallers}. */
    private readonly forRequest = false,
  ) {
    this.maxRefDepth = limit(options.maxRefDepth, DEFAULT_MAX_REF_DEPTH, 0);
    this.nodes = new NodeBudget(limit(options.maxNodes, DEFAULT_MAX_NODES, 1));
    this.references = SchemaReferences.of(root);
  }

  note(text: string): void {
    this.notes.add(text);
  }

  result(schema: Schema): ConvertedSchema {
    return { schema, notes: this.notes.list() };
  }

  isPlaceholder(schema: Schema): boolean {
    return this.placeholders.has(schema);
  }

  convertRoot(): Schema {
    return this.convert(this.root, 0, this.forRequest);
  }

  /** A subschema of the root converted on its own, as a place the gateway fills defaults at (see {@link requiredDefaults}). */
  convertFillPlace(value: unknown): Schema {
    return this.convert(value, 0, true);
  }

  /**
   * Steps 5, 6 and 8: budget, booleans, depth and non-schemas, then the keywords of one node.
   * `fill`: the node is a place where the gateway fills in defaults (see {@link defaultsReach}).
   */
  private convert(value: unknown, depth: number, fill = false): Schema {
    if (depth > MAX_NESTING) {
      this.note(`The schema nests more than ${MAX_NESTING} levels deep; deeper levels allow any value.`);
      return this.placeholder(`Any value: the schema nests more than ${MAX_NESTING} levels deep here and is cut.`);
    }
    if (!this.nodes.take()) {
      this.note(`The schema has more than ${this.nodes.max} nodes once references are inlined; the rest allows any value.`);
      return this.placeholder(`Any value: the tool's schema is too large (more than ${this.nodes.max} nodes) and is cut here.`);
    }
    if (value === true) return {};
    if (value === false) return fromEntries([['not', {}]]);
    if (!isPlainObject(value)) {
      this.note(`A subschema that is not a JSON Schema (${kindOf(value)}) was replaced with one that allows any value.`);
      return {};
    }
    return this.convertObject(value, depth, fill);
  }

  private convertObject(source: Schema, depth: number, fill: boolean): Schema {
    const converted = this.convertKeywords(source, depth, fill);
    const siblings = this.forRequest && fill ? withoutFilledRequired(converted, source, this.root) : converted;
    const references = this.resolveReferences(source, depth, fill);
    const combined = this.shaped(combineWithReferences(references, siblings));
    return isMarkedNullable(source) ? this.shaped(allowNull(combined)) : combined;
  }

  /** Step 10, on request bodies only. */
  private shaped(schema: Schema): Schema {
    return this.forRequest ? forCallers(schema) : schema;
  }

  /** Steps 1 and 2: every keyword but references and `nullable`, in the input's order. */
  private convertKeywords(source: Schema, depth: number, fill: boolean): Schema {
    const out = new SchemaBuilder();
    for (const key of Object.keys(source)) this.convertKeyword(key, own(source, key), source, out, depth, fill && defaultsReach(key, source));
    return this.withoutInapplicable(out.build());
  }

  /**
   * Drops what can never apply under the schema's own `type`, which changes no meaning but keeps
   * linters (and the models reading the schema) from tripping on it: `enum` values of another
   * type (no instance could match them), `items` on an object-only schema, `properties` on an
   * array-only schema.
   */
  private withoutInapplicable(schema: Schema): Schema {
    const types = typeNames(schema);
    if (types.length === 0) return schema;
    const values = own(schema, 'enum');
    if (Array.isArray(values)) {
      const fitting = values.filter((value) => types.some((type) => hasType(value, type)));
      if (fitting.length < values.length) {
        this.note(`Dropped enum values that are not of the schema's type (${types.join(', ')}): no value could match them.`);
        setOwn(schema, 'enum', fitting);
      }
    }
    const only = types.length === 1 ? types[0] : undefined;
    const inapplicable = only === 'object' ? ['items', 'prefixItems'] : only === 'array' ? ['properties'] : [];
    for (const key of inapplicable) {
      if (Object.hasOwn(schema, key)) {
        this.note(`Dropped "${key}" from a schema of type ${only}: it never applies there.`);
        delete schema[key];
      }
    }
    return schema;
  }

  /** `fill`: the keyword's subschemas are places where the gateway fills in defaults. */
  private convertKeyword(key: string, value: unknown, source: Schema, out: SchemaBuilder, depth: number, fill: boolean): void {
    if (!isJsonScalarOrContainer(value)) {
      this.note(`Dropped ${quote(key)}: its value is not JSON.`);
      return;
    }
    switch (key) {
      case '$ref':
      case 'nullable':
      case 'definitions': // like $defs: only read through references
        return;
      case 'type':
        return this.convertType(value, out);
      case 'items':
        return this.convertItems(value, out, depth, fill);
      case 'additionalItems':
        return this.convertAdditionalItems(value, source, out, depth);
      case 'dependencies':
        return this.convertDependencies(value, out, depth);
      case 'minimum':
      case 'maximum':
        return this.convertBound(key, value, source, out);
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        return this.convertExclusiveBound(key, value, source, out);
    }
    if (key.startsWith('$')) return; // $schema, $id, $anchor, $comment, $defs, $vocabulary…; dynamic refs come later
    const kind = KEYWORD_KINDS.get(key);
    if (kind) this.convertKnown(key, kind, value, out, depth, fill);
    else this.convertUnknown(key, value, out);
  }

  private convertKnown(key: string, kind: KeywordKind, value: unknown, out: SchemaBuilder, depth: number, fill = false): void {
    const converted = this.readKind(kind, value, depth, fill);
    if (converted === undefined) this.note(`Dropped ${quote(key)}: its value is not ${KIND_EXPECTS[kind]}.`);
    else out.put(key, converted);
  }

  /** The output value of a known keyword, or undefined when its value has the wrong shape. */
  private readKind(kind: KeywordKind, value: unknown, depth: number, fill = false): unknown {
    switch (kind) {
      case 'schema':
        return this.convert(value, depth + 1, fill);
      case 'schemaOrBoolean':
        return typeof value === 'boolean' ? value : this.convert(value, depth + 1, fill);
      case 'schemaList':
        return Array.isArray(value) ? value.map((item) => this.convert(item, depth + 1, fill)) : undefined;
      case 'schemaMap':
        return isPlainObject(value) ? this.convertSchemaMap(value, depth, fill) : undefined;
      case 'number':
        return finiteOf(value);
      case 'count':
        return countOf(value);
      case 'string':
        return typeof value === 'string' ? value : undefined;
      case 'boolean':
        return typeof value === 'boolean' ? value : undefined;
      case 'stringList':
        return isStringList(value) ? [...value] : undefined;
      case 'stringListMap':
        return isPlainObject(value) && Object.values(value).every(isStringList) ? copyJson(value) : undefined;
      case 'value':
        return copyJson(value);
      case 'valueList':
        return Array.isArray(value) ? copyJson(value) : undefined;
    }
  }

  private convertSchemaMap(map: Schema, depth: number, fill: boolean): Schema {
    const out: Schema = {};
    for (const key of Object.keys(map)) {
      const value = own(map, key);
      if (isJsonScalarOrContainer(value)) setOwn(out, key, this.convert(value, depth + 1, fill));
    }
    return out;
  }

  /** Unknown keywords are kept when plain JSON without references; `$`-names never get here. */
  private convertUnknown(key: string, value: unknown, out: SchemaBuilder): void {
    const copy = copyJson(value);
    if (copy === undefined) this.note(`Dropped ${quote(key)}: its value is not plain JSON (or nests too deep).`);
    else if (holdsReference(copy)) this.note(`Dropped ${quote(key)}: its value holds references, which are not inlined outside schema keywords.`);
    else out.put(key, copy);
  }

  private convertType(value: unknown, out: SchemaBuilder): void {
    if (typeof value === 'string' || isStringList(value)) out.put('type', copyJson(value));
    else this.note(`Dropped "type": its value is not a type name or a list of them.`);
  }

  /** Draft-07 `items: [a, b]` is 2020-12 `prefixItems`; a single schema stays `items`. */
  private convertItems(value: unknown, out: SchemaBuilder, depth: number, fill: boolean): void {
    if (Array.isArray(value)) out.put('prefixItems', this.readKind('schemaList', value, depth));
    else out.put('items', this.readKind('schemaOrBoolean', value, depth, fill));
  }

  /** Draft-07 `additionalItems` is 2020-12 `items`; it means nothing unless `items` is an array. */
  private convertAdditionalItems(value: unknown, source: Schema, out: SchemaBuilder, depth: number): void {
    if (Array.isArray(own(source, 'items'))) out.put('items', this.readKind('schemaOrBoolean', value, depth));
  }

  /** Draft-07 `dependencies` splits into `dependentRequired` (lists) and `dependentSchemas` (schemas). */
  private convertDependencies(value: unknown, out: SchemaBuilder, depth: number): void {
    if (!isPlainObject(value)) {
      this.note(`Dropped "dependencies": its value is not an object.`);
      return;
    }
    const required: Schema = {};
    const schemas: Schema = {};
    for (const key of Object.keys(value)) {
      const dependency = own(value, key);
      if (isStringList(dependency)) setOwn(required, key, [...dependency]);
      else if (isJsonScalarOrContainer(dependency)) setOwn(schemas, key, this.convert(dependency, depth + 1));
    }
    if (Object.keys(required).length > 0) out.put('dependentRequired', required);
    if (Object.keys(schemas).length > 0) out.put('dependentSchemas', schemas);
  }

  /** A draft-04 `minimum` next to `exclusiveMinimum: true` is carried by `exclusiveMinimum` instead. */
  private convertBound(key: 'minimum' | 'maximum', value: unknown, source: Schema, out: SchemaBuilder): void {
    if (own(source, exclusiveOf(key)) === true) return;
    this.convertKnown(key, 'number', value, out, 0);
  }

  /** Draft-04 boolean `exclusiveMinimum: true` + `minimum: n` is 2020-12 `exclusiveMinimum: n`. */
  private convertExclusiveBound(key: 'exclusiveMinimum' | 'exclusiveMaximum', value: unknown, source: Schema, out: SchemaBuilder): void {
    if (value === false) return; // draft-04: the bound is inclusive, `minimum` says it all
    if (value === true) {
      const bound = own(source, key === 'exclusiveMinimum' ? 'minimum' : 'maximum');
      if (isFiniteNumber(bound)) out.put(key, bound);
      return;
    }
    this.convertKnown(key, 'number', value, out, 0);
  }

  /** Step 3: the inlined targets of `$ref` and the permissive stand-ins of dynamic references. */
  private resolveReferences(source: Schema, depth: number, fill: boolean): Schema[] {
    const parts: Schema[] = [];
    const ref = own(source, '$ref');
    if (ref !== undefined) parts.push(typeof ref === 'string' ? this.inline(ref, depth, fill && defaultsReach('$ref', source)) : this.unresolvable(JSON.stringify(copyJson(ref) ?? null)));
    for (const keyword of DYNAMIC_REFERENCES) {
      const dynamic = own(source, keyword);
      if (dynamic !== undefined) parts.push(this.unresolvable(typeof dynamic === 'string' ? dynamic : keyword));
    }
    return parts;
  }

  /** Steps 3 and 4: a reference inlined, unless it is unresolvable or already nested too often. */
  private inline(ref: string, depth: number, fill: boolean): Schema {
    const target = this.references.resolve(ref);
    if (!target) return this.unresolvable(ref);
    const key = typeof target.value === 'object' && target.value !== null ? target.value : undefined;
    if (!key) return this.convert(target.value, depth + 1, fill); // a boolean target cannot recurse
    const times = this.expanding.get(key) ?? 0;
    if (times >= this.maxRefDepth) return this.recursionCut(ref, target.value);
    this.expanding.set(key, times + 1);
    try {
      return this.convert(target.value, depth + 1, fill);
    } finally {
      if (times === 0) this.expanding.delete(key);
      else this.expanding.set(key, times);
    }
  }

  private unresolvable(ref: string): Schema {
    this.note(`The schema refers to ${quote(ref)}, which cannot be resolved; any value is allowed there.`);
    return this.placeholder(`Any value (the tool's schema refers to ${quote(ref)}, which cannot be resolved).`);
  }

  private recursionCut(ref: string, target: unknown): Schema {
    const n = this.maxRefDepth;
    this.note(`The schema nests ${quote(ref)} inside itself more than ${n} levels deep; deeper levels allow any value.`);
    const description = `Any value: the schema nests ${quote(ref)} more than ${n} levels deep here and is cut.`;
    const type = isPlainObject(target) ? own(target, 'type') : undefined;
    return type === 'object' || type === 'array' ? this.placeholder(description, type) : this.placeholder(description);
  }

  private placeholder(description: string, type?: string): Schema {
    const schema = fromEntries(type === undefined ? [['description', description]] : [['type', type], ['description', description]]);
    this.placeholders.add(schema);
    return schema;
  }
}

/*
 * Defaults of required properties. A property that is `required` but has a `default` (zod's
 * `.default()` lists it so, as Playwright's MCP server does) is filled in by the gateway when a
 * caller leaves it out (`server/calls/arguments.ts`), and the request schema lists it as optional.
 * Both decide with the two functions below, so that the schema accepts exactly what the gateway
 * does:
 *  - where: only at the nodes that apply to the arguments whatever they hold — the root, and what
 *    `properties`, `items` (one schema for every item), `allOf` and `$ref` lead to from there
 *    ({@link defaultsReach}); never under `anyOf`, `oneOf`, `not`, `if`/`then`/`else`,
 *    `contains`, `dependentSchemas`… where a filled value could change which branch holds;
 *  - what: the property's own `default`, or that of the schema its `$ref`s lead to, and only when
 *    that default is valid for the property ({@link requiredDefaults}).
 */

/** Most `$ref` hops followed to find a property's default. */
const MAX_DEFAULT_REF_HOPS = 8;

/**
 * Checks defaults against converted (2020-12, reference-free) property schemas, formats included as
 * the gateway checks them. Made at its first use, not at start: making it costs a few ms.
 */
let defaultChecker: Ajv2020 | undefined;
function defaultCheckerOf(): Ajv2020 {
  if (!defaultChecker) {
    defaultChecker = new Ajv2020({ strict: false, validateFormats: true });
    (addFormatsModule as unknown as (ajv: Ajv2020) => void)(defaultChecker);
  }
  return defaultChecker;
}
/**
 * Compiled checks of defaults by the JSON of their schema without its annotations: compiling
 * costs about a millisecond, and many properties share a schema (`{"type": "string", "enum": …}`).
 */
const defaultChecks = new Map<string, (value: unknown) => boolean>();
/** Most compiled checks kept; past it they are all dropped and compiled again as needed. */
const MAX_DEFAULT_CHECKS = 1000;

/** Whether the subschemas under `keyword` of `node` are places where defaults are filled in (see above). */
export function defaultsReach(keyword: string, node: Schema): boolean {
  switch (keyword) {
    case 'properties':
    case 'allOf':
    case '$ref':
      return true;
    case 'items':
      return !Array.isArray(own(node, 'items')) && !Object.hasOwn(node, 'prefixItems');
    default:
      return false;
  }
}

/** A property's default, once computed for its root: `null` when it has none that fits. */
const propertyDefaults = new WeakMap<object, WeakMap<object, { value: unknown } | null>>();

/**
 * The names in `node`'s `required` whose property has a default valid for it, with that default:
 * what the gateway fills in at `node` when a caller leaves them out. `root` is the document
 * `node` is part of (its references are resolved there).
 */
export function requiredDefaults(root: unknown, node: Schema): Map<string, unknown> {
  const found = new Map<string, unknown>();
  const required = own(node, 'required');
  const properties = own(node, 'properties');
  if (!isStringList(required) || !isPlainObject(properties)) return found;
  for (const name of required) {
    const property = own(properties, name);
    if (found.has(name) || !isPlainObject(property)) continue;
    const fill = propertyDefault(root, property);
    if (fill) found.set(name, fill.value);
  }
  return found;
}

function propertyDefault(root: unknown, property: Schema): { value: unknown } | null {
  const key = typeof root === 'object' && root !== null ? root : property;
  let known = propertyDefaults.get(key);
  if (!known) propertyDefaults.set(key, (known = new WeakMap()));
  if (known.has(property)) return known.get(property)!;
  known.set(property, null); // a default that needs itself to fit does not
  const value = copyJson(defaultOf(property, SchemaReferences.of(root)));
  const fill = value !== undefined && defaultFits(root, property, value) ? { value } : null;
  known.set(property, fill);
  return fill;
}

/** A schema's own `default`, or that of the schema its `$ref` leads to. */
function defaultOf(schema: unknown, references: SchemaReferences): unknown {
  let current = schema;
  for (let hop = 0; hop <= MAX_DEFAULT_REF_HOPS && isPlainObject(current); hop++) {
    if (Object.hasOwn(current, 'default')) return current.default;
    const ref = own(current, '$ref');
    if (typeof ref !== 'string') return undefined;
    current = references.resolve(ref)?.value;
  }
  return undefined;
}

/**
 * Whether `value` is valid for `property` as the request schema has it (references inlined,
 * its own required defaults optional). A property whose schema cannot be compiled counts as
 * fitting: the gateway then cannot check arguments at all, and the server decides.
 */
function defaultFits(root: unknown, property: Schema, value: unknown): boolean {
  const [, constraints] = splitAnnotations(new Conversion(root, {}, true).convertFillPlace(property));
  const keys = Object.keys(constraints);
  const types = declaredTypes(constraints);
  if (keys.length === 0) return true;
  if (keys.length === 1 && types) return types.some((type) => hasType(value, type)); // most defaults: no compiling
  const key = JSON.stringify(constraints);
  let check = defaultChecks.get(key);
  if (!check) {
    try {
      const checker = defaultCheckerOf();
      const validate = checker.compile(constraints);
      checker.removeSchema(constraints); // kept here, not in ajv's cache
      check = (candidate) => validate(candidate) as boolean;
    } catch {
      check = () => true;
    }
    if (defaultChecks.size >= MAX_DEFAULT_CHECKS) defaultChecks.clear();
    defaultChecks.set(key, check);
  }
  return check(value);
}

/**
 * A node's inlined references merged with its other keywords (2020-12 applies both). Only
 * annotations beside one reference: they go onto the inlined copy, theirs winning. Otherwise
 * `allOf: [...references, constraints]`, with the annotations kept beside the `allOf` so that a
 * reader of the top level (as Open WebUI is) still sees the description.
 */
function combineWithReferences(references: Schema[], siblings: Schema): Schema {
  if (references.length === 0) return siblings;
  const [annotations, constraints] = splitAnnotations(siblings);
  const hasConstraints = Object.keys(constraints).length > 0;
  if (references.length === 1 && !hasConstraints) return assignOwn(references[0]!, annotations);
  return assignOwn(annotations, fromEntries([['allOf', hasConstraints ? [...references, constraints] : references]]));
}

/**
 * OpenAPI 3.0 `nullable: true`: "null" is added to `type` (and to `enum`, as the author meant),
 * or, without a `type`, the schema becomes `anyOf: [schema, { type: "null" }]` with its
 * annotations kept outside.
 */
function allowNull(schema: Schema): Schema {
  const type = own(schema, 'type');
  if (typeof type === 'string' || Array.isArray(type)) {
    const types = typeof type === 'string' ? [type] : type;
    if (!types.includes('null')) setOwn(schema, 'type', [...types, 'null']);
    const values = own(schema, 'enum');
    if (Array.isArray(values) && !values.includes(null)) setOwn(schema, 'enum', [...values, null]);
    return schema;
  }
  if (Object.keys(schema).length === 0) return schema; // already allows null
  const [annotations, constraints] = splitAnnotations(schema);
  return assignOwn(annotations, fromEntries([['anyOf', [constraints, fromEntries([['type', 'null']])]]]));
}

/**
 * Keywords that constrain only instances of one type (strings, numbers, arrays or objects), so
 * that beside `type: [T, "null"]` they leave `null` alone just as they did inside `anyOf [T, null]`.
 */
const TYPE_SPECIFIC = new Set([
  'minLength', 'maxLength', 'pattern', 'format', 'contentMediaType', 'contentEncoding', 'contentSchema',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'items', 'prefixItems', 'contains', 'minContains', 'maxContains', 'minItems', 'maxItems', 'uniqueItems', 'unevaluatedItems',
  'properties', 'patternProperties', 'additionalProperties', 'propertyNames', 'required', 'minProperties', 'maxProperties',
  'dependentRequired', 'dependentSchemas', 'unevaluatedProperties',
]);

/**
 * Step 10: one converted request node as callers that guess types read it, without changing what
 * it accepts (its children are already shaped):
 *  - `anyOf`/`oneOf` of `[T, {type: "null"}]`, with T a typed schema of type-specific keywords
 *    only, becomes T with "null" added to its `type` (and to its `enum`; a `const` becomes an
 *    `enum` of it and null), the node's annotations winning; `anyOf`/`oneOf` of bare
 *    `{type: …}` branches becomes one type list;
 *  - a node without `type` gets the type its `anyOf`/`oneOf` branches (all typed) share, the
 *    type its typed `allOf` branches agree on, and the type of its `enum`/`const` values.
 * Besides, a name in `required` whose default the gateway fills in is dropped from `required`
 * ({@link withoutFilledRequired}, applied to a node's own keywords before its references join them).
 */
function forCallers(schema: Schema): Schema {
  return withExplicitType(withoutNullBranch(schema));
}

function withoutNullBranch(schema: Schema): Schema {
  if (Object.hasOwn(schema, 'type')) return schema;
  const keys = Object.keys(schema);
  const unions = keys.filter((key) => key === 'anyOf' || key === 'oneOf');
  if (unions.length !== 1) return schema;
  const union = unions[0]!;
  const branches = own(schema, union);
  if (!Array.isArray(branches) || !keys.every((key) => key === union || ANNOTATIONS.has(key))) return schema;
  const merged = (branches.length === 2 ? nullableBranch(branches as Schema[]) : undefined) ?? typeListOf(branches as Schema[], union === 'oneOf');
  if (!merged) return schema;
  for (const key of keys) if (key !== union) setOwn(merged, key, own(schema, key));
  return merged;
}

/** `[T, {type: "null"}]` (either order) as T allowing null, or undefined when T is not that simple. */
function nullableBranch(branches: Schema[]): Schema | undefined {
  const nullAt = branches.findIndex(isNullOnly);
  if (nullAt < 0) return undefined;
  const branch = branches[1 - nullAt]!;
  const types = declaredTypes(branch);
  if (!types || types.includes('null') || (Object.hasOwn(branch, 'enum') && Object.hasOwn(branch, 'const'))) return undefined;
  const simple = Object.keys(branch).every((key) => key === 'type' || key === 'enum' || key === 'const' || TYPE_SPECIFIC.has(key) || ANNOTATIONS.has(key));
  if (!simple) return undefined;
  const merged: Schema = {};
  for (const key of Object.keys(branch)) {
    const value = own(branch, key);
    if (key === 'type') setOwn(merged, 'type', [...types, 'null']);
    else if (key === 'enum') setOwn(merged, 'enum', Array.isArray(value) ? [...value, null] : value);
    else if (key === 'const') setOwn(merged, 'enum', [value, null]);
    else setOwn(merged, key, value);
  }
  return merged;
}

/** Branches that are each only `{type: …}`, as one `{type: [...]}`; for `oneOf` only when no value fits two of them. */
function typeListOf(branches: Schema[], exclusive: boolean): Schema | undefined {
  const types: string[] = [];
  for (const branch of branches) {
    const branchTypes = declaredTypes(branch);
    if (!branchTypes || Object.keys(branch).length !== 1) return undefined;
    types.push(...branchTypes);
  }
  if (types.length === 0) return undefined;
  const union = unionOfTypes(types);
  if (exclusive && union.length !== types.length) return undefined;
  return fromEntries([['type', typeValue(union)]]);
}

function isNullOnly(branch: unknown): boolean {
  if (!isPlainObject(branch)) return false;
  const types = declaredTypes(branch);
  return types?.length === 1 && types[0] === 'null' && Object.keys(branch).every((key) => key === 'type' || ANNOTATIONS.has(key));
}

function withExplicitType(schema: Schema): Schema {
  if (Object.hasOwn(schema, 'type')) return schema;
  const candidates: string[][] = [];
  for (const union of ['anyOf', 'oneOf']) {
    const branches = own(schema, union);
    if (!Array.isArray(branches)) continue;
    const types = branches.map((branch) => (isPlainObject(branch) ? declaredTypes(branch) : undefined));
    if (types.length > 0 && types.every((t) => t !== undefined)) candidates.push(unionOfTypes(types.flat()));
  }
  const allOf = own(schema, 'allOf');
  if (Array.isArray(allOf)) {
    for (const branch of allOf) {
      const types = isPlainObject(branch) ? declaredTypes(branch) : undefined;
      if (types) candidates.push(types);
    }
  }
  const values = Object.hasOwn(schema, 'const') ? [own(schema, 'const')] : own(schema, 'enum');
  if (Array.isArray(values) && values.length > 0) candidates.push(unionOfTypes(values.map(jsonType)));
  if (candidates.length === 0) return schema;
  const types = candidates.reduce(intersectTypes);
  return types.length === 0 ? schema : assignOwn(fromEntries([['type', typeValue(types)]]), schema);
}

/** Step 10: a converted node without the names in its `required` that the gateway fills in (see {@link requiredDefaults}). */
function withoutFilledRequired(schema: Schema, source: Schema, root: unknown): Schema {
  const required = own(schema, 'required');
  if (!isStringList(required)) return schema;
  const filled = requiredDefaults(root, source);
  const kept = required.filter((name) => !filled.has(name));
  if (kept.length === required.length) return schema;
  if (kept.length > 0) setOwn(schema, 'required', kept);
  else delete schema.required;
  return schema;
}

/** Step 7: the root of a request body as an object schema (see {@link toRequestSchema}). */
function asRequestRoot(schema: Schema, conversion: Conversion): Schema {
  if (conversion.isPlaceholder(schema)) {
    conversion.note(`The shape of the tool's arguments cannot be known; any object is allowed.`);
    return freeFormObject(String(own(schema, 'description')));
  }
  const type = own(schema, 'type');
  if (type === undefined) return assignOwn(fromEntries([['type', 'object']]), schema);
  if (type === 'object') return schema;
  if (Array.isArray(type) && type.includes('object')) {
    conversion.note(`The input schema allows ${JSON.stringify(type)}; a request body is always an object, so only "object" is kept.`);
    setOwn(schema, 'type', 'object');
    return schema;
  }
  conversion.note(`The tool's input schema is not an object schema (type ${JSON.stringify(type)}); any object is allowed.`);
  return freeFormObject(`Arguments of any shape (the tool's input schema has type ${JSON.stringify(type)}, not "object").`);
}

function freeFormObject(description: string): Schema {
  return fromEntries([
    ['type', 'object'],
    ['description', description],
    ['additionalProperties', true],
  ]);
}

function splitAnnotations(schema: Schema): [annotations: Schema, constraints: Schema] {
  const annotations: Schema = {};
  const constraints: Schema = {};
  for (const key of Object.keys(schema)) setOwn(ANNOTATIONS.has(key) ? annotations : constraints, key, own(schema, key));
  return [annotations, constraints];
}

/**
 * Collects the keywords of one output node. A keyword produced twice (a draft-07 form converted
 * next to its 2020-12 twin, e.g. array `items` and `prefixItems`) cannot share one key: the later
 * one is added as `allOf: [{ keyword: value }]`, which keeps both constraints.
 */
class SchemaBuilder {
  private readonly schema: Schema = {};
  private readonly clashes: Schema[] = [];

  put(key: string, value: unknown): void {
    if (Object.hasOwn(this.schema, key)) this.clashes.push(fromEntries([[key, value]]));
    else setOwn(this.schema, key, value);
  }

  build(): Schema {
    if (this.clashes.length === 0) return this.schema;
    const allOf = own(this.schema, 'allOf');
    setOwn(this.schema, 'allOf', [...(Array.isArray(allOf) ? allOf : []), ...this.clashes]);
    return this.schema;
  }
}

/** Notes without repeats, at most {@link MAX_NOTES} of them plus one that counts the rest. */
class Notes {
  private readonly seen = new Set<string>();
  private readonly kept: string[] = [];
  private dropped = 0;

  add(text: string): void {
    if (this.seen.has(text)) return;
    this.seen.add(text);
    if (this.kept.length < MAX_NOTES) this.kept.push(text);
    else this.dropped++;
  }

  list(): string[] {
    return this.dropped === 0 ? [...this.kept] : [...this.kept, `…and ${this.dropped} more notes.`];
  }
}

/** Whether a copied JSON value has a `$ref`-like key anywhere (it is at most 64 levels deep). */
function holdsReference(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(holdsReference);
  if (!isPlainObject(value)) return false;
  return Object.keys(value).some((key) => REFERENCE_KEYS.has(key) || holdsReference(own(value, key)));
}

/** A JSON Schema is an object or a boolean. */
function isSchemaValue(value: unknown): boolean {
  return isPlainObject(value) || typeof value === 'boolean';
}

/** Whether a value is of a type JSON has (its contents are checked where they are read). */
function isJsonScalarOrContainer(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  return value === null || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'object';
}

function exclusiveOf(key: 'minimum' | 'maximum'): 'exclusiveMinimum' | 'exclusiveMaximum' {
  return key === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum';
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object that is not plain JSON';
  return `a ${typeof value}`;
}

function limit(value: number | undefined, fallback: number, min: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(min, Math.floor(value)) : fallback;
}
