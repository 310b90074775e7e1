/**
 * Renders a ready-to-paste Open WebUI "Tool": one Python file whose `Tools` class has an async
 * method per gateway tool. Open WebUI turns each method's type hints and docstring into the
 * function spec the model sees; the method POSTs its arguments to `{gateway_url}/{server}/{tool}`
 * and hands the answer (or a readable "Error <status>: ..." line) back to the model.
 *
 * Everything in the entries comes from MCP servers and is untrusted. So the generated file is
 * pure printable ASCII plus newlines: untrusted text only ever appears inside a double-quoted
 * string literal or a docstring whose backslashes, quotes, control characters and non-ASCII
 * characters are all escaped (Python restores the original text at run time), identifiers are
 * rebuilt from `[a-z0-9_]` (other scripts transliterated where a small table can), and nothing
 * untrusted reaches a comment unquoted. The header (front matter and the generated-by comment)
 * is read by Open WebUI as written, so it is escape-free instead: one line per value, in ASCII,
 * with no backslash and no `"""`. No line of untrusted text can end a string, start a
 * statement, or add a front matter line such as `requirements:` (which Open WebUI would
 * pip-install).
 *
 * Shaped by how Open WebUI reads a Tool (backend/open_webui/utils/plugin.py and tools.py):
 * - the front matter is parsed from the raw source and only if the very first line is `"""`,
 *   so the generated-by comment comes after it;
 * - every callable attribute of `Tools` not starting with `__` becomes a tool, a `_private`
 *   method included, so the HTTP helper is a module-level function, not a method;
 * - a method's description is its docstring up to the first line starting with `:param` or
 *   `:return`, and `:param name: text` lines describe parameters, one line each.
 */
import { isPlainObject, valueText, type JsonObject } from '../schema/json.js';
import { isMarkedNullable } from '../schema/nullable.js';
import { requiredNames } from '../schema/required.js';
import { typeNames } from '../schema/types.js';
import { asciiSpelling, hasUnspelledLetters } from './ascii-name.js';

/** One gateway tool to expose as a method. */
export interface OpenWebUiToolEntry {
  /** Gateway server name: the first path segment of the call. */
  server: string;
  tool: { name: string; title?: string; description?: string; inputSchema: Record<string, unknown> };
}

/** Settings of the rendered Tool as a whole. */
export interface OpenWebUiToolOptions {
  /** Default of the gateway URL valve, e.g. "http://127.0.0.1:8085". */
  gatewayUrl: string;
  /** Front matter title, e.g. "MCP Gateway: filesystem". */
  title: string;
  /** The gateway version. */
  version: string;
  /** Front matter description; a sentence naming the servers when absent. */
  description?: string;
}

/**
 * The Python source of an Open WebUI Tool with one async method per entry, in entry order.
 * Deterministic: the same entries and options always give the same text.
 */
export function renderOpenWebUiTool(entries: OpenWebUiToolEntry[], options: OpenWebUiToolOptions): string {
  const methodNames = methodIdentifiers(entries);
  const servers = uniqueServers(entries);
  const sections = [
    renderFrontMatter(options, servers),
    renderHeaderComment(options, servers),
    PREAMBLE,
    renderToolsClass(entries, methodNames, options),
  ];
  return `${sections.join('\n\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Python text: string literals and docstrings that untrusted text cannot break out of.
// ---------------------------------------------------------------------------------------------

const INDENT = '    ';

/** Lone UTF-16 surrogates cannot be encoded as UTF-8 anywhere downstream: they become U+FFFD. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function hex(codePoint: number, digits: number): string {
  return codePoint.toString(16).padStart(digits, '0');
}

/**
 * One character as it may appear between double quotes in Python source: printable ASCII as is
 * (except `\` and `"`), everything else as an escape. Newlines stay real in docstrings only.
 */
function escapeCharacter(character: string, keepNewline: boolean): string {
  switch (character) {
    case '\\':
      return '\\\\';
    case '"':
      return '\\"';
    case '\n':
      return keepNewline ? '\n' : '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
  }
  const codePoint = character.codePointAt(0) ?? 0;
  if (codePoint >= 0x20 && codePoint < 0x7f) return character;
  if (codePoint <= 0xff) return `\\x${hex(codePoint, 2)}`;
  if (codePoint <= 0xffff) return `\\u${hex(codePoint, 4)}`;
  return `\\U${hex(codePoint, 8)}`;
}

function escapeText(text: string, keepNewlines: boolean): string {
  let escaped = '';
  for (const character of wellFormed(text)) escaped += escapeCharacter(character, keepNewlines);
  return escaped;
}

/** A double-quoted Python string literal of any text; printable ASCII only, on one line. */
function pythonString(text: string): string {
  return `"${escapeText(text, false)}"`;
}

/**
 * Everything Python's `str.splitlines()` breaks lines at (Open WebUI splits docstrings and the
 * front matter with it), so that no such character can start a line of its own unnoticed.
 */
const LINE_BREAKS = /\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]/g;

