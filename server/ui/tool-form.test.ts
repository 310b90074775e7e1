import { describe, expect, it } from 'vitest';
import { toRequestSchema } from '../openapi/tool-schema.js';
import {
  FORM_LIMITS,
  buildForm,
  decodeForm,
  type ArrayField,
  type BooleanField,
  type FormField,
  type JsonField,
  type NumberField,
  type ObjectField,
  type SelectField,
  type TextField,
  type ToolForm,
} from './tool-form/index.js';

type Json = Record<string, unknown>;

/** An object schema with these properties (and these required). */
function objectSchema(properties: Json, required?: unknown): Json {
  return required === undefined ? { type: 'object', properties } : { type: 'object', properties, required };
}

/** Browsers submit every line break as CRLF. */
const crlf = (text: string) => text.replace(/\r\n|\r|\n/g, '\r\n');

/** The entries a browser would submit for a field, in document order. */
function submitField(field: FormField, out: [string, string][]): void {
  switch (field.kind) {
    case 'text':
    case 'number':
    case 'json':
      out.push([field.name, field.value]);
      break;
    case 'boolean':
      out.push([field.name, 'false']);
      if (field.checked) out.push([field.name, 'true']);
      break;
    case 'select':
      // A <select> with nothing selected submits its first option.
      out.push([field.name, field.selected ?? (field.allowEmpty ? '' : field.options[0]!.value)]);
      break;
    case 'object':
      for (const child of field.fields) submitField(child, out);
      break;
    case 'array':
      for (const row of field.rows) {
        out.push([field.rowStart, '']);
        submitField(row, out);
      }
      break;
  }
}

/** Submits a built form like a browser: entries in document order, through an urlencoded body. */
function submit(form: ToolForm | FormField): [string, string][] {
  const out: [string, string][] = [];
  submitField('root' in form ? form.root : form, out);
  const body = new URLSearchParams(out.map(([name, value]) => [crlf(name), crlf(value)])).toString();
  return [...new URLSearchParams(body)];
}

/** Build with values, submit untouched, decode. */
function roundTrip(schema: unknown, values?: unknown) {
  const form = buildForm(schema, values);
  return { form, ...decodeForm(schema, submit(form)) };
}

/** The field of a property of an object field. */
function fieldOf(field: FormField, ...keys: string[]): FormField {
  let current = field;
  for (const key of keys) {
    if (current.kind !== 'object') throw new Error(`${current.name} is not an object field`);
    const next = current.fields.find((child) => child.key === key);
    if (!next) throw new Error(`no field ${key} in ${current.name}`);
    current = next;
  }
  return current;
}

function rootOf(form: ToolForm): ObjectField {
  expect(form.root.kind).toBe('object');
  return form.root as ObjectField;
}

/** Every field of a form, rows and templates included. */
function allFields(field: FormField, out: FormField[] = []): FormField[] {
  out.push(field);
  if (field.kind === 'object') for (const child of field.fields) allFields(child, out);
  if (field.kind === 'array') {
    for (const row of field.rows) allFields(row, out);
    allFields(field.template, out);
  }
  return out;
}

/** A schema nesting `levels` objects under property `n`, a string at the bottom. */
function nested(levels: number): Json {
  let schema: Json = { type: 'string' };
  for (let i = 0; i < levels; i++) schema = objectSchema({ n: schema });
  return schema;
}

describe('text fields', () => {
  const schema = objectSchema(
    {
      email: { type: 'string', format: 'email' },
      idn: { type: 'string', format: 'idn-email' },
      site: { type: 'string', format: 'uri' },
      day: { type: 'string', format: 'date' },
      at: { type: 'string', format: 'time' },
      when: { type: 'string', format: 'date-time' },
      id: { type: 'string', format: 'uuid' },
      apiKey: { type: 'string' },
      client_secret: { type: 'string' },
      max_tokens_label: { type: 'string' },
      prompt: { type: 'string' },
      short_prompt: { type: 'string', maxLength: 50 },
      notes: { type: 'string', maxLength: 1000 },
      doc: { type: 'string', contentMediaType: 'text/markdown' },
      name: { type: 'string', title: 'Full name', description: 'Who you are', minLength: 2, maxLength: 10, pattern: '^a' },
      code_exact: { type: 'string', minLength: 3, maxLength: 3 },
      sample: { type: 'string', examples: ['hello'] },
    },
    ['name'],
  );
  const root = rootOf(buildForm(schema));
  const text = (key: string) => fieldOf(root, key) as TextField;

  it('picks the input type from the format and secret-looking names', () => {
    expect(text('email').inputType).toBe('email');
    expect(text('idn').inputType).toBe('email');
    expect(text('site').inputType).toBe('url');
    expect(text('day').inputType).toBe('date');
    expect(text('at').inputType).toBe('time');
    expect(text('when').inputType).toBe('text');
    expect(text('apiKey').inputType).toBe('password');
    expect(text('client_secret').inputType).toBe('password');
    expect(text('max_tokens_label').inputType).toBe('text');
    expect(text('name').inputType).toBe('text');
  });

  it('makes long text multiline', () => {
    expect(text('prompt').multiline).toBe(true);
    expect(text('short_prompt').multiline).toBe(false);
    expect(text('notes').multiline).toBe(true);
    expect(text('doc').multiline).toBe(true);
    expect(text('name').multiline).toBe(false);
    expect(text('doc').hints).toContain('content type: text/markdown');
  });

  it('carries lengths, pattern, label, description and hints', () => {
    const name = text('name');
    expect(name).toMatchObject({
      kind: 'text',
      name: 'a/name',
      key: 'name',
      label: 'Full name',
      description: 'Who you are',
      required: true,
      minLength: 2,
      maxLength: 10,
      pattern: '^a',
      value: '',
    });
    expect(name.hints).toEqual(['2 to 10 characters', 'pattern: ^a']);
    expect(text('code_exact').hints).toEqual(['exactly 3 characters']);
    expect(text('email').label).toBe('email');
    expect(text('email').required).toBe(false);
    expect(text('email').hints).toEqual(['format: email']);
  });

  it('gives placeholders for formats and examples', () => {
    expect(text('when').placeholder).toBe('2026-01-31T12:00:00Z');
    expect(text('id').placeholder).toBe('xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx');
    expect(text('sample').placeholder).toBe('hello');
    expect(text('name').placeholder).toBeUndefined();
  });

  it('goes multiline for a value with line breaks, and back to text for dates the date input cannot show', () => {
    const root = rootOf(buildForm(schema, { name: 'ab\ncd', day: 'next monday', at: '12:00:00+02:00' }));
    expect((fieldOf(root, 'name') as TextField).multiline).toBe(true);
    expect((fieldOf(root, 'day') as TextField).inputType).toBe('text');
    expect((fieldOf(root, 'at') as TextField).inputType).toBe('text');
    const fine = rootOf(buildForm(schema, { day: '2026-02-03', at: '10:30' }));
    expect((fieldOf(fine, 'day') as TextField).inputType).toBe('date');
    expect((fieldOf(fine, 'at') as TextField).inputType).toBe('time');
  });

  it('decodes text, turning the CRLF line breaks browsers send back into LF', () => {
    const { args, errors } = roundTrip(schema, { name: 'ab\ncd', prompt: '  keep spaces  ' });
    expect(errors).toEqual([]);
    expect(args).toEqual({ name: 'ab\ncd', prompt: '  keep spaces  ' });
  });
});

