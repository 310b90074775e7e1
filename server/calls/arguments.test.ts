import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { toRequestSchema } from '../openapi/tool-schema.js';
import { checkArguments } from './arguments.js';

/** Playwright's MCP server lists defaulted parameters as required (zod `.default()`), e.g. browser_take_screenshot. */
const SCREENSHOT = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['png', 'jpeg'], default: 'png' },
    scale: { $ref: '#/definitions/Scale' },
    filename: { type: 'string' },
    clip: { type: 'object', properties: { x: { type: 'number' }, unit: { type: 'string', default: 'px' } }, required: ['x', 'unit'] },
    frames: { type: 'array', items: { type: 'object', properties: { at: { type: 'integer', default: 0 } }, required: ['at'] } },
  },
  required: ['type', 'scale'],
  additionalProperties: false,
  definitions: { Scale: { type: 'string', enum: ['css', 'device'], default: 'css' } },
};

describe('checkArguments', () => {
  it('fills in the default of a required property left out (through a $ref too), without changing the given arguments', () => {
    const given = { filename: 'page.png' };
    const { errors, args } = checkArguments(SCREENSHOT, given);
    expect(errors).toEqual([]);
    expect(args).toEqual({ filename: 'page.png', type: 'png', scale: 'css' });
    expect(given).toEqual({ filename: 'page.png' });
  });

  it('keeps given values, and fills defaults inside objects and array items', () => {
    const { errors, args } = checkArguments(SCREENSHOT, { type: 'jpeg', clip: { x: 1 }, frames: [{}, { at: 5 }] });
    expect(errors).toEqual([]);
    expect(args).toEqual({ type: 'jpeg', scale: 'css', clip: { x: 1, unit: 'px' }, frames: [{ at: 0 }, { at: 5 }] });
  });

  it('answers the very same object when nothing is missing', () => {
    const given = { type: 'png', scale: 'device' };
    expect(checkArguments(SCREENSHOT, given).args).toBe(given);
  });

  it('still rejects a required property without a default, and wrong values', () => {
    const { errors, args } = checkArguments(SCREENSHOT, { clip: {}, scale: 'huge' });
    expect(errors).toEqual(
      expect.arrayContaining([
        { field: 'clip.x', message: 'is required' },
        { field: 'scale', message: 'must be equal to one of the allowed values: "css", "device"' },
      ]),
    );
    expect(errors.map((error) => error.field)).not.toContain('type');
    expect(args).toEqual({ clip: {}, scale: 'huge' });
  });

  it('fills a null default, and a default object whose own required properties have defaults', () => {
    const schema = {
      type: 'object',
      properties: {
        note: { type: ['string', 'null'], default: null },
        options: { type: 'object', default: {}, properties: { mode: { type: 'string', default: 'fast' } }, required: ['mode'] },
      },
      required: ['note', 'options'],
    };
    const { errors, args } = checkArguments(schema, {});
    expect(errors).toEqual([]);
    expect(args).toEqual({ note: null, options: { mode: 'fast' } });
  });

  it('checks every tool whose schema has the same $id as another (two servers from one generator), each by its own schema', () => {
    const $id = 'https://example.com/schemas/search.json';
    const first = { $id, type: 'object', properties: { q: { type: 'string' } }, required: ['q'] };
    const second = { $id, type: 'object', properties: { limit: { type: 'integer' } }, required: ['limit'] };
    expect(checkArguments(first, { q: 'x' }).errors).toEqual([]);
    expect(checkArguments(second, { limit: 'ten' }).errors).toEqual([{ field: 'limit', message: 'must be integer' }]);
    expect(checkArguments(second, {}).errors).toEqual([{ field: 'limit', message: 'is required' }]);
    // A refreshed list brings new objects with the same $id: still checked.
    expect(checkArguments({ ...first }, {}).errors).toEqual([{ field: 'q', message: 'is required' }]);
  });
});