/** All whitespace and line-break runs as single spaces, trimmed. */
function singleLine(text: string): string {
  return text.replace(LINE_BREAKS, ' ').replace(/\s+/g, ' ').trim();
}

/** The text's lines, split wherever Python's `str.splitlines()` would split them. */
function textLines(text: string): string[] {
  return text.replace(LINE_BREAKS, '\n').split('\n');
}

/**
 * A docstring indented for its place: the lines between `"""` and `"""`, escaped so that
 * Python reads back the given text (with `\r\n`, `\r` and other line breaks as `\n`).
 */
function renderDocstring(text: string, indent: string): string {
  const body = textLines(text).map((line) => {
    const escaped = escapeText(line, false);
    return escaped === '' ? '' : `${indent}${escaped}`;
  });
  return [`${indent}"""`, ...body, `${indent}"""`].join('\n');
}

/** A Python literal for a `Literal[...]` member: a string or a finite number. */
function pythonScalar(value: string | number): string {
  return typeof value === 'string' ? pythonString(value) : JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// Identifiers.
// ---------------------------------------------------------------------------------------------

/** Open WebUI passes method names on as function names, which models limit to 64 characters. */
const MAX_IDENTIFIER_LENGTH = 64;

const PYTHON_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue',
  'def', 'del', 'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in',
  'is', 'lambda', 'nonlocal', 'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

const PYTHON_SOFT_KEYWORDS = ['_', 'case', 'match', 'type'];

const PYTHON_BUILTINS = [
  'abs', 'aiter', 'all', 'anext', 'any', 'ascii', 'bin', 'bool', 'breakpoint', 'bytearray', 'bytes',
  'callable', 'chr', 'classmethod', 'compile', 'complex', 'copyright', 'credits', 'delattr', 'dict',
  'dir', 'divmod', 'enumerate', 'eval', 'exec', 'exit', 'filter', 'float', 'format', 'frozenset',
  'getattr', 'globals', 'hasattr', 'hash', 'help', 'hex', 'id', 'input', 'int', 'isinstance',
  'issubclass', 'iter', 'len', 'license', 'list', 'locals', 'map', 'max', 'memoryview', 'min', 'next',
  'object', 'oct', 'open', 'ord', 'pow', 'print', 'property', 'quit', 'range', 'repr', 'reversed',
  'round', 'set', 'setattr', 'slice', 'sorted', 'staticmethod', 'str', 'sum', 'super', 'tuple', 'type',
  'vars', 'zip',
];

/**
 * Names a method may not take: keywords, soft keywords and builtins (method names live in the
 * class body, where later annotations such as `str` are looked up), the module's imports, and
 * the attributes Open WebUI reads from a `Tools` instance.
 */
const RESERVED_METHOD_NAMES = new Set([
  ...PYTHON_KEYWORDS,
  ...PYTHON_SOFT_KEYWORDS,
  ...PYTHON_BUILTINS,
  'self', 'asyncio', 'json', 'aiohttp', 'valves', 'user_valves', 'citation', 'file_handler',
]);

/**
 * Names a parameter may not take: keywords and `self`, and the `model_*` members of pydantic's
 * BaseModel, which Open WebUI's `create_model` refuses as field names. Builtin names are fine:
 * a method body refers only to `self`, its parameters and `_call_gateway`.
 */
const RESERVED_PARAMETER_NAMES = new Set([
  ...PYTHON_KEYWORDS,
  'self',
  'model_computed_fields', 'model_config', 'model_construct', 'model_copy', 'model_dump',
  'model_dump_json', 'model_extra', 'model_fields', 'model_fields_set', 'model_json_schema',
  'model_parametrized_name', 'model_post_init', 'model_rebuild', 'model_validate',
  'model_validate_json', 'model_validate_strings',
]);

/** ASCII letters, digits and single `_` between words: `Café-Liste` → `Cafe_Liste`, `поиск` → `poisk`. */
function identifierWords(text: string): string {
  return asciiSpelling(wellFormed(text))
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function truncateIdentifier(name: string, length: number): string {
  return name.length <= length ? name : name.slice(0, length).replace(/_+$/, '');
}

/** `base`, or `base_2`, `base_3`, … (kept within the length limit), whichever is not taken yet. */
function claimUnique(base: string, taken: Set<string>): string {
  let name = base;
  for (let counter = 2; taken.has(name); counter += 1) {
    const suffix = `_${counter}`;
    name = `${truncateIdentifier(base, MAX_IDENTIFIER_LENGTH - suffix.length)}${suffix}`;
  }
  taken.add(name);
  return name;
}

/**
 * `{server}_{tool}` as a lowercase identifier. A long server name is cut first, so the tool's
 * part survives; one that is reserved gets `_tool` appended, one that starts with a digit `tool_`
 * prepended. A tool name with nothing to spell in ASCII (Chinese, Japanese, emoji…) is
 * `tool_<n>`, n being the entry's place in the file (from 1); its docstring names the tool.
 */
function methodBaseName(server: string, tool: string, position: number): string {
  const toolPart = identifierWords(tool).toLowerCase() || `tool_${position}`;
  let serverPart = identifierWords(server).toLowerCase();
  const room = MAX_IDENTIFIER_LENGTH - toolPart.length - 1;
  if (serverPart.length > room) serverPart = truncateIdentifier(serverPart, Math.max(room, 16));
  let name = [serverPart, toolPart].filter((part) => part !== '').join('_') || 'tool';
  if (/^[0-9]/.test(name)) name = `tool_${name}`;
  name = truncateIdentifier(name, MAX_IDENTIFIER_LENGTH);
  if (RESERVED_METHOD_NAMES.has(name)) name = `${name}_tool`;
  return name;
}

/** One unique method name per entry, in entry order. */
function methodIdentifiers(entries: OpenWebUiToolEntry[]): string[] {
  const taken = new Set<string>();
  return entries.map((entry, index) => claimUnique(methodBaseName(entry.server, entry.tool.name, index + 1), taken));
}

function isUsableParameterName(key: string): boolean {
  return (
    /^[A-Za-z][A-Za-z0-9_]*$/.test(key) && key.length <= MAX_IDENTIFIER_LENGTH && !RESERVED_PARAMETER_NAMES.has(key)
  );
}

/** A parameter identifier for a JSON key that cannot be one as it is: `file-path` → `file_path`, `class` → `class_`. */
function parameterBaseName(key: string): string {
  let name = identifierWords(key) || 'arg';
  if (/^[0-9]/.test(name)) name = `arg_${name}`;
  name = truncateIdentifier(name, MAX_IDENTIFIER_LENGTH);
  return RESERVED_PARAMETER_NAMES.has(name) ? `${name}_` : name; // reserved names are short: still ≤ 64
}

/**
 * JSON key → parameter identifier, unique within the method. Keys that are usable identifiers
 * keep their name (and are served first, so `file_path` stays `file_path` even next to `file-path`).
 */
function parameterIdentifiers(keys: string[]): Map<string, string> {
  const taken = new Set<string>();
  const identifiers = new Map<string, string>();
  for (const key of keys) {
    if (isUsableParameterName(key)) identifiers.set(key, claimUnique(key, taken));
  }
  for (const key of keys) {
    if (!identifiers.has(key)) identifiers.set(key, claimUnique(parameterBaseName(key), taken));
  }
  return identifiers;
}

// ---------------------------------------------------------------------------------------------
// JSON Schema → Python type hints and parameter descriptions.
// ---------------------------------------------------------------------------------------------

type Schema = JsonObject;

/** Nested schemas deeper than this become `Any`. */
const MAX_SCHEMA_DEPTH = 6;

interface PythonType {
  annotation: string;
  /** Whether the schema also admits `null`. */
  nullable: boolean;
}

const ANY: PythonType = { annotation: 'Any', nullable: false };

const SCALAR_TYPES: Record<string, string> = {
  string: 'str',
  integer: 'int',
  number: 'float',
  boolean: 'bool',
  object: 'dict',
};

function isLiteralValue(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/** `Literal[...]` for an enum of strings and numbers (a `null` member makes it nullable). */
function enumType(values: unknown[]): PythonType | undefined {
  const members = values.filter((value) => value !== null);
  if (members.length === 0 || !members.every(isLiteralValue)) return undefined;
  const literals = [...new Set(members.map(pythonScalar))];
  return { annotation: `Literal[${literals.join(', ')}]`, nullable: members.length < values.length };
}

/**
 * A variant that stands for null here: `type: "null"`, or an `enum` of nulls only. Not the
 * toolkit's `isNullSchema` (server/schema/nullable.ts), which also reads `type: ["null"]` and
 * `const: null` but not an empty `enum`: kept as it is so that generated files do not change.
 */
function isNullVariant(schema: unknown): boolean {
  return isPlainObject(schema) && (schema.type === 'null' || (Array.isArray(schema.enum) && schema.enum.every((v) => v === null)));
}

/** The variants of a schema's `anyOf`, else of its `oneOf`; undefined when it has neither list. */
function unionVariants(schema: Schema): unknown[] | undefined {
  return Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
}

function withNullable(type: PythonType, nullable: boolean): PythonType {
  return nullable ? { ...type, nullable: true } : type;
}

/** `X` or `Optional[X]`, for the hint of a list item or a parameter. */
function optionalAnnotation(type: PythonType): string {
  return type.nullable ? `Optional[${type.annotation}]` : type.annotation;
}

function namedType(name: string, schema: Schema, depth: number): PythonType {
  if (name === 'array') {
    const items = schema.items;
    if (!isPlainObject(items)) return { annotation: 'list', nullable: false };
    return { annotation: `List[${optionalAnnotation(pythonType(items, depth + 1))}]`, nullable: false };
  }
  const scalar = SCALAR_TYPES[name];
  return scalar ? { annotation: scalar, nullable: false } : ANY;
}

/** `type: "x"` or `type: ["x", "null"]`; several non-null types are `Any`. */
function typeKeywordType(schema: Schema, depth: number): PythonType {
  const names = typeNames(schema);
  const nonNull = [...new Set(names.filter((name) => name !== 'null'))];
  const nullable = nonNull.length < names.length;
  if (nonNull.length !== 1) return ANY;
  return withNullable(namedType(nonNull[0] as string, schema, depth), nullable);
}

/** `anyOf`/`oneOf`: one schema plus an optional null is that schema's type, anything else `Any`. */
function unionType(variants: unknown[], depth: number): PythonType {
  const nonNull = variants.filter((variant) => !isNullVariant(variant));
  if (nonNull.length !== 1) return ANY;
  return withNullable(pythonType(nonNull[0], depth + 1), nonNull.length < variants.length);
}

/** The Python type hint of a JSON schema, and whether it admits null. */
function pythonType(schema: unknown, depth = 0): PythonType {
  if (!isPlainObject(schema) || depth > MAX_SCHEMA_DEPTH) return ANY;
  const nullable = isMarkedNullable(schema);
  if (Array.isArray(schema.enum)) {
    const literal = enumType(schema.enum);
    if (literal) return withNullable(literal, nullable);
  }
  if (isLiteralValue(schema.const)) return withNullable(enumType([schema.const]) ?? ANY, nullable);
  if (schema.type !== undefined) return withNullable(typeKeywordType(schema, depth), nullable);
  const variants = unionVariants(schema);
  if (variants) return withNullable(unionType(variants, depth), nullable);
  if (isPlainObject(schema.properties)) return withNullable({ annotation: 'dict', nullable: false }, nullable);
  if (isPlainObject(schema.items)) return withNullable(namedType('array', schema, depth), nullable);
  return withNullable(ANY, nullable);
}

/** Longest hint (enum values, default, structure) written into a parameter description. */
const MAX_HINT_LENGTH = 400;

function clip(text: string, length = MAX_HINT_LENGTH): string {
  return text.length <= length ? text : `${text.slice(0, length - 3)}...`;
}

/** A compact, TypeScript-like outline of a schema: `{name: string, tags?: string[]}`. */
function schemaOutline(schema: unknown, depth = 0): string {
  if (!isPlainObject(schema) || depth > 3) return 'any';
  if (Array.isArray(schema.enum)) return schema.enum.map(valueText).join('|');
  const variants = unionVariants(schema);
  if (variants && schema.type === undefined) return variants.map((v) => schemaOutline(v, depth + 1)).join('|');
  const types = typeNames(schema);
  if (types.length > 1) return types.map((type) => schemaOutline({ ...schema, type }, depth)).join('|');
  const type = types[0] ?? (isPlainObject(schema.properties) ? 'object' : isPlainObject(schema.items) ? 'array' : undefined);
  if (type === 'array') return `${schemaOutline(schema.items, depth + 1)}[]`;
  if (type === 'object' && isPlainObject(schema.properties)) {
    const required = requiredNames(schema);
    const fields = Object.entries(schema.properties).map(
      ([key, value]) => `${key}${required.has(key) ? '' : '?'}: ${schemaOutline(value, depth + 1)}`,
    );
    return `{${fields.join(', ')}}`;
  }
  return typeof type === 'string' ? type : 'any';
}

/** The schema itself, or the one non-null variant of an `anyOf`/`oneOf`. */
function nonNullSchema(schema: Schema): Schema {
  const variants = unionVariants(schema) ?? [];
  const nonNull = variants.filter((variant) => !isNullVariant(variant));
  return nonNull.length === 1 && isPlainObject(nonNull[0]) ? nonNull[0] : schema;
}

/** Whether the hint `dict` / `List[dict]` hides properties the model needs to know about. */
function hasHiddenStructure(schema: Schema): boolean {
  const base = nonNullSchema(schema);
  if (isPlainObject(base.properties)) return true;
  return isPlainObject(base.items) && (isPlainObject(base.items.properties) || isPlainObject(base.items.items));
}

/** Hints the Python type hint alone does not carry: enum values, format, default and structure. */
function parameterHints(schema: Schema): string[] {
  const hints: string[] = [];
  if (Array.isArray(schema.enum) && schema.enum.length > 0) hints.push(`Allowed values: ${clip(schema.enum.map(valueText).join(', '))}.`);
  if (typeof schema.format === 'string') hints.push(`Format: ${clip(schema.format, 60)}.`);
  if (schema.default !== undefined) hints.push(`Default: ${clip(valueText(schema.default))}.`);
  if (hasHiddenStructure(schema)) hints.push(`Structure: ${clip(schemaOutline(schema))}.`);
  return hints;
}

/**
 * A parameter's one-line description: its own text (as a sentence when hints follow), then the
 * hints; the JSON key when there is neither.
 */
function parameterDescription(key: string, schema: unknown): string {
  const own = isPlainObject(schema) ? schema : {};
  const text = singleLine(typeof own.description === 'string' ? own.description : typeof own.title === 'string' ? own.title : '');
  const hints = parameterHints(own);
  if (text === '' && hints.length === 0) return singleLine(key) || '(no description)';
  const lead = text !== '' && hints.length > 0 && !/[.!?:;]$/.test(text) ? `${text}.` : text;
  return singleLine([lead, ...hints].join(' '));
}

interface Parameter {
  key: string;
  identifier: string;
  required: boolean;
  type: PythonType;
  description: string;
}

/**
 * The method's parameters: required ones first, then optional ones, each group in the order of
 * `properties` (required keys missing from `properties` last among the required, as `Any`).
 */
function toolParameters(inputSchema: unknown): Parameter[] {
  const schema = isPlainObject(inputSchema) ? inputSchema : {};
  const properties = isPlainObject(schema.properties) ? schema.properties : {};
  const required = requiredNames(schema);
  const keys = Object.keys(properties);
  const requiredOrder = [...keys.filter((key) => required.has(key)), ...[...required].filter((key) => !(key in properties))];
  const optionalOrder = keys.filter((key) => !required.has(key));
  const identifiers = parameterIdentifiers([...requiredOrder, ...optionalOrder]);
  const parameter = (key: string, isRequired: boolean): Parameter => {
    const propertySchema = Object.hasOwn(properties, key) ? properties[key] : undefined;
    return {
      key,
      identifier: identifiers.get(key) as string,
      required: isRequired,
      type: pythonType(propertySchema),
      description: parameterDescription(key, propertySchema),
    };
  };
  return [...requiredOrder.map((key) => parameter(key, true)), ...optionalOrder.map((key) => parameter(key, false))];
}

// ---------------------------------------------------------------------------------------------
// The Python file.
// ---------------------------------------------------------------------------------------------

function uniqueServers(entries: OpenWebUiToolEntry[]): string[] {
  return [...new Set(entries.map((entry) => entry.server))];
}

/**
 * Text for the file's header (front matter and comments), which Open WebUI reads as it is
 * written, escapes and all: on one line, in ASCII (transliterated, `?` for what cannot be),
 * without a backslash (`/` instead: Python would read one as an escape) and without `"""`
 * (which would end the docstring: such runs of double quotes become single quotes).
 */
function headerText(text: string): string {
  return asciiSpelling(wellFormed(singleLine(text)))
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\\/g, '/')
    .replace(/"{3,}/g, (run) => "'".repeat(run.length));
}

/** The module docstring Open WebUI reads its metadata from; every value on one line. */
function renderFrontMatter(options: OpenWebUiToolOptions, servers: string[]): string {
  const description =
    options.description ??
    (servers.length > 0
      ? `Use the tools of the MCP servers ${servers.join(', ')} through mcp-gateway.`
      : 'Use MCP tools through mcp-gateway.');
  const fields: Array<[string, string]> = [
    ['title', options.title],
    ['author', 'mcp-gateway'],
    ['version', options.version],
    ['description', description],
  ];
  const lines = fields.map(([key, value]) => `${key}: ${headerText(value)}`);
  return ['"""', ...lines, '"""'].join('\n');
}

/** Server names appear in quotes, each on the one comment line. */
function renderHeaderComment(options: OpenWebUiToolOptions, servers: string[]): string {
  const serverList = servers.length > 0 ? servers.map((server) => `"${headerText(server)}"`).join(', ') : '(none)';
  return [
    `# Generated by mcp-gateway ${headerText(options.version)} for the MCP servers: ${serverList}.`,
    '# Each method calls POST {gateway_url}/{server}/{tool} on the gateway. Set the gateway URL and',
    '# API key in the Valves of this tool; regenerate the file rather than editing it.',
  ].join('\n');
}

/**
 * Imports and the HTTP helper. `_call_gateway` is a module-level function because Open WebUI
 * would offer any non-dunder method of `Tools` (a `_private` one too) to the model as a tool.
 */
const PREAMBLE = `import asyncio
import json
from typing import Any, List, Literal, Optional

import aiohttp
from pydantic import BaseModel, Field


def _error_message(status: int, reason: Optional[str], text: str) -> str:
    """A failed call as one readable line, from the problem document when there is one."""
    message = text.strip()
    try:
        problem = json.loads(text)
    except ValueError:
        problem = None
    if isinstance(problem, dict):
        message = problem.get("detail") or problem.get("title") or message
    return f"Error {status}: {message or reason or 'the gateway answered with an error'}"


def _result_text(text: str) -> str:
    """The tool's result for the model: a JSON string as itself, other JSON re-serialised."""
    try:
        result = json.loads(text)
    except ValueError:
        return text
    if isinstance(result, str):
        return result
    return json.dumps(result, ensure_ascii=False)


async def _call_gateway(valves: Any, path: str, required: dict, optional: dict) -> str:
    """POST the arguments (optional ones only when given) to the gateway; the answer as text."""
    arguments = dict(required)
    arguments.update({key: value for key, value in optional.items() if value is not None})
    url = valves.gateway_url.rstrip("/") + path
    headers = {"Accept": "application/json"}
    if valves.api_key:
        headers["Authorization"] = f"Bearer {valves.api_key}"
    timeout = aiohttp.ClientTimeout(total=valves.timeout_seconds)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(url, json=arguments, headers=headers) as response:
                text = await response.text()
                if response.status >= 400:
                    return _error_message(response.status, response.reason, text)
                return _result_text(text)
    except asyncio.TimeoutError:
        return f"Error: the MCP gateway did not answer within {valves.timeout_seconds} seconds"
    except aiohttp.ClientError as error:
        return f"Error: could not reach the MCP gateway at {url}: {error}"
`;

function renderValves(options: OpenWebUiToolOptions): string {
  const field = (declaration: string, defaultValue: string, description: string) =>
    [
      `${INDENT.repeat(2)}${declaration} = Field(`,
      `${INDENT.repeat(3)}default=${defaultValue},`,
      `${INDENT.repeat(3)}description=${pythonString(description)},`,
      `${INDENT.repeat(2)})`,
    ].join('\n');
  return [
    `${INDENT}class Valves(BaseModel):`,
    field('gateway_url: str', pythonString(options.gatewayUrl), 'Base URL of the MCP gateway, e.g. http://127.0.0.1:8085.'),
    field(
      'api_key: str',
      '""',
      'API key of the gateway, sent as the header Authorization: Bearer <key>. Leave empty if the gateway needs none.',
    ),
    field('timeout_seconds: int', '300', 'How long to wait for a tool call to finish, in seconds.'),
    '',
    `${INDENT}def __init__(self):`,
    `${INDENT.repeat(2)}self.valves = self.Valves()`,
  ].join('\n');
}

/** The gateway path of a tool, each segment percent-encoded; `.`/`..` too, so no client collapses them. */
function gatewayPath(server: string, tool: string): string {
  const segment = (name: string) =>
    name === '.' || name === '..' ? name.replace(/\./g, '%2E') : encodeURIComponent(wellFormed(name));
  return `/${segment(server)}/${segment(tool)}`;
}

/** Description lines that Open WebUI would take for `:param`/`:return` lines are quoted. */
function neutraliseFieldLines(text: string): string {
  return textLines(text)
    .map((line) => (/^\s*:(param|return)/i.test(line) ? `> ${line.trim()}` : line))
    .join('\n');
}

/**
 * The title and description; when there are none, a sentence naming the tool. A name the method
 * name cannot spell (see {@link methodBaseName}) is always told, so the model still sees it.
 */
function toolSummary(entry: OpenWebUiToolEntry): string {
  const title = singleLine(entry.tool.title ?? '');
  const description = (entry.tool.description ?? '').trim();
  const parts = [title, description].filter((part) => part !== '');
  if (title !== '' && singleLine(description) === title) parts.pop();
  const naming = `Calls the tool ${entry.tool.name} of the MCP server ${entry.server}.`;
  if (parts.length === 0 || hasUnspelledLetters(entry.tool.name)) parts.push(naming);
  return neutraliseFieldLines(parts.join('\n\n'));
}

function methodDocstring(entry: OpenWebUiToolEntry, parameters: Parameter[]): string {
  const lines = [
    toolSummary(entry),
    '',
    ...parameters.map((parameter) => `:param ${parameter.identifier}: ${parameter.description}`),
    ":return: The tool's result as text or JSON; if the call failed, a line that starts with Error.",
  ];
  return renderDocstring(lines.join('\n'), INDENT.repeat(2));
}

function signatureParameter(parameter: Parameter): string {
  if (parameter.required) return `${parameter.identifier}: ${optionalAnnotation(parameter.type)}`;
  return `${parameter.identifier}: Optional[${parameter.type.annotation}] = None`;
}

/** `async def name(self, ...) -> str:` on one line when it fits, else one parameter a line. */
function methodSignature(name: string, parameters: Parameter[]): string {
  const items = ['self', ...parameters.map(signatureParameter)];
  const oneLine = `${INDENT}async def ${name}(${items.join(', ')}) -> str:`;
  if (oneLine.length <= 100) return oneLine;
  return [`${INDENT}async def ${name}(`, ...items.map((item) => `${INDENT.repeat(2)}${item},`), `${INDENT}) -> str:`].join('\n');
}

/** `{"json key": identifier, ...}` for the call. */
function argumentDict(parameters: Parameter[]): string {
  const pairs = parameters.map((parameter) => `${pythonString(parameter.key)}: ${parameter.identifier}`);
  return `{${pairs.join(', ')}}`;
}

function methodBody(entry: OpenWebUiToolEntry, parameters: Parameter[]): string {
  const indent = INDENT.repeat(3);
  return [
    `${INDENT.repeat(2)}return await _call_gateway(`,
    `${indent}self.valves,`,
    `${indent}${pythonString(gatewayPath(entry.server, entry.tool.name))},`,
    `${indent}${argumentDict(parameters.filter((parameter) => parameter.required))},`,
    `${indent}${argumentDict(parameters.filter((parameter) => !parameter.required))},`,
    `${INDENT.repeat(2)})`,
  ].join('\n');
}

function renderMethod(entry: OpenWebUiToolEntry, name: string): string {
  const parameters = toolParameters(entry.tool.inputSchema);
  return [methodSignature(name, parameters), methodDocstring(entry, parameters), methodBody(entry, parameters)].join('\n');
}

function renderToolsClass(entries: OpenWebUiToolEntry[], methodNames: string[], options: OpenWebUiToolOptions): string {
  const methods = entries.map((entry, index) => renderMethod(entry, methodNames[index] as string));
  return ['class Tools:', [renderValves(options), ...methods].join('\n\n')].join('\n');
}