describe('number fields', () => {
  const schema = objectSchema(
    {
      count: { type: 'integer', minimum: 1, maximum: 10 },
      ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      both: { type: 'number', minimum: 0, exclusiveMinimum: -1 },
      half: { type: 'number', multipleOf: 0.5 },
      old: { type: 'number', minimum: 5, exclusiveMinimum: true },
      plain: { type: 'number', default: 3 },
    },
    ['count'],
  );
  const root = rootOf(buildForm(schema));
  const number = (key: string) => fieldOf(root, key) as NumberField;

  it('has bounds, step and hints', () => {
    expect(number('count')).toMatchObject({ kind: 'number', integer: true, min: 1, max: 10, step: 1, required: true, value: '' });
    expect(number('count').hints).toEqual(['1 to 10']);
    expect(number('ratio')).toMatchObject({ integer: false, min: 0, max: 1, step: 'any' });
    expect(number('ratio').hints).toEqual(['greater than 0', 'less than 1']);
    expect(number('both').min).toBe(0);
    expect(number('both').hints).toEqual(['at least 0', 'greater than -1']);
    expect(number('half').step).toBe(0.5);
    expect(number('half').hints).toEqual(['multiple of 0.5']);
    expect(number('old').min).toBe(5);
    expect(number('old').hints).toEqual(['greater than 5']);
  });

  it('prefills the default and shows it as a hint', () => {
    expect(number('plain').value).toBe('3');
    expect(number('plain').hints).toEqual(['default: 3']);
  });

  it('decodes numbers; empty is omitted', () => {
    const { args, errors } = decodeForm(schema, [
      ['a/count', '7'],
      ['a/ratio', ' 0.25 '],
      ['a/half', '1e0'],
      ['a/plain', ''],
    ]);
    expect(errors).toEqual([]);
    expect(args).toEqual({ count: 7, ratio: 0.25, half: 1 });
  });

  it('reports text that is not a number or not an integer', () => {
    const { args, errors } = decodeForm(schema, [
      ['a/count', '2.5'],
      ['a/ratio', '0x10'],
      ['a/half', 'Infinity'],
      ['a/plain', '12abc'],
    ]);
    expect(errors).toEqual([
      { field: '/count', name: 'a/count', message: 'Not a whole number.' },
      { field: '/ratio', name: 'a/ratio', message: 'Not a number.' },
      { field: '/half', name: 'a/half', message: 'Not a number.' },
      { field: '/plain', name: 'a/plain', message: 'Not a number.' },
    ]);
    expect(args).toEqual({});
  });

  it('round-trips numbers, large and small', () => {
    const values = { count: 3, ratio: 1e-7, both: 1e21, half: -0.5 };
    const { args, errors, form } = roundTrip(schema, values);
    expect(form.fits).toBe(true);
    expect(errors).toEqual([]);
    expect(args).toEqual({ ...values, plain: 3 });
  });
});

describe('boolean fields', () => {
  const schema = objectSchema({ on: { type: 'boolean', default: true }, off: { type: 'boolean' } }, ['off']);

  it('are checked from the default or the value', () => {
    const root = rootOf(buildForm(schema));
    expect(fieldOf(root, 'on')).toMatchObject({ kind: 'boolean', checked: true });
    expect(fieldOf(root, 'off')).toMatchObject({ kind: 'boolean', checked: false, required: true });
    const prefilled = rootOf(buildForm(schema, { on: false, off: true }));
    expect((fieldOf(prefilled, 'on') as BooleanField).checked).toBe(false);
    expect((fieldOf(prefilled, 'off') as BooleanField).checked).toBe(true);
  });

  it('decode with the last value for the name winning (hidden false, then the checkbox)', () => {
    const { args } = decodeForm(schema, [
      ['a/on', 'false'],
      ['a/off', 'false'],
      ['a/off', 'true'],
    ]);
    expect(args).toEqual({ on: false, off: true });
  });

  it('round-trip', () => {
    expect(roundTrip(schema, { on: false, off: true }).args).toEqual({ on: false, off: true });
    expect(roundTrip(schema, { on: true, off: false }).args).toEqual({ on: true, off: false });
  });
});

