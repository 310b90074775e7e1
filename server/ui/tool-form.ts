/**
 * The test form of an MCP tool, generated from its (normalized) JSON Schema `inputSchema` — see
 * `toRequestSchema` in `server/openapi/tool-schema.ts` — and the decoding of a submitted form back
 * into tool arguments. Pure: no I/O, inputs are never changed, nothing here throws.
 *
 * Schemas come from untrusted servers: every keyword is checked for the shape of its value (a
 * keyword of the wrong shape is ignored), only own properties are read, and the walk is bounded:
 * objects and arrays nest at most {@link FORM_LIMITS}.maxDepth levels, one form holds at most
 * `maxFields` schema fields (rows prefilled from values are capped separately by
 * `maxRenderedFields`), and whatever cannot be rendered becomes a {@link JsonField} (raw JSON text).
 *
 * ## Field names (the HTML `name` of every input)
 *
 * A name is a path of segments joined by `/`, starting with the prefix `a` (the root object):
 *  - a property segment is the property name with `~` → `~0`, `/` → `~1`, CR → `~2`, LF → `~3`
 *    (CR and LF because browsers rewrite line breaks in submitted names);
 *  - `~i` is "the current item" of the array at the path before it;
 *  - `~r` (only last) is the row-start marker of that array.
 * Escaping only ever produces `~0`…`~3`, so `~i` and `~r` can never be read as a property: any
 * property name (empty, unicode, `__proto__`, `.`, `[`, `-`, quotes…) is unambiguous. Examples:
 * `a/city`, `a/a~1b` (property "a/b"), `a/` (property ""), `a/tags/~r` and `a/tags/~i` (the
 * marker and the value of each row of `tags: string[]`), `a/items/~i/name` (the `name` of the
 * current row of `items`), `a/m/~i/~r` (a row of an array inside the current row of `m`).
 *
 * Names hold no indexes: rows are cloned in the browser from a `<template>` without renaming, and
 * the form body is decoded in document order. Each `…/~r` entry starts a new item of that array
 * (inside the latest item of every enclosing array); the entries that follow fill the latest item.
 * A checkbox is a hidden input `false` followed by the checkbox `true` under the same name: the
 * last value for a name within the current item wins.
 *
 * ## Decoding empty inputs
 *  - optional text, number, select or JSON left empty → the argument is omitted;
 *  - a required string left empty → `""` (`null` when the schema also allows null);
 *  - a required number, select or JSON field left empty → omitted (`null` when nullable), so that
 *    validation reports it as missing;
 *  - an array with no rows → omitted, or `[]` when required;
 *  - an optional object none of whose fields is filled in (text typed, a number, a choice, a
 *    checked box, a row added) → omitted; a required one → `{}` (`null` when nullable);
 *  - every array row is an item, even with all its fields empty (an empty object row is `{}`, an
 *    empty string row `""`; an empty number, select or JSON row is an error unless nullable).
 */
import { isPlainObject, own } from '../openapi/tool-schema.js';

/** Limits on what one form renders. */
export const FORM_LIMITS = {
  /** Deepest nesting of fields: objects and arrays at this depth (the root's properties are at 1) become JSON fields. */
  maxDepth: 6,
  /** Most fields generated from one schema (the root not counted); every further field is a JSON field. */
  maxFields: 400,
  /** Most fields instantiated by one `buildForm`, rows of prefilled values included; further rows are dropped (then `fits` is false). */
  maxRenderedFields: 5000,
} as const;

/** The HTML name of the root object; every name starts with it. */
export const FORM_PREFIX = 'a';
const ROW_MARKER = '~r';
const ITEM = '~i';

export type FormField = TextField | NumberField | BooleanField | SelectField | ObjectField | ArrayField | JsonField;

interface FieldBase {
  /** Which input renders this field. */
  kind: FormField['kind'];
  /** The HTML `name` of the input (see "Field names" at the top of this file); never ''. Identical in every row of an array. */
  name: string;
  /** The property name in its parent object; undefined for the root and for array items. */
  key?: string;
  /** Label to show: the schema `title`, else the property name (`""` for the empty name), else "Item" for array items ("Arguments" for the root). */
  label: string;
  /** The schema `description`, when it is a non-empty string. */
  description?: string;
  /** Whether to mark the field as required (listed in the parent's `required`, or an array item) — false for nullable fields. */
  required: boolean;
  /** Whether the schema also allows null (`["string","null"]`, `anyOf` with a null branch, `nullable: true`); such a field renders as the non-null type. */
  nullable: boolean;
  /** Short human hints such as "format: email", "2 to 10 characters", "pattern: ^a", "default: 3". */
  hints: string[];
}

/** What an `<input type>` of a {@link TextField} should be. */
export type TextInputType = 'text' | 'email' | 'url' | 'date' | 'time' | 'password';

/** A string: an `<input>` or a `<textarea>`. */
export interface TextField extends FieldBase {
  kind: 'text';
  /** The current text ('' when none). */
  value: string;
  /** Render a `<textarea>` (long text, a content media type, a name like "prompt" or "body", or a value with line breaks); `inputType` is then ignored. */
  multiline: boolean;
  /** The `type` of the `<input>` when not multiline. */
  inputType: TextInputType;
  /** `minLength` of the schema (JSON Schema counts code points, HTML UTF-16 units: fine as a hint, loose as an attribute). */
  minLength?: number;
  /** `maxLength` of the schema (same caveat as `minLength`). */
  maxLength?: number;
  /** The schema `pattern`, to show as a hint only: never as an HTML `pattern` attribute (its regex dialect differs). */
  pattern?: string;
  /** Example text for the empty input: the schema's first string example, else one for its format (date-time, uuid…). */
  placeholder?: string;
}

