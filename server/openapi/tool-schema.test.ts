import { describe, expect, it } from 'vitest';
import { safeOperationId, takesNoArguments, toRequestSchema, toResponseSchema, type ConvertedSchema } from './tool-schema.js';

type Json = Record<string, unknown>;

/** The value at a path of keys in a converted schema. */
function dig(schema: unknown, ...path: (string | number)[]): unknown {
  let value = schema;
  for (const key of path) value = (value as Record<string | number, unknown>)[key];
  return value;
}

/** The JSON text of a result holds no reference machinery at all. */
function expectNoReferences(result: ConvertedSchema): void {
  const text = JSON.stringify(result.schema);
  expect(text).not.toContain('"$ref"');
  expect(text).not.toContain('"$defs"');
  expect(text).not.toContain('"definitions"');
  expect(text).not.toContain('"$dynamicRef"');
}

/** Number of schema-like objects in a value. */
function countObjects(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + countObjects(item), 0);
  if (typeof value !== 'object' || value === null) return 0;
  return 1 + Object.values(value).reduce<number>((sum, item) => sum + countObjects(item), 0);
}

const cutDescription = (ref: string, n: number) => `Any value: the schema nests "${ref}" more than ${n} levels deep here and is cut.`;
const unresolvedDescription = (ref: string) => `Any value (the tool's schema refers to "${ref}", which cannot be resolved).`;