describe('select fields', () => {
  const schema = objectSchema(
    {
      mixed: { enum: ['a', 1, 2.5, true, false, null, { x: [1] }, 'a'] },
      color: { type: 'string', enum: ['red', 'green'] },
      fixed: { const: 42 },
      size: {
        anyOf: [
          { const: 's', title: 'Small' },
          { const: 'l', title: 'Large' },
        ],
      },
      level: { oneOf: [{ enum: [1] }, { enum: [2] }, { type: 'null' }] },
    },
    ['color'],
  );
  const root = rootOf(buildForm(schema));

  it('offer enum values as JSON text, labelled by the string or its JSON', () => {
    const mixed = fieldOf(root, 'mixed') as SelectField;
    expect(mixed.kind).toBe('select');
    expect(mixed.options).toEqual([
      { value: '"a"', label: 'a' },
      { value: '1', label: '1' },
      { value: '2.5', label: '2.5' },
      { value: 'true', label: 'true' },
      { value: 'false', label: 'false' },
      { value: 'null', label: 'null' },
      { value: '{"x":[1]}', label: '{"x":[1]}' },
    ]);
    expect(mixed.allowEmpty).toBe(true);
    expect(mixed.selected).toBeUndefined();
  });

  it('do not offer the empty choice when required', () => {
    expect(fieldOf(root, 'color')).toMatchObject({ kind: 'select', required: true, allowEmpty: false });
  });

  it('serve const and anyOf/oneOf of constants, with branch titles as labels', () => {
    expect((fieldOf(root, 'fixed') as SelectField).options).toEqual([{ value: '42', label: '42' }]);
    expect((fieldOf(root, 'size') as SelectField).options).toEqual([
      { value: '"s"', label: 'Small' },
      { value: '"l"', label: 'Large' },
    ]);
    expect((fieldOf(root, 'level') as SelectField).options.map((option) => option.value)).toEqual(['1', '2', 'null']);
  });

  it('round-trip every kind of enum value', () => {
    for (const value of ['a', 1, 2.5, true, false, null, { x: [1] }]) {
      const values = { mixed: value, color: 'green' };
      const { form, args, errors } = roundTrip(schema, values);
      expect((fieldOf(rootOf(form), 'mixed') as SelectField).selected).toBe(JSON.stringify(value));
      expect(form.fits).toBe(true);
      expect(errors).toEqual([]);
      expect(args).toEqual(values);
    }
  });

  it('omit the argument for the empty choice and reject values that are not offered', () => {
    expect(
      decodeForm(schema, [
        ['a/mixed', ''],
        ['a/color', '"red"'],
      ]).args,
    ).toEqual({ color: 'red' });
    const { errors } = decodeForm(schema, [
      ['a/color', '"blue"'],
      ['a/mixed', 'not json'],
    ]);
    expect(errors.map((error) => error.field)).toEqual(['/mixed', '/color']);
  });

  it('do not fit a value that is not offered', () => {
    expect(buildForm(schema, { color: 'blue' }).fits).toBe(false);
  });
});

describe('required and nullable', () => {
  const schema = objectSchema(
    {
      must: { type: 'string' },
      may: { type: 'string' },
      maybe: { type: ['string', 'null'] },
      maybeNumber: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }], title: 'Maybe a number', description: 'outer' },
      nullableFlag: { type: 'integer', nullable: true },
      optionalMaybe: { type: ['number', 'null'] },
    },
    ['must', 'maybe', 'maybeNumber'],
  );
  const root = rootOf(buildForm(schema));

  it('flags required fields; nullable ones render as their non-null type and are not required', () => {
    expect(fieldOf(root, 'must')).toMatchObject({ kind: 'text', required: true, nullable: false });
    expect(fieldOf(root, 'may')).toMatchObject({ kind: 'text', required: false });
    expect(fieldOf(root, 'maybe')).toMatchObject({ kind: 'text', required: false, nullable: true });
    expect(fieldOf(root, 'maybeNumber')).toMatchObject({
      kind: 'number',
      integer: true,
      min: 1,
      required: false,
      nullable: true,
      label: 'Maybe a number',
      description: 'outer',
    });
    expect(fieldOf(root, 'nullableFlag')).toMatchObject({ kind: 'number', nullable: true });
    expect(fieldOf(root, 'optionalMaybe')).toMatchObject({ kind: 'number', nullable: true, required: false });
  });

  it('decode empty optional fields as omitted, a required string as "", required nullable ones as null', () => {
    const { args, errors } = decodeForm(schema, [
      ['a/must', ''],
      ['a/may', ''],
      ['a/maybe', ''],
      ['a/maybeNumber', ''],
      ['a/nullableFlag', ''],
      ['a/optionalMaybe', ''],
    ]);
    expect(errors).toEqual([]);
    expect(args).toEqual({ must: '', maybe: null, maybeNumber: null });
  });

  it('accept null for nullable fields when prefilling, but not for the others', () => {
    const fitting = buildForm(schema, { must: 'x', maybe: null, maybeNumber: null, optionalMaybe: null });
    expect(fitting.fits).toBe(true);
    expect((fieldOf(rootOf(fitting), 'maybe') as TextField).value).toBe('');
    expect(buildForm(schema, { must: null }).fits).toBe(false);
  });

  it('works on what toRequestSchema makes of OpenAPI 3.0 nullable', () => {
    const converted = toRequestSchema({
      type: 'object',
      properties: { n: { type: 'string', nullable: true }, r: { $ref: '#/$defs/R' } },
      $defs: { R: { type: 'integer' } },
    }).schema;
    const root = rootOf(buildForm(converted));
    expect(fieldOf(root, 'n')).toMatchObject({ kind: 'text', nullable: true });
    expect(fieldOf(root, 'r')).toMatchObject({ kind: 'number', integer: true });
  });
});