/** A number: `<input type="number">`. */
export interface NumberField extends FieldBase {
  kind: 'number';
  /** Whether the schema type is `integer`. */
  integer: boolean;
  /** The current number as text ('' when none). */
  value: string;
  /** The `min` attribute: `minimum`, else `exclusiveMinimum` (which is also told in `hints`). */
  min?: number;
  /** The `max` attribute: `maximum`, else `exclusiveMaximum` (which is also told in `hints`). */
  max?: number;
  /** The `step` attribute: `multipleOf`, else 1 for integers, else 'any'. */
  step: number | 'any';
}

/** A boolean: a hidden input `false`, then a checkbox `true`, both named `name`. */
export interface BooleanField extends FieldBase {
  kind: 'boolean';
  /** Whether the checkbox is checked. */
  checked: boolean;
}

/** One choice of a {@link SelectField}. */
export interface SelectOption {
  /** The `<option value>`: the JSON text of the allowed value (`"a"`, `3`, `true`, `null`…). */
  value: string;
  /** Display text: the branch `title` (for `anyOf` of constants), else the string itself, else its JSON text. */
  label: string;
}

/** A `<select>` for `enum`, `const`, or an `anyOf`/`oneOf` of constants. */
export interface SelectField extends FieldBase {
  kind: 'select';
  /** The choices in schema order (duplicates removed); shared by every row of an array: do not modify. */
  options: SelectOption[];
  /** The `value` of the selected option; undefined when none is. */
  selected?: string;
  /** Whether to offer an empty "—" choice (value '') that omits the argument: true when not required. */
  allowEmpty: boolean;
}

/** An object: a `<fieldset>` of its properties. Submits nothing itself. */
export interface ObjectField extends FieldBase {
  kind: 'object';
  /** One field per property, in schema order. */
  fields: FormField[];
}

/** An array: rows of one item field each, and a `<template>` to add more. */
export interface ArrayField extends FieldBase {
  kind: 'array';
  /** The name of the hidden row-start marker input (value ignored) to render at the start of every row, the template's included. */
  rowStart: string;
  /** One item field per current value, in order. */
  rows: FormField[];
  /** An empty item (defaults prefilled), to render inside a `<template>` after the marker; the browser clones it without renaming. */
  template: FormField;
  /** `minItems` of the schema. */
  minItems?: number;
  /** `maxItems` of the schema. */
  maxItems?: number;
}

/** Anything the form cannot render: a `<textarea>` of JSON text. */
export interface JsonField extends FieldBase {
  kind: 'json';
  /** Pretty JSON text (2-space indent); '' when no value. */
  value: string;
  /** Why the form cannot render it, e.g. "anyOf of several object shapes", "object with free-form properties", "too deeply nested (more than 6 levels)". */
  reason: string;
}

export interface ToolForm {
  /** The arguments: an object form, or one JSON field when the schema cannot be rendered as a form. */
  root: ObjectField | JsonField;
  /**
   * True when every given value fit the form; false means some values would be lost and the UI
   * should open the raw JSON editor instead. Values that an empty field stands for count as
   * fitting: `""` for an optional string, `null` for a nullable field, an optional object with
   * nothing filled in (they decode as omitted).
   */
  fits: boolean;
}

/**
 * The form for a tool's input schema, prefilled with `values` (the arguments of a past call, say:
 * any value; `undefined` or `null` means none) or else the schema's `default`s.
 */
export function buildForm(schema: unknown, values?: unknown): ToolForm {
  try {
    const root = new Compiler().root(schema);
    const builder = new Builder();
    const field = builder.field(root, values === null ? undefined : values, false) as ObjectField | JsonField;
    return { root: field, fits: builder.fits };
  } catch {
    // Not expected (every read is guarded); a broken form must still not break the page.
    return { root: jsonField(FORM_PREFIX, 'Arguments', 'the schema could not be read', values), fits: false };
  }
}

export interface FieldError {
  /** JSON-pointer-like path of the value, with row indexes, e.g. `/items/0/name` ('' for the whole arguments). */
  field: string;
  /** The HTML name of the input (the same in every row); always set by `decodeForm`. */
  name?: string;
  /** What is wrong, for a human. */
  message: string;
}

/**
 * The tool arguments from a submitted form: `entries` in document order (e.g.
 * `new URLSearchParams(body)`), read against the same schema the form was built from. Entries
 * whose names do not belong to the schema's form are ignored.
 */
export function decodeForm(schema: unknown, entries: Iterable<[string, string]>): { args: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  try {
    const root = new Compiler().root(schema);
    const state = new Decoder(root).read(entries);
    const result = finish(root, state, '', 'root', errors);
    if (root.kind === 'object') return { args: result?.value as Record<string, unknown>, errors };
    if (result === undefined) return { args: {}, errors };
    if (!isPlainObject(result.value)) {
      errors.push({ field: '', name: root.name, message: 'The arguments must be a JSON object.' });
      return { args: {}, errors };
    }
    return { args: result.value, errors };
  } catch {
    errors.push({ field: '', name: FORM_PREFIX, message: 'The form could not be read.' });
    return { args: {}, errors };
  }
}

// ───────────────────────────── schema → nodes ─────────────────────────────

type Schema = Record<string, unknown>;

