/** Nodes + values → fields: a tool's test form, prefilled, and whether the given values fit it. */
import { isPlainObject, jsonText, own } from '../../schema/json.js';
import { Compiler } from './compile.js';
import {
  FORM_LIMITS,
  type ArrayField,
  type FieldBase,
  type FormField,
  type JsonField,
  type NumberField,
  type ObjectField,
  type SelectField,
  type TextField,
  type ToolForm,
} from './fields.js';
import { FORM_PREFIX } from './names.js';
import type { Node } from './nodes.js';

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
        const field: TextField = {
          ...base,
          kind: 'text',
          value: text,
          multiline: node.multiline || text.includes('\n'),
          inputType: node.inputType,
        };
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
        const fields = node.props.map(({ key, node: child }) =>
          this.field(child, object === undefined ? undefined : own(object, key), quiet),
        );
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
        const field: ArrayField = {
          ...base,
          kind: 'array',
          rowStart: node.rowStart,
          rows,
          template: this.field(node.itemNode, undefined, true),
        };
        if (node.minItems !== undefined) field.minItems = node.minItems;
        if (node.maxItems !== undefined) field.maxItems = node.maxItems;
        return field;
      }
    }
  }
}

function baseOf(node: Node): Omit<FieldBase, 'kind'> {
  const base: Omit<FieldBase, 'kind'> = {
    name: node.name,
    label: node.label,
    required: node.required,
    nullable: node.nullable,
    hints: [...node.hints],
  };
  if (node.key !== undefined) base.key = node.key;
  if (node.description !== undefined) base.description = node.description;
  return base;
}

function jsonField(name: string, label: string, reason: string, value: unknown): JsonField {
  return {
    kind: 'json',
    name,
    label,
    required: true,
    nullable: false,
    hints: [],
    value: value === undefined ? '' : prettyJson(value, () => {}),
    reason,
  };
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