describe('nested objects', () => {
  const schema = objectSchema(
    {
      title: { type: 'string' },
      filter: objectSchema({ name: { type: 'string' }, exact: { type: 'boolean' }, limit: { type: 'integer' } }, ['name']),
      config: objectSchema({ mode: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } }, ['tags']),
    },
    ['config'],
  );

  it('list properties in schema order with nested names', () => {
    const root = rootOf(buildForm(schema));
    expect(root.fields.map((field) => field.name)).toEqual(['a/title', 'a/filter', 'a/config']);
    const filter = fieldOf(root, 'filter') as ObjectField;
    expect(filter.kind).toBe('object');
    expect(filter.fields.map((field) => [field.name, field.required])).toEqual([
      ['a/filter/name', true],
      ['a/filter/exact', false],
      ['a/filter/limit', false],
    ]);
    expect(fieldOf(root, 'config').required).toBe(true);
  });

  it('omit an optional object with nothing filled in (an unchecked box does not count), keep a required one', () => {
    const { args, errors } = roundTrip(schema);
    expect(errors).toEqual([]);
    expect(args).toEqual({ config: { tags: [] } });
  });

  it('keep an optional object once something is filled in, with its required fields', () => {
    const { args } = decodeForm(schema, [
      ['a/filter/name', ''],
      ['a/filter/exact', 'false'],
      ['a/filter/limit', '5'],
    ]);
    expect(args).toEqual({ filter: { name: '', exact: false, limit: 5 }, config: { tags: [] } });
    expect(
      decodeForm(schema, [
        ['a/filter/exact', 'false'],
        ['a/filter/exact', 'true'],
      ]).args,
    ).toEqual({ filter: { name: '', exact: true }, config: { tags: [] } });
  });

  it('round-trip nested values', () => {
    const values = { title: 't', filter: { name: 'n', exact: true, limit: 2 }, config: { mode: 'm', tags: ['x', 'y'] } };
    const { form, args } = roundTrip(schema, values);
    expect(form.fits).toBe(true);
    expect(args).toEqual(values);
  });
});

describe('arrays', () => {
  const schema = objectSchema({
    tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3, uniqueItems: true },
    counts: { type: 'array', items: { type: 'integer' } },
    flags: { type: 'array', items: { type: 'boolean' } },
    people: {
      type: 'array',
      items: objectSchema(
        {
          name: { type: 'string' },
          age: { type: 'integer' },
          admin: { type: 'boolean' },
          emails: { type: 'array', items: { type: 'string', format: 'email' } },
        },
        ['name'],
      ),
    },
    matrix: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
  });

  it('have a row marker, a template and one row per value', () => {
    const root = rootOf(buildForm(schema, { tags: ['a', 'b'] }));
    const tags = fieldOf(root, 'tags') as ArrayField;
    expect(tags).toMatchObject({ kind: 'array', name: 'a/tags', rowStart: 'a/tags/~r', minItems: 1, maxItems: 3 });
    expect(tags.hints).toEqual(['1 to 3 items', 'items must be unique']);
    expect(tags.rows.map((row) => [row.name, (row as TextField).value])).toEqual([
      ['a/tags/~i', 'a'],
      ['a/tags/~i', 'b'],
    ]);
    expect(tags.template).toMatchObject({ kind: 'text', name: 'a/tags/~i', label: 'Item', required: true, value: '' });
    const people = fieldOf(root, 'people') as ArrayField;
    expect(people.rows).toEqual([]);
    expect(people.template.kind).toBe('object');
    const template = people.template as ObjectField;
    expect(template.fields.map((field) => field.name)).toEqual([
      'a/people/~i/name',
      'a/people/~i/age',
      'a/people/~i/admin',
      'a/people/~i/emails',
    ]);
    expect((template.fields[3] as ArrayField).rowStart).toBe('a/people/~i/emails/~r');
    const matrix = fieldOf(root, 'matrix') as ArrayField;
    expect(matrix.template).toMatchObject({ kind: 'array', name: 'a/matrix/~i', rowStart: 'a/matrix/~i/~r' });
    expect((matrix.template as ArrayField).template.name).toBe('a/matrix/~i/~i');
  });

  it('names the same in every row and in the template (no renaming needed)', () => {
    const root = rootOf(buildForm(schema, { people: [{ name: 'x' }, { name: 'y', emails: ['a@b.c'] }] }));
    const people = fieldOf(root, 'people') as ArrayField;
    const names = (field: FormField) => [...new Set(allFields(field).map((f) => f.name))];
    expect(names(people.rows[0]!)).toEqual(names(people.template));
    expect(names(people.rows[1]!)).toEqual(names(people.template));
  });

  it('decode arrays of primitives from markers in document order', () => {
    const { args, errors } = decodeForm(schema, [
      ['a/tags/~r', ''],
      ['a/tags/~i', 'one'],
      ['a/tags/~r', ''],
      ['a/tags/~i', ''],
      ['a/counts/~r', ''],
      ['a/counts/~i', '3'],
      ['a/flags/~r', ''],
      ['a/flags/~i', 'false'],
      ['a/flags/~r', ''],
      ['a/flags/~i', 'false'],
      ['a/flags/~i', 'true'],
    ]);
    expect(errors).toEqual([]);
    expect(args).toEqual({ tags: ['one', ''], counts: [3], flags: [false, true] });
  });

  it('decode arrays of objects, a row whose optional fields are all empty included', () => {
    const { args, errors } = decodeForm(schema, [
      ['a/people/~r', ''],
      ['a/people/~i/name', 'Ann'],
      ['a/people/~i/age', '30'],
      ['a/people/~i/admin', 'false'],
      ['a/people/~i/admin', 'true'],
      ['a/people/~i/emails/~r', ''],
      ['a/people/~i/emails/~i', 'ann@example.com'],
      ['a/people/~i/emails/~r', ''],
      ['a/people/~i/emails/~i', 'ann@work.example'],
      ['a/people/~r', ''],
      ['a/people/~i/name', 'Bob'],
      ['a/people/~i/age', ''],
      ['a/people/~i/admin', 'false'],
      ['a/people/~r', ''],
      ['a/people/~i/age', ''],
    ]);
    expect(errors).toEqual([]);
    expect(args).toEqual({
      people: [
        { name: 'Ann', age: 30, admin: true, emails: ['ann@example.com', 'ann@work.example'] },
        { name: 'Bob', admin: false },
        { name: '' },
      ],
    });
  });

  it('decode arrays of arrays, each marker starting a row inside the latest outer row', () => {
    const { args } = decodeForm(schema, [
      ['a/matrix/~r', ''],
      ['a/matrix/~i/~r', ''],
      ['a/matrix/~i/~i', '1'],
      ['a/matrix/~i/~r', ''],
      ['a/matrix/~i/~i', '2'],
      ['a/matrix/~r', ''],
      ['a/matrix/~r', ''],
      ['a/matrix/~i/~r', ''],
      ['a/matrix/~i/~i', '3'],
    ]);
    expect(args).toEqual({ matrix: [[1, 2], [], [3]] });
  });

  it('omit an array without rows unless required, then []', () => {
    expect(decodeForm(schema, []).args).toEqual({});
    const required = objectSchema({ list: { type: 'array', items: { type: 'string' } } }, ['list']);
    expect(decodeForm(required, []).args).toEqual({ list: [] });
  });

  it('ignore item entries before any row marker', () => {
    expect(
      decodeForm(schema, [
        ['a/tags/~i', 'orphan'],
        ['a/tags/~r', ''],
        ['a/tags/~i', 'kept'],
      ]).args,
    ).toEqual({ tags: ['kept'] });
  });

  it('report an empty number row, with its index in the path', () => {
    const { errors } = decodeForm(schema, [
      ['a/counts/~r', ''],
      ['a/counts/~i', '1'],
      ['a/counts/~r', ''],
      ['a/counts/~i', ''],
    ]);
    expect(errors).toEqual([{ field: '/counts/1', name: 'a/counts/~i', message: 'Each item needs a value.' }]);
  });

  it('round-trip arrays of every kind', () => {
    const values = {
      tags: ['a', '', 'c'],
      counts: [1, -2],
      flags: [true, false, true],
      people: [{ name: 'Ann', age: 3, admin: false, emails: ['x@y.z'] }, { name: '' }, { name: 'Cy', emails: [] }],
      matrix: [[1.5], [], [2, 3]],
    };
    const { form, args, errors } = roundTrip(schema, values);
    expect(form.fits).toBe(true);
    expect(errors).toEqual([]);
    // Rows get every boolean (false when unchecked), and an empty optional array is omitted.
    expect(args).toEqual({
      ...values,
      people: [
        { name: 'Ann', age: 3, admin: false, emails: ['x@y.z'] },
        { name: '', admin: false },
        { name: 'Cy', admin: false },
      ],
    });
  });

  it('a row added by cloning the template decodes as an empty item', () => {
    const root = rootOf(buildForm(schema));
    const people = fieldOf(root, 'people') as ArrayField;
    const withRow: ArrayField = { ...people, rows: [structuredClone(people.template)] };
    expect(decodeForm(schema, submit(withRow)).args).toEqual({ people: [{ name: '', admin: false }] });
  });
});