describe('toResponseSchema keeps every keyword', () => {
  const rows: [string, Json, Json][] = [
    ['type', { type: 'string' }, { type: 'string' }],
    ['type list', { type: ['string', 'null'] }, { type: ['string', 'null'] }],
    ['enum', { enum: ['a', 1, null, { b: [true] }] }, { enum: ['a', 1, null, { b: [true] }] }],
    ['const', { const: { x: 1 } }, { const: { x: 1 } }],
    ['oneOf', { oneOf: [{ type: 'string' }, { type: 'integer' }] }, { oneOf: [{ type: 'string' }, { type: 'integer' }] }],
    ['anyOf', { anyOf: [{ type: 'string' }, { type: 'null' }] }, { anyOf: [{ type: 'string' }, { type: 'null' }] }],
    ['allOf', { allOf: [{ minLength: 1 }, { maxLength: 3 }] }, { allOf: [{ minLength: 1 }, { maxLength: 3 }] }],
    ['not', { not: { type: 'null' } }, { not: { type: 'null' } }],
    [
      'if/then/else',
      { if: { properties: { kind: { const: 'a' } } }, then: { required: ['a'] }, else: { required: ['b'] } },
      { if: { properties: { kind: { const: 'a' } } }, then: { required: ['a'] }, else: { required: ['b'] } },
    ],
    ['format', { type: 'string', format: 'date-time' }, { type: 'string', format: 'date-time' }],
    ['minimum', { minimum: 1 }, { minimum: 1 }],
    ['maximum', { maximum: 9.5 }, { maximum: 9.5 }],
    ['exclusiveMinimum', { exclusiveMinimum: 0 }, { exclusiveMinimum: 0 }],
    ['exclusiveMaximum', { exclusiveMaximum: 100 }, { exclusiveMaximum: 100 }],
    ['multipleOf', { multipleOf: 0.5 }, { multipleOf: 0.5 }],
    ['minLength', { minLength: 2 }, { minLength: 2 }],
    ['maxLength', { maxLength: 20 }, { maxLength: 20 }],
    ['pattern', { pattern: '^[a-z]+$' }, { pattern: '^[a-z]+$' }],
    ['minItems', { minItems: 1 }, { minItems: 1 }],
    ['maxItems', { maxItems: 4 }, { maxItems: 4 }],
    ['uniqueItems', { uniqueItems: true }, { uniqueItems: true }],
    ['contains', { contains: { const: 3 } }, { contains: { const: 3 } }],
    ['minContains/maxContains', { contains: {}, minContains: 1, maxContains: 2 }, { contains: {}, minContains: 1, maxContains: 2 }],
    ['prefixItems', { prefixItems: [{ type: 'string' }, { type: 'number' }], items: false }, { prefixItems: [{ type: 'string' }, { type: 'number' }], items: false }],
    ['minProperties', { minProperties: 1 }, { minProperties: 1 }],
    ['maxProperties', { maxProperties: 8 }, { maxProperties: 8 }],
    ['required', { required: ['a', 'b'] }, { required: ['a', 'b'] }],
    ['properties', { properties: { a: { type: 'string' }, b: true } }, { properties: { a: { type: 'string' }, b: {} } }],
    ['patternProperties', { patternProperties: { '^x-': { type: 'string' } } }, { patternProperties: { '^x-': { type: 'string' } } }],
    ['additionalProperties boolean', { additionalProperties: false }, { additionalProperties: false }],
    ['additionalProperties schema', { additionalProperties: { type: 'integer' } }, { additionalProperties: { type: 'integer' } }],
    ['unevaluatedProperties', { unevaluatedProperties: false }, { unevaluatedProperties: false }],
    ['propertyNames', { propertyNames: { pattern: '^[a-z]+$' } }, { propertyNames: { pattern: '^[a-z]+$' } }],
    ['dependentRequired', { dependentRequired: { card: ['cvv'] } }, { dependentRequired: { card: ['cvv'] } }],
    ['dependentSchemas', { dependentSchemas: { card: { required: ['cvv'] } } }, { dependentSchemas: { card: { required: ['cvv'] } } }],
    ['items schema', { type: 'array', items: { type: 'string' } }, { type: 'array', items: { type: 'string' } }],
    ['draft-07 items array', { items: [{ type: 'string' }, { type: 'number' }] }, { prefixItems: [{ type: 'string' }, { type: 'number' }] }],
    [
      'draft-07 additionalItems',
      { items: [{ type: 'string' }], additionalItems: { type: 'boolean' } },
      { prefixItems: [{ type: 'string' }], items: { type: 'boolean' } },
    ],
    ['additionalItems without array items means nothing', { items: { type: 'string' }, additionalItems: false }, { items: { type: 'string' } }],
    [
      'draft-07 dependencies',
      { dependencies: { card: ['cvv'], vip: { required: ['level'] } } },
      { dependentRequired: { card: ['cvv'] }, dependentSchemas: { vip: { required: ['level'] } } },
    ],
    ['default', { type: 'integer', default: 3 }, { type: 'integer', default: 3 }],
    ['examples', { examples: ['a', 'b'] }, { examples: ['a', 'b'] }],
    ['example', { example: { a: 1 } }, { example: { a: 1 } }],
    ['title', { title: 'Name' }, { title: 'Name' }],
    ['description', { description: 'What to do' }, { description: 'What to do' }],
    ['deprecated', { deprecated: true }, { deprecated: true }],
    ['readOnly', { readOnly: true }, { readOnly: true }],
    ['writeOnly', { writeOnly: true }, { writeOnly: true }],
    ['contentMediaType', { contentMediaType: 'image/png' }, { contentMediaType: 'image/png' }],
    ['contentEncoding', { contentEncoding: 'base64' }, { contentEncoding: 'base64' }],
    ['unknown keyword with JSON value', { 'x-order': [1, { a: 'b' }] }, { 'x-order': [1, { a: 'b' }] }],
    [
      '$-keywords dropped',
      { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'urn:x', $anchor: 'a', $comment: 'c', $vocabulary: {}, $foo: 1, type: 'string' },
      { type: 'string' },
    ],
    ['boolean subschemas', { anyOf: [true, false], not: false }, { anyOf: [{}, { not: {} }], not: { not: {} } }],
    ['OpenAPI 3.0 nullable with type', { type: 'string', nullable: true }, { type: ['string', 'null'] }],
    ['nullable with a type list', { type: ['string', 'integer'], nullable: true }, { type: ['string', 'integer', 'null'] }],
    ['nullable adds null to enum', { type: 'string', enum: ['a', 'b'], nullable: true }, { type: ['string', 'null'], enum: ['a', 'b', null] }],
    [
      'nullable without type',
      { description: 'Either', properties: { a: { type: 'string' } }, nullable: true },
      { description: 'Either', anyOf: [{ properties: { a: { type: 'string' } } }, { type: 'null' }] },
    ],
    ['nullable: false', { type: 'string', nullable: false }, { type: 'string' }],
    ['draft-04 exclusiveMinimum: true', { minimum: 0, exclusiveMinimum: true }, { exclusiveMinimum: 0 }],
    ['draft-04 exclusiveMaximum: true', { exclusiveMaximum: true, maximum: 10 }, { exclusiveMaximum: 10 }],
    ['draft-04 exclusiveMinimum: false', { minimum: 0, exclusiveMinimum: false }, { minimum: 0 }],
  ];

  it.each(rows)('%s', (_name, input, expected) => {
    const result = toResponseSchema(input);
    expect(result.schema).toEqual(expected);
    expect(result.notes).toEqual([]);
  });

  it('keeps keys in the input order', () => {
    const input = { description: 'd', required: ['a'], type: 'object', properties: { z: {}, a: {} } };
    const { schema } = toResponseSchema(input);
    expect(Object.keys(schema)).toEqual(['description', 'required', 'type', 'properties']);
    expect(Object.keys(schema.properties as Json)).toEqual(['z', 'a']);
  });

  it('keeps formats', () => {
    const formats = ['date-time', 'date', 'time', 'duration', 'email', 'uri', 'uri-reference', 'uuid', 'ipv4', 'ipv6', 'hostname', 'regex'];
    const properties = Object.fromEntries(formats.map((format) => [format, { type: 'string', format }]));
    expect(toResponseSchema({ type: 'object', properties }).schema).toEqual({ type: 'object', properties });
  });

  it('keeps a 200-property object whole', () => {
    const properties = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`field${i}`, { type: 'string', description: `Field ${i}` }]));
    const input = { type: 'object', properties, required: Object.keys(properties) };
    const result = toResponseSchema(input);
    expect(result.schema).toEqual(input);
    expect(result.notes).toEqual([]);
  });

  it('drops values that are not JSON, with notes', () => {
    const input = { type: 'number', default: Number.NaN, minimum: Infinity, examples: [() => 1], 'x-fn': () => 1, title: undefined, maxLength: -1 };
    const result = toResponseSchema(input);
    expect(result.schema).toEqual({ type: 'number' });
    expect(JSON.parse(JSON.stringify(result.schema))).toEqual({ type: 'number' });
    expect(result.notes.length).toBeGreaterThanOrEqual(5);
  });

  it('replaces values of the wrong shape for a keyword and says so', () => {
    const result = toResponseSchema({ type: 7, required: 'a', properties: { a: 5 } });
    expect(result.schema).toEqual({ properties: { a: {} } });
    expect(result.notes.join('\n')).toMatch(/"type"/);
    expect(result.notes.join('\n')).toMatch(/"required"/);
    expect(result.notes.join('\n')).toMatch(/not a JSON Schema \(a number\)/);
  });

  it('drops enum values of another type and keywords that never apply to the type, and says so', () => {
    const result = toResponseSchema({
      type: 'object',
      properties: {
        level: { type: 'integer', enum: [1, 'two', 3, 2.5] },
        either: { type: ['string', 'null'], enum: ['a', null, 4] },
        nullable: { type: 'string', enum: ['a', 7], nullable: true },
      },
      items: { type: 'string' },
    });
    expect(result.schema).toEqual({
      type: 'object',
      properties: {
        level: { type: 'integer', enum: [1, 3] },
        either: { type: ['string', 'null'], enum: ['a', null] },
        nullable: { type: ['string', 'null'], enum: ['a', null] },
      },
    });
    expect(toResponseSchema({ type: 'array', properties: { a: {} }, items: { type: 'string' } }).schema).toEqual({ type: 'array', items: { type: 'string' } });
    expect(result.notes.join('\n')).toMatch(/enum values/);
    expect(result.notes.join('\n')).toMatch(/"items"/);
  });

  it('drops an unknown keyword that carries references', () => {
    const result = toResponseSchema({ type: 'string', 'x-schema': { $ref: '#/$defs/A' }, $defs: { A: {} } });
    expect(result.schema).toEqual({ type: 'string' });
    expect(result.notes.join('\n')).toMatch(/"x-schema"/);
  });
});

