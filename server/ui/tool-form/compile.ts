/**
 * Schema → nodes: one walk of a tool's input schema, reading every keyword through its checks,
 * within {@link FORM_LIMITS}. What cannot be rendered as a field becomes a JSON node with a reason.
 */
import { NodeBudget } from '../../schema/budget.js';
import { countOf, finiteOf, isJsonPrimitive, isPlainObject, jsonText, own, setOwn, type JsonObject } from '../../schema/json.js';
import { isMarkedNullable, isNullSchema } from '../../schema/nullable.js';
import { clipText, quoteText } from '../../schema/quote.js';
import { requiredNames } from '../../schema/required.js';
import { typeNames, unionOfTypes } from '../../schema/types.js';
import { FORM_LIMITS, type SelectOption, type TextInputType } from './fields.js';
import { FORM_PREFIX, ITEM, ROW_MARKER, escapeSegment } from './names.js';
import type { ArrayNode, JsonNode, Node, NodeBase, NumberNode, ObjectNode, SelectNode, TextNode } from './nodes.js';

type Schema = JsonObject;

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
export class Compiler {
  private readonly fields = new NodeBudget(FORM_LIMITS.maxFields);

  root(schema: unknown): Node {
    const place: Place = { name: FORM_PREFIX, guessName: '', depth: 0, schemaRequired: true, isItem: false, isRoot: true };
    const shape = unwrap(schema);
    if (
      shape.reason === undefined &&
      shape.choices === undefined &&
      (shape.type === 'object' || (shape.type === undefined && Object.hasOwn(shape.schema, 'properties')))
    ) {
      return this.object(shape, place);
    }
    const reason =
      shape.reason ??
      (shape.choices !== undefined
        ? 'the arguments are not an object'
        : shape.type === undefined
          ? 'the schema does not describe an object'
          : `the arguments are of type ${shape.type}, not an object`);
    return this.json(shape, place, reason);
  }

  private node(schema: unknown, place: Place): Node {
    if (!this.fields.take()) {
      return this.json(
        { schema: isPlainObject(schema) ? schema : {}, nullable: false },
        place,
        `the form has more than ${FORM_LIMITS.maxFields} fields`,
      );
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
      const label =
        choice.title !== undefined && choice.title.trim() !== '' ? choice.title : typeof choice.value === 'string' ? choice.value : text;
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
      const closed = place.isRoot
        ? !extra && !(Array.isArray(own(s, 'required')) && (own(s, 'required') as unknown[]).length > 0)
        : !extra && own(s, 'additionalProperties') === false;
      if (!closed) return this.json(shape, place, 'object with free-form properties');
    }
    const node: ObjectNode = { kind: 'object', ...this.base(shape, place), props: [], byKey: new Map() };
    if (keys.length > 0 && extra) node.hints.push('more properties are allowed (in the JSON editor)');
    const required = requiredNames(s);
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
    if (isMarkedNullable(schema)) nullable = true;
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
    const shapes = others.every(
      (branch) => isPlainObject(branch) && (own(branch, 'type') === 'object' || Object.hasOwn(branch, 'properties')),
    )
      ? 'several object shapes'
      : 'several schemas';
    return { schema, nullable, reason: `${keyword} of ${shapes}` };
  }
  if (own(schema, 'allOf') !== undefined) return { schema, nullable, reason: 'allOf (several schemas combined)' };
  if (own(schema, 'not') !== undefined) return { schema, nullable, reason: 'not (a schema that excludes values)' };
  if (own(schema, 'prefixItems') !== undefined) return { schema, nullable, reason: 'tuple (prefixItems)' };
  let types = typeNames(schema);
  let onlyNull = false;
  if (types.includes('null')) {
    types = types.filter((type) => type !== 'null');
    nullable = true;
    onlyNull = types.length === 0;
  }
  const values = own(schema, 'enum');
  if (Array.isArray(values)) return { schema, nullable, choices: values.map((value) => ({ value })) };
  if (Object.hasOwn(schema, 'const')) return { schema, nullable, choices: [{ value: own(schema, 'const') }] };
  types = unionOfTypes(types);
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

/** The choices of an `anyOf` whose branches each allow one primitive value; undefined otherwise. */
function constantChoices(branches: unknown[]): Choice[] | undefined {
  const choices: Choice[] = [];
  for (const branch of branches) {
    if (!isPlainObject(branch)) return undefined;
    let value: unknown;
    if (Object.hasOwn(branch, 'const')) value = own(branch, 'const');
    else if (Array.isArray(own(branch, 'enum')) && (own(branch, 'enum') as unknown[]).length === 1)
      value = (own(branch, 'enum') as unknown[])[0];
    else if (isNullSchema(branch)) value = null;
    else return undefined;
    if (!isJsonPrimitive(value)) return undefined;
    const title = own(branch, 'title');
    choices.push(typeof title === 'string' ? { value, title } : { value });
  }
  return choices;
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

/** A value from the schema in a hint, cut to {@link MAX_HINT_VALUE} characters. */
function clip(text: string): string {
  return clipText(text, MAX_HINT_VALUE);
}

/** {@link clip}, in double quotes. */
function quote(text: string): string {
  return quoteText(text, MAX_HINT_VALUE);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