describe('JSON fields', () => {
  const schema = objectSchema({
    items: { type: 'array', items: objectSchema({ meta: { type: 'object', additionalProperties: true }, name: { type: 'string' } }) },
    any: {},
  });

  it('render what the form cannot, with a reason and pretty JSON', () => {
    const root = rootOf(buildForm(schema, { items: [{ meta: { a: [1, 2] } }], any: 5 }));
    const meta = ((fieldOf(root, 'items') as ArrayField).rows[0] as ObjectField).fields[0] as JsonField;
    expect(meta).toMatchObject({
      kind: 'json',
      name: 'a/items/~i/meta',
      reason: 'object with free-form properties',
      value: '{\n  "a": [\n    1,\n    2\n  ]\n}',
    });
    expect(fieldOf(root, 'any')).toMatchObject({ kind: 'json', value: '5', reason: 'any JSON value (the schema gives no type)' });
    expect((((fieldOf(root, 'items') as ArrayField).template as ObjectField).fields[0] as JsonField).value).toBe('');
  });

  it('decode JSON text; empty is omitted; invalid JSON is an error naming the field by its path', () => {
    const { args, errors } = decodeForm(schema, [
      ['a/items/~r', ''],
      ['a/items/~i/meta', '{"k": [true]}'],
      ['a/items/~r', ''],
      ['a/items/~i/meta', '{oops'],
      ['a/items/~i/name', 'x'],
      ['a/any', '  '],
    ]);
    expect(args).toEqual({ items: [{ meta: { k: [true] } }, { name: 'x' }] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ field: '/items/1/meta', name: 'a/items/~i/meta' });
    expect(errors[0]!.message).toMatch(/^Invalid JSON/);
  });

  it('round-trip any JSON', () => {
    const values = { items: [{ meta: { deep: { x: [null, 'y'] } } }], any: [1, { b: false }] };
    const { form, args } = roundTrip(schema, values);
    expect(form.fits).toBe(true);
    expect(args).toEqual(values);
  });
});

describe('property names round-trip', () => {
  const keys = [
    'a/b',
    'til~de',
    '~1',
    '~r',
    '~i',
    'dot.ted',
    'br[0]',
    'ünï 😀',
    '',
    '__proto__',
    'constructor',
    'quo"te\'s',
    'line\nbreak',
    'x-y',
  ];

  it('through names the decoder reads back, including __proto__ as an own key', () => {
    const properties: Json = {};
    for (const key of keys) Object.defineProperty(properties, key, { value: { type: 'string' }, enumerable: true });
    const nestedProperties: Json = {};
    Object.defineProperty(nestedProperties, '__proto__', { value: objectSchema({ polluted: { type: 'string' } }), enumerable: true });
    Object.defineProperty(properties, 'list', {
      value: { type: 'array', items: { type: 'object', properties: nestedProperties } },
      enumerable: true,
    });
    const schema = objectSchema(properties);
    const values: Json = {};
    keys.forEach((key, i) => Object.defineProperty(values, key, { value: `v${i}`, enumerable: true, writable: true }));
    const item: Json = {};
    Object.defineProperty(item, '__proto__', { value: { polluted: 'yes' }, enumerable: true });
    values.list = [item];

    const form = buildForm(schema, values);
    expect(form.fits).toBe(true);
    const names = rootOf(form).fields.map((field) => field.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('a/a~1b');
    expect(names).toContain('a/til~0de');
    expect(names).toContain('a/~0r');
    expect(names).toContain('a/');
    expect(names).toContain('a/line~3break');

    const { args, errors } = decodeForm(schema, submit(form));
    expect(errors).toEqual([]);
    expect(JSON.stringify(args)).toBe(JSON.stringify(values));
    expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
    expect(Object.hasOwn(args, '__proto__')).toBe(true);
    const row = (args.list as Json[])[0]!;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(JSON.stringify(row)).toBe('{"__proto__":{"polluted":"yes"}}');
    expect(({} as Json).polluted).toBeUndefined();
  });

  it('from JSON-parsed schemas too', () => {
    const schema = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"integer"},"constructor":{"type":"boolean"}}}') as Json;
    const { args } = decodeForm(schema, [
      ['a/__proto__', '1'],
      ['a/constructor', 'true'],
    ]);
    expect(JSON.stringify(args)).toBe('{"__proto__":1,"constructor":true}');
    expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
  });
});