describe('$ref inlining', () => {
  it('inlines $defs with no $ref, $defs or definitions left', () => {
    const input = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { from: { $ref: '#/$defs/Point' }, to: { $ref: '#/$defs/Point' }, path: { type: 'array', items: { $ref: '#/$defs/Point' } } },
      $defs: { Point: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' } }, required: ['x', 'y'] } },
    };
    const point = { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' } }, required: ['x', 'y'] };
    const result = toRequestSchema(input);
    expect(result.schema).toEqual({ type: 'object', properties: { from: point, to: point, path: { type: 'array', items: point } } });
    expect(result.notes).toEqual([]);
    expectNoReferences(result);
  });

  it('inlines draft-07 definitions and array items', () => {
    const input = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { pair: { type: 'array', items: [{ $ref: '#/definitions/Name' }, { type: 'integer' }], additionalItems: false } },
      definitions: { Name: { type: 'string', minLength: 1 } },
    };
    const result = toRequestSchema(input);
    expect(result.schema).toEqual({
      type: 'object',
      properties: { pair: { type: 'array', prefixItems: [{ type: 'string', minLength: 1 }, { type: 'integer' }], items: false } },
    });
    expectNoReferences(result);
  });

  it('resolves a root $ref (the zod-to-json-schema form) and copies for each use', () => {
    const input = { $ref: '#/$defs/Args', $defs: { Args: { type: 'object', properties: { q: { type: 'string' } }, additionalProperties: false } } };
    const result = toRequestSchema(input);
    expect(result.schema).toEqual({ type: 'object', properties: { q: { type: 'string' } }, additionalProperties: false });
    expectNoReferences(result);
  });

  it('resolves pointers into properties and items, with ~0, ~1 and percent-encoding', () => {
    const input = {
      type: 'object',
      properties: {
        list: { type: 'array', items: { type: 'string', format: 'email' } },
        copy: { $ref: '#/properties/list/items' },
        slash: { $ref: '#/$defs/a~1b' },
        tilde: { $ref: '#/$defs/c~0d' },
        space: { $ref: '#/$defs/e%20f' },
        first: { $ref: '#/$defs/tuple/0' },
      },
      $defs: { 'a/b': { const: 1 }, 'c~d': { const: 2 }, 'e f': { const: 3 }, tuple: [{ const: 4 }] },
    };
    const result = toRequestSchema(input);
    expect(result.schema.properties).toEqual({
      list: { type: 'array', items: { type: 'string', format: 'email' } },
      copy: { type: 'string', format: 'email' },
      slash: { type: 'integer', const: 1 },
      tilde: { type: 'integer', const: 2 },
      space: { type: 'integer', const: 3 },
      first: { type: 'integer', const: 4 },
    });
    expect(result.notes).toEqual([]);
  });

  it('resolves anchors and references through the root $id', () => {
    const input = {
      $id: 'https://example.com/tool.json',
      properties: { a: { $ref: '#name' }, b: { $ref: 'https://example.com/tool.json#/$defs/B' } },
      $defs: { A: { $anchor: 'name', type: 'string' }, B: { type: 'boolean' } },
    };
    const result = toResponseSchema(input);
    expect(result.schema).toEqual({ properties: { a: { type: 'string' }, b: { type: 'boolean' } } });
  });

  it('puts annotation siblings on the inlined copy, theirs winning', () => {
    const input = {
      properties: { when: { $ref: '#/$defs/Time', description: 'When to start', default: '09:00' } },
      $defs: { Time: { type: 'string', format: 'time', description: 'A time of day' } },
    };
    expect(toResponseSchema(input).schema).toEqual({
      properties: { when: { type: 'string', format: 'time', description: 'When to start', default: '09:00' } },
    });
  });

  it('merges constraint siblings as allOf, keeping annotations beside it', () => {
    const input = {
      properties: { name: { $ref: '#/$defs/Name', description: 'Short name', maxLength: 8 } },
      $defs: { Name: { type: 'string', minLength: 1 } },
    };
    expect(toResponseSchema(input).schema).toEqual({
      properties: { name: { description: 'Short name', allOf: [{ type: 'string', minLength: 1 }, { maxLength: 8 }] } },
    });
  });

  it('makes a nullable $ref (the OpenAPI 3.0 habit) nullable', () => {
    const input = { properties: { p: { $ref: '#/$defs/P', nullable: true } }, $defs: { P: { type: 'object' } } };
    expect(toResponseSchema(input).schema).toEqual({ properties: { p: { type: ['object', 'null'] } } });
  });

  it('replaces unresolvable references with a permissive schema and a note', () => {
    const input = {
      type: 'object',
      properties: {
        remote: { $ref: 'https://example.com/schema.json#/$defs/X' },
        missing: { $ref: '#/$defs/Nope' },
        inherited: { $ref: '#/$defs/constructor' },
        dynamic: { $dynamicRef: '#meta' },
        described: { $ref: 'other.json', description: 'Kept' },
      },
      $defs: {},
    };
    const result = toRequestSchema(input);
    expect(result.schema.properties).toEqual({
      remote: { description: unresolvedDescription('https://example.com/schema.json#/$defs/X') },
      missing: { description: unresolvedDescription('#/$defs/Nope') },
      inherited: { description: unresolvedDescription('#/$defs/constructor') },
      dynamic: { description: unresolvedDescription('#meta') },
      described: { description: 'Kept' },
    });
    expect(result.notes).toHaveLength(5);
    for (const ref of ['https://example.com/schema.json#/$defs/X', '#/$defs/Nope', '#/$defs/constructor', '#meta', 'other.json']) {
      expect(result.notes.some((note) => note.includes(`"${ref}"`)), ref).toBe(true);
    }
    expect(JSON.stringify(result.schema)).not.toContain('"$ref"');
    expect(JSON.stringify(result.schema)).not.toContain('"$dynamicRef"');
  });
});