/** What both building and decoding know about one field of the schema (one per schema position, rows share it). */
interface NodeBase {
  name: string;
  key?: string;
  label: string;
  description?: string;
  /** Shown as required: `schemaRequired` and not nullable. */
  required: boolean;
  /** Listed in the parent's `required`, or an array item. */
  schemaRequired: boolean;
  nullable: boolean;
  /** An array item (always present once its row is). */
  isItem: boolean;
  hints: string[];
  /** The schema `default` (read, never changed); undefined when none. */
  fallback: unknown;
}

type TextNode = NodeBase & Omit<TextField, keyof FieldBase | 'value'> & { kind: 'text' };
type NumberNode = NodeBase & Omit<NumberField, keyof FieldBase | 'value'> & { kind: 'number' };
interface BooleanNode extends NodeBase {
  kind: 'boolean';
}
interface SelectNode extends NodeBase {
  kind: 'select';
  options: SelectOption[];
  /** The option values, for lookups. */
  texts: Set<string>;
}
interface ObjectNode extends NodeBase {
  kind: 'object';
  props: { key: string; node: Node }[];
  byKey: Map<string, Node>;
}
interface ArrayNode extends NodeBase {
  kind: 'array';
  rowStart: string;
  itemNode: Node;
  minItems?: number;
  maxItems?: number;
}
interface JsonNode extends NodeBase {
  kind: 'json';
  reason: string;
}
type Node = TextNode | NumberNode | BooleanNode | SelectNode | ObjectNode | ArrayNode | JsonNode;
type LeafNode = TextNode | NumberNode | BooleanNode | SelectNode | JsonNode;

/** Where a field sits. */
interface Place {
  name: string;
  /** Property name (undefined for the root and array items). */
  key?: string;
  /** The name that drives guesses (multiline, password): the property's, or for items the array's. */
  guessName: string;
  depth: number;
  schemaRequired: boolean;
  isItem: boolean;
  isRoot: boolean;
}

/** A schema seen through nullable wrappers: its effective keywords and what it renders as. */
interface Shape {
  schema: Schema;
  nullable: boolean;
  /** The one non-null type, when there is one. */
  type?: string;
  /** Allowed values, for a select. */
  choices?: Choice[];
  /** Why it must be a JSON field. */
  reason?: string;
}
interface Choice {
  value: unknown;
  title?: string;
}