describe('decoding stays inside the schema', () => {
  const schema = objectSchema({
    name: { type: 'string' },
    list: { type: 'array', items: { type: 'string' } },
    obj: objectSchema({ x: { type: 'string' } }),
  });

  it('ignores names outside the prefix, unknown properties, bad escapes and misplaced markers', () => {
    const { args, errors } = decodeForm(schema, [
      ['b/name', 'no'],
      ['aname', 'no'],
      ['a', 'no'],
      ['a/unknown', 'no'],
      ['a/name/deeper', 'no'],
      ['a/na~2me', 'no'],
      ['a/na~xme', 'no'],
      ['a/obj', 'no'],
      ['a/obj/~r', 'no'],
      ['a/list', 'no'],
      ['a/list/~r/x', 'no'],
      ['a/list/0', 'no'],
      ['a/name', 'yes'],
      ['_mode', 'form'],
    ]);
    expect(errors).toEqual([]);
    expect(args).toEqual({ name: 'yes' });
  });

  it('never throws on odd entries', () => {
    const odd = [['a/name'], [1, 2], null, 'str', ['a/name', 'ok']] as unknown as [string, string][];
    expect(decodeForm(schema, odd).args).toEqual({ name: 'ok' });
    expect(decodeForm(schema, null as unknown as [string, string][]).args).toEqual({});
  });
});

describe('prefill and fits', () => {
  const schema = objectSchema({
    name: { type: 'string', default: 'anon' },
    count: { type: 'integer', default: 2 },
    mode: { enum: ['fast', 'slow'], default: 'slow' },
    opts: objectSchema({ deep: { type: 'boolean', default: true } }),
    list: { type: 'array', items: { type: 'integer' }, default: [1, 2] },
  });

  it('fills defaults when no value is given', () => {
    const form = buildForm(schema);
    const root = rootOf(form);
    expect(form.fits).toBe(true);
    expect((fieldOf(root, 'name') as TextField).value).toBe('anon');
    expect((fieldOf(root, 'name') as TextField).hints).toEqual(['default: anon']);
    expect((fieldOf(root, 'count') as NumberField).value).toBe('2');
    expect((fieldOf(root, 'mode') as SelectField).selected).toBe('"slow"');
    expect((fieldOf(root, 'opts', 'deep') as BooleanField).checked).toBe(true);
    expect((fieldOf(root, 'list') as ArrayField).rows.map((row) => (row as NumberField).value)).toEqual(['1', '2']);
    expect(fieldOf(root, 'list').hints).toEqual(['default: [1,2]']);
  });

  it('fills given values over defaults', () => {
    const values = { name: 'bob', count: 5, mode: 'fast', opts: { deep: false }, list: [] };
    const form = buildForm(schema, values);
    const root = rootOf(form);
    expect(form.fits).toBe(true);
    expect((fieldOf(root, 'name') as TextField).value).toBe('bob');
    expect((fieldOf(root, 'mode') as SelectField).selected).toBe('"fast"');
    expect((fieldOf(root, 'opts', 'deep') as BooleanField).checked).toBe(false);
    expect((fieldOf(root, 'list') as ArrayField).rows).toEqual([]);
  });

  it('does not fit values that have no place in the form', () => {
    expect(buildForm(schema, { extra: 1 }).fits).toBe(false);
    expect(buildForm(schema, { name: 5 }).fits).toBe(false);
    expect(buildForm(schema, { count: 1.5 }).fits).toBe(false);
    expect(buildForm(schema, { count: '3' }).fits).toBe(false);
    expect(buildForm(schema, { opts: [] }).fits).toBe(false);
    expect(buildForm(schema, { opts: { deep: 'yes' } }).fits).toBe(false);
    expect(buildForm(schema, { opts: { other: 1 } }).fits).toBe(false);
    expect(buildForm(schema, { list: 'x' }).fits).toBe(false);
    expect(buildForm(schema, { list: [1, null] }).fits).toBe(false);
    expect(buildForm(schema, { name: 'a\r\nb' }).fits).toBe(false);
    expect(buildForm(schema, 'not an object').fits).toBe(false);
    expect(buildForm(schema, [1]).fits).toBe(false);
  });

  it('ignores defaults that do not fit, and treats null values as none given', () => {
    const odd = objectSchema({ n: { type: 'integer', default: 'many' }, s: { type: 'string', default: { a: 1 } } });
    const form = buildForm(odd);
    expect(form.fits).toBe(true);
    expect((fieldOf(rootOf(form), 'n') as NumberField).value).toBe('');
    expect(buildForm(schema, null).fits).toBe(true);
    expect(buildForm(schema, undefined).fits).toBe(true);
  });

  it('keeps a JSON field for values it cannot write', () => {
    const cyclic: Json = {};
    cyclic.self = cyclic;
    const form = buildForm(objectSchema({ any: {} }), { any: cyclic });
    expect(form.fits).toBe(false);
    expect((fieldOf(rootOf(form), 'any') as JsonField).value).toBe('');
  });
});