describe('recursion', () => {
  const tree = {
    type: 'object',
    properties: { root: { $ref: '#/$defs/Node' } },
    $defs: {
      Node: { type: 'object', properties: { value: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } } },
    },
  };
  const child = (levels: number) => Array.from({ length: levels }, () => ['properties', 'children', 'items']).flat();

  it('cuts a self-referring tree node after 3 levels by default', () => {
    const result = toRequestSchema(tree);
    for (let level = 0; level < 3; level++) {
      expect(dig(result.schema, 'properties', 'root', ...child(level), 'properties', 'value')).toEqual({ type: 'string' });
    }
    expect(dig(result.schema, 'properties', 'root', ...child(3))).toEqual({ type: 'object', description: cutDescription('#/$defs/Node', 3) });
    expect(result.notes).toHaveLength(1);
    expect(result.notes[0]).toContain('"#/$defs/Node"');
    expect(JSON.stringify(result.schema)).not.toContain('"$ref"');
  });

  it('cuts at a custom depth', () => {
    const result = toRequestSchema(tree, { maxRefDepth: 1 });
    expect(dig(result.schema, 'properties', 'root', 'properties', 'value')).toEqual({ type: 'string' });
    expect(dig(result.schema, 'properties', 'root', ...child(1))).toEqual({ type: 'object', description: cutDescription('#/$defs/Node', 1) });
    const deeper = toRequestSchema(tree, { maxRefDepth: 5 });
    expect(dig(deeper.schema, 'properties', 'root', ...child(4), 'properties', 'value')).toEqual({ type: 'string' });
    expect(dig(deeper.schema, 'properties', 'root', ...child(5))).toEqual({ type: 'object', description: cutDescription('#/$defs/Node', 5) });
  });

  it('cuts recursion through the root ("#")', () => {
    const input = { type: 'object', properties: { name: { type: 'string' }, parent: { $ref: '#' } } };
    const result = toRequestSchema(input);
    expect(dig(result.schema, 'properties', 'parent', 'properties', 'parent', 'properties', 'parent', 'properties', 'name')).toEqual({ type: 'string' });
    expect(dig(result.schema, 'properties', 'parent', 'properties', 'parent', 'properties', 'parent', 'properties', 'parent')).toEqual({
      type: 'object',
      description: cutDescription('#', 3),
    });
    expect(JSON.stringify(result.schema)).not.toContain('"$ref"');
  });

  it('cuts mutual recursion A ↔ B, keeping the type of the cut target', () => {
    const input = {
      properties: { a: { $ref: '#/$defs/A' }, b: { $ref: '#/$defs/B' } },
      $defs: { A: { type: 'object', properties: { b: { $ref: '#/$defs/B' } } }, B: { type: 'array', items: { $ref: '#/$defs/A' } } },
    };
    const ab = ['properties', 'b', 'items']; // A → B → A
    const ba = ['items', 'properties', 'b']; // B → A → B
    const custom = toResponseSchema(input, { maxRefDepth: 2 });
    expect(dig(custom.schema, 'properties', 'a', ...ab, ...ab)).toEqual({ type: 'object', description: cutDescription('#/$defs/A', 2) });
    expect(dig(custom.schema, 'properties', 'b', ...ba, ...ba)).toEqual({ type: 'array', description: cutDescription('#/$defs/B', 2) });
    expect(JSON.stringify(custom.schema)).not.toContain('"$ref"');
    const byDefault = toResponseSchema(input);
    expect(dig(byDefault.schema, 'properties', 'a', ...ab, ...ab, 'properties', 'b', 'type')).toBe('array');
    expect(dig(byDefault.schema, 'properties', 'a', ...ab, ...ab, ...ab)).toEqual({ type: 'object', description: cutDescription('#/$defs/A', 3) });
  });

  it('cuts a reference that is only an alias of itself', () => {
    const result = toResponseSchema({ properties: { x: { $ref: '#/$defs/A' } }, $defs: { A: { $ref: '#/$defs/A' } } });
    expect(result.schema).toEqual({ properties: { x: { description: cutDescription('#/$defs/A', 3) } } });
  });
});