const MULTILINE_NAME = /(content|text|body|code|prompt|message|query|script|markdown|html|json|yaml|description|instructions)/i;
const SECRET_WORDS = new Set(['password', 'passwd', 'passphrase', 'pwd', 'secret', 'token', 'apikey', 'credential', 'credentials']);
const SECRET_PAIRS = new Set(['api key', 'private key']);
const INPUT_TYPES: ReadonlyMap<string, TextInputType> = new Map<string, TextInputType>([
  ['email', 'email'],
  ['idn-email', 'email'],
  ['uri', 'url'],
  ['iri', 'url'],
  ['url', 'url'],
  ['date', 'date'],
  ['time', 'time'],
]);
const PLACEHOLDERS: ReadonlyMap<string, string> = new Map([
  ['date-time', '2026-01-31T12:00:00Z'],
  ['date', '2026-01-31'],
  ['time', '12:00:00Z'],
  ['duration', 'P1DT12H'],
  ['uuid', 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'],
  ['email', 'name@example.com'],
  ['idn-email', 'name@example.com'],
  ['uri', 'https://example.com/'],
  ['iri', 'https://example.com/'],
  ['url', 'https://example.com/'],
  ['uri-reference', 'https://example.com/ or /path'],
  ['hostname', 'example.com'],
  ['ipv4', '192.0.2.1'],
  ['ipv6', '2001:db8::1'],
  ['json-pointer', '/path/to/value'],
]);
/** Longest value quoted in a hint. */
const MAX_HINT_VALUE = 60;
/** Most nullable/single-branch `anyOf` wrappers unwrapped in one schema. */
const MAX_UNWRAP = 8;

/** One walk of one schema into nodes, with its field budget. */
class Compiler {
  private fields = 0;

  root(schema: unknown): Node {
    const place: Place = { name: FORM_PREFIX, guessName: '', depth: 0, schemaRequired: true, isItem: false, isRoot: true };
    const shape = unwrap(schema);
    if (shape.reason === undefined && shape.choices === undefined && (shape.type === 'object' || (shape.type === undefined && Object.hasOwn(shape.schema, 'properties')))) {
      return this.object(shape, place);
    }
    const reason = shape.reason ?? (shape.choices !== undefined ? 'the arguments are not an object' : shape.type === undefined ? 'the schema does not describe an object' : `the arguments are of type ${shape.type}, not an object`);
    return this.json(shape, place, reason);
  }

  private node(schema: unknown, place: Place): Node {
    this.fields++;
    if (this.fields > FORM_LIMITS.maxFields) {
      return this.json({ schema: isPlainObject(schema) ? schema : {}, nullable: false }, place, `the form has more than ${FORM_LIMITS.maxFields} fields`);
    }
    const shape = unwrap(schema);
    if (shape.reason !== undefined) return this.json(shape, place, shape.reason);
    if (shape.choices !== undefined) return this.select(shape, place, shape.choices);
    switch (shape.type) {
      case 'string':
        return this.text(shape, place);
      case 'number':
      case 'integer':
        return this.number(shape, place);
      case 'boolean':
        return { kind: 'boolean', ...this.base(shape, place) };
      case 'object':
        return this.object(shape, place);
      case 'array':
        return this.array(shape, place);
      case undefined:
        if (Object.hasOwn(shape.schema, 'properties')) return this.object(shape, place);
        return this.json(shape, place, 'any JSON value (the schema gives no type)');
      default:
        return this.json(shape, place, `unknown type ${quote(shape.type)}`);
    }
  }

  private base(shape: Shape, place: Place): NodeBase {
    const s = shape.schema;
    const title = own(s, 'title');
    const description = own(s, 'description');
    const label =
      typeof title === 'string' && title.trim() !== ''
        ? title
        : place.key !== undefined
          ? place.key === ''
            ? '""'
            : place.key
          : place.isRoot
            ? 'Arguments'
            : 'Item';
    const hints: string[] = [];
    const format = own(s, 'format');
    if (typeof format === 'string' && format !== '') hints.push(`format: ${clip(format)}`);
    const base: NodeBase = {
      name: place.name,
      label,
      required: place.schemaRequired && !shape.nullable,
      schemaRequired: place.schemaRequired,
      nullable: shape.nullable,
      isItem: place.isItem,
      hints,
      fallback: own(s, 'default'),
    };
    if (place.key !== undefined) base.key = place.key;
    if (typeof description === 'string' && description.trim() !== '') base.description = description;
    return base;
  }

  /** Hints that close the list: deprecation and the default. */
  private finishHints(node: NodeBase, shape: Shape): void {
    if (own(shape.schema, 'deprecated') === true) node.hints.push('deprecated');
    if (node.fallback !== undefined) {
      const shown = typeof node.fallback === 'string' && node.fallback !== '' ? node.fallback : jsonText(node.fallback);
      if (shown !== undefined) node.hints.push(`default: ${clip(shown)}`);
    }
  }

  private text(shape: Shape, place: Place): TextNode {
    const s = shape.schema;
    const node: TextNode = { kind: 'text', ...this.base(shape, place), multiline: false, inputType: 'text' };
    const format = stringOf(own(s, 'format'));
    const minLength = countOf(own(s, 'minLength'));
    const maxLength = countOf(own(s, 'maxLength'));
    const pattern = stringOf(own(s, 'pattern'));
    const mediaType = stringOf(own(s, 'contentMediaType'));
    if (minLength !== undefined) node.minLength = minLength;
    if (maxLength !== undefined) node.maxLength = maxLength;
    if (pattern !== undefined) node.pattern = pattern;
    const lengthHint = rangeHint(minLength, maxLength, (n) => `${n} character${n === 1 ? '' : 's'}`);
    if (lengthHint) node.hints.push(lengthHint);
    if (pattern !== undefined) node.hints.push(`pattern: ${clip(pattern)}`);
    if (mediaType !== undefined) node.hints.push(`content type: ${clip(mediaType)}`);
    const long = (maxLength !== undefined && maxLength > 200) || mediaType !== undefined;
    const byName = MULTILINE_NAME.test(place.guessName) && !(maxLength !== undefined && maxLength <= 200);
    const byFormat = format === undefined ? undefined : INPUT_TYPES.get(format);
    if (byFormat !== undefined) node.inputType = byFormat;
    else if (looksSecret(place.guessName)) node.inputType = 'password';
    node.multiline = long || (byName && node.inputType === 'text');
    const example = firstExample(s);
    if (example !== undefined) node.placeholder = example;
    else {
      const placeholder = format === undefined ? undefined : PLACEHOLDERS.get(format);
      if (placeholder !== undefined) node.placeholder = placeholder;
    }
    this.finishHints(node, shape);
    return node;
  }

  private number(shape: Shape, place: Place): NumberNode {
    const s = shape.schema;
    const integer = shape.type === 'integer';
    const node: NumberNode = { kind: 'number', ...this.base(shape, place), integer, step: integer ? 1 : 'any' };
    const exclusiveMinFlag = own(s, 'exclusiveMinimum') === true; // draft-04: `minimum` is exclusive
    const exclusiveMaxFlag = own(s, 'exclusiveMaximum') === true;
    const minimum = exclusiveMinFlag ? undefined : finiteOf(own(s, 'minimum'));
    const maximum = exclusiveMaxFlag ? undefined : finiteOf(own(s, 'maximum'));
    const above = exclusiveMinFlag ? finiteOf(own(s, 'minimum')) : finiteOf(own(s, 'exclusiveMinimum'));
    const below = exclusiveMaxFlag ? finiteOf(own(s, 'maximum')) : finiteOf(own(s, 'exclusiveMaximum'));
    const multipleOf = finiteOf(own(s, 'multipleOf'));
    const min = minimum ?? above;
    const max = maximum ?? below;
    if (min !== undefined) node.min = min;
    if (max !== undefined) node.max = max;
    if (multipleOf !== undefined && multipleOf > 0) node.step = multipleOf;
    const range = rangeHint(minimum, maximum, String);
    if (range) node.hints.push(range);
    if (above !== undefined) node.hints.push(`greater than ${above}`);
    if (below !== undefined) node.hints.push(`less than ${below}`);
    if (multipleOf !== undefined && multipleOf > 0) node.hints.push(`multiple of ${multipleOf}`);
    this.finishHints(node, shape);
    return node;
  }

  private select(shape: Shape, place: Place, choices: Choice[]): SelectNode | JsonNode {
    const options: SelectOption[] = [];
    const texts = new Set<string>();
    for (const choice of choices) {
      const text = jsonText(choice.value);
      if (text === undefined || texts.has(text)) continue;
      texts.add(text);
      const label = choice.title !== undefined && choice.title.trim() !== '' ? choice.title : typeof choice.value === 'string' ? choice.value : text;
      options.push({ value: text, label });
    }
    if (options.length === 0) return this.json(shape, place, 'no value is allowed (empty enum)');
    const node: SelectNode = { kind: 'select', ...this.base(shape, place), options, texts };
    this.finishHints(node, shape);
    return node;
  }

  private object(shape: Shape, place: Place): ObjectNode | JsonNode {
    const s = shape.schema;
    if (place.depth >= FORM_LIMITS.maxDepth) return this.json(shape, place, `too deeply nested (more than ${FORM_LIMITS.maxDepth} levels)`);
    const properties = own(s, 'properties');
    const keys = isPlainObject(properties) ? Object.keys(properties) : [];
    const extra = ['additionalProperties', 'patternProperties', 'unevaluatedProperties'].some((keyword) => {
      const value = own(s, keyword);
      return value !== undefined && value !== false;
    });
    if (keys.length === 0) {
      // The root of a tool without arguments usually says just `{type: "object"}`; elsewhere that is any object.
      const closed = place.isRoot ? !extra && !(Array.isArray(own(s, 'required')) && (own(s, 'required') as unknown[]).length > 0) : !extra && own(s, 'additionalProperties') === false;
      if (!closed) return this.json(shape, place, 'object with free-form properties');
    }
    const node: ObjectNode = { kind: 'object', ...this.base(shape, place), props: [], byKey: new Map() };
    if (keys.length > 0 && extra) node.hints.push('more properties are allowed (in the JSON editor)');
    const requiredList = own(s, 'required');
    const required = new Set(Array.isArray(requiredList) ? requiredList.filter((name): name is string => typeof name === 'string') : []);
    for (const key of keys) {
      const child = this.node(own(properties as Schema, key), {
        name: `${place.name}/${escapeSegment(key)}`,
        key,
        guessName: key,
        depth: place.depth + 1,
        schemaRequired: required.has(key),
        isItem: false,
        isRoot: false,
      });
      node.props.push({ key, node: child });
      node.byKey.set(key, child);
    }
    this.finishHints(node, shape);
    return node;
  }

  private array(shape: Shape, place: Place): ArrayNode | JsonNode {
    const s = shape.schema;
    if (place.depth >= FORM_LIMITS.maxDepth) return this.json(shape, place, `too deeply nested (more than ${FORM_LIMITS.maxDepth} levels)`);
    const items = own(s, 'items');
    if (items === false) return this.json(shape, place, 'an array that must stay empty');
    if (!isPlainObject(items)) return this.json(shape, place, 'array of items of any type');
    const itemNode = this.node(items, {
      name: `${place.name}/${ITEM}`,
      guessName: place.guessName,
      depth: place.depth + 1,
      schemaRequired: true,
      isItem: true,
      isRoot: false,
    });
    if (itemNode.kind === 'json') return this.json(shape, place, `array items: ${itemNode.reason}`);
    const node: ArrayNode = { kind: 'array', ...this.base(shape, place), rowStart: `${place.name}/${ROW_MARKER}`, itemNode };
    const minItems = countOf(own(s, 'minItems'));
    const maxItems = countOf(own(s, 'maxItems'));
    if (minItems !== undefined) node.minItems = minItems;
    if (maxItems !== undefined) node.maxItems = maxItems;
    const range = rangeHint(minItems, maxItems, (n) => `${n} item${n === 1 ? '' : 's'}`);
    if (range) node.hints.push(range);
    if (own(s, 'uniqueItems') === true) node.hints.push('items must be unique');
    this.finishHints(node, shape);
    return node;
  }

  private json(shape: Shape, place: Place, reason: string): JsonNode {
    const node: JsonNode = { kind: 'json', ...this.base(shape, place), reason };
    this.finishHints(node, shape);
    return node;
  }
}

/**
 * The schema behind nullable and single-branch wrappers (`nullable: true`, a `type` list with
 * "null", `anyOf`/`oneOf` of one schema and null branches, whose outer keywords win), and what it
 * renders as.
 */
function unwrap(input: unknown): Shape {
  if (input === true) return { schema: {}, nullable: false, reason: 'any JSON value' };
  if (input === false) return { schema: {}, nullable: false, reason: 'no value is allowed here' };
  if (!isPlainObject(input)) return { schema: {}, nullable: false, reason: 'the schema is not a JSON Schema' };
  let schema = input;
  let nullable = false;
  for (let round = 0; ; round++) {
    if (own(schema, 'nullable') === true) nullable = true;
    const anyOf = own(schema, 'anyOf');
    const oneOf = own(schema, 'oneOf');
    if (anyOf === undefined && oneOf === undefined) break;
    if (anyOf !== undefined && oneOf !== undefined) return { schema, nullable, reason: 'both anyOf and oneOf' };
    const keyword = anyOf !== undefined ? 'anyOf' : 'oneOf';
    const branches = anyOf ?? oneOf;
    if (!Array.isArray(branches)) return { schema, nullable, reason: `${keyword} that is not a list` };
    if (branches.length === 0) return { schema, nullable, reason: `empty ${keyword}` };
    if (round >= MAX_UNWRAP) return { schema, nullable, reason: `${keyword} nested too deeply` };
    const others = branches.filter((branch) => !isNullSchema(branch));
    if (others.length === 0) return { schema, nullable, choices: [{ value: null }] };
    if (others.length === 1 && isPlainObject(others[0])) {
      schema = mergeInto(others[0], schema, keyword);
      if (others.length < branches.length) nullable = true;
      continue;
    }
    const choices = constantChoices(branches);
    if (choices !== undefined) return { schema, nullable, choices };
    const shapes = others.every((branch) => isPlainObject(branch) && (own(branch, 'type') === 'object' || Object.hasOwn(branch, 'properties')))
      ? 'several object shapes'
      : 'several schemas';
    return { schema, nullable, reason: `${keyword} of ${shapes}` };
  }
  if (own(schema, 'allOf') !== undefined) return { schema, nullable, reason: 'allOf (several schemas combined)' };
  if (own(schema, 'not') !== undefined) return { schema, nullable, reason: 'not (a schema that excludes values)' };
  if (own(schema, 'prefixItems') !== undefined) return { schema, nullable, reason: 'tuple (prefixItems)' };
  const declared = own(schema, 'type');
  let types = typeof declared === 'string' ? [declared] : Array.isArray(declared) ? declared.filter((type): type is string => typeof type === 'string') : [];
  let onlyNull = false;
  if (types.includes('null')) {
    types = types.filter((type) => type !== 'null');
    nullable = true;
    onlyNull = types.length === 0;
  }
  const values = own(schema, 'enum');
  if (Array.isArray(values)) return { schema, nullable, choices: values.map((value) => ({ value })) };
  if (Object.hasOwn(schema, 'const')) return { schema, nullable, choices: [{ value: own(schema, 'const') }] };
  types = [...new Set(types)];
  if (types.includes('number') && types.includes('integer')) types = types.filter((type) => type !== 'integer');
  if (types.length > 1) return { schema, nullable, reason: `several types (${types.map(clip).join(', ')})` };
  if (onlyNull) return { schema, nullable: false, choices: [{ value: null }] };
  const shape: Shape = { schema, nullable };
  if (types[0] !== undefined) shape.type = types[0];
  return shape;
}

/** `inner`'s keywords, then `outer`'s but `skip` (outer annotations such as title and default win). A new object. */
function mergeInto(inner: Schema, outer: Schema, skip: string): Schema {
  const merged: Schema = {};
  for (const key of Object.keys(inner)) setOwn(merged, key, own(inner, key));
  for (const key of Object.keys(outer)) if (key !== skip) setOwn(merged, key, own(outer, key));
  return merged;
}

/** `{type: "null"}`, `{type: ["null"]}`, `{const: null}` or `{enum: [null]}`. */
function isNullSchema(branch: unknown): boolean {
  if (!isPlainObject(branch)) return false;
  const type = own(branch, 'type');
  if (type === 'null' || (Array.isArray(type) && type.length === 1 && type[0] === 'null')) return true;
  if (Object.hasOwn(branch, 'const') && own(branch, 'const') === null) return true;
  const values = own(branch, 'enum');
  return Array.isArray(values) && values.length === 1 && values[0] === null;
}

/** The choices of an `anyOf` whose branches each allow one primitive value; undefined otherwise. */
function constantChoices(branches: unknown[]): Choice[] | undefined {
  const choices: Choice[] = [];
  for (const branch of branches) {
    if (!isPlainObject(branch)) return undefined;
    let value: unknown;
    if (Object.hasOwn(branch, 'const')) value = own(branch, 'const');
    else if (Array.isArray(own(branch, 'enum')) && (own(branch, 'enum') as unknown[]).length === 1) value = (own(branch, 'enum') as unknown[])[0];
    else if (isNullSchema(branch)) value = null;
    else return undefined;
    if (!isPrimitive(value)) return undefined;
    const title = own(branch, 'title');
    choices.push(typeof title === 'string' ? { value, title } : { value });
  }
  return choices;
}

// ───────────────────────────── nodes + values → fields ─────────────────────────────

/** Instantiates nodes with values, tracking whether every given value found its place. */
class Builder {
  fits = true;
  private rendered = 0;

  /**
   * The field of `node` holding `given` (undefined: none given, so the default). `quiet`: the
   * value comes from a default or a template, whose misfits do not matter.
   */
  field(node: Node, given: unknown, quiet: boolean): FormField {
    this.rendered++;
    let value = given;
    if (value === undefined && node.fallback !== undefined) {
      value = node.fallback;
      quiet = true;
    }
    const misfit = (): void => {
      if (!quiet) this.fits = false;
    };
    // A value that fits no field; null stands for "empty" in a nullable one.
    const unexpected = (): void => {
      if (value !== undefined && !(value === null && node.nullable)) misfit();
    };
    const base = baseOf(node);
    switch (node.kind) {
      case 'text': {
        let text = '';
        if (typeof value === 'string') {
          text = value;
          if (value.includes('\r')) misfit(); // browsers submit line breaks as CRLF, decoded as LF
        } else unexpected();
        const field: TextField = { ...base, kind: 'text', value: text, multiline: node.multiline || text.includes('\n'), inputType: node.inputType };
        // Date and time inputs show (and submit) nothing for text they cannot parse.
        if (field.inputType === 'date' && text !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(text)) field.inputType = 'text';
        if (field.inputType === 'time' && text !== '' && !/^\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(text)) field.inputType = 'text';
        if (node.minLength !== undefined) field.minLength = node.minLength;
        if (node.maxLength !== undefined) field.maxLength = node.maxLength;
        if (node.pattern !== undefined) field.pattern = node.pattern;
        if (node.placeholder !== undefined) field.placeholder = node.placeholder;
        return field;
      }
      case 'number': {
        let text = '';
        if (typeof value === 'number' && Number.isFinite(value) && (!node.integer || Number.isInteger(value))) text = String(value);
        else unexpected();
        const field: NumberField = { ...base, kind: 'number', integer: node.integer, value: text, step: node.step };
        if (node.min !== undefined) field.min = node.min;
        if (node.max !== undefined) field.max = node.max;
        return field;
      }
      case 'boolean':
        if (typeof value !== 'boolean') unexpected();
        return { ...base, kind: 'boolean', checked: value === true };
      case 'select': {
        const field: SelectField = { ...base, kind: 'select', options: node.options, allowEmpty: !node.required };
        const text = value === undefined ? undefined : jsonText(value);
        if (text !== undefined && node.texts.has(text)) field.selected = text;
        else unexpected();
        return field;
      }
      case 'json':
        return { ...base, kind: 'json', value: value === undefined ? '' : prettyJson(value, misfit), reason: node.reason };
      case 'object': {
        const object = isPlainObject(value) ? value : undefined;
        if (object === undefined) unexpected();
        else if (!quiet) for (const key of Object.keys(object)) if (!node.byKey.has(key)) misfit();
        const fields = node.props.map(({ key, node: child }) => this.field(child, object === undefined ? undefined : own(object, key), quiet));
        return { ...base, kind: 'object', fields };
      }
      case 'array': {
        const rows: FormField[] = [];
        if (Array.isArray(value)) {
          for (const item of value) {
            if (this.rendered >= FORM_LIMITS.maxRenderedFields) {
              misfit();
              break;
            }
            rows.push(this.field(node.itemNode, item, quiet));
          }
        } else unexpected();
        const field: ArrayField = { ...base, kind: 'array', rowStart: node.rowStart, rows, template: this.field(node.itemNode, undefined, true) };
        if (node.minItems !== undefined) field.minItems = node.minItems;
        if (node.maxItems !== undefined) field.maxItems = node.maxItems;
        return field;
      }
    }
  }
}

function baseOf(node: Node): Omit<FieldBase, 'kind'> {
  const base: Omit<FieldBase, 'kind'> = { name: node.name, label: node.label, required: node.required, nullable: node.nullable, hints: [...node.hints] };
  if (node.key !== undefined) base.key = node.key;
  if (node.description !== undefined) base.description = node.description;
  return base;
}

function jsonField(name: string, label: string, reason: string, value: unknown): JsonField {
  return { kind: 'json', name, label, required: true, nullable: false, hints: [], value: value === undefined ? '' : prettyJson(value, () => {}), reason };
}

// ───────────────────────────── entries → arguments ─────────────────────────────

/** What the entries said about one field instance: its last raw text, its properties, its rows. */
interface State {
  raw?: string;
  props?: Map<string, State>;
  rows?: State[];
}

/** Where a name leads: property keys and "current item" steps, then a leaf or an array's row marker. */
interface Target {
  steps: (string | typeof ITEM_STEP)[];
  marker: boolean;
}
const ITEM_STEP = Symbol('item');

/** Reads entries in document order into a tree of states. */
class Decoder {
  private readonly targets = new Map<string, Target | null>();

  constructor(private readonly root: Node) {}

  read(entries: Iterable<[string, string]>): State {
    const state: State = {};
    if (entries === null || entries === undefined) return state;
    try {
      for (const entry of entries as Iterable<unknown>) {
        if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'string') continue;
        const target = this.target(entry[0]);
        if (target) apply(state, target, entry[1]);
      }
    } catch {
      // An iterable that fails midway: what was read so far counts.
    }
    return state;
  }

  private target(name: string): Target | null {
    let target = this.targets.get(name);
    if (target === undefined) {
      target = resolveName(this.root, name);
      this.targets.set(name, target);
    }
    return target;
  }
}