describe('the tool document and checkArguments accept the same arguments, defaults included', () => {
  const ajv = new Ajv2020({ strict: false, validateFormats: true });
  (addFormatsModule as unknown as (ajv: Ajv2020) => void)(ajv);
  type Case = [name: string, schema: Record<string, unknown>, values: Record<string, unknown>[]];
  const mode = { type: 'string', default: 'fast' };
  const cases: Case[] = [
    [
      'a default inside a oneOf branch is not filled in (it would make two branches hold)',
      {
        type: 'object',
        oneOf: [
          { properties: { mode }, required: ['mode'] },
          { properties: { path: { type: 'string' } }, required: ['path'] },
        ],
      },
      [{ path: '/tmp' }, {}, { mode: 'slow' }, { mode: 'slow', path: '/tmp' }],
    ],
    [
      'nor inside an anyOf branch',
      { type: 'object', anyOf: [{ properties: { mode }, required: ['mode'] }, { required: ['path'] }] },
      [{}, { path: 1 }, { mode: 'x' }],
    ],
    ['nor under not', { type: 'object', not: { properties: { a: { default: 'x' } }, required: ['a'] } }, [{}, { a: 'x' }]],
    [
      'nor under if',
      {
        type: 'object',
        if: { properties: { kind: { const: 'file', default: 'file' } }, required: ['kind'] },
        then: { required: ['extra'] },
      },
      [{}, { kind: 'file' }, { kind: 'file', extra: 1 }, { kind: 'dir' }],
    ],
    [
      'nor under contains, propertyNames or dependentSchemas',
      {
        type: 'object',
        properties: { list: { type: 'array', contains: { properties: { a: { default: 1 } }, required: ['a'] } } },
        propertyNames: { required: ['x'], properties: { x: { default: 1 } } },
        dependentSchemas: { p: { properties: { q: { default: 1 } }, required: ['q'] } },
      },
      [{ list: [{}] }, { list: [{ a: 1 }] }, { p: 1 }, { p: 1, q: 2 }],
    ],
    [
      'through an $anchor',
      { type: 'object', properties: { mode: { $ref: '#modeDef' } }, required: ['mode'], $defs: { m: { $anchor: 'modeDef', ...mode } } },
      [{}, { mode: 'slow' }, { mode: 1 }],
    ],
    [
      "through a draft-07 $id: '#name'",
      {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { mode: { $ref: '#modeName' } },
        required: ['mode'],
        definitions: { m: { $id: '#modeName', ...mode } },
      },
      [{}, { mode: 'slow' }, { mode: 1 }],
    ],
    [
      "through the root's own $id",
      {
        $id: 'https://example.com/schemas/equivalence.json',
        type: 'object',
        properties: { mode: { $ref: 'https://example.com/schemas/equivalence.json#/$defs/Mode' } },
        required: ['mode'],
        $defs: { Mode: mode },
      },
      [{}, { mode: 'slow' }, { mode: 1 }],
    ],
    [
      'through a $ref with constraints beside it',
      { type: 'object', properties: { mode: { $ref: '#/$defs/Mode', minLength: 1 } }, required: ['mode'], $defs: { Mode: mode } },
      [{}, { mode: '' }, { mode: 'slow' }],
    ],
    [
      'on a node with a $ref of its own',
      {
        type: 'object',
        $ref: '#/$defs/Base',
        properties: { b: { type: 'string', default: 'x' } },
        required: ['b'],
        $defs: { Base: { type: 'object', properties: { c: { type: 'integer' } } } },
      },
      [{}, { c: 1 }, { c: 'no' }],
    ],
    [
      'not a default that does not fit its own schema',
      { type: 'object', properties: { n: { type: 'integer', default: 'ten' } }, required: ['n'] },
      [{}, { n: 5 }, { n: 'ten' }],
    ],
    [
      'a default object whose own required properties have defaults, through allOf, items and $ref',
      {
        type: 'object',
        allOf: [{ properties: { a: { type: 'string', default: 'x' } }, required: ['a'] }],
        properties: {
          o: { $ref: '#/$defs/O', description: 'an object' },
          list: { type: 'array', items: { properties: { at: { type: 'integer', default: 0 } }, required: ['at'] } },
        },
        required: ['o'],
        $defs: { O: { type: 'object', properties: { k: { type: 'string', default: 'v' } }, required: ['k'], default: {} } },
      },
      [{}, { o: {} }, { o: { k: 1 } }, { list: [{}, { at: 'x' }] }, { list: [{ at: 2 }] }, { a: 1 }],
    ],
    [
      'draft-07 tuple items are not a place for defaults',
      {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { t: { type: 'array', items: [{ type: 'object', properties: { a: { default: 1 } }, required: ['a'] }] } },
      },
      [{ t: [{}] }, { t: [{ a: 1 }] }],
    ],
  ];

  it.each(cases)('%s', (_name, schema, values) => {
    const documented = ajv.compile(toRequestSchema(schema).schema);
    for (const value of values) {
      expect(
        documented(value),
        `${JSON.stringify(value)}: the document accepts it (${JSON.stringify(documented.errors)}), the gateway agrees`,
      ).toBe(checkArguments(schema, value).errors.length === 0);
    }
  });

  it('the gateway fills in what the document leaves out, and says "is required" for a default that does not fit', () => {
    expect(checkArguments(cases[5]![1], {}).args).toEqual({ mode: 'fast' });
    expect(checkArguments(cases[7]![1], {}).args).toEqual({ mode: 'fast' });
    expect(checkArguments(cases[9]![1], {}).args).toEqual({ b: 'x' });
    expect(checkArguments(cases[10]![1], {}).errors).toEqual([{ field: 'n', message: 'is required' }]);
    expect(checkArguments(cases[11]![1], { list: [{}] }).args).toEqual({ a: 'x', o: { k: 'v' }, list: [{ at: 0 }] });
  });
});