describe('size and depth limits', () => {
  /** A0 refers to A1 twice, A1 to A2 twice, …: 2^levels paths once inlined. */
  function exponential(levels: number): Json {
    const defs: Json = {};
    for (let i = 0; i < levels; i++) {
      defs[`A${i}`] = { type: 'object', properties: { left: { $ref: `#/$defs/A${i + 1}` }, right: { $ref: `#/$defs/A${i + 1}` } } };
    }
    defs[`A${levels}`] = { type: 'string' };
    return { type: 'object', properties: { top: { $ref: '#/$defs/A0' } }, $defs: defs };
  }

  it('bounds an exponential $ref blow-up by the node budget', () => {
    const result = toRequestSchema(exponential(30));
    const text = JSON.stringify(result.schema);
    expect(text.length).toBeLessThan(200_000);
    expect(countObjects(result.schema)).toBeLessThan(10_000);
    expect(text).not.toContain('"$ref"');
    expect(text).toContain('too large');
    expect(result.notes.some((note) => note.includes('5000 nodes'))).toBe(true);
  });

  it('takes a custom node budget', () => {
    const small = toRequestSchema(exponential(30), { maxNodes: 50 });
    expect(countObjects(small.schema)).toBeLessThan(200);
    const whole = toRequestSchema(exponential(4), { maxNodes: 1000 });
    expect(JSON.stringify(whole.schema)).not.toContain('too large');
  });

  it('cuts 10,000 levels of nesting without references', () => {
    let input: Json = { type: 'string' };
    for (let i = 0; i < 10_000; i++) input = { type: 'array', items: input };
    const result = toResponseSchema(input);
    let depth = 0;
    for (let node = result.schema; node.items !== undefined; node = node.items as Json) depth++;
    expect(depth).toBe(65); // levels 1–64 kept, level 65 is the cut
    expect(dig(result.schema, ...Array.from({ length: 65 }, () => 'items'))).toEqual({
      description: 'Any value: the schema nests more than 64 levels deep here and is cut.',
    });
    expect(result.notes.some((note) => note.includes('64 levels'))).toBe(true);
  });

  it('cuts 10,000 nested default values and a 10,000-long chain of aliases', () => {
    let value: unknown = 1;
    for (let i = 0; i < 10_000; i++) value = [value];
    const defs: Json = {};
    for (let i = 0; i < 10_000; i++) defs[`D${i}`] = { $ref: `#/$defs/D${i + 1}` };
    const result = toResponseSchema({ default: value, properties: { x: { $ref: '#/$defs/D0' } }, $defs: defs });
    expect(result.schema.default).toBeUndefined();
    expect(JSON.stringify(result.schema)).toContain('levels deep');
  });
});