function resolveName(root: Node, name: string): Target | null {
  if (name === FORM_PREFIX) return isLeaf(root) ? { steps: [], marker: false } : null;
  if (!name.startsWith(`${FORM_PREFIX}/`)) return null;
  const segments = name.slice(FORM_PREFIX.length + 1).split('/');
  const steps: Target['steps'] = [];
  let node: Node = root;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (node.kind === 'object') {
      const key = unescapeSegment(segment);
      const child = key === undefined ? undefined : node.byKey.get(key);
      if (child === undefined) return null;
      steps.push(key!);
      node = child;
    } else if (node.kind === 'array') {
      if (segment === ROW_MARKER && i === segments.length - 1) return { steps, marker: true };
      if (segment !== ITEM) return null;
      steps.push(ITEM_STEP);
      node = node.itemNode;
    } else return null;
  }
  return isLeaf(node) ? { steps, marker: false } : null;
}

function apply(root: State, target: Target, raw: string): void {
  let state = root;
  for (const step of target.steps) {
    if (step === ITEM_STEP) {
      const row = state.rows?.[state.rows.length - 1];
      if (row === undefined) return; // an item before any row marker: no row to fill
      state = row;
    } else {
      state.props ??= new Map();
      let child = state.props.get(step);
      if (child === undefined) {
        child = {};
        state.props.set(step, child);
      }
      state = child;
    }
  }
  if (target.marker) (state.rows ??= []).push({});
  else state.raw = raw;
}

