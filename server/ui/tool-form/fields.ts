/** What a tool's test form is made of: its fields, as `buildForm` hands them to the page, and its limits. */

/** Limits on what one form renders. */
export const FORM_LIMITS = {
  /** Deepest nesting of fields: objects and arrays at this depth (the root's properties are at 1) become JSON fields. */
  maxDepth: 6,
  /** Most fields generated from one schema (the root not counted); every further field is a JSON field. */
  maxFields: 400,
  /** Most fields instantiated by one `buildForm`, rows of prefilled values included; further rows are dropped (then `fits` is false). */
  maxRenderedFields: 5000,
} as const;

export type FormField = TextField | NumberField | BooleanField | SelectField | ObjectField | ArrayField | JsonField;

export interface FieldBase {
  /** Which input renders this field. */
  kind: FormField['kind'];
  /** The HTML `name` of the input (see `names.ts`); never ''. Identical in every row of an array. */
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

export interface FieldError {
  /** JSON-pointer-like path of the value, with row indexes, e.g. `/items/0/name` ('' for the whole arguments). */
  field: string;
  /** The HTML name of the input (the same in every row); always set by `decodeForm`. */
  name?: string;
  /** What is wrong, for a human. */
  message: string;
}