describe('untrusted input', () => {
  it('carries __proto__, constructor and prototype as ordinary property names', () => {
    const input: unknown = JSON.parse(
      '{"type":"object","properties":{"__proto__":{"type":"object","properties":{"polluted":{"const":true}}},"constructor":{"type":"string"},' +
        '"prototype":{"$ref":"#/$defs/__proto__"}},"required":["__proto__"],"$defs":{"__proto__":{"type":"integer"}},"__proto__":{"polluted":true}}',
    );
    const result = toRequestSchema(input);
    const properties = result.schema.properties as Json;
    expect(Object.keys(properties)).toEqual(['__proto__', 'constructor', 'prototype']);
    expect(Object.getPrototypeOf(properties)).toBe(Object.prototype);
    expect(properties.prototype).toEqual({ type: 'integer' });
    const text = JSON.stringify(result.schema);
    expect(text).toContain('"__proto__":{"type":"object","properties":{"polluted":{"type":"boolean","const":true}}}');
    expect(text).toContain('"__proto__":{"polluted":true}');
    expect(({} as Json).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('never changes its input', () => {
    const input = {
      type: 'object',
      nullable: true,
      properties: {
        a: { $ref: '#/$defs/A', description: 'sibling', minLength: 1 },
        b: { type: 'number', minimum: 0, exclusiveMinimum: true },
        c: { items: [{ type: 'string' }], additionalItems: false },
        d: { type: 'string', enum: ['x'], nullable: true },
      },
      $defs: { A: { type: 'string', properties: { self: { $ref: '#/$defs/A' } } } },
    };
    const before = structuredClone(input);
    toRequestSchema(input);
    toResponseSchema(input);
    expect(input).toEqual(before);
  });

  it('gives the same output for the same input', () => {
    const input = { type: 'object', properties: { a: { $ref: '#' }, b: { $ref: 'http://x' } } };
    expect(JSON.stringify(toRequestSchema(input))).toBe(JSON.stringify(toRequestSchema(input)));
  });
});

describe('toRequestSchema root', () => {
  it('adds type "object" when missing and drops $schema', () => {
    expect(toRequestSchema({ $schema: 'http://json-schema.org/draft-07/schema#', properties: { a: { type: 'string' } } }).schema).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
    });
    expect(toRequestSchema({}).schema).toEqual({ type: 'object' });
    expect(toRequestSchema(true).schema).toEqual({ type: 'object' });
  });

  it('narrows ["object", "null"] to "object"', () => {
    const result = toRequestSchema({ type: ['object', 'null'], properties: {} });
    expect(result.schema).toEqual({ type: 'object', properties: {} });
    expect(result.notes).toHaveLength(1);
  });

  it('makes a non-object root a free-form object, with a note', () => {
    const result = toRequestSchema({ type: 'string' });
    expect(result.schema).toMatchObject({ type: 'object', additionalProperties: true });
    expect(result.schema.description).toMatch(/type "string"/);
    expect(result.notes).toHaveLength(1);
    expect(takesNoArguments(result.schema)).toBe(false);
  });

  it('makes an unresolvable root reference a free-form object', () => {
    const result = toRequestSchema({ $ref: 'https://example.com/args.json' });
    expect(result.schema).toEqual({ type: 'object', description: unresolvedDescription('https://example.com/args.json'), additionalProperties: true });
    expect(takesNoArguments(result.schema)).toBe(false);
  });

  it.each([null, undefined, [1, 2], 'string', 42])('turns %j into an object taking no arguments', (input) => {
    const result = toRequestSchema(input);
    expect(result.schema).toEqual({ type: 'object', properties: {} });
    expect(result.notes).toHaveLength(1);
    expect(takesNoArguments(result.schema)).toBe(true);
  });

  it('allows any root in a response schema', () => {
    expect(toResponseSchema({ type: 'string' }).schema).toEqual({ type: 'string' });
    expect(toResponseSchema(false).schema).toEqual({ not: {} });
    expect(toResponseSchema('nope').notes).toHaveLength(1);
  });
});

/** What a request body makes of one property's schema. */
function requestProperty(schema: unknown): unknown {
  return dig(toRequestSchema({ type: 'object', properties: { p: schema } }).schema, 'properties', 'p');
}

describe("toRequestSchema shapes nodes for Open WebUI's converter", () => {
  // Open WebUI adds `type: "string"` to a node without type, anyOf or properties, and collapses anyOf [T, null] to T.
  const objectA = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
  const rows: [string, unknown, unknown][] = [
    [
      'anyOf [T, null] → T with a type list',
      { anyOf: [{ type: 'string', maxLength: 5 }, { type: 'null' }], description: 'd', default: null },
      { type: ['string', 'null'], maxLength: 5, description: 'd', default: null },
    ],
    ['oneOf [null, T], either order', { oneOf: [{ type: 'null' }, { type: 'integer', minimum: 1 }] }, { type: ['integer', 'null'], minimum: 1 }],
    ['an enum in T gets null too', { anyOf: [{ type: 'string', enum: ['a', 'b'] }, { type: 'null' }] }, { type: ['string', 'null'], enum: ['a', 'b', null] }],
    ['a const in T becomes an enum with null', { anyOf: [{ const: 'x' }, { type: 'null' }] }, { type: ['string', 'null'], enum: ['x', null] }],
    ['an object T', { anyOf: [objectA, { type: 'null' }] }, { ...objectA, type: ['object', 'null'] }],
    [
      "the node's annotations win over T's",
      { anyOf: [{ type: 'integer', description: 'inner' }, { type: 'null' }], description: 'outer' },
      { type: ['integer', 'null'], description: 'outer' },
    ],
    ['branches of bare types → one type list', { anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'null' }] }, { type: ['string', 'integer', 'null'] }],
    ['two branches of bare types, no null', { oneOf: [{ type: 'string' }, { type: 'array' }] }, { type: ['string', 'array'] }],
    [
      'a T with keywords that apply to null keeps its anyOf, with the type beside it',
      { anyOf: [{ type: 'string', not: { enum: [''] } }, { type: 'null' }] },
      { type: ['string', 'null'], anyOf: [{ type: 'string', not: { type: 'string', enum: [''] } }, { type: 'null' }] },
    ],
    [
      'oneOf of objects gets type "object"',
      { oneOf: [objectA, { type: 'object', properties: { b: { type: 'integer' } } }] },
      { type: 'object', oneOf: [objectA, { type: 'object', properties: { b: { type: 'integer' } } }] },
    ],
    [
      'overlapping oneOf types are kept as branches',
      { oneOf: [{ type: 'number' }, { type: 'integer' }] },
      { type: 'number', oneOf: [{ type: 'number' }, { type: 'integer' }] },
    ],
    ['allOf takes the type of its typed branches', { allOf: [{ type: 'string' }, { minLength: 2 }] }, { type: 'string', allOf: [{ type: 'string' }, { minLength: 2 }] }],
    ['allOf of number and integer is integer', { allOf: [{ type: 'number' }, { type: 'integer' }] }, { type: 'integer', allOf: [{ type: 'number' }, { type: 'integer' }] }],
    ['allOf of contradicting types stays untyped', { allOf: [{ type: 'string' }, { type: 'integer' }] }, { allOf: [{ type: 'string' }, { type: 'integer' }] }],
    ['anyOf with an untyped branch stays untyped', { anyOf: [{ type: 'string' }, { minLength: 1 }] }, { anyOf: [{ type: 'string' }, { minLength: 1 }] }],
    ['const integer', { const: 2 }, { type: 'integer', const: 2 }],
    ['const number', { const: 1.5 }, { type: 'number', const: 1.5 }],
    ['const object', { const: { a: 1 } }, { type: 'object', const: { a: 1 } }],
    ['enum of several types', { enum: ['a', 1, null] }, { type: ['string', 'integer', 'null'], enum: ['a', 1, null] }],
    ['enum of integers and numbers', { enum: [1, 2.5] }, { type: 'number', enum: [1, 2.5] }],
    ['OpenAPI 3.0 nullable enum', { enum: ['a', 'b'], nullable: true }, { type: ['string', 'null'], enum: ['a', 'b', null] }],
    ['array items too', { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'null' }] } }, { type: 'array', items: { type: ['string', 'null'] } }],
    ['an untyped node without combinators stays as it is', { description: 'anything' }, { description: 'anything' }],
  ];

  it.each(rows)('%s', (_name, input, expected) => {
    expect(requestProperty(input)).toEqual(expected);
  });

  it('shapes inlined references as well', () => {
    const input = { type: 'object', properties: { p: { $ref: '#/$defs/Maybe' } }, $defs: { Maybe: { anyOf: [{ type: 'string' }, { type: 'null' }] } } };
    expect(dig(toRequestSchema(input).schema, 'properties', 'p')).toEqual({ type: ['string', 'null'] });
  });

  it('leaves response schemas exactly as written', () => {
    const input = { type: 'object', properties: { c: { const: 2 }, n: { anyOf: [{ type: 'string' }, { type: 'null' }] }, d: { type: 'string', default: 'x' } }, required: ['d'] };
    expect(toResponseSchema(input).schema).toEqual(input);
  });

  it('accepts exactly the values the faithful conversion accepts', async () => {
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const ajv = new Ajv2020({ strict: false });
    const values = [null, 'a', '', 'abcdef', 0, 1, 1.5, 2, -3, true, false, [], ['a'], {}, { a: 'x' }, { b: 1 }];
    for (const [name, input] of rows) {
      const before = ajv.compile(toResponseSchema(input).schema);
      const after = ajv.compile(requestProperty(input) as object);
      for (const value of values) expect(after(value), `${name}: ${JSON.stringify(value)}`).toBe(before(value));
    }
  });
});