/** A decoded value and whether the user filled something in (see "Decoding empty inputs"); undefined: omitted. */
type Decoded = { value: unknown; filled: boolean } | undefined;
type Presence = 'root' | 'row' | 'property';

function finish(node: Node, state: State | undefined, pointer: string, presence: Presence, errors: FieldError[]): Decoded {
  switch (node.kind) {
    case 'object': {
      if (presence === 'property' && state === undefined && !node.schemaRequired) return undefined;
      const object: Record<string, unknown> = {};
      let filled = false;
      for (const { key, node: child } of node.props) {
        const result = finish(child, state?.props?.get(key), `${pointer}/${escapePointer(key)}`, 'property', errors);
        if (result === undefined) continue;
        setOwn(object, key, result.value);
        filled ||= result.filled;
      }
      if (presence === 'property' && !filled) {
        if (!node.schemaRequired) return undefined;
        if (node.nullable) return { value: null, filled: false };
      }
      return { value: object, filled };
    }
    case 'array': {
      const rows = state?.rows ?? [];
      if (rows.length === 0) return presence === 'property' && !node.schemaRequired ? undefined : { value: [], filled: false };
      const items: unknown[] = [];
      rows.forEach((row, index) => {
        const result = finish(node.itemNode, row, `${pointer}/${index}`, 'row', errors);
        if (result !== undefined) items.push(result.value);
      });
      return { value: items, filled: true };
    }
    default:
      return finishLeaf(node, state?.raw, pointer, errors);
  }
}