describe('fallbacks', () => {
  const cases: [string, unknown, string][] = [
    [
      'anyOf of object shapes',
      { anyOf: [objectSchema({ a: { type: 'string' } }), objectSchema({ b: { type: 'string' } })] },
      'anyOf of several object shapes',
    ],
    ['oneOf of schemas', { oneOf: [{ type: 'string' }, { type: 'integer' }] }, 'oneOf of several schemas'],
    ['allOf', { allOf: [{ type: 'string' }, { maxLength: 3 }] }, 'allOf (several schemas combined)'],
    ['not', { not: { type: 'string' } }, 'not (a schema that excludes values)'],
    ['free-form object', { type: 'object' }, 'object with free-form properties'],
    ['additionalProperties only', { type: 'object', additionalProperties: { type: 'string' } }, 'object with free-form properties'],
    ['patternProperties only', { type: 'object', patternProperties: { '^x': {} } }, 'object with free-form properties'],
    ['several types', { type: ['string', 'number'] }, 'several types (string, number)'],
    ['unknown type', { type: 'date' }, 'unknown type "date"'],
    ['missing type', { description: 'anything' }, 'any JSON value (the schema gives no type)'],
    ['true schema', true, 'any JSON value'],
    ['tuple', { type: 'array', prefixItems: [{ type: 'string' }] }, 'tuple (prefixItems)'],
    ['array of anything', { type: 'array' }, 'array of items of any type'],
    [
      'array of anyOf',
      { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
      'array items: anyOf of several schemas',
    ],
    ['empty enum', { enum: [] }, 'no value is allowed (empty enum)'],
  ];

  for (const [title, property, reason] of cases) {
    it(`${title} → JSON field`, () => {
      const field = fieldOf(rootOf(buildForm(objectSchema({ p: property }))), 'p');
      expect(field.kind).toBe('json');
      expect((field as JsonField).reason).toBe(reason);
    });
  }

  it('keeps a form for a nullable anyOf and a single-branch anyOf, and a select for anyOf of constants', () => {
    const root = rootOf(
      buildForm(
        objectSchema({
          a: { anyOf: [{ type: 'string', format: 'email' }, { type: 'null' }] },
          b: { oneOf: [{ type: 'boolean' }] },
          c: { anyOf: [{ const: 1 }, { const: 'one' }, { const: null }] },
        }),
      ),
    );
    expect(fieldOf(root, 'a')).toMatchObject({ kind: 'text', inputType: 'email', nullable: true });
    expect(fieldOf(root, 'b')).toMatchObject({ kind: 'boolean', nullable: false });
    expect((fieldOf(root, 'c') as SelectField).options.map((option) => option.value)).toEqual(['1', '"one"', 'null']);
  });

  it('keeps a closed object without properties as an empty object field', () => {
    expect(
      fieldOf(rootOf(buildForm(objectSchema({ p: { type: 'object', properties: {}, additionalProperties: false } }))), 'p'),
    ).toMatchObject({ kind: 'object', fields: [] });
  });
});

describe('the root', () => {
  it('is an object field with no fields for a tool without arguments', () => {
    for (const schema of [
      { type: 'object' },
      { type: 'object', properties: {} },
      { type: 'object', properties: {}, additionalProperties: false },
    ]) {
      const form = buildForm(schema);
      expect(form.root).toMatchObject({ kind: 'object', name: 'a', label: 'Arguments', fields: [] });
      expect(decodeForm(schema, [['a/x', '1']]).args).toEqual({});
    }
  });

  it('is a JSON field for anything else, decoded as the arguments object', () => {
    const freeForm = { type: 'object', additionalProperties: true };
    const form = buildForm(freeForm, { any: ['thing'] });
    expect(form.root).toMatchObject({
      kind: 'json',
      name: 'a',
      reason: 'object with free-form properties',
      value: '{\n  "any": [\n    "thing"\n  ]\n}',
    });
    expect(form.fits).toBe(true);
    expect(decodeForm(freeForm, submit(form)).args).toEqual({ any: ['thing'] });
    expect(decodeForm(freeForm, [['a', '']])).toEqual({ args: {}, errors: [] });
    expect(decodeForm(freeForm, [['a', '[1]']]).errors).toEqual([
      { field: '', name: 'a', message: 'The arguments must be a JSON object.' },
    ]);
    expect(decodeForm(freeForm, [['a', '{']]).errors[0]).toMatchObject({ field: '' });
    expect(buildForm({ anyOf: [objectSchema({ a: { type: 'string' } }), objectSchema({ b: { type: 'string' } })] }).root).toMatchObject({
      kind: 'json',
      reason: 'anyOf of several object shapes',
    });
    expect(buildForm({ type: 'string' }).root).toMatchObject({ kind: 'json', reason: 'the arguments are of type string, not an object' });
  });

  it('uses the root title as its label and takes properties without a type', () => {
    const form = buildForm({ title: 'Search', properties: { q: { type: 'string' } } });
    expect(form.root).toMatchObject({ kind: 'object', label: 'Search' });
  });
});

describe('limits', () => {
  it('renders up to 6 levels of nesting, deeper ones as JSON fields', () => {
    const form = buildForm(nested(7));
    let field: FormField = form.root;
    const kinds: string[] = [];
    while (field.kind === 'object') {
      field = field.fields[0]!;
      kinds.push(field.kind);
    }
    expect(kinds).toEqual(['object', 'object', 'object', 'object', 'object', 'json']);
    expect((field as JsonField).reason).toBe('too deeply nested (more than 6 levels)');
    expect(field.name).toBe('a/n/n/n/n/n/n');
    // Still decodes, as JSON.
    expect(decodeForm(nested(7), [['a/n/n/n/n/n/n', '{"n":"deep"}']]).args).toEqual({
      n: { n: { n: { n: { n: { n: { n: 'deep' } } } } } },
    });
    // Six levels of objects with a string at the bottom fit.
    expect(allFields(buildForm(nested(6)).root).every((f) => f.kind !== 'json')).toBe(true);
  });

  it('counts array items as a level', () => {
    let schema: Json = { type: 'string' };
    for (let i = 0; i < 7; i++) schema = { type: 'array', items: schema };
    const root = rootOf(buildForm(objectSchema({ m: schema })));
    const m = fieldOf(root, 'm');
    expect(m.kind).toBe('json');
    expect((m as JsonField).reason).toMatch(/too deeply nested/);
  });

  it(`renders at most ${FORM_LIMITS.maxFields} fields, the rest as JSON fields that still decode`, () => {
    const properties: Json = {};
    for (let i = 0; i < 450; i++) properties[`p${i}`] = { type: 'integer' };
    const schema = objectSchema(properties);
    const root = rootOf(buildForm(schema));
    expect(root.fields).toHaveLength(450);
    expect(root.fields.filter((field) => field.kind === 'number')).toHaveLength(FORM_LIMITS.maxFields);
    expect(root.fields[FORM_LIMITS.maxFields]).toMatchObject({
      kind: 'json',
      key: `p${FORM_LIMITS.maxFields}`,
      reason: `the form has more than ${FORM_LIMITS.maxFields} fields`,
    });
    expect(
      decodeForm(schema, [
        ['a/p0', '1'],
        ['a/p449', '2'],
      ]).args,
    ).toEqual({ p0: 1, p449: 2 });
  });

  it('caps rows prefilled from huge values and says they do not fit', () => {
    const schema = objectSchema({ list: { type: 'array', items: objectSchema({ a: { type: 'string' }, b: { type: 'string' } }) } });
    const values = { list: Array.from({ length: 10_000 }, () => ({ a: 'x', b: 'y' })) };
    const form = buildForm(schema, values);
    expect(form.fits).toBe(false);
    const rows = (fieldOf(rootOf(form), 'list') as ArrayField).rows.length;
    expect(rows).toBeGreaterThan(100);
    expect(rows).toBeLessThan(10_000);
  });

  it('stays fast on a wide schema with many rows', () => {
    const properties: Json = {};
    for (let i = 0; i < 300; i++) properties[`p${i}`] = { type: 'string' };
    const schema = objectSchema({ rows: { type: 'array', items: objectSchema(properties) } });
    const start = performance.now();
    const form = buildForm(schema, { rows: Array.from({ length: 15 }, () => ({ p1: 'x' })) });
    const entries = submit(form);
    const { args } = decodeForm(schema, entries);
    expect((args.rows as unknown[]).length).toBe(15);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe('malformed schemas never throw', () => {
  const schemas: unknown[] = [
    null,
    undefined,
    'string',
    42,
    [],
    [{ type: 'object' }],
    false,
    { type: 'object', properties: 5 },
    { type: 'object', properties: { a: { type: 'string' } }, required: 'a' },
    {
      type: 'object',
      properties: {
        a: null,
        b: 'x',
        c: [],
        d: false,
        e: { type: 7 },
        f: { enum: 'x' },
        g: { anyOf: 'x' },
        h: { type: 'array', items: [1] },
      },
    },
    { type: 'object', properties: { a: { type: 'string', minLength: -1, maxLength: 'x', pattern: 5, format: {} } } },
    { type: 'object', properties: { n: { type: 'number', minimum: 'x', maximum: Number.NaN, multipleOf: -2 } } },
    { type: 'object', properties: { o: { type: 'object', properties: [] } } },
    { type: 'object', properties: { e: { enum: [undefined, () => 1, 'ok'] } } },
  ];

  it('build and decode something sensible', () => {
    for (const schema of schemas) {
      const form = buildForm(schema, { a: 1 });
      expect(['object', 'json']).toContain(form.root.kind);
      const decoded = decodeForm(schema, submit(form));
      expect(decoded.args).toBeTypeOf('object');
    }
  });

  it('read what can be read', () => {
    expect(buildForm(null).root).toMatchObject({ kind: 'json', reason: 'the schema is not a JSON Schema' });
    expect(buildForm({ type: 'object', properties: 5 }).root).toMatchObject({ kind: 'object', fields: [] });
    const ignoredRequired = rootOf(buildForm({ type: 'object', properties: { a: { type: 'string' } }, required: 'a' }));
    expect(fieldOf(ignoredRequired, 'a').required).toBe(false);
    const bad = rootOf(buildForm(schemas[9]));
    expect(bad.fields.map((field) => [field.key, field.kind])).toEqual([
      ['a', 'json'],
      ['b', 'json'],
      ['c', 'json'],
      ['d', 'json'],
      ['e', 'json'],
      ['f', 'json'],
      ['g', 'json'],
      ['h', 'json'],
    ]);
    expect(fieldOf(bad, 'g')).toMatchObject({ reason: 'anyOf that is not a list' });
    const text = fieldOf(rootOf(buildForm(schemas[10])), 'a') as TextField;
    expect(text).toMatchObject({ kind: 'text', hints: [] });
    expect(text.minLength).toBeUndefined();
    expect(text.pattern).toBeUndefined();
    const number = fieldOf(rootOf(buildForm(schemas[11])), 'n') as NumberField;
    expect(number).toMatchObject({ kind: 'number', step: 'any', hints: [] });
    expect((fieldOf(rootOf(buildForm(schemas[13])), 'e') as SelectField).options).toEqual([{ value: '"ok"', label: 'ok' }]);
  });

  it('never change the schema', () => {
    const schema = objectSchema(
      {
        a: { anyOf: [{ type: 'string' }, { type: 'null' }], default: 'x' },
        b: { type: 'array', items: objectSchema({ c: { type: 'integer' } }) },
      },
      ['a'],
    );
    const copy = structuredClone(schema);
    const values = { a: 'y', b: [{ c: 1 }] };
    const valuesCopy = structuredClone(values);
    roundTrip(schema, values);
    expect(schema).toEqual(copy);
    expect(values).toEqual(valuesCopy);
  });
});