describe('toRequestSchema lists properties with a default as optional (the gateway fills them in)', () => {
  it('drops a required property that has a default from required', () => {
    const input = {
      type: 'object',
      properties: { scale: { type: 'string', enum: ['css', 'device'], default: 'css' }, name: { type: 'string' } },
      required: ['scale', 'name'],
    };
    expect(toRequestSchema(input).schema.required).toEqual(['name']);
  });

  it('drops required altogether when every required property has a default, at any depth and through references', () => {
    const input = {
      type: 'object',
      properties: {
        type: { type: 'string', default: 'png' },
        options: { type: 'object', properties: { x: { type: 'integer', default: 1 } }, required: ['x'] },
        scale: { $ref: '#/$defs/Scale' },
      },
      required: ['type', 'options', 'scale'],
      $defs: { Scale: { type: 'string', default: 'css' } },
    };
    const schema = toRequestSchema(input).schema;
    expect(schema.required).toEqual(['options']);
    expect(dig(schema, 'properties', 'options')).toEqual({ type: 'object', properties: { x: { type: 'integer', default: 1 } } });
    expect(takesNoArguments(schema)).toBe(false);
  });

  it('counts a null default as a default, and keeps required names without a property', () => {
    const input = { type: 'object', properties: { a: { type: ['string', 'null'], default: null } }, required: ['a', 'ghost'] };
    expect(toRequestSchema(input).schema.required).toEqual(['ghost']);
  });
});