function finishLeaf(node: LeafNode, raw: string | undefined, pointer: string, errors: FieldError[]): Decoded {
  const fail = (message: string): Decoded => {
    errors.push({ field: pointer, name: node.name, message });
    return undefined;
  };
  const text = raw ?? '';
  const empty = (): Decoded => {
    if (node.kind === 'text' && (node.isItem || node.schemaRequired)) return { value: node.nullable && !node.isItem ? null : '', filled: false };
    if (node.kind === 'boolean') return node.isItem ? { value: false, filled: false } : undefined;
    if (node.schemaRequired && node.nullable) return { value: null, filled: false };
    if (node.isItem) return fail('Each item needs a value.');
    return undefined;
  };
  switch (node.kind) {
    case 'text':
      return text === '' ? empty() : { value: text.replace(/\r\n?/g, '\n'), filled: true };
    case 'boolean':
      if (raw === undefined) return empty();
      if (raw === 'true' || raw === 'on') return { value: true, filled: true };
      if (raw === 'false' || raw === '') return { value: false, filled: false };
      return fail('Not true or false.');
    case 'number': {
      const trimmed = text.trim();
      if (trimmed === '') return empty();
      const number = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
      if (!Number.isFinite(number)) return fail('Not a number.');
      if (node.integer && !Number.isInteger(number)) return fail('Not a whole number.');
      return { value: number, filled: true };
    }
    case 'select':
      if (text === '') return empty();
      if (!node.texts.has(text)) return fail('Not one of the choices.');
      return { value: JSON.parse(text) as unknown, filled: true };
    case 'json': {
      if (text.trim() === '') return empty();
      try {
        return { value: JSON.parse(text) as unknown, filled: true };
      } catch (error) {
        return fail(`Invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

// ───────────────────────────── helpers ─────────────────────────────

function isLeaf(node: Node): node is LeafNode {
  return node.kind !== 'object' && node.kind !== 'array';
}

/** A property name as a name segment: `~` → `~0`, `/` → `~1`, CR → `~2`, LF → `~3`. */
function escapeSegment(key: string): string {
  return key.replace(/[~/\r\n]/g, (char) => (char === '~' ? '~0' : char === '/' ? '~1' : char === '\r' ? '~2' : '~3'));
}

/** The property name of a segment, or undefined when it is not one (`~i`, `~r`, a stray `~`). */
function unescapeSegment(segment: string): string | undefined {
  if (!segment.includes('~')) return segment;
  if (/~(?![0-3])/.test(segment)) return undefined;
  return segment.replace(/~[0-3]/g, (escape) => (escape === '~0' ? '~' : escape === '~1' ? '/' : escape === '~2' ? '\r' : '\n'));
}

/** RFC 6901 escaping for error paths. */
function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function looksSecret(name: string): boolean {
  if (name === '') return false;
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
  return words.some((word, i) => SECRET_WORDS.has(word) || (i > 0 && SECRET_PAIRS.has(`${words[i - 1]} ${word}`)));
}

function firstExample(schema: Schema): string | undefined {
  const examples = own(schema, 'examples');
  const example = Array.isArray(examples) ? examples[0] : own(schema, 'example');
  return typeof example === 'string' && example !== '' ? example : undefined;
}

/** "2 to 10 characters", "at least 2 characters", "exactly 3 items"… or undefined without bounds. */
function rangeHint(min: number | undefined, max: number | undefined, unit: (n: number) => string): string | undefined {
  if (min !== undefined && max !== undefined) return min === max ? `exactly ${unit(min)}` : `${min} to ${unit(max)}`;
  if (min !== undefined) return `at least ${unit(min)}`;
  if (max !== undefined) return `at most ${unit(max)}`;
  return undefined;
}

/** Compact JSON text, or undefined when the value is not JSON (or cannot be written). */
function jsonText(value: unknown): string | undefined {
  try {
    const text = JSON.stringify(value) as string | undefined;
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Pretty JSON (2-space indent); '' and `misfit()` when the value cannot be written as JSON. */
function prettyJson(value: unknown, misfit: () => void): string {
  try {
    const text = JSON.stringify(value, null, 2) as string | undefined;
    if (typeof text === 'string') return text;
  } catch {
    // cyclic or too deep
  }
  misfit();
  return '';
}

function clip(text: string): string {
  return text.length > MAX_HINT_VALUE ? `${text.slice(0, MAX_HINT_VALUE)}…` : text;
}

function quote(text: string): string {
  return JSON.stringify(clip(text));
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function countOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function finiteOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isPrimitive(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

/** Defines `key` as an ordinary own property: `__proto__` stays a key and no prototype is touched. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