describe('takesNoArguments', () => {
  const rows: [Json, boolean][] = [
    [{ type: 'object' }, true],
    [{ type: 'object', properties: {} }, true],
    [{ type: 'object', properties: {}, required: [], additionalProperties: false }, true],
    [{ type: 'object', properties: { a: { type: 'string' } } }, false],
    [{ type: 'object', required: ['a'] }, false],
    [{ type: 'object', anyOf: [{ required: ['a'] }, { required: ['b'] }] }, false],
    [{ type: 'object', oneOf: [] }, false],
    [{ type: 'object', allOf: [] }, false],
    [{ type: 'object', not: {} }, false],
    [{ type: 'object', if: {} }, false],
    [{ type: 'object', patternProperties: { '^x': {} } }, false],
    [{ type: 'object', additionalProperties: { type: 'string' } }, false],
    [{ type: 'object', additionalProperties: true }, false],
  ];
  it.each(rows)('%j → %s', (schema, expected) => {
    expect(takesNoArguments(schema)).toBe(expected);
  });
});

describe('safeOperationId', () => {
  const VALID = /^[A-Za-z0-9_-]{1,64}$/;
  const rows: [string, string][] = [
    ['read_file', 'read_file'],
    ['Read-File2', 'Read-File2'],
    ['read file', 'read_file'],
    ['files.read', 'files_read'],
    ['a . b', 'a_b'],
    ['créer_fichier', 'creer_fichier'],
    ['Ångström', 'Angstrom'],
    ['поиск_файлов', 'poisk_faylov'],
    ['Καλημέρα', 'Kalimera'],
    ['Straße', 'Strasse'],
    ['ﬁle', 'file'],
    ['読む', 'tool'],
    ['', 'tool'],
    ['  spaced out  ', 'spaced_out'],
  ];
  it.each(rows)('%j → %j', (name, expected) => {
    expect(safeOperationId(name, new Set())).toBe(expected);
  });

  it('keeps two long names with the same first 64 characters apart', () => {
    const head = 'x'.repeat(64);
    const first = head + 'a'.repeat(36);
    const second = head + 'b'.repeat(36);
    const taken = new Set<string>();
    const a = safeOperationId(first, taken);
    const b = safeOperationId(second, taken);
    expect(a).not.toBe(b);
    for (const id of [a, b]) expect(id).toMatch(VALID);
    expect(a).toMatch(/^x+_[0-9a-f]{8}$/);
    expect(safeOperationId(first, new Set())).toBe(a);
  });

  it('appends _2, _3, … on collisions, within 64 characters', () => {
    const taken = new Set<string>();
    expect(['a b', 'a.b', 'a_b', 'a_b'].map((name) => safeOperationId(name, taken))).toEqual(['a_b', 'a_b_2', 'a_b_3', 'a_b_4']);
    expect(taken).toEqual(new Set(['a_b', 'a_b_2', 'a_b_3', 'a_b_4']));
    const long = 'y'.repeat(64);
    const ids = [safeOperationId(long, taken), safeOperationId(long, taken)];
    expect(ids[1]).toBe(`${'y'.repeat(62)}_2`);
    for (const id of ids) expect(id).toMatch(VALID);
  });
});
